"""Carrying a corrected mask to neighbouring frames, and where masks may have drifted.

* :mod:`.flow` - optical flow between neighbouring frames, cached per clip;
* :mod:`.warp` - warping a mask along a flow, forward-backward consistency;
* :mod:`.propagate` - one object's mask from a corrected frame forward and backward;
* :mod:`.confidence` - per-object, per-frame confidence and the least confident frame;
* :mod:`.store_writer` - a propagation written into a label store as one undoable step.
"""
