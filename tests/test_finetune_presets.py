"""What a fine-tune trains: ``auto`` picks ``heads`` or ``decoder`` by how much was corrected."""

from __future__ import annotations

import pytest

from actionvos.errors import InputError
from actionvos.finetune.presets import (
    DECODER,
    DECODER_FROM_CLIPS,
    DEFAULT_PRESET,
    HEADS,
    apply_preset,
    resolve_preset,
)
from actionvos.training import TrainSettings


def test_auto_is_the_default_and_picks_by_the_number_of_corrected_clips() -> None:
    assert DEFAULT_PRESET == "auto"
    assert [resolve_preset("auto", n) for n in (1, DECODER_FROM_CLIPS - 1)] == ["heads"] * 2
    assert [resolve_preset("auto", n) for n in (DECODER_FROM_CLIPS, 40)] == ["decoder"] * 2
    assert resolve_preset("full", 1) == "full" and resolve_preset("heads", 40) == "heads"


def test_an_unknown_preset_is_refused_naming_the_choices() -> None:
    with pytest.raises(InputError, match="auto, heads, decoder, full"):
        resolve_preset("everything", 3)


def test_a_preset_opens_only_its_parameters() -> None:
    heads = apply_preset(TrainSettings(train_backbone=True), "heads")
    assert heads.trainable == HEADS and not heads.train_backbone
    assert apply_preset(TrainSettings(), "decoder").trainable == DECODER
    assert apply_preset(TrainSettings(), "full").trainable == ()
    with pytest.raises(InputError, match="auto"):
        apply_preset(TrainSettings(), "auto")  # resolved before it is applied
