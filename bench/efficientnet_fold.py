"""Side-by-side timing of the EfficientNet-Lite0 trunk: layer by layer vs batch norm folded.

Lite's engine runs the trunk once per frame of a window; at inference the trunk folds each
frozen batch norm into its convolution and runs channels-last (``network/efficientnet.py``).
This times both paths in one run, on the frames the engine feeds it at 360p (192 x 341 after
resizing), checks they give the same maps, and prints the ratio.

    python bench/efficientnet_fold.py [--frames 12] [--repeat 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from actionvos.network.efficientnet import EfficientNetTrunk, load_pretrained


def _time(fn, repeat: int) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--size", type=int, nargs=2, default=(192, 341), metavar=("H", "W"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    trunk = load_pretrained(EfficientNetTrunk()).eval().requires_grad_(False)
    x = torch.randn(args.frames, 3, *args.size)

    def folded() -> list[torch.Tensor]:
        with torch.no_grad():
            return trunk(x)

    def layered() -> list[torch.Tensor]:
        with torch.enable_grad():  # nothing requires grad: no graph, the training path
            return trunk(x)

    diff = max(float((a - b).abs().max()) for a, b in zip(folded(), layered(), strict=True))
    t_layered = _time(layered, args.repeat)
    t_folded = _time(folded, args.repeat)
    n = args.frames
    print(f"trunk, {n} frames of {args.size[0]}x{args.size[1]}, {args.threads} threads")
    print(f"  layer by layer : {t_layered * 1e3:8.1f} ms  ({n / t_layered:6.1f} frames/s)")
    print(f"  folded         : {t_folded * 1e3:8.1f} ms  ({n / t_folded:6.1f} frames/s)")
    print(f"  ratio          : {t_layered / t_folded:.2f}x faster; max |difference| {diff:.1e}")


if __name__ == "__main__":
    main()
