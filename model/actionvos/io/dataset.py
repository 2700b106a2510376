"""The ActionVOS dataset layout (as written by the official ``data_prepare_visor.py``).

::

    root/
      ImageSets/<split>.json                      list of sequences (see ``Sequence``)
      JPEGImages_Sparse/<split>/<folder>/*.jpg    the sparse (annotated) frames
      Annotations_Sparse/<split>/<folder>/*.png   palette masks, value k = object k (optional)

where ``<folder>`` is ``f"{seq_id:08d}_{video}_{verb}_{noun}"``, e.g.
``00000012_P01_107_put-into_bag:cereal``. Subset splits such as ``val_human`` and
``val_novel`` have their own json but share the ``val`` image folders.

The official inference layout for one's own videos (``demo_path/`` of ut-vision/ActionVOS:
``ImageSets/<name>.json`` shaped ``{"videos": {folder: {"expressions": {k: {"exp": ...}},
"frames": [...]}}}`` and ``JPEGImages_Sparse/<split>/<folder>/``) is read too: object names
and narration come from the expressions ("<object> used in the action of <narration>"), and
object k is the k-th expression, as the official inference numbers its output. When
``ImageSets/<split>.json`` is absent, the one expression file there is used (see
``find_split_file``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from actionvos.errors import ClipError
from actionvos.palette import read_palette_png

from .frame_folder import FrameFolderClip

_PROMPT_TAIL = re.compile(r"^(?P<name>.*?) used in the action of (?P<narration>.*)$")


@dataclass(frozen=True)
class ObjectClass:
    """One annotated object of a sequence; ``index`` is its value in the palette masks."""

    index: int
    name: str
    class_id: int = -1
    handbox: bool = False  # its mask meets a hand-object box
    narration: bool = False  # its name is in the narration
    positive: bool = False  # pseudo label: takes part in the action
    expression: str = ""  # the caption, when the split file gives one (expression files)


@dataclass
class Sequence:
    """One action (an EPIC-KITCHENS narration) with its sparse frames and objects."""

    seq_id: int
    video: str
    narration: str
    verb: str
    noun: str
    start: int
    end: int
    sparse_frames: list[str]
    object_classes: dict[int, ObjectClass]
    verb_class: int | None = None
    noun_class: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. redundant / missing / other
    folder: str | None = None  # set when the folder name is not built from the fields

    @property
    def folder_name(self) -> str:
        if self.folder is not None:
            return self.folder
        return f"{self.seq_id:08d}_{self.video}_{self.verb}_{self.noun}"

    @property
    def frame_names(self) -> list[str]:
        """Sparse frame names without extension (``frame_0000002521``)."""
        return [Path(f).stem for f in self.sparse_frames]

    @property
    def positive_objects(self) -> list[ObjectClass]:
        return [o for o in self.object_classes.values() if o.positive]


_REQUIRED = ("seq_id", "video", "narration", "verb", "noun", "start", "end", "sparse_frames")


def _parse_objects(raw: dict, where: str) -> dict[int, ObjectClass]:
    objects = {}
    for key, obj in raw.items():
        try:
            index = int(key)
            objects[index] = ObjectClass(
                index=index,
                name=str(obj["name"]),
                class_id=int(obj.get("class_id", -1)),
                handbox=bool(obj.get("handbox", 0)),
                narration=bool(obj.get("narration", 0)),
                positive=bool(obj.get("positive", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ClipError(f"{where}: object {key!r} is malformed ({exc!r})") from None
    return dict(sorted(objects.items()))


def _parse_sequence(raw: dict, where: str) -> Sequence:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ClipError(f"{where} lacks {', '.join(missing)}; is this an ActionVOS ImageSets file?")
    extra = {k: v for k, v in raw.items() if k not in (*_REQUIRED, "object_classes")}
    try:
        return Sequence(
            seq_id=int(raw["seq_id"]),
            video=str(raw["video"]),
            narration=str(raw["narration"]),
            verb=str(raw["verb"]),
            noun=str(raw["noun"]),
            start=int(raw["start"]),
            end=int(raw["end"]),
            sparse_frames=[str(f) for f in raw["sparse_frames"]],
            object_classes=_parse_objects(raw.get("object_classes") or {}, where),
            verb_class=_opt_int(extra.pop("verb_class", None)),
            noun_class=_opt_int(extra.pop("noun_class", None)),
            extra=extra,
        )
    except (TypeError, ValueError) as exc:
        raise ClipError(f"{where} has a malformed field ({exc})") from None


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _split_folder(i: int, folder: str) -> tuple[int, str, str, str]:
    """(seq_id, video, verb, noun) of ``00000012_P01_107_put-into_bag:cereal``; a folder not
    named that way is sequence i + 1 of a video of its own name."""
    m = re.match(r"^(\d{8})_(.+)_([^_]+)_([^_]+)$", folder)
    if m:
        return int(m.group(1)), m.group(2), m.group(3), m.group(4)
    m = re.match(r"^(\d{8})_(.*)$", folder)
    if m:
        return int(m.group(1)), m.group(2), "", ""
    return i + 1, folder, "", ""


def _parse_expression_video(i: int, folder: str, raw: Any, where: str) -> Sequence:
    """A sequence of an expression file: names and narration from the prompts."""
    if not isinstance(raw, dict):
        raise ClipError(f"{where}: video {folder!r} is not an object with expressions and frames")
    seq_id, video, verb, noun = _split_folder(i, folder)
    expressions = raw.get("expressions") or {}
    if not isinstance(expressions, dict):
        raise ClipError(f"{where}: expressions of {folder!r} must map ids to {{'exp': ...}}")
    objects, narration = {}, ""
    # the official inference labels the k-th expression (in file order) k + 1
    for index, exp in enumerate(expressions.values(), start=1):
        text = str(exp.get("exp", "")) if isinstance(exp, dict) else str(exp)
        hit = _PROMPT_TAIL.match(text.strip())
        name = hit.group("name") if hit else text
        narration = narration or (hit.group("narration") if hit else "")
        facts = exp if isinstance(exp, dict) else {}
        try:
            objects[index] = ObjectClass(
                index=index,
                name=name,
                class_id=int(facts.get("class_id", -1)),
                positive=bool(facts.get("positive", 0)),
                expression=text,
            )
        except (TypeError, ValueError) as exc:
            raise ClipError(f"{where}: expression {index - 1} of {folder!r}: {exc}") from None
    frames_raw = raw.get("frames") or []
    if isinstance(frames_raw, str) or not isinstance(frames_raw, list):
        raise ClipError(f"{where}: frames of {folder!r} must be a list of frame names")
    frames = [str(f) if Path(str(f)).suffix else f"{f}.jpg" for f in frames_raw]
    return Sequence(
        seq_id=seq_id,
        video=video,
        narration=narration,
        verb=verb,
        noun=noun,
        start=0,
        end=0,
        sparse_frames=frames,
        object_classes=objects,
        folder=folder,
        extra={"source": where},
    )


def _json_kind(path: Path) -> str:
    """What a JSON file under ImageSets is: "list" (a split list), "expressions"
    (``{"videos": {f: {"expressions": ...}}}``) or "other" (the objects-category file...)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "other"
    if isinstance(data, list):
        return "list"
    videos = data.get("videos") if isinstance(data, dict) else None
    if isinstance(videos, dict) and all(
        isinstance(v, dict) and "expressions" in v for v in videos.values()
    ):
        return "expressions"
    return "other"


