"""The napari reader on the official inference layout: frames open, and the expressions'
narration and object names pre-fill the widget; a dataset-shaped folder without a split
file opens as plain frames."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]

SEQ = "00000012_P01_107_put-into_bag:cereal"
NARRATION = "put cereals bag into cereals box"
OBJECTS = ["bread", "cereal bag"]


def _demo(root, with_split: bool = True):
    folder = root / "JPEGImages_Sparse" / "val" / SEQ
    folder.mkdir(parents=True)
    names = ["frame_0000002521", "frame_0000002559"]
    for k, name in enumerate(names):
        Image.fromarray(np.full((48, 64, 3), 60 + 40 * k, np.uint8)).save(folder / f"{name}.jpg")
    (root / "ImageSets").mkdir()
    if with_split:
        exps = {
            str(i): {"exp": f"{o} used in the action of {NARRATION}"} for i, o in enumerate(OBJECTS)
        }
        data = {"videos": {SEQ: {"expressions": exps, "frames": names}}}
        (root / "ImageSets" / "expression_file.json").write_text(json.dumps(data))
    return folder


def test_a_sequence_folder_of_the_inference_layout_opens_with_its_prompts(
    make_napari_viewer, tmp_path
):
    from actionvos_napari.readers import get_reader, read_dataset

    folder = _demo(tmp_path)
    for path in (folder, tmp_path):
        assert get_reader(str(path)) is read_dataset
        (image,) = read_dataset(str(path))  # no masks in this layout: only the frames
        meta = image[1]["metadata"]["actionvos"]
        assert meta["narration"] == NARRATION and meta["objects"] == OBJECTS
        assert image[1]["name"] == SEQ and len(image[0]) == 2
    viewer = make_napari_viewer()
    viewer.open(str(folder), plugin="actionvos-napari")
    _, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    assert widget.action_box.narration.value == NARRATION
    assert widget.action_box.objects.value == "bread, cereal bag"


def test_a_dataset_shaped_folder_without_a_split_file_opens_as_frames(tmp_path):
    from actionvos_napari.readers import get_reader, read_clip

    folder = _demo(tmp_path, with_split=False)
    assert get_reader(str(folder)) is read_clip
    (image,) = read_clip(str(folder))
    assert len(image[0]) == 2
