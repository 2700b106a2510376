"""Reviewing a run: stepping objects and frames, Next to review, the confidence strip."""
