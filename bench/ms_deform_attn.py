"""Side-by-side timing of the MSDeformAttn samplers: grid_sample per level vs embedding_bag.

Shapes are those of the deformable encoder at 360x640 (levels 45x80, 23x40, 12x20, 6x10;
S = 4820 tokens per frame) and of the decoder (5 queries per frame); 8 heads x 32 channels,
4 levels x 4 points. Each row times the whole ``MSDeformAttn`` forward (projections included)
with the sampler switched, and checks both give the same output. A third column times a
plain gather variant (index_select of all corner rows, then a weighted sum) for comparison.

    python bench/ms_deform_attn.py [--frames 2] [--repeat 5] [--device cpu|cuda] [--network]

``--network`` also times a whole ``ActionVOSNet.decode`` (R50, tiny random text encoder,
360x640, one caption) with every MSDeformAttn switched to each sampler.
"""

from __future__ import annotations

import argparse
import time

import torch

from actionvos.network import ms_deform_attn as msda

SHAPES = [(45, 80), (23, 40), (12, 20), (6, 10)]


def gather_sampler(value, shapes, px, py, attn):  # noqa: ANN001, ANN201
    """Materialise every corner row with index_select, then reduce (memory-hungry)."""
    b, _, m, d = value.shape
    lq = px.shape[1]
    table, starts = msda.padded_table(value, shapes)
    rows, weight = msda._bag_rows(shapes, starts, table.shape[0] // (b * m), px, py, attn)
    picked = table.index_select(0, rows.reshape(-1).long())
    out = (picked.view(*rows.shape, d) * weight[..., None]).sum(1)
    return out.view(b, lq, m * d)


def make_module(device: str) -> msda.MSDeformAttn:
    torch.manual_seed(0)
    mod = msda.MSDeformAttn(256, 4, 8, 4).to(device).eval()
    with torch.no_grad():  # offsets of a few pixels, as in trained models
        mod.sampling_offsets.weight.mul_(0.05)
        mod.sampling_offsets.bias.uniform_(-3, 3)
    return mod


def timed_interleaved(fns: dict, repeat: int, device: str) -> dict[str, float]:  # noqa: ANN001
    """Best wall time of each function, run alternately so background load hits all alike."""
    best = dict.fromkeys(fns, float("inf"))
    for fn in fns.values():
        fn()
    for _ in range(repeat):
        for name, fn in fns.items():
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if device == "cuda":
                torch.cuda.synchronize()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def run_case(
    mod: msda.MSDeformAttn, frames: int, lq: int, starts: list[int], repeat: int, dev: str
):  # noqa: ANN201
    s = sum(h * w for h, w in SHAPES)
    g = torch.Generator().manual_seed(1)
    query = torch.randn(frames, lq, 256, generator=g).to(dev)
    value = torch.randn(frames, s, 256, generator=g).to(dev)
    ref = torch.rand(frames, lq, 4, 2 if lq == s else 4, generator=g).to(dev)
    if lq != s:
        ref[..., 2:] *= 0.3  # boxes of a sensible size

    def run(sampler: str) -> torch.Tensor:
        mod.sampler = sampler
        return mod(query, ref, value, SHAPES, starts)

    def gather() -> torch.Tensor:
        original = msda.sample_bag
        msda.sample_bag = gather_sampler
        try:
            return run("bag")
        finally:
            msda.sample_bag = original

    diff = float((run("grid") - run("bag")).abs().max())
    fns = {"grid": lambda: run("grid"), "gather": gather, "bag": lambda: run("bag")}
    return timed_interleaved(fns, repeat, dev), diff


TINY_TEXT = {
    "vocab_size": 100,
    "hidden_size": 768,
    "num_hidden_layers": 1,
    "num_attention_heads": 12,
    "intermediate_size": 256,
    "max_position_embeddings": 40,
    "type_vocab_size": 1,
    "pad_token_id": 1,
}


def network_case(frames: int, repeat: int, dev: str) -> None:
    from actionvos.network import ActionVOSNet, ModelConfig

    torch.manual_seed(0)
    net = ActionVOSNet(ModelConfig(backbone="resnet50", text_config=TINY_TEXT)).to(dev).eval()
    clip = torch.randn(frames, 3, 360, 640, device=dev)
    ids = torch.tensor([[0, 11, 12, 13, 14, 2]], device=dev)
    attn_modules = [m for m in net.modules() if isinstance(m, msda.MSDeformAttn)]
    with torch.inference_mode():
        vis = net.encode_visual(clip)
        txt = net.encode_text(ids, torch.ones_like(ids))

        def decode(sampler: str) -> torch.Tensor:
            for m in attn_modules:
                m.sampler = sampler
            return net.decode(vis, txt, with_aux=False)["pred_masks"]

        diff = float((decode("grid") - decode("bag")).abs().max())
        t = timed_interleaved({k: (lambda k=k: decode(k)) for k in ("grid", "bag")}, repeat, dev)
    print(
        f"{'network decode':<16}{t['grid']:>9.4f}{'-':>10}{t['bag']:>9.4f}"
        f"{t['grid'] / t['bag']:>10.2f}{diff:>11.2e}  (pred_masks)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--network", action="store_true", help="also time a whole decode")
    args = ap.parse_args()
    dev = args.device
    starts = [0]
    for h, w in SHAPES[:-1]:
        starts.append(starts[-1] + h * w)
    s = sum(h * w for h, w in SHAPES)
    mod = make_module(dev)
    print(f"device={dev} threads={torch.get_num_threads()} frames={args.frames}")
    print(f"{'case':<16}{'grid s':>9}{'gather s':>10}{'bag s':>9}{'grid/bag':>10}{'max|diff|':>11}")
    with torch.inference_mode():
        for case, lq in (("encoder Lq=S", s), ("decoder Lq=5", 5)):
            t, diff = run_case(mod, args.frames, lq, starts, args.repeat, dev)
            print(
                f"{case:<16}{t['grid']:>9.4f}{t['gather']:>10.4f}{t['bag']:>9.4f}"
                f"{t['grid'] / t['bag']:>10.2f}{diff:>11.2e}"
            )
    if args.network:
        network_case(args.frames, max(2, args.repeat // 2), dev)


if __name__ == "__main__":
    main()
