"""The failure corpus: realistic bad inputs, each refused with the right error and a message
that names the problem, and, where a store is involved, with the store's bytes unchanged.

Every case writes a real bad file (a truncated mp4, a pickle that would run code, a VISOR file
with ``{"x", "y"}`` points, ...) and runs the real reader or importer on it. The store cases
start from a store that already holds a human-verified frame, an object and an action, so
"nothing saved is lost" is tested against real content. The importer cases are built in
``bad_input_cases.py``; full and read-only disks at the command line are in
``test_bad_inputs_cli.py``; store-internal faults (corrupt databases, chunks, two writers)
in ``test_bad_inputs_store.py``.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from bad_input_cases import (
    IMPORT_CASES,
    MARKER_NAME,
    VIDEO,
    Case,
    H,
    W,
    cut_file,
    make_labelled_store,
    write_mp4,
)
from digest import store_digest
from io_synthetic import synthetic_frames
from PIL import Image

from actionvos.checkpoints import load, load_official, save
from actionvos.errors import CheckpointError, ClipError, InputError
from actionvos.io import FrameFolderClip, VideoClip, open_clip
from actionvos.metrics import evaluate_folders
from actionvos.palette import write_palette_png
from actionvos.store import FrameState, Store

# --------------------------------------------------------------------------- videos, folders


def _truncated_mp4(tmp):
    cut = cut_file(write_mp4(tmp), tmp / "cut.mp4", 0.6)
    return lambda: open_clip(cut)


def _truncated_faststart_read_past_end(tmp):
    cut = cut_file(
        write_mp4(tmp, container_options={"movflags": "faststart"}), tmp / "cut.mp4", 0.5
    )

    def read_the_claimed_last_frame():
        with VideoClip(cut, index="none") as clip:  # unverified: trusts the header
            clip[clip.n_frames - 1]

    return read_the_claimed_last_frame


def _zero_byte(tmp):
    (tmp / "empty.mp4").touch()
    return lambda: open_clip(tmp / "empty.mp4")


def _noise_mp4(tmp):
    noise = np.random.default_rng(1).integers(0, 256, 30000, dtype=np.uint8).tobytes()
    (tmp / "noise.mp4").write_bytes(noise)
    return lambda: open_clip(tmp / "noise.mp4")


def _text_as_mkv(tmp):
    (tmp / "notes.mkv").write_text("shopping list\n" * 200)
    return lambda: open_clip(tmp / "notes.mkv")


def _video_named_png(tmp):
    path = tmp / "clip.png"
    path.write_bytes(write_mp4(tmp).read_bytes())
    return lambda: open_clip(path)


def _audio_only(tmp):
    import av

    path = tmp / "audio.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 16000
        for _ in range(4):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return lambda: open_clip(path)


def _unknown_extension(tmp):
    (tmp / "notes.xyz").write_text("not a video\n" * 50)
    return lambda: open_clip(tmp / "notes.xyz")


def _missing_video(tmp):
    return lambda: open_clip(tmp / "nowhere.mp4")


def _folder_as_video(tmp):
    (tmp / "frames.mp4").mkdir()
    return lambda: VideoClip(tmp / "frames.mp4")


def _empty_folder(tmp):
    (tmp / "frames").mkdir()
    return lambda: open_clip(tmp / "frames")


def _folder_of_text(tmp):
    (tmp / "frames").mkdir()
    (tmp / "frames" / "readme.txt").write_text("no frames")
    return lambda: FrameFolderClip(tmp / "frames")


def _frames(tmp, sizes) -> Path:
    folder = tmp / "frames"
    folder.mkdir()
    for i, (h, w) in enumerate(sizes):
        Image.fromarray(synthetic_frames(1, h, w)[0]).save(folder / f"frame_{i + 1:010d}.png")
    return folder


def _mixed_sizes(tmp):
    folder = _frames(tmp, [(64, 96), (64, 96), (48, 64)])
    clip = open_clip(folder)
    return lambda: clip[2]


def _unreadable_frame(tmp):
    folder = _frames(tmp, [(64, 96)] * 3)
    (folder / "frame_0000000002.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    clip = open_clip(folder)
    return lambda: clip[1]


def _named_frame_missing(tmp):
    folder = _frames(tmp, [(64, 96)] * 2)
    return lambda: FrameFolderClip(folder, names=["frame_0000000001.png", "frame_0000000007.png"])


# ------------------------------------------------------------------------------ checkpoints

MARKER = MARKER_NAME


class _RunsCode:
    """Unpickling this would write a marker file: a checkpoint must never execute it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def _pickle_with_code(tmp):
    path = tmp / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"model": _RunsCode(tmp / MARKER)}, f)
    return lambda: load_official(path)


