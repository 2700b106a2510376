"""napari writer: File › Save Selected Layers… with the two mask layers -> a label store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from actionvos_napari.store.save import role_pair, save_action


def write_store(path: str, layer_data: list[tuple[Any, dict, str]]) -> list[str]:
    """Save the selected active/inactive Labels layers into the store at ``path``."""
    active, inactive, meta = role_pair(layer_data)
    save_action(path, active, inactive, meta)
    return [str(Path(path))]
