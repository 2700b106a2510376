"""Synthetic egocentric kitchen clips with exact ground truth (see ``synthetic.py``)."""

from actionvos.sample.synthetic import SyntheticClip, frame_name, make_kitchen_clip
from actionvos.sample.writer import write_sample

__all__ = ["SyntheticClip", "demo_kitchen", "frame_name", "make_kitchen_clip", "write_sample"]


def demo_kitchen() -> SyntheticClip:
    """The default demo clip (seed 0, 48 frames at 360x640), e.g. for napari's sample data.

    It cuts a pepper while a second pepper lies on the table: under the official rule both
    peppers are active (the narration names the class) though only one is ``involved``.
    """
    return make_kitchen_clip(seed=0, n_frames=48, size=(360, 640), action="cut")
