"""COCO instance annotations with RLE masks (pycocotools), one category per store object.

::

    {"info": {"video": ..., "height": H, "width": W},
     "images": [{"id": frame + 1, "file_name": "frame_0000000001.jpg", "frame": frame,
                 "height": H, "width": W, "state": "human-verified"}, ...],
     "categories": [{"id": object_id, "name": ..., "epic_class_id": ...}, ...],
     "annotations": [{"id", "image_id", "category_id", "segmentation": {"size", "counts"},
                      "area", "bbox": [x, y, w, h], "iscrowd": 0}, ...],
     "actions": [{"id", "narration", "start_frame", "end_frame", "verb", "noun",
                  "activity": {object_id: {"active", "source", "probability"}}}, ...]}

Store masks do not overlap, so each pixel is in at most one annotation; on import, later
annotations cover earlier ones if a foreign file does overlap.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from actionvos.errors import InputError
from actionvos.formats.atomic import write_text
from actionvos.formats.common import ImportReport, Progress, load_json, tick
from actionvos.formats.fields import (
    as_class_id,
    as_dict,
    as_flag,
    as_int,
    as_list,
    as_number,
    as_str,
)
from actionvos.store import FrameState, Source, Store


def _frames(store: Store, frames: Iterable[int] | None, states) -> list[int]:
    if frames is not None:
        return sorted(int(f) for f in frames)
    return store.labelled_frames(states)


def export_coco_rle(
    store: Store,
    path: str | Path,
    *,
    frames: Iterable[int] | None = None,
    states: Iterable[FrameState] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the labelled frames (or ``frames``) as a COCO RLE file; returns annotations."""
    states = list(states) if states is not None else None
    chosen = _frames(store, frames, states)
    images, annotations = [], []
    for n, frame in enumerate(chosen):
        tick(progress, cancel, n, len(chosen), "exporting COCO RLE")
        labels = store.read_frame(frame)
        images.append(
            {
                "id": frame + 1,
                "file_name": store.frame_name(frame) + ".jpg",
                "frame": frame,
                "height": store.height,
                "width": store.width,
                "state": store.frame_state(frame).value,
            }
        )
        for oid in np.unique(labels):
            if oid == 0:
                continue
            rle = mask_utils.encode(np.asfortranarray(labels == oid, dtype=np.uint8))
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": frame + 1,
                    "category_id": int(oid),
                    "segmentation": {"size": rle["size"], "counts": rle["counts"].decode()},
                    "area": int(mask_utils.area(rle)),
                    "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                    "iscrowd": 0,
                }
            )
    categories = [
        {"id": o.id, "name": o.name, "epic_class_id": o.class_id, "colour": o.colour}
        for o in store.objects()
    ]
    actions = []
    for a in store.actions():
        activity = {
            str(oid): {"active": r.active, "source": r.source.value, "probability": r.probability}
            for oid, r in store.activity(a.id).items()
        }
        actions.append(
            {
                "id": a.id,
                "narration": a.narration,
                "start_frame": a.start_frame,
                "end_frame": a.end_frame,
                "verb": a.verb,
                "noun": a.noun,
                "activity": activity,
            }
        )
    data = {
        "info": {"video": store.video, "height": store.height, "width": store.width},
        "images": images,
        "categories": categories,
        "annotations": annotations,
        "actions": actions,
    }
    write_text(path, json.dumps(data))
    return len(annotations)


MAX_CATEGORY = 65_535  # category ids are store object ids, held in uint16 label maps
MAX_SIDE = 65_535
_SOURCES = {s.value for s in Source}


def _categories(data: dict, path: Path) -> dict[int, dict]:
    cats = {}
    for i, c in enumerate(as_list(data["categories"], str(path), "categories")):
        where = f"{path} categories[{i}]"
        if not isinstance(c, dict) or "id" not in c or "name" not in c:
            raise InputError(f"{where} needs 'id' and 'name'")
        cid = as_int(c["id"], where, "category id", lo=1, hi=MAX_CATEGORY)
        cats[cid] = {
            "name": as_str(c["name"], where, "name").strip(),
            "epic_class_id": as_class_id(c.get("epic_class_id"), where, "epic_class_id"),
        }
    return cats


