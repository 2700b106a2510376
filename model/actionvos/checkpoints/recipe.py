"""Deterministic weights computed from key names (the reference fixtures' init recipe).

Lets tests and the numerical-equivalence tool rebuild exactly the weights the fixtures were
generated with, without storing them: each key seeds its own CPU generator with crc32(key).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping

import torch
from torch import Tensor, nn


def recipe_value(key: str, shape: tuple[int, ...]) -> Tensor:
    """The float32 value the recipe assigns to ``key`` (independent of any other key)."""
    g = torch.Generator().manual_seed(zlib.crc32(key.encode("utf-8")))
    if key.endswith("num_batches_tracked"):
        return torch.zeros(shape)
    if key.endswith("running_var"):
        return 1 + 0.1 * torch.rand(shape, generator=g)
    if key.endswith("running_mean"):
        return 0.1 * torch.randn(shape, generator=g)
    if len(shape) >= 2:
        return torch.randn(shape, generator=g) / math.sqrt(math.prod(shape[1:]))
    if key.endswith("weight"):
        return 1 + 0.1 * torch.randn(shape, generator=g)
    return 0.1 * torch.randn(shape, generator=g)


@torch.no_grad()
def apply_recipe(net: nn.Module, overrides: Mapping[str, float] | None = None) -> None:
    """Overwrite every floating tensor of ``net.state_dict()`` in sorted key order.

    Aliased tensors (the two ``bbox_embed`` names) are written twice; as in the reference,
    the key that sorts last wins. Integer buffers (Swin position indices) are left alone.
    """
    state = net.state_dict(keep_vars=True)
    for key in sorted(state):
        tensor = state[key]
        if not tensor.is_floating_point():
            continue
        tensor.copy_(recipe_value(key, tuple(tensor.shape)))
    for key, value in (overrides or {}).items():
        if key not in state:
            raise KeyError(f"override key {key!r} is not in the model state_dict")
        state[key].fill_(float(value))


def checksums(net: nn.Module) -> dict[str, tuple[float, float]]:
    """[sum, sum of squares] in float64 per state_dict key, as stored in the fixtures."""
    out = {}
    for key, tensor in net.state_dict().items():
        d = tensor.detach().double()
        out[key] = (float(d.sum()), float((d * d).sum()))
    return out
