"""The label store of one clip: open, read, edit, save atomically, undo.

``Store`` is the public face only: it holds a ``Session`` (connection, staged chunks, the
edit in progress; see ``session.py``) and hands each call to the module that does the work:
``catalog`` (objects, actions, flags, hand boxes, models), ``frames`` (masks and states),
``edits`` (corrections), ``undo`` (history), ``verify`` (the full check), ``layers``.

A process killed at any instant reopens at its last save. Readers may open the same store at
any time and see the last save.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from actionvos.errors import StoreError
from actionvos.store import catalog, edits, frames, opening, undo, upgrade, verify
from actionvos.store.layers import save_layers
from actionvos.store.records import (
    ActionRecord,
    ActivityRecord,
    Correction,
    FrameRecord,
    HandBox,
    ModelRecord,
    ObjectRecord,
)
from actionvos.store.schema import FrameState, ModelRole, Source
from actionvos.store.session import Session


class Store:
    """One clip's labels. Use ``Store.create`` or ``Store.open``; close (or ``with``) after.

    Edits are visible to this object at once and reach disk on ``save`` (or ``autosave``),
    all together or not at all. Leaving a ``with`` block saves, unless it raised.
    """

    def __init__(self, session: Session) -> None:
        self._s = session
        self.path = session.path
        self.meta = session.meta

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        n_frames: int,
        height: int,
        width: int,
        clip: str | Path | None = None,
        video: str | None = None,
        frame_number_base: int = 1,
    ) -> Store:
        """Make a new, empty store at ``path`` (which must not exist) and open it for writing.

        ``video`` names the clip in exported datasets (e.g. ``P01_107``); frame names are
        ``frame_%010d`` of ``index + frame_number_base`` (EPIC-KITCHENS counts from 1).
        """
        path = Path(path)
        opening.create(
            path,
            n_frames=n_frames,
            height=height,
            width=width,
            clip=clip,
            video=video,
            frame_number_base=frame_number_base,
        )
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Store:
        """Open an existing store; refuses newer formats and damaged files before any write."""
        return cls(opening.open_session(Path(path), read_only=read_only))

    @property
    def read_only(self) -> bool:
        return self._s.read_only

    @property
    def dirty(self) -> bool:
        """True when there are edits not yet saved."""
        return self._s.dirty

    def save(self) -> bool:
        """Commit every edit since the last save, atomically. Returns False if none.

        If the commit fails (a full disk), nothing is written and the edits stay in this open
        store, so a later ``save`` can still write them.
        """
        s = self._s
        s.check_writable()
        if not s.dirty:
            return False
        if s.depth:
            raise StoreError("cannot save in the middle of an edit; save after it returns")
        try:
            s.commit()
        except (StoreError, OSError) as exc:
            raise s.save_failed(exc) from None
        return True

    def autosave(self) -> bool:
        """Save only if something changed: the cost is the changed chunks and rows."""
        return self.save() if (self._s.dirty and not self.read_only) else False

    def discard(self) -> None:
        """Drop every edit since the last save."""
        self._s.check_writable()
        self._s.roll_back()
        self._s.begin()

    def close(self, *, save: bool = True) -> None:
        """Save (unless ``save=False``, which discards unsaved edits) and release the store.

        The store is released even when the save fails; the error then says that the edits
        since the last save were not written.
        """
        s = self._s
        if s.closed:
            return
        try:
            if not s.read_only and save and s.dirty:
                try:
                    s.commit()
                except (StoreError, OSError) as exc:
                    s.roll_back()
                    raise StoreError(
                        f"could not save {self.path} on closing it: {exc}. The store was "
                        "closed at its last save; the edits made since were not written"
                    ) from None
            if not s.read_only and save:
                self._finish_bookkeeping()
            elif not s.read_only:
                s.roll_back()
        finally:
            s.release()

    def _finish_bookkeeping(self) -> None:
        """Commit the small transaction a save leaves open (which chunks were renamed)."""
        try:
            with self._s.db():
                if self._s.conn.in_transaction:
                    self._s.conn.execute("COMMIT")
        except StoreError as exc:
            raise StoreError(
                f"{self.path} was saved, but tidying up after the save failed ({exc}); the "
                "next open of the store finishes it"
            ) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(save=exc_type is None)

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Several reads that must see the same save (a no-op for the writer)."""
        return self._s.snapshot()

    def check(self) -> list[str]:
        """Problems found by a full read of the database and every labelled frame's chunk.

        Compares each chunk with the objects and pixel counts the database records for its
        frame; returns the problems (one line each, naming the frame) and never raises for
        what it finds.
        """
        return verify.problems(self._s)

    # ------------------------------------------------------------------ edits, history

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Several edits that apply all together or not at all."""
        with self._s.edit():
            yield

    def correction(
        self, label: str, action_id: int | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """Group several human edits into one undo step (nested groups join the outer one)."""
        return edits.correction(self._s, label, action_id)

    def import_step(self, description: str) -> contextlib.AbstractContextManager[None]:
        """Group an import's writes into one undo step, all applied or none.

        Every frame written inside it goes into the history, also with ``record=False`` and
        when it replaces a human-verified frame, so ``undo`` brings back what the import
        replaced. New objects, actions and hand boxes stay after an undo (without pixels).
        """
        return edits.correction(self._s, description, record_all=True)

    def history(self, *, include_discarded: bool = False) -> list[Correction]:
        """Corrections, oldest first, with the frames and objects each one touched."""
        return undo.history(self._s, include_discarded=include_discarded)

    @property
    def can_undo(self) -> bool:
        return undo.can_undo(self._s)

    @property
    def can_redo(self) -> bool:
        return undo.can_redo(self._s)

    def undo(self) -> Correction | None:
        """Revert the newest applied correction (even one from an earlier session)."""
        return undo.undo(self._s)

    def redo(self) -> Correction | None:
        """Re-apply the correction undone most recently."""
        return undo.redo(self._s)

    # ------------------------------------------------------------------ clip facts

    @property
    def n_frames(self) -> int:
        return self._s.shape[0]

    @property
    def height(self) -> int:
        return self._s.shape[1]

    @property
    def width(self) -> int:
        return self._s.shape[2]

    @property
    def shape(self) -> tuple[int, int, int]:
        return self._s.shape

    @property
    def video(self) -> str:
        return self.meta.get("video") or self.path.stem

    @property
    def frame_number_base(self) -> int:
        return int(self.meta.get("frame_number_base", "1"))

    @property
    def format_version(self) -> int:
        """1, or 2 once the store holds (or held) a propagated frame; see ``schema.py``."""
        return upgrade.format_version(self._s)

    def frame_name(self, frame: int) -> str:
        """The dataset name of a frame, e.g. ``frame_0000002521`` (no extension)."""
        return self._s.frame_name(frame)

    def frame_of_number(self, number: int) -> int:
        """Store index of a dataset frame number (EPIC ``start_frame``, ``frame_%010d``)."""
        return int(number) - self.frame_number_base

    # ------------------------------------------------------------------ frames

    def read_frame(self, frame: int) -> np.ndarray:
        """The frame's uint16 label map (object ids; zeros where unlabelled)."""
        return self._s.read_frame(frame)

    def read_frames(self, frames_: list[int] | range) -> np.ndarray:
        """Several frames stacked as ``(len(frames), height, width)``."""
        return frames.read_frames(self._s, frames_)

    def set_masks(
        self,
        frame: int,
        labels: np.ndarray,
        state: FrameState = FrameState.HUMAN,
        *,
        model_id: int | None = None,
        record: bool | None = None,
        overwrite_human: bool = False,
        overwrite_propagated: bool = False,
        action_id: int | None = None,
        label: str | None = None,
    ) -> bool:
        """Replace one frame's label map and state. Returns False if nothing changed.

        ``record`` (default: state is HUMAN) puts the change in the undo history. A write
        never replaces a frame of higher trust: propagated, model and pseudo-label writes
        leave human-verified frames alone unless ``overwrite_human``; model and pseudo-label
        writes leave propagated frames alone unless ``overwrite_propagated``.
        """
        return frames.set_masks(
            self._s,
            frame,
            labels,
            state,
            model_id=model_id,
            record=record,
            overwrite_human=overwrite_human,
            overwrite_propagated=overwrite_propagated,
            action_id=action_id,
            label=label,
        )

    def unlabel_frame(self, frame: int, *, record: bool = True) -> bool:
        """Erase a frame's masks and mark it unlabelled (undoable; repairs a lost chunk)."""
        return frames.unlabel_frame(self._s, frame, record=record)

    def frame_state(self, frame: int) -> FrameState:
        return frames.frame_state(self._s, frame)

    def frame_records(self) -> list[FrameRecord]:
        return frames.frame_records(self._s)

    def labelled_frames(self, states: Iterable[FrameState] | None = None) -> list[int]:
        """Frames with labels, in order; optionally only those in the given states."""
        return frames.labelled_frames(self._s, states)

    def objects_in_frames(self, frames_: Iterable[int]) -> dict[int, int]:
        """Pixel counts per object over the given frames (from the index, no decoding)."""
        return frames.objects_in_frames(self._s, frames_)

    def save_layers(
        self,
        labels: np.ndarray | Mapping[int, np.ndarray],
        names: Mapping[int, str],
        **options: Any,
    ) -> list[int]:
        """Write napari-style label layers as one correction; see ``layers.save_layers``."""
        return save_layers(self, labels, names, **options)

    @property
    def masks(self) -> LazyMasks:
        """A read-only array-like over all frames that reads chunks on demand (for napari)."""
        return LazyMasks(self)

    # ------------------------------------------------------------------ catalogue

    def objects(self) -> list[ObjectRecord]:
        return catalog.objects(self._s)

    def object(self, object_id: int) -> ObjectRecord:
        return catalog.object_record(self._s, object_id)

    def object_id(self, name: str) -> int | None:
        """The id of the object with this name, or None."""
        return catalog.object_id_of(self._s, name)

    def object_id_free(self, object_id: int) -> bool:
        """Whether a new object could take this id."""
        return catalog.object_id_free(self._s, object_id)

    def add_object(
        self,
        name: str,
        class_id: int | None = None,
        *,
        colour: str | None = None,
        object_id: int | None = None,
    ) -> int:
        """Add an object (its id is the label value of its pixels); returns the id."""
        return catalog.add_object(self._s, name, class_id, colour=colour, object_id=object_id)

    def ensure_object(self, name: str, class_id: int | None = None) -> int:
        """The id of the object with this name, adding it if needed (imports use this)."""
        return catalog.ensure_object(self._s, name, class_id)

    def update_object(
        self,
        object_id: int,
        *,
        name: str | None = None,
        class_id: int | None = None,
        colour: str | None = None,
        record: bool = True,
    ) -> bool:
        """Rename or reclassify an object (a correction, undoable)."""
        return catalog.update_object(
            self._s, object_id, name=name, class_id=class_id, colour=colour, record=record
        )

    def remove_object(self, object_id: int) -> None:
        """Delete an object with no pixels left, and its activity flags (undoable)."""
        catalog.remove_object(self._s, object_id)

    def actions(self) -> list[ActionRecord]:
        return catalog.actions(self._s)

    def action(self, action_id: int) -> ActionRecord:
        return catalog.action_record(self._s, action_id)

    def action_by_external_id(self, external_id: str) -> ActionRecord | None:
        return catalog.action_by_external_id(self._s, external_id)

    def add_action(self, narration: str, start_frame: int, end_frame: int, **fields: object) -> int:
        """Add a narrated action (frames are store indices, end inclusive); returns its id."""
        return catalog.add_action(self._s, narration, start_frame, end_frame, **fields)

    def update_action(self, action_id: int, *, record: bool = True, **fields: object) -> bool:
        """Correct an action's narration, frames or prompt (undoable)."""
        return catalog.update_action(self._s, action_id, record=record, **fields)

    def activity(self, action_id: int) -> dict[int, ActivityRecord]:
        """Activity flags of one action by object id."""
        return catalog.activity(self._s, action_id)

    def set_activity(
        self,
        action_id: int,
        object_id: int,
        active: bool | None,
        *,
        source: Source = Source.HUMAN,
        probability: float | None = None,
        reasons: dict | None = None,
        model_id: int | None = None,
        record: bool | None = None,
    ) -> bool:
        """Set whether an object takes part in an action.

        A model or rule never overrides a human's flag: it only refreshes its probability or
        reasons beside it. Human flags go into the undo history (``record`` overrides that).
        """
        return catalog.set_activity(
            self._s,
            action_id,
            object_id,
            active,
            source=source,
            probability=probability,
            reasons=reasons,
            model_id=model_id,
            record=record,
        )

    def hand_boxes(self, frame: int) -> list[HandBox]:
        return catalog.hand_boxes(self._s, frame)

    def hand_box_frames(self) -> list[int]:
        return catalog.hand_box_frames(self._s)

    def set_hand_boxes(self, frame: int, boxes: Iterable[HandBox]) -> None:
        """Replace the VISOR-HOS hand and in-contact object boxes of one frame."""
        catalog.set_hand_boxes(self._s, frame, boxes)

    def record_model(
        self,
        name: str,
        role: ModelRole = ModelRole.USED,
        *,
        checksum: str | None = None,
        details: dict | None = None,
    ) -> int:
        """Note a model version used for labels here (or trained from them); returns its id."""
        return catalog.record_model(self._s, name, role, checksum=checksum, details=details)

    def models(self) -> list[ModelRecord]:
        return catalog.models(self._s)


class LazyMasks:
    """``frames x height x width`` view of a store that decodes only the frames indexed."""

    dtype = np.dtype(np.uint16)
    ndim = 3

    def __init__(self, store: Store) -> None:
        self._store = store
        self.shape = store.shape

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: object) -> np.ndarray:
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, (int, np.integer)):
            return self._store.read_frame(int(first) % self.shape[0])[rest]
        frames_ = range(self.shape[0])[first] if isinstance(first, slice) else list(first)
        return self._store.read_frames(frames_)[(slice(None), *rest)]

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        data = self[:]
        return data.astype(dtype) if dtype is not None else data
