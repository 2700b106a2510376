"""Write export files by temporary file and rename, so a failure leaves no half-written file.

A full or read-only disk, a cancel or a bug part-way through a write must neither replace a
good file with a truncated one nor leave a stray ``.tmp`` behind: the temporary file lives
beside the target (same file system, so the rename is atomic), is flushed to disk before the
rename, and is removed on any failure. The OSError itself propagates; the CLI turns it into a
message naming the path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from actionvos.palette import write_palette_png


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, else it goes."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        renamed = _naming(exc, path)
        if renamed is exc:
            raise
        raise renamed from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        renamed = _naming(exc, path, tmp)
        if renamed is exc:
            raise
        raise renamed from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _naming(exc: OSError, path: Path, tmp: Path | None = None) -> OSError:
    """The same system error, naming the file the user asked for instead of our temporary."""
    if exc.errno is None or (tmp is not None and exc.filename not in (None, str(tmp), tmp)):
        return exc
    return OSError(exc.errno, exc.strerror, str(path))


def write_text(path: str | Path, text: str) -> None:
    """``Path.write_text`` (UTF-8), atomically."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_palette(path: str | Path, labels: np.ndarray) -> None:
    """A palette PNG (``actionvos.palette``), atomically."""
    with replacing(path) as tmp:
        write_palette_png(tmp, labels)


def write_jpeg(path: str | Path, image: Image.Image, quality: int = 95) -> None:
    """An RGB image as JPEG, atomically."""
    with replacing(path) as tmp:
        image.save(tmp, format="JPEG", quality=quality)
