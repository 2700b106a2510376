"""``actionvos sample --layout``: synthetic clips as an ActionVOS dataset split that the
dataset reader and ``actionvos evaluate`` read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actionvos.cli import main
from actionvos.errors import InputError
from actionvos.io.dataset import ActionVOSDataset
from actionvos.metrics import evaluate_folders
from actionvos.palette import read_palette_png, write_palette_png
from actionvos.sample import make_kitchen_clip
from actionvos.sample.dataset import SampleRequest, write_sample_dataset

SIZE = (96, 128)
REQUEST = SampleRequest(seeds=[3, 4], n_frames=3, size=SIZE)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds")
    calls = []
    report = write_sample_dataset(root, REQUEST, progress=lambda d, t, f: calls.append((d, t)))
    assert calls == [(1, 2), (2, 2)]
    assert report.frames == 6 and len(report.sequences) == 2
    return root


def test_the_reader_sees_each_clip_with_its_ground_truth(root):
    ds = ActionVOSDataset(root, "val")
    assert len(ds) == 2
    for seq, seed in zip(ds, REQUEST.seeds, strict=True):
        clip = make_kitchen_clip(seed=seed, n_frames=3, size=SIZE)
        assert seq.narration == clip.narration and seq.video == f"synth-default-{seed:06d}"
        objects = [seq.object_classes[k] for k in sorted(seq.object_classes)]
        assert [o.name for o in objects] == clip.object_names
        assert [o.positive for o in objects] == clip.active
        assert [o.class_id for o in objects] == clip.class_ids
        assert [o.handbox for o in objects] == clip.in_handbox
        np.testing.assert_array_equal(ds.masks(seq), clip.masks.astype(np.uint8))
        frames = ds.frames(seq)
        assert len(frames) == 3 and frames.frame_names == clip.frame_names
        # JPEG at quality 95: close to the rendered frame, not equal
        diff = np.abs(frames[1].astype(int) - clip.frames[1].astype(int)).mean()
        assert 0 < diff < 6
        weights = [
            read_palette_png(root / "Weights_Sparse" / "val" / seq.folder_name / f"{n}.png")
            for n in seq.frame_names
        ]
        assert set(np.unique(weights)) <= {1, 2, 3, 4}


def test_the_expression_files_hold_the_prompts(root):
    ds = ActionVOSDataset(root, "val")
    exps = json.loads((root / "ImageSets" / "val_meta_expressions_promptaction.json").read_text())
    seq = ds[0]
    video = exps["videos"][seq.folder_name]
    assert video["frames"] == seq.frame_names
    first = seq.object_classes[1]
    assert video["expressions"]["0"]["exp"] == f"{first.name} used in the action of {seq.narration}"
    cats = json.loads((root / "ImageSets" / "val_objects_category.json").read_text())
    assert cats["videos"][seq.folder_name]["objects"]["1"]["positive"] == int(first.positive)


def test_a_perfect_prediction_scores_full_marks(root, tmp_path, capsys):
    """Positives' masks kept and negatives' dropped is what the official metric rewards."""
    ds = ActionVOSDataset(root, "val")
    pred = tmp_path / "pred"
    for seq in ds:
        keep = np.array([0] + [int(o.positive) for o in seq.object_classes.values()])
        (pred / seq.folder_name).mkdir(parents=True)
        for name, mask in zip(seq.frame_names, ds.masks(seq), strict=True):
            write_palette_png(pred / seq.folder_name / f"{name}.png", mask * keep[mask])
    scores, _ = evaluate_folders(pred, root / "Annotations_Sparse" / "val", ds.json_path)
    assert scores.giou == pytest.approx(1.0) and scores.accuracy == pytest.approx(1.0)
    gt = root / "Annotations_Sparse" / "val"
    argv = ["evaluate", "--pred", str(gt), "--gt", str(gt), "--split", str(ds.json_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for figure in ("p-mIoU", "n-mIoU", "p-cIoU", "n-cIoU", "gIoU", "Acc"):
        assert figure in out
    assert "evaluation on 2 sequences" in out


def test_a_split_is_not_written_over_by_accident(tmp_path):
    write_sample_dataset(tmp_path, SampleRequest(seeds=[1], n_frames=2, size=SIZE))
    with pytest.raises(InputError, match="--overwrite"):
        write_sample_dataset(tmp_path, SampleRequest(seeds=[2], n_frames=2, size=SIZE))
    assert len(ActionVOSDataset(tmp_path, "val")) == 1  # the first split is intact
    write_sample_dataset(
        tmp_path, SampleRequest(seeds=[2, 5], n_frames=2, size=SIZE), overwrite=True
    )
    ds = ActionVOSDataset(tmp_path, "val")
    assert [s.video for s in ds] == ["synth-default-000002", "synth-default-000005"]
    on_disk = sorted(p.name for p in (tmp_path / "JPEGImages_Sparse" / "val").iterdir())
    assert on_disk == sorted(s.folder_name for s in ds), "the old sequence's folders are gone"


def test_sample_command_writes_a_novel_layout(tmp_path, capsys):
    out = tmp_path / "novel"
    argv = ["sample", str(out), "--layout", "--clips", "2", "--seed", "7", "--frames", "2"]
    assert main([*argv, "--size", "96x128", "--style", "novel", "--quiet"]) == 0
    assert "2 sequences, 4 frames" in capsys.readouterr().out
    entries = json.loads((out / "ImageSets" / "val.json").read_text())
    assert [e["style"] for e in entries] == ["novel", "novel"]
    assert [e["seed"] for e in entries] == [7, 8]
    assert main(["sample", str(tmp_path / "x"), "--clips", "2", "--frames", "2"]) == 1
    assert "add --layout" in capsys.readouterr().err
    bad = ["sample", str(tmp_path / "y"), "--layout", "--style", "novel", "--action", "open"]
    assert main(bad) == 1
    assert "no 'open' action" in capsys.readouterr().err
    assert not (tmp_path / "y").exists(), "a bad setting fails before anything is written"


def test_an_unfinished_run_is_replaced_only_with_overwrite(tmp_path):
    """A run stopped midway leaves sequence folders but no split file."""
    request = SampleRequest(seeds=[1], n_frames=2, size=SIZE)
    report = write_sample_dataset(tmp_path, request)
    report.split_json.unlink()
    with pytest.raises(InputError, match="already holds files"):
        write_sample_dataset(tmp_path, request)
    write_sample_dataset(tmp_path, request, overwrite=True)
    assert len(ActionVOSDataset(tmp_path, "val")) == 1
