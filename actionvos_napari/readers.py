"""napari readers: video files, frame folders and the ActionVOS dataset layout.

Every reader hands napari a lazily decoded :class:`actionvos.io.Clip`, so opening a long video
decodes nothing until a frame is shown. Errors from the core (:class:`ClipError`) name the file
and say what to do; napari shows them as notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actionvos.io import open_clip
from actionvos.io.dataset import ActionVOSDataset, has_split_file
from actionvos_napari.layers.convert import clip_layer_data, mask_layers

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}

Reader = Callable[[str | list[str]], list[tuple]]


def _dataset_root(folder: Path) -> Path | None:
    """The dataset root for a root folder or a ``JPEGImages_Sparse/<split>/<sequence>`` folder."""
    if (folder / "ImageSets").is_dir():
        return folder
    if folder.parent.parent.name == "JPEGImages_Sparse":
        root = folder.parent.parent.parent
        return root if (root / "ImageSets").is_dir() else None
    return None


def _has_split(root: Path, folder: Path) -> bool:
    """A root with any split file, or a sequence folder whose split has one; otherwise a
    dataset-shaped folder is just frames."""
    if folder == root:
        return any((root / "ImageSets").glob("*.json"))
    return has_split_file(root, folder.parent.name)


def _has_images(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir() if p.is_file())


def get_reader(path: str | list[str]) -> Reader | None:
    """Return a reader for ``path`` if it is a video, a frame folder or an ActionVOS dataset."""
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    p = Path(path)
    if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES:
        return read_clip
    if p.is_dir():
        root = _dataset_root(p)
        if root is not None and _has_split(root, p):
            return read_dataset
        if _has_images(p):
            return read_clip
    return None


def read_clip(path: str | list[str]) -> list[tuple]:
    """A video file or a frame folder as one lazily decoded Image layer."""
    path = path[0] if isinstance(path, list) else path
    return [clip_layer_data(open_clip(path))]


def read_dataset(path: str | list[str]) -> list[tuple]:
    """One sequence of an ActionVOS dataset with its masks, if the dataset has them.

    A dataset root opens its first sequence; a ``JPEGImages_Sparse/<split>/<sequence>`` folder
    opens the first sequence of that video. Each sequence's facts (narration, object classes)
    travel in the layer metadata.
    """
    p = Path(path[0] if isinstance(path, list) else path)
    root = _dataset_root(p)
    assert root is not None  # get_reader only returns this reader for dataset folders
    splits = sorted(s.stem for s in (root / "ImageSets").glob("*.json"))
    if p != root:
        splits = [p.parent.name]
    for split in splits:
        dataset = ActionVOSDataset(root, split)
        seqs = [s for s in dataset.sequences if p == root or s.folder_name == p.name]
        if not seqs and p != root:  # a folder named after the video rather than the sequence
            seqs = [s for s in dataset.sequences if s.video == p.name]
        if not seqs:
            continue
        seq = seqs[0]
        clip = dataset.frames(seq)
        name = seq.folder_name
        layers = [clip_layer_data(clip, name=name)]
        objects = [seq.object_classes[k] for k in sorted(seq.object_classes)]
        # the widget pre-fills its narration and object fields from these
        layers[0][1]["metadata"]["actionvos"]["narration"] = seq.narration
        layers[0][1]["metadata"]["actionvos"]["objects"] = [o.name for o in objects]
        masks = dataset.masks(seq)
        if masks is not None:
            names = [o.name for o in objects]
            active = [bool(o.positive) for o in objects]
            extra = {"narration": seq.narration, "source": f"{split} annotations"}
            layers += mask_layers(masks, names, active, name, extra)
        return layers
    from actionvos.errors import ClipError

    raise ClipError(f"no sequence in the ActionVOS dataset at {root} matches {p}")
