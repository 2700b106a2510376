"""The ActionVOS dataset layout, built on disk the way data_prepare_visor.py writes it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from io_synthetic import synthetic_frames
from PIL import Image

from actionvos.errors import ClipError
from actionvos.io import FrameFolderClip
from actionvos.io.dataset import ActionVOSDataset, ObjectClass
from actionvos.palette import write_palette_png

SEQS = [
    {
        "seq_id": 12,
        "video": "P01_107",
        "start": 2510,
        "narration": "put cereals bag into cereals box",
        "verb": "put-into",
        "verb_class": 5,
        "noun": "bag:cereal",
        "noun_class": 99,
        "end": 2570,
        "sparse_frames": ["frame_0000002521.jpg", "frame_0000002559.jpg"],
        "object_classes": {
            "1": {
                "name": "cereal bag",
                "class_id": 99,
                "handbox": 1,
                "narration": 1,
                "positive": 1,
            },
            "2": {"name": "cup", "class_id": 13, "handbox": 0, "narration": 0, "positive": 0},
        },
        "redundant": False,
        "missing": False,
        "other": False,
    },
    {
        "seq_id": 223,
        "video": "P02_09",
        "start": 40840,
        "narration": "pick up two spoons",
        "verb": "pick-up",
        "verb_class": 2,
        "noun": "spoon",
        "noun_class": 7,
        "end": 40880,
        "sparse_frames": ["frame_0000040843.jpg", "frame_0000040873.jpg", "frame_0000040880.jpg"],
        "object_classes": {
            "1": {
                "name": "right hand",
                "class_id": 301,
                "handbox": 1,
                "narration": 0,
                "positive": 1,
            },
        },
    },
]


@pytest.fixture
def root(tmp_path):
    """A two-sequence val split (plus a val_human subset); masks for the first only."""
    frames = synthetic_frames(5)
    (tmp_path / "ImageSets").mkdir()
    (tmp_path / "ImageSets" / "val.json").write_text(json.dumps(SEQS))
    (tmp_path / "ImageSets" / "val_human.json").write_text(json.dumps(SEQS[1:]))
    k = 0
    for seq in SEQS:
        folder = f"{seq['seq_id']:08d}_{seq['video']}_{seq['verb']}_{seq['noun']}"
        img_dir = tmp_path / "JPEGImages_Sparse" / "val" / folder
        img_dir.mkdir(parents=True)
        for name in seq["sparse_frames"]:
            Image.fromarray(frames[k]).save(img_dir / name, quality=95)
            k += 1
    mask_dir = tmp_path / "Annotations_Sparse" / "val" / "00000012_P01_107_put-into_bag:cereal"
    mask_dir.mkdir(parents=True)
    for j, name in enumerate(SEQS[0]["sparse_frames"]):
        labels = np.zeros((64, 96), np.uint8)
        labels[10:30, 5 + j : 40] = 1
        labels[40:60, 50:90] = 2
        write_palette_png(mask_dir / name.replace(".jpg", ".png"), labels)
    return tmp_path


def test_sequences_carry_every_field(root):
    ds = ActionVOSDataset(root, "val")
    assert len(ds) == 2
    seq = ds.sequences[0]
    assert (seq.seq_id, seq.video, seq.verb, seq.noun) == (12, "P01_107", "put-into", "bag:cereal")
    assert (seq.start, seq.end, seq.narration) == (2510, 2570, "put cereals bag into cereals box")
    assert seq.sparse_frames == ["frame_0000002521.jpg", "frame_0000002559.jpg"]
    assert seq.folder_name == "00000012_P01_107_put-into_bag:cereal"
    assert (seq.verb_class, seq.noun_class) == (5, 99)
    assert seq.extra == {"redundant": False, "missing": False, "other": False}
    assert seq.object_classes == {
        1: ObjectClass(1, "cereal bag", 99, handbox=True, narration=True, positive=True),
        2: ObjectClass(2, "cup", 13, handbox=False, narration=False, positive=False),
    }
    assert [o.name for o in seq.positive_objects] == ["cereal bag"]
    assert ds.get(223).folder_name == "00000223_P02_09_pick-up_spoon"


def test_frames_and_masks_of_a_sequence(root):
    ds = ActionVOSDataset(root, "val")
    seq = ds.sequences[0]
    clip = ds.frames(seq)
    assert isinstance(clip, FrameFolderClip)
    assert clip.shape == (2, 64, 96, 3)
    assert clip.frame_names == ["frame_0000002521", "frame_0000002559"]
    assert np.abs(clip[1].astype(int) - synthetic_frames(5)[1]).mean() < 4
    masks = ds.masks(seq)
    assert masks.shape == (2, 64, 96) and masks.dtype == np.uint8
    assert masks[1, 10, 6] == 1 and masks[1, 10, 5] == 0 and masks[0, 50, 60] == 2
    assert ds.masks(ds.sequences[1]) is None  # not annotated


def test_subset_split_reads_the_parent_image_folder(root):
    ds = ActionVOSDataset(root, "val_human")
    assert [s.seq_id for s in ds] == [223]
    assert ds.image_split == "val"
    assert len(ds.frames(ds[0])) == 3


def test_missing_split_lists_the_ones_there(root):
    with pytest.raises(ClipError, match="val, val_human") as err:
        ActionVOSDataset(root, "train")
    assert "train.json" in str(err.value)


def test_missing_root(tmp_path):
    with pytest.raises(ClipError, match="does not exist"):
        ActionVOSDataset(tmp_path / "nope", "val")


def test_malformed_json_is_named(root):
    bad = root / "ImageSets" / "broken.json"
    bad.write_text("[{")
    with pytest.raises(ClipError, match="broken.json"):
        ActionVOSDataset(root, "broken")
    (root / "ImageSets" / "nofields.json").write_text(json.dumps([{"seq_id": 1}]))
    with pytest.raises(ClipError, match="lacks video") as err:
        ActionVOSDataset(root, "nofields")
    assert "nofields.json entry 0" in str(err.value)


def test_missing_frames_and_masks_are_named(root):
    ds = ActionVOSDataset(root, "val")
    seq = ds.sequences[0]
    (ds.frame_folder(seq) / "frame_0000002559.jpg").unlink()
    with pytest.raises(ClipError, match="frame_0000002559.jpg"):
        ds.frames(seq)
    (ds.mask_folder(seq) / "frame_0000002521.png").unlink()
    with pytest.raises(ClipError, match="frame_0000002521.png"):
        ds.masks(seq)


def test_demo_expression_file(root):
    demo = {
        "videos": {
            "00000223_P02_09_pick-up_spoon": {
                "expressions": {
                    "0": {"exp": "lid used in the action of pick up two spoons"},
                    "1": {"exp": "spoon used in the action of pick up two spoons"},
                },
                "frames": ["frame_0000040843", "frame_0000040873"],
            }
        }
    }
    (root / "ImageSets" / "expression_file.json").write_text(json.dumps(demo))
    ds = ActionVOSDataset(root, "expression_file")
    seq = ds[0]
    assert (seq.seq_id, seq.narration) == (223, "pick up two spoons")
    assert [o.name for o in seq.object_classes.values()] == ["lid", "spoon"]
    assert seq.folder_name == "00000223_P02_09_pick-up_spoon"
    assert ds.frames(seq).frame_names == ["frame_0000040843", "frame_0000040873"]


def _demo_layout(root, files: dict) -> None:
    (root / "ImageSets").mkdir(parents=True)
    for name, data in files.items():
        (root / "ImageSets" / name).write_text(json.dumps(data))
    folder = root / "JPEGImages_Sparse" / "val" / "00000012_P01_107_put-into_bag:cereal"
    folder.mkdir(parents=True)
    for k, name in enumerate(["frame_0000002521", "frame_0000002559"]):
        Image.fromarray(synthetic_frames(2)[k]).save(folder / f"{name}.jpg")


DEMO = {
    "videos": {
        "00000012_P01_107_put-into_bag:cereal": {
            "expressions": {
                "0": {"exp": "bread used in the action of put cereals bag into cereals box"},
                "1": {"exp": "cereal bag used in the action of put cereals bag into cereals box"},
            },
            "frames": ["frame_0000002521", "frame_0000002559"],
        }
    }
}


def test_the_official_inference_layout_opens_as_split_val(tmp_path):
    """demo_path/: no val.json, one freely named expression file, frames under val."""
    _demo_layout(tmp_path, {"expression_file.json": DEMO})
    ds = ActionVOSDataset(tmp_path, "val")
    assert ds.json_path.name == "expression_file.json" and not ds.is_split_list
    seq = ds[0]
    assert (seq.seq_id, seq.video, seq.verb, seq.noun) == (12, "P01_107", "put-into", "bag:cereal")
    assert seq.narration == "put cereals bag into cereals box"
    assert [(o.index, o.name) for o in seq.object_classes.values()] == [
        (1, "bread"),
        (2, "cereal bag"),
    ]
    assert seq.object_classes[2].expression.startswith("cereal bag used in")
    assert ds.frames(seq).frame_names == ["frame_0000002521", "frame_0000002559"]
    assert ds.masks(seq) is None


def test_an_expression_file_is_no_fallback_beside_split_lists(tmp_path):
    """Our own layouts keep <split>_meta_expressions files next to the split lists: asking
    for a split that is not there must not silently read another split's expressions."""
    _demo_layout(tmp_path, {"val.json": SEQS[:1], "val_meta_expressions.json": DEMO})
    with pytest.raises(ClipError, match="train.json does not exist"):
        ActionVOSDataset(tmp_path, "train")
    assert ActionVOSDataset(tmp_path, "val").is_split_list


def test_malformed_expression_files_are_named(tmp_path):
    bad = {"videos": {"seq": {"expressions": {"0": {"exp": "x"}}, "frames": "frame_1"}}}
    _demo_layout(tmp_path, {"expression_file.json": bad})
    with pytest.raises(ClipError, match="must be a list of frame names"):
        ActionVOSDataset(tmp_path, "val")
