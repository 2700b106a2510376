"""The Fine-tune part of the widget: train on saved corrections, register, re-run."""
