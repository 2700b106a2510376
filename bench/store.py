"""Label store speed and size on a long 1080p clip, beside plain zarr and raw uint16, in one run.

Builds a store for a ``--frames`` (default 10 000) frame 1920x1080 clip whose every frame holds
model masks of 8 moving objects (the worst case: no frame is empty), then measures:

* saving one corrected frame (a brush stroke: ``set_masks`` + ``save``, recorded for undo),
  beside a plain ``zarr`` chunk write of the same frame (no journal, no database, no history);
* opening the store read-only and for writing (the writer also runs SQLite's quick check and
  crash recovery);
* reading one frame's masks, beside a plain ``zarr`` read;
* bytes on disk against the raw uint16 masks (``frames x H x W x 2``).

Targets: one-frame save < 50 ms, open < 200 ms.

Usage: python bench/store.py [--frames 10000] [--repeats 30] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import ZstdCodec

from actionvos.store import FrameState, Store

OUT = Path(__file__).resolve().parent / "out"
H, W = 1080, 1920


def object_patches(n: int = 8) -> list[tuple[np.ndarray, int]]:
    """Ellipse masks of assorted sizes: hands, a board, a knife, small items."""
    sizes = [(260, 200), (240, 220), (300, 520), (60, 340), (120, 120), (90, 160), (150, 90),
             (200, 260)]  # fmt: skip
    out = []
    for k, (h, w) in enumerate(sizes[:n]):
        yy, xx = np.mgrid[:h, :w]
        ellipse = ((yy - h / 2) / (h / 2)) ** 2 + ((xx - w / 2) / (w / 2)) ** 2 < 1
        out.append((ellipse, k + 1))
    return out


def frame_labels(t: int, patches: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Objects drift on their own paths, so every frame's chunk is different."""
    lab = np.zeros((H, W), np.uint16)
    for mask, k in patches:
        h, w = mask.shape
        y = int((H - h) * (0.5 + 0.45 * np.sin(0.013 * t + k)))
        x = int((W - w) * (0.5 + 0.45 * np.cos(0.009 * t + 2 * k)))
        lab[y : y + h, x : x + w][mask] = k
    return lab


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {statistics.median(values) * 1e3:7.2f} ms  p95 {p95 * 1e3:7.2f} ms"


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(path: Path, n_frames: int) -> float:
    patches = object_patches()
    t0 = time.perf_counter()
    with Store.create(path, n_frames=n_frames, height=H, width=W, video="bench") as store:
        for _, k in patches:
            store.add_object(f"object {k}")
        model = store.record_model("bench-model")
        for t in range(n_frames):
            store.set_masks(t, frame_labels(t, patches), FrameState.MODEL, model_id=model)
            if (t + 1) % 250 == 0:
                store.save()
                rate = (t + 1) / (time.perf_counter() - t0)
                print(f"\r  populating: {t + 1}/{n_frames} frames ({rate:.0f}/s)", end="",
                      file=sys.stderr, flush=True)  # fmt: skip
    print(file=sys.stderr)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the store for another run")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / f"store_{args.frames}.actionvos"
    rng = np.random.default_rng(0)
    patches = object_patches()

    if path.exists() and args.keep:
        print(f"reusing {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)
        seconds = build(path, args.frames)
        print(f"built {args.frames} labelled 1080p frames in {seconds:.0f} s "
              f"({seconds / args.frames * 1e3:.1f} ms/frame, batched saves of 250)")  # fmt: skip

    # Plain zarr baseline: same shape, chunks and codec, written straight with zarr.
    plain_path = OUT / "plain_baseline.zarr"
    shutil.rmtree(plain_path, ignore_errors=True)
    plain = zarr.create_array(store=str(plain_path), shape=(args.frames, H, W), chunks=(1, H, W),
                              dtype="uint16", compressors=[ZstdCodec(level=3, checksum=True)],
                              fill_value=0)  # fmt: skip
    frames = rng.choice(args.frames, size=args.repeats, replace=False).tolist()
    for t in frames:
        plain[t] = frame_labels(t, patches)

    # 1. Save one corrected frame.
    store = Store.open(path)
    set_t, save_t, total_t, plain_t = [], [], [], []
    for t in frames:
        lab = store.read_frame(t)
        y, x = int(rng.integers(0, H - 80)), int(rng.integers(0, W - 200))
        lab[y : y + 40, x : x + 160] = 1 + int(rng.integers(0, 8))  # a brush stroke
        t0 = time.perf_counter()
        store.set_masks(t, lab)
        t1 = time.perf_counter()
        store.save()
        t2 = time.perf_counter()
        plain[t] = lab
        t3 = time.perf_counter()
        set_t.append(t1 - t0)
        save_t.append(t2 - t1)
        total_t.append(t2 - t0)
        plain_t.append(t3 - t2)
    store.close()

    # 2. Open.
    open_ro, open_rw = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        s = Store.open(path, read_only=True)
        open_ro.append(time.perf_counter() - t0)
        s.close()
        t0 = time.perf_counter()
        s = Store.open(path)
        open_rw.append(time.perf_counter() - t0)
        s.close()

    # 3. Read one frame's masks.
    read_t, plain_read_t = [], []
    with Store.open(path, read_only=True) as reader:
        for t in rng.choice(args.frames, size=args.repeats, replace=False).tolist():
            t0 = time.perf_counter()
            reader.read_frame(t)
            read_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _ = plain[t]
            plain_read_t.append(time.perf_counter() - t0)

    # 4. Bytes on disk.
    raw = args.frames * H * W * 2
    total = disk_bytes(path)
    db = sum(p.stat().st_size for p in path.glob("labels.sqlite*"))
    masks = disk_bytes(path / "masks.zarr")
    shutil.rmtree(plain_path, ignore_errors=True)

    med = statistics.median
    print(f"\nstore: {args.frames} frames of {W}x{H}, every frame labelled ({path})")
    print(f"save one corrected frame  {ms(total_t)}   (target < 50 ms)")
    print(f"  set_masks (diff, encode, stage, history)  {ms(set_t)}")
    print(f"  save (fsync + commit + rename)            {ms(save_t)}")
    print(f"  plain zarr chunk write                    {ms(plain_t)}")
    print(f"  ratio store save / plain zarr write       {med(total_t) / med(plain_t):.2f}x")
    print(f"open read-only            {ms(open_ro)}   (target < 200 ms)")
    print(f"open for writing          {ms(open_rw)}   (quick check + recovery + lock)")
    print(f"read one frame            {ms(read_t)}")
    print(f"  plain zarr read                           {ms(plain_read_t)}")
    print(f"  ratio store read / plain zarr read        {med(read_t) / med(plain_read_t):.2f}x")
    print(f"bytes on disk             {total / 1e6:9.1f} MB  (masks {masks / 1e6:.1f} MB, "
          f"database {db / 1e6:.2f} MB)")  # fmt: skip
    print(f"raw uint16 masks          {raw / 1e9:9.2f} GB")
    print(f"  ratio raw / store                         {raw / total:.0f}x smaller on disk")
    print(
        f"  per labelled frame: {total / args.frames / 1e3:.1f} kB vs raw {H * W * 2 / 1e6:.2f} MB"
    )
    if not args.keep:
        shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
