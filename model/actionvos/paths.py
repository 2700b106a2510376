"""Where checkpoints and label stores are looked for.

Kept in one place so the CLI's ``info``, the engine and the napari widget agree. Nothing here
creates directories: a path is only made when something is saved there.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP = "actionvos"


def checkpoint_dirs() -> list[Path]:
    """Directories searched for checkpoints by name, in order.

    ``$ACTIONVOS_CHECKPOINTS`` (os.pathsep-separated) first, then the per-user data directory.
    """
    env = os.environ.get("ACTIONVOS_CHECKPOINTS", "")
    dirs = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    dirs.append(Path(user_data_dir(APP)) / "checkpoints")
    return dirs


def store_root() -> Path | None:
    """A central directory for label stores, if the user set ``$ACTIONVOS_STORES``."""
    env = os.environ.get("ACTIONVOS_STORES")
    return Path(env).expanduser() if env else None


def default_store_path(clip_path: str | Path) -> Path:
    """The label store for a clip: ``<clip>.actionvos`` beside it, or under $ACTIONVOS_STORES."""
    clip_path = Path(clip_path)
    name = clip_path.name + ".actionvos"
    root = store_root()
    return (root / name) if root else clip_path.with_name(name)


def cache_dir() -> Path:
    """Per-user cache (video indexes the user asked to keep, downloaded nothing)."""
    return Path(user_cache_dir(APP))
