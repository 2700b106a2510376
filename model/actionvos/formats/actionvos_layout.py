"""Export a store as the ActionVOS dataset layout the official training code reads.

::

    root/ImageSets/<split>.json                       one entry per action (sequence)
    root/JPEGImages_Sparse/<split>/<folder>/<frame>.jpg
    root/Annotations_Sparse/<split>/<folder>/<frame>.png   palette, value k = object k
    root/Weights_Sparse/<split>/<folder>/<frame>.png       raw action-guided weights 1..4
    root/ImageSets/<split>_meta_expressions_promptaction.json and <split>_objects_category.json
                                                       (what ``copy_rf_actionvos_files.py`` makes)

``<folder>`` is ``f"{seq_id:08d}_{video}_{verb}_{noun}"``; objects of a sequence are numbered
1..K by sorted name over its frames, as ``data_prepare_visor.py`` does. Flags: a human's
correction overrides the pseudo-label (see ``store.pseudo_labels.final_flags``); each object
entry also records ``rule`` (``official``, or ``contact`` when only our contact fallback made
it positive) and ``source`` (who set the flag). Exporting
another clip into the same root replaces only that clip's sequences.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from actionvos.errors import InputError
from actionvos.formats.atomic import write_jpeg, write_palette, write_text
from actionvos.formats.common import Progress, tick
from actionvos.labeling import (
    REASON_CONTACT,
    RULE_CONTACT,
    RULE_OFFICIAL,
    ObjectLabel,
    label_objects,
    raw_weight_map,
)
from actionvos.store import FrameState, Store
from actionvos.store.pseudo_labels import (
    ActionObjects,
    FinalFlags,
    action_objects,
    final_flags,
    hos_for_frames,
)

PROMPT = "{name} used in the action of {narration}"
RAW_NEGATIVE, RAW_HAND_OR_NARRATION = 3, 2
_UNSAFE = '<>:"/\\|?*' if os.name == "nt" else "/"


@dataclass
class ExportReport:
    sequences: list[str] = field(default_factory=list)
    frames: int = 0
    skipped: list[str] = field(default_factory=list)
    images_written: bool = False

    def summary(self) -> str:
        text = f"{len(self.sequences)} sequences, {self.frames} frames"
        if not self.images_written:
            text += " (no JPEG images: pass the clip to write JPEGImages_Sparse)"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} actions: " + "; ".join(self.skipped[:3])
        return text


def _safe(text: str) -> str:
    text = "-".join(str(text).split())
    return "".join("-" if c in _UNSAFE else c for c in text) or "none"


def folder_name(seq_id: int, video: str, verb: str, noun: str) -> str:
    return f"{seq_id:08d}_{video}_{_safe(verb)}_{_safe(noun)}"


def _resized(labels: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or (labels.shape[1], labels.shape[0]) == tuple(size):
        return labels
    return np.asarray(Image.fromarray(labels.astype(np.uint8)).resize(size, Image.NEAREST))


def weight_maps(
    store: Store, seq: ActionObjects, flags: list[FinalFlags], human: list[bool]
) -> np.ndarray:
    """Raw weights per frame; a human's verdict then wins over the rule on that object."""
    boxes, _ = hos_for_frames(store, seq.frames)
    narration = [f.narration for f in flags]
    positive = [f.positive for f in flags]
    out = np.empty(seq.masks.shape, dtype=np.uint8)
    for t in range(len(seq.frames)):
        raw = raw_weight_map(seq.masks[t], narration, positive, hand_object_boxes=boxes[t])
        for k, (flag, by_human) in enumerate(zip(flags, human, strict=True), start=1):
            if not by_human:
                continue
            on = seq.masks[t] == k
            if flag.positive:
                raw[on & (raw == RAW_NEGATIVE)] = RAW_HAND_OR_NARRATION
            else:
                raw[on] = RAW_NEGATIVE
        out[t] = raw
    return out


