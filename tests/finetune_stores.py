"""Small label stores over real frame folders, for the fine-tuning tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionvos.finetune import FinetuneRequest, SampleOptions
from actionvos.sample import make_kitchen_clip, write_sample
from actionvos.sample.label_store import write_clip_store
from actionvos.training import AugmentSettings

#: Tiny, deterministic training samples: the tests check data flow, not quality.
TINY = AugmentSettings(scales=(64,), max_size=128, flip_p=0.0, photometric=False)
SIZE = (96, 128)


def clip_with_frames(seed: int, root: Path, n_frames: int = 6):  # noqa: ANN201
    """A synthetic clip and the folder of its JPEG frames (the clip a store points at)."""
    clip = make_kitchen_clip(seed, n_frames=n_frames, size=SIZE)
    paths = write_sample(clip, root / f"clip-{seed}", video=False, masks=False)
    return clip, paths["frames"]


def truth_store(seed: int, root: Path, n_frames: int = 6) -> Path:
    """The clip's ground truth as a store of human-verified frames and flags."""
    clip, frames = clip_with_frames(seed, root, n_frames)
    return write_clip_store(
        clip, root / f"clip-{seed}.actionvos", clip_path=frames, video=f"synth-{seed}"
    )


def read_frames(folder: Path, frames: list[int]) -> np.ndarray:
    from actionvos.io import open_clip

    return open_clip(folder)[frames]


def tiny_request(parent, stores, **kw) -> FinetuneRequest:  # noqa: ANN001
    """A two-step CPU fine-tune of ``parent`` on ``stores`` with tiny samples; ``kw`` overrides."""
    values = dict(
        stores=tuple(stores),
        model=str(parent),
        steps=2,
        device="cpu",
        augment=TINY,
        num_frames=3,
        objects_per_step=2,
        samples=SampleOptions(holdout_every=3),
        # two steps go either way on the held-out frames; these runs test what a version is,
        # so it is selected regardless (the rule has a test of its own)
        select_if_worse=True,
    )
    values.update(kw)
    return FinetuneRequest(**values)
