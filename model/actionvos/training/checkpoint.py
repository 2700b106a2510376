"""A training run's folder: the model (our safetensors format) plus what resuming needs.

``model.safetensors`` + ``config.json`` load like any saved model; ``trainer_state.pt``
(optimiser and scheduler state, tensors only, read with ``weights_only=True``) and
``training.json`` (settings, step, the sampler's RNG state, the loss history) let a cancelled
or interrupted run continue. Each file is written to a temporary name and renamed, so a run
killed mid-save keeps its previous checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from actionvos.checkpoints import save
from actionvos.checkpoints.native import atomic_write
from actionvos.errors import CheckpointError

STATE = "trainer_state.pt"
RECORD = "training.json"


def write_checkpoint(
    out: Path, net: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, record: dict
) -> None:
    """Model first, then the resume state, then the record that says which step they are."""
    out.mkdir(parents=True, exist_ok=True)
    save(net, None, out)
    state = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    atomic_write(out / STATE, lambda p: torch.save(state, p))
    atomic_write(out / RECORD, lambda p: Path(p).write_text(json.dumps(record, indent=1) + "\n"))


def read_record(out: Path) -> dict:
    try:
        return json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{out} holds no readable {RECORD}: it is not a training run folder to resume ({exc})"
        ) from exc


def read_state(out: Path) -> dict:
    try:
        return torch.load(out / STATE, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as exc:
        raise CheckpointError(f"cannot read {out / STATE} to resume: {exc}") from exc


def recorded_trainable(record: dict) -> tuple[str, ...]:
    """The parameter prefixes a run trains, from its record (empty: what the recipe trains)."""
    return tuple(record.get("settings", {}).get("trainable") or ())


def settings_record(settings: Any) -> dict:
    return asdict(settings)
