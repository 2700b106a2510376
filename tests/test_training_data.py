"""Training samples: frame sampling, augmentation, targets, as upstream's loader builds them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actionvos.errors import InputError
from actionvos.sample import make_kitchen_clip
from actionvos.training import AugmentSettings, SampleDrawer, TrainSettings, synthetic_train_clip
from actionvos.training.augment import Views, augment, hflip, swap_left_right
from actionvos.training.frames import sample_frames


def test_frame_sampling_follows_the_official_rule() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        anchor = int(rng.integers(30))
        picked = sample_frames(30, 5, rng, anchor=anchor)
        assert len(picked) == 5 and picked == sorted(picked)
        assert anchor in picked
        # one local frame 1-3 before and one 1-3 after the anchor (clamped to the clip)
        assert any(max(0, anchor - 3) <= i <= anchor - 1 for i in picked) or anchor == 0
        assert any(anchor + 1 <= i <= min(29, anchor + 3) for i in picked) or anchor == 29
        if 3 <= anchor <= 26:  # away from the ends nothing is clamped, so no frame repeats
            assert len(set(picked)) == 5


def test_frame_sampling_repeats_frames_of_a_short_clip() -> None:
    picked = sample_frames(2, 5, np.random.default_rng(1))
    assert len(picked) == 5 and set(picked) == {0, 1}


def test_caption_swap_is_whole_word_and_keeps_case() -> None:
    assert (
        swap_left_right("Left bowl left of the right hand") == "Right bowl right of the left hand"
    )
    assert swap_left_right("leftover knife, brightly lit") == "leftover knife, brightly lit"


def test_flip_swaps_left_and_right_in_captions_and_masks_together() -> None:
    frames = torch.zeros(2, 3, 4, 6)
    frames[:, 0, :, 0] = 1.0  # a red column on the left edge
    ids = torch.zeros(2, 4, 6, dtype=torch.long)
    ids[:, :, :2] = 1  # object 1 on the left
    views = hflip(Views(frames, ids, ids.clone(), ["knife left of the board"]))
    assert views.captions == ["knife right of the board"]
    assert bool((views.ids[:, :, -2:] == 1).all()) and not bool((views.ids[:, :, :2] == 1).any())
    assert bool((views.frames[:, 0, :, -1] == 1).all())
    # pixels and labels moved together
    assert torch.equal(views.ids == 1, views.raw == 1)


def test_augment_keeps_frames_and_labels_aligned() -> None:
    clip = make_kitchen_clip(3, n_frames=4, size=(120, 200))
    frames = torch.from_numpy(clip.frames).permute(0, 3, 1, 2).float() / 255
    ids = torch.from_numpy(clip.masks.astype(np.int64))
    rng = np.random.default_rng(5)
    settings = AugmentSettings.for_short_side(96)
    for _ in range(10):
        out = augment(Views(frames, ids, ids.clone(), ["x"]), settings, rng)
        assert out.frames.shape[-2:] == out.ids.shape[-2:] == out.raw.shape[-2:]
        assert (
            min(out.frames.shape[-2:]) in settings.scales
            or max(out.frames.shape[-2:]) <= settings.max_size + 1
        )
        assert torch.equal(out.ids, out.raw)  # identical maps stay identical: same geometry


def test_drawn_step_has_one_target_per_expression_and_empty_negatives() -> None:
    clips = [
        synthetic_train_clip(make_kitchen_clip(s, n_frames=8, size=(96, 160))) for s in range(3)
    ]
    settings = TrainSettings(objects_per_step=7, augment=AugmentSettings.for_short_side(80))
    drawer = SampleDrawer(
        clips, settings.num_frames, settings.objects_per_step, settings.augment, seed=0
    )
    seen_negative = seen_positive = False
    for _ in range(6):
        step = drawer.draw()
        t, _, h, w = step.frames.shape
        assert t == 5 and h % 32 == 0 and w % 32 == 0
        assert len(step.captions) == len(step.targets) == len(step.objects)
        for caption, target in zip(step.captions, step.targets, strict=True):
            assert "used in the action of" in caption
            assert target["masks"].shape[0] == 5
            if bool(target["positive"].any()):
                seen_positive = True
            else:
                seen_negative = True
                assert float(target["masks"].sum()) == 0 and float(target["boxes"].abs().sum()) == 0
    assert seen_positive and seen_negative


def test_weights_follow_the_loader_mapping() -> None:
    clip = synthetic_train_clip(make_kitchen_clip(2, n_frames=6, size=(96, 160)))
    assert set(np.unique(clip.raw_weights)) <= {1, 2, 3, 4}
    drawer = SampleDrawer(
        [clip], 5, 7, AugmentSettings(scales=(96,), max_size=400, photometric=False, flip_p=0.0), 0
    )
    step = drawer.draw()
    values = set(torch.cat([t["weights"].flatten() for t in step.targets]).unique().tolist())
    assert values <= {1.0, 2.0, 5.0} and 5.0 in values or 2.0 in values


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(InputError, match="steps must be at least 1"):
        TrainSettings(steps=0)
    with pytest.raises(InputError, match="fractions"):
        TrainSettings(lr_drops=(1.5,))
