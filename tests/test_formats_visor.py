"""VISOR sparse masks and VISOR-HOS boxes into a store; bad files change nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from store_synthetic import digest, new_store, standard_visor, write_hos, write_visor

from actionvos.errors import InputError
from actionvos.formats.visor import import_visor
from actionvos.formats.visor_hos import import_visor_hos, object_boxes_xyxy, object_mask
from actionvos.store import FrameState, Store


def test_visor_polygons_land_on_the_mapped_frames_scaled_and_in_order(tmp_path):
    ann, mapping = standard_visor(tmp_path)
    with new_store(tmp_path) as store:  # 96x54 frames: VISOR's 1920x1080 scaled by 1/20
        report = import_visor(store, ann, mapping)
        assert report.frames == [10, 20, 30]  # EPIC frames 11, 21, 31, counted from 1
        assert store.labelled_frames() == [10, 20, 30]
        assert store.frame_state(20) is FrameState.HUMAN
        ids = {o.name: o.id for o in store.objects()}
        assert {o.name: o.class_id for o in store.objects()} == {
            "chopping board": 14, "knife": 4, "left hand": 300, "right hand": 301
        }  # fmt: skip
        lab = store.read_frame(10)
        assert lab[28, 30] == ids["knife"]  # (x 600, y 560) inside the knife only
        assert lab[31, 23] == ids["left hand"]  # knife and hand overlap: the later one wins
        assert lab[18, 55] == ids["chopping board"]  # the board's second polygon
        assert lab[5, 5] == 0
        assert not (store.read_frame(30) == ids["knife"]).any()
        # Polygons are filled with their outline, as cv2.fillPoly does: x 450..900 -> 22..45.
        cols = np.flatnonzero((lab == ids["knife"]).any(axis=0))
        assert cols.min() == 22 and cols.max() == 45
        # an import is one undoable step (issue 11), not one per frame
        assert [c.label for c in store.history()] == ["import VISOR annotations"]


def test_reimport_keeps_human_corrections_unless_asked(tmp_path):
    ann, mapping = standard_visor(tmp_path)
    with new_store(tmp_path) as store:
        import_visor(store, ann, mapping)
        erased = np.zeros((54, 96), np.uint16)
        store.set_masks(20, erased)
        report = import_visor(store, ann, mapping)
        assert 20 not in report.frames and report.skipped
        assert not store.read_frame(20).any()
        import_visor(store, ann, mapping, overwrite=True)
        assert store.read_frame(20).any()


def test_hos_boxes_of_this_video_are_scaled_to_the_store(tmp_path):
    hos = write_hos(tmp_path)
    _, mapping = standard_visor(tmp_path)
    with new_store(tmp_path) as store:
        report = import_visor_hos(store, hos, mapping)
        assert report.frames == [10, 20]
        boxes = store.hand_boxes(10)
        assert [b.category for b in boxes] == [1, 2]
        assert object_boxes_xyxy(boxes) == [(22.0, 24.5, 46.0, 33.0)]
        assert boxes[0].handside == 0 and boxes[0].in_contact == 1
        mask = object_mask(boxes, 54, 96)
        assert mask[28, 30] and not mask[5, 5]
        assert store.hand_boxes(11) == []


def _bad_visor_cases(tmp_path):
    ann, mapping = standard_visor(tmp_path)
    good = json.loads(ann.read_text())

    def variant(name, mutate):
        data = json.loads(json.dumps(good))
        mutate(data)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))
        return path

    not_json = tmp_path / "broken.json"
    not_json.write_text('{"video_annotations": [')
    (tmp_path / "far").mkdir()
    far, far_map = write_visor(tmp_path / "far", {500: []})  # frame 499 of a 40-frame clip
    return mapping, [
        (not_json, mapping, "not valid JSON"),
        (variant("nolist", lambda d: d.pop("video_annotations")), mapping, "video_annotations"),
        (
            variant(
                "nosegs", lambda d: d["video_annotations"][1]["annotations"][0].pop("segments")
            ),
            mapping,
            r"video_annotations\[1\] annotations\[0\]: an annotation needs",
        ),
        (
            variant(
                "badpoint",
                lambda d: d["video_annotations"][0]["annotations"][1]["segments"][0].__setitem__(
                    2, ["x", 3]
                ),
            ),
            mapping,
            "polygon points must be numbers",
        ),
        (
            variant("unmapped", lambda d: d["video_annotations"][0]["image"].update(name="zz.jpg")),
            mapping,
            "not in the frame mapping",
        ),
        (far, far_map, "outside this clip"),
        (ann, tmp_path / "missing_mapping.json", "does not exist"),
    ]


def test_malformed_visor_files_are_refused_and_the_store_is_untouched(tmp_path):
    mapping, cases = _bad_visor_cases(tmp_path)
    store = new_store(tmp_path)
    store.add_object("existing")
    store.close()
    before = digest(store.path)
    for path, frame_map, message in cases:
        with Store.open(store.path) as s, pytest.raises(InputError, match=message):
            import_visor(s, path, frame_map)
        assert digest(store.path) == before, path
    other_map = tmp_path / "other_map.json"
    other_map.write_text(json.dumps({"P99_01": {}}))
    with Store.open(store.path) as s, pytest.raises(InputError, match="no mapping for video"):
        import_visor(s, cases[-2][0], other_map)
    assert digest(store.path) == before


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["annotations"][0].update(bbox=[1, 2, 3]), "bbox must be"),
        (lambda d: d["annotations"][0].update(category_id=3), "category_id 3"),
        (lambda d: d["annotations"][0].update(image_id=77), "image_id 77"),
        (lambda d: d["annotations"][1].update(bbox=[1, 2, -3, 4]), "negative size"),
        (lambda d: d["annotations"][1].update(segmentation={"counts": "x"}), "flat polygons"),
        (lambda d: d.update(images=d["images"][2:], annotations=[]), "no images of video"),
        (lambda d: d.pop("annotations"), "no 'annotations' list"),
    ],
)
def test_malformed_hos_files_are_refused_and_the_store_is_untouched(tmp_path, mutate, message):
    hos = write_hos(tmp_path)
    data = json.loads(hos.read_text())
    mutate(data)
    hos.write_text(json.dumps(data))
    store = new_store(tmp_path)
    store.close()
    before = digest(store.path)
    with Store.open(store.path) as s, pytest.raises(InputError, match=message):
        import_visor_hos(s, hos)
    assert digest(store.path) == before


@pytest.mark.parametrize("points", [0, 1, 2])
def test_degenerate_polygons_never_become_an_empty_verified_mask(tmp_path, points):
    # The loss: a 0/1/2-point polygon over a frame with labels wrote an empty mask
    # marked human-verified, even with --overwrite's blessing. Now it is left out, reported.
    ann, mapping = standard_visor(tmp_path)
    with new_store(tmp_path) as store:
        import_visor(store, ann, mapping)
        before = store.read_frame(10).copy()
        assert before.any()
        (tmp_path / "degenerate").mkdir()
        poly = [[100.0 * i, 50.0 * i] for i in range(points)]
        bad, bad_map = write_visor(
            tmp_path / "degenerate", {11: [{"name": "knife", "segments": [poly]}]}
        )
        report = import_visor(store, bad, bad_map, overwrite=True)
        assert report.frames == []
        assert any("no polygon with an area" in s for s in report.skipped)
        if points:
            assert any("fewer than 3 points" in s for s in report.skipped)
        np.testing.assert_array_equal(store.read_frame(10), before)
        assert store.frame_state(10) is FrameState.HUMAN


def test_degenerate_polygons_beside_good_ones_are_left_out_and_reported(tmp_path):
    with new_store(tmp_path) as store:
        square = [[0, 0], [400, 0], [400, 400], [0, 400]]
        ann, mapping = write_visor(
            tmp_path, {11: [{"name": "knife", "segments": [square, [[5, 5], [9, 9]]]}]}
        )
        report = import_visor(store, ann, mapping)
        assert report.frames == [10]
        assert report.skipped == ["P01_107_frame_0000001011.jpg 'knife': 1 polygon(s) of fewer "
                                  "than 3 points (no area)"]  # fmt: skip
        assert (store.read_frame(10) > 0).sum() == 21 * 21  # 0..400 px at 1/20, outline incl.


def test_an_overwriting_import_is_one_undo_step_that_brings_human_work_back(tmp_path):
    ann, mapping = standard_visor(tmp_path)
    with new_store(tmp_path) as store:
        import_visor(store, ann, mapping)
        erased = np.zeros((54, 96), np.uint16)
        store.set_masks(20, erased)  # a person's correction: human-verified
        store.save()
        import_visor(store, ann, mapping, overwrite=True)
        assert store.read_frame(20).any()
        assert store.history()[-1].label == "import VISOR annotations"
        store.undo()
        assert not store.read_frame(20).any()
        assert store.frame_state(20) is FrameState.HUMAN
