"""``actionvos predict`` end to end: a tiny saved model, a real mp4, palette PNGs out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from actionvos.checkpoints import save
from actionvos.checkpoints.recipe import apply_recipe
from actionvos.cli import main
from actionvos.engine.loader import load_engine
from actionvos.engine.prompts import build_prompts
from actionvos.engine.tokenizer import build_byte_bpe_tokenizer
from actionvos.io import open_clip, write_video
from actionvos.network import ActionVOSNet, ModelConfig
from actionvos.palette import read_palette_png

DATA = Path(__file__).parent / "data"
OBJECTS = ["knife", "onion"]
NARRATION = "Cut  the onion"
# fp32: with this random tiny model, bf16 rounding decides which object wins many pixels (in
# bf16 object 2 won none); the checks below want the float32 maps.
FAST = ["--short-side", "64", "--window", "3", "--device", "cpu", "--precision", "fp32"]
FAST += ["--quiet"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A random-weight model folder (safetensors + config + tokenizer) and the same as .pth."""
    root = tmp_path_factory.mktemp("model")
    meta = json.loads((DATA / "fixture_r50.json").read_text())
    net = ActionVOSNet(
        ModelConfig.from_referformer_args(meta["model_args_relevant"], meta["text_config"])
    )
    apply_recipe(net, meta["init_recipe"].get("overrides_after_recipe"))
    folder = save(net, None, root / "tiny")
    corpus = build_prompts(OBJECTS + ["cutting board"], NARRATION) * 5
    build_byte_bpe_tokenizer(folder / "tokenizer", corpus, vocab_size=400)
    pth = root / "tiny.pth"
    torch.save({"model": net.state_dict()}, pth)
    return folder, pth


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    yy, xx = np.mgrid[:48, :64]
    frames = [
        np.stack([128 + 100 * np.sin(xx / (4 + t + c) + yy / 6) for c in range(3)], -1)
        for t in range(5)
    ]
    path = tmp_path_factory.mktemp("clip") / "cut.mp4"
    return write_video(path, np.asarray(frames, dtype=np.uint8), fps=10)


def test_predict_writes_palette_pngs_and_objects_json(model, video, tmp_path, capsys):
    folder, _ = model
    out = tmp_path / "masks"
    argv = ["predict", str(video), "--narration", NARRATION, "--objects", *OBJECTS]
    rc = main([*argv, "--checkpoint", str(folder), "--threshold", "0", "--out", str(out), *FAST])
    assert rc == 0, capsys.readouterr().err
    clip = open_clip(video)
    pngs = sorted(out.glob("*.png"))
    assert [p.stem for p in pngs] == sorted(clip.frame_names)
    record = json.loads((out / "objects.json").read_text())
    assert record["threshold"] == 0 and record["frames"] == 5 and record["device"] == "cpu"
    assert [o["name"] for o in record["objects"]] == OBJECTS
    assert record["objects"][0]["prompt"] == "knife used in the action of cut the onion"
    assert all(o["active"] and len(o["positive_per_window"]) == 2 for o in record["objects"])
    # The PNGs are the engine's label maps (object k = palette index k).
    engine = load_engine(folder, device="cpu", precision="fp32", short_side=64, window=3)
    result = engine.run(clip, OBJECTS, NARRATION)
    for t, name in enumerate(clip.frame_names):
        labels = read_palette_png(out / f"{name}.png")
        np.testing.assert_array_equal(labels, result.label_map(t, threshold=0.0))
    assert {1, 2} <= set(np.unique(np.stack([read_palette_png(p) for p in pngs])).tolist())
    # Existing masks are not overwritten by accident.
    assert main([*argv, "--checkpoint", str(folder), "--out", str(out), *FAST]) == 1
    assert "--overwrite" in capsys.readouterr().err


def test_checkpoint_by_name_from_the_checkpoint_dirs(model, video, tmp_path, capsys, monkeypatch):
    folder, _ = model
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / "kitchen-model").symlink_to(folder, target_is_directory=True)
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(shelf))
    argv = ["predict", str(video), "--narration", NARRATION, "--objects", "knife", *FAST]
    assert main([*argv, "--checkpoint", "kitchen-model", "--out", str(tmp_path / "a")]) == 0
    assert len(list((tmp_path / "a").glob("*.png"))) == 5
    assert main([*argv, "--checkpoint", "no-such-model", "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "no-such-model does not exist" in err and str(shelf) in err


def test_official_pth_needs_and_uses_a_text_encoder_dir(model, video, tmp_path, capsys):
    folder, pth = model
    argv = ["predict", str(video), "--narration", NARRATION, "--objects", "knife", *FAST]
    assert main([*argv, "--checkpoint", str(pth), "--out", str(tmp_path / "a")]) == 1
    assert "no tokenizer found" in capsys.readouterr().err
    out = tmp_path / "b"
    rc = main(
        [
            *argv,
            "--checkpoint",
            str(pth),
            "--text-encoder",
            str(folder / "tokenizer"),
            "--out",
            str(out),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert len(list(out.glob("*.png"))) == 5
    assert json.loads((out / "objects.json").read_text())["threshold"] == 0.75


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"narration": "  "}, "narration is empty"),
        ({"objects": ["knife", "Knife"]}, "same name"),
        ({"checkpoint": "{tmp}/garbage.pth"}, "garbage.pth"),
        ({"checkpoint": "{tmp}/empty_dir"}, "model.safetensors is missing"),
        ({"text_encoder": "{tmp}/empty_dir"}, "has no tokenizer files"),
    ],
)
def test_predict_explains_bad_input(model, video, tmp_path, capsys, change, message):
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    (tmp_path / "empty_dir").mkdir()
    opts = {"narration": NARRATION, "objects": ["knife"], "checkpoint": str(model[0])}
    opts.update({k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in change.items()})
    argv = ["predict", str(video), "--out", str(tmp_path / "out"), *FAST]
    argv += ["--narration", opts["narration"], "--objects", *opts["objects"]]
    argv += ["--checkpoint", opts["checkpoint"]]
    if "text_encoder" in opts:
        argv += ["--text-encoder", opts["text_encoder"]]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "actionvos predict: error:" in err and message in err
    assert not list(tmp_path.glob("out/*.png"))
