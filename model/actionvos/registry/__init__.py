"""Which models can be used, by name: the shipped ActionVOS-Lite, official checkpoints and
saved or fine-tuned versions found in the checkpoint directories (``actionvos models``)."""

from .registry import (
    LITE,
    ModelEntry,
    calibrated_threshold,
    list_models,
    resolve_model,
    selected_name,
    shipped_lite_dir,
)

__all__ = [
    "LITE",
    "ModelEntry",
    "calibrated_threshold",
    "list_models",
    "resolve_model",
    "selected_name",
    "shipped_lite_dir",
]
