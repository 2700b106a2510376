"""Who and when, as recorded in the store."""

from __future__ import annotations

import getpass
from datetime import datetime, timezone


def now() -> str:
    """UTC time with milliseconds, ISO 8601: sorts as text and reads anywhere."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def user() -> str:
    """The OS login name, for the edit history."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still record something
        return "unknown"
