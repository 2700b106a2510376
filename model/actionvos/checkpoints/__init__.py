"""Loading official ActionVOS/ReferFormer checkpoints and saving our own format.

* :func:`load_official` reads an upstream ``.pth`` (or its state dict) into an ActionVOSNet.
* :func:`save` / :func:`load` handle our directory format (``model.safetensors`` +
  ``config.json``); :func:`load_any` picks the right one for a path.
* :mod:`.recipe` rebuilds the deterministic weights of the reference fixtures.
"""

from __future__ import annotations

from pathlib import Path

from actionvos.network import ActionVOSNet, ModelConfig

from .fit import MissingHeadWarning, fit_state
from .native import load, save
from .official import load_official, read_official
from .recognise import describe, guess_backbone, infer_config


def load_any(
    path: str | Path, cfg: ModelConfig | None = None, allow_missing_head: bool = False
) -> ActionVOSNet:
    """A saved model directory (ours) or an official ``.pth`` file, whichever ``path`` is."""
    if Path(path).is_dir():
        return load(path)
    return load_official(path, cfg, allow_missing_head=allow_missing_head)


__all__ = [
    "MissingHeadWarning",
    "describe",
    "fit_state",
    "guess_backbone",
    "infer_config",
    "load",
    "load_any",
    "load_official",
    "read_official",
    "save",
]
