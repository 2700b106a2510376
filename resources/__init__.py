"""Data files shipped with actionvos-napari: palettes, icons, vocabularies, default configs.

Installed as the package ``actionvos_resources``; use :func:`path` rather than paths relative to
the source tree so the files are found in wheels and editable installs alike.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def path(*parts: str) -> Path:
    """Return the installed path of a resource file, e.g. ``path("palettes", "davis.json")``."""
    p = Path(str(files(__name__).joinpath(*parts)))
    if not p.exists():
        raise FileNotFoundError(f"resource {'/'.join(parts)} is not installed at {p}")
    return p
