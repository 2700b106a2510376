"""How long the napari UI thread is blocked while the widget runs ActionVOS-Lite and fine-tunes.

A QTimer on the UI thread ticks every 10 ms; the longest gap between two ticks, less the
interval, is the longest time the UI could not answer a click or repaint. The jobs go through
the widget's own buttons (its workers, its progress signal, its layer updates), on a synthetic
kitchen clip reopened from a label store, as an annotator would work:

    xvfb-run -a python bench/ui_latency.py                  # 24 frames at 360p, 20 steps
    xvfb-run -a python bench/ui_latency.py --frames 8 --steps 2 --size 180x320   # quick

Also reported: reopening the store (the reader runs on the UI thread, as napari's readers do)
and the time the UI thread spends putting a run's masks into the layers.
Target (issue 10): no block above 100 ms during the run and the fine-tune.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 100.0
TICK_MS = 10


class Heartbeat:
    """Ticks on the UI thread; ``gaps_ms`` are the delays between ticks beyond the interval."""

    def __init__(self) -> None:
        from qtpy.QtCore import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def __enter__(self) -> Heartbeat:
        self.ticks.clear()
        self.ticks.append(time.perf_counter())
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()
        self.ticks.append(time.perf_counter())

    @property
    def gaps_ms(self) -> list[float]:
        t = self.ticks
        return [max(0.0, 1000 * (b - a) - TICK_MS) for a, b in zip(t, t[1:], strict=False)]


def wait_for(signal) -> None:  # noqa: ANN001 (a Qt signal)
    from qtpy.QtCore import QEventLoop

    loop = QEventLoop()
    signal.connect(loop.quit)
    loop.exec_()
    signal.disconnect(loop.quit)


def row(name: str, wall_s: float, gaps: list[float]) -> dict:
    import numpy as np

    g = np.asarray(gaps or [0.0])
    return {
        "job": name,
        "wall_s": round(wall_s, 1),
        "ticks": int(g.size),
        "max_block_ms": round(float(g.max()), 1),
        "p99_block_ms": round(float(np.percentile(g, 99)), 1),
        "blocks_over_100ms": int((g > TARGET_MS).sum()),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--size", default="360x640", help="HEIGHTxWIDTH")
    p.add_argument("--steps", type=int, default=20, help="fine-tuning steps")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    args = p.parse_args()
    h, w = (int(v) for v in args.size.lower().split("x"))

    import napari
    import torch
    from qtpy.QtWidgets import QApplication

    from actionvos.sample import make_kitchen_clip, write_sample
    from actionvos.sample.label_store import write_clip_store

    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        root = Path(tmp)
        os.environ["ACTIONVOS_CHECKPOINTS"] = str(root / "checkpoints")
        clip = make_kitchen_clip(args.seed, n_frames=args.frames, size=(h, w))
        frames = write_sample(clip, root / "clip", video=False, masks=False)["frames"]
        store = write_clip_store(clip, root / "clip.actionvos", clip_path=frames, video="clip")

        viewer = napari.Viewer(title="ui latency")
        with Heartbeat() as beat:
            t0 = time.perf_counter()
            viewer.open(str(store), plugin="actionvos-napari")
            wall = time.perf_counter() - t0
            QApplication.processEvents()
        rows.append(row("reopen store (reader)", wall, beat.gaps_ms))
        _, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
        box = widget.action_box
        box.narration.value = clip.narration
        box.objects.value = ", ".join(clip.object_names)
        box.device.value = "cpu"
        for _ in range(10):
            QApplication.processEvents()

        for name, start, done in (
            ("Lite run (cold: loads the model)", widget.run, widget.run_done),
            ("Lite run (warm)", widget.run, widget.run_done),
        ):
            with Heartbeat() as beat:
                t0 = time.perf_counter()
                if start() is None:
                    print(f"{name}: did not start: {widget.status.text()}", file=sys.stderr)
                    return 1
                wait_for(done)
                wall = time.perf_counter() - t0
            rows.append(row(name, wall, beat.gaps_ms))
        widget.finetune_box.steps.value = args.steps
        widget.finetune_box.device.value = "cpu"
        with Heartbeat() as beat:
            t0 = time.perf_counter()
            if widget.finetune() is None:
                print(f"fine-tune did not start: {widget.status.text()}", file=sys.stderr)
                return 1
            wait_for(widget.finetune_done)
            wall = time.perf_counter() - t0
        rows.append(row(f"fine-tune ({args.steps} steps)", wall, beat.gaps_ms))
        status = widget.status.text()
        viewer.close()

    print(
        f"{args.frames} frames at {h}x{w}, {len(clip.object_names)} objects, "
        f"{args.threads} torch threads; heartbeat every {TICK_MS} ms on the UI thread"
    )
    print(f"last status: {status}")
    head = f"{'job':<36}{'wall s':>8}{'ticks':>7}{'max ms':>9}{'p99 ms':>9}{'>100ms':>8}"
    print(head)
    for r in rows:
        print(
            f"{r['job']:<36}{r['wall_s']:>8.1f}{r['ticks']:>7}{r['max_block_ms']:>9.1f}"
            f"{r['p99_block_ms']:>9.1f}{r['blocks_over_100ms']:>8}"
        )
    worker_rows = [r for r in rows if r["job"].startswith(("Lite", "fine-tune"))]
    worst = max(r["max_block_ms"] for r in worker_rows)
    verdict = "PASS" if worst <= TARGET_MS else "FAIL"
    print(f"{verdict}: longest UI block during the run and the fine-tune {worst:.0f} ms "
          f"(target <= {TARGET_MS:.0f} ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
