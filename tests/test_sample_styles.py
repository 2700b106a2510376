"""Clip styles: ``novel`` uses held-out nouns, other tables, light and camera tilt;
``default`` never draws a held-out noun."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from actionvos.errors import InputError
from actionvos.sample import SyntheticClip, make_kitchen_clip
from actionvos.sample.camera import Tilt
from actionvos.sample.scene import Pose
from actionvos.sample.shapes import build_shape
from actionvos.sample.styles import STYLES, rename, substitutes
from actionvos.sample.vocabulary import (
    CONTENT_NOUNS,
    NOUNS,
    NOVEL_CONTENT_NOUNS,
    NOVEL_NOUNS,
    SHARED_NOUNS,
)

SIZE = (96, 128)
HELD_OUT = set(NOVEL_NOUNS) | set(NOVEL_CONTENT_NOUNS)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text))


@pytest.fixture(scope="module")
def default_clips() -> list[SyntheticClip]:
    return [make_kitchen_clip(seed=s, n_frames=2, size=SIZE) for s in range(60)]


@pytest.fixture(scope="module")
def novel_clips() -> list[SyntheticClip]:
    return [make_kitchen_clip(seed=s, n_frames=2, size=SIZE, style="novel") for s in range(60)]


def test_held_out_nouns_are_their_own_classes():
    assert len(NOVEL_NOUNS) >= 5
    default_classes = {n.class_id for n in NOUNS.values()} | set(CONTENT_NOUNS.values())
    novel_classes = [n.class_id for n in NOVEL_NOUNS.values()] + list(NOVEL_CONTENT_NOUNS.values())
    assert len(set(novel_classes)) == len(novel_classes)
    assert not default_classes & set(novel_classes)
    assert not set(NOVEL_NOUNS) & set(NOUNS)
    for noun in NOVEL_NOUNS.values():  # drawn by a default noun's code of the same kind
        assert NOUNS[noun.draws_as].kind == noun.kind, noun.name
    # a shared noun is exactly a default noun whose kind has no held-out noun
    novel_kinds = {n.kind for n in NOVEL_NOUNS.values()}
    assert set(SHARED_NOUNS) == {n for n, v in NOUNS.items() if v.kind not in novel_kinds}
    assert {"knife", "chopping board", "jar", "lid"} <= set(SHARED_NOUNS)
    assert not {"apple", "bowl", "carrot", "plate"} & set(SHARED_NOUNS)


def test_held_out_class_ids_match_epic_100():
    try:
        from actionvos_resources import path

        csv_path = path("vocabularies", "epic-kitchens", "EPIC_100_noun_classes.csv")
    except (ImportError, FileNotFoundError):
        pytest.skip("EPIC_100_noun_classes.csv is not installed in actionvos_resources")
    by_key = {r["key"]: int(r["id"]) for r in csv.DictReader(csv_path.open())}
    for noun in NOVEL_NOUNS.values():
        assert by_key[noun.epic_key] == noun.class_id, noun.name
    for noun, cid in NOVEL_CONTENT_NOUNS.items():
        assert by_key[noun] == cid, noun


@pytest.mark.parametrize("noun", sorted(NOVEL_NOUNS))
def test_every_held_out_noun_draws(noun):
    shape = build_shape(noun, np.random.default_rng(0), 240.0, NOVEL_NOUNS[noun].colours[0])
    from actionvos.sample.scene import rasterize

    ras = rasterize(shape.model, Pose(150, 120, 0.3), (0, 0, 240, 300))
    assert ras is not None and ras.mask.sum() > 0.3 * shape.size**2
    assert shape.model.layer == NOVEL_NOUNS[noun].layer


def test_default_clips_never_use_a_held_out_noun(default_clips):
    for clip in default_clips:
        assert clip.style == "default" and clip.to_dict()["style"] == "default"
        assert set(clip.object_categories) <= set(NOUNS), clip.seed
        assert not HELD_OUT & (set(clip.all_nouns) | _words(clip.narration)), clip.narration
        assert clip.info["tilt"] == 0.0 and clip.info["table"] in STYLES["default"].tables


def test_novel_clips_use_held_out_nouns_and_shared_tools_only(novel_clips):
    seen: set[str] = set()
    actions: set[str] = set()
    for clip in novel_clips:
        assert clip.style == "novel"
        assert clip.noun in HELD_OUT, (clip.seed, clip.narration)
        assert clip.noun in clip.narration
        assert set(clip.object_categories) <= set(NOVEL_NOUNS) | set(SHARED_NOUNS)
        assert set(clip.all_nouns) <= HELD_OUT | set(SHARED_NOUNS), clip.narration
        # no default noun with a held-out counterpart is left in the narration
        replaced = set(NOUNS) - set(SHARED_NOUNS) | set(CONTENT_NOUNS)
        assert not replaced & _words(clip.narration), clip.narration
        for cat, named in zip(clip.object_categories, clip.in_narration, strict=True):
            if cat == clip.noun:  # the target objects are held-out and positive by class
                assert named and cat in NOVEL_NOUNS
        assert any(a for a in clip.active), clip.seed
        seen |= set(clip.object_categories) & set(NOVEL_NOUNS)
        actions.add(clip.action)
    assert len(seen) >= 12, sorted(seen)
    assert "open" not in actions and len(actions) == 6


def test_novel_objects_carry_their_own_class_ids(novel_clips):
    for clip in novel_clips[:10]:
        for cat, cid in zip(clip.object_categories, clip.class_ids, strict=True):
            spec = NOVEL_NOUNS.get(cat) or NOUNS[cat]
            assert cid == spec.class_id


def _table_pixels(clip: SyntheticClip) -> np.ndarray:
    free = (clip.masks == 0) & (clip.hand_masks == 0)
    return clip.frames[free].astype(float)


def test_styles_differ_in_table_and_light(default_clips, novel_clips):
    dflt = np.array([_table_pixels(c).mean(axis=0) for c in default_clips[:20]])
    novel = np.array([_table_pixels(c).mean(axis=0) for c in novel_clips[:20]])
    # dimmer on average, and warmer: less blue for the red
    assert novel.mean() < dflt.mean() - 25
    assert (novel[:, 2] / novel[:, 0]).mean() < (dflt[:, 2] / dflt[:, 0]).mean() - 0.1
    assert {c.info["table"] for c in novel_clips} == set(STYLES["novel"].tables)
    for clip in novel_clips:
        lo, hi = STYLES["novel"].tilt
        assert lo <= clip.info["tilt"] <= hi


def test_same_seed_same_novel_clip_and_other_than_default():
    a = make_kitchen_clip(seed=4, n_frames=3, size=SIZE, style="novel")
    b = make_kitchen_clip(seed=4, n_frames=3, size=SIZE, style="novel")
    c = make_kitchen_clip(seed=4, n_frames=3, size=SIZE)
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.masks, b.masks)
    assert a.to_dict() == b.to_dict()
    assert not np.array_equal(a.frames, c.frames)


def test_novel_masks_are_the_visible_objects():
    """Through the tilt, every object still shows, ids stay within the object list, and a
    held object's box is where its mask is."""
    clip = make_kitchen_clip(seed=9, n_frames=8, size=(120, 160), style="novel")
    n = len(clip.object_names)
    assert int(clip.masks.max()) <= n
    for k in range(1, n + 1):
        assert (clip.masks == k).any(), clip.object_names[k - 1]
    assert not ((clip.masks > 0) & (clip.hand_masks > 0)).any()
    for i, (boxes, pairs) in enumerate(
        zip(clip.hand_object_boxes, clip.hand_object_pairs, strict=True)
    ):
        for (x0, y0, x1, y1), (_, k) in zip(boxes, pairs, strict=True):
            ys, xs = np.nonzero(clip.masks[i] == k)
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)


