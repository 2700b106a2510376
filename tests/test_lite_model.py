"""ActionVOS-Lite: built offline from its packages, listed by the registry, used by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from lite_models import fresh_lite

from actionvos.checkpoints import save
from actionvos.cli import main
from actionvos.errors import CheckpointError
from actionvos.network import ModelConfig, lite_config
from actionvos.registry import list_models, resolve_model, shipped_lite_dir


def test_lite_loads_from_the_packages_with_the_network_off(tmp_path) -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "from actionvos.training.lite import build_lite\n"
        "net, tok = build_lite()\n"
        "ids = tok('knife used in the action of cut apple')['input_ids']\n"
        "print(len(ids), net.config.backbone, net.text_encoder.config.hidden_size)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    n, backbone, width = out.stdout.split()[-3:]
    assert int(n) > 5 and backbone == "efficientnet_lite0" and width == "384"


def test_lite_config_round_trips_and_is_small() -> None:
    cfg = lite_config()
    assert ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    net, _ = fresh_lite()
    own = [k for k in net.state_dict() if not k.startswith(net.packaged_prefixes())]
    assert sum(net.state_dict()[k].numel() for k in own) < 5_000_000  # 20 MB as float32


def test_registry_lists_lite_first_and_saved_models_by_name(tmp_path, monkeypatch) -> None:
    net, _ = fresh_lite()
    save(net, None, tmp_path / "my-model")
    (tmp_path / "official.pth").write_bytes(b"")
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(tmp_path))
    entries = list_models()
    assert entries[0].name == "lite" and entries[0].kind == "shipped"
    names = {e.name: e for e in entries}
    assert names["my-model"].kind == "saved" and names["official.pth"].kind == "official"
    assert "roberta-base tokenizer: not found" in names["official.pth"].description
    assert resolve_model("my-model").path == tmp_path / "my-model"
    assert resolve_model(None).name == "lite"


def test_unknown_model_names_say_where_they_were_looked_for(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(tmp_path))
    with pytest.raises(CheckpointError, match="actionvos models") as err:
        resolve_model("nope")
    assert str(tmp_path) in str(err.value)


def test_models_command_prints_the_table(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(tmp_path))
    assert main(["models", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["name"] == "lite" and data[0]["kind"] == "shipped"


def test_predict_without_a_checkpoint_uses_lite_and_writes_masks(tmp_path) -> None:
    from PIL import Image

    from actionvos.sample import make_kitchen_clip, write_sample

    clip = make_kitchen_clip(1_000_003, n_frames=4, size=(180, 320))
    paths = write_sample(clip, tmp_path / "clip", video=False)
    out = tmp_path / "pred"
    names = ",".join(clip.object_names)
    code = main(
        ["predict", str(paths["frames"]), "--narration", clip.narration, "--objects", names,
         "--out", str(out), "--device", "cpu", "--quiet"]
    )  # fmt: skip
    assert code == 0
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 4
    maps = np.stack([np.asarray(Image.open(p)) for p in pngs])
    assert maps.shape == (4, 180, 320) and maps.max() <= len(clip.object_names)
    summary = json.loads((out / "objects.json").read_text())
    assert summary["checkpoint"] == "lite"
    shipped = ModelConfig.from_json(shipped_lite_dir() / "config.json")
    assert summary["threshold"] == shipped.pos_cls_threshold  # the model's own gate by default
