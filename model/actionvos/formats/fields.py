"""Typed reading of one field of a foreign annotation file, with a message naming it.

JSON and CSV files from other tools hold whatever their writer put there: ``"seven"`` for an
id, ``null`` for a list, a string where a list belongs (which Python would iterate character
by character), integers beyond SQLite's signed 64 bits. Every importer reads its fields
through these functions *before* it writes anything, so a bad file raises InputError saying
which field of which entry is wrong and the store stays as it was.
"""

from __future__ import annotations

import math
from typing import Any

from actionvos.errors import InputError

#: Largest id, class id or frame number accepted: far above any real dataset, far below
#: SQLite's signed 64-bit INTEGER and numpy's int64.
MAX_ID = 2**31 - 1


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def as_int(value: Any, where: str, what: str, *, lo: int = 0, hi: int = MAX_ID) -> int:
    """An integer in ``lo..hi``: an int, an integral float or a string of digits."""
    out: int | None = None
    if isinstance(value, bool):
        out = None
    elif isinstance(value, int):
        out = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        out = int(value)
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdecimal() and len(text) <= 20:
            out = int(text)
    if out is None:
        raise InputError(f"{where}: {what} {value!r} is not an integer")
    if not lo <= out <= hi:
        raise InputError(f"{where}: {what} {out} is outside the range {lo}..{hi}")
    return out


def as_class_id(value: Any, where: str, what: str = "class id") -> int | None:
    """An EPIC/VISOR class id, or None for a missing one (``null`` or ``-1``)."""
    if value is None or (isinstance(value, (int, float, str)) and str(value).strip() == "-1"):
        return None
    return as_int(value, where, what)


def as_number(value: Any, where: str, what: str) -> float:
    """A finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: {what} {value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{where}: {what} {value!r} is not finite")
    return out


def as_list(value: Any, where: str, what: str) -> list:
    """A JSON list (a string or null is refused, not iterated)."""
    if not isinstance(value, list):
        raise InputError(f"{where}: {what} must be a list, got {_kind(value)}")
    return value


def as_dict(value: Any, where: str, what: str) -> dict:
    """A JSON object."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: {what} must be an object ({{...}}), got {_kind(value)}")
    return value


def as_str(value: Any, where: str, what: str, *, empty: bool = False) -> str:
    """A string (numbers are not silently turned into names)."""
    if not isinstance(value, str):
        raise InputError(f"{where}: {what} must be a string, got {_kind(value)}")
    if not empty and not value.strip():
        raise InputError(f"{where}: {what} is empty")
    return value


def as_str_list(value: Any, where: str, what: str) -> list[str]:
    """A list of non-empty strings."""
    items = as_list(value, where, what)
    return [as_str(v, where, f"{what}[{i}]") for i, v in enumerate(items)]


def as_flag(value: Any, where: str, what: str) -> bool:
    """A 0/1 or true/false flag."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise InputError(f"{where}: {what} {value!r} must be 0 or 1")
