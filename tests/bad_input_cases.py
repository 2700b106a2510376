"""The importer half of the failure corpus: one builder per bad input, and a labelled store.

Each ``Case.make(tmp)`` writes a real bad file and returns the call that must refuse it
(``run(store)`` for importers). Used by ``test_bad_inputs.py`` (and its CLI companion).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from io_synthetic import synthetic_frames
from PIL import Image
from store_synthetic import NARRATION_HEADER, VIDEO, box_polygon, new_store, write_visor

from actionvos.errors import InputError
from actionvos.formats.actionvos_layout_import import import_actionvos_layout
from actionvos.formats.coco_rle import import_coco_rle
from actionvos.formats.epic_narrations import import_epic_narrations
from actionvos.formats.palette_folder import import_palette_folder
from actionvos.formats.visor import import_visor
from actionvos.formats.visor_hos import import_visor_hos
from actionvos.io import write_video
from actionvos.palette import write_palette_png
from actionvos.store import FrameState

H, W = 54, 96  # the test stores' frame size
MARKER_NAME = "pickle_ran_code.txt"  # written if a checkpoint ever runs pickled code


@dataclass(frozen=True)
class Case:
    """One bad input: ``make(tmp)`` writes it and returns the call that must refuse it."""

    name: str
    make: Callable[[Path], Callable[..., object]]
    error: type[Exception]
    match: str


def write_mp4(tmp: Path, n: int = 30, **kw) -> Path:
    return write_video(tmp / "full.mp4", synthetic_frames(n), gop=8, **kw)


def cut_file(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def make_labelled_store(tmp_path: Path) -> Path:
    """A saved store with a human-verified frame (10), an object and an action."""
    store = new_store(tmp_path)
    bowl = store.add_object("bowl", 10)
    lab = np.zeros((H, W), np.uint16)
    lab[20:30, 40:60] = bowl
    store.set_masks(10, lab, FrameState.HUMAN)
    store.add_action("wash bowl", 5, 15, verb="wash", noun="bowl")
    store.save()
    store.close()
    return store.path


# ----------------------------------------------------------------------------- importers
# Each returns ``run(store)``; the store already holds a verified frame and an action.


def _visor(tmp, entities: list[dict], number: int = 11):
    ann, mapping = write_visor(tmp, {number: entities})
    return lambda store: import_visor(store, ann, mapping)


def _visor_raw(tmp, data: object):
    path = tmp / "visor.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return lambda store: import_visor(store, path)


_KNIFE = box_polygon(450, 500, 900, 650)
_VISOR_CASES = [
    Case(
        "visor: points as {x, y}",
        lambda t: _visor(t, [{"name": "knife", "segments": [[{"x": 1, "y": 2}] * 3]}]),
        InputError,
        r"polygon points must be \[x, y\] pairs",
    ),
    Case(
        "visor: class id beyond SQLite",
        lambda t: _visor(t, [{"name": "knife", "class_id": 2**70, "segments": [_KNIFE]}]),
        InputError,
        "class id 1180591620717411303424 is outside the range",
    ),
    Case(
        "visor: class id 'seven'",
        lambda t: _visor(t, [{"name": "knife", "class_id": "seven", "segments": [_KNIFE]}]),
        InputError,
        "class id 'seven' is not an integer",
    ),
    Case(
        "visor: name is a number",
        lambda t: _visor(t, [{"name": 7, "segments": [_KNIFE]}]),
        InputError,
        "the object name must be a string",
    ),
    Case(
        "visor: segments is a string",
        lambda t: _visor(t, [{"name": "knife", "segments": "450,500"}]),
        InputError,
        "'segments' must be a list, got str",
    ),
    Case(
        "visor: NaN coordinate",
        lambda t: _visor_raw(
            t,
            '{"video_annotations": [{"image": {"name": "frame_0000000011.jpg"}, "annotations":'
            ' [{"name": "knife", "segments": [[[NaN, 1], [2, 3], [4, 5]]]}]}]}',
        ),
        InputError,
        "is not finite",
    ),
    Case(
        "visor: not JSON",
        lambda t: _visor_raw(t, '{"video_annotations": [ '),
        InputError,
        "is not valid JSON",
    ),
    Case(
        "visor: no video_annotations",
        lambda t: _visor_raw(t, {"annotations": []}),
        InputError,
        "has no 'video_annotations' list",
    ),
    Case(
        "visor: frame outside the clip",
        lambda t: _visor(t, [{"name": "knife", "segments": [_KNIFE]}], number=5000),
        InputError,
        "outside this clip",
    ),
]


def _hos(tmp, image: dict | None = None, ann: dict | None = None):
    img = {"id": 1, "file_name": f"{VIDEO}_frame_0000000011.jpg", "width": 1920, "height": 1080}
    box = {"id": 1, "image_id": 1, "category_id": 2, "bbox": [10, 10, 50, 50]}
    img.update(image or {})
    box.update(ann or {})
    path = tmp / "hos.json"
    path.write_text(json.dumps({"images": [img], "annotations": [box], "categories": []}))
    return lambda store: import_visor_hos(store, path)


_HOS_CASES = [
    Case(
        "hos: image_id 'seven'",
        lambda t: _hos(t, ann={"image_id": "seven"}),
        InputError,
        "image_id 'seven' is not an integer",
    ),
    Case("hos: width 0", lambda t: _hos(t, image={"width": 0}), InputError, "width 0 is outside"),
    Case(
        "hos: handside 'left'",
        lambda t: _hos(t, ann={"handside": "left"}),
        InputError,
        "handside 'left' is not an integer",
    ),
    Case(
        "hos: isincontact 5",
        lambda t: _hos(t, ann={"isincontact": 5}),
        InputError,
        "isincontact 5 is outside",
    ),
    Case(
        "hos: category 3",
        lambda t: _hos(t, ann={"category_id": 3}),
        InputError,
        "VISOR-HOS uses 1 \\(hand\\) and 2 \\(object\\)",
    ),
    Case(
        "hos: negative box",
        lambda t: _hos(t, ann={"bbox": [10, 10, -5, 20]}),
        InputError,
        "negative size",
    ),
    Case(
        "hos: unknown image",
        lambda t: _hos(t, ann={"image_id": 99}),
        InputError,
        "image_id 99 is not in 'images'",
    ),
    Case(
        "hos: bbox coordinate is a string",
        lambda t: _hos(t, ann={"bbox": [10, "ten", 5, 5]}),
        InputError,
        "coordinate 'ten' is not a number",
    ),
]


def _epic(tmp, **changes):
    row = {
        "narration_id": f"{VIDEO}_0", "video_id": VIDEO, "start_frame": "8", "stop_frame": "24",
        "narration": "cut onion", "verb": "cut", "verb_class": "7", "noun": "onion",
        "noun_class": "13", "all_nouns": "['onion']", "all_noun_classes": "[13]",
    }  # fmt: skip
    row.update(changes)
    path = tmp / "EPIC_100_train.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=NARRATION_HEADER)
        writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in NARRATION_HEADER})
    return lambda store: import_epic_narrations(store, path)


def _epic_no_columns(tmp):
    path = tmp / "narrations.csv"
    path.write_text("video_id,text\nP01_107,cut onion\n")
    return lambda store: import_epic_narrations(store, path)


_EPIC_CASES = [
    Case("epic: missing columns", _epic_no_columns, InputError, "lacks the columns"),
    Case(
        "epic: verb class beyond SQLite",
        lambda t: _epic(t, verb_class=str(2**64)),
        InputError,
        "verb_class: the value 18446744073709551616 is outside the range",
    ),
    Case(
        "epic: huge noun class in the list",
        lambda t: _epic(t, all_noun_classes=f"[13, {2**63}]"),
        InputError,
        "class id 9223372036854775808 is outside the range",
    ),
    Case(
        "epic: code in all_nouns",
        lambda t: _epic(t, all_nouns="__import__('os').system('true')"),
        InputError,
        "is not a Python list literal",
    ),
    Case(
        "epic: stop before start",
        lambda t: _epic(t, start_frame="30", stop_frame="10"),
        InputError,
        "stop_frame 10 is before start_frame 30",
    ),
    Case(
        "epic: start frame 'abc'",
        lambda t: _epic(t, start_frame="abc"),
        InputError,
        "start_frame: the value 'abc' is not an integer",
    ),
    Case(
        "epic: another video only",
        lambda t: _epic(t, video_id="P99_01"),
        InputError,
        "has no narrations of video",
    ),
]


def _layout(tmp, **changes):
    root = tmp / "dataset"
    entry = {
        "seq_id": 1, "video": VIDEO, "narration": "cut onion", "verb": "cut", "noun": "onion",
        "start": 8, "end": 24, "sparse_frames": ["frame_0000000011.jpg"],
        "object_classes": {"1": {"name": "knife", "class_id": 4, "handbox": 1, "narration": 0,
                                 "positive": 1}},
    }  # fmt: skip
    entry.update(changes)
    (root / "ImageSets").mkdir(parents=True)
    (root / "ImageSets" / "train.json").write_text(json.dumps([entry]))
    folder = root / "Annotations_Sparse" / "train" / f"00000001_{VIDEO}_cut_onion"
    folder.mkdir(parents=True)
    mask = np.zeros((H, W), np.uint8)
    mask[5:10, 5:10] = 1
    write_palette_png(folder / "frame_0000000011.png", mask)
    return lambda store: import_actionvos_layout(store, root, split="train")


def _layout_no_split(tmp):
    _layout(tmp)  # a train split only
    return lambda store: import_actionvos_layout(store, tmp / "dataset", split="val")


_LAYOUT_CASES = [
    Case(
        "layout: sparse_frames null",
        lambda t: _layout(t, sparse_frames=None),
        InputError,
        "sparse_frames must be a list, got null",
    ),
    Case(
        "layout: sparse_frames a string",
        lambda t: _layout(t, sparse_frames="frame_0000000011.jpg"),
        InputError,
        "sparse_frames must be a list, got str",
    ),
    Case(
        "layout: object_classes a list",
        lambda t: _layout(t, object_classes=[{"name": "knife"}]),
        InputError,
        r"object_classes must be an object \(\{...\}\), got list",
    ),
    Case(
        "layout: seq_id beyond SQLite",
        lambda t: _layout(t, seq_id=2**64),
        InputError,
        "seq_id 18446744073709551616 is outside the range",
    ),
    Case(
        "layout: class id 'x'",
        lambda t: _layout(t, object_classes={"1": {"name": "knife", "class_id": "x"}}),
        InputError,
        "class_id 'x' is not an integer",
    ),
    Case("layout: split missing", _layout_no_split, InputError, "splits found"),
]


def _coco(tmp, **changes):
    from pycocotools import mask as mask_utils

    m = np.zeros((H, W), np.uint8, order="F")
    m[5:10, 5:10] = 1
    rle = mask_utils.encode(m)
    data = {
        "images": [{"id": 12, "frame": 11, "height": H, "width": W}],
        "categories": [{"id": 1, "name": "knife", "epic_class_id": 4}],
        "annotations": [
            {"id": 1, "image_id": 12, "category_id": 1,
             "segmentation": {"size": [H, W], "counts": rle["counts"].decode()}}
        ],
        "actions": [{"narration": "cut onion", "start_frame": 8, "end_frame": 24,
                     "activity": {"1": {"active": True, "source": "rule"}}}],
    }  # fmt: skip
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][0][field] = value
        else:
            data[section] = value
    path = tmp / "labels.json"
    path.write_text(json.dumps(data))
    return lambda store: import_coco_rle(store, path)


_COCO_CASES = [
    Case(
        "coco: category id beyond uint16",
        lambda t: _coco(t, categories__id=2**40),
        InputError,
        "category id 1099511627776 is outside the range 1..65535",
    ),
    Case(
        "coco: activity source 'robot'",
        lambda t: _coco(t, actions__activity={"1": {"active": 1, "source": "robot"}}),
        InputError,
        "source 'robot' is not one of",
    ),
    Case(
        "coco: probability 7",
        lambda t: _coco(t, actions__activity={"1": {"active": 1, "probability": 7}}),
        InputError,
        "probability 7.0 is not in 0..1",
    ),
    Case(
        "coco: RLE garbage",
        lambda t: _coco(t, annotations__segmentation={"size": [H, W], "counts": "\x7f\x7f"}),
        InputError,
        "the RLE cannot be decoded",
    ),
    Case(
        "coco: RLE runs that overflow the image",
        lambda t: _coco(t, annotations__segmentation={"size": [H, W], "counts": [10**6, 5]}),
        InputError,
        "its runs cover 1000005 pixels",
    ),
    Case(
        "coco: RLE of another size",
        lambda t: _coco(t, annotations__segmentation={"size": [2, 2], "counts": "04"}),
        InputError,
        "segmentation must be RLE of size",
    ),
    Case(
        "coco: action past the clip",
        lambda t: _coco(t, actions__end_frame=4000),
        InputError,
        "past this store's 40 frames",
    ),
    Case(
        "coco: image height 'tall'",
        lambda t: _coco(t, images__height="tall"),
        InputError,
        "height 'tall' is not an integer",
    ),
]


def _palette(tmp, labels: np.ndarray | None = None, objects: dict | None = None):
    folder = tmp / "masks"
    folder.mkdir()
    if labels is None:
        labels = np.zeros((H, W), np.uint8)
        labels[:4, :4] = 1
    write_palette_png(folder / "00011.png", labels)
    if objects is not None:
        (folder / "objects.json").write_text(json.dumps(objects))
    return lambda store: import_palette_folder(store, folder)


def _palette_not_png(tmp):
    folder = tmp / "masks"
    folder.mkdir()
    (folder / "00011.png").write_text("a text file named like a mask")
    return lambda store: import_palette_folder(store, folder)


def _palette_rgb(tmp):
    folder = tmp / "masks"
    folder.mkdir()
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[0, 0] = (12, 34, 56)
    Image.fromarray(rgb).save(folder / "00011.png")
    return lambda store: import_palette_folder(store, folder)


_PALETTE_CASES = [
    Case(
        "palette: wrong size",
        lambda t: _palette(t, np.ones((10, 10), np.uint8)),
        InputError,
        "the store's frames are 96x54",
    ),
    Case("palette: not a PNG", _palette_not_png, InputError, "cannot read mask"),
    Case("palette: colour not in the palette", _palette_rgb, InputError, "not in the DAVIS"),
    Case(
        "palette: label 999 in objects.json",
        lambda t: _palette(t, objects={"999": {"name": "knife"}}),
        InputError,
        "label value 999 is outside the range 1..255",
    ),
    Case(
        "palette: class id huge in objects.json",
        lambda t: _palette(t, objects={"1": {"name": "knife", "class_id": 2**63}}),
        InputError,
        "class_id 9223372036854775808 is outside the range",
    ),
    Case(
        "palette: folder missing",
        lambda t: lambda store: import_palette_folder(store, t / "nowhere"),
        InputError,
        "does not exist",
    ),
]

IMPORT_CASES = (
    _VISOR_CASES + _HOS_CASES + _EPIC_CASES + _LAYOUT_CASES + _COCO_CASES + _PALETTE_CASES
)
