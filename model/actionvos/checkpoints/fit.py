"""Put a state dict into a network, reporting every misfit by name.

``load_state_dict(strict=False)`` (what upstream does) silently keeps random weights for missing
keys; here anything missing, unexpected or mis-shaped is an error that names the keys and says
what the file looks like, with one allowed exception: a ReferFormer file lacking only the
ActionVOS head (``allow_missing_head``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from actionvos.errors import CheckpointError

from .recognise import ALIAS_PREFIX, ALIAS_TARGET, HEAD_PREFIX, describe, is_ignored

_SHOW = 8


class MissingHeadWarning(UserWarning):
    """The checkpoint has no ``positive_cls_embed``: positive scores carry no information."""


def _names(keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOW])
    more = len(keys) - _SHOW
    return shown + (f" ... and {more} more" if more > 0 else "")


def canonical(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Drop ignorable keys, a DDP ``module.`` prefix, and fold the bbox_embed aliases.

    Returns a dict holding ``bbox_embed.*`` once; a value only present under the
    ``transformer.decoder.bbox_embed.*`` name is moved to the short name.
    """
    keys = list(state)
    strip = bool(keys) and all(k.startswith("module.") for k in keys)
    out: dict[str, Tensor] = {}
    for key, value in state.items():
        name = key[len("module.") :] if strip else key
        if is_ignored(name):
            continue
        if not isinstance(value, Tensor):
            raise CheckpointError(
                f"entry {name!r} is a {type(value).__name__}, not a tensor; "
                "pass the model state dict (checkpoint['model'])"
            )
        out[name] = value
    for name in [k for k in out if k.startswith(ALIAS_PREFIX)]:
        short = ALIAS_TARGET + name[len(ALIAS_PREFIX) :]
        value = out.pop(name)
        out.setdefault(short, value)
    return out


def expected_shapes(net: nn.Module) -> dict[str, tuple[int, ...]]:
    """Key -> shape of the network's state dict with the aliases folded."""
    return {k: tuple(v.shape) for k, v in canonical(net.state_dict()).items()}


def fit_state(
    net: nn.Module,
    state: Mapping[str, Tensor],
    source: str,
    allow_missing_head: bool = False,
) -> None:
    """Copy ``state`` into ``net`` or raise CheckpointError naming every problem."""
    given = canonical(state)
    expected = expected_shapes(net)
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    misshaped = [
        f"{k} {tuple(given[k].shape)} (model: {expected[k]})"
        for k in expected
        if k in given and tuple(given[k].shape) != expected[k]
    ]
    head_only = bool(missing) and all(k.startswith(HEAD_PREFIX) for k in missing)
    if head_only and allow_missing_head and not unexpected and not misshaped:
        missing = []
        warnings.warn(
            f"{source}: ReferFormer checkpoint without the ActionVOS head "
            "(positive_cls_embed.*); every caption gets positive probability 0.01, so the 0.75 "
            "gate hides all masks. Use an ActionVOS checkpoint or a gate threshold of 0.",
            MissingHeadWarning,
            stacklevel=3,
        )
        _neutral_head(net)
    if missing or unexpected or misshaped:
        raise CheckpointError(_report(source, given, missing, unexpected, misshaped, head_only))
    params = net.state_dict()
    with torch.no_grad():
        for key, value in given.items():
            target = params[key]
            if not target.is_floating_point() and value.is_floating_point():
                raise CheckpointError(
                    f"{source}: {key} holds floats but the model expects {target.dtype}"
                )
            target.copy_(value)


def _neutral_head(net: nn.Module) -> None:
    """Upstream's fresh positive head bias (-log 99) with zero weights: a constant 0.01."""
    head = getattr(net, "positive_cls_embed", None)
    if head is None:
        return
    with torch.no_grad():
        for layer in head:
            layer.weight.zero_()
            layer.bias.fill_(-4.59511985013459)


def _report(
    source: str,
    given: dict[str, Tensor],
    missing: list[str],
    unexpected: list[str],
    misshaped: list[str],
    head_only: bool,
) -> str:
    parts = [f"{source} does not fit the network: it looks like {describe(given)}."]
    if head_only:
        parts.append(
            "Only the ActionVOS head positive_cls_embed.* is missing: this is a ReferFormer "
            "checkpoint. Pass allow_missing_head=True to load it anyway (the positive gate "
            "then carries no information), or use an ActionVOS checkpoint."
        )
    elif missing:
        parts.append(f"Missing {len(missing)} keys: {_names(missing)}.")
    if unexpected:
        parts.append(f"Unexpected {len(unexpected)} keys: {_names(unexpected)}.")
    if misshaped:
        parts.append(f"Mis-shaped {len(misshaped)} keys: {_names(misshaped)}.")
    if not head_only:
        parts.append(
            "Check that the config (backbone, text encoder size) matches the file, or let "
            "load_official infer it by passing cfg=None."
        )
    return " ".join(parts)
