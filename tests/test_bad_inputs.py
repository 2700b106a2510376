"""The failure corpus: realistic bad inputs, each refused with the right error and a message
that names the problem, and, where a store is involved, with the store's bytes unchanged.

Every case writes a real bad file (a truncated mp4, a pickle that would run code, a VISOR file
with ``{"x", "y"}`` points, ...) and runs the real reader or importer on it. The store cases
start from a store that already holds a human-verified frame, an object and an action, so
"nothing saved is lost" is tested against real content. Store-internal faults (corrupt
databases, chunks, two writers) live in ``test_bad_inputs_store.py``.
"""

from __future__ import annotations

import csv
import json
import pickle
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from digest import store_digest
from io_synthetic import synthetic_frames
from PIL import Image
from store_synthetic import NARRATION_HEADER, VIDEO, box_polygon, new_store, write_visor

from actionvos.checkpoints import load, load_official, save
from actionvos.errors import CheckpointError, ClipError, InputError
from actionvos.formats.actionvos_layout_import import import_actionvos_layout
from actionvos.formats.coco_rle import import_coco_rle
from actionvos.formats.epic_narrations import import_epic_narrations
from actionvos.formats.palette_folder import import_palette_folder
from actionvos.formats.visor import import_visor
from actionvos.formats.visor_hos import import_visor_hos
from actionvos.io import FrameFolderClip, VideoClip, open_clip, write_video
from actionvos.metrics import evaluate_folders
from actionvos.palette import write_palette_png
from actionvos.store import FrameState, Store

H, W = 54, 96  # the test stores' frame size


@dataclass(frozen=True)
class Case:
    """One bad input: ``make(tmp)`` writes it and returns the call that must refuse it."""

    name: str
    make: Callable[[Path], Callable[..., object]]
    error: type[Exception]
    match: str


# --------------------------------------------------------------------------- videos, folders


def _mp4(tmp: Path, n: int = 30, **kw) -> Path:
    return write_video(tmp / "full.mp4", synthetic_frames(n), gop=8, **kw)


