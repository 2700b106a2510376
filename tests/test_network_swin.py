"""Swin and Video-Swin trunks: window helpers, output geometry and frame coupling.

The released sizes (Swin-L, Video-Swin-B) are too large for a quick test, so the same code is
run with a tiny registered configuration; names and shapes of the real sizes are covered by
test_network_keys.py. A whole ActionVOSNet is also assembled on a tiny Video-Swin to check the
batched decode where the backbone itself mixes frames.
"""

from __future__ import annotations

import pytest
import torch

from actionvos.network import ActionVOSNet, ModelConfig, swin, video_swin
from actionvos.network.swin import (
    SwinTrunk,
    relative_position_index,
    window_partition,
    window_reverse,
)
from actionvos.network.video_swin import VideoSwinTrunk

TINY = {"embed_dim": 32, "depths": (2, 2, 2, 2), "heads": (1, 2, 2, 4)}
TINY_TEXT = {
    "vocab_size": 60,
    "hidden_size": 768,
    "num_hidden_layers": 1,
    "num_attention_heads": 12,
    "intermediate_size": 64,
    "max_position_embeddings": 40,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-5,
    "pad_token_id": 1,
    "add_pooling_layer": True,
}


@pytest.fixture
def tiny_swins(monkeypatch):
    monkeypatch.setitem(swin.SWIN_CONFIGS, "swin_l_p4w7", TINY)
    monkeypatch.setitem(video_swin.VIDEO_SWIN_CONFIGS, "video_swin_b_p4w7", TINY)


@pytest.mark.parametrize("window", [(3, 2), (2, 3, 2)])
def test_window_partition_round_trip(window) -> None:
    dims = tuple(w * k for w, k in zip(window, (2, 3, 1)[: len(window)], strict=True))
    x = torch.randn(2, *dims, 5)
    parts = window_partition(x, window)
    assert parts.shape[1:] == (int(torch.tensor(window).prod()), 5)
    torch.testing.assert_close(window_reverse(parts, window, 2, dims), x, rtol=0, atol=0)


def test_relative_position_index_spans_the_bias_table() -> None:
    for window, table in (((7, 7), 169), ((8, 7, 7), 2535)):
        index = relative_position_index(window)
        n = int(torch.tensor(window).prod())
        assert index.shape == (n, n)
        assert int(index.min()) == 0 and int(index.max()) == table - 1
        assert int(index.diagonal().unique().numel()) == 1  # zero offset everywhere


def test_image_swin_geometry_and_frame_independence(tiny_swins) -> None:
    trunk = SwinTrunk("swin_l_p4w7").eval()
    frames = torch.randn(2, 3, 67, 93)
    with torch.no_grad():
        outs = trunk(frames)
        other = trunk(torch.stack([frames[0], torch.randn(3, 67, 93)]))
    assert [tuple(o.shape[-2:]) for o in outs] == [(17, 24), (9, 12), (5, 6), (3, 3)]
    assert [o.shape[1] for o in outs] == trunk.num_channels
    for a, b in zip(outs, other, strict=True):
        torch.testing.assert_close(a[0], b[0])


def test_video_swin_mixes_frames(tiny_swins) -> None:
    trunk = VideoSwinTrunk("video_swin_b_p4w7").eval()
    frames = torch.randn(3, 3, 64, 72)
    changed = frames.clone()
    changed[2] += 1
    with torch.no_grad():
        outs, outs2 = trunk(frames), trunk(changed)
    assert [tuple(o.shape) for o in outs] == [
        (3, 32, 16, 18),
        (3, 64, 8, 9),
        (3, 128, 4, 5),
        (3, 256, 2, 3),
    ]
    assert float((outs[0][0] - outs2[0][0]).abs().max()) > 1e-4


def test_tiny_video_swin_network_batches_captions(tiny_swins) -> None:
    torch.manual_seed(0)
    net = ActionVOSNet(ModelConfig(backbone="video_swin_b_p4w7", text_config=TINY_TEXT)).eval()
    frames = torch.randn(2, 3, 64, 96)
    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 9, 2, 1, 1]])
    mask = (ids != 1).long()
    mask[:, 0] = 1
    with torch.inference_mode():
        vis = net.encode_visual(frames)
        both = net.decode(vis, net.encode_text(ids, mask))
        second = net.decode(vis, net.encode_text(ids[1:, :3], mask[1:, :3]))
    assert both["pred_masks"].shape == (2, 2, 5, 16, 24)
    for name in ("pred_logits", "pred_boxes", "pred_positives", "pred_masks"):
        torch.testing.assert_close(both[name][1:], second[name], rtol=1e-4, atol=1e-3)