def find_split_file(root: str | Path, split: str = "val") -> Path:
    """The file listing ``split``'s sequences: ``ImageSets/<split>.json``; or else, in the
    official inference layout (``ImageSets`` holds no split list, and the expression file is
    named freely, e.g. ``expression_file.json``), its only expression file. ClipError saying
    what is there otherwise."""
    image_sets = Path(root) / "ImageSets"
    own = image_sets / f"{split}.json"
    if own.is_file():
        return own
    candidates = sorted(image_sets.glob("*.json")) if image_sets.is_dir() else []
    kinds = {p: _json_kind(p) for p in candidates}
    expressions = [p for p, kind in kinds.items() if kind == "expressions"]
    if len(expressions) == 1 and "list" not in kinds.values():
        return expressions[0]
    have = ", ".join(p.stem for p in candidates) or "none"
    hint = (
        f"; several expression files ({', '.join(p.name for p in expressions)}): "
        "name one as the split (--split NAME)"
        if len(expressions) > 1 and "list" not in kinds.values()
        else ""
    )
    raise ClipError(f"{own} does not exist; splits found in {image_sets}: {have}{hint}")


def has_split_file(root: str | Path, split: str = "val") -> bool:
    """Whether ``root`` is a dataset root with a usable file for ``split``."""
    try:
        find_split_file(root, split)
    except ClipError:
        return False
    return True


