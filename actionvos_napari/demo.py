"""``actionvos-demo``: open napari with the plugin on the synthetic kitchen clip and run the
shipped ActionVOS-Lite on it at once.

This is the README's first command. It needs no checkpoint and no network: the model is the
Lite weights shipped in the package, its encoders come from their pip packages. The run goes
through the widget's own Run (a worker thread with progress), so the window stays live.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="actionvos-demo", description=__doc__)
    parser.add_argument(
        "--screenshot", metavar="PNG", help="save a screenshot of the window to PNG and quit"
    )
    parser.add_argument(
        "--no-run", action="store_true", help="open without running the model (pseudo-labels)"
    )
    parser.add_argument("--frame", type=int, default=30, help="frame shown in a screenshot")
    args = parser.parse_args(argv)

    import napari
    from qtpy.QtWidgets import QApplication

    from actionvos_napari.app.window import fit_window

    viewer = napari.Viewer(title="ActionVOS demo")
    viewer.open_sample("actionvos-napari", "kitchen")
    dock, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    fit_window(viewer, dock=dock)
    if not args.no_run:
        # The sample's pseudo-label layers are replaced by the model's own masks.
        for layer in [lyr for lyr in viewer.layers if lyr.name.endswith(("active", "inactive"))]:
            viewer.layers.remove(layer)
        widget.session.discard()
        worker = widget.run()
        if worker is None:  # the widget already said why (a notification)
            return 1
    if args.screenshot:
        if not args.no_run:
            from qtpy.QtCore import QEventLoop

            loop = QEventLoop()
            widget.run_done.connect(loop.quit)
            loop.exec_()
        viewer.dims.set_current_step(0, args.frame)
        from napari._qt.dialogs.qt_notification import NapariQtNotification
        from napari.utils.notifications import notification_manager

        notification_manager.records.clear()  # no toasts over the picture
        for toast in viewer.window._qt_window.findChildren(NapariQtNotification):
            toast.close()
        for _ in range(5):
            QApplication.processEvents()
        viewer.screenshot(args.screenshot, canvas_only=False)
        from qtpy.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(30_000)  # background workers end first
        viewer.close()
        return 0
    napari.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