def _images(data: dict, path: Path) -> dict[int, tuple[int, int, int]]:
    images = {}
    for i, img in enumerate(data["images"]):
        where = f"{path} images[{i}]"
        if not isinstance(img, dict) or not {"id", "height", "width"} <= set(img):
            raise InputError(f"{path} images[{i}] needs 'id', 'height' and 'width'")
        image_id = as_int(img["id"], where, "id")
        frame = as_int(img.get("frame", image_id - 1), where, "frame")
        height = as_int(img["height"], where, "height", lo=1, hi=MAX_SIDE)
        width = as_int(img["width"], where, "width", lo=1, hi=MAX_SIDE)
        images[image_id] = (frame, height, width)
    return images


def _activity(raw: object, where: str) -> dict[int, dict]:
    out = {}
    for key, flag in as_dict(raw or {}, where, "activity").items():
        oid = as_int(key, where, "activity object id", lo=1, hi=MAX_CATEGORY)
        flag = as_dict(flag, where, f"activity {key!r}")
        active = flag.get("active")
        source = flag.get("source", "rule")
        if source not in _SOURCES:
            raise InputError(
                f"{where}: activity {key!r} source {source!r} is not one of {_SOURCES}"
            )
        prob = flag.get("probability")
        if prob is not None:
            prob = as_number(prob, where, f"activity {key!r} probability")
            if not 0.0 <= prob <= 1.0:
                raise InputError(f"{where}: activity {key!r} probability {prob} is not in 0..1")
        out[oid] = {
            "active": None if active is None else as_flag(active, where, f"activity {key!r}"),
            "source": Source(source),
            "probability": prob,
        }
    return out


def _actions(data: dict, path: Path) -> list[dict]:
    raw = data.get("actions") or []
    out = []
    for i, a in enumerate(raw if isinstance(raw, list) else [None]):
        where = f"{path} actions[{i}]"
        if not isinstance(a, dict) or not {"narration", "start_frame", "end_frame"} <= set(a):
            raise InputError(f"{where} needs narration, start_frame and end_frame")
        start = as_int(a["start_frame"], where, "start_frame")
        end = as_int(a["end_frame"], where, "end_frame")
        if end < start:
            raise InputError(f"{where}: end_frame {end} is before start_frame {start}")
        verb, noun = a.get("verb"), a.get("noun")
        out.append(
            {
                "narration": as_str(a["narration"], where, "narration").strip(),
                "start_frame": start,
                "end_frame": end,
                "verb": None if verb is None else as_str(verb, where, "verb", empty=True),
                "noun": None if noun is None else as_str(noun, where, "noun", empty=True),
                "activity": _activity(a.get("activity"), where),
            }
        )
    return out


def _decode(counts: str | list[int], h: int, w: int, where: str) -> np.ndarray:
    """A checked RLE mask. pycocotools decodes damaged counts into garbage without a word
    (runs past the image fill it with stray values), so a compressed string must encode
    back to itself."""
    rle = {"size": [h, w], "counts": counts.encode() if isinstance(counts, str) else counts}
    try:
        if isinstance(counts, list):
            rle = mask_utils.frPyObjects(rle, h, w)
        with warnings.catch_warnings():  # pycocotools' own numpy-2 deprecation notice
            warnings.simplefilter("ignore", DeprecationWarning)
            decoded = mask_utils.decode(rle)
    except Exception as exc:  # pycocotools raises plain exceptions on bad counts
        raise InputError(f"{where}: the RLE cannot be decoded ({exc})") from None
    if isinstance(counts, str):
        again = mask_utils.encode(np.asfortranarray((decoded == 1).astype(np.uint8)))
        if decoded.max(initial=0) > 1 or again["counts"].decode() != counts:
            raise InputError(
                f"{where}: the RLE cannot be decoded (its counts do not describe a {h}x{w} mask)"
            )
    return decoded.astype(bool)


