"""Take the README's screenshots of each step of the annotation loop from a real napari window.

Run under a virtual display on a CPU machine (about five minutes):

    xvfb-run -a -s "-screen 0 1600x1200x24" .venv/bin/python docs/screenshots.py docs/loop

It drives the widget as a person would, through its buttons and a real paint stroke, on a
synthetic kitchen clip: open, run the shipped Lite, review and correct, save, reopen the
store, fine-tune, re-run with the new version. Every picture is the whole window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

STEPS = ("1-open", "2-run", "3-correct", "4-reopen", "5-finetune", "6-rerun")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path, help="folder for the PNG files")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--steps", type=int, default=30, help="fine-tuning steps")
    args = p.parse_args(argv)

    import napari
    import numpy as np
    from napari._qt.dialogs.qt_notification import NapariQtNotification
    from napari.utils.notifications import notification_manager
    from qtpy.QtCore import QEventLoop, QThreadPool
    from qtpy.QtWidgets import QApplication, QScrollArea

    from actionvos.sample import make_kitchen_clip, write_sample
    from actionvos_napari.app.window import fit_window

    def settle() -> None:
        for _ in range(10):
            QApplication.processEvents()

    def wait(signal) -> None:  # noqa: ANN001 (a Qt signal)
        loop = QEventLoop()
        signal.connect(loop.quit)
        loop.exec_()
        signal.disconnect(loop.quit)

    def shot(viewer, widget, name: str, show, bottom: bool = False) -> None:  # noqa: ANN001
        scroll = widget.findChild(QScrollArea)
        settle()
        scroll.ensureWidgetVisible(show, 0, 0)
        if bottom:  # the last section: show it whole
            scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
        notification_manager.records.clear()
        for toast in viewer.window._qt_window.findChildren(NapariQtNotification):
            toast.close()
        settle()
        viewer.screenshot(str(args.out / f"{name}.png"), canvas_only=False)
        print(f"{name}: {widget.status.text()}")

    def open_window(path: str):  # noqa: ANN202
        viewer = napari.Viewer(title="ActionVOS segment")
        viewer.open(path, plugin="actionvos-napari")
        dock, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
        fit_window(viewer, dock=dock)
        settle()
        return viewer, widget

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="actionvos-shots-") as tmp:
        root = Path(tmp)
        os.environ["ACTIONVOS_CHECKPOINTS"] = str(root / "checkpoints")
        clip = make_kitchen_clip(args.seed, n_frames=args.frames, size=(360, 640))
        frames = write_sample(clip, root / "kitchen", video=False, masks=False)["frames"]
        viewer, widget = open_window(str(frames))
        box = widget.action_box
        box.narration.value = clip.narration
        box.objects.value = ", ".join(clip.object_names)
        box.device.value = "cpu"
        middle = args.frames // 2
        viewer.dims.set_current_step(0, middle)
        shot(viewer, widget, STEPS[0], box)

        widget.run()
        wait(widget.run_done)
        shot(viewer, widget, STEPS[1], widget.table)

        widget.next_to_review()
        rows = widget.rows
        flip = rows.active.index(False) if False in rows.active else 0
        widget.table.check(flip, True)
        active = viewer.layers[f"{frames.name} active"]
        label = rows.active.index(True) + 1
        viewer.dims.set_current_step(0, middle)
        active.n_edit_dimensions = 3
        active.brush_size = 5
        where = np.argwhere(np.asarray(active.data[middle]) == label)
        # a stroke on the right edge of the mask, reaching past it (a stroke inside a mask
        # that already covers it changes no pixel, so no frame would count as corrected)
        y, x = (int(where[:, 0].mean()), int(where[:, 1].max())) if len(where) else (180, 320)
        active.paint((middle, int(y), int(x)), label)
        viewer.layers.selection.active = active
        shot(viewer, widget, STEPS[2], widget.table)

        widget.save()
        wait(widget.save_done)
        store = widget.session.store_path
        QThreadPool.globalInstance().waitForDone(30_000)
        viewer.close()

        viewer, widget = open_window(store)
        viewer.dims.set_current_step(0, middle)
        shot(viewer, widget, STEPS[3], widget.table)

        widget.action_box.objects.value = ", ".join(clip.object_names)
        widget.action_box.device.value = "cpu"
        widget.finetune_box.steps.value = args.steps
        widget.finetune_box.device.value = "cpu"
        widget.finetune()
        wait(widget.finetune_done)
        shot(viewer, widget, STEPS[4], widget.finetune_box.table, bottom=True)

        widget.rerun()
        wait(widget.run_done)
        shot(viewer, widget, STEPS[5], widget.table)
        QThreadPool.globalInstance().waitForDone(30_000)  # the strip's and history's workers
        viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
