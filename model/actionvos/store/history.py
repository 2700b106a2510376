"""What a correction changed, stored compactly enough to undo and redo it in a later session.

A mask change keeps only the bounding box of the pixels that changed, before and after, as
zlib-compressed uint16 crops. Undo is a three-way merge: a pixel goes back to its old value
only where it still holds the corrected value, so undoing an old correction never erases
later work on other pixels. Row changes (flags, names, action fields) undo the same way,
column by column.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MaskDiff:
    """The changed region of one frame: ``bbox`` is (y0, y1, x0, x1), end exclusive."""

    frame: int
    bbox: tuple[int, int, int, int]
    before: np.ndarray
    after: np.ndarray

    @property
    def object_ids(self) -> list[int]:
        changed = self.before != self.after
        ids = np.union1d(self.before[changed], self.after[changed])
        return [int(i) for i in ids if i != 0]

    def encode(self) -> tuple[str, bytes, bytes]:
        return (
            json.dumps(list(self.bbox)),
            zlib.compress(np.ascontiguousarray(self.before, dtype="<u2").tobytes(), 1),
            zlib.compress(np.ascontiguousarray(self.after, dtype="<u2").tobytes(), 1),
        )

    @classmethod
    def decode(cls, frame: int, bbox: str, before: bytes, after: bytes) -> MaskDiff:
        y0, y1, x0, x1 = (int(v) for v in json.loads(bbox))
        shape = (y1 - y0, x1 - x0)

        def crop(blob: bytes) -> np.ndarray:
            return np.frombuffer(zlib.decompress(blob), dtype="<u2").reshape(shape)

        return cls(frame, (y0, y1, x0, x1), crop(before), crop(after))


def diff_masks(frame: int, before: np.ndarray, after: np.ndarray) -> MaskDiff | None:
    """The changed region between two label maps, or None when they are equal."""
    changed = before != after
    rows = np.flatnonzero(changed.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(changed[rows[0] : rows[-1] + 1].any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return MaskDiff(
        frame, (y0, y1, x0, x1), before[y0:y1, x0:x1].copy(), after[y0:y1, x0:x1].copy()
    )


def _merge(current: np.ndarray, diff: MaskDiff, *, undo: bool) -> np.ndarray:
    src, dst = (diff.after, diff.before) if undo else (diff.before, diff.after)
    out = current.copy()
    y0, y1, x0, x1 = diff.bbox
    region = out[y0:y1, x0:x1]
    take = (region == src) & (diff.before != diff.after)
    region[take] = dst[take]
    return out


def undo_mask(current: np.ndarray, diff: MaskDiff) -> np.ndarray:
    """``current`` with the correction's pixels put back where nobody changed them since."""
    return _merge(current, diff, undo=True)


def redo_mask(current: np.ndarray, diff: MaskDiff) -> np.ndarray:
    """``current`` with the correction applied again where the old values are still there."""
    return _merge(current, diff, undo=False)


def merge_row(
    current: dict | None, before: dict | None, after: dict | None, *, undo: bool
) -> dict | None:
    """The row after undoing (or redoing) a change, column by column.

    Returns None when the row should not exist. A column changes only where it still holds
    the value the change left, so edits made since are kept.
    """
    src, dst = (after, before) if undo else (before, after)
    if dst is None:
        return None if current == src else current
    if current is None:
        return dict(dst)
    out = dict(current)
    for col, value in dst.items():
        if src is None or current.get(col) == src.get(col):
            out[col] = value
    return out
