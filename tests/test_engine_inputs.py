"""Frame preprocessing, prompts, tokenizer loading and device choice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actionvos.engine import device as device_module
from actionvos.engine.device import autocast, resolve_device, resolve_precision
from actionvos.engine.preprocess import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    preprocess_frame,
    preprocess_frames,
    resized_size,
)
from actionvos.engine.prompts import build_prompt, build_prompts
from actionvos.engine.tokenizer import build_byte_bpe_tokenizer, encode, load_tokenizer, pad_batch
from actionvos.errors import CheckpointError, ClipError, InputError


def test_resize_sizes_follow_torchvision_resize_360():
    assert resized_size(1080, 1920) == (360, 640)
    assert resized_size(1920, 1080) == (640, 360)
    assert resized_size(100, 333) == (360, 1198)  # 1198.8 truncated, not rounded
    assert resized_size(256, 456) == (360, 641)  # 641.25
    assert resized_size(360, 360) == (360, 360)


def test_frame_at_target_size_is_only_normalised():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (360, 480, 3), dtype=np.uint8)
    x = preprocess_frame(frame)
    expect = (frame.astype(np.float32) / 255 - np.array(IMAGENET_MEAN, np.float32)) / np.array(
        IMAGENET_STD, np.float32
    )
    np.testing.assert_allclose(x.permute(1, 2, 0).numpy(), expect, atol=1e-6)


def test_downscale_is_antialiased_like_pil_bilinear():
    # A one-pixel checkerboard shrunk 3x: antialiased bilinear averages it to grey, while
    # point-sampled bilinear would keep values near 0 and 255.
    yy, xx = np.mgrid[:1080, :1440]
    board = (((yy + xx) % 2) * 255).astype(np.uint8)
    frame = np.repeat(board[..., None], 3, axis=2)
    x = preprocess_frame(frame)
    assert x.shape == (3, 360, 480)
    grey = x[0] * IMAGENET_STD[0] + IMAGENET_MEAN[0]
    inner = grey[2:-2, 2:-2]
    assert float(inner.min()) > 0.3 and float(inner.max()) < 0.7


def test_bad_frames_are_refused_with_a_clear_error():
    with pytest.raises(ClipError, match="H x W x 3 uint8"):
        preprocess_frame(np.zeros((10, 10), np.uint8))
    with pytest.raises(ClipError, match="one size"):
        preprocess_frames([np.zeros((10, 10, 3), np.uint8), np.zeros((10, 12, 3), np.uint8)])


def test_prompts_follow_the_promptaction_template():
    assert (
        build_prompt("Cereal  Bag", " Put cereals\tbag into  cereals box ")
        == "cereal bag used in the action of put cereals bag into cereals box"
    )
    assert build_prompts(["knife", "onion"], "cut onion") == [
        "knife used in the action of cut onion",
        "onion used in the action of cut onion",
    ]


@pytest.mark.parametrize(
    ("objects", "narration", "message"),
    [
        (["knife"], "  ", "narration is empty"),
        ([], "cut onion", "no objects"),
        (["knife", " "], "cut onion", "object 2 has an empty name"),
        (["Knife", "knife "], "cut onion", "same name"),
        ("knife", "cut onion", "list of names"),
    ],
)
def test_bad_prompts_raise_input_error(objects, narration, message):
    with pytest.raises(InputError, match=message):
        build_prompts(objects, narration)


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    corpus = ["knife used in the action of cut onion", "cereal bag used in the action of put"]
    return build_byte_bpe_tokenizer(tmp_path_factory.mktemp("tok"), corpus * 5, vocab_size=400)


def test_local_tokenizer_adds_roberta_specials(tokenizer_dir):
    tok = load_tokenizer(tokenizer_dir)
    a = encode(tok, "knife used in the action of cut onion")
    b = encode(tok, "zebra")
    assert a[0] == 0 and a[-1] == 2 and b[0] == 0 and b[-1] == 2
    assert int(a.max()) < 400 and not (a[1:-1] == 1).any()
    ids, mask = pad_batch([a, b], pad_id=tok.pad_token_id)
    assert ids.shape == (2, len(a)) and tok.pad_token_id == 1
    assert torch.equal(ids[1, : len(b)], b) and (ids[1, len(b) :] == 1).all()
    assert mask.sum(1).tolist() == [len(a), len(b)]


def test_missing_tokenizer_names_directory_and_files(tmp_path):
    with pytest.raises(CheckpointError, match=r"does not exist.*vocab\.json \+ merges\.txt"):
        load_tokenizer(tmp_path / "nowhere")
    (tmp_path / "vocab.json").write_text("{}")
    with pytest.raises(CheckpointError, match=f"{tmp_path}.*has no tokenizer files"):
        load_tokenizer(tmp_path)


@pytest.mark.parametrize("native", [True, False])
def test_precision_follows_native_bf16_and_training_stays_fp32_on_the_cpu(monkeypatch, native):
    """auto: bf16 autocast for inference where the CPU computes bf16 natively, float32
    elsewhere and always for CPU training; bf16 asked for where it is emulated falls back."""
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: native)
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == ("bf16" if native else "fp32")
    assert resolve_precision("auto", cpu, training=True) == "fp32"
    assert resolve_precision("fp32", cpu) == "fp32"
    if native:
        assert resolve_precision("bf16", cpu, training=True) == "bf16"
    else:
        with pytest.warns(UserWarning, match="native bf16"):
            assert resolve_precision("bf16", cpu) == "fp32"
    with autocast(cpu, "bf16"):
        assert torch.ones(2, 2).matmul(torch.ones(2, 2)).dtype == torch.bfloat16


def test_device_choice():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cuda", "mps", "cpu")
    with pytest.raises(InputError, match="unknown device"):
        resolve_device("tpu9")
    cpu = torch.device("cpu")
    with autocast(cpu, "fp32"):
        assert torch.ones(2, 2).matmul(torch.ones(2, 2)).dtype == torch.float32
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA"):
            resolve_device("cuda")
