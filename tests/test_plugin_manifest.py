"""The npe2 manifest at the repository root is valid and is the one napari loads."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import yaml
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[1]


def test_npe2_validate_passes() -> None:
    npe2 = Path(sys.executable).with_name("npe2")
    result = subprocess.run(
        [str(npe2), "validate", str(ROOT / "napari.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_installed_manifest_is_the_root_manifest() -> None:
    loaded = PluginManifest.from_distribution("actionvos-napari")
    installed = Path(str(files("actionvos_napari").joinpath("napari.yaml")))
    assert yaml.safe_load(installed.read_text()) == yaml.safe_load(
        (ROOT / "napari.yaml").read_text()
    )
    assert loaded.name == "actionvos-napari"
    widgets = [w.display_name for w in loaded.contributions.widgets or []]
    assert widgets == ["ActionVOS segment"]
    samples = [s.display_name for s in loaded.contributions.sample_data or []]
    assert samples == ["ActionVOS demo: kitchen"]


def test_every_command_imports() -> None:
    import importlib

    manifest = PluginManifest.from_file(ROOT / "napari.yaml")
    commands = manifest.contributions.commands or []
    assert {c.id.split(".")[-1] for c in commands} >= {"segment_widget", "get_store_reader"}
    for command in commands:
        module, _, attr = command.python_name.partition(":")
        obj = getattr(importlib.import_module(module), attr)
        assert callable(obj), command.id
    # every menu entry and reader names a command that exists
    ids = {c.id for c in commands}
    menus = manifest.contributions.menus or {}
    submenus = {s.id for s in manifest.contributions.submenus or []}
    for items in menus.values():
        for item in items:
            assert getattr(item, "command", None) in ids or item.submenu in submenus, item
    for reader in manifest.contributions.readers or []:
        assert reader.command in ids


def test_core_imports_without_qt_or_napari() -> None:
    code = (
        "import sys, importlib, pkgutil, actionvos\n"
        "for m in pkgutil.walk_packages(actionvos.__path__, 'actionvos.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('napari','qtpy','PyQt5','PyQt6','PySide2','PySide6','magicgui','superqt')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
