"""Check an ActionVOS split file (``ImageSets/<split>.json``) field by field before use.

The dataset reader (``actionvos.io.dataset``) turns fields into a ``Sequence`` with plain
``int()``/``str()`` casts; a hand-edited or foreign file can hold ``"sparse_frames": null``,
a string where the frame list belongs (iterated character by character), ``object_classes``
as a list, or ids beyond SQLite's integers. The importer runs this check first, so such a
file is refused with the entry and field named, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from actionvos.errors import InputError
from actionvos.formats.common import load_json
from actionvos.formats.fields import (
    as_class_id,
    as_dict,
    as_flag,
    as_int,
    as_list,
    as_str,
    as_str_list,
)

MAX_OBJECTS = 255  # palette masks hold values 1..255


def check_object_classes(raw: Any, where: str) -> None:
    """``{"1": {"name", "class_id", "handbox", "narration", "positive"}, ...}``."""
    for key, obj in as_dict(raw, where, "object_classes").items():
        at = f"{where} object {key!r}"
        as_int(key, at, "object index", lo=1, hi=MAX_OBJECTS)
        obj = as_dict(obj, at, "the object")
        if "name" not in obj:
            raise InputError(f"{at}: the object has no 'name'")
        as_str(obj["name"], at, "name")
        as_class_id(obj.get("class_id"), at, "class_id")
        for flag in ("handbox", "narration", "positive"):
            if flag in obj:
                as_flag(obj[flag], at, flag)


def check_sequence_entry(raw: Any, where: str) -> None:
    """One entry of the list form (as ``data_prepare_visor.py`` writes it)."""
    raw = as_dict(raw, where, "a sequence")
    for key in ("seq_id", "start", "end"):
        if key in raw:
            as_int(raw[key], where, key)
    for key in ("video", "narration"):
        if key in raw:
            as_str(raw[key], where, key)
    for key in ("verb", "noun"):
        if key in raw:
            as_str(raw[key], where, key, empty=True)
    for key in ("verb_class", "noun_class"):
        if key in raw:
            as_class_id(raw[key], where, key)
    if "sparse_frames" in raw:
        as_str_list(raw["sparse_frames"], where, "sparse_frames")
    if raw.get("object_classes") is not None:
        check_object_classes(raw["object_classes"], where)


def check_expression_video(raw: Any, where: str) -> None:
    """One video of the meta-expressions form ``{"expressions": {...}, "frames": [...]}``."""
    raw = as_dict(raw, where, "a video")
    for key, exp in as_dict(raw.get("expressions") or {}, where, "expressions").items():
        as_int(key, where, "expression key", hi=MAX_OBJECTS - 1)
        if isinstance(exp, dict):
            as_str(exp.get("exp"), f"{where} expression {key!r}", "exp")
        else:
            as_str(exp, where, f"expression {key!r}")
    if raw.get("frames") is not None:
        as_str_list(raw["frames"], where, "frames")


def check_split_file(path: str | Path) -> None:
    """Raise InputError naming the first malformed entry and field of a split file."""
    path = Path(path)
    data = load_json(path, "ActionVOS split file")
    if isinstance(data, list):
        for i, raw in enumerate(data):
            check_sequence_entry(raw, f"{path} entry {i}")
    elif isinstance(data, dict) and "videos" in data:
        for name, raw in as_dict(data["videos"], str(path), "videos").items():
            check_expression_video(raw, f"{path} video {name!r}")
    else:
        as_list(data, str(path), "the split (a list of sequences)")
