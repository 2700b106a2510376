"""``actionvos sample --layout --store``: each clip's ground truth as a label store whose
frames and flags are human-verified, and whose export equals the dataset written beside it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from actionvos.cli import main
from actionvos.formats.actionvos_layout import export_actionvos_layout
from actionvos.sample import make_kitchen_clip
from actionvos.sample.label_store import write_clip_store
from actionvos.store import FrameState, Source, Store

SIZE = (96, 128)


@pytest.fixture(scope="module")
def clip():
    return make_kitchen_clip(seed=6, n_frames=4, size=SIZE, style="novel")


def test_the_store_holds_the_ground_truth_as_human_work(clip, tmp_path):
    path = write_clip_store(clip, tmp_path / "c.actionvos", video="synth-novel-000006")
    store = Store.open(path, read_only=True)
    try:
        assert (store.n_frames, store.height, store.width) == (4, *SIZE)
        assert store.video == "synth-novel-000006"
        np.testing.assert_array_equal(store.read_frames(range(4)), clip.masks)
        assert all(store.frame_state(t) is FrameState.HUMAN for t in range(4))
        (action,) = store.actions()
        assert action.narration == clip.narration
        assert list(action.all_noun_classes) == clip.all_noun_classes
        by_name = {o.name: o for o in store.objects()}
        assert [by_name[n].class_id for n in clip.object_names] == clip.class_ids
        flags = store.activity(action.id)
        got = {store.object(oid).name: (a.active, a.source) for oid, a in flags.items()}
        truth = zip(clip.object_names, clip.active, strict=True)
        assert got == {n: (a, Source.HUMAN) for n, a in truth}
        assert store.hand_box_frames(), "the hand-object boxes are stored"
    finally:
        store.close(save=False)


def test_exporting_the_store_gives_the_same_flags(clip, tmp_path):
    """The official rule recomputed from the store's boxes agrees with the clip's truth."""
    path = write_clip_store(clip, tmp_path / "c.actionvos", video="synth-novel-000006")
    store = Store.open(path, read_only=True)
    try:
        export_actionvos_layout(store, tmp_path / "export", split="val")
    finally:
        store.close(save=False)
    (entry,) = json.loads((tmp_path / "export" / "ImageSets" / "val.json").read_text())
    objects = [entry["object_classes"][str(k)] for k in range(1, len(clip.object_names) + 1)]
    assert [o["name"] for o in objects] == clip.object_names
    assert [bool(o["positive"]) for o in objects] == clip.active
    assert [bool(o["handbox"]) for o in objects] == clip.in_handbox
    assert [bool(o["narration"]) for o in objects] == clip.in_narration


def test_sample_command_writes_one_store_per_clip(tmp_path, capsys):
    out = tmp_path / "ds"
    argv = ["sample", str(out), "--layout", "--store", "--clips", "2", "--seed", "3"]
    argv += ["--frames", "2", "--size", "96x128", "--quiet"]
    assert main(argv) == 0, capsys.readouterr().err
    entries = json.loads((out / "ImageSets" / "val.json").read_text())
    folders = [
        f"{e['seq_id']:08d}_{e['video']}_{e['verb']}_{e['noun']}".replace(" ", "-") for e in entries
    ]
    stores = sorted(p.name for p in out.glob("*.actionvos"))
    assert stores == sorted(f"{f}.actionvos" for f in folders)
    store = Store.open(out / stores[0], read_only=True)
    try:
        assert store.n_frames == 2 and store.video.startswith("synth-default-")
    finally:
        store.close(save=False)
    assert main(argv) == 1  # neither the split nor the stores are replaced by accident
    assert "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0
    assert main(["sample", str(tmp_path / "x"), "--store", "--frames", "2"]) == 1
    assert "add --layout" in capsys.readouterr().err


def test_overwrite_never_replaces_a_foreign_store(tmp_path, capsys):
    out = tmp_path / "ds"
    argv = ["sample", str(out), "--layout", "--store", "--clips", "1", "--seed", "3"]
    argv += ["--frames", "2", "--size", "96x128", "--quiet"]
    assert main(argv) == 0
    (path,) = out.glob("*.actionvos")
    mine = Store.create(
        tmp_path / "mine.actionvos", n_frames=2, height=96, width=128, video="P01_01"
    )
    mine.close()
    shutil.rmtree(path)
    shutil.move(tmp_path / "mine.actionvos", path)
    assert main([*argv, "--overwrite"]) == 1
    assert "not a synthetic clip" in capsys.readouterr().err
    store = Store.open(path, read_only=True)
    assert store.video == "P01_01"
    store.close(save=False)
