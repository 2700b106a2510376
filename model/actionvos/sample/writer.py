"""Write a synthetic clip to disk the way real data arrives: an mp4, a frame folder, masks.

The mp4 goes through the real encoder (``actionvos.io.video_writer``), frames are JPEGs named
like EPIC-KITCHENS frames, masks are DAVIS palette PNGs (object ids; hand masks separately)
and ``sample.json`` holds names, categories, class ids, narration, flags and boxes.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from actionvos.errors import Cancelled, InputError
from actionvos.palette import write_palette_png
from actionvos.sample.synthetic import SyntheticClip

Progress = Callable[[int, int, str], None]


def write_sample(
    clip: SyntheticClip,
    directory: str | Path,
    *,
    video: bool = True,
    frames: bool = True,
    masks: bool = True,
    name: str = "clip",
    codec: str = "libx264",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Path]:
    """Write ``clip`` under ``directory``; return the written paths by kind.

    Keys: "video" (``<name>.mp4``), "frames" (folder of ``frame_XXXXXXXXXX.jpg``), "masks"
    and "hand_masks" (folders of palette PNGs with the same stems), "json" (``sample.json``).
    Only these names are written; other files in ``directory`` are left alone.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} is a file; give a folder to write the sample into")
    directory.mkdir(parents=True, exist_ok=True)
    n = clip.n_frames
    total = n * (int(frames) + int(masks)) + (n if video else 0)
    done = 0
    out: dict[str, Path] = {}

    def step(msg: str) -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"writing the sample to {directory} was cancelled")
        done += 1
        if progress is not None:
            progress(done, total, msg)

    if video:
        from actionvos.io.video_writer import write_video

        def video_progress(i: int, _total: int, msg: str) -> None:
            if progress is not None:
                progress(done + i, total, msg)

        out["video"] = Path(
            write_video(
                directory / f"{name}.mp4",
                clip.frames,
                clip.fps,
                codec=codec,
                progress=video_progress,
                cancel=cancel,
            )
        )
        done += n
    if frames:
        folder = directory / "frames"
        folder.mkdir(exist_ok=True)
        for fname, frame in zip(clip.frame_names, clip.frames, strict=True):
            Image.fromarray(frame).save(folder / f"{fname}.jpg", quality=95)
            step("writing frames")
        out["frames"] = folder
    if masks:
        if clip.masks.max(initial=0) > 255:
            raise InputError("a clip with more than 255 objects cannot be saved as palette PNGs")
        folders = {"masks": directory / "masks", "hand_masks": directory / "hand_masks"}
        for folder in folders.values():
            folder.mkdir(exist_ok=True)
        for fname, lab, hand in zip(clip.frame_names, clip.masks, clip.hand_masks, strict=True):
            write_palette_png(folders["masks"] / f"{fname}.png", lab)
            write_palette_png(folders["hand_masks"] / f"{fname}.png", hand)
            step("writing masks")
        out.update(folders)
    meta = clip.to_dict()
    meta["files"] = {k: str(p.relative_to(directory)) for k, p in out.items()}
    tmp = directory / "sample.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, directory / "sample.json")
    out["json"] = directory / "sample.json"
    return out
