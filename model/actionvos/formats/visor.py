"""VISOR sparse annotations (``GroundTruth-SparseAnnotations/annotations/<split>/<video>.json``).

Shape, as the VISOR release and its tools read it::

    {"video_annotations": [
        {"image": {"name": "P01_107_frame_0000000140.jpg", "video": "P01_107", ...},
         "annotations": [{"name": "left hand", "class_id": 300,
                          "segments": [[[x, y], [x, y], ...], ...]}, ...]}, ...]}

Polygons are in 1920x1080 pixels. VISOR numbers its frames its own way;
``frame_mapping.json`` (``{video: {visor_name: epic_name}}``) gives the EPIC-KITCHENS frame
(``frame_0000000954.jpg``) each annotation belongs to. Objects are identified by name within
a video, as in VISOR.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actionvos.errors import InputError
from actionvos.formats.common import (
    MIN_POLYGON_POINTS,
    ImportReport,
    Progress,
    drawable,
    frame_number,
    load_json,
    polygon_points,
    rasterise,
    tick,
)
from actionvos.formats.fields import as_class_id, as_dict, as_list, as_str
from actionvos.store import FrameState, Store

VISOR_SIZE = (1920, 1080)  # width, height of the sparse annotations


@dataclass(frozen=True)
class VisorEntity:
    """One annotated object in one frame."""

    name: str
    class_id: int | None
    polygons: tuple[tuple[tuple[float, float], ...], ...]  # drawable ones (3+ points)
    dropped: int = 0  # polygons of 0, 1 or 2 points: no area, left out


@dataclass(frozen=True)
class VisorFrame:
    """One annotated VISOR image and its objects, in drawing order."""

    image: str
    video: str | None
    entities: tuple[VisorEntity, ...]


def _entity(raw: Any, where: str) -> VisorEntity:
    raw = as_dict(raw, where, "an annotation")
    if "name" not in raw or "segments" not in raw:
        raise InputError(f"{where}: an annotation needs 'name' and 'segments'")
    name = as_str(raw["name"], where, "the object name").strip()
    segments = as_list(raw["segments"], f"{where} ({name!r})", "'segments'")
    polygons = tuple(
        tuple(polygon_points(poly, f"{where} ({name!r}) polygon {i}", flat=False))
        for i, poly in enumerate(segments)
    )
    class_id = as_class_id(raw.get("class_id"), f"{where} ({name!r})")
    kept = tuple(p for p in polygons if drawable(p))
    return VisorEntity(name, class_id, kept, dropped=len(polygons) - len(kept))


def read_visor_json(path: str | Path) -> list[VisorFrame]:
    """Parse and check a VISOR sparse annotation file (nothing is written)."""
    data = load_json(path, "VISOR annotation file")
    items = data.get("video_annotations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(
            f"{path} has no 'video_annotations' list; is it a VISOR sparse annotation file?"
        )
    frames = []
    for i, item in enumerate(items):
        where = f"{path} video_annotations[{i}]"
        image = item.get("image") if isinstance(item, dict) else None
        if not isinstance(image, dict) or "name" not in image:
            raise InputError(f"{where}: it needs an 'image' with a 'name'")
        name = as_str(image["name"], where, "image name")
        video = image.get("video")
        video = None if video is None else as_str(video, where, "image video")
        anns = as_list(item.get("annotations", []), where, "'annotations'")
        entities = tuple(_entity(a, f"{where} annotations[{j}]") for j, a in enumerate(anns))
        frames.append(VisorFrame(name, video, entities))
    return frames


def read_frame_mapping(path: str | Path, video: str) -> dict[str, str]:
    """VISOR image name -> EPIC frame name for one video, from ``frame_mapping.json``."""
    data = load_json(path, "VISOR frame mapping")
    if not isinstance(data, dict):
        raise InputError(f"{path} must map video ids to {{visor name: epic name}} objects")
    mapping = data.get(video)
    if not isinstance(mapping, dict):
        some = ", ".join(sorted(map(str, data))[:5])
        raise InputError(f"{path} has no mapping for video {video!r} (it has {some}...)")
    return {str(k): str(v) for k, v in mapping.items()}


def visor_frame(store: Store, image: str, mapping: dict[str, str] | None, where: str) -> int:
    """Store frame of a VISOR image, through the mapping when there is one."""
    name = image
    if mapping is not None:
        if image not in mapping:
            raise InputError(f"{where}: {image} is not in the frame mapping of {store.video}")
        name = mapping[image]
    return store.frame_of_number(frame_number(name, where))


def frame_labels(
    frame: VisorFrame,
    ids: dict[str, int],
    height: int,
    width: int,
    source_size: tuple[int, int] = VISOR_SIZE,
) -> np.ndarray:
    """Rasterise one frame; later annotations cover earlier ones, as in the VISOR tools."""
    scale = (width / source_size[0], height / source_size[1])
    out = np.zeros((height, width), dtype=np.uint16)
    for entity in frame.entities:
        if entity.name in ids:
            out[rasterise(entity.polygons, height, width, scale)] = ids[entity.name]
    return out


def import_visor(
    store: Store,
    annotations: str | Path,
    frame_mapping: str | Path | None = None,
    *,
    video: str | None = None,
    state: FrameState = FrameState.HUMAN,
    source_size: tuple[int, int] = VISOR_SIZE,
    overwrite: bool = False,
    save: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import a VISOR sparse annotation file into the store, all or nothing.

    The whole file is read and checked before anything is written. Polygons of fewer than 3
    points have no area and are left out (reported); a frame left with nothing to draw is
    skipped, so it is never stored as an empty human-verified mask. Frames already
    human-verified in the store are kept unless ``overwrite``. Without a frame mapping the
    number in the VISOR image name is taken as the EPIC frame number.
    """
    video = video or store.video
    if len(source_size) != 2 or min(source_size) <= 0:
        raise InputError(f"source_size must be a positive (width, height), got {source_size}")
    frames = read_visor_json(annotations)
    mapping = read_frame_mapping(frame_mapping, video) if frame_mapping is not None else None
    report = ImportReport()
    placed = []
    for i, frame in enumerate(frames):
        where = f"{annotations} video_annotations[{i}]"
        index = visor_frame(store, frame.image, mapping, where)
        if not 0 <= index < store.n_frames:
            raise InputError(
                f"{where}: {frame.image} is frame {index}, outside this clip (0.."
                f"{store.n_frames - 1}); is the store made for video {video}?"
            )
        for e in frame.entities:
            if e.dropped:
                report.skipped.append(
                    f"{frame.image} {e.name!r}: {e.dropped} polygon(s) of fewer than "
                    f"{MIN_POLYGON_POINTS} points (no area)"
                )
        if not any(e.polygons for e in frame.entities):
            report.skipped.append(
                f"{frame.image} (frame {index}) has no polygon with an area; its masks "
                "in the store are kept"
            )
            continue
        placed.append((index, frame))
    with store.import_step("import VISOR annotations"):
        ids: dict[str, int] = {}
        for _, frame in placed:
            for e in frame.entities:
                if e.polygons and e.name not in ids:
                    ids[e.name] = store.ensure_object(e.name, e.class_id)
        report.objects = sorted(ids)
        for n, (index, frame) in enumerate(placed):
            tick(progress, cancel, n, len(placed), "importing VISOR annotations")
            if store.frame_state(index) is FrameState.HUMAN and not overwrite:
                report.skipped.append(f"frame {index} is already human-verified")
                continue
            labels = frame_labels(frame, ids, store.height, store.width, source_size)
            if not labels.any():  # polygons outside the frame: never an empty verified mask
                report.skipped.append(f"frame {index}: its polygons lie outside the frame")
                continue
            store.set_masks(index, labels, state, record=False, overwrite_human=True)
            report.frames.append(index)
    if save:
        store.save()
    return report
