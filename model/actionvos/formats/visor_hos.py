"""VISOR-HOS hand-object annotations (COCO style, as ActionVOS's ``visor_hos_<split>.json``).

::

    {"images": [{"id": 7, "file_name": "P01_107_frame_0000000140.jpg",
                 "width": 1920, "height": 1080}, ...],
     "annotations": [{"image_id": 7, "category_id": 1 (hand) or 2 (object in contact),
                      "bbox": [x, y, w, h], "segmentation": [[x0, y0, x1, y1, ...], ...],
                      "handside": 0/1, "isincontact": -1/0/1}, ...]}

ActionVOS uses the category-2 boxes as the "hand-object boxes" of its labeling rule. Boxes
and polygons are scaled from the image size to the store's frame size.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actionvos.errors import InputError
from actionvos.formats.common import (
    ImportReport,
    Progress,
    load_json,
    polygon_points,
    rasterise,
    tick,
)
from actionvos.formats.fields import as_dict, as_int, as_number, as_str
from actionvos.formats.visor import read_frame_mapping, visor_frame
from actionvos.store import HandBox, Store

HAND, OBJECT = 1, 2
HAND_SIDES = (0, 1)  # left, right
CONTACT_STATES = (-1, 0, 1)  # unknown, no contact, contact
MAX_IMAGE_SIDE = 65_535


@dataclass(frozen=True)
class HosImage:
    """One image's hand-object annotations, in the image's own pixels."""

    name: str
    width: int
    height: int
    boxes: tuple[HandBox, ...]


def _side(raw: dict, key: str, allowed: tuple[int, ...], where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    out = as_int(value, where, key, lo=min(allowed), hi=max(allowed))
    if out not in allowed:
        raise InputError(f"{where}: {key} {value!r} must be one of {allowed}")
    return out


def _annotation(raw: Any, where: str) -> tuple[int, HandBox]:
    raw = as_dict(raw, where, "an annotation")
    for key in ("image_id", "category_id", "bbox"):
        if key not in raw:
            raise InputError(f"{where}: the annotation lacks {key!r}")
    image_id = as_int(raw["image_id"], where, "image_id")
    category = raw["category_id"]
    if isinstance(category, bool) or category not in (HAND, OBJECT):
        raise InputError(
            f"{where}: category_id {category!r}; VISOR-HOS uses 1 (hand) and 2 (object)"
        )
    bbox = raw["bbox"]
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise InputError(f"{where}: bbox must be [x, y, w, h], got {bbox!r}")
    x, y, w, h = (as_number(v, f"{where} bbox", "coordinate") for v in bbox)
    if w < 0 or h < 0:
        raise InputError(f"{where}: bbox {bbox} has a negative size; COCO boxes are x, y, w, h")
    segm = raw.get("segmentation") or []
    if not isinstance(segm, list):
        raise InputError(f"{where}: segmentation must be a list of flat polygons (not RLE)")
    polygons = tuple(
        tuple(v for pt in polygon_points(p, f"{where} polygon {i}", flat=True) for v in pt)
        for i, p in enumerate(segm)
    )
    box = HandBox(
        category=int(category),
        x=x,
        y=y,
        w=w,
        h=h,
        polygons=polygons,
        handside=_side(raw, "handside", HAND_SIDES, where),  # 0 left, 1 right
        in_contact=_side(raw, "isincontact", CONTACT_STATES, where),
    )
    return image_id, box


def _size(img: dict, key: str, default: int, where: str) -> int:
    return as_int(img.get(key, default), where, key, lo=1, hi=MAX_IMAGE_SIDE)


def read_visor_hos(path: str | Path) -> dict[str, HosImage]:
    """Hand-object annotations by image file name (checked; nothing is written)."""
    data = load_json(path, "VISOR-HOS annotation file")
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise InputError(f"{path} has no 'images' list; is it a COCO-style VISOR-HOS file?")
    if not isinstance(data.get("annotations"), list):
        raise InputError(f"{path} has no 'annotations' list; is it a COCO-style VISOR-HOS file?")
    images: dict[int, tuple[str, int, int]] = {}
    for i, img in enumerate(data["images"]):
        where = f"{path} images[{i}]"
        if not isinstance(img, dict) or not {"id", "file_name"} <= set(img):
            raise InputError(f"{where}: an image needs 'id' and 'file_name'")
        image_id = as_int(img["id"], where, "id")
        if image_id in images:
            raise InputError(f"{where}: image id {image_id} is used twice")
        name = as_str(img["file_name"], where, "file_name")
        images[image_id] = (
            name,
            _size(img, "width", 1920, where),
            _size(img, "height", 1080, where),
        )
    boxes: dict[int, list[HandBox]] = {}
    for j, raw in enumerate(data["annotations"]):
        image_id, box = _annotation(raw, f"{path} annotations[{j}]")
        if image_id not in images:
            raise InputError(f"{path} annotations[{j}]: image_id {image_id} is not in 'images'")
        boxes.setdefault(image_id, []).append(box)
    return {
        name: HosImage(name, w, h, tuple(boxes.get(i, ()))) for i, (name, w, h) in images.items()
    }


def scale_box(box: HandBox, sx: float, sy: float) -> HandBox:
    polygons = tuple(
        tuple(v * (sx if k % 2 == 0 else sy) for k, v in enumerate(p)) for p in box.polygons
    )
    return HandBox(
        box.category, box.x * sx, box.y * sy, box.w * sx, box.h * sy, polygons,
        box.handside, box.in_contact,
    )  # fmt: skip


def object_boxes_xyxy(boxes: Iterable[HandBox]) -> list[tuple[float, float, float, float]]:
    """Category-2 boxes as ``(x0, y0, x1, y1)``, the hand-object boxes of the labeling rule."""
    return [(b.x, b.y, b.x + b.w, b.y + b.h) for b in boxes if b.category == OBJECT]


def object_mask(boxes: Iterable[HandBox], height: int, width: int) -> np.ndarray:
    """Union of the category-2 polygons (the in-contact objects' masks)."""
    polys = [
        [(p[i], p[i + 1]) for i in range(0, len(p), 2)]
        for b in boxes
        if b.category == OBJECT
        for p in b.polygons
    ]
    return rasterise(polys, height, width)


def import_visor_hos(
    store: Store,
    path: str | Path,
    frame_mapping: str | Path | None = None,
    *,
    video: str | None = None,
    save: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Store the hand and in-contact object boxes of this store's video, all or nothing."""
    video = video or store.video
    images = {n: img for n, img in read_visor_hos(path).items() if n.startswith(f"{video}_")}
    if not images:
        raise InputError(
            f"{path} has no images of video {video} (names starting {video}_); pick the "
            "split file that holds this video, or pass the right video id"
        )
    mapping = read_frame_mapping(frame_mapping, video) if frame_mapping is not None else None
    placed = []
    report = ImportReport()
    for name, img in sorted(images.items()):
        index = visor_frame(store, name, mapping, f"{path} ({name})")
        if not 0 <= index < store.n_frames:
            report.skipped.append(f"{name} is frame {index}, outside the clip")
            continue
        sx, sy = store.width / img.width, store.height / img.height
        placed.append((index, [scale_box(b, sx, sy) for b in img.boxes]))
    with store.atomic():
        for n, (index, boxes) in enumerate(placed):
            tick(progress, cancel, n, len(placed), "importing VISOR-HOS boxes")
            store.set_hand_boxes(index, boxes)
            report.frames.append(index)
    if save:
        store.save()
    return report
