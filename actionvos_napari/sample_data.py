"""The "ActionVOS demo: kitchen" sample: a synthetic egocentric clip with its labels."""

from __future__ import annotations

from actionvos.sample import demo_kitchen as make_demo

from actionvos_napari.layers import clip_meta, mask_layers


def demo_kitchen() -> list[tuple]:
    """Frames as an Image layer, ground-truth active/inactive masks as Labels layers."""
    sample = make_demo()
    name = "kitchen demo"
    t, h, w = sample.frames.shape[:3]
    meta = clip_meta(None, t, sample.fps, h, w, sample.frame_names)
    meta["actionvos"]["narration"] = sample.narration
    image = (sample.frames, {"name": name, "rgb": True, "metadata": meta}, "image")
    extra = {"narration": sample.narration, "source": "synthetic ground truth"}
    return [image, *mask_layers(sample.masks, sample.object_names, sample.active, name, extra)]
