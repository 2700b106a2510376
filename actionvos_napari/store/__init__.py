"""The label store part of the widget: save, its history of corrections, undo / redo."""
