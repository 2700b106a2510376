"""Training clips and the samples drawn from them.

A :class:`TrainClip` is what any source (the synthetic generator today, label stores for
fine-tuning) hands the trainer: frames, instance ids, raw action-guided weight maps and one
entry per object of one action. :class:`SampleDrawer` turns clips into :class:`TrainStep` s the
way upstream's loader does — one expression per sample, five frames, negatives with empty
targets — with the expressions of one step drawn from the same clip so that they share the
frames' visual encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from actionvos.engine.prompts import build_prompts
from actionvos.errors import InputError
from actionvos.losses.targets import clip_target

from .augment import Views, augment, from_arrays, normalise
from .frames import sample_frames
from .settings import AugmentSettings


@dataclass
class TrainClip:
    """One action of one clip with its labels. ``ids`` value k is object k-1."""

    frames: np.ndarray  # uint8 [T, H, W, 3]
    ids: np.ndarray  # int [T, H, W]
    raw_weights: np.ndarray  # uint8 [T, H, W] raw {1, 2, 3, 4} (labeling.raw_weight_maps)
    object_names: list[str]
    positive: list[bool]
    narration: str
    class_ids: list[int] | None = None
    name: str = ""
    #: bool [T, H, W]: pixels a person painted, weighted by ``TrainSettings.painted_weight``.
    painted: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = self.frames.shape[0]
        if self.ids.shape != self.frames.shape[:3] or self.raw_weights.shape != self.ids.shape:
            raise InputError(
                f"clip {self.name!r}: frames {self.frames.shape}, ids {self.ids.shape} and "
                f"weights {self.raw_weights.shape} must share [T, H, W]"
            )
        if self.painted is not None and self.painted.shape != self.ids.shape:
            raise InputError(
                f"clip {self.name!r}: painted {self.painted.shape} must match ids {self.ids.shape}"
            )
        if len(self.object_names) != len(self.positive) or not self.object_names:
            raise InputError(f"clip {self.name!r}: one positive flag per object is needed")
        if t < 1:
            raise InputError(f"clip {self.name!r} has no frames")


def synthetic_train_clip(clip) -> TrainClip:  # noqa: ANN001  (a sample.SyntheticClip)
    """Train on the synthetic clip's pseudo-labels: the action-aware labeling module's flags
    and weight maps, exactly as the product labels real footage."""
    from actionvos.labeling import label_objects, raw_weight_maps

    labels = label_objects(
        clip.masks,
        clip.object_names,
        clip.narration,
        class_ids=clip.class_ids,
        action_noun_classes=clip.all_noun_classes,
        hand_object_boxes=clip.hand_object_boxes,
        hand_masks=clip.hand_masks,
    )
    raw = raw_weight_maps(clip.masks, labels, clip.hand_object_boxes)
    return TrainClip(
        frames=clip.frames,
        ids=clip.masks.astype(np.int64),
        raw_weights=raw.astype(np.uint8),
        object_names=list(clip.object_names),
        positive=[bool(lb.positive) for lb in labels],
        narration=clip.narration,
        class_ids=list(clip.class_ids),
        name=f"synthetic-{clip.seed}",
    )


@dataclass
class TrainStep:
    """One optimisation step's input: a clip's frames and several of its expressions."""

    frames: torch.Tensor  # [T, 3, H', W'] normalised, zero-padded to a multiple of 32
    pixel_mask: torch.Tensor | None  # [T, H', W'] True on the padding (None: no padding)
    captions: list[str]
    targets: list[dict[str, torch.Tensor]]
    clip: str
    objects: list[str]


class SampleDrawer:
    """Draws training steps from clips with one seeded generator (same seed, same run)."""

    def __init__(
        self,
        clips: Sequence[TrainClip],
        num_frames: int,
        objects_per_step: int,
        augment_settings: AugmentSettings,
        seed: int,
        painted_weight: float = 1.0,
    ) -> None:
        if len(clips) == 0:
            raise InputError("no training clips: give at least one clip with labelled frames")
        self.clips = clips  # may be lazy (clips made when drawn): never copied into a list
        self.num_frames = num_frames
        self.objects_per_step = objects_per_step
        self.augment = augment_settings
        self.painted_weight = float(painted_weight)
        self.rng = np.random.default_rng(seed)

    def draw(self) -> TrainStep:
        clip = self.clips[int(self.rng.integers(len(self.clips)))]
        n = len(clip.object_names)
        k = min(self.objects_per_step, n)
        chosen = sorted(int(i) for i in self.rng.choice(n, k, replace=False))
        frames = sample_frames(clip.frames.shape[0], self.num_frames, self.rng)
        names = [clip.object_names[i] for i in chosen]
        raw = clip.raw_weights[frames].astype(np.int64)
        if clip.painted is not None:  # carried through the augmentation as a bit of the raw map
            raw = raw + PAINTED_BIT * clip.painted[frames]
        views = from_arrays(
            clip.frames[frames], clip.ids[frames], raw, build_prompts(names, clip.narration)
        )
        keep = [i + 1 for i in chosen if clip.positive[i]]
        views: Views = augment(views, self.augment, self.rng, keep_ids=keep)
        ids, raw = views.ids.numpy(), views.raw.numpy()
        painted = raw >= PAINTED_BIT
        raw = raw % PAINTED_BIT
        targets = [
            clip_target(
                ids,
                raw,
                i + 1,
                clip.positive[i],
                class_id=0 if clip.class_ids is None else int(clip.class_ids[i]),
            )
            for i in chosen
        ]
        if clip.painted is not None and self.painted_weight != 1.0:
            boost = torch.from_numpy(np.where(painted, self.painted_weight, 1.0).astype(np.float32))
            for target in targets:
                target["weights"] = target["weights"] * boost
        frames, pixel_mask = pad_to_multiple(normalise(views.frames), PAD_DIVISOR)
        return TrainStep(frames, pixel_mask, views.captions, targets, clip.name, names)


#: Raw weights are 1..4; ``raw + PAINTED_BIT`` marks a painted pixel while augmenting.
PAINTED_BIT = 8

#: Batches are padded like upstream's NestedTensor (``size_divisibility`` of the criterion).
PAD_DIVISOR = 32


def pad_to_multiple(frames: torch.Tensor, divisor: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Zero-pad [T,3,H,W] bottom/right to multiples of ``divisor``, with the padding mask."""
    t, _, h, w = frames.shape
    ph, pw = -h % divisor, -w % divisor
    if not ph and not pw:
        return frames, None
    out = frames.new_zeros(t, 3, h + ph, w + pw)
    out[:, :, :h, :w] = frames
    mask = torch.ones(t, h + ph, w + pw, dtype=torch.bool)
    mask[:, :h, :w] = False
    return out, mask
