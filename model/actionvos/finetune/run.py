"""One fine-tuning run, as the CLI and the napari widget start it.

``run_finetune(FinetuneRequest(...), progress, cancel)``: read and check every store (refusing
bad ones before anything else), load the parent model, score it on the held-out frames, train
the preset's parameters, score again, and write a version (:mod:`.versions`) that records the
metrics and the store revisions; then note the version in each store's models table and,
unless asked not to, select it, but not when it scored lower than its parent on the held-out
frames (whoever wants it anyway selects it by name). The stores are only opened for writing
after training has finished, so a run that fails leaves them as they were. Under
``torchrun`` every rank trains (data-parallel) and rank 0 alone scores and writes.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from actionvos.engine.device import device_memory
from actionvos.errors import Cancelled, InputError, StoreError
from actionvos.training import AugmentSettings, Trainer, TrainProgress, TrainSettings
from actionvos.training.distributed import current_world

from .evaluation import score_network, scored_lower
from .presets import DEFAULT_PRESET, apply_preset, check_preset, resolve_preset
from .replay import check_replay, replay_share, with_replay
from .samples import SampleOptions, StoreData, read_stores
from .versions import (
    VERSION_FILE,
    VersionRecord,
    new_version_name,
    select,
    versions_root,
    weights_checksum,
    write_json,
)

#: Steps when neither steps nor minutes are given.
DEFAULT_STEPS = 200
#: Upstream's learning rate: ActionVOS fine-tunes a pretrained ReferFormer at 1e-4.
FINETUNE_LR = 1e-4
#: Loss weight on pixels a person painted (objects in human-verified frames), relative to
#: pseudo-labels' 1: a correction counts twice. Stores of only verified frames scale evenly.
DEFAULT_PAINTED_WEIGHT = 2.0
#: Steps the run may take when only a time limit is given (it stops at the limit).
UNBOUNDED_STEPS = 10**9


@dataclass(frozen=True)
class FinetuneRequest:
    """What to fine-tune, on which stores, for how long, and where the version goes."""

    stores: tuple[Path, ...]
    model: str = "lite"
    #: heads, decoder, full, or auto: heads or decoder by the number of corrected clips
    preset: str = DEFAULT_PRESET
    steps: int | None = None
    minutes: float | None = None
    #: The version folder; None: ``<checkpoint dir>/finetuned/<new name>``.
    out: Path | None = None
    device: str = "auto"
    seed: int = 0
    lr: float = FINETUNE_LR
    painted_weight: float = DEFAULT_PAINTED_WEIGHT
    samples: SampleOptions = field(default_factory=SampleOptions)
    #: Make the new version the default model (``rollback`` selects its parent again), unless
    #: it scored lower than its parent on the held-out frames (then it is saved and listed,
    #: and the default stays): ``select_if_worse`` selects it all the same.
    select: bool = True
    select_if_worse: bool = False
    record_in_stores: bool = True
    #: Augmentation; None: upstream's, scaled to the model's working resolution.
    augment: AugmentSettings | None = None
    num_frames: int = 5
    objects_per_step: int = 4
    #: Share of the steps drawn from the parent's own training data (:mod:`.replay`), against
    #: forgetting; 0 trains on the corrections alone; None: ``replay.DEFAULT_REPLAY`` where
    #: the parent has such data (Lite and its versions), else 0.
    replay: float | None = None

    def __post_init__(self) -> None:
        check_preset(self.preset)
        if self.replay is not None:
            check_replay(self.replay)
        if self.steps is not None and self.minutes is not None:
            raise InputError("give the length of the run as steps or as minutes, not both")
        if self.steps is not None and self.steps < 1:
            raise InputError(f"steps must be at least 1, got {self.steps}")
        if self.minutes is not None and not self.minutes > 0:
            raise InputError(f"minutes must be positive, got {self.minutes}")


@dataclass(frozen=True)
class FinetuneProgress:
    """What a progress callback is told: the phase, and during training the step."""

    phase: str  # "reading", "scoring before", "training", "scoring after", "writing"
    step: int = 0
    steps: int = 0
    loss: float | None = None
    steps_per_s: float | None = None
    eta_s: float | None = None


@dataclass
class FinetuneResult:
    """The new version and how it scores; ``metrics_*`` are None without held-out frames."""

    name: str
    path: Path
    parent: str
    preset: str  # the one it trained (auto resolved)
    steps: int
    wall_s: float
    cancelled: bool
    metrics_before: dict | None
    metrics_after: dict | None
    stores: list[dict]
    selected: bool
    losses: list[float] = field(default_factory=list)
    #: Why a version that was to be selected was not (it scored lower than its parent).
    not_selected: str | None = None
    warnings: list[str] = field(default_factory=list)
    rank: int = 0


ProgressFn = Callable[[FinetuneProgress], None]


def train_settings(request: FinetuneRequest, short_side: int, preset: str) -> TrainSettings:
    """The training recipe for a fine-tune: constant learning rate, ``preset``'s parameters
    (the request's, with ``auto`` resolved)."""
    limit = None if request.minutes is None else request.minutes * 60.0
    steps = request.steps or (UNBOUNDED_STEPS if limit is not None else DEFAULT_STEPS)
    settings = TrainSettings(
        steps=steps,
        lr=request.lr,
        lr_drops=(),
        seed=request.seed,
        device=request.device,
        num_frames=request.num_frames,
        objects_per_step=request.objects_per_step,
        train_backbone=False,
        time_limit_s=limit,
        painted_weight=request.painted_weight,
        augment=request.augment or AugmentSettings.for_short_side(short_side),
    )
    return apply_preset(settings, preset)


def _version_folder(request: FinetuneRequest, parent: str, preset: str) -> Path:
    if request.out is not None:
        out = Path(request.out)
        if out.exists() and any(out.iterdir()):
            raise InputError(
                f"{out} exists and is not empty; give a new folder for the version (nothing "
                "is overwritten)"
            )
        return out
    root = versions_root()
    return root / new_version_name(parent, preset, root)


def run_finetune(
    request: FinetuneRequest,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> FinetuneResult:
    """Run one fine-tune (see the module docstring)."""
    from actionvos.engine.loader import load_network, tokenizer_for
    from actionvos.registry import resolve_model

    report = progress or (lambda p: None)
    world = current_world()
    report(FinetuneProgress("reading"))
    data = read_stores(list(request.stores), request.samples)
    entry = resolve_model(request.model)
    parent = entry.reference
    preset = resolve_preset(request.preset, sum(len(d.train) for d in data))
    out = _version_folder(request, parent, preset)
    net = load_network(entry.path)
    tokenizer = tokenizer_for(net, entry.path, None)
    heldout = [c for d in data for c in d.heldout]
    share = replay_share(request.replay, net)
    train = with_replay([c for d in data for c in d.train], net, share)
    settings = train_settings(request, net.config.short_side, preset)

    before = None
    if world.is_main:
        report(FinetuneProgress("scoring before"))
        before = score_network(net, tokenizer, heldout, request.device)
    if cancel is not None and cancel.is_set():
        raise Cancelled("fine-tuning was cancelled before it trained; no version was written")
    created = not out.exists()
    try:
        trainer = Trainer(net, tokenizer, train, settings, out)

        def on_step(p: TrainProgress) -> None:
            steps = p.steps if request.minutes is None else 0
            report(FinetuneProgress("training", p.step, steps, p.loss, p.steps_per_s, p.eta_s))

        with device_memory(trainer.device, f"fine-tuning the {preset} preset"):
            trained = trainer.run(on_step, cancel)
    except BaseException:
        if created and world.is_main:
            shutil.rmtree(out, ignore_errors=True)
        raise
    result = FinetuneResult(
        name=out.name,
        path=out,
        parent=parent,
        preset=preset,
        steps=trained.steps_done,
        wall_s=trained.wall_s,
        cancelled=trained.cancelled,
        metrics_before=before,
        metrics_after=None,
        stores=[d.revision.as_dict() for d in data],
        selected=False,
        losses=trained.losses,
        rank=world.rank,
    )
    if not world.is_main:
        return result
    report(FinetuneProgress("scoring after", trained.steps_done, trained.steps_done))
    result.metrics_after = score_network(trainer.net, tokenizer, heldout, request.device)
    report(FinetuneProgress("writing", trained.steps_done, trained.steps_done))
    record = VersionRecord(
        name=out.name,
        parent=parent,
        preset=preset,
        steps=trained.steps_done,
        wall_s=trained.wall_s,
        cancelled=trained.cancelled,
        metrics_before=before,
        metrics_after=result.metrics_after,
        stores=result.stores,
        settings={
            "lr": settings.lr,
            "seed": settings.seed,
            "time_limit_s": settings.time_limit_s,
            "painted_weight": settings.painted_weight,
            "replay": share,
            "holdout_every": request.samples.holdout_every,
            "states": [s.value for s in request.samples.states],
            "world_size": world.size,
        },
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        checksum=weights_checksum(out),
    )
    write_json(out / VERSION_FILE, record.as_dict())
    if request.record_in_stores:
        result.warnings += record_in_stores(data, record, out)
    if request.select:
        name = out.name if request.out is None else str(out.resolve())
        if request.select_if_worse or not scored_lower(before, result.metrics_after):
            select(name)
            result.selected = True
        else:
            result.not_selected = not_selected_message(
                result.name, name, parent, before["giou"], result.metrics_after["giou"]
            )
    return result


def not_selected_message(
    version: str, select_as: str, parent: str, before: float, after: float
) -> str:
    """Why a version whose held-out gIoU fell from ``before`` to ``after`` was not made the
    default; ``select_as`` is the name ``actionvos models --select`` takes for it."""
    return (
        f"{version} scored lower than {Path(parent).name} on the held-out frames (gIoU "
        f"{100 * before:.1f} -> {100 * after:.1f}), so it was not made the default model; it is "
        f"saved and listed: `actionvos models --select {select_as}` uses it anyway"
    )


def record_in_stores(data: list[StoreData], record: VersionRecord, out: Path) -> list[str]:
    """Note the version in each store's models table; a store that cannot be written (open in
    napari) is reported, not fatal: the version is saved already."""
    from actionvos.store import ModelRole, Store

    warnings = []
    details = {
        "parent": record.parent,
        "preset": record.preset,
        "steps": record.steps,
        "wall_s": round(record.wall_s, 2),
        "cancelled": record.cancelled,
        "metrics_before": record.metrics_before,
        "metrics_after": record.metrics_after,
        "path": str(out),
    }
    for d in data:
        try:
            with Store.open(d.path) as store:
                store.record_model(
                    record.name,
                    ModelRole.TRAINED,
                    checksum=record.checksum,
                    details={**details, "labels_digest": d.revision.labels_digest},
                )
        except (StoreError, OSError) as exc:
            warnings.append(
                f"{d.path}: the version was saved in {out} but could not be noted in this "
                f"store ({exc})"
            )
    return warnings
