"""Folder evaluation in the official layout, and ``actionvos evaluate``."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from actionvos.cli import main
from actionvos.errors import Cancelled, ClipError, InputError
from actionvos.metrics import evaluate_folders, load_split
from actionvos.palette import write_palette_png

GT_A = np.array([[1, 1, 0, 0], [0, 2, 2, 0], [0, 0, 3, 3]], dtype=np.uint8)
PRED_A = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 3, 3]], dtype=np.uint8)


def seq(seq_id: int, frames: list[str], positives: dict[int, bool], **flags) -> dict:
    entry = {
        "seq_id": seq_id,
        "video": "P01_107",
        "verb": "put-into",
        "noun": "bag:cereal",
        "narration": "put cereal bag into box",
        "sparse_frames": frames,
        "object_classes": {
            str(k): {
                "name": f"obj{k}",
                "class_id": k,
                "handbox": 0,
                "narration": 0,
                "positive": int(p),
            }
            for k, p in positives.items()
        },
    }
    entry.update({"redundant": False, "other": False, "missing": False, **flags})
    return entry


def folder(entry: dict) -> str:
    return f"{entry['seq_id']:08d}_{entry['video']}_{entry['verb']}_{entry['noun']}"


def make_dataset(root: Path) -> tuple[Path, Path, Path]:
    split = [
        seq(1, ["frame_0000000954.jpg"], {1: True, 2: True, 3: False}),
        seq(2, ["frame_0000000992.jpg"], {1: True}, redundant=True),
    ]
    gt, pred = root / "gt", root / "pred"
    for entry in split:
        for base, labels in ((gt, GT_A), (pred, PRED_A)):
            (base / folder(entry)).mkdir(parents=True)
            for frame in entry["sparse_frames"]:
                write_palette_png(base / folder(entry) / frame.replace("jpg", "png"), labels)
    (pred / folder(split[1]) / "frame_0000000992.png").unlink()  # flagged: never read
    path = root / "split.json"
    path.write_text(json.dumps(split))
    return pred, gt, path


def test_scores_by_hand(tmp_path: Path) -> None:
    pred, gt, split = make_dataset(tmp_path)
    scores, acc = evaluate_folders(pred, gt, split)
    # obj1 positive: I 1, U 2 -> TP; obj2 positive, missed -> FN; obj3 negative, segmented -> FP
    assert (scores.tp, scores.fn, scores.fp, scores.tn) == (1, 1, 1, 0)
    assert scores.p_miou == pytest.approx((0.5 + 0.0) / 2)
    assert scores.p_ciou == pytest.approx(1 / 4)
    assert scores.n_miou == 1.0 and scores.n_ciou == 1.0
    assert scores.giou == pytest.approx((0.5 + 0.0 + 0.0) / 3)
    assert scores.accuracy == pytest.approx(1 / 3)
    assert scores.n_sequences == 1
    assert acc.sequences() == ["00000001_P01_107_put-into_bag:cereal"]


def test_flagged_sequences_can_be_included(tmp_path: Path) -> None:
    pred, gt, split = make_dataset(tmp_path)
    with pytest.raises(ClipError, match="frame_0000000992.png is missing"):
        evaluate_folders(pred, gt, split, skip_flagged=False)
    assert [s.flagged for s in load_split(split)] == [False, True]


def test_progress_and_cancel(tmp_path: Path) -> None:
    pred, gt, split = make_dataset(tmp_path)
    seen = []
    evaluate_folders(pred, gt, split, progress=lambda i, n, what: seen.append((i, n)))
    assert seen == [(0, 1), (1, 1)]
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        evaluate_folders(pred, gt, split, cancel=stop)


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    pred, gt, split = make_dataset(tmp_path)
    name = folder(json.loads(split.read_text())[0])
    write_palette_png(pred / name / "frame_0000000954.png", np.full((3, 4), 7, np.uint8))
    with pytest.raises(InputError, match=r"frame_0000000954.png\) holds label\(s\) \[7\]"):
        evaluate_folders(pred, gt, split)
    write_palette_png(pred / name / "frame_0000000954.png", np.zeros((5, 4), np.uint8))
    with pytest.raises(InputError, match="differ in size"):
        evaluate_folders(pred, gt, split)
    (pred / name / "frame_0000000954.png").write_bytes(b"not a png")
    with pytest.raises(ClipError, match="cannot read mask"):
        evaluate_folders(pred, gt, split)
    with pytest.raises(InputError, match="folder .* does not exist"):
        evaluate_folders(tmp_path / "nowhere", gt, split)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"videos": {}}))
    with pytest.raises(InputError, match="must be a list of sequences"):
        load_split(bad)
    bad.write_text(json.dumps([{"seq_id": 1}]))
    with pytest.raises(InputError, match="lacks .*video"):
        load_split(bad)
    bad.write_text("[")
    with pytest.raises(InputError, match="not valid JSON"):
        load_split(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_split(tmp_path / "missing.json")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pred, gt, split = make_dataset(tmp_path)
    args = ["evaluate", "--pred", str(pred), "--gt", str(gt), "--split", str(split)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "p-mIoU:  0.250000" in text and "TN, TP, FN, FP: 0, 1, 1, 1" in text
    assert main([*args, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["accuracy"] == pytest.approx(1 / 3) and figures["n_sequences"] == 1
    assert main([*args[:-1], str(tmp_path / "missing.json")]) == 1
    assert "missing.json does not exist" in capsys.readouterr().err
