"""Fine-tuned versions: where they live, what each records, which one is selected.

A version is a model folder (``model.safetensors`` + ``config.json``, plus the trainer's
resume state) with a ``version.json``: its name, the parent it was trained from, the preset,
steps and wall time, the before/after metrics on held-out frames and the revision of every
store it used. Versions live in ``<first checkpoint directory>/finetuned/<name>`` (or any
folder given as ``--out``), so the registry lists them and ``predict`` and the widget load
them by name.

One version (or ``lite``) may be *selected*: ``finetuned/selected.json`` in the first
checkpoint directory names it, and a model asked for without a name (``predict`` without
``--checkpoint``) is the selected one. Rolling back selects the parent of the selected
version. Each write goes to a temporary file that is then renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from actionvos.errors import CheckpointError, InputError
from actionvos.paths import checkpoint_dirs

VERSION_FILE = "version.json"
FINETUNED_DIR = "finetuned"
SELECTED_FILE = "selected.json"
LITE = "lite"


@dataclass
class VersionRecord:
    """What ``version.json`` holds."""

    name: str
    parent: str
    preset: str
    steps: int
    wall_s: float
    cancelled: bool
    metrics_before: dict | None
    metrics_after: dict | None
    stores: list[dict]
    settings: dict = field(default_factory=dict)
    created: str = ""
    checksum: str = ""

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "parent": self.parent,
            "preset": self.preset,
            "steps": self.steps,
            "wall_s": round(self.wall_s, 2),
            "cancelled": self.cancelled,
            "metrics_before": self.metrics_before,
            "metrics_after": self.metrics_after,
            "stores": self.stores,
            "settings": self.settings,
            "created": self.created,
            "checksum": self.checksum,
        }

    @classmethod
    def from_dict(cls, d: dict) -> VersionRecord:
        return cls(
            name=str(d["name"]),
            parent=str(d.get("parent") or LITE),
            preset=str(d.get("preset", "")),
            steps=int(d.get("steps", 0)),
            wall_s=float(d.get("wall_s", 0.0)),
            cancelled=bool(d.get("cancelled", False)),
            metrics_before=d.get("metrics_before"),
            metrics_after=d.get("metrics_after"),
            stores=list(d.get("stores", [])),
            settings=dict(d.get("settings", {})),
            created=str(d.get("created", "")),
            checksum=str(d.get("checksum", "")),
        )


def versions_root(folder: Path | None = None) -> Path:
    """``finetuned/`` under the first checkpoint directory (or under ``folder``)."""
    return (checkpoint_dirs()[0] if folder is None else Path(folder)) / FINETUNED_DIR


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def new_version_name(parent: str, preset: str, root: Path) -> str:
    """``<parent>-ft-<preset>-<UTC time>``, with a counter if that folder exists already."""
    stem = _UNSAFE.sub("-", f"{Path(parent).name}-ft-{preset}-{time.strftime('%Y%m%d-%H%M%S')}")
    name, n = stem, 1
    while (root / name).exists():
        n += 1
        name = f"{stem}-{n}"
    return name


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` under a temporary name first, so a crash leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, indent=1) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def weights_checksum(folder: Path) -> str:
    h = hashlib.sha256()
    with open(folder / "model.safetensors", "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_version(folder: Path) -> VersionRecord | None:
    """The version record of a folder, or None when it is not a fine-tuned version."""
    path = Path(folder) / VERSION_FILE
    if not path.is_file():
        return None
    try:
        return VersionRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is not a readable version record ({exc})") from exc


def list_versions(root: Path | None = None) -> list[tuple[Path, VersionRecord]]:
    """The versions under ``root`` (default: :func:`versions_root`), oldest first."""
    root = versions_root() if root is None else root
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and (folder / "model.safetensors").is_file():
            try:
                record = read_version(folder)
            except CheckpointError:
                continue
            if record is not None:
                out.append((folder, record))
    return sorted(out, key=lambda item: (item[1].created, item[0].name))


def _lookup(name: str, root: Path | None) -> tuple[Path, VersionRecord] | None:
    """The version under ``root`` whose folder or record is called ``name``, if any."""
    for folder, record in list_versions(root):
        if folder.name == name or record.name == name:
            return folder, record
    return None


def find_version(name: str, root: Path | None = None) -> tuple[Path, VersionRecord]:
    found = _lookup(name, root)
    if found is not None:
        return found
    known = ", ".join(f.name for f, _ in list_versions(root)) or "none yet"
    raise CheckpointError(
        f"there is no fine-tuned version {name!r} in {versions_root() if root is None else root}"
        f" (known: {known}); `actionvos models` lists them"
    )


def selected(root: Path | None = None) -> str | None:
    """The selected model's name (a version or ``lite``), or None when nothing was selected."""
    path = (versions_root() if root is None else root) / SELECTED_FILE
    if not path.is_file():
        return None
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["name"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"{path} is not readable ({exc}); select a model again with "
            "`actionvos models --select NAME`"
        ) from exc


def select(name: str, root: Path | None = None) -> str:
    """Make ``name`` (``lite``, a version under ``root`` or a model folder) the default model."""
    root = versions_root() if root is None else root
    if name != LITE and not (Path(name) / "model.safetensors").is_file():
        find_version(name, root)
    write_json(root / SELECTED_FILE, {"name": name, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return name


def rollback(root: Path | None = None) -> str:
    """Select the parent of the selected version; returns the name now selected."""
    root = versions_root() if root is None else root
    current = selected(root)
    if current is None or current == LITE:
        raise InputError(
            "no fine-tuned version is selected, so there is nothing to roll back "
            f"(the default is {LITE}); `actionvos models` lists the versions"
        )
    record = _selected_record(current, root)
    if record is None:
        raise InputError(
            f"the default model {current!r} is not a fine-tuned version, so there is no parent "
            "to roll back to; select one by name with `actionvos models --select NAME`"
        )
    parent = record.parent
    try:
        return select(parent, root)
    except CheckpointError as exc:
        raise CheckpointError(
            f"{current} was trained from {parent!r}, which is not available any more; "
            f"select a model by name instead ({exc})"
        ) from None


def _selected_record(current: str, root: Path) -> VersionRecord | None:
    """The record of the selected model: a version under ``root`` by name, or a version folder
    selected by path (``actionvos finetune --out DIR`` selects DIR); None for other models."""
    found = _lookup(current, root)
    if found is not None:
        return found[1]
    folder = Path(current)
    if (folder / "model.safetensors").is_file():
        return read_version(folder)
    return None