def clip_labels(store: Store, seq: ActionObjects) -> list[ObjectLabel]:
    """The rule's labels for one sequence, judged per clip as the official preparation does.

    The contact fallback is for clips with no hand-object annotation at all; an action whose
    own frames have no boxes in a store that has boxes elsewhere keeps the official rule.
    """
    action = store.action(seq.action_id)
    boxes, _ = hos_for_frames(store, seq.frames)
    return label_objects(
        seq.masks,
        seq.names,
        action.narration,
        class_ids=[store.object(i).class_id for i in seq.object_ids],
        action_noun_classes=list(action.all_noun_classes) or None,
        hand_object_boxes=boxes,
        clip_has_hand_objects=bool(store.hand_box_frames()),
    )


def flag_rules(
    store: Store, seq: ActionObjects, flags: list[FinalFlags], computed: list[ObjectLabel]
) -> list[str]:
    """Which rule produced each exported positive flag: ``official`` or ``contact``."""
    stored = store.activity(seq.action_id)
    out = []
    for oid, flag, label in zip(seq.object_ids, flags, computed, strict=True):
        rule = label.rule if flag.source == "computed" else RULE_OFFICIAL
        if flag.source == "rule":  # a stored pseudo-label: its own reasons tell
            row = stored.get(oid)
            reasons = (row.reasons or {}).get("reasons", []) if row is not None else []
            by_contact = REASON_CONTACT in reasons and not (flag.handbox or flag.narration)
            rule = RULE_CONTACT if flag.positive and by_contact else RULE_OFFICIAL
        out.append(rule)
    return out


def _entry(
    store: Store, seq: ActionObjects, seq_id: int, flags: list[FinalFlags], rules: list[str]
) -> dict:
    action = store.action(seq.action_id)
    objects = {}
    for k, (oid, flag, rule) in enumerate(zip(seq.object_ids, flags, rules, strict=True), 1):
        obj = store.object(oid)
        objects[str(k)] = {
            "name": obj.name,
            "class_id": -1 if obj.class_id is None else obj.class_id,
            "handbox": int(flag.handbox),
            "narration": int(flag.narration),
            "positive": int(flag.positive),
            "rule": rule,
            "source": flag.source,
        }
    return {
        "seq_id": seq_id,
        "video": store.video,
        "start": action.start_frame + store.frame_number_base,
        "narration": action.narration,
        "verb": action.verb or "",
        "verb_class": action.verb_class,
        "noun": action.noun or "",
        "noun_class": action.noun_class,
        "end": action.end_frame + store.frame_number_base,
        "sparse_frames": [store.frame_name(f) + ".jpg" for f in seq.frames],
        "object_classes": objects,
    }


def _entry_folder(entry: dict) -> str:
    return folder_name(entry["seq_id"], entry["video"], entry["verb"], entry["noun"])


def _write_json(path: Path, data: object) -> None:
    write_text(path, json.dumps(data))


def expression_files(entries: list[dict]) -> tuple[dict, dict]:
    """The two files the official ReferFormer training reads, built from the split list."""
    expressions: dict = {"videos": {}}
    categories: dict = {"videos": {}}
    for entry in entries:
        exps, objs = {}, {}
        for i, (k, obj) in enumerate(entry["object_classes"].items()):
            exps[str(i)] = {
                "exp": PROMPT.format(name=obj["name"], narration=entry["narration"]),
                "obj_id": k,
                "positive": obj["positive"],
                "class_id": obj["class_id"],
            }
            objs[k] = {
                "category": obj["name"],
                "positive": obj["positive"],
                "class_id": obj["class_id"],
            }
        frames = [Path(f).stem for f in entry["sparse_frames"]]
        expressions["videos"][_entry_folder(entry)] = {"expressions": exps, "frames": frames}
        categories["videos"][_entry_folder(entry)] = {"objects": objs}
    return expressions, categories


