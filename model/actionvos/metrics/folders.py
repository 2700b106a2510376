"""Score prediction folders against ground truth in the official ActionVOS layout.

Layout (``actionvos_metrics.py`` and ``data_prepare_visor.py``):

* the split JSON (e.g. ``dataset_visor/ImageSets/val_human.json``) is a list of sequences, each
  with ``seq_id``, ``video``, ``verb``, ``noun``, ``sparse_frames`` (``frame_XXXXXXXXXX.jpg``),
  ``object_classes`` (``{"1": {"name", "class_id", "handbox", "narration", "positive"}, ...}``)
  and the quality flags ``redundant``, ``other`` and ``missing``;
* GT DIR (``Annotations_Sparse/val``) and PRED DIR each hold one folder per sequence,
  ``{seq_id:08d}_{video}_{verb}_{noun}``, with one palette PNG per sparse frame (the frame
  name with ``jpg`` replaced by ``png``), label k = object ``"k"`` of ``object_classes``.

Sequences flagged ``redundant``, ``other`` or ``missing`` are skipped by default, as the
official evaluation does (330 -> 294 sequences of val_human); a missing flag counts as false.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actionvos.errors import Cancelled, ClipError, InputError
from actionvos.formats.fields import as_flag, as_int, as_str, as_str_list
from actionvos.metrics.scores import ActionVOSScores, MetricAccumulator, summarise
from actionvos.palette import read_palette_png

QUALITY_FLAGS = ("redundant", "other", "missing")
_REQUIRED = ("seq_id", "video", "verb", "noun", "sparse_frames", "object_classes")


@dataclass(frozen=True)
class SplitSequence:
    """One action sequence of a split JSON, reduced to what scoring needs."""

    seq_id: int
    video: str
    verb: str
    noun: str
    frames: tuple[str, ...]
    positives: dict[int, bool]
    flagged: bool

    @property
    def folder(self) -> str:
        return f"{self.seq_id:08d}_{self.video}_{self.verb}_{self.noun}"

    @staticmethod
    def mask_name(frame: str) -> str:
        """The reference's rule: the frame name with ``jpg`` replaced by ``png``."""
        return frame.replace("jpg", "png")


def _sequence(entry: Any, index: int, path: Path) -> SplitSequence:
    where = f"{path}: sequence #{index}"
    if not isinstance(entry, dict):
        raise InputError(f"{where} is not an object; the split must be a list of sequences")
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise InputError(f"{where} lacks {missing}; is this an ActionVOS split JSON?")
    objects = entry["object_classes"]
    if not isinstance(objects, dict):
        raise InputError(f"{where}: object_classes must map object ids to their flags")
    positives = {}
    for key, obj in objects.items():
        oid = as_int(key, where, "object id", lo=1, hi=255)
        if not isinstance(obj, dict) or "positive" not in obj:
            raise InputError(f"{where}: object {key} has no 'positive' flag")
        positives[oid] = as_flag(obj["positive"], where, f"object {key} positive")
    return SplitSequence(
        seq_id=as_int(entry["seq_id"], where, "seq_id"),
        video=as_str(entry["video"], where, "video"),
        verb=as_str(entry["verb"], where, "verb", empty=True),
        noun=as_str(entry["noun"], where, "noun", empty=True),
        frames=tuple(as_str_list(entry["sparse_frames"], where, "sparse_frames")),
        positives=positives,
        flagged=any(bool(entry.get(flag, False)) for flag in QUALITY_FLAGS),
    )


def load_split(path: str | Path) -> list[SplitSequence]:
    """Read and check a split JSON such as ``val_human.json``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"split file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"split file {path} is not valid JSON: {exc}") from None
    except IsADirectoryError:
        raise InputError(f"split file {path} is a folder; give the split JSON file") from None
    if not isinstance(data, list):
        raise InputError(
            f"split file {path} must be a list of sequences (like val_human.json), "
            f"got {type(data).__name__}"
        )
    return [_sequence(e, i, path) for i, e in enumerate(data)]


def _read(path: Path, what: str) -> Any:
    if not path.is_file():
        raise ClipError(
            f"{what} mask {path} is missing; every sparse frame of every evaluated sequence "
            "needs one PNG named after the frame"
        )
    return read_palette_png(path)


def evaluate_folders(
    pred_dir: str | Path,
    gt_dir: str | Path,
    split_json: str | Path,
    *,
    skip_flagged: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[ActionVOSScores, MetricAccumulator]:
    """Score every (unflagged) sequence; returns the figures and the per-object samples."""
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    for d, what in ((pred_dir, "prediction"), (gt_dir, "ground-truth")):
        if not d.is_dir():
            raise InputError(f"{what} folder {d} does not exist")
    sequences = [s for s in load_split(split_json) if not (skip_flagged and s.flagged)]
    acc = MetricAccumulator()
    for i, seq in enumerate(sequences):
        if cancel is not None and cancel.is_set():
            raise Cancelled("evaluation cancelled")
        if progress is not None:
            progress(i, len(sequences), seq.folder)
        for frame in seq.frames:
            name = seq.mask_name(frame)
            gt = _read(gt_dir / seq.folder / name, "ground-truth")
            pred = _read(pred_dir / seq.folder / name, "prediction")
            acc.add_frame(pred, gt, seq.positives, sequence=seq.folder, frame=name)
    if progress is not None:
        progress(len(sequences), len(sequences), "done")
    return summarise(acc.samples, n_sequences=len(sequences)), acc
