"""The ActionVOS dataset layout: export what the official training reads, import it back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from store_synthetic import (
    VIDEO,
    digest,
    masks_by_name,
    new_store,
    standard_visor,
    write_hos,
    write_narrations,
)

from actionvos.errors import InputError
from actionvos.formats.actionvos_layout import export_actionvos_layout
from actionvos.formats.actionvos_layout_import import import_actionvos_layout
from actionvos.formats.epic_narrations import import_epic_narrations
from actionvos.formats.visor import import_visor
from actionvos.formats.visor_hos import import_visor_hos
from actionvos.io.dataset import ActionVOSDataset
from actionvos.palette import read_palette_png, write_palette_png
from actionvos.store import HandBox, Source, Store
from actionvos.store.pseudo_labels import apply_pseudo_labels


def _frame_rgb(frame: int) -> np.ndarray:
    rgb = np.zeros((54, 96, 3), np.uint8)
    rgb[..., 0] = frame * 5
    rgb[:, :, 1] = np.arange(96, dtype=np.uint8)[None, :]
    return rgb


def _labelled_store(tmp_path):
    ann, mapping = standard_visor(tmp_path)
    store = new_store(tmp_path)
    import_visor(store, ann, mapping)
    import_visor_hos(store, write_hos(tmp_path), mapping)
    import_epic_narrations(store, write_narrations(tmp_path))
    for action in store.actions():
        apply_pseudo_labels(store, action.id)
    store.save()
    return store


def _flags(entry: dict) -> dict[str, tuple[int, int, int]]:
    return {
        o["name"]: (o["handbox"], o["narration"], o["positive"])
        for o in entry["object_classes"].values()
    }


def _without_source(entry: dict) -> dict:
    return {
        k: {f: v for f, v in o.items() if f != "source"} for k, o in entry["object_classes"].items()
    }


def test_export_writes_the_official_layout_with_human_corrections_winning(tmp_path):
    store = _labelled_store(tmp_path)
    cut, wash = store.actions()
    knife = store.object_id("knife")
    assert store.activity(wash.id)[knife].active is True  # in a hand-object box: positive
    store.set_activity(wash.id, knife, False)  # the annotator disagrees
    root = tmp_path / "dataset"
    report = export_actionvos_layout(store, root, split="train", images=_frame_rgb)
    store.close()
    assert report.frames == 4 and report.images_written
    entries = json.loads((root / "ImageSets" / "train.json").read_text())
    assert [e["narration"] for e in entries] == ["cut onion with knife", "wash board"]
    first = entries[0]
    assert first["video"] == VIDEO and (first["start"], first["end"]) == (8, 24)
    assert first["sparse_frames"] == ["frame_0000000011.jpg", "frame_0000000021.jpg"]
    assert list(first["object_classes"]) == ["1", "2", "3", "4"]
    assert _flags(first) == {  # (handbox, narration, positive), objects sorted by name
        "chopping board": (0, 0, 0), "knife": (1, 1, 1), "left hand": (1, 0, 1),
        "right hand": (1, 0, 1),
    }  # fmt: skip
    assert _flags(entries[1])["knife"][2] == 0 and _flags(entries[1])["chopping board"][2] == 1

    folder = f"{first['seq_id']:08d}_{VIDEO}_cut_onion"
    mask = read_palette_png(root / "Annotations_Sparse" / "train" / folder / "frame_0000000011.png")
    assert set(np.unique(mask)) == {0, 1, 2, 3}  # board, knife, left hand (no right hand)
    assert Image.open(
        root / "JPEGImages_Sparse" / "train" / folder / "frame_0000000011.jpg"
    ).size == (
        96,
        54,
    )
    seq2 = f"{entries[1]['seq_id']:08d}_{VIDEO}_wash_board:chopping"
    wmask = read_palette_png(root / "Annotations_Sparse" / "train" / seq2 / "frame_0000000021.png")
    weights = read_palette_png(root / "Weights_Sparse" / "train" / seq2 / "frame_0000000021.png")
    assert set(np.unique(weights)) <= {1, 2, 3, 4}
    knife_k = int(next(k for k, o in entries[1]["object_classes"].items() if o["name"] == "knife"))
    assert (weights[wmask == knife_k] == 3).all()  # human "inactive" makes its pixels negative
    board_k = int(next(k for k, o in entries[1]["object_classes"].items() if o["name"] != "knife"
                       and o["narration"]))  # fmt: skip
    assert set(np.unique(weights[wmask == board_k])) <= {2, 4}

    # What copy_rf_actionvos_files.py would derive, which the official training code reads.
    exps = json.loads((root / "ImageSets" / "train_meta_expressions_promptaction.json").read_text())
    cats = json.loads((root / "ImageSets" / "train_objects_category.json").read_text())
    video = exps["videos"][folder]
    assert video["frames"] == ["frame_0000000011", "frame_0000000021"]
    assert video["expressions"]["1"] == {
        "exp": "knife used in the action of cut onion with knife",
        "obj_id": "2",
        "positive": 1,
        "class_id": 4,
    }
    assert cats["videos"][folder]["objects"]["2"]["category"] == "knife"


def test_import_then_export_then_import_gives_the_same_masks_and_flags(tmp_path):
    store = _labelled_store(tmp_path)
    store.set_activity(store.actions()[1].id, store.object_id("knife"), False)
    first_root = tmp_path / "first"
    export_actionvos_layout(store, first_root, split="train", images=_frame_rgb)
    original = masks_by_name(store)
    store.close()

    (tmp_path / "b").mkdir()
    copy = new_store(tmp_path / "b")
    report = import_actionvos_layout(copy, first_root, split="train")
    assert sorted(report.frames) == [10, 20, 30] and len(report.actions) == 2
    imported = masks_by_name(copy)
    assert imported.keys() == original.keys()
    for frame in original:
        assert np.array_equal(imported[frame], original[frame]), frame
    wash = copy.actions()[1]
    assert copy.activity(wash.id)[copy.object_id("knife")].active is False
    assert copy.activity(wash.id)[copy.object_id("knife")].source is Source.RULE
    second_root = tmp_path / "second"
    export_actionvos_layout(copy, second_root, split="train", images=_frame_rgb)
    copy.close()
    a = json.loads((first_root / "ImageSets" / "train.json").read_text())
    b = json.loads((second_root / "ImageSets" / "train.json").read_text())
    for x, y in zip(a, b, strict=True):
        for key in ("start", "end", "narration", "sparse_frames", "verb"):
            assert x[key] == y[key], key
        # Flags, names and rules survive; the import records every flag as rule-made.
        assert _without_source(x) == _without_source(y)
        assert {o["source"] for o in y["object_classes"].values()} <= {"rule", "computed"}
    knife_a = next(o for o in a[1]["object_classes"].values() if o["name"] == "knife")
    assert (knife_a["positive"], knife_a["source"], knife_a["rule"]) == (0, "human", "official")
    # The dataset reader sees the same sequences in both.
    assert [s.folder_name for s in ActionVOSDataset(second_root, "train")] == [
        s.folder_name for s in ActionVOSDataset(first_root, "train")
    ]


def test_exporting_a_second_clip_keeps_the_first_clips_sequences(tmp_path):
    store = _labelled_store(tmp_path)
    root = tmp_path / "dataset"
    export_actionvos_layout(store, root, split="val")
    store.close()
    (tmp_path / "o").mkdir()
    other = Store.create(tmp_path / "o" / "x.actionvos", n_frames=5, height=54, width=96,
                         video="P02_03")  # fmt: skip
    cup = other.add_object("cup", 9)
    lab = np.zeros((54, 96), np.uint16)
    lab[:5, :5] = cup
    other.set_masks(1, lab)
    other.add_action("take cup", 0, 4, verb="take", noun="cup")
    export_actionvos_layout(other, root, split="val")
    export_actionvos_layout(other, root, split="val")  # again: replaces, never duplicates
    other.close()
    entries = json.loads((root / "ImageSets" / "val.json").read_text())
    assert [e["video"] for e in entries] == [VIDEO, VIDEO, "P02_03"]
    assert len({e["seq_id"] for e in entries}) == 3
    assert len(list((root / "Annotations_Sparse" / "val").iterdir())) == 3


def test_a_layout_whose_masks_disagree_with_its_json_is_refused_untouched(tmp_path):
    store = _labelled_store(tmp_path)
    root = tmp_path / "dataset"
    export_actionvos_layout(store, root, split="train")
    store.close()
    entry = json.loads((root / "ImageSets" / "train.json").read_text())[0]
    folder = root / "Annotations_Sparse" / "train" / f"{entry['seq_id']:08d}_{VIDEO}_cut_onion"
    bad = np.zeros((54, 96), np.uint8)
    bad[0, 0] = 9
    write_palette_png(folder / "frame_0000000011.png", bad)
    (tmp_path / "b").mkdir()
    target = new_store(tmp_path / "b")
    target.close()
    before = digest(target.path)
    with Store.open(target.path) as s, pytest.raises(InputError, match="mask values"):
        import_actionvos_layout(s, root, split="train")
    with Store.open(target.path) as s, pytest.raises(InputError, match="splits found"):
        import_actionvos_layout(s, root, split="test")
    (root / "ImageSets" / "train.json").write_text('[{"seq_id": 1}]')
    with Store.open(target.path) as s, pytest.raises(InputError, match="lacks"):
        import_actionvos_layout(s, root, split="train")
    assert digest(target.path) == before


def _hand_and_plate_store(tmp_path, boxes_elsewhere: bool) -> Store:
    """A hand touching a plate in the frames of one action ("wash something").

    With ``boxes_elsewhere`` the clip has a hand-object box on a frame outside that action.
    """
    store = new_store(tmp_path)
    hand, plate = store.add_object("left hand", 300), store.add_object("plate", 2)
    lab = np.zeros((54, 96), np.uint16)
    lab[10:20, 10:20] = hand
    lab[10:20, 21:40] = plate  # one pixel from the hand: the contact rule's "touch"
    for frame in (5, 6):
        store.set_masks(frame, lab)
    if boxes_elsewhere:
        store.set_hand_boxes(30, [HandBox(2, 0.0, 0.0, 5.0, 5.0, (), None, None)])
    store.add_action("wash something", 4, 8, verb="wash", noun="something")
    store.save()
    return store


def _plate_entry(root) -> dict:
    entries = json.loads((root / "ImageSets" / "train.json").read_text())
    return next(o for o in entries[0]["object_classes"].values() if o["name"] == "plate")


def test_an_action_without_boxes_in_a_clip_with_boxes_is_labelled_by_the_official_rule(tmp_path):
    store = _hand_and_plate_store(tmp_path, boxes_elsewhere=True)
    export_actionvos_layout(store, tmp_path / "ds", split="train")
    store.close()
    plate = _plate_entry(tmp_path / "ds")
    # data_prepare_visor.py: no box on these frames, not in the narration -> negative (weight 5)
    assert (plate["handbox"], plate["narration"], plate["positive"]) == (0, 0, 0)
    assert plate["rule"] == "official"


def test_a_clip_without_any_boxes_uses_the_contact_rule_and_says_so(tmp_path):
    store = _hand_and_plate_store(tmp_path, boxes_elsewhere=False)
    export_actionvos_layout(store, tmp_path / "ds", split="train")
    store.close()
    plate = _plate_entry(tmp_path / "ds")
    assert (plate["handbox"], plate["narration"], plate["positive"]) == (0, 0, 1)
    assert plate["rule"] == "contact"
