"""napari plugin for ActionVOS: the UI over the Qt-free core in :mod:`actionvos`.

Qt and napari are imported here only; the core never imports this package.
"""

from actionvos import __version__

__all__ = ["__version__"]