def read_coco_rle(path: str | Path) -> tuple[dict[int, dict], dict[int, np.ndarray], list]:
    """(categories by id, label maps by frame, actions) from a file this module wrote.

    Every field is checked (types, ranges, references) before the caller writes anything.
    """
    path = Path(path)
    data = load_json(path, "COCO RLE file")
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise InputError(f"{path} needs 'images', 'annotations' and 'categories' lists")
    cats = _categories(data, path)
    images = _images(data, path)
    labels = {f: np.zeros((h, w), np.uint16) for f, h, w in images.values()}
    for i, ann in enumerate(data["annotations"]):
        where = f"{path} annotations[{i}]"
        if not isinstance(ann, dict) or not {"image_id", "category_id", "segmentation"} <= set(ann):
            raise InputError(f"{where} needs image_id, category_id and segmentation")
        image_id = as_int(ann["image_id"], where, "image_id")
        category = as_int(ann["category_id"], where, "category_id", lo=1, hi=MAX_CATEGORY)
        if image_id not in images:
            raise InputError(f"{where}: image_id {image_id} is not among the images")
        if category not in cats:
            raise InputError(f"{where}: category_id {category} is not a category")
        frame, h, w = images[image_id]
        seg = ann["segmentation"]
        if not isinstance(seg, dict) or list(seg.get("size", [])) != [h, w]:
            raise InputError(f"{where}: segmentation must be RLE of size [{h}, {w}]")
        counts = seg.get("counts")
        if not isinstance(counts, str) and not (
            isinstance(counts, list)
            and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)
        ):
            raise InputError(f"{where}: RLE counts must be a string or a list of counts")
        if isinstance(counts, list) and sum(counts) != h * w:
            raise InputError(
                f"{where}: the RLE cannot be decoded (its runs cover {sum(counts)} pixels, "
                f"not {h}x{w})"
            )
        labels[frame][_decode(counts, h, w, where)] = category
    return cats, labels, _actions(data, path)


def import_coco_rle(
    store: Store,
    path: str | Path,
    *,
    state: FrameState = FrameState.HUMAN,
    overwrite: bool = False,
    save: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import masks, objects and activity flags written by ``export_coco_rle``."""
    cats, labels, actions = read_coco_rle(path)
    for frame, lab in labels.items():
        if lab.shape != (store.height, store.width) or not 0 <= frame < store.n_frames:
            raise InputError(
                f"{path}: frame {frame} of size {lab.shape} does not fit this store "
                f"({store.n_frames} frames of {store.height}x{store.width})"
            )
    for a in actions:
        if a["end_frame"] >= store.n_frames:
            raise InputError(
                f"{path}: action {a['narration']!r} ends at frame {a['end_frame']}, past this "
                f"store's {store.n_frames} frames"
            )
    report = ImportReport()
    with store.import_step("import COCO RLE masks"):
        lut = np.zeros(max(cats, default=0) + 1, dtype=np.uint16)
        for cid, cat in sorted(cats.items()):
            lut[cid] = store.ensure_object(cat["name"], cat["epic_class_id"])
            report.objects.append(cat["name"])
        for n, (frame, lab) in enumerate(sorted(labels.items())):
            tick(progress, cancel, n, len(labels), "importing COCO RLE")
            if store.frame_state(frame) is FrameState.HUMAN and not overwrite:
                report.skipped.append(f"frame {frame} is already human-verified")
                continue
            store.set_masks(frame, lut[lab], state, record=False, overwrite_human=True)
            report.frames.append(frame)
        for a in actions:
            start, end = a["start_frame"], a["end_frame"]
            match = [
                x.id
                for x in store.actions()
                if (x.start_frame, x.end_frame, x.narration) == (start, end, a["narration"])
            ]
            action_id = (
                match[0]
                if match
                else store.add_action(
                    a["narration"], start, end, verb=a.get("verb"), noun=a.get("noun")
                )
            )
            if not match:
                report.actions.append(action_id)
            for oid, flag in a["activity"].items():
                if oid < len(lut) and lut[oid]:
                    store.set_activity(
                        action_id,
                        int(lut[oid]),
                        flag["active"],
                        source=flag["source"],
                        probability=flag["probability"],
                        record=False,
                    )
    if save:
        store.save()
    return report
