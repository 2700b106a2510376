"""Fine-tuning data from label stores: human first, labelled frames only, refusals up front."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from finetune_stores import SIZE, TINY, clip_with_frames, read_frames, truth_store

from actionvos.errors import ActionVOSError, ClipError, InputError, StoreError
from actionvos.finetune.samples import SampleOptions, read_store, read_stores, split_frames
from actionvos.store import FrameState, Source, Store
from actionvos.store.pseudo_labels import apply_pseudo_labels
from actionvos.training import SampleDrawer, TrainClip


def labelled_store(tmp_path, states: dict[int, FrameState], seed: int = 3, n_frames: int = 6):
    """A store over a real clip whose frames ``states`` are labelled with the true masks."""
    clip, frames = clip_with_frames(seed, tmp_path, n_frames)
    path = tmp_path / "labels.actionvos"
    store = Store.create(path, n_frames=n_frames, height=SIZE[0], width=SIZE[1], clip=frames)
    for name, cid in zip(clip.object_names, clip.class_ids, strict=True):
        store.add_object(name, cid)  # ids 1..K in order: the clip's mask values
    action = store.add_action(
        clip.narration, 0, n_frames - 1, all_noun_classes=list(clip.all_noun_classes)
    )
    for t, state in states.items():
        store.set_masks(t, clip.masks[t].astype(np.uint16), state)
    store.save()
    return store, clip, frames, action


def test_human_flags_win_over_pseudo_labels_in_the_samples(tmp_path) -> None:
    store, clip, _, action = labelled_store(tmp_path, dict.fromkeys(range(6), FrameState.PSEUDO))
    rule = apply_pseudo_labels(store, action)
    store.save()
    flipped = next(iter(rule))
    store.set_activity(action, flipped, not rule[flipped].positive, source=Source.HUMAN)
    store.close()

    data = read_store(store.path, SampleOptions(holdout_every=0))
    (train,) = data.train
    names = {store_id: clip.object_names[store_id - 1] for store_id in rule}
    got = dict(zip(train.object_names, train.positive, strict=True))
    assert got[names[flipped]] is (not rule[flipped].positive)
    for oid, lab in rule.items():
        if oid != flipped:
            assert got[names[oid]] is bool(lab.positive)
    assert data.sources == {"human": 1, "rule": len(rule) - 1}


def test_frames_nobody_labelled_are_never_drawn(tmp_path) -> None:
    states = {0: FrameState.HUMAN, 2: FrameState.HUMAN, 3: FrameState.PSEUDO, 5: FrameState.HUMAN}
    states[1] = FrameState.MODEL  # model output: not trained on unless asked
    store, clip, frames, _ = labelled_store(tmp_path, states)
    store.close()

    (train,) = read_store(store.path, SampleOptions(holdout_every=0)).train
    assert train.frames.shape[0] == 4
    np.testing.assert_array_equal(train.frames, read_frames(frames, [0, 2, 3, 5]))
    for k, name in enumerate(train.object_names, start=1):
        truth = clip.masks[[0, 2, 3, 5]] == clip.object_names.index(name) + 1
        np.testing.assert_array_equal(train.ids == k, truth)
    # Only human-verified frames carry painted pixels: objects there, nothing elsewhere.
    np.testing.assert_array_equal(train.painted[[0, 1, 3]], train.ids[[0, 1, 3]] > 0)
    assert not train.painted[2].any()

    with_model = SampleOptions(
        states=(FrameState.HUMAN, FrameState.PSEUDO, FrameState.MODEL), holdout_every=0
    )
    (train,) = read_store(store.path, with_model).train
    assert train.frames.shape[0] == 5


def test_painted_pixels_get_the_extra_weight(tmp_path) -> None:
    rng = np.random.default_rng(0)
    ids = np.zeros((3, 64, 96), dtype=np.int64)
    ids[:, 10:40, 20:60] = 1
    ids[:, 45:60, 5:30] = 2
    painted = ids == 1  # a person painted the knife; the board is a pseudo-label
    clip = TrainClip(
        frames=rng.integers(0, 255, (*ids.shape, 3), dtype=np.uint8),
        ids=ids,
        raw_weights=np.where(ids == 1, 2, 1).astype(np.uint8),
        object_names=["knife", "board"],
        positive=[True, True],
        narration="cut board",
        painted=painted,
    )

    def targets(weight: float):
        return SampleDrawer([clip], 3, 2, TINY, seed=1, painted_weight=weight).draw().targets

    plain, boosted = targets(1.0), targets(3.0)
    knife = plain[0]["masks"].numpy() > 0  # object 1 after the same augmentation
    assert knife.any()
    for a, b in zip(plain, boosted, strict=True):
        np.testing.assert_array_equal(a["masks"], b["masks"])
        ratio = (b["weights"] / a["weights"]).numpy()
        np.testing.assert_allclose(ratio, np.where(knife, 3.0, 1.0))


def test_held_out_frames_are_a_fixed_split_never_trained_on(tmp_path) -> None:
    assert split_frames(list(range(12)), 5) == ([0, 1, 2, 3, 5, 6, 7, 8, 10, 11], [4, 9])
    assert split_frames([7], 5) == ([7], [])
    path = truth_store(4, tmp_path)
    a = read_store(path, SampleOptions(holdout_every=3))
    b = read_store(path, SampleOptions(holdout_every=3))
    (train,), (held,) = a.train, a.heldout
    frames = tmp_path / "clip-4" / "frames"
    np.testing.assert_array_equal(train.frames, read_frames(frames, [0, 1, 3, 4]))
    np.testing.assert_array_equal(held.frames, read_frames(frames, [2, 5]))
    assert a.revision == b.revision and a.revision.heldout_frames == 2


def test_bad_stores_are_refused_with_what_to_do(tmp_path) -> None:
    good = truth_store(5, tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(StoreError, match="not an actionvos label store"):
        read_stores([good, plain])
    with pytest.raises(InputError, match="given twice"):
        read_stores([good, good])

    damaged = tmp_path / "damaged.actionvos"
    shutil.copytree(good, damaged)
    (damaged / "masks.zarr" / "c" / "2" / "0" / "0").unlink()
    with pytest.raises(StoreError, match="damaged"):
        read_stores([good, damaged])

    other = truth_store(6, tmp_path, n_frames=4)  # a store of another clip...
    with Store.open(good) as store:  # ...pointed at by mistake
        clip_path = store.meta["clip"]
    shutil.rmtree(clip_path)
    shutil.copytree(tmp_path / "clip-6" / "frames", clip_path)
    with pytest.raises(ClipError, match="belongs to another clip"):
        read_store(good)
    shutil.rmtree(clip_path)
    with pytest.raises(ClipError, match="is missing"):
        read_store(good)
    assert read_store(other).train


def test_a_store_without_labels_to_train_on_is_refused(tmp_path) -> None:
    store, *_ = labelled_store(tmp_path, {0: FrameState.MODEL})
    store.close()
    with pytest.raises(InputError, match="no labelled frames to train on") as err:
        read_store(store.path)
    assert isinstance(err.value, ActionVOSError)


def test_each_action_gives_its_own_samples_with_the_hand_object_weights(tmp_path) -> None:
    from actionvos.labeling.weights import RAW_HAND_AND_NARRATION

    path = truth_store(7, tmp_path)
    with Store.open(path) as store:
        (first,) = store.actions()
        store.update_action(first.id, end_frame=2, record=False)
        second = store.add_action("wash " + first.noun, 3, 5)
        for obj in store.objects():
            store.set_activity(second, obj.id, obj.name == first.noun)
    data = read_store(path, SampleOptions(holdout_every=0))
    assert [(c.narration, c.frames.shape[0]) for c in data.train] == [
        (first.narration, 3),
        ("wash " + first.noun, 3),
    ]
    washed = data.train[1]
    assert washed.positive == [name == first.noun for name in washed.object_names]
    # The stored VISOR-HOS boxes feed the weight maps: narration objects inside a box get 4.
    assert (data.train[0].raw_weights == RAW_HAND_AND_NARRATION).any()


def test_an_inactive_object_the_masks_leave_empty_still_trains_as_a_negative(tmp_path) -> None:
    """Lite leaves inactive objects' masks empty, so a saved run shows only the active ones;
    the objects the action flags inactive must still train (and be scored) as negatives. An
    object flagged active that no frame shows is left out: it has no mask to learn from."""
    states = dict.fromkeys(range(6), FrameState.HUMAN)
    store, clip, _, action = labelled_store(tmp_path, states)
    by_name = sorted(clip.object_names)
    gone = clip.object_names.index(by_name[0]) + 1  # store ids
    unpainted = clip.object_names.index(by_name[1]) + 1
    for t in range(6):
        labels = clip.masks[t].astype(np.uint16)
        labels[(labels == gone) | (labels == unpainted)] = 0  # on no labelled frame
        store.set_masks(t, labels, FrameState.HUMAN)
    for oid in range(1, len(clip.object_names) + 1):
        store.set_activity(action, oid, oid != gone, source=Source.HUMAN)
    store.close()

    data = read_store(store.path, SampleOptions(holdout_every=3))
    (train,), (held,) = data.train, data.heldout
    name = clip.object_names[gone - 1]
    assert train.object_names == [n for n in by_name if n != by_name[1]]
    k = train.object_names.index(name)
    assert train.positive[k] is False
    assert not (train.ids == k + 1).any()  # an empty mask on every frame
    assert held.object_names == train.object_names and held.positive[k] is False
    # the others keep their masks under the new numbering
    other = next(n for n in train.object_names if n != name)
    j = train.object_names.index(other)
    truth = clip.masks[[0, 1, 3, 4]] == clip.object_names.index(other) + 1  # 2, 5 held out
    np.testing.assert_array_equal(train.ids == j + 1, truth)
