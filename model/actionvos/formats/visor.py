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
    ImportReport,
    Progress,
    frame_number,
    load_json,
    polygon_points,
    rasterise,
    tick,
)
from actionvos.store import FrameState, Store

VISOR_SIZE = (1920, 1080)  # width, height of the sparse annotations


@dataclass(frozen=True)
class VisorEntity:
    """One annotated object in one frame."""

    name: str
    class_id: int | None
    polygons: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class VisorFrame:
    """One annotated VISOR image and its objects, in drawing order."""

    image: str
    video: str | None
    entities: tuple[VisorEntity, ...]


def _entity(raw: Any, where: str) -> VisorEntity:
    if not isinstance(raw, dict) or "name" not in raw or "segments" not in raw:
        raise InputError(f"{where}: an annotation needs 'name' and 'segments'")
    name = str(raw["name"]).strip()
    if not name:
        raise InputError(f"{where}: an annotation has an empty name")
    segments = raw["segments"]
    if not isinstance(segments, list):
        raise InputError(f"{where} ({name!r}): 'segments' must be a list of polygons")
    polygons = tuple(
        tuple(polygon_points(poly, f"{where} ({name!r}) polygon {i}", flat=False))
        for i, poly in enumerate(segments)
    )
    class_id = raw.get("class_id")
    if class_id is not None:
        try:
            class_id = int(class_id)
        except (TypeError, ValueError):
            raise InputError(f"{where} ({name!r}): class_id {class_id!r} is no integer") from None
    return VisorEntity(name, class_id, polygons)


def read_visor_json(path: str | Path) -> list[VisorFrame]:
    """Parse and check a VISOR sparse annotation file."""
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
        anns = item.get("annotations", [])
        if not isinstance(anns, list):
            raise InputError(f"{where}: 'annotations' must be a list")
        entities = tuple(_entity(a, f"{where} annotations[{j}]") for j, a in enumerate(anns))
        frames.append(VisorFrame(str(image["name"]), image.get("video"), entities))
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

    Frames already human-verified in the store are kept unless ``overwrite``. Without a
    frame mapping the number in the VISOR image name is taken as the EPIC frame number.
    """
    video = video or store.video
    frames = read_visor_json(annotations)
    mapping = read_frame_mapping(frame_mapping, video) if frame_mapping is not None else None
    placed = []
    for i, frame in enumerate(frames):
        where = f"{annotations} video_annotations[{i}]"
        index = visor_frame(store, frame.image, mapping, where)
        if not 0 <= index < store.n_frames:
            raise InputError(
                f"{where}: {frame.image} is frame {index}, outside this clip (0.."
                f"{store.n_frames - 1}); is the store made for video {video}?"
            )
        placed.append((index, frame))
    report = ImportReport()
    with store.atomic():
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
            store.set_masks(index, labels, state, record=False, overwrite_human=True)
            report.frames.append(index)
    if save:
        store.save()
    return report
