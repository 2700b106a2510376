"""Which models can be used, by name: the shipped ActionVOS-Lite, official checkpoints and
saved or fine-tuned versions found in the checkpoint directories (``actionvos models``)."""

from .registry import LITE, ModelEntry, list_models, resolve_model, shipped_lite_dir

__all__ = ["LITE", "ModelEntry", "list_models", "resolve_model", "shipped_lite_dir"]
