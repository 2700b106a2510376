"""Rehearsal: draw a share of a fine-tune's steps from the parent's own training data.

A few corrected clips pull the whole network toward their look; what it knew of the domain it
was trained on fades (``bench/finetune.py``: -3 to -4 gIoU points on the original style, and
blending the weights back toward the parent does not bring them back). Mixing clips of the
parent's training data into the steps keeps that domain in the loss. Only ActionVOS-Lite has
such data on every machine: its training clips are generated from seeds
(:data:`actionvos.training.lite.SHIPPED_TRAINING_SEED` onwards). Official checkpoints were
trained on VISOR, which is not shipped, so their fine-tunes cannot replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actionvos.errors import InputError
from actionvos.training.data import TrainClip


@dataclass(frozen=True)
class ReplayMix(Sequence):
    """Corrections and replay clips as one lazy sequence in which a uniformly drawn index is a
    replay clip with probability ``share`` (each correction is repeated to weigh that much).
    """

    corrections: Sequence[TrainClip]
    replay: Sequence[TrainClip]
    share: float

    def __post_init__(self) -> None:
        if not 0.0 < self.share < 1.0:
            raise InputError(f"the replay share must be between 0 and 1, got {self.share}")
        if len(self.corrections) == 0 or len(self.replay) == 0:
            raise InputError("replay needs corrected clips and clips to replay")

    @property
    def repeats(self) -> int:
        """How many times each correction appears, so that replay is ``share`` of the draws."""
        ratio = len(self.replay) * (1.0 - self.share) / (self.share * len(self.corrections))
        return max(1, round(ratio))

    def __len__(self) -> int:
        return len(self.corrections) * self.repeats + len(self.replay)

    def __getitem__(self, i: int) -> TrainClip:  # type: ignore[override]
        if not 0 <= i < len(self):
            raise IndexError(i)
        head = len(self.corrections) * self.repeats
        if i < head:
            return self.corrections[i % len(self.corrections)]
        return self.replay[i - head]


#: The replay share when none is asked for and the parent has data to replay. Chosen with
#: ``bench/finetune.py`` (decoder preset, 10 CPU minutes on four novel clips): with 0.5 the
#: novel clips gained gIoU +8.1 / accuracy +5.9 and the original style lost 1.6 / 1.9; with no
#: replay +7.3 / +5.5 and -3.0 / +0.6.
DEFAULT_REPLAY = 0.5


def has_replay_data(net) -> bool:  # noqa: ANN001  (an ActionVOSNet)
    """Whether ``net``'s training data can be made on this machine (ActionVOS-Lite's can)."""
    return getattr(net.config, "backbone", None) == "efficientnet_lite0"


def check_replay(share: float) -> float:
    """``share`` if it is a share of the steps, in [0, 1); InputError otherwise."""
    if not 0.0 <= share < 1.0:
        raise InputError(f"replay is a share of the steps in [0, 1), got {share}")
    return float(share)


def replay_share(requested: float | None, net) -> float:  # noqa: ANN001
    """The share to use: ``requested``, or by default :data:`DEFAULT_REPLAY` where ``net``
    has data to replay and 0 where it has none."""
    if requested is None:
        return DEFAULT_REPLAY if has_replay_data(net) else 0.0
    return check_replay(requested)


def replay_clips(net) -> Sequence[TrainClip]:  # noqa: ANN001  (an ActionVOSNet)
    """The training data of ``net``'s family, made when drawn; InputError where there is none."""
    from actionvos.training.lite import (
        SHIPPED_TRAINING_CLIPS,
        SHIPPED_TRAINING_SEED,
        SyntheticClips,
    )

    if not has_replay_data(net):
        raise InputError(
            "replay draws on the parent's training data, which only ActionVOS-Lite (and its "
            "fine-tuned versions) has on this machine; an official checkpoint was trained on "
            "VISOR. Fine-tune it with replay 0 (--replay 0)"
        )
    return SyntheticClips(SHIPPED_TRAINING_SEED, SHIPPED_TRAINING_CLIPS)


def with_replay(corrections: Sequence[TrainClip], net, share: float) -> Sequence[TrainClip]:  # noqa: ANN001
    """``corrections`` alone for ``share`` 0, else mixed with ``net``'s training data."""
    if share == 0:
        return corrections
    return ReplayMix(corrections, replay_clips(net), share)
