"""The optional *p(active)* layer: each pixel's highest object probability, per frame.

A run keeps its per-object probability maps at working resolution; turning them into
full-size frames for the whole clip at once would cost ``T x H x W`` floats per object. The
layer is a dask array of one delayed frame each, so napari computes only the frames it shows.
"""

from __future__ import annotations

from typing import Any

import dask
import dask.array as da
import numpy as np

from actionvos_napari.layers.convert import META

ROLE = "probability"


def _frame(result: Any, t: int) -> np.ndarray:
    probs = result.probabilities(t)  # [N, H, W] float32 at the clip's size
    return probs.max(axis=0) if probs.shape[0] else np.zeros(probs.shape[1:], np.float32)


def probability_volume(result: Any, start: int, n_frames: int) -> da.Array:
    """``float32 [n_frames, H, W]``: frames ``start..`` from ``result``, zeros elsewhere."""
    h, w = result.frame_size
    frames = []
    for t in range(n_frames):
        k = t - start
        if 0 <= k < result.num_frames:
            lazy = dask.delayed(_frame)(result, k)
            frames.append(da.from_delayed(lazy, shape=(h, w), dtype=np.float32))
        else:
            frames.append(da.zeros((h, w), dtype=np.float32))
    return da.stack(frames)


def layer_name(clip_name: str) -> str:
    return f"{clip_name} p(active)"


def show_probabilities(viewer: Any, outcome: Any, clip_name: str, n_frames: int) -> Any:
    """Add (or refresh) the clip's p(active) layer for ``outcome``; returns the layer."""
    data = probability_volume(outcome.result, outcome.start, n_frames)
    name = layer_name(clip_name)
    meta = {META: {"kind": ROLE, "clip_layer": clip_name, "model": outcome.request.model}}
    if name in viewer.layers:
        layer = viewer.layers[name]
        layer.data = data
        layer.metadata = meta
        return layer
    return viewer.add_image(
        data,
        name=name,
        colormap="magma",
        contrast_limits=(0.0, 1.0),
        opacity=0.5,
        blending="additive",
        metadata=meta,
        visible=True,
    )
