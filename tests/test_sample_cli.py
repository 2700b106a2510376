"""``actionvos sample`` writes a clip on disk and explains bad input."""

from __future__ import annotations

import json

from actionvos.cli import main


def test_sample_command_writes_a_clip(tmp_path, capsys):
    out = tmp_path / "clip"
    code = main(["sample", str(out), "--seed", "2", "--frames", "4", "--size", "96x128"])
    assert code == 0
    meta = json.loads((out / "sample.json").read_text())
    assert meta["n_frames"] == 4 and (meta["height"], meta["width"]) == (96, 128)
    assert (out / "clip.mp4").stat().st_size > 0
    assert len(list((out / "frames").glob("*.jpg"))) == 4
    assert meta["narration"] in capsys.readouterr().out


def test_sample_command_rejects_bad_input(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "a"), "--size", "97x128", "--frames", "3"]) == 1
    assert "even size" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "b"), "--action", "juggle", "--frames", "3"]) == 1
    assert "unknown action" in capsys.readouterr().err


def test_sample_command_draws_the_novel_style(tmp_path, capsys):
    out = tmp_path / "novel"
    args = ["sample", str(out), "--seed", "3", "--frames", "3", "--size", "96x128", "--no-video"]
    assert main([*args, "--style", "novel"]) == 0
    meta = json.loads((out / "sample.json").read_text())
    assert meta["style"] == "novel"
    assert main(["sample", str(tmp_path / "c"), "--style", "noir", "--frames", "3"]) == 1
    assert "unknown style" in capsys.readouterr().err
