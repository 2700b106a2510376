"""A synthetic clip's ground truth as a label store, recorded as a human's verified work.

A stand-in for a clip someone has corrected, so that fine-tuning on label stores can be tried
and tested end to end without a person: every frame's masks are human-verified, each object's
flag for the clip's action is a human flag, and the hands' and held objects' boxes go in as
VISOR-HOS boxes (so the official rule, recomputed from the store, agrees with the flags).
Written through the public ``Store`` API only.
"""

from __future__ import annotations

from pathlib import Path

from actionvos.sample.synthetic import SyntheticClip
from actionvos.sample.truth import Box
from actionvos.sample.vocabulary import class_id
from actionvos.store import FrameState, HandBox, Store

HOS_HAND, HOS_OBJECT = 1, 2
_HANDSIDE = {"left": 0, "right": 1}  # VISOR-HOS numbering


def _xywh(box: Box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def hand_boxes(clip: SyntheticClip, t: int) -> list[HandBox]:
    """Frame t's VISOR-HOS boxes: each visible hand (in contact when it holds something) and
    each object a hand holds."""
    holding = {side for side, _ in clip.hand_object_pairs[t]}
    out = [
        HandBox(HOS_HAND, *_xywh(box), handside=_HANDSIDE[side], in_contact=int(side in holding))
        for side, box in sorted(clip.hand_boxes[t].items())
        if box is not None
    ]
    out += [HandBox(HOS_OBJECT, *_xywh(box)) for box in clip.hand_object_boxes[t]]
    return out


def write_clip_store(
    clip: SyntheticClip, path: str | Path, *, clip_path: str | Path | None = None, video: str
) -> Path:
    """Create the store at ``path`` (which must not exist) holding the clip's ground truth."""
    h, w = clip.size
    store = Store.create(
        path, n_frames=clip.n_frames, height=h, width=w, clip=clip_path, video=video
    )
    try:
        action_id = store.add_action(
            clip.narration,
            0,
            clip.n_frames - 1,
            verb=clip.verb,
            noun=clip.noun,
            noun_class=class_id(clip.noun),
            all_nouns=list(clip.all_nouns),
            all_noun_classes=list(clip.all_noun_classes),
            external_id=video,
        )
        for t in range(clip.n_frames):
            boxes = hand_boxes(clip, t)
            if boxes:
                store.set_hand_boxes(t, boxes)
        ids = range(1, len(clip.object_names) + 1)
        store.save_layers(
            clip.masks,
            dict(zip(ids, clip.object_names, strict=True)),
            action_id=action_id,
            active=dict(zip(ids, clip.active, strict=True)),
            class_ids=dict(zip(ids, clip.class_ids, strict=True)),
            state=FrameState.HUMAN,
            label="synthetic ground truth",
        )
        store.save()
    finally:
        store.close()
    return Path(path)
