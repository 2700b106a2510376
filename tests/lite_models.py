"""ActionVOS-Lite built once per test session (encoders load from their pip packages)."""

from __future__ import annotations

import copy
import functools

import torch

from actionvos.network import ActionVOSNet


@functools.lru_cache(maxsize=1)
def _lite():
    from actionvos.training.lite import build_lite

    # the random heads from a fixed seed, not from whatever the tests before left in torch's
    # generator: a test's model output must not depend on which tests ran first
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return build_lite()


def fresh_lite() -> tuple[ActionVOSNet, object]:
    """A private copy of a fresh Lite network (random heads) and its tokenizer."""
    net, tokenizer = _lite()
    return copy.deepcopy(net), tokenizer
