"""Predict every sequence of a dataset split into the official output layout.

``OUT/<sequence folder>/<frame>.png``: one palette PNG per sparse frame, value k = object k
of the split file (the k-th expression of an expression file), 0 = background; this is what
the official inference writes and ``actionvos evaluate`` scores. Each sequence goes through
the engine once, exactly as ``actionvos predict CLIP`` runs a clip. ``OUT/predict.json``
(written last, by rank 0 once every rank is done) records each sequence's objects, prompts,
positive probabilities and gate decisions; its presence means the whole split finished.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from actionvos.batch.sharding import ProcessGroup, Shard
from actionvos.engine.prompts import build_prompt, normalize_text
from actionvos.errors import InputError
from actionvos.io.dataset import ActionVOSDataset, Sequence
from actionvos.palette import write_palette_png

#: progress(sequence folder, frames done, frames of the sequence, message)
SequenceProgress = Callable[[str, int, int, str], None]
SUMMARY = "predict.json"
_PARTS = ".predict-parts"


@dataclass
class SplitPrediction:
    """What this process wrote: its sequences (all of them for a single process)."""

    out: Path
    sequences: list[str] = field(default_factory=list)
    frames: int = 0
    summary: Path | None = None  # OUT/predict.json, on rank 0


def sequence_prompts(seq: Sequence) -> tuple[list[str], list[str]]:
    """Object names (label order) and their captions: an expression file's own caption,
    else the official template from the name and the narration."""
    objects = [seq.object_classes[k] for k in sorted(seq.object_classes)]
    names = [o.name for o in objects]
    prompts = [
        normalize_text(o.expression) if o.expression else build_prompt(o.name, seq.narration)
        for o in objects
    ]
    return names, prompts


def _label_lut(seq: Sequence) -> np.ndarray | None:
    """Engine label k (k-th object) -> the object's key, when keys are not simply 1..K."""
    keys = sorted(seq.object_classes)
    if keys == list(range(1, len(keys) + 1)):
        return None
    if keys and keys[-1] > 255:
        raise InputError(f"sequence {seq.folder_name} has object key {keys[-1]}; PNGs hold 255")
    lut = np.zeros(256, dtype=np.uint8)
    lut[1 : len(keys) + 1] = keys
    return lut


def predict_sequence(
    engine,
    dataset: ActionVOSDataset,
    seq: Sequence,
    out_dir: Path,
    *,
    per_object: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict:
    """Segment one sequence and write its PNGs into ``out_dir``; return its record."""
    clip = dataset.frames(seq)
    png = [f"{Path(str(n)).stem}.png" for n in clip.frame_names]
    out_dir.mkdir(parents=True, exist_ok=True)
    names, prompts = sequence_prompts(seq)
    record: dict = {"narration": seq.narration, "frames": len(clip), "objects": []}
    if not names:  # nothing to look for: every pixel is background
        h, w = np.asarray(clip[0]).shape[:2]
        for name in png:
            write_palette_png(out_dir / name, np.zeros((h, w), dtype=np.uint8))
        return record
    lut = _label_lut(seq)

    def write_window(result, window) -> None:
        for t in range(window.start, window.stop):
            labels = result.label_map(t)
            write_palette_png(out_dir / png[t], labels if lut is None else lut[labels])

    result = engine.run_prompts(
        clip,
        names,
        prompts,
        per_object=per_object,
        progress=progress,
        cancel=cancel,
        on_window=write_window,
        keep_masks=False,
    )
    record["objects"] = result.summary()
    record["threshold"] = result.threshold
    return record


def check_out(out: Path, dataset: ActionVOSDataset, overwrite: bool) -> None:
    """Refuse an output folder that already holds predictions, unless told to replace them."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    if overwrite or not out.is_dir():
        return
    taken = [s.folder_name for s in dataset if any((out / s.folder_name).glob("*.png"))]
    if taken or (out / SUMMARY).exists():
        what = f"masks of {len(taken)} sequences" if taken else SUMMARY
        raise InputError(f"{out} already holds {what}; choose another --out or pass --overwrite")


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def predict_split(
    engine,
    dataset: ActionVOSDataset,
    out: str | Path,
    *,
    shard: Shard | None = None,
    group: ProcessGroup | None = None,
    per_object: bool = False,
    overwrite: bool = False,
    info: dict | None = None,
    progress: SequenceProgress | None = None,
    cancel: threading.Event | None = None,
) -> SplitPrediction:
    """Predict this shard's sequences of ``dataset`` into ``out`` (see the module doc).

    Sequences are sorted by folder name and dealt to ranks round-robin. ``group`` (needed
    when ``shard`` has several ranks) provides the barriers; ``info`` goes into the summary.
    """
    shard = shard or Shard()
    if group is None:
        if shard.distributed:
            raise ValueError("a sharded run needs its entered ProcessGroup for the barriers")
        group = ProcessGroup(shard)
    if group.shard != shard:
        raise ValueError("the process group belongs to another shard")
    out = Path(out)
    check_out(out, dataset, overwrite)
    group.barrier()  # every rank has checked before any rank writes
    mine = shard.take(sorted(dataset, key=lambda s: s.folder_name))
    parts = out / _PARTS
    parts.mkdir(parents=True, exist_ok=True)
    done = SplitPrediction(out)
    for seq in mine:
        folder = seq.folder_name
        target = out / folder
        if overwrite and target.is_dir():
            shutil.rmtree(target)

        def report(i: int, n: int, message: str, folder: str = folder) -> None:
            if progress is not None:
                progress(folder, i, n, message)

        record = predict_sequence(
            engine, dataset, seq, target, per_object=per_object, progress=report, cancel=cancel
        )
        _write_json(parts / f"{folder}.json", record)
        done.sequences.append(folder)
        done.frames += int(record["frames"])
    group.barrier()  # every rank has written its sequences
    if shard.is_main:
        sequences = {}
        for seq in sorted(dataset, key=lambda s: s.folder_name):
            part = parts / f"{seq.folder_name}.json"
            sequences[seq.folder_name] = json.loads(part.read_text(encoding="utf-8"))
        summary = {
            "dataset": str(dataset.root),
            "split": dataset.split,
            "split_file": str(dataset.json_path),
            **(info or {}),
            "sequences": sequences,
        }
        done.summary = out / SUMMARY
        _write_json(done.summary, summary)
        shutil.rmtree(parts, ignore_errors=True)
    return done
