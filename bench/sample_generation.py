"""Speed of the synthetic kitchen clip generator, beside the cost of encoding its frames.

Targets: 24 frames at 240x320 in < 0.5 s (tests and benchmarks make many clips); the napari
demo clip (48 frames at 360x640) in < 2 s (a UI click). Each figure is printed with its ratio
to the target and to encoding the same frames with x264 (the generator should not cost much
more than writing its own video).

Usage: python bench/sample_generation.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from actionvos.io.video_writer import write_video
from actionvos.sample import demo_kitchen, make_kitchen_clip


def timed(fn, *args, **kwargs):
    """Wall time and the result; CPU time goes to ``CPU`` (a busy machine inflates wall)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0, out


CPU: list[float] = []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    make_kitchen_clip(seed=0, n_frames=2, size=(120, 160))  # imports and caches warm
    small, small_cpu = [], []
    clips = []
    for seed in range(args.seeds):
        dt, clip = timed(make_kitchen_clip, seed=seed, n_frames=24, size=(240, 320))
        small.append(dt)
        small_cpu.append(CPU[-1])
        clips.append(clip)
    with tempfile.TemporaryDirectory() as tmp:
        enc = [
            timed(write_video, Path(tmp) / f"{k}.mp4", c.frames, c.fps)[0]
            for k, c in enumerate(clips[:3])
        ]
        demo_dt, demo = timed(demo_kitchen)
        demo_cpu = CPU[-1]
        demo_enc, _ = timed(write_video, Path(tmp) / "demo.mp4", demo.frames, demo.fps)
    med, worst = statistics.median(small), max(small)
    enc_med = statistics.median(enc)
    print(f"240x320x24 over {args.seeds} seeds: median {med:.3f} s, max {worst:.3f} s")
    print(f"  CPU time: median {statistics.median(small_cpu):.3f} s, max {max(small_cpu):.3f} s")
    print(f"  ratio to the 0.5 s target: median {med / 0.5:.2f}, max {worst / 0.5:.2f}")
    print(f"  ratio to x264 encoding of the same frames ({enc_med:.3f} s): {med / enc_med:.2f}")
    print(f"demo 360x640x48 ({demo.narration!r}): {demo_dt:.3f} s (CPU {demo_cpu:.3f} s)")
    print(f"  ratio to the 2 s target: {demo_dt / 2.0:.2f}")
    print(
        f"  ratio to x264 encoding of the same frames ({demo_enc:.3f} s): {demo_dt / demo_enc:.2f}"
    )


if __name__ == "__main__":
    main()
