"""COCO RLE files and DAVIS palette-PNG folders: exact round trips, clear refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from store_synthetic import digest, masks_by_name, new_store, standard_visor

from actionvos.errors import InputError, StoreError
from actionvos.formats.coco_rle import export_coco_rle, import_coco_rle
from actionvos.formats.palette_folder import export_palette_folder, import_palette_folder
from actionvos.formats.visor import import_visor
from actionvos.palette import read_palette_png
from actionvos.store import FrameState, Source, Store


def _source_store(tmp_path):
    ann, mapping = standard_visor(tmp_path)
    store = new_store(tmp_path)
    import_visor(store, ann, mapping)
    action = store.add_action("cut onion", 5, 25, verb="cut", noun="onion")
    store.set_activity(action, store.object_id("knife"), True)
    store.set_activity(action, store.object_id("chopping board"), False, source=Source.RULE)
    store.save()
    return store


def _fresh(tmp_path, name):
    (tmp_path / name).mkdir()
    return new_store(tmp_path / name)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools under numpy 2
def test_coco_rle_round_trip_keeps_masks_objects_and_flags(tmp_path):
    store = _source_store(tmp_path)
    out = tmp_path / "labels.json"
    n = export_coco_rle(store, out)
    data = json.loads(out.read_text())
    assert n == len(data["annotations"]) == 3 + 4 + 2
    first = data["annotations"][0]
    decoded = mask_utils.decode({"size": first["segmentation"]["size"],
                                 "counts": first["segmentation"]["counts"].encode()})  # fmt: skip
    frame = data["images"][0]["frame"]
    assert np.array_equal(decoded.astype(bool), store.read_frame(frame) == first["category_id"])
    assert first["area"] == int(decoded.sum())
    original = masks_by_name(store)
    store.close()

    copy = _fresh(tmp_path, "b")
    report = import_coco_rle(copy, out)
    assert report.frames == [10, 20, 30]
    imported = masks_by_name(copy)
    assert all(np.array_equal(imported[f], original[f]) for f in original)
    action = copy.actions()[0]
    flags = {copy.object(o).name: r for o, r in copy.activity(action.id).items()}
    assert flags["knife"].active is True and flags["knife"].source is Source.HUMAN
    assert flags["chopping board"].active is False and flags["chopping board"].source is Source.RULE
    assert copy.frame_state(10) is FrameState.HUMAN
    copy.close()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["annotations"][0]["segmentation"].update(counts="!!bad"), "cannot be decoded"),
        (lambda d: d["annotations"][0].update(category_id=99), "not a category"),
        (lambda d: d["annotations"][0].update(image_id=999), "not among the images"),
        (lambda d: d["annotations"][0]["segmentation"].update(size=[2, 2]), "RLE of size"),
        (lambda d: d["images"][0].update(height=10), "does not fit this store"),
        (lambda d: d.pop("categories"), "needs 'images', 'annotations' and 'categories'"),
        (lambda d: d["actions"][0].pop("narration"), "needs narration"),
    ],
)
def test_malformed_coco_files_are_refused_untouched(tmp_path, mutate, message):
    store = _source_store(tmp_path)
    out = tmp_path / "labels.json"
    export_coco_rle(store, out)
    store.close()
    data = json.loads(out.read_text())
    mutate(data)
    if message == "does not fit this store":
        data["annotations"] = [a for a in data["annotations"] if a["image_id"] != 11]
    out.write_text(json.dumps(data))
    target = _fresh(tmp_path, "b")
    target.close()
    before = digest(target.path)
    with Store.open(target.path) as s, pytest.raises(InputError, match=message):
        import_coco_rle(s, out)
    assert digest(target.path) == before


def test_palette_folder_round_trip_in_davis_and_epic_names(tmp_path):
    store = _source_store(tmp_path)
    original = masks_by_name(store)
    for davis in (True, False):
        folder = tmp_path / f"pngs_{davis}"
        assert export_palette_folder(store, folder, davis_names=davis) == 3
        name = "00010.png" if davis else "frame_0000000011.png"
        assert read_palette_png(folder / name).max() > 0
        copy = _fresh(tmp_path, f"copy_{davis}")
        assert import_palette_folder(copy, folder).frames == [10, 20, 30]
        imported = masks_by_name(copy)
        assert all(np.array_equal(imported[f], original[f]) for f in original)
        assert copy.object(copy.object_id("knife")).class_id == 4
        copy.close()
    store.close()


def test_palette_folder_limits_and_bad_files(tmp_path):
    store = _source_store(tmp_path)
    folder = tmp_path / "pngs"
    export_palette_folder(store, folder)
    (folder / "00011.png").write_bytes(b"not a png")
    target = _fresh(tmp_path, "b")
    target.close()
    before = digest(target.path)
    with Store.open(target.path) as s, pytest.raises(InputError, match="00011.png"):
        import_palette_folder(s, folder)
    (folder / "00011.png").unlink()
    (folder / "00077.png").write_bytes((folder / "00010.png").read_bytes())
    with Store.open(target.path) as s, pytest.raises(InputError, match="outside the clip"):
        import_palette_folder(s, folder)
    assert digest(target.path) == before
    big = store.add_object("many", object_id=300)
    lab = np.zeros((54, 96), np.uint16)
    lab[0, 0] = big
    store.set_masks(0, lab)
    with pytest.raises(StoreError, match="above 255"):
        export_palette_folder(store, tmp_path / "nope")
    store.close()
