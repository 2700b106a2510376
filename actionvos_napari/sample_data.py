"""The "ActionVOS demo: kitchen" sample: a synthetic egocentric clip with its labels.

The active/inactive split comes from the action-aware labeling module run on the sample's
hand-object boxes, so the widget can show *why* each object is active before any model runs.
"""

from __future__ import annotations

from actionvos.labeling import label_objects
from actionvos.sample import demo_kitchen as make_demo
from actionvos_napari.layers.convert import clip_meta, mask_layers


def demo_kitchen() -> list[tuple]:
    """Frames as an Image layer, pseudo-labelled active/inactive masks as Labels layers."""
    sample = make_demo()
    name = "kitchen demo"
    t, h, w = sample.frames.shape[:3]
    meta = clip_meta(None, t, sample.fps, h, w, sample.frame_names)
    meta["actionvos"].update(narration=sample.narration, objects=list(sample.object_names))
    image = (sample.frames, {"name": name, "rgb": True, "metadata": meta}, "image")
    labels = label_objects(
        sample.masks,
        sample.object_names,
        sample.narration,
        class_ids=sample.class_ids,
        action_noun_classes=sample.all_noun_classes,
        hand_object_boxes=sample.hand_object_boxes,
    )
    extra = {
        "narration": sample.narration,
        "source": "pseudo-label",
        "reasons": [[f"rule: {r}" for r in lab.reasons] or ["no rule applies"] for lab in labels],
    }
    active = [lab.positive for lab in labels]
    return [image, *mask_layers(sample.masks, sample.object_names, active, name, extra)]
