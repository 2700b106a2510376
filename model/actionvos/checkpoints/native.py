"""Our own model format: a directory with ``model.safetensors`` and ``config.json``.

safetensors refuses tensors that share storage, so the ``transformer.decoder.bbox_embed.*``
aliases are written once (under ``bbox_embed.*``) and restored on load. Files are written to a
temporary name first and renamed, so an interrupted save never destroys an earlier one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from actionvos.errors import CheckpointError
from actionvos.network import ActionVOSNet, ModelConfig

from .fit import canonical, fit_state

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
FORMAT = "actionvos-napari/1"


def atomic_write(path: Path, write) -> None:  # noqa: ANN001
    """Write through ``write(tmp_path)`` to a temporary name, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _packaged(net: torch.nn.Module) -> tuple[str, ...]:
    """Prefixes whose weights come from pip packages (ActionVOS-Lite's encoders)."""
    prefixes = getattr(net, "packaged_prefixes", None)
    return tuple(prefixes()) if prefixes is not None else ()


def save(net: ActionVOSNet, cfg: ModelConfig | None, directory: str | Path) -> Path:
    """Write ``net``'s weights and config to ``directory`` (created if needed)."""
    cfg = cfg if cfg is not None else net.config
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    packaged = _packaged(net)
    state = {
        k: v.detach().to("cpu").contiguous()
        for k, v in canonical(net.state_dict()).items()
        if not k.startswith(packaged)
    }
    atomic_write(directory / WEIGHTS, lambda p: save_file(state, p, metadata={"format": FORMAT}))
    atomic_write(directory / CONFIG, cfg.to_json)
    return directory


def load(directory: str | Path, device: str | torch.device = "cpu") -> ActionVOSNet:
    """Rebuild the network saved by :func:`save` (eval mode) on ``device``."""
    directory = Path(directory)
    weights, config = directory / WEIGHTS, directory / CONFIG
    for needed in (weights, config):
        if not needed.is_file():
            raise CheckpointError(
                f"{directory} is not a saved actionvos model: {needed.name} is missing; "
                "create one with actionvos.checkpoints.save or load an official .pth with "
                "load_official"
            )
    cfg = ModelConfig.from_json(config)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"cannot read {weights}: {exc}; the file may be truncated") from exc
    net = ActionVOSNet(cfg)
    packaged = _packaged(net)
    if packaged:
        # The encoders' weights came with their packages when the network was built.
        own = canonical(net.state_dict())
        state = {**{k: v for k, v in own.items() if k.startswith(packaged)}, **state}
    fit_state(net, state, str(weights))
    return net.to(device).eval()
