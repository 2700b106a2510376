"""How ActionVOS data becomes napari layers and back.

Conventions shared by the readers, the sample data, the widget and the writer:
- the clip is an Image layer (rgb) whose ``metadata["actionvos"]`` holds the clip facts;
- masks are two Labels layers, ``<clip> active`` and ``<clip> inactive``; value k in either
  is object k (1-based, ``object_names[k-1]``), so an object moves between them without
  changing its id, and each object keeps its DAVIS palette colour in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from napari.utils.colormaps import DirectLabelColormap

from actionvos.palette import davis_palette

META = "actionvos"
ACTIVE, INACTIVE = "active", "inactive"


def clip_meta(
    path: str | Path | None,
    n_frames: int,
    fps: float,
    height: int,
    width: int,
    frame_names: list[str] | None = None,
) -> dict[str, Any]:
    """The facts the widget shows for a clip layer."""
    return {
        META: {
            "kind": "clip",
            "path": str(path) if path else None,
            "n_frames": int(n_frames),
            "fps": float(fps),
            "height": int(height),
            "width": int(width),
            "frame_names": list(frame_names) if frame_names else None,
        }
    }


def clip_layer_data(clip: Any, name: str | None = None) -> tuple:
    """A napari LayerDataTuple for a lazily decoded :class:`actionvos.io.Clip`."""
    path = getattr(clip, "path", None)
    meta = clip_meta(path, len(clip), clip.fps, clip.height, clip.width, clip.frame_names)
    name = name or (Path(path).name if path else "clip")
    return (clip, {"name": name, "rgb": True, "metadata": meta}, "image")


def object_colormap(n_objects: int) -> DirectLabelColormap:
    """Object k keeps DAVIS colour k in every layer; background is transparent."""
    pal = davis_palette(max(n_objects + 1, 2)).astype(np.float32) / 255.0
    colors: dict[int | None, np.ndarray] = {None: np.array([0, 0, 0, 0], np.float32)}
    colors[0] = np.array([0, 0, 0, 0], np.float32)
    for k in range(1, n_objects + 1):
        colors[k] = np.array([*pal[k], 1.0], np.float32)
    return DirectLabelColormap(color_dict=colors)


def object_features(
    names: list[str],
    active: list[bool],
    probabilities: list[float | None] | None,
    reasons: list[list[str]] | None,
    source: str | list[str],
) -> dict[str, np.ndarray]:
    """A mask layer's ``features``: one row per object, ``index`` is its label value.

    napari shows these in the status bar under the cursor, so hovering a mask says which
    object it is, whether it is active and why.
    """
    n = len(names)
    probs = probabilities or [None] * n
    why = reasons or [[] for _ in range(n)]
    return {
        "index": np.arange(1, n + 1, dtype=np.int64),
        "name": np.asarray(list(names), dtype=object),
        "active": np.asarray([bool(a) for a in active], dtype=bool),
        "probability": np.asarray([np.nan if p is None else float(p) for p in probs], float),
        "reasons": np.asarray(["; ".join(r) for r in why], dtype=object),
        "source": np.asarray([source] * n if isinstance(source, str) else source, dtype=object),
    }


def mask_layer_name(clip_name: str, role: str) -> str:
    """Stable names: ``<clip> active`` and ``<clip> inactive``."""
    return f"{clip_name} {role}"


def split_active(masks: np.ndarray, active: list[bool]) -> tuple[np.ndarray, np.ndarray]:
    """Split an instance-id volume into (active, inactive) volumes by each object's flag."""
    masks = np.asarray(masks)
    flags = np.zeros(int(masks.max(initial=0)) + 1, dtype=bool)
    flags[1 : len(active) + 1] = np.asarray(active, dtype=bool)[: flags.size - 1]
    is_active = flags[masks]
    zero = np.zeros((), dtype=masks.dtype)
    return np.where(is_active, masks, zero), np.where(~is_active & (masks > 0), masks, zero)


def mask_layers(
    masks: np.ndarray,
    object_names: list[str],
    active: list[bool],
    clip_name: str,
    extra: dict[str, Any] | None = None,
) -> list[tuple]:
    """LayerDataTuples for the active and inactive Labels layers of one action."""
    act, inact = split_active(masks, active)
    return role_layers(act, inact, object_names, active, clip_name, extra)


def role_layers(
    active_volume: np.ndarray,
    inactive_volume: np.ndarray,
    object_names: list[str],
    active: list[bool],
    clip_name: str,
    extra: dict[str, Any] | None = None,
) -> list[tuple]:
    """LayerDataTuples for ready-split active and inactive volumes."""
    cmap = object_colormap(len(object_names))
    base = {
        "object_names": list(object_names),
        "active": [bool(a) for a in active],
        "clip_layer": clip_name,
    }
    base.update(extra or {})
    features = object_features(
        base["object_names"],
        base["active"],
        base.get("probabilities"),
        base.get("reasons"),
        base.get("sources") or str(base.get("source", "")),
    )
    out = []
    for role, data, opacity in ((ACTIVE, active_volume, 0.6), (INACTIVE, inactive_volume, 0.35)):
        meta = {META: {"kind": "masks", "role": role, **base}}
        kwargs = {
            "name": mask_layer_name(clip_name, role),
            "metadata": meta,
            "colormap": cmap,
            "opacity": opacity,
            "features": features,
        }
        out.append((data, kwargs, "labels"))
    return out


def merge_roles(active: np.ndarray, inactive: np.ndarray) -> np.ndarray:
    """Recombine the two Labels layers into one instance-id volume (active wins overlaps)."""
    active = np.asarray(active)
    return np.where(active > 0, active, np.asarray(inactive))