class ActionVOSDataset:
    """Sequences of one split of an ActionVOS dataset root, with their frames and masks."""

    def __init__(self, root: str | Path, split: str = "val") -> None:
        self.root = Path(root)
        self.split = split
        if not self.root.is_dir():
            raise ClipError(f"ActionVOS dataset root {self.root} does not exist or is no folder")
        json_path = find_split_file(self.root, split)
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ClipError(f"cannot read {json_path}: {exc}") from None
        self.json_path = json_path
        #: a split list carries ground-truth flags (what ``actionvos evaluate`` reads); an
        #: expression file only names objects
        self.is_split_list = isinstance(data, list)
        if isinstance(data, list):
            self.sequences = [
                _parse_sequence(raw, f"{json_path} entry {i}") for i, raw in enumerate(data)
            ]
        elif isinstance(data, dict) and isinstance(data.get("videos"), dict):
            self.sequences = [
                _parse_expression_video(i, folder, raw, str(json_path))
                for i, (folder, raw) in enumerate(data["videos"].items())
            ]
        else:
            raise ClipError(
                f"{json_path} is neither a list of sequences nor an expression file "
                '({"videos": {...}}); is this an ActionVOS ImageSets file?'
            )
        self.image_split = self._image_split(split)

    def _image_split(self, split: str) -> str:
        """The image folder of a split: its own, or the parent split (val_human -> val)."""
        images = self.root / "JPEGImages_Sparse"
        if (images / split).is_dir():
            return split
        parent = split.split("_")[0]
        if (images / parent).is_dir():
            return parent
        if (images / "val").is_dir() and not (images / split).exists():
            return "val"  # the demo layout keeps every expression file's frames under val
        return split

    def __len__(self) -> int:
        return len(self.sequences)

    def __iter__(self) -> Iterator[Sequence]:
        return iter(self.sequences)

    def __getitem__(self, i: int) -> Sequence:
        return self.sequences[i]

    def get(self, seq_id: int) -> Sequence:
        """The sequence with this ``seq_id``; ClipError if there is none."""
        for seq in self.sequences:
            if seq.seq_id == seq_id:
                return seq
        raise ClipError(f"no sequence {seq_id} in {self.json_path}")

    def frame_folder(self, seq: Sequence) -> Path:
        return self.root / "JPEGImages_Sparse" / self.image_split / seq.folder_name

    def mask_folder(self, seq: Sequence) -> Path:
        return self.root / "Annotations_Sparse" / self.image_split / seq.folder_name

    def frames(self, seq: Sequence, fps: float = 30.0) -> FrameFolderClip:
        """The sequence's sparse frames as a clip (all images of its folder if none listed)."""
        folder = self.frame_folder(seq)
        if not folder.is_dir():
            raise ClipError(
                f"frames of sequence {seq.seq_id} ({seq.folder_name}) are missing: "
                f"{folder} does not exist"
            )
        return FrameFolderClip(folder, fps=fps, names=seq.sparse_frames or None)

    def masks(self, seq: Sequence) -> np.ndarray | None:
        """Palette masks ``(T, H, W)`` uint8 of the sparse frames, or None if not annotated."""
        folder = self.mask_folder(seq)
        if not folder.is_dir():
            return None
        names = seq.frame_names or [p.stem for p in sorted(folder.glob("*.png"))]
        masks = []
        for name in names:
            path = folder / f"{name}.png"
            if not path.is_file():
                raise ClipError(
                    f"mask {path} is missing although {folder} holds masks of sequence "
                    f"{seq.seq_id}; restore it or remove the folder"
                )
            mask = read_palette_png(path)
            if masks and mask.shape != masks[0].shape:
                raise ClipError(
                    f"mask {path} is {mask.shape[1]}x{mask.shape[0]} but the first mask of "
                    f"{folder} is {masks[0].shape[1]}x{masks[0].shape[0]}"
                )
            masks.append(mask.astype(np.uint8, copy=False))
        if not masks:
            return None
        return np.stack(masks)
