"""Clip reading speed and memory: actionvos.io.VideoClip beside plain imageio, in one run.

Writes a long 1080p test video once (a cheap pattern: gradient, a scrolling texture, a noise
patch that defeats motion compensation, a moving square; x264 ultrafast, keyframe every
second) under ``bench/out/``, then measures each reader in its own fresh process, so peak RSS
and start-up costs are the reader's own:

* open + first frame (import time reported apart),
* 50 random frame reads (same frames for both readers): median and p95 latency,
* sequential reading speed over 300 frames,
* peak RSS of the process.

The imageio baseline is the plain approach: read the video sequentially (``imiter``) and
take the wanted frames as they come; a random read then costs decoding everything before it.
imageio's own indexed ``read(index=k)`` (it seeks too) is shown as a second reference.

Targets (2-core machine): first frame < 1 s, random read p95 < 150 ms, RSS < 1 GB.

Usage: python bench/clip_io.py [--minutes 10] [--seeks 50] [--skip-sequential-baseline]
       [--hour-check]  (also opens a one-hour 1080p file made by remuxing, no encoding)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
WIDTH, HEIGHT, FPS = 1920, 1080, 30


def yuv_frames(n: int):
    """Cheap yuv420p frames ((H*3/2, W) planes) that still cost the decoder real work."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    gradient = ((x + y) * 160 // (WIDTH + HEIGHT) + 40).astype(np.uint8)
    period = 240
    xs = np.arange(WIDTH + period)
    texture = (40 * np.sin(2 * np.pi * xs / period)).astype(np.int16)
    rng = np.random.default_rng(0)
    u = np.full((HEIGHT // 4, WIDTH), 110, np.uint8)
    for t in range(n):
        off = (4 * t) % period
        luma = gradient.astype(np.int16)
        luma[:540] += texture[off : off + WIDTH]
        luma = np.clip(luma, 16, 235).astype(np.uint8)
        luma[600:840, 100:420] = rng.integers(16, 236, (240, 320), dtype=np.uint8)
        sx = (8 * t) % (WIDTH - 200)
        luma[700:900, sx : sx + 200] = 235
        v = np.full((HEIGHT // 4, WIDTH), 100 + (t // FPS) % 60, np.uint8)
        yield np.concatenate([luma, u, v])


def make_video(minutes: float) -> Path:
    """The test video, written once and reused while its frame count is right."""
    from actionvos.io import write_video

    n = int(minutes * 60 * FPS)
    path = OUT / f"clip_io_1080p_{minutes:g}min.mp4"
    if path.exists():
        import av

        with av.open(str(path)) as c:
            if c.streams.video[0].frames == n:
                return path
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int, _msg: str) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  encoding {done}/{total} frames", file=sys.stderr, flush=True)

    write_video(
        path,
        yuv_frames(n),
        fps=FPS,
        crf=28,
        gop=FPS,
        preset="ultrafast",
        input_format="yuv420p",
        total=n,
        progress=progress,
    )
    print(f"wrote {path} ({n} frames) in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return path


def make_hour_video(ten_minutes: Path, copies: int = 6) -> Path:
    """An hour of 1080p without encoding: the 10-minute file's packets, remuxed six times."""
    import av

    path = OUT / "clip_io_1080p_60min.mp4"
    with av.open(str(path), "w") as out:
        ost = None
        for rep in range(copies):
            with av.open(str(ten_minutes)) as inp:
                ist = inp.streams.video[0]
                if ost is None:
                    ost = out.add_stream_from_template(ist)
                span = ist.frames * round(1 / (FPS * ist.time_base))
                for packet in inp.demux(ist):
                    if packet.dts is None:
                        continue
                    packet.pts += rep * span
                    packet.dts += rep * span
                    packet.stream = ost
                    out.mux(packet)
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- measurements, each run in a fresh process ---------------------------------------------
def measure_clip(path: str, targets: list[int]) -> dict:
    t0 = time.perf_counter()
    from actionvos.io import open_clip

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    clip = open_clip(path)
    t_open = time.perf_counter() - t0
    clip[0]
    t_first = time.perf_counter() - t0
    clip.wait_for_index()
    t_index = time.perf_counter() - t0
    lat = []
    for k in targets:
        t = time.perf_counter()
        clip[k]
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    for k in range(1000, 1300):
        clip[k]
    seq_fps = 300 / (time.perf_counter() - t)
    return {
        "import_s": t_import,
        "open_s": t_open,
        "first_frame_s": t_first,
        "index_ready_s": t_index,
        "n_frames": clip.n_frames,
        "seek_ms": [x * 1000 for x in lat],
        "sequential_fps": seq_fps,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_imageio_sequential(path: str, targets: list[int]) -> dict:
    """Plain sequential read: the latency of frame k is the time to decode up to it."""
    t0 = time.perf_counter()
    import imageio.v3 as iio

    t_import = time.perf_counter() - t0
    wanted = set(targets)
    reached: dict[int, float] = {}
    t0 = time.perf_counter()
    t_first = None
    last = max(targets)
    for k, _frame in enumerate(iio.imiter(path, plugin="pyav")):
        now = time.perf_counter() - t0
        if t_first is None:
            t_first = now
        if k in wanted:
            reached[k] = now
        if k == 1299:
            seq_fps = 1300 / now
        if k >= last:
            break
    return {
        "import_s": t_import,
        "first_frame_s": t_first,
        "seek_ms": [reached[k] * 1000 for k in targets],
        "sequential_fps": seq_fps,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_imageio_indexed(path: str, targets: list[int]) -> dict:
    """imageio's own random access: ``read(index=k)`` on one open file."""
    t0 = time.perf_counter()
    import imageio.v3 as iio

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    f = iio.imopen(path, "r", plugin="pyav")
    f.read(index=0)
    t_first = time.perf_counter() - t0
    lat = []
    for k in targets:
        t = time.perf_counter()
        f.read(index=k)
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    for k in range(1000, 1300):
        f.read(index=k)
    seq_fps = 300 / (time.perf_counter() - t)
    f.close()
    return {
        "import_s": t_import,
        "first_frame_s": t_first,
        "seek_ms": [x * 1000 for x in lat],
        "sequential_fps": seq_fps,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_clip_hour(path: str, targets: list[int]) -> dict:
    """Open an hour of video and read at once, while the index is still being built."""
    from actionvos.io import open_clip

    t0 = time.perf_counter()
    clip = open_clip(path)
    clip[0]
    t_first = time.perf_counter() - t0
    lat, during = [], 0
    for k in targets:
        t = time.perf_counter()
        during += not clip.index_ready.is_set()
        clip[k]
        lat.append(time.perf_counter() - t)
    clip.wait_for_index()
    return {
        "first_frame_s": t_first,
        "index_ready_s": time.perf_counter() - t0,
        "reads_before_index": during,
        "n_frames": clip.n_frames,
        "seek_ms": [x * 1000 for x in lat],
        "peak_rss_mb": peak_rss_mb(),
    }


MODES = {
    "clip_hour": measure_clip_hour,
    "clip": measure_clip,
    "imageio_sequential": measure_imageio_sequential,
    "imageio_indexed": measure_imageio_indexed,
}


def run_mode(mode: str, path: Path, targets: list[int]) -> dict:
    cmd = [sys.executable, __file__, "--measure", mode, str(path), json.dumps(targets)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- report --------------------------------------------------------------------------------
def summarise(r: dict) -> dict:
    ms = np.asarray(r["seek_ms"])
    return {
        "first frame (s)": r["first_frame_s"],
        "seek median (ms)": float(np.median(ms)),
        "seek p95 (ms)": float(np.percentile(ms, 95)),
        "sequential (fps)": r["sequential_fps"],
        "peak RSS (MB)": r["peak_rss_mb"],
    }


def report(results: dict[str, dict]) -> None:
    ours = summarise(results["clip"])
    others = {k: summarise(v) for k, v in results.items() if k != "clip"}
    head = f"{'':20s}{'VideoClip':>12s}"
    for k in others:
        head += f"{k:>22s}{'ratio':>8s}"
    print(head)
    for metric, value in ours.items():
        line = f"{metric:20s}{value:12.3f}"
        for o in others.values():
            # ratio = baseline / ours for costs; ours / baseline for speed: > 1 means we win
            ratio = value / o[metric] if metric == "sequential (fps)" else o[metric] / value
            line += f"{o[metric]:22.3f}{ratio:8.2f}"
        print(line)
    c = results["clip"]
    print(
        f"\nVideoClip: import {c['import_s']:.2f} s, open (header + frame 0) "
        f"{c['open_s']:.3f} s, keyframe index ready {c['index_ready_s']:.3f} s after open "
        f"({c['n_frames']} frames, packet scan in a background thread)"
    )
    checks = [
        ("first frame < 1 s", ours["first frame (s)"] < 1.0),
        ("random read p95 < 150 ms", ours["seek p95 (ms)"] < 150),
        ("peak RSS < 1 GB", ours["peak RSS (MB)"] < 1024),
    ]
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        mode, path, targets = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        print(json.dumps(MODES[mode](path, targets)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seeks", type=int, default=50)
    parser.add_argument(
        "--hour-check",
        action="store_true",
        help="also open a one-hour 1080p file (remuxed, ~5 GB in bench/out, removed after)",
    )
    parser.add_argument(
        "--skip-sequential-baseline",
        action="store_true",
        help="skip the plain imageio pass (it decodes the whole video: minutes)",
    )
    args = parser.parse_args()
    path = make_video(args.minutes)
    n = int(args.minutes * 60 * FPS)
    targets = np.random.default_rng(0).integers(0, n, args.seeks).tolist()
    modes = ["clip", "imageio_indexed"]
    if not args.skip_sequential_baseline:
        modes.append("imageio_sequential")
    results = {}
    for mode in modes:
        print(f"measuring {mode} ...", file=sys.stderr, flush=True)
        results[mode] = run_mode(mode, path, targets)
    print(f"\n{path.name}: {WIDTH}x{HEIGHT}, {FPS} fps, {n} frames, {args.seeks} random reads")
    print("ratio: baseline cost / VideoClip cost (for fps: VideoClip / baseline); > 1 = faster\n")
    report(results)
    if args.hour_check:
        hour_check(path, args.seeks)
    return 0


def hour_check(ten_minutes: Path, seeks: int) -> None:
    print("\nremuxing a one-hour file ...", file=sys.stderr, flush=True)
    hour = make_hour_video(ten_minutes)
    try:
        import av

        with av.open(str(hour)) as c:
            n = c.streams.video[0].frames
        targets = np.random.default_rng(1).integers(0, n, seeks).tolist()
        r = run_mode("clip_hour", hour, targets)
        ms = np.asarray(r["seek_ms"])
        size_gb = hour.stat().st_size / 1e9
        print(
            f"\none hour ({n} frames, {size_gb:.1f} GB): first frame {r['first_frame_s']:.3f} s, "
            f"index ready {r['index_ready_s']:.2f} s (background), {seeks} random reads "
            f"({r['reads_before_index']} before the index was ready): median "
            f"{np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    finally:
        hour.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
