"""Edit plumbing and frame masks of the store; human corrections go into the history.

Every public edit runs inside an SQLite savepoint: an edit that fails (bad input, full disk)
leaves the store exactly as before it, including staged chunk files.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from actionvos.errors import InputError
from actionvos.store import rows
from actionvos.store.history import MaskDiff, diff_masks
from actionvos.store.records import FrameRecord
from actionvos.store.schema import APPLIED, MAX_OBJECT_ID, UNDONE, FrameState
from actionvos.store.stamps import now as _now
from actionvos.store.stamps import user as _user

if TYPE_CHECKING:
    from actionvos.store.store import Store


class EditsMixin:
    """Atomic edits, the history recorder and frame masks of ``Store`` (see ``store.py``)."""

    # ------------------------------------------------------------------ edit plumbing

    @contextlib.contextmanager
    def _edit(self: Store) -> Iterator[None]:
        """Run one edit atomically inside the open transaction."""
        self._check_writable()
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        staged_before = dict(self._staged)
        self._depth = 1
        with self._db():
            self._conn.execute("SAVEPOINT edit")
        try:
            yield
        except BaseException:
            with self._db():
                self._conn.execute("ROLLBACK TO edit")
                self._conn.execute("RELEASE edit")
            for frame, name in self._staged.items():
                if staged_before.get(frame) != name:
                    self._masks.discard(name)
            self._staged = staged_before
            self._superseded = []
            raise
        else:
            with self._db():
                self._conn.execute("RELEASE edit")
            for name in self._superseded:
                self._masks.discard(name)
            self._superseded = []
            self._dirty = True
        finally:
            self._depth = 0

    @contextlib.contextmanager
    def atomic(self: Store) -> Iterator[None]:
        """Several edits that apply all together or not at all (imports use this)."""
        with self._edit():
            yield

    @contextlib.contextmanager
    def correction(self: Store, label: str, action_id: int | None = None) -> Iterator[None]:
        """Group several human edits into one undo step (nested groups join the outer one)."""
        if self._group is not None:
            yield
            return
        self._group = {"label": label, "action_id": action_id, "id": None}
        try:
            with self._edit():
                yield
        finally:
            self._group = None

    def _correction_id(self: Store, label: str, action_id: int | None) -> int:
        group = self._group
        if group is not None and group["id"] is not None:
            return group["id"]
        if group is not None:
            label, action_id = group["label"], group["action_id"]
        # A new correction makes the undone ones unreachable, as in any editor.
        self._conn.execute(
            "UPDATE corrections SET status = 2, status_time = ? WHERE status = ?",
            (_now(), UNDONE),
        )
        cur = self._conn.execute(
            "INSERT INTO corrections (time, user, label, action_id, status) VALUES (?,?,?,?,?)",
            (_now(), _user(), label, action_id, APPLIED),
        )
        if group is not None:
            group["id"] = cur.lastrowid
        return int(cur.lastrowid)

    def _record_row(
        self: Store, table: str, before: dict | None, after: dict | None, label: str, action_id
    ) -> None:
        cid = self._correction_id(label, action_id)
        key = rows.key_of(table, after if after is not None else before)
        self._conn.execute(
            "INSERT INTO changes (correction_id, kind, tbl, key, before, after) "
            "VALUES (?, 'row', ?, ?, ?, ?)",
            (cid, table, json.dumps(key), json.dumps(before), json.dumps(after)),
        )

    def _record_mask(self: Store, diff: MaskDiff, label: str, action_id) -> None:
        cid = self._correction_id(label, action_id)
        bbox, before, after = diff.encode()
        self._conn.execute(
            "INSERT INTO changes (correction_id, kind, frame, object_ids, bbox, before_pixels, "
            "after_pixels) VALUES (?, 'mask', ?, ?, ?, ?, ?)",
            (cid, diff.frame, json.dumps(diff.object_ids), bbox, before, after),
        )

    def _change_row(
        self: Store,
        table: str,
        key: dict,
        values: dict | None,
        *,
        record: bool,
        label: str,
        action_id: int | None = None,
    ) -> bool:
        """Upsert (or delete, for ``values=None``) one row; record it when asked."""
        before = rows.get(self._conn, table, key)
        after = None
        if values is not None:
            merged = {**rows.DEFAULTS.get(table, {}), **(before or {}), **key, **values}
            after = {c: merged.get(c) for c in rows.COLUMNS[table]}
        if after == before:
            return False
        if after is None:
            rows.delete(self._conn, table, key)
        else:
            rows.put(self._conn, table, after)
        if record:
            self._record_row(table, before, after, label, action_id)
        return True

    # ------------------------------------------------------------------ masks

    def _validated_labels(self: Store, frame: int, labels: np.ndarray) -> tuple[np.ndarray, dict]:
        labels = np.asarray(labels)
        if labels.shape != (self.height, self.width):
            raise InputError(
                f"masks for frame {frame} have shape {labels.shape}; this store holds "
                f"{self.height}x{self.width} frames. Resize with nearest neighbour first"
            )
        if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
            raise InputError(f"masks for frame {frame} must be integer labels, not {labels.dtype}")
        if labels.dtype != np.uint16 and labels.size:
            lo, hi = int(labels.min()), int(labels.max())
            if lo < 0 or hi > MAX_OBJECT_ID:
                raise InputError(
                    f"masks for frame {frame} hold labels {lo}..{hi}; object ids are "
                    f"1..{MAX_OBJECT_ID} and 0 is background"
                )
        labels = np.ascontiguousarray(labels, dtype=np.uint16)
        counts = np.bincount(labels.ravel())
        present = {int(i): int(counts[i]) for i in np.flatnonzero(counts) if i != 0}
        known = {r[0] for r in self._conn.execute("SELECT id FROM objects")}
        unknown = sorted(set(present) - known)
        if unknown:
            raise InputError(
                f"masks for frame {frame} use labels {unknown[:10]} that are not objects of "
                f"this store; add them first (Store.add_object) or relabel those pixels"
            )
        return labels, present

    def _write_frame(self: Store, frame: int, labels: np.ndarray, present: dict) -> None:
        name = self._masks.stage(frame, labels)
        old = self._staged.get(frame)
        if old is not None:
            self._superseded.append(old)
        self._staged[frame] = name
        self._conn.execute(
            "INSERT INTO pending_chunks (frame, file) VALUES (?, ?) "
            "ON CONFLICT (frame) DO UPDATE SET file = excluded.file",
            (frame, name),
        )
        self._conn.execute("DELETE FROM frame_objects WHERE frame = ?", (frame,))
        self._conn.executemany(
            "INSERT INTO frame_objects (frame, object_id, pixels) VALUES (?, ?, ?)",
            [(frame, oid, n) for oid, n in sorted(present.items())],
        )

    def set_masks(
        self: Store,
        frame: int,
        labels: np.ndarray,
        state: FrameState = FrameState.HUMAN,
        *,
        model_id: int | None = None,
        record: bool | None = None,
        overwrite_human: bool = False,
        action_id: int | None = None,
        label: str | None = None,
    ) -> bool:
        """Replace one frame's label map and state. Returns False if nothing changed.

        ``record`` (default: state is HUMAN) puts the change in the undo history. Model and
        pseudo-label writes never replace a human-verified frame unless ``overwrite_human``.
        """
        frame = self._check_frame(frame)
        state = FrameState(state)
        if state is FrameState.UNLABELLED:
            raise InputError("set_masks writes labels; use unlabel_frame to clear a frame")
        record = (state is FrameState.HUMAN) if record is None else record
        text = label or f"masks of frame {frame}"
        with self.correction(text, action_id):
            labels, present = self._validated_labels(frame, labels)
            current_row = rows.get(self._conn, "frames", {"frame": frame})
            if (
                current_row is not None
                and current_row["state"] == FrameState.HUMAN.value
                and state is not FrameState.HUMAN
                and not overwrite_human
            ):
                return False
            diff = diff_masks(frame, self.read_frame(frame), labels)
            if diff is not None:
                self._write_frame(frame, labels, present)
                if record:
                    self._record_mask(diff, text, action_id)
            same_state = current_row is not None and (
                current_row["state"] == state.value and current_row["model_id"] == model_id
            )
            if diff is None and same_state:
                return False
            values = {"state": state.value, "model_id": model_id, "updated": _now()}
            self._change_row(
                "frames", {"frame": frame}, values, record=record, label=text, action_id=action_id
            )
            return True

    def unlabel_frame(self: Store, frame: int, *, record: bool = True) -> bool:
        """Erase a frame's masks and mark it unlabelled (undoable)."""
        frame = self._check_frame(frame)
        with self.correction(f"clear frame {frame}"):
            current = self.read_frame(frame)
            diff = diff_masks(frame, current, np.zeros_like(current))
            if diff is not None:
                self._write_frame(frame, np.zeros_like(current), {})
                if record:
                    self._record_mask(diff, f"clear frame {frame}", None)
            changed = self._change_row(
                "frames", {"frame": frame}, None, record=record, label=f"clear frame {frame}"
            )
            return changed or diff is not None

    def frame_state(self: Store, frame: int) -> FrameState:
        row = rows.get(self._conn, "frames", {"frame": self._check_frame(frame)})
        return FrameState.UNLABELLED if row is None else FrameState(row["state"])

    def frame_records(self: Store) -> list[FrameRecord]:
        with self._db():
            return [rows.to_frame(r) for r in rows.all_rows(self._conn, "frames", "frame")]

    def labelled_frames(self: Store, states: Iterable[FrameState] | None = None) -> list[int]:
        """Frames with labels, in order; optionally only those in the given states."""
        with self._db():
            if states is None:
                got = self._conn.execute("SELECT frame FROM frames ORDER BY frame")
            else:
                values = [FrameState(s).value for s in states]
                marks = ",".join("?" for _ in values)
                got = self._conn.execute(
                    f"SELECT frame FROM frames WHERE state IN ({marks}) ORDER BY frame", values
                )
            return [r[0] for r in got]

    def objects_in_frames(self: Store, frames: Iterable[int]) -> dict[int, int]:
        """Pixel counts per object over the given frames (from the index, no decoding)."""
        frames = [int(f) for f in frames]
        out: dict[int, int] = {}
        with self._db():
            for start in range(0, len(frames), 500):
                part = frames[start : start + 500]
                marks = ",".join("?" for _ in part)
                for oid, n in self._conn.execute(
                    "SELECT object_id, SUM(pixels) FROM frame_objects "
                    f"WHERE frame IN ({marks}) GROUP BY object_id",
                    part,
                ):
                    out[int(oid)] = out.get(int(oid), 0) + int(n)
        return out
