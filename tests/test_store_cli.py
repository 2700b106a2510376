"""``actionvos store`` end to end, in process: create, import, label, export, undo, check."""

from __future__ import annotations

import json

from store_synthetic import VIDEO, standard_visor, write_hos, write_narrations

from actionvos.cli import main
from actionvos.store import Store


def test_store_command_line_round(tmp_path, capsys):
    store = str(tmp_path / "clip.actionvos")
    ann, mapping = standard_visor(tmp_path)
    assert main(["store", "create", "--store", store, "--frames", "40", "--height", "54",
                 "--width", "96", "--video", VIDEO]) == 0  # fmt: skip
    assert main(["store", "import", store, "visor", str(ann), "--frame-mapping", str(mapping)]) == 0
    hos = str(write_hos(tmp_path))
    assert main(["store", "import", store, "hos", hos, "--frame-mapping", str(mapping)]) == 0
    assert main(["store", "import", store, "epic", str(write_narrations(tmp_path))]) == 0
    assert main(["store", "pseudo-label", store]) == 0
    capsys.readouterr()
    assert main(["store", "info", store, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["labelled"] == {"human-verified": 3} and info["actions"] == 2
    out = tmp_path / "ds"
    assert main(["store", "export", store, "layout", str(out), "--size", "48x27"]) == 0
    entries = json.loads((out / "ImageSets" / "train.json").read_text())
    assert len(entries) == 2
    assert main(["store", "export", store, "coco", str(tmp_path / "c.json")]) == 0
    with Store.open(store) as s:
        s.set_masks(10, s.read_frame(20))
    assert main(["store", "undo", store]) == 0
    assert "undo: masks of frame 10" in capsys.readouterr().out
    assert main(["store", "check", store]) == 0
    assert main(["store", "import", store, "visor", str(tmp_path / "missing.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