def _torch_zip_with_code(tmp):
    import torch

    path = tmp / "evil_zip.pth"
    torch.save({"model": {"w": torch.zeros(1)}, "hook": _RunsCode(tmp / MARKER)}, path)
    return lambda: load_official(path)


def _native(tmp) -> Path:
    from network_models import fixture_model

    return save(fixture_model(), None, tmp / "model")


def _truncated_safetensors(tmp):
    folder = _native(tmp)
    weights = folder / "model.safetensors"
    cut_file(weights, weights.with_suffix(".cut"), 0.5).replace(weights)
    return lambda: load(folder)


def _safetensors_wrong_keys(tmp):
    import torch
    from safetensors.torch import save_file

    folder = _native(tmp)
    save_file({"encoder.weight": torch.zeros(3, 3)}, str(folder / "model.safetensors"))
    return lambda: load(folder)


def _pth_wrong_keys(tmp):
    import torch

    path = tmp / "other.pth"
    torch.save({"model": {"conv1.weight": torch.zeros(4, 3, 3, 3)}}, path)
    return lambda: load_official(path)


def _text_as_pth(tmp):
    (tmp / "notes.pth").write_text("not a checkpoint")
    return lambda: load_official(tmp / "notes.pth")


def _native_folder_without_weights(tmp):
    folder = _native(tmp)
    (folder / "model.safetensors").unlink()
    return lambda: load(folder)


# ------------------------------------------------------------------------------ evaluate


def _eval_layout(tmp, entry_changes: dict | None = None, pred_size=(H, W)):
    entry = {
        "seq_id": 1, "video": VIDEO, "verb": "cut", "noun": "onion",
        "sparse_frames": ["frame_0000000011.jpg"],
        "object_classes": {"1": {"name": "knife", "positive": 1}},
    }  # fmt: skip
    entry.update(entry_changes or {})
    split = tmp / "val.json"
    split.write_text(json.dumps([entry]))
    for kind, size in (("gt", (H, W)), ("pred", pred_size)):
        folder = tmp / kind / f"00000001_{VIDEO}_cut_onion"
        folder.mkdir(parents=True)
        mask = np.zeros(size, np.uint8)
        mask[:4, :4] = 1
        write_palette_png(folder / "frame_0000000011.png", mask)
    return split


def _eval(tmp, **kw):
    split = _eval_layout(tmp, **kw)
    return lambda: evaluate_folders(tmp / "pred", tmp / "gt", split)


def _eval_no_pred(tmp):
    split = _eval_layout(tmp)
    return lambda: evaluate_folders(tmp / "predictions", tmp / "gt", split)


def _eval_split_text(tmp, text: str):
    _eval_layout(tmp)
    (tmp / "bad.json").write_text(text)
    return lambda: evaluate_folders(tmp / "pred", tmp / "gt", tmp / "bad.json")


def _eval_missing_mask(tmp):
    split = _eval_layout(tmp)
    (tmp / "pred" / f"00000001_{VIDEO}_cut_onion" / "frame_0000000011.png").unlink()
    return lambda: evaluate_folders(tmp / "pred", tmp / "gt", split)


