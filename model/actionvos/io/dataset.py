"""The ActionVOS dataset layout (as written by the official ``data_prepare_visor.py``).

::

    root/
      ImageSets/<split>.json                      list of sequences (see ``Sequence``)
      JPEGImages_Sparse/<split>/<folder>/*.jpg    the sparse (annotated) frames
      Annotations_Sparse/<split>/<folder>/*.png   palette masks, value k = object k (optional)

where ``<folder>`` is ``f"{seq_id:08d}_{video}_{verb}_{noun}"``, e.g.
``00000012_P01_107_put-into_bag:cereal``. Subset splits such as ``val_human`` and
``val_novel`` have their own json but share the ``val`` image folders.

The official demo layout (``ImageSets/expression_file.json`` shaped
``{"videos": {folder: {"expressions": {k: {"exp": ...}}, "frames": [...]}}}``) is read too,
with object names taken from the expressions and no pseudo labels.
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


def _parse_expression_video(i: int, folder: str, raw: dict, where: str) -> Sequence:
    """A sequence from the demo expression format: names and narration from the prompts."""
    m = re.match(r"^(\d{8})_(.*)$", folder)
    seq_id, video = (int(m.group(1)), m.group(2)) if m else (i + 1, folder)
    objects, narration = {}, ""
    for key, exp in (raw.get("expressions") or {}).items():
        text = str(exp.get("exp", "")) if isinstance(exp, dict) else str(exp)
        hit = _PROMPT_TAIL.match(text)
        name = hit.group("name") if hit else text
        narration = narration or (hit.group("narration") if hit else "")
        index = int(key) + 1  # expression keys count from 0; mask labels from 1
        objects[index] = ObjectClass(index=index, name=name)
    frames = [f if Path(f).suffix else f"{f}.jpg" for f in raw.get("frames") or []]
    return Sequence(
        seq_id=seq_id,
        video=video,
        narration=narration,
        verb="",
        noun="",
        start=0,
        end=0,
        sparse_frames=frames,
        object_classes=objects,
        folder=folder,
        extra={"source": where},
    )


class ActionVOSDataset:
    """Sequences of one split of an ActionVOS dataset root, with their frames and masks."""

    def __init__(self, root: str | Path, split: str = "val") -> None:
        self.root = Path(root)
        self.split = split
        if not self.root.is_dir():
            raise ClipError(f"ActionVOS dataset root {self.root} does not exist or is no folder")
        json_path = self.root / "ImageSets" / f"{split}.json"
        if not json_path.is_file():
            have = sorted(p.stem for p in (self.root / "ImageSets").glob("*.json"))
            raise ClipError(
                f"{json_path} does not exist; splits found in {self.root / 'ImageSets'}: "
                f"{', '.join(have) or 'none'}"
            )
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ClipError(f"cannot read {json_path}: {exc}") from None
        self.json_path = json_path
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
