"""One writer per store, enforced by an OS file lock.

The lock dies with its process (even on SIGKILL), so a crashed writer never leaves the store
locked; a second writer is refused with a message instead of corrupting the first one's work.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from actionvos.errors import StoreError

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class WriterLock:
    """Exclusive, non-blocking lock on ``path``; released by ``release`` or process exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            raise StoreError(
                f"{self.path.parent} is not a complete label store ({self.path.name} is "
                "missing); open it read-only, or create a new store"
            ) from None
        except PermissionError:
            raise StoreError(
                f"no permission to write to the store {self.path.parent}; open it read-only"
            ) from None
        except OSError as exc:
            if exc.errno == errno.EROFS:
                raise StoreError(
                    f"the store {self.path.parent} is on a read-only file system; open it "
                    "read-only, or copy it to a writable disk to change it"
                ) from None
            raise StoreError(
                f"cannot open {self.path} to take the writer lock ({exc.strerror or exc}); "
                "check the disk, or open the store read-only"
            ) from None
        if not _try_lock(fd):
            os.close(fd)
            raise StoreError(
                f"the store {self.path.parent} is already open for writing (in another window "
                "or process). Close it there first, or open this one read-only"
            )
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
