"""Fine-tuning on corrections: label stores in, a scored and versioned model out, Qt-free.

* :mod:`.samples` — stores to training clips (human flags and masks first, labelled frames
  only) and held-out clips;
* :mod:`.presets` — what trains (``heads``, ``decoder``, ``full``; ``auto`` picks by data);
* :mod:`.evaluation` — the six figures before and after;
* :mod:`.versions` — version folders, the selected version, rollback;
* :mod:`.run` — one run: :func:`run_finetune` with a :class:`FinetuneRequest`.
"""

from .presets import DEFAULT_PRESET, PRESET_CHOICES, PRESETS
from .run import FinetuneProgress, FinetuneRequest, FinetuneResult, run_finetune
from .samples import SampleOptions
from .versions import list_versions, rollback, select, selected

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "PRESET_CHOICES",
    "FinetuneProgress",
    "FinetuneRequest",
    "FinetuneResult",
    "SampleOptions",
    "list_versions",
    "rollback",
    "run_finetune",
    "select",
    "selected",
]
