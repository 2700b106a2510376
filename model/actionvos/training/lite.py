"""ActionVOS-Lite: build it, train its shipped weights on synthetic kitchens, score it.

The shipped weights are reproduced by ``actionvos train --out DIR`` (its defaults are the
shipped run: :data:`SHIPPED_TRAINING_CLIPS` clips from seed :data:`SHIPPED_TRAINING_SEED`,
:data:`SHIPPED_TRAINING_STEPS` steps; see
:func:`lite_train_settings` for the recipe): clips are generated on demand from consecutive
seeds, so a run needs no dataset on disk and the same seed gives the same run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from actionvos.metrics.engine_eval import LabelledClip
from actionvos.network import ActionVOSNet
from actionvos.network.config import ModelConfig, lite_config

from .data import TrainClip, synthetic_train_clip
from .settings import AugmentSettings, TrainSettings

#: Size of generated training clips: 0.6 of 360p, above Lite's 192 px working resolution so
#: the scale augmentation has room both ways.
TRAIN_CLIP_SIZE = (216, 384)
TRAIN_CLIP_FRAMES = 12
#: Seeds at and above this are never used for training (evaluation clips).
EVAL_SEED_BASE = 1_000_000
#: The run that made the shipped weights (``actionvos train --synthetic 5000 --seed 0 --steps
#: 1800``, default style; the CLI's defaults): fine-tunes replay its clips
#: (``actionvos.finetune.replay``).
SHIPPED_TRAINING_SEED = 0
SHIPPED_TRAINING_CLIPS = 5000
SHIPPED_TRAINING_STEPS = 1800


def build_lite(cfg: ModelConfig | None = None) -> tuple[ActionVOSNet, Any]:
    """A fresh Lite network (encoders from their packages, the rest random) and its tokenizer."""
    from actionvos.engine.tokenizer import load_minilm_tokenizer

    cfg = cfg or lite_config()
    return ActionVOSNet(cfg), load_minilm_tokenizer(cfg.text_encoder_dir)


def with_query_ranker(net: ActionVOSNet) -> ActionVOSNet:
    """``net`` itself if it has a query ranker, else the same network with a new, untrained one
    (every other weight copied), so a run can start from weights without one (the shipped
    Lite's) and train it (``actionvos train --query-ranker``)."""
    if net.config.query_ranker:
        return net
    out = ActionVOSNet(dataclasses.replace(net.config, query_ranker=True))
    missing, unexpected = out.load_state_dict(net.state_dict(), strict=False)
    if unexpected or any(not k.startswith("query_ranker.") for k in missing):
        raise RuntimeError(f"adding a query ranker changed other weights: {missing} {unexpected}")
    return out


#: Lite trains its heads and transformer from scratch in about a thousand steps, not
#: fine-tunes a pretrained ReferFormer for epochs: upstream's 1e-4 is raised to 3e-4
#: (Deformable DETR's 2e-4 order), the rest of the recipe is kept.
LITE_LR = 3e-4


def lite_train_settings(
    steps: int, seed: int = 0, short_side: int | None = None, **overrides: Any
) -> TrainSettings:
    """The upstream recipe with Lite's encoders frozen, augmentation at its working resolution
    (``short_side``, default Lite's) and a from-scratch learning rate (:data:`LITE_LR`)."""
    values: dict[str, Any] = {
        "steps": steps,
        "seed": seed,
        "lr": LITE_LR,
        "train_backbone": False,
        "objects_per_step": 4,
        "augment": AugmentSettings.for_short_side(short_side or lite_config().short_side),
    }
    values.update(overrides)
    return TrainSettings(**values)


@dataclass
class SyntheticClips(Sequence):
    """Synthetic training clips for seeds ``seed .. seed + count - 1``, made when drawn."""

    seed: int
    count: int
    n_frames: int = TRAIN_CLIP_FRAMES
    size: tuple[int, int] = TRAIN_CLIP_SIZE
    style: str | None = None

    def __post_init__(self) -> None:
        if self.seed + self.count > EVAL_SEED_BASE:
            raise ValueError(f"training seeds must stay below {EVAL_SEED_BASE} (evaluation clips)")

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> TrainClip:  # type: ignore[override]
        if not 0 <= i < self.count:
            raise IndexError(i)
        return synthetic_train_clip(self.make(self.seed + i, self.n_frames, self.size))

    def make(self, seed: int, n_frames: int, size: tuple[int, int]):  # noqa: ANN201
        from actionvos.sample import make_kitchen_clip

        kw = {} if self.style is None else {"style": self.style}
        return make_kitchen_clip(seed, n_frames=n_frames, size=size, **kw)


def synthetic_eval_clips(
    count: int,
    seed: int = EVAL_SEED_BASE,
    n_frames: int = 24,
    size=(360, 640),
    style: str | None = None,
) -> list[LabelledClip]:
    """Held-out clips (seeds never used in training) with their true labels, at 360p."""
    from actionvos.sample import make_kitchen_clip

    kw = {} if style is None else {"style": style}
    out = []
    for s in range(seed, seed + count):
        c = make_kitchen_clip(s, n_frames=n_frames, size=size, **kw)
        out.append(
            LabelledClip(
                f"synthetic-{s}",
                c.frames,
                c.masks.astype(np.int64),
                list(c.object_names),
                list(c.active),
                c.narration,
            )
        )
    return out
