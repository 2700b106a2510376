"""``actionvos predict DATASET_ROOT``: a whole split into the official output layout, scored by
``actionvos evaluate``; the official inference layout; sharding over torchrun ranks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_model import save_tiny_model

from actionvos.batch.sharding import Shard, shard_from_env
from actionvos.cli import main
from actionvos.engine.prompts import build_prompts
from actionvos.errors import InputError
from actionvos.io.dataset import ActionVOSDataset
from actionvos.palette import read_palette_png
from actionvos.sample import make_kitchen_clip
from actionvos.sample.dataset import SampleRequest, write_sample_dataset

FAST = ["--short-side", "64", "--window", "2", "--device", "cpu", "--quiet", "--threshold", "0"]
REQUEST = SampleRequest(seeds=[11, 12, 13], n_frames=3, size=(96, 128))
DEMO_SEQ = "00000012_P01_107_put-into_bag:cereal"
DEMO_OBJECTS = ["bread", "cereal bag", "cereal box"]
DEMO_NARRATION = "put cereals bag into cereals box"


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    write_sample_dataset(root, REQUEST)
    return root


@pytest.fixture(scope="module")
def model(tmp_path_factory, dataset_root) -> Path:
    corpus = [DEMO_NARRATION, *DEMO_OBJECTS]
    for seq in ActionVOSDataset(dataset_root, "val"):
        names = [o.name for o in seq.object_classes.values()]
        corpus += build_prompts(names, seq.narration)
    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny", corpus)


def _pngs(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_predict_a_split_then_evaluate_it(dataset_root, model, tmp_path, capsys):
    pred = tmp_path / "pred"
    argv = ["predict", str(dataset_root), "--checkpoint", str(model), "--out", str(pred), *FAST]
    assert main(argv) == 0, capsys.readouterr().err
    ds = ActionVOSDataset(dataset_root, "val")
    assert sorted(p.name for p in pred.iterdir() if p.is_dir()) == sorted(s.folder_name for s in ds)
    nonempty = 0
    for seq in ds:
        labels = [read_palette_png(pred / seq.folder_name / f"{n}.png") for n in seq.frame_names]
        assert labels[0].shape == (96, 128)
        assert max(int(lab.max()) for lab in labels) <= len(seq.object_classes)
        nonempty += any(lab.any() for lab in labels)
    assert nonempty >= 1, "the tiny model at threshold 0 must paint some object"
    summary = json.loads((pred / "predict.json").read_text())
    first = ds[0]
    record = summary["sequences"][first.folder_name]
    assert [o["name"] for o in record["objects"]] == [
        first.object_classes[k].name for k in sorted(first.object_classes)
    ]
    assert record["objects"][0]["prompt"].endswith(f"used in the action of {first.narration}")
    capsys.readouterr()
    gt = dataset_root / "Annotations_Sparse" / "val"
    argv = ["evaluate", "--pred", str(pred), "--gt", str(gt), "--split", str(ds.json_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "evaluation on 3 sequences" in out
    for figure in ("p-mIoU", "n-mIoU", "p-cIoU", "n-cIoU", "gIoU", "Acc"):
        assert figure in out


def test_each_sequence_equals_a_single_clip_run(dataset_root, model, tmp_path, capsys):
    pred = tmp_path / "pred"
    argv = ["predict", str(dataset_root), "--checkpoint", str(model), "--out", str(pred), *FAST]
    assert main(argv) == 0
    seq = ActionVOSDataset(dataset_root, "val")[1]
    frames = dataset_root / "JPEGImages_Sparse" / "val" / seq.folder_name
    names = [seq.object_classes[k].name for k in sorted(seq.object_classes)]
    one = tmp_path / "one"
    argv = ["predict", str(frames), "--narration", seq.narration, "--objects", *names]
    assert main([*argv, "--checkpoint", str(model), "--out", str(one), *FAST]) == 0
    for name in seq.frame_names:
        a = (pred / seq.folder_name / f"{name}.png").read_bytes()
        assert a == (one / f"{name}.png").read_bytes()


def test_existing_predictions_are_kept_unless_overwrite(dataset_root, model, tmp_path, capsys):
    pred = tmp_path / "pred"
    argv = ["predict", str(dataset_root), "--checkpoint", str(model), "--out", str(pred), *FAST]
    assert main(argv) == 0
    before = _pngs(pred)
    assert main(argv) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert _pngs(pred) == before
    assert main([*argv, "--overwrite"]) == 0
    assert _pngs(pred).keys() == before.keys()


def test_a_dataset_root_takes_no_narration_or_objects(dataset_root, model, tmp_path, capsys):
    argv = ["predict", str(dataset_root), "--checkpoint", str(model), *FAST]
    assert main([*argv, "--narration", "cut apple", "--out", str(tmp_path / "p")]) == 1
    assert "drop --narration" in capsys.readouterr().err
    assert main([*argv, "--split", "train", "--out", str(tmp_path / "q")]) == 1
    assert "train.json does not exist" in capsys.readouterr().err
    assert not (tmp_path / "q").exists() and not (tmp_path / "p").exists()


def _demo_root(tmp_path: Path) -> Path:
    """The official inference layout: an expression file and JPEGImages_Sparse/val/<seq>/."""
    demo = tmp_path / "demo_path"
    clip = make_kitchen_clip(seed=2, n_frames=3, size=(96, 128))
    folder = demo / "JPEGImages_Sparse" / "val" / DEMO_SEQ
    folder.mkdir(parents=True)
    names = ["frame_0000002521", "frame_0000002559", "frame_0000002590"]
    for name, frame in zip(names, clip.frames, strict=True):
        Image.fromarray(frame).save(folder / f"{name}.jpg")
    exps = {
        str(i): {"exp": f"{obj} used in the action of {DEMO_NARRATION}"}
        for i, obj in enumerate(DEMO_OBJECTS)
    }
    data = {"videos": {DEMO_SEQ: {"expressions": exps, "frames": names}}}
    (demo / "ImageSets").mkdir()
    (demo / "ImageSets" / "expression_file.json").write_text(json.dumps(data))
    return demo


def test_the_official_inference_layout_opens_and_predicts(model, tmp_path, capsys):
    demo = _demo_root(tmp_path)
    ds = ActionVOSDataset(demo, "val")  # no val.json: the one expression file is the split
    assert ds.json_path.name == "expression_file.json" and ds.image_split == "val"
    seq = ds[0]
    assert (seq.seq_id, seq.video, seq.verb, seq.noun) == (12, "P01_107", "put-into", "bag:cereal")
    assert seq.narration == DEMO_NARRATION
    assert [o.name for o in seq.object_classes.values()] == DEMO_OBJECTS
    pred = tmp_path / "pred"
    argv = ["predict", str(demo), "--checkpoint", str(model), "--out", str(pred), *FAST]
    assert main(argv) == 0, capsys.readouterr().err
    pngs = sorted((pred / DEMO_SEQ).glob("*.png"))
    assert [p.stem for p in pngs] == seq.frame_names
    labels = np.stack([read_palette_png(p) for p in pngs])
    assert labels.any() and labels.max() <= len(DEMO_OBJECTS)
    record = json.loads((pred / "predict.json").read_text())["sequences"][DEMO_SEQ]
    assert [o["prompt"] for o in record["objects"]] == [
        f"{o} used in the action of {DEMO_NARRATION}" for o in DEMO_OBJECTS
    ]


def test_several_expression_files_must_be_named(model, tmp_path, capsys):
    demo = _demo_root(tmp_path)
    shutil.copy(demo / "ImageSets" / "expression_file.json", demo / "ImageSets" / "other.json")
    argv = ["predict", str(demo), "--checkpoint", str(model), "--out", str(tmp_path / "p"), *FAST]
    assert main(argv) == 1
    assert "several expression files" in capsys.readouterr().err
    assert main([*argv, "--split", "other"]) == 0  # images from JPEGImages_Sparse/val


def test_a_dataset_shaped_folder_without_a_split_opens_as_frames(model, tmp_path, capsys):
    """Frames directly in a folder that also has ImageSets/ and JPEGImages_Sparse/: a clip."""
    folder = tmp_path / "frames"
    (folder / "ImageSets").mkdir(parents=True)
    (folder / "JPEGImages_Sparse").mkdir()
    clip = make_kitchen_clip(seed=4, n_frames=2, size=(96, 128))
    for name, frame in zip(clip.frame_names, clip.frames, strict=True):
        Image.fromarray(frame).save(folder / f"{name}.jpg")
    argv = ["predict", str(folder), "--narration", "cut apple", "--objects", "apple", "knife"]
    out = tmp_path / "out"
    assert main([*argv, "--checkpoint", str(model), "--out", str(out), *FAST]) == 0
    assert sorted(p.stem for p in out.glob("*.png")) == clip.frame_names
    empty_root = tmp_path / "root"
    (empty_root / "ImageSets").mkdir(parents=True)
    (empty_root / "JPEGImages_Sparse" / "val").mkdir(parents=True)
    argv = ["predict", str(empty_root), "--checkpoint", str(model), "--out", str(tmp_path / "e")]
    assert main([*argv, *FAST]) == 1
    assert "val.json does not exist" in capsys.readouterr().err


def test_shards_deal_items_round_robin(monkeypatch):
    items = list("abcdefg")
    assert Shard(0, 3).take(items) == ["a", "d", "g"]
    assert Shard(2, 3).take(items) == ["c", "f"]
    assert sum((Shard(r, 3).take(items) for r in range(3)), []) != items  # dealt, not split
    assert sorted(sum((Shard(r, 3).take(items) for r in range(3)), [])) == items
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert shard_from_env() == Shard(0, 1, 0) and not shard_from_env().distributed
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert shard_from_env() == Shard(1, 2, 1)
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(InputError, match="do not fit"):
        shard_from_env()
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(InputError, match="WORLD_SIZE"):
        shard_from_env()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_torchrun_ranks_equal_one_process(dataset_root, model, tmp_path):
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    args = ["predict", str(dataset_root), "--checkpoint", str(model), *FAST]
    # Same thread count as the ranks below: float sums differ in the last digit across
    # thread counts, and predict.json keeps probabilities to 6 decimals.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main([*args, "--out", str(single)]) == 0
    finally:
        torch.set_num_threads(threads)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    here = Path(__file__).resolve().parent
    env["PYTHONPATH"] = os.pathsep.join([str(here.parent / "model"), str(here.parent)])
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    cmd += ["--master_addr=127.0.0.1", f"--master_port={_free_port()}"]
    cmd += ["-m", "actionvos", *args, "--out", str(sharded)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rank 0/2: wrote 2 sequences" in done.stderr
    assert "rank 1/2: wrote 1 sequences" in done.stderr
    a, b = _pngs(single), _pngs(sharded)
    assert a.keys() == b.keys()
    pngs = [k for k in a if k.endswith(".png")]
    assert len(pngs) == 9 and all(a[k] == b[k] for k in pngs)
    assert json.loads(a["predict.json"]) == json.loads(b["predict.json"])
