"""Official ReferFormer / ActionVOS ``.pth`` files -> :class:`ActionVOSNet`.

Files are read with ``weights_only=True``; the few plain containers that upstream training
checkpoints pickle next to the weights (the argparse namespace, the LR scheduler's Counter)
are allow-listed so such files still open without running arbitrary pickled code.
"""

from __future__ import annotations

import argparse
import collections
import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from actionvos.errors import CheckpointError
from actionvos.network import ActionVOSNet, ModelConfig

from .fit import fit_state
from .recognise import describe, guess_backbone, infer_config

_SAFE_EXTRAS = [argparse.Namespace, collections.Counter]


def read_official(path: str | Path) -> dict[str, Tensor]:
    """The model state dict of an official checkpoint file (``checkpoint['model']``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; check the path")
    try:
        with torch.serialization.safe_globals(_SAFE_EXTRAS):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"cannot read {path} as a PyTorch checkpoint with weights_only=True: "
            f"{str(exc).splitlines()[0]}. Re-save it as a plain state dict "
            "(torch.save(ckpt['model'], ...)) or convert it with actionvos.checkpoints.save"
        ) from exc
    return extract_state(obj, str(path))


def extract_state(obj: object, source: str) -> dict[str, Tensor]:
    """Accept ``{'model': state_dict, ...}`` or a bare state dict."""
    if isinstance(obj, Mapping) and isinstance(obj.get("model"), Mapping):
        obj = obj["model"]
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(
            f"{source} holds {type(obj).__name__}, not a state dict; expected an official "
            "checkpoint with a 'model' entry"
        )
    if not all(isinstance(v, Tensor) for v in obj.values()):
        keys = ", ".join(list(obj)[:5])
        raise CheckpointError(
            f"{source} is a dict without a 'model' state dict (top-level keys: {keys}); "
            "pass checkpoint['model'] or the original .pth file"
        )
    return dict(obj)


def load_official(
    path_or_state_dict: str | Path | Mapping[str, Tensor],
    cfg: ModelConfig | None = None,
    allow_missing_head: bool = False,
) -> ActionVOSNet:
    """Build an :class:`ActionVOSNet` (eval mode, CPU) holding the weights of an official file.

    With ``cfg=None`` the configuration is inferred from the keys and shapes (backbone, text
    encoder size, queries). A given ``cfg`` must match the file; mismatches are reported by
    key name with a description of what the file looks like.
    """
    if isinstance(path_or_state_dict, (str, Path)):
        source = str(path_or_state_dict)
        state = read_official(path_or_state_dict)
    else:
        source = "state dict"
        state = extract_state(path_or_state_dict, source)
    if cfg is None:
        cfg = infer_config(state)
    else:
        found = guess_backbone(state)
        if found is not None and found != cfg.backbone:
            raise CheckpointError(
                f"{source} looks like {describe(state)} but the config asks for "
                f"backbone {cfg.backbone!r}; pass a matching config or cfg=None"
            )
    net = ActionVOSNet(cfg)
    fit_state(net, state, source, allow_missing_head=allow_missing_head)
    return net.eval()
