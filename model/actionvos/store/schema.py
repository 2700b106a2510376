"""The label store's on-disk layout and SQLite schema, in one place.

A store is a directory::

    <clip>.actionvos/
        labels.sqlite      objects, actions, activity, frame states, history, models, meta
        masks.zarr/        uint16 instance masks, frames x height x width, one chunk per frame
        staging/           chunk files written before the commit that makes them current
        writer.lock        held (flock) by the one process allowed to write

``FORMAT_VERSION`` is bumped whenever an older reader could misread the store; an older
actionvos refuses a newer store rather than guessing.

Format 2 adds the ``propagated`` frame state (masks carried from a corrected frame by optical
flow). A store is created at format 1 (with a schema that already admits the new state, which
an older actionvos never writes) and is raised to format 2 by its first propagated frame
(``upgrade.py``), so stores without propagated frames stay readable by older versions, and an
older version refuses a store whose frame states it would not understand.
"""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType

FORMAT_VERSION = 2  # the newest format this code reads and writes
CREATED_FORMAT_VERSION = 1  # what a new store starts at
PROPAGATED_FORMAT_VERSION = 2  # the first format that may hold propagated frames

DATABASE_FILE = "labels.sqlite"
MASKS_DIR = "masks.zarr"
STAGING_DIR = "staging"
LOCK_FILE = "writer.lock"

MAX_OBJECT_ID = 65535  # masks are uint16; 0 is background


class FrameState(str, Enum):
    """How much a frame's masks can be trusted; an absent frame row means UNLABELLED."""

    UNLABELLED = "unlabelled"
    MODEL = "model"
    PSEUDO = "pseudo-label"
    PROPAGATED = "propagated"
    HUMAN = "human-verified"

    @property
    def rank(self) -> int:
        """Trust order: a write never replaces a frame of higher rank unless asked to.

        Model output and pseudo-labels rank alike (either may replace the other); masks
        propagated from a person's correction rank above them and below the person's own.
        """
        return _RANK[self]


_RANK = MappingProxyType(
    {
        FrameState.UNLABELLED: 0,
        FrameState.MODEL: 1,
        FrameState.PSEUDO: 1,
        FrameState.PROPAGATED: 2,
        FrameState.HUMAN: 3,
    }
)


class Source(str, Enum):
    """Who decided an (action, object) activity flag."""

    MODEL = "model"
    RULE = "rule"
    HUMAN = "human"


class ModelRole(str, Enum):
    """Whether a model version produced labels here or was trained from them."""

    USED = "used"
    TRAINED = "trained"


_STATES = ", ".join(f"'{s.value}'" for s in FrameState if s is not FrameState.UNLABELLED)
_SOURCES = ", ".join(f"'{s.value}'" for s in Source)
_ROLES = ", ".join(f"'{r.value}'" for r in ModelRole)


def frames_table(name: str) -> str:
    """The frames table's definition (also used to rebuild it when a store is upgraded)."""
    return f"""CREATE TABLE {name} (
    frame INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ({_STATES})),
    model_id INTEGER REFERENCES models(id),
    updated TEXT NOT NULL
);"""


SCHEMA = f"""
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ({_ROLES})),
    checksum TEXT,
    time TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TABLE objects (
    id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND {MAX_OBJECT_ID}),
    name TEXT NOT NULL UNIQUE,
    class_id INTEGER,
    colour TEXT NOT NULL
);
CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    narration TEXT NOT NULL,
    verb TEXT,
    noun TEXT,
    verb_class INTEGER,
    noun_class INTEGER,
    all_nouns TEXT NOT NULL DEFAULT '[]',
    all_noun_classes TEXT NOT NULL DEFAULT '[]',
    start_frame INTEGER NOT NULL,
    end_frame INTEGER NOT NULL,
    prompt TEXT,
    external_id TEXT UNIQUE,
    CHECK (end_frame >= start_frame)
);
CREATE TABLE activity (
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    active INTEGER CHECK (active IN (0, 1)),
    probability REAL,
    source TEXT NOT NULL CHECK (source IN ({_SOURCES})),
    reasons TEXT NOT NULL DEFAULT '{{}}',
    model_id INTEGER REFERENCES models(id),
    PRIMARY KEY (action_id, object_id)
);
{frames_table("frames")}
CREATE TABLE frame_objects (
    frame INTEGER NOT NULL,
    object_id INTEGER NOT NULL,
    pixels INTEGER NOT NULL,
    PRIMARY KEY (frame, object_id)
);
CREATE INDEX frame_objects_by_object ON frame_objects(object_id);
CREATE TABLE hand_boxes (
    id INTEGER PRIMARY KEY,
    frame INTEGER NOT NULL,
    category INTEGER NOT NULL CHECK (category IN (1, 2)),
    x REAL NOT NULL,
    y REAL NOT NULL,
    w REAL NOT NULL,
    h REAL NOT NULL,
    polygons TEXT NOT NULL DEFAULT '[]',
    handside INTEGER,
    in_contact INTEGER
);
CREATE INDEX hand_boxes_by_frame ON hand_boxes(frame);
CREATE TABLE pending_chunks (
    frame INTEGER PRIMARY KEY,
    file TEXT NOT NULL
);
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    user TEXT NOT NULL,
    label TEXT NOT NULL,
    action_id INTEGER,
    status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
    status_time TEXT
);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    correction_id INTEGER NOT NULL REFERENCES corrections(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('mask', 'row')),
    frame INTEGER,
    object_ids TEXT NOT NULL DEFAULT '[]',
    tbl TEXT,
    key TEXT,
    before TEXT,
    after TEXT,
    bbox TEXT,
    before_pixels BLOB,
    after_pixels BLOB
);
CREATE INDEX changes_by_correction ON changes(correction_id);
"""

REQUIRED_TABLES = frozenset(
    {
        "meta",
        "models",
        "objects",
        "actions",
        "activity",
        "frames",
        "frame_objects",
        "hand_boxes",
        "pending_chunks",
        "corrections",
        "changes",
    }
)

# Correction status values in the ``corrections`` table.
APPLIED, UNDONE, DISCARDED = 0, 1, 2
