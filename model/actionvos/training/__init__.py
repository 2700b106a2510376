"""Training ActionVOS networks, Qt-free: upstream's recipe, progress callbacks, cancel, resume.

* :mod:`.settings` — the recipe as typed settings; :mod:`.param_groups` — what trains at which lr;
* :mod:`.frames`, :mod:`.augment`, :mod:`.data` — samples as upstream's loader builds them;
* :mod:`.trainer` — the loop; :mod:`.checkpoint` — the run folder (resumable);
* :mod:`.lite` — building and training ActionVOS-Lite (the shipped weights).
"""

from .data import SampleDrawer, TrainClip, TrainStep, synthetic_train_clip
from .settings import AugmentSettings, TrainSettings
from .trainer import Trainer, TrainProgress, TrainResult

__all__ = [
    "AugmentSettings",
    "SampleDrawer",
    "TrainClip",
    "TrainProgress",
    "TrainResult",
    "TrainSettings",
    "TrainStep",
    "Trainer",
    "synthetic_train_clip",
]
