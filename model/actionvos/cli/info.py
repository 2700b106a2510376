"""``actionvos info``: what this installation can run on and where it looks for files.

Reads versions from package metadata rather than importing napari or Qt, so it works on a
headless server and stays fast.
"""

from __future__ import annotations

import argparse
import json
import platform
from importlib import metadata

from actionvos import __version__, paths


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def collect() -> dict:
    """Gather versions, devices and search paths as a plain dict."""
    import torch

    devices = ["cpu"]
    cuda = {"available": torch.cuda.is_available(), "version": torch.version.cuda}
    if cuda["available"]:
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        cuda["devices"] = names
        devices += [f"cuda:{i} ({n})" for i, n in enumerate(names)]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    qt = {b: _version(b) for b in ("PyQt5", "PyQt6", "PySide2", "PySide6") if _version(b)}
    store_root = paths.store_root()
    return {
        "actionvos": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "cuda": cuda,
        "devices": devices,
        "transformers": _version("transformers"),
        "napari": _version("napari"),
        "qt_binding": qt or None,
        "checkpoint_dirs": [str(p) for p in paths.checkpoint_dirs()],
        "stores": str(store_root) if store_root else "beside each clip, as <clip>.actionvos",
    }


def run(args: argparse.Namespace) -> int:
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    cuda = info["cuda"]
    qt = info["qt_binding"]
    lines = [
        f"actionvos      {info['actionvos']}  (python {info['python']}, {info['platform']})",
        f"torch          {info['torch']}  CUDA {cuda['version'] or 'not built'}; "
        f"{'available' if cuda['available'] else 'no CUDA device'}",
        f"devices        {', '.join(info['devices'])}",
        f"transformers   {info['transformers'] or 'not installed'}",
        f"napari         {info['napari'] or 'not installed (headless core only)'}",
        "Qt binding     "
        + (", ".join(f"{k} {v}" for k, v in qt.items()) if qt else "none installed"),
        "checkpoints    " + "; ".join(info["checkpoint_dirs"]),
        f"label stores   {info['stores']}",
    ]
    print("\n".join(lines))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="versions, devices and where files are looked for")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)
