"""``actionvos-demo``: open napari with the plugin on the synthetic kitchen clip.

This is the README's first command. It needs no checkpoint and no network.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="actionvos-demo", description=__doc__)
    parser.add_argument(
        "--screenshot", metavar="PNG", help="save a screenshot of the window to PNG and quit"
    )
    args = parser.parse_args(argv)

    import napari

    viewer = napari.Viewer(title="ActionVOS demo")
    viewer.open_sample("actionvos-napari", "kitchen")
    viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    if args.screenshot:
        from qtpy.QtWidgets import QApplication

        viewer.window._qt_window.resize(1500, 900)
        viewer.dims.set_current_step(0, 30)
        for _ in range(5):
            QApplication.processEvents()
        viewer.screenshot(args.screenshot, canvas_only=False)
        viewer.close()
        return 0
    napari.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
