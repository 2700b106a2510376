"""Training settings: the official ActionVOS recipe as defaults, one typed object to pass around.

Numbers from ``RF_ActionVOS/opts.py`` and ``main_actionvos.py``: AdamW with weight decay 5e-4,
lr 1e-4 (backbone 5e-5, text encoder 1e-5 and frozen), the deformable attention's
``reference_points``/``sampling_offsets`` at lr x 1.0, MultiStepLR, gradient clipping at 0.1,
five frames per sample. Steps replace upstream's epochs: a person fine-tuning on a few clips
thinks in steps or minutes, not passes over VISOR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actionvos.errors import InputError

#: Upstream training scales (shorter side) for the 360 px inference resolution.
UPSTREAM_SCALES = (288, 320, 352, 392, 416, 448, 480, 512)
UPSTREAM_MAX_SIZE = 512


@dataclass(frozen=True)
class AugmentSettings:
    """Augmentation as upstream: flip (left/right swapped in the caption), photometric
    distortion, and a choice of random resize or resize-crop-resize."""

    scales: tuple[int, ...] = UPSTREAM_SCALES
    max_size: int = UPSTREAM_MAX_SIZE
    crop_scales: tuple[int, ...] = (400, 500, 600)
    crop_range: tuple[int, int] = (384, 600)
    flip_p: float = 0.5
    photometric: bool = True

    @classmethod
    def for_short_side(cls, short_side: int) -> AugmentSettings:
        """Upstream's augmentation scaled from 360 px to a model's working resolution."""
        if short_side == 360:
            return cls()
        f = short_side / 360.0

        def scaled(values: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(max(32, round(v * f)) for v in values)

        lo, hi = scaled(cls.crop_range)
        # Upstream trains 16:9 frames below their inference size (max 512 long side); a small
        # model loses too much at that ratio, so the long side may reach 16:9 of the largest
        # scale.
        return cls(
            scales=scaled(UPSTREAM_SCALES),
            max_size=round(max(scaled(UPSTREAM_SCALES)) * 16 / 9),
            crop_scales=scaled(cls.crop_scales),
            crop_range=(lo, hi),
        )


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides a training run besides the data and the starting weights."""

    steps: int = 1000
    lr: float = 1e-4
    lr_backbone: float = 5e-5
    lr_text_encoder: float = 1e-5
    lr_linear_proj_mult: float = 1.0
    weight_decay: float = 5e-4
    #: Fractions of ``steps`` at which the learning rate drops by ``lr_gamma`` (MultiStepLR).
    lr_drops: tuple[float, ...] = (0.8,)
    lr_gamma: float = 0.1
    clip_max_norm: float = 0.1
    num_frames: int = 5
    #: Expressions (objects) of one clip trained together in a step; they share its frames.
    objects_per_step: int = 4
    train_backbone: bool = True
    train_text_encoder: bool = False
    seed: int = 42
    device: str = "auto"
    precision: str = "auto"
    #: Write a checkpoint every this many steps (0: only at the end or on cancel).
    checkpoint_every: int = 0
    #: Name prefixes of the only parameters that train (empty: all that the rules above allow).
    #: Fine-tuning presets (``actionvos.finetune.presets``) set it to train just the heads.
    trainable: tuple[str, ...] = ()
    #: Stop (as finished, after saving) once this many seconds of training have passed.
    time_limit_s: float | None = None
    #: Loss-weight factor on pixels a person painted (``TrainClip.painted``); 1 = upstream.
    painted_weight: float = 1.0
    augment: AugmentSettings = field(default_factory=AugmentSettings)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise InputError(f"steps must be at least 1, got {self.steps}")
        if self.num_frames < 1:
            raise InputError(f"num_frames must be at least 1, got {self.num_frames}")
        if self.objects_per_step < 1:
            raise InputError(f"objects_per_step must be at least 1, got {self.objects_per_step}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if not self.painted_weight > 0:
            raise InputError(f"painted_weight must be positive, got {self.painted_weight}")
        if any(not 0.0 < d < 1.0 for d in self.lr_drops):
            raise InputError(f"lr_drops are fractions of the run in (0, 1), got {self.lr_drops}")

    def milestones(self) -> list[int]:
        return sorted({max(1, round(d * self.steps)) for d in self.lr_drops})
