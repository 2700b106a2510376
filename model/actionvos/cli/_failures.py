"""How the command line reports a failure: a message for the user's environment, a traceback
for a bug.

An ``OSError`` that carries an errno (a full disk, a read-only folder, a missing path) is the
user's to fix, so it becomes one line naming the path and the cause; so does SQLite's report
of a full or read-only disk. Anything else that is not
an ``ActionVOSError`` is a bug: its full traceback is kept and one line says to report it.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
import traceback
from typing import TextIO

from actionvos import __version__

_WHAT_TO_DO = {
    errno.ENOSPC: "free some space or write somewhere else",
    errno.EDQUOT: "free some space or write somewhere else",
    errno.EROFS: "choose a folder on a writable disk",
    errno.EACCES: "choose a path you may write to, or fix its permissions",
    errno.EPERM: "choose another path, or fix its permissions",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.EISDIR: "it is a folder where a file was expected; check the path",
    errno.EEXIST: "move it aside or choose another path",
    errno.EIO: "check the disk",
}


#: SQLite's words for a disk that refuses, where Python raises no OSError.
_SQLITE_DISK = ("disk is full", "readonly database", "disk i/o error", "unable to open database")


def is_environment_error(exc: BaseException) -> bool:
    """True for OSErrors raised by the system (they carry an errno), not for library ones,
    and for SQLite's full, read-only or failing disk."""
    if isinstance(exc, sqlite3.OperationalError):
        return any(words in str(exc).lower() for words in _SQLITE_DISK)
    return isinstance(exc, OSError) and exc.errno is not None


def describe_failure(exc: BaseException) -> str:
    """One line for an environment error (see ``is_environment_error``)."""
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    return (
        f"the label database could not be written or read: {exc}; free some space, or check "
        "that the store's folder is on a writable, healthy disk"
    )


def describe_os_error(exc: OSError) -> str:
    """``<path>: <cause> (<what to do>)`` for an OSError raised by the system."""
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(str(p) for p in paths) if paths else "a file"
    cause = exc.strerror or str(exc)
    hint = _WHAT_TO_DO.get(exc.errno)
    return f"cannot use {where}: {cause}" + (f"; {hint}" if hint else "")


def report_bug(command: str, stream: TextIO | None = None) -> None:
    """Print the current exception's traceback and the line asking to report it."""
    stream = stream if stream is not None else sys.stderr
    traceback.print_exc(file=stream)
    print(
        f"actionvos {command}: this is a bug in actionvos {__version__}, not a problem with "
        "your input; please report it on the project's issue tracker with the traceback "
        "above and the command you ran",
        file=stream,
    )
