"""Small synthetic annotations for the store and format tests, written as real files."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from actionvos.store import FrameState, Store

VIDEO = "P01_107"


def digest(path: Path) -> dict[str, str]:
    """Content hash of every file that carries data in a store (or any folder).

    SQLite's shared-memory index (``-shm``) and an empty write-ahead log carry no data, and
    a reader may create them, so they are left out; everything else must be byte-identical.
    """
    out = {}
    for p in sorted(path.rglob("*")):
        if not p.is_file() or p.name.endswith("-shm"):
            continue
        if p.name.endswith("-wal") and p.stat().st_size == 0:
            continue
        out[p.relative_to(path).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def saved_digest(path: Path) -> dict[str, str]:
    """``digest`` of what a store has saved: staged chunks of unsaved edits left out."""
    return {k: v for k, v in digest(path).items() if not k.startswith("staging/")}


def new_store(tmp: Path, n_frames: int = 40, height: int = 54, width: int = 96) -> Store:
    return Store.create(
        tmp / "clip.actionvos", n_frames=n_frames, height=height, width=width, video=VIDEO
    )


def box_polygon(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def write_visor(tmp: Path, frames: dict[int, list[dict]], video: str = VIDEO) -> tuple[Path, Path]:
    """A VISOR sparse JSON plus frame mapping; VISOR numbers are EPIC numbers + 1000.

    ``frames`` maps an EPIC frame number to its annotations (name, class_id, segments).
    """
    anns, mapping = [], {}
    for number, entities in sorted(frames.items()):
        visor_name = f"{video}_frame_{number + 1000:010d}.jpg"
        mapping[visor_name] = f"frame_{number:010d}.jpg"
        anns.append(
            {
                "image": {"name": visor_name, "video": video, "image_path": f"{video}/x.jpg"},
                "annotations": entities,
            }
        )
    ann_path = tmp / f"{video}.json"
    ann_path.write_text(json.dumps({"video_annotations": anns}), encoding="utf-8")
    map_path = tmp / "frame_mapping.json"
    map_path.write_text(json.dumps({video: mapping, "P99_01": {}}), encoding="utf-8")
    return ann_path, map_path


def standard_visor(tmp: Path) -> tuple[Path, Path]:
    """Three annotated frames (EPIC 11, 21, 31) of a knife, a board and two hands (1920x1080)."""
    hand_l = {"name": "left hand", "class_id": 300, "segments": [box_polygon(100, 600, 500, 990)]}
    right = box_polygon(1400, 600, 1800, 990)
    hand_r = {"name": "right hand", "class_id": 301, "segments": [right]}
    knife = {"name": "knife", "class_id": 4, "segments": [box_polygon(450, 500, 900, 650)]}
    board = {
        "name": "chopping board",
        "class_id": 14,
        "segments": [box_polygon(800, 700, 1300, 1000), box_polygon(1000, 300, 1200, 420)],
    }
    return write_visor(
        tmp,
        {
            11: [board, knife, hand_l],
            21: [board, knife, hand_l, hand_r],
            31: [board, hand_r],
        },
    )


def write_hos(tmp: Path, video: str = VIDEO) -> Path:
    """VISOR-HOS boxes: a hand and an in-contact knife box on EPIC frames 11 and 21."""
    images, anns = [], []
    for i, number in enumerate((11, 21)):
        images.append(
            {"id": i + 1, "file_name": f"{video}_frame_{number + 1000:010d}.jpg",
             "width": 1920, "height": 1080}
        )  # fmt: skip
        anns.append(
            {"id": 2 * i + 1, "image_id": i + 1, "category_id": 1, "bbox": [100, 600, 400, 400],
             "segmentation": [[100, 600, 500, 600, 500, 1000, 100, 1000]], "handside": 0,
             "isincontact": 1}
        )  # fmt: skip
        anns.append(
            {"id": 2 * i + 2, "image_id": i + 1, "category_id": 2, "bbox": [440, 490, 480, 170],
             "segmentation": [[450, 500, 900, 500, 900, 650, 450, 650]]}
        )  # fmt: skip
    other = "P99_01_frame_0000000001.jpg"  # another video's image, to be left out
    images.append({"id": 9, "file_name": other, "width": 1920, "height": 1080})
    path = tmp / "visor_hos_train.json"
    path.write_text(
        json.dumps({"images": images, "annotations": anns, "categories": []}), encoding="utf-8"
    )
    return path


NARRATION_HEADER = [
    "narration_id", "participant_id", "video_id", "narration_timestamp", "start_timestamp",
    "stop_timestamp", "start_frame", "stop_frame", "narration", "verb", "verb_class", "noun",
    "noun_class", "all_nouns", "all_noun_classes",
]  # fmt: skip


def write_narrations(tmp: Path, rows: list[dict] | None = None) -> Path:
    """An EPIC-100 style CSV; by default two actions of the test video and one of another."""
    rows = rows or [
        {"narration_id": f"{VIDEO}_0", "video_id": VIDEO, "start_frame": 8, "stop_frame": 24,
         "narration": "cut onion with knife", "verb": "cut", "verb_class": 7, "noun": "onion",
         "noun_class": 13, "all_nouns": "['onion', 'knife']", "all_noun_classes": "[13, 4]"},
        {"narration_id": f"{VIDEO}_1", "video_id": VIDEO, "start_frame": 20, "stop_frame": 35,
         "narration": "wash board", "verb": "wash", "verb_class": 2, "noun": "board:chopping",
         "noun_class": 14, "all_nouns": "['board:chopping']", "all_noun_classes": "[14]"},
        {"narration_id": "P99_01_0", "video_id": "P99_01", "start_frame": 1, "stop_frame": 5,
         "narration": "open door", "verb": "open", "verb_class": 3, "noun": "door",
         "noun_class": 8, "all_nouns": "['door']", "all_noun_classes": "[8]"},
    ]  # fmt: skip
    path = tmp / "EPIC_100_train.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=NARRATION_HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in NARRATION_HEADER})
    return path


def frames_with_objects(store: Store) -> dict[int, dict[str, int]]:
    """Pixel counts by object name per labelled frame, for comparing stores."""
    names = {o.id: o.name for o in store.objects()}
    out = {}
    for frame in store.labelled_frames():
        lab = store.read_frame(frame)
        ids, counts = np.unique(lab[lab > 0], return_counts=True)
        out[frame] = {names[int(i)]: int(c) for i, c in zip(ids, counts, strict=True)}
    return out


def masks_by_name(store: Store) -> dict[int, np.ndarray]:
    """Label maps with object names instead of ids (as a string array), per frame."""
    names = np.array([""] + [""] * 65535, dtype=object)
    for o in store.objects():
        names[o.id] = o.name
    return {f: names[store.read_frame(f)] for f in store.labelled_frames()}


# ---------------------------------------------------------------- faults


class FullOnCommit:
    """Stands in for a store's connection: COMMIT fails as SQLite fails on a full disk.

    SQLite rolls the whole transaction back when the commit cannot be written, then reports
    "database or disk is full"; everything else goes to the real connection.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.commits_refused = 0

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql.strip().upper() == "COMMIT":
            self.conn.execute("ROLLBACK")
            self.commits_refused += 1
            raise sqlite3.OperationalError("database or disk is full")
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def labelled_store(tmp: Path, n_human: int = 6) -> Path:
    """A saved store: objects a, b, c; frames 0..n_human-1 human-verified (with history),
    frames 10..13 model output; one action over the clip."""
    with Store.create(tmp / "clip.actionvos", n_frames=20, height=32, width=48) as store:
        ids = [store.add_object(n, i + 1) for i, n in enumerate("abc")]
        for f in range(n_human):
            lab = np.zeros((32, 48), np.uint16)
            lab[f : f + 8, 2 * f : 2 * f + 12] = ids[f % 3]
            lab[20:, :10] = ids[(f + 1) % 3]
            store.set_masks(f, lab)
        for f in range(10, 14):
            lab = np.zeros((32, 48), np.uint16)
            lab[:5, f : f + 20] = ids[2]
            store.set_masks(f, lab, FrameState.MODEL)
        store.add_action("cut onion", 0, 19)
    return tmp / "clip.actionvos"


@contextlib.contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A small tmpfs mounted for the test; skips where mounting is not permitted."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where = Path("/tmp") / f"actionvos-tmpfs-{uuid.uuid4().hex[:8]}"
    where.mkdir()
    got = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if got.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {got.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def fill_disk(where: Path, leave: int) -> Path:
    """Fill the file system holding ``where`` until about ``leave`` bytes are free."""
    st = os.statvfs(where)
    filler = where / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler
