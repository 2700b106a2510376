"""Propagating a corrected mask to neighbouring frames, from the widget."""
