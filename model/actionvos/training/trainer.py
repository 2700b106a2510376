"""The training loop: upstream's recipe on our network, Qt-free, with progress and cancel.

:class:`Trainer` takes a network, training clips and :class:`TrainSettings`, and writes a run
folder (:mod:`.checkpoint`) that loads like any saved model. One step encodes a clip's frames
once and decodes several of its expressions together (``net.decode`` with N captions), so the
criterion sees a batch of N (frames, expression) samples sharing those frames. A cancelled run
saves a checkpoint at the step it reached; ``resume=True`` continues from the folder. Under
``torchrun`` (an open process group) it trains data-parallel: see :mod:`.distributed`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from actionvos.engine.device import autocast, resolve_device, resolve_precision
from actionvos.engine.tokenizer import encode
from actionvos.errors import InputError
from actionvos.losses import ActionVOSCriterion

from .checkpoint import (
    read_record,
    read_state,
    recorded_trainable,
    settings_record,
    write_checkpoint,
)
from .data import SampleDrawer, TrainClip, TrainStep
from .distributed import agree, barrier, current_world, shard_clips, wrap
from .param_groups import freeze, param_groups
from .settings import TrainSettings


@dataclass(frozen=True)
class TrainProgress:
    """What a progress callback is told after each step."""

    step: int
    steps: int
    loss: float
    terms: dict[str, float]
    steps_per_s: float
    eta_s: float


@dataclass
class TrainResult:
    out: Path
    steps_done: int
    cancelled: bool
    wall_s: float
    losses: list[float] = field(default_factory=list)


ProgressFn = Callable[[TrainProgress], None]
MAIN_TERMS = (
    "loss_ce",
    "loss_bbox",
    "loss_giou",
    "loss_mask",
    "loss_dice",
    "loss_positive_labels",
    "loss_rank",
)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))


class Trainer:
    """Trains ``net`` on ``clips`` into the folder ``out`` (see the module docstring)."""

    def __init__(
        self,
        net: torch.nn.Module,
        tokenizer,  # noqa: ANN001
        clips: Sequence[TrainClip],
        settings: TrainSettings,
        out: str | Path,
        *,
        resume: bool = False,
        init: str | None = None,
    ) -> None:
        self.settings = settings
        #: The model whose weights ``net`` started from (None: fresh heads); for the record.
        self.init = init
        self.out = Path(out)
        self.device = resolve_device(settings.device)
        self.precision = resolve_precision(settings.precision, self.device, training=True)
        self.world = current_world()
        seed_everything(settings.seed)
        self.net = net.to(self.device)
        freeze(self.net, settings, getattr(self.net, "packaged_prefixes", lambda: ())())
        self.model = wrap(self.net, self.world, self.device)
        groups = param_groups(self.net, settings)
        if not groups:
            raise InputError("nothing to train: every parameter is frozen")
        self.optimizer = torch.optim.AdamW(
            [{"params": g.params, "lr": g.lr, "name": g.name} for g in groups],
            lr=settings.lr,
            weight_decay=settings.weight_decay,
        )
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            self.optimizer, settings.milestones(), gamma=settings.lr_gamma
        )
        self.criterion = ActionVOSCriterion()
        self.tokenizer = tokenizer
        self.drawer = SampleDrawer(
            shard_clips(clips, self.world),
            settings.num_frames,
            settings.objects_per_step,
            settings.augment,
            settings.seed + self.world.rank,
            settings.painted_weight,
        )
        self.step = 0
        self.losses: list[float] = []
        if resume:
            self._resume()

    # ------------------------------------------------------------------ public
    def run(
        self, progress: ProgressFn | None = None, cancel: threading.Event | None = None
    ) -> TrainResult:
        """Train up to ``settings.steps``; returns early (after saving) when ``cancel`` is set
        or ``settings.time_limit_s`` has passed."""
        start, first = time.perf_counter(), self.step
        cancelled = False
        every = self.settings.checkpoint_every
        limit = self.settings.time_limit_s
        while self.step < self.settings.steps:
            cancelled, timed_out = agree(
                [
                    cancel is not None and cancel.is_set(),
                    limit is not None and time.perf_counter() - start >= limit,
                ],
                self.world,
                self.device,
            )
            if cancelled or timed_out:
                break
            terms, loss = self.train_step(self.drawer.draw())
            self.step += 1
            self.losses.append(loss)
            if progress is not None:
                rate = (self.step - first) / max(time.perf_counter() - start, 1e-9)
                progress(
                    TrainProgress(
                        self.step,
                        self.settings.steps,
                        loss,
                        terms,
                        rate,
                        (self.settings.steps - self.step) / max(rate, 1e-9),
                    )
                )
            if every and self.step % every == 0 and self.step < self.settings.steps:
                self.save()
        self.save()
        return TrainResult(
            self.out, self.step, cancelled, time.perf_counter() - start, list(self.losses)
        )

    def train_step(self, batch: TrainStep) -> tuple[dict[str, float], float]:
        """One optimisation step on one batch; returns the main loss terms and the total."""
        self.net.train()
        text_encoder = getattr(self.net, "text_encoder", None)
        if text_encoder is not None and not self.settings.train_text_encoder:
            text_encoder.eval()  # frozen: no dropout either
        frames = batch.frames.to(self.device)
        pixel_mask = None if batch.pixel_mask is None else batch.pixel_mask.to(self.device)
        token_ids = [encode(self.tokenizer, c)[None].to(self.device) for c in batch.captions]
        with autocast(self.device, self.precision):
            out = self.model(frames, pixel_mask, token_ids)
            out = {k: _float(v) for k, v in out.items()}
            terms = self.criterion(out, batch.targets)
            total = self.criterion.weighted_total(terms)
        if not math.isfinite(float(total.detach())):
            raise FloatingPointError(
                f"step {self.step + 1}: the loss is {float(total.detach())} on clip "
                f"{batch.clip!r}; "
                "lower the learning rate or check the labels of that clip"
            )
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if self.settings.clip_max_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.settings.clip_max_norm)
        self.optimizer.step()
        self.scheduler.step()
        return {k: float(terms[k].detach()) for k in MAIN_TERMS if k in terms}, float(
            total.detach()
        )

    def save(self) -> None:
        """Write the run folder (rank 0 only; the other ranks wait until it is written)."""
        if not self.world.is_main:
            barrier(self.world, self.device)
            return
        record = {
            "step": self.step,
            "steps": self.settings.steps,
            "settings": settings_record(self.settings),
            "init": self.init,
            "rng": self.drawer.rng.bit_generator.state,
            "losses": self.losses,
        }
        self.net.eval()
        write_checkpoint(self.out, self.net, self.optimizer, self.scheduler, record)
        barrier(self.world, self.device)

    # ------------------------------------------------------------------ internals

    def _resume(self) -> None:
        from actionvos.checkpoints import load

        record = read_record(self.out)
        run_trains, asked = recorded_trainable(record), tuple(self.settings.trainable)
        if run_trains != asked:
            raise InputError(
                f"the run in {self.out} trains {_trainable_text(run_trains)}, this request "
                f"{_trainable_text(asked)}: its optimiser state fits "
                "only what it trains. Resume it training the same parameters, or start a new "
                "run from its weights"
            )
        state = read_state(self.out)
        saved = load(self.out)
        self.net.load_state_dict(saved.state_dict())
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step = int(record["step"])
        self.init = record.get("init", self.init)
        self.losses = [float(x) for x in record.get("losses", [])]
        self.drawer.rng.bit_generator.state = record["rng"]


def _trainable_text(prefixes: tuple[str, ...]) -> str:
    return "only " + ", ".join(prefixes) if prefixes else "everything the recipe trains"


def _float(v):  # noqa: ANN001, ANN202
    """Losses in float32 whatever the autocast dtype of the outputs."""
    if isinstance(v, torch.Tensor):
        return v.float()
    if isinstance(v, list):
        return [_float(x) for x in v]
    if isinstance(v, dict):
        return {k: _float(x) for k, x in v.items()}
    return v
