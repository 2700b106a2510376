"""Several captions decoded as one padded batch equal the official one-caption forwards.

The fixture's references are single-caption forwards with unpadded ids; batching pads the ids
with RoBERTa's pad id, shares one visual encoding and runs N*T frame rows at once. Frames of
different captions must not mix (the pixel decoder attends over all frames of ONE caption).
"""

from __future__ import annotations

import pytest
import torch
from network_models import (
    HEADS,
    assert_matches_caption,
    fixture_model,
    fixture_tensors,
)

from actionvos.network import TextFeatures


@pytest.fixture(scope="module")
def batch():
    net = fixture_model()
    t = fixture_tensors()
    with torch.inference_mode():
        vis = net.encode_visual(t["inputs.imgs"])
        txt = net.encode_text(t["inputs.input_ids"], t["inputs.attention_mask"])
        out = net.decode(vis, txt)
    return vis, txt, out


def test_padded_batch_equals_each_official_forward(batch) -> None:
    _, txt, out = batch
    n, t = txt.words.shape[0], fixture_tensors()["inputs.imgs"].shape[0]
    assert bool(txt.mask.any()), "the fixture's captions must be padded for this test"
    assert out["pred_masks"].shape[:3] == (n, t, 5)
    assert out["pred_positives"].shape == (n, 1)
    assert len(out["aux_outputs"]) == 3
    for i in range(n):
        assert_matches_caption(out, i, index=i)


def test_forward_equals_encode_then_decode(batch) -> None:
    net = fixture_model()
    t = fixture_tensors()
    length = int(t["inputs.attention_mask"][1].sum())
    with torch.inference_mode():
        out = net(
            t["inputs.imgs"],
            t["inputs.input_ids"][1:2, :length],
            t["inputs.attention_mask"][1:2, :length],
        )
    assert_matches_caption(out, 1)


def test_cached_captions_concatenate_to_the_same_batch(batch) -> None:
    net = fixture_model()
    vis, _, out = batch
    t = fixture_tensors()
    ids, mask = t["inputs.input_ids"], t["inputs.attention_mask"]
    with torch.inference_mode():
        parts = []
        for i in (2, 0):  # different order and lengths, encoded one by one
            length = int(mask[i].sum())
            parts.append(net.encode_text(ids[i : i + 1, :length], mask[i : i + 1, :length]))
        joined = TextFeatures.cat(parts)
        again = net.decode(vis, joined, with_aux=False)
    assert joined.words.shape[1] == int(mask.sum(1).max())
    assert again["aux_outputs"] == []
    for row, i in enumerate((2, 0)):
        for name in HEADS:
            torch.testing.assert_close(
                again[name][row], out[name][i], rtol=1e-4, atol=2e-3 if "masks" in name else 1e-4
            )


def test_chunked_decode_equals_unchunked(batch) -> None:
    """A tiny memory budget forces encoder chunks and one caption per pixel-decoder pass."""
    net = fixture_model()
    vis, txt, out = batch
    saved = net.chunk_elements
    net.chunk_elements = 1 << 16
    try:
        with torch.inference_mode():
            chunked = net.decode(vis, txt)
    finally:
        net.chunk_elements = saved
    for name in HEADS:
        atol = 2e-3 if name == "pred_masks" else 1e-4  # the fixture tolerances
        torch.testing.assert_close(chunked[name], out[name], rtol=1e-4, atol=atol)


def test_visual_features_are_caption_free_and_reusable(batch) -> None:
    net = fixture_model()
    vis, txt, out = batch
    with torch.inference_mode():
        single = net.decode(vis, txt[1])  # same visual encoding, one caption
    for name in HEADS:
        torch.testing.assert_close(
            single[name][0], out[name][1], rtol=1e-4, atol=2e-3 if "masks" in name else 1e-4
        )
    h, w = fixture_tensors()["inputs.imgs"].shape[-2:]
    assert vis.size == (h, w)
    assert out["pred_masks"].shape[-2:] == (-(-h // 4), -(-w // 4))


def test_explicit_pixel_mask_path(batch) -> None:
    """An all-valid pixel mask reproduces the unmasked run; a padded one runs per level."""
    net = fixture_model()
    _, txt, out = batch
    imgs = fixture_tensors()["inputs.imgs"]
    t, _, h, w = imgs.shape
    with torch.inference_mode():
        vis = net.encode_visual(imgs, pixel_mask=torch.zeros(t, h, w, dtype=torch.bool))
        same = net.decode(vis, txt[:1], with_aux=False)
        pad = torch.zeros(t, h, w, dtype=torch.bool)
        pad[:, :, w - 32 :] = True
        padded = net.decode(net.encode_visual(imgs, pixel_mask=pad), txt[:1], with_aux=False)
    for name in HEADS:
        atol = 2e-3 if name == "pred_masks" else 1e-4
        torch.testing.assert_close(same[name], out[name][:1], rtol=1e-4, atol=atol)
    assert vis.padding_mask is not None and not bool(vis.padding_mask.any())
    assert padded["pred_masks"].shape == same["pred_masks"].shape
    assert bool(torch.isfinite(padded["pred_masks"]).all())
    assert float((padded["pred_logits"] - same["pred_logits"]).abs().max()) > 1e-4