def _cut(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def _truncated_mp4(tmp):
    cut = _cut(_mp4(tmp), tmp / "cut.mp4", 0.6)
    return lambda: open_clip(cut)


def _truncated_faststart_read_past_end(tmp):
    cut = _cut(_mp4(tmp, container_options={"movflags": "faststart"}), tmp / "cut.mp4", 0.5)

    def read_the_claimed_last_frame():
        with VideoClip(cut, index="none") as clip:  # unverified: trusts the header
            clip[clip.n_frames - 1]

    return read_the_claimed_last_frame


def _zero_byte(tmp):
    (tmp / "empty.mp4").touch()
    return lambda: open_clip(tmp / "empty.mp4")


def _noise_mp4(tmp):
    noise = np.random.default_rng(1).integers(0, 256, 30000, dtype=np.uint8).tobytes()
    (tmp / "noise.mp4").write_bytes(noise)
    return lambda: open_clip(tmp / "noise.mp4")


def _text_as_mkv(tmp):
    (tmp / "notes.mkv").write_text("shopping list\n" * 200)
    return lambda: open_clip(tmp / "notes.mkv")


def _video_named_png(tmp):
    path = tmp / "clip.png"
    path.write_bytes(_mp4(tmp).read_bytes())
    return lambda: open_clip(path)


def _audio_only(tmp):
    import av

    path = tmp / "audio.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 16000
        for _ in range(4):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return lambda: open_clip(path)


def _unknown_extension(tmp):
    (tmp / "notes.xyz").write_text("not a video\n" * 50)
    return lambda: open_clip(tmp / "notes.xyz")


def _missing_video(tmp):
    return lambda: open_clip(tmp / "nowhere.mp4")


def _folder_as_video(tmp):
    (tmp / "frames.mp4").mkdir()
    return lambda: VideoClip(tmp / "frames.mp4")


def _empty_folder(tmp):
    (tmp / "frames").mkdir()
    return lambda: open_clip(tmp / "frames")


def _folder_of_text(tmp):
    (tmp / "frames").mkdir()
    (tmp / "frames" / "readme.txt").write_text("no frames")
    return lambda: FrameFolderClip(tmp / "frames")


def _frames(tmp, sizes) -> Path:
    folder = tmp / "frames"
    folder.mkdir()
    for i, (h, w) in enumerate(sizes):
        Image.fromarray(synthetic_frames(1, h, w)[0]).save(folder / f"frame_{i + 1:010d}.png")
    return folder


def _mixed_sizes(tmp):
    folder = _frames(tmp, [(64, 96), (64, 96), (48, 64)])
    clip = open_clip(folder)
    return lambda: clip[2]


def _unreadable_frame(tmp):
    folder = _frames(tmp, [(64, 96)] * 3)
    (folder / "frame_0000000002.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    clip = open_clip(folder)
    return lambda: clip[1]


def _named_frame_missing(tmp):
    folder = _frames(tmp, [(64, 96)] * 2)
    return lambda: FrameFolderClip(folder, names=["frame_0000000001.png", "frame_0000000007.png"])


# ------------------------------------------------------------------------------ checkpoints

MARKER = "pickle_ran_code.txt"


class _RunsCode:
    """Unpickling this would write a marker file: a checkpoint must never execute it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def _pickle_with_code(tmp):
    path = tmp / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"model": _RunsCode(tmp / MARKER)}, f)
    return lambda: load_official(path)


def _torch_zip_with_code(tmp):
    import torch

    path = tmp / "evil_zip.pth"
    torch.save({"model": {"w": torch.zeros(1)}, "hook": _RunsCode(tmp / MARKER)}, path)
    return lambda: load_official(path)


def _native(tmp) -> Path:
    from network_models import fixture_model

    return save(fixture_model(), None, tmp / "model")


def _truncated_safetensors(tmp):
    folder = _native(tmp)
    weights = folder / "model.safetensors"
    _cut(weights, weights.with_suffix(".cut"), 0.5).replace(weights)
    return lambda: load(folder)


def _safetensors_wrong_keys(tmp):
    import torch
    from safetensors.torch import save_file

    folder = _native(tmp)
    save_file({"encoder.weight": torch.zeros(3, 3)}, str(folder / "model.safetensors"))
    return lambda: load(folder)


def _pth_wrong_keys(tmp):
    import torch

    path = tmp / "other.pth"
    torch.save({"model": {"conv1.weight": torch.zeros(4, 3, 3, 3)}}, path)
    return lambda: load_official(path)


def _text_as_pth(tmp):
    (tmp / "notes.pth").write_text("not a checkpoint")
    return lambda: load_official(tmp / "notes.pth")


def _native_folder_without_weights(tmp):
    folder = _native(tmp)
    (folder / "model.safetensors").unlink()
    return lambda: load(folder)


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

# ------------------------------------------------------------------------------ evaluate


def _eval_layout(tmp, entry_changes: dict | None = None, pred_size=(H, W)):
    entry = {
        "seq_id": 1, "video": VIDEO, "verb": "cut", "noun": "onion",
        "sparse_frames": ["frame_0000000011.jpg"],
        "object_classes": {"1": {"name": "knife", "positive": 1}},
    }  # fmt: skip
    entry.update(entry_changes or {})
    split = tmp / "val.json"
    split.write_text(json.dumps([entry]))
    for kind, size in (("gt", (H, W)), ("pred", pred_size)):
        folder = tmp / kind / f"00000001_{VIDEO}_cut_onion"
        folder.mkdir(parents=True)
        mask = np.zeros(size, np.uint8)
        mask[:4, :4] = 1
        write_palette_png(folder / "frame_0000000011.png", mask)
    return split


def _eval(tmp, **kw):
    split = _eval_layout(tmp, **kw)
    return lambda: evaluate_folders(tmp / "pred", tmp / "gt", split)


def _eval_no_pred(tmp):
    split = _eval_layout(tmp)
    return lambda: evaluate_folders(tmp / "predictions", tmp / "gt", split)


def _eval_split_text(tmp, text: str):
    _eval_layout(tmp)
    (tmp / "bad.json").write_text(text)
    return lambda: evaluate_folders(tmp / "pred", tmp / "gt", tmp / "bad.json")


def _eval_missing_mask(tmp):
    split = _eval_layout(tmp)
    (tmp / "pred" / f"00000001_{VIDEO}_cut_onion" / "frame_0000000011.png").unlink()
    return lambda: evaluate_folders(tmp / "pred", tmp / "gt", split)


EVALUATE_CASES = [
    Case("evaluate: missing pred folder", _eval_no_pred, InputError, "prediction folder .* does"),
    Case(
        "evaluate: mismatched sizes",
        lambda t: _eval(t, pred_size=(27, 48)),
        InputError,
        "differ in size",
    ),
    Case(
        "evaluate: split not JSON",
        lambda t: _eval_split_text(t, "[{"),
        InputError,
        "is not valid JSON",
    ),
    Case(
        "evaluate: split is an object",
        lambda t: _eval_split_text(t, '{"videos": 1}'),
        InputError,
        "must be a list of sequences",
    ),
    Case(
        "evaluate: sparse_frames null",
        lambda t: _eval(t, entry_changes={"sparse_frames": None}),
        InputError,
        "sparse_frames must be a list, got null",
    ),
    Case(
        "evaluate: sparse_frames a string",
        lambda t: _eval(t, entry_changes={"sparse_frames": "frame_0000000011.jpg"}),
        InputError,
        "sparse_frames must be a list, got str",
    ),
    Case(
        "evaluate: positive 'yes'",
        lambda t: _eval(t, entry_changes={"object_classes": {"1": {"positive": "yes"}}}),
        InputError,
        "positive 'yes' must be 0 or 1",
    ),
    Case("evaluate: missing prediction mask", _eval_missing_mask, ClipError, "is missing"),
]

FILE_CASES = [
    Case("video: truncated mp4", _truncated_mp4, ClipError, "truncated"),
    Case(
        "video: truncated faststart mp4 read past its end",
        _truncated_faststart_read_past_end,
        ClipError,
        "the video ends after frame",
    ),
    Case("video: zero bytes", _zero_byte, ClipError, r"empty \(0 bytes\)"),
    Case("video: noise named .mp4", _noise_mp4, ClipError, "cannot open .* as a video"),
    Case("video: text named .mkv", _text_as_mkv, ClipError, "cannot open .* as a video"),
    Case("video: video named .png", _video_named_png, ClipError, "is a single image"),
    Case("video: sound only", _audio_only, ClipError, "has no video stream"),
    Case("video: unknown extension", _unknown_extension, ClipError, "is not a supported clip"),
    Case("video: missing", _missing_video, ClipError, "does not exist"),
    Case("video: a folder", _folder_as_video, ClipError, "is a folder, not a video file"),
    Case("frames: empty folder", _empty_folder, ClipError, "has no jpg/png frames"),
    Case("frames: only text", _folder_of_text, ClipError, "no jpg/png"),
    Case("frames: mixed sizes", _mixed_sizes, ClipError, "must be one size"),
    Case("frames: unreadable file", _unreadable_frame, ClipError, "cannot read frame"),
    Case("frames: named frame missing", _named_frame_missing, ClipError, "missing"),
    Case("checkpoint: pickle with code", _pickle_with_code, CheckpointError, "weights_only"),
    Case("checkpoint: torch file with code", _torch_zip_with_code, CheckpointError, "weights_only"),
    Case(
        "checkpoint: truncated safetensors",
        _truncated_safetensors,
        CheckpointError,
        "may be truncated",
    ),
    Case(
        "checkpoint: safetensors with wrong keys",
        _safetensors_wrong_keys,
        CheckpointError,
        "encoder.weight",
    ),
    Case("checkpoint: pth with wrong keys", _pth_wrong_keys, CheckpointError, "conv1.weight"),
    Case("checkpoint: text named .pth", _text_as_pth, CheckpointError, "notes.pth"),
    Case(
        "checkpoint: folder without weights",
        _native_folder_without_weights,
        CheckpointError,
        "model.safetensors is missing",
    ),
    *EVALUATE_CASES,
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.name for c in FILE_CASES])
def test_bad_file_is_refused_with_a_message_naming_the_problem(tmp_path, case: Case) -> None:
    run = case.make(tmp_path)
    with pytest.raises(case.error, match=case.match):
        run()
    assert not (tmp_path / MARKER).exists()  # no pickle ever ran code


@pytest.fixture
def labelled_store(tmp_path) -> Path:
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


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c.name for c in IMPORT_CASES])
def test_bad_import_is_refused_and_the_store_is_unchanged(
    tmp_path, labelled_store: Path, case: Case
) -> None:
    src = tmp_path / "input"
    src.mkdir()
    run = case.make(src)
    before = store_digest(labelled_store)
    with Store.open(labelled_store) as store:
        with pytest.raises(case.error, match=case.match):
            run(store)
        assert store.frame_state(10) is FrameState.HUMAN
    assert store_digest(labelled_store) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(FILE_CASES) + len(IMPORT_CASES) >= 45
    assert len({c.name for c in FILE_CASES + IMPORT_CASES}) == len(FILE_CASES + IMPORT_CASES)


# ------------------------------------------------------------------ disks and the CLI


def _cli(capsys, *argv: str) -> tuple[int, str]:
    from actionvos.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KiB tmpfs (root and mount(8) needed; skipped elsewhere)."""
    import subprocess

    where = tmp_path / "disk"
    where.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here: {exc}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def _remount_read_only(where: Path) -> None:
    import subprocess

    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def test_an_os_error_becomes_one_line_naming_the_path(labelled_store, capsys) -> None:
    target = "/dev/null/labels.json"  # a path under a file: fails the same for root
    code, err = _cli(capsys, "store", "export", str(labelled_store), "coco", target)
    assert code == 1
    assert "Traceback" not in err
    assert "cannot use /dev/null/labels.json: Not a directory" in err and "check the path" in err


def test_a_bug_keeps_its_traceback_and_says_to_report_it(monkeypatch, capsys) -> None:
    import actionvos.cli.store as store_cli

    def broken(args):
        raise ZeroDivisionError("a bug in the code")

    monkeypatch.setattr(store_cli, "cmd_check", broken)
    code, err = _cli(capsys, "store", "check", "whatever.actionvos")
    assert code == 70
    assert "Traceback" in err and "ZeroDivisionError: a bug in the code" in err
    assert "this is a bug in actionvos" in err and "issue tracker" in err


def test_a_failed_export_write_leaves_the_old_file_and_no_temporary(
    tmp_path, labelled_store, monkeypatch, capsys
) -> None:
    import errno

    import actionvos.formats.atomic as atomic

    out = tmp_path / "labels.json"
    out.write_text("the previous export")

    def disk_full(self, text, encoding=None):
        with open(self, "w", encoding=encoding) as f:
            f.write(text[:10])  # part of it got out before the disk filled
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(atomic.Path, "write_text", disk_full)
    before = store_digest(labelled_store)
    code, err = _cli(capsys, "store", "export", str(labelled_store), "coco", str(out))
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert out.read_text() == "the previous export"
    assert _leftovers(tmp_path) == []
    assert store_digest(labelled_store) == before


def test_palette_export_onto_a_full_disk(small_disk, labelled_store, capsys) -> None:
    (small_disk / "filler").write_bytes(b"\0" * (256 * 1024 - 4096))
    out = small_disk / "masks"
    code, err = _cli(capsys, "store", "export", str(labelled_store), "palette", str(out))
    assert code == 1
    assert "No space left on device" in err and "free some space" in err
    assert _leftovers(small_disk) == []
    assert not (out / "00010.png").exists() or (out / "00010.png").stat().st_size > 0


def test_read_only_disk_in_export_create_and_undo(small_disk, labelled_store, capsys) -> None:
    code, _ = _cli(capsys, "store", "create", "--frames", "3", "--height", "8", "--width", "8",
                   "--store", str(small_disk / "kept.actionvos"))  # fmt: skip
    assert code == 0
    clip = _mp4(small_disk.parent, 8)
    _remount_read_only(small_disk)
    for argv in (
        ("store", "export", str(labelled_store), "coco", str(small_disk / "labels.json")),
        ("store", "export", str(labelled_store), "palette", str(small_disk / "masks")),
        ("store", "create", "--frames", "3", "--height", "8", "--width", "8", "--store",
         str(small_disk / "new.actionvos")),
        ("store", "undo", str(small_disk / "kept.actionvos")),
        ("predict", str(clip), "--narration", "cut apple", "--objects", "knife",
         "--checkpoint", str(small_disk / "no-model"), "--out", str(small_disk / "pred")),
    ):  # fmt: skip
        code, err = _cli(capsys, *argv)
        assert code == 1, argv
        assert "Traceback" not in err, err
        assert "Read-only file system" in err or "read-only" in err, err
    assert not (small_disk / "new.actionvos").exists()


def test_store_create_sizes_the_store_by_the_frames_that_decode(tmp_path, capsys) -> None:
    full = _mp4(tmp_path, 40, container_options={"movflags": "faststart"})
    cut = _cut(full, tmp_path / "cut.mp4", 0.5)
    code, err = _cli(capsys, "store", "create", str(cut))
    assert code == 0
    assert "claims 40 frames but only" in err
    with (
        Store.open(tmp_path / "cut.mp4.actionvos", read_only=True) as store,
        open_clip(cut) as clip,
    ):
        assert store.n_frames == clip.verify_frame_count() < 40
        clip[store.n_frames - 1]  # the store's last frame decodes


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (OSError(28, "No space left on device", "/data/x.png"), "/data/x.png: No space left"),
        (OSError(30, "Read-only file system", "/mnt/ro/x"), "choose a folder on a writable"),
        (sqlite3.OperationalError("database or disk is full"), "database or disk is full"),
    ],
)
def test_environment_failures_are_one_line(monkeypatch, capsys, error, shown) -> None:
    import actionvos.cli.store as store_cli

    def fails(args):
        raise error

    monkeypatch.setattr(store_cli, "cmd_check", fails)
    code, err = _cli(capsys, "store", "check", "whatever.actionvos")
    assert code == 1 and shown in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_other_sqlite_errors_are_bugs(monkeypatch, capsys) -> None:
    import actionvos.cli.store as store_cli

    def fails(args):
        raise sqlite3.OperationalError("no such column: colour")

    monkeypatch.setattr(store_cli, "cmd_check", fails)
    code, err = _cli(capsys, "store", "check", "whatever.actionvos")
    assert code == 70 and "Traceback" in err and "no such column" in err
