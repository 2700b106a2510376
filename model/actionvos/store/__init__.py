"""The label store: masks and labels of one clip that survive crashes, with undo.

``Store.create`` / ``Store.open`` give a ``Store``; see ``store.py`` for the guarantees.
"""

from actionvos.paths import default_store_path
from actionvos.store.records import (
    ActionRecord,
    ActivityRecord,
    Correction,
    FrameRecord,
    HandBox,
    ModelRecord,
    ObjectRecord,
)
from actionvos.store.schema import FORMAT_VERSION, FrameState, ModelRole, Source
from actionvos.store.store import LazyMasks, Store

__all__ = [
    "FORMAT_VERSION",
    "ActionRecord",
    "ActivityRecord",
    "Correction",
    "FrameRecord",
    "FrameState",
    "HandBox",
    "LazyMasks",
    "ModelRecord",
    "ModelRole",
    "ObjectRecord",
    "Source",
    "Store",
    "default_store_path",
]