def export_actionvos_layout(
    store: Store,
    root: str | Path,
    *,
    split: str = "train",
    images: Callable[[int], np.ndarray] | None = None,
    states: Iterable[FrameState] | None = None,
    size: tuple[int, int] | None = None,
    use_model: bool = False,
    min_frames: int = 1,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ExportReport:
    """Write every action with labelled frames as one ActionVOS sequence.

    ``images(frame)`` gives the RGB frame for ``JPEGImages_Sparse`` (e.g. ``clip.frame``);
    ``size=(width, height)`` resizes like the official preparation (854x480); ``states``
    limits frames (e.g. only human-verified ones).
    """
    root = Path(root)
    split_json = root / "ImageSets" / f"{split}.json"
    old: list = []
    if split_json.exists():
        try:
            old = json.loads(split_json.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read {split_json} to add to it ({exc}); move it") from None
        if not isinstance(old, list):
            raise InputError(f"{split_json} is not an ActionVOS split list; move it aside")
    others = [e for e in old if isinstance(e, dict) and e.get("video") != store.video]
    mine_before = [e for e in old if isinstance(e, dict) and e.get("video") == store.video]
    next_id = max((int(e.get("seq_id", 0)) for e in others), default=0) + 1
    states = list(states) if states is not None else None

    report = ExportReport(images_written=images is not None)
    work = []
    for action in store.actions():
        seq = action_objects(store, action.id, states)
        if len(seq.frames) < max(1, min_frames) or not seq.object_ids:
            why = "no objects" if seq.frames else "no labelled frames"
            report.skipped.append(f"{action.narration!r} ({why})")
            continue
        work.append(seq)

    for e in mine_before:  # the clip's earlier export, replaced below
        for kind in ("JPEGImages_Sparse", "Annotations_Sparse", "Weights_Sparse"):
            shutil.rmtree(root / kind / split / _entry_folder(e), ignore_errors=True)
    entries = []
    for n, seq in enumerate(work):
        tick(progress, cancel, n, len(work), "exporting ActionVOS sequences")
        if len(seq.object_ids) > 255:
            raise InputError(
                f"action {seq.action_id} has {len(seq.object_ids)} objects; palette PNGs hold 255"
            )
        computed = clip_labels(store, seq)
        flags = final_flags(store, seq, computed, use_model=use_model)
        human = [f.source == "human" for f in flags]
        entry = _entry(store, seq, next_id + n, flags, flag_rules(store, seq, flags, computed))
        folder = _entry_folder(entry)
        dirs = {k: root / k / split / folder for k in ("JPEGImages_Sparse", "Annotations_Sparse")}
        dirs["Weights_Sparse"] = root / "Weights_Sparse" / split / folder
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        weights = weight_maps(store, seq, flags, human)
        for t, frame in enumerate(seq.frames):
            name = store.frame_name(frame)
            write_palette(dirs["Annotations_Sparse"] / f"{name}.png", _resized(seq.masks[t], size))
            write_palette(dirs["Weights_Sparse"] / f"{name}.png", _resized(weights[t], size))
            if images is not None:
                rgb = Image.fromarray(np.asarray(images(frame), dtype=np.uint8))
                if size is not None and rgb.size != tuple(size):
                    rgb = rgb.resize(size, Image.BILINEAR)
                write_jpeg(dirs["JPEGImages_Sparse"] / f"{name}.jpg", rgb)
        entries.append(entry)
        report.sequences.append(folder)
        report.frames += len(seq.frames)

    merged = others + entries
    (root / "ImageSets").mkdir(parents=True, exist_ok=True)
    expressions, categories = expression_files(merged)
    _write_json(root / "ImageSets" / f"{split}_meta_expressions_promptaction.json", expressions)
    _write_json(root / "ImageSets" / f"{split}_objects_category.json", categories)
    _write_json(split_json, merged)
    return report
