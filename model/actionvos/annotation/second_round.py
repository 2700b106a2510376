"""The loop's second round: fine-tune on the first clips' annotations, then annotate again.

The first round's finished annotations are saved as label stores (``saving.py``) beside the
clips' frames, fine-tuning on corrections (``actionvos.finetune``) trains a new version of
the model on their human-verified and propagated frames, and the new version's output is
what the next clips' annotation starts from. A clip the model already had right needs no edit,
so its annotation labels no frame (as in the widget, where saving accepted model output keeps
it model output): it has nothing to train on and is left out of the round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from actionvos.annotation.saving import save_annotation
from actionvos.annotation.simulator import ClipTask, SimulationResult
from actionvos.errors import InputError
from actionvos.store.schema import FrameState


@dataclass(frozen=True)
class FinetuneRound:
    """How the second round's model is trained."""

    model: str = "lite"
    steps: int = 100
    device: str = "cpu"
    seed: int = 0


def finetune_available() -> bool:
    """Whether this build has fine-tuning on label stores (``actionvos.finetune`` imports)."""
    try:
        import actionvos.finetune  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


#: Frame states a fine-tune trains on (``SampleOptions.states``).
TRAINED_STATES = (FrameState.HUMAN, FrameState.PROPAGATED)


def labels_a_frame(result: SimulationResult) -> bool:
    """Whether ``result``'s annotation holds a frame a fine-tune can learn from."""
    return result.state is not None and any(s in TRAINED_STATES for s in result.state.states)


def finetune_on_annotations(
    clips: Sequence,  # sample.SyntheticClip of the first round, in order
    tasks: Sequence[ClipTask],
    results: Sequence[SimulationResult],
    workdir: Path,
    settings: FinetuneRound,
    progress: Callable[[object], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Save the first round as stores under ``workdir``, fine-tune on them; the new model's
    folder (load it with ``load_engine``). Clips whose annotation labels no frame are left out
    (the module docstring); InputError when that leaves none."""
    if not finetune_available():
        raise InputError(
            "this build has no fine-tuning (actionvos.finetune); the second round needs it"
        )
    from actionvos.finetune import FinetuneRequest, SampleOptions, run_finetune
    from actionvos.sample import write_sample

    stores = []
    for clip, task, result in zip(clips, tasks, results, strict=True):
        if result.state is None:
            raise InputError(f"the first round of {task.name} kept no annotation to train on")
        if not labels_a_frame(result):
            continue
        paths = write_sample(clip, workdir / task.name, video=False, masks=False)
        store = workdir / f"{task.name}.actionvos"
        stores.append(save_annotation(store, task, result.state, clip=paths["frames"]))
    if not stores:
        raise InputError(
            "no clip of the first round labelled a frame (the model's output needed no edit): "
            "there is nothing to fine-tune on; run the first round on more clips"
        )
    request = FinetuneRequest(
        tuple(stores),
        model=settings.model,
        steps=settings.steps,
        out=workdir / "second-round-model",
        device=settings.device,
        seed=settings.seed,
        samples=SampleOptions(states=TRAINED_STATES, holdout_every=0),
        select=False,
        record_in_stores=False,
    )
    return run_finetune(request, progress, cancel).path