def test_tilt_magnifies_the_near_side_and_squeezes_the_far_side():
    h, w = 100, 120
    lab = np.zeros((h, w), dtype=np.uint8)
    lab[5:15, 50:70] = 1  # far (top)
    lab[80:90, 50:70] = 2  # near (bottom)
    out = Tilt((h, w), 0.25).labels(lab)
    assert 0 < (out == 1).sum() < (lab == 1).sum()
    assert (out == 2).sum() > 1.3 * (lab == 2).sum()
    rgb = np.repeat(lab[..., None].astype(np.float32) * 100, 3, axis=2)
    seen = Tilt((h, w), 0.25).rgb(rgb)
    assert seen.shape == rgb.shape
    assert abs(seen[..., 0][out == 2].mean() - 200) < 30  # colours follow the labels


def test_substitutes_are_consistent_kinds_and_renaming_is_whole_word():
    subs = substitutes(np.random.default_rng(3))
    for default, novel in subs.items():
        if default in NOUNS:
            assert NOVEL_NOUNS[novel].kind == NOUNS[default].kind
        else:
            assert default in CONTENT_NOUNS and novel in NOVEL_CONTENT_NOUNS
    assert rename("cut apple with knife", {"apple": "peach"}) == "cut peach with knife"
    assert rename("pineapple pan", {"apple": "peach", "pan": "pot"}) == "pineapple pot"


def test_bad_style_and_actions_it_lacks_are_refused():
    with pytest.raises(InputError, match="unknown style"):
        make_kitchen_clip(seed=0, n_frames=2, size=SIZE, style="noir")
    with pytest.raises(InputError, match="no 'open' action"):
        make_kitchen_clip(seed=0, n_frames=2, size=SIZE, style="novel", action="open")
