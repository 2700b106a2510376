"""Write synthetic clips as one split of an ActionVOS dataset, with exact ground truth.

The layout is the one the official preparation writes and ``formats/actionvos_layout.py``
exports from a store (folder names, split entries and the two expression files come from
there)::

    root/ImageSets/<split>.json                             one entry per clip
    root/ImageSets/<split>_meta_expressions_promptaction.json, <split>_objects_category.json
    root/JPEGImages_Sparse/<split>/<folder>/<frame>.jpg
    root/Annotations_Sparse/<split>/<folder>/<frame>.png    palette, value k = object k
    root/Weights_Sparse/<split>/<folder>/<frame>.png        raw action-guided weights 1..4

Every frame of a clip is a sparse (annotated) frame. Clip k of the split is sequence k + 1 of
video ``synth-<style>-<seed>``; its noun is spelled as EPIC-100 keys it (``board:chopping``).
The split file is written last: its presence means the split is complete.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from actionvos.errors import Cancelled, InputError
from actionvos.formats.actionvos_layout import expression_files, folder_name
from actionvos.labeling import raw_weight_map
from actionvos.palette import write_palette_png
from actionvos.sample.synthetic import SyntheticClip, make_kitchen_clip
from actionvos.sample.vocabulary import NOUNS, NOVEL_NOUNS, class_id

ClipProgress = Callable[[int, int, str], None]
KINDS = ("JPEGImages_Sparse", "Annotations_Sparse", "Weights_Sparse")


@dataclass(frozen=True)
class SampleRequest:
    """What to generate: ``seeds`` in order, each clip with these settings."""

    seeds: Sequence[int]
    n_frames: int = 24
    size: tuple[int, int] = (240, 320)
    fps: float = 15.0
    style: str = "default"
    action: str | None = None


@dataclass
class LayoutReport:
    root: Path
    split: str
    sequences: list[str] = field(default_factory=list)
    frames: int = 0

    @property
    def split_json(self) -> Path:
        return self.root / "ImageSets" / f"{self.split}.json"


def video_name(clip: SyntheticClip) -> str:
    return f"synth-{clip.style}-{clip.seed:06d}"


def _epic_noun(noun: str) -> str:
    spec = NOUNS.get(noun) or NOVEL_NOUNS.get(noun)
    return spec.epic_key if spec is not None else noun


def sequence_entry(clip: SyntheticClip, seq_id: int) -> dict:
    """The split-file entry of a clip, field for field what the official preparation writes
    (plus ``involved``, ``style`` and ``seed``, which readers of the official files ignore)."""
    objects = {
        str(k): {
            "name": name,
            "class_id": int(cid),
            "handbox": int(hb),
            "narration": int(na),
            "positive": int(pos),
            "involved": int(inv),
        }
        for k, (name, cid, hb, na, pos, inv) in enumerate(
            zip(
                clip.object_names,
                clip.class_ids,
                clip.in_handbox,
                clip.in_narration,
                clip.active,
                clip.involved,
                strict=True,
            ),
            start=1,
        )
    }
    return {
        "seq_id": int(seq_id),
        "video": video_name(clip),
        "start": 1,
        "narration": clip.narration,
        "verb": clip.verb,
        "verb_class": None,
        "noun": _epic_noun(clip.noun),
        "noun_class": class_id(clip.noun),
        "end": clip.n_frames,
        "sparse_frames": [f"{name}.jpg" for name in clip.frame_names],
        "object_classes": objects,
        "redundant": False,
        "other": False,
        "missing": False,
        "style": clip.style,
        "seed": clip.seed,
    }


def entry_folder(entry: dict) -> str:
    return folder_name(entry["seq_id"], entry["video"], entry["verb"], entry["noun"])


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def _clear_old_split(root: Path, split: str, overwrite: bool) -> None:
    """Refuse to write over a split unless asked; when asked, remove its old sequences."""
    split_json = root / "ImageSets" / f"{split}.json"
    if not split_json.exists():
        return
    if not overwrite:
        raise InputError(
            f"{split_json} already exists; choose another --split or OUT, or pass --overwrite"
        )
    try:
        old = json.loads(split_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {split_json} to replace it ({exc}); move it aside") from None
    if not isinstance(old, list):
        raise InputError(f"{split_json} is not an ActionVOS split list; move it aside")
    for entry in old:
        try:
            folder = entry_folder(entry)
        except (KeyError, TypeError, ValueError):
            continue  # not one of ours: nothing of it to remove
        for kind in KINDS:
            shutil.rmtree(root / kind / split / folder, ignore_errors=True)


def write_clip_sequence(
    clip: SyntheticClip, root: Path, split: str, seq_id: int, overwrite: bool = False
) -> dict:
    """Write one clip's frames, masks and weights; return its split entry. Folders left by
    an unfinished earlier run (no split file) are replaced only with ``overwrite``."""
    if len(clip.object_names) > 255:
        raise InputError(f"{len(clip.object_names)} objects; palette PNGs hold at most 255")
    entry = sequence_entry(clip, seq_id)
    folder = entry_folder(entry)
    dirs = {kind: root / kind / split / folder for kind in KINDS}
    for d in dirs.values():
        if d.is_dir() and any(d.iterdir()):
            if not overwrite:
                raise InputError(f"{d} already holds files; remove it or pass --overwrite")
            shutil.rmtree(d)
        d.mkdir(parents=True, exist_ok=True)
    for t, name in enumerate(clip.frame_names):
        Image.fromarray(clip.frames[t]).save(dirs["JPEGImages_Sparse"] / f"{name}.jpg", quality=95)
        write_palette_png(dirs["Annotations_Sparse"] / f"{name}.png", clip.masks[t])
        weights = raw_weight_map(
            clip.masks[t], clip.in_narration, clip.active, clip.hand_object_boxes[t]
        )
        write_palette_png(dirs["Weights_Sparse"] / f"{name}.png", weights)
    return entry


def write_sample_dataset(
    root: str | Path,
    request: SampleRequest,
    *,
    split: str = "val",
    overwrite: bool = False,
    on_clip: Callable[[SyntheticClip, dict], None] | None = None,
    progress: ClipProgress | None = None,
    cancel: threading.Event | None = None,
) -> LayoutReport:
    """Generate the clips of ``request`` one at a time and write them as ``split`` of an
    ActionVOS dataset under ``root``. ``on_clip(clip, entry)`` sees each clip once written
    (e.g. to save it as a label store too); ``progress(done, total, folder)`` per clip."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise InputError(f"{root} is a file; give a folder for the dataset")
    if not request.seeds:
        raise InputError("no clips to write; ask for at least one (--clips 1)")
    if not split or any(c in split for c in "/\\") or split.startswith("."):
        raise InputError(f"--split {split!r} is not a usable folder name (e.g. val, train)")
    _clear_old_split(root, split, overwrite)
    report = LayoutReport(root, split)
    entries = []
    total = len(request.seeds)
    for k, seed in enumerate(request.seeds):
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"writing the synthetic dataset to {root} was cancelled")
        clip = make_kitchen_clip(
            seed=int(seed),
            n_frames=request.n_frames,
            size=request.size,
            fps=request.fps,
            action=request.action,
            style=request.style,
        )
        entry = write_clip_sequence(clip, root, split, k + 1, overwrite)
        entries.append(entry)
        report.sequences.append(entry_folder(entry))
        report.frames += clip.n_frames
        if on_clip is not None:
            on_clip(clip, entry)
        if progress is not None:
            progress(k + 1, total, entry_folder(entry))
    (root / "ImageSets").mkdir(parents=True, exist_ok=True)
    expressions, categories = expression_files(entries)
    image_sets = root / "ImageSets"
    _write_json(image_sets / f"{split}_meta_expressions_promptaction.json", expressions)
    _write_json(image_sets / f"{split}_objects_category.json", categories)
    _write_json(report.split_json, entries)
    return report