EVALUATE_CASES = [
    Case("evaluate: missing pred folder", _eval_no_pred, InputError, "prediction folder .* does"),
    Case(
        "evaluate: mismatched sizes",
        lambda t: _eval(t, pred_size=(27, 48)),
        InputError,
        "differ in size",
    ),
    Case(
        "evaluate: split not JSON",
        lambda t: _eval_split_text(t, "[{"),
        InputError,
        "is not valid JSON",
    ),
    Case(
        "evaluate: split is an object",
        lambda t: _eval_split_text(t, '{"videos": 1}'),
        InputError,
        "must be a list of sequences",
    ),
    Case(
        "evaluate: sparse_frames null",
        lambda t: _eval(t, entry_changes={"sparse_frames": None}),
        InputError,
        "sparse_frames must be a list, got null",
    ),
    Case(
        "evaluate: sparse_frames a string",
        lambda t: _eval(t, entry_changes={"sparse_frames": "frame_0000000011.jpg"}),
        InputError,
        "sparse_frames must be a list, got str",
    ),
    Case(
        "evaluate: positive 'yes'",
        lambda t: _eval(t, entry_changes={"object_classes": {"1": {"positive": "yes"}}}),
        InputError,
        "positive 'yes' must be 0 or 1",
    ),
    Case("evaluate: missing prediction mask", _eval_missing_mask, ClipError, "is missing"),
]
FILE_CASES = [
    Case("video: truncated mp4", _truncated_mp4, ClipError, "truncated"),
    Case(
        "video: truncated faststart mp4 read past its end",
        _truncated_faststart_read_past_end,
        ClipError,
        "the video ends after frame",
    ),
    Case("video: zero bytes", _zero_byte, ClipError, r"empty \(0 bytes\)"),
    Case("video: noise named .mp4", _noise_mp4, ClipError, "cannot open .* as a video"),
    Case("video: text named .mkv", _text_as_mkv, ClipError, "cannot open .* as a video"),
    Case("video: video named .png", _video_named_png, ClipError, "is a single image"),
    Case("video: sound only", _audio_only, ClipError, "has no video stream"),
    Case("video: unknown extension", _unknown_extension, ClipError, "is not a supported clip"),
    Case("video: missing", _missing_video, ClipError, "does not exist"),
    Case("video: a folder", _folder_as_video, ClipError, "is a folder, not a video file"),
    Case("frames: empty folder", _empty_folder, ClipError, "has no jpg/png frames"),
    Case("frames: only text", _folder_of_text, ClipError, "no jpg/png"),
    Case("frames: mixed sizes", _mixed_sizes, ClipError, "must be one size"),
    Case("frames: unreadable file", _unreadable_frame, ClipError, "cannot read frame"),
    Case("frames: named frame missing", _named_frame_missing, ClipError, "missing"),
    Case("checkpoint: pickle with code", _pickle_with_code, CheckpointError, "weights_only"),
    Case("checkpoint: torch file with code", _torch_zip_with_code, CheckpointError, "weights_only"),
    Case(
        "checkpoint: truncated safetensors",
        _truncated_safetensors,
        CheckpointError,
        "may be truncated",
    ),
    Case(
        "checkpoint: safetensors with wrong keys",
        _safetensors_wrong_keys,
        CheckpointError,
        "encoder.weight",
    ),
    Case("checkpoint: pth with wrong keys", _pth_wrong_keys, CheckpointError, "conv1.weight"),
    Case("checkpoint: text named .pth", _text_as_pth, CheckpointError, "notes.pth"),
    Case(
        "checkpoint: folder without weights",
        _native_folder_without_weights,
        CheckpointError,
        "model.safetensors is missing",
    ),
    *EVALUATE_CASES,
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.name for c in FILE_CASES])
def test_bad_file_is_refused_with_a_message_naming_the_problem(tmp_path, case: Case) -> None:
    run = case.make(tmp_path)
    with pytest.raises(case.error, match=case.match):
        run()
    assert not (tmp_path / MARKER).exists()  # no pickle ever ran code


@pytest.fixture
def labelled_store(tmp_path) -> Path:
    return make_labelled_store(tmp_path)


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c.name for c in IMPORT_CASES])
def test_bad_import_is_refused_and_the_store_is_unchanged(
    tmp_path, labelled_store: Path, case: Case
) -> None:
    src = tmp_path / "input"
    src.mkdir()
    run = case.make(src)
    before = store_digest(labelled_store)
    with Store.open(labelled_store) as store:
        with pytest.raises(case.error, match=case.match):
            run(store)
        assert store.frame_state(10) is FrameState.HUMAN
    assert store_digest(labelled_store) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(FILE_CASES) + len(IMPORT_CASES) >= 45
    assert len({c.name for c in FILE_CASES + IMPORT_CASES}) == len(FILE_CASES + IMPORT_CASES)
