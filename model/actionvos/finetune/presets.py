"""What a fine-tune trains: three presets for small amounts of corrected data.

A few corrected clips cannot retrain a whole network without forgetting what it knew, so the
presets open the network from the top down:

* ``heads`` — the positive classifier (``positive_cls_embed``, the part that decides *active*),
  the mask head (``controller``, the dynamic convolution that draws each object's mask, and
  ``pixel_decoder.mask_features``, the features it draws on), the box and class heads
  (``class_embed``, ``bbox_embed``) and the query ranker of models that have one
  (``query_ranker``, which picks the query whose mask is shown), which read the same query
  embeddings; 7% of the shipped Lite's trainable weights (68k of 950k; 9% with a ranker);
* ``decoder`` — the heads plus the transformer decoder and its queries, and the text-visual
  fusion, so the queries can learn new words and looks;
* ``full`` — everything the training recipe trains (the pixel decoder, the encoder, input
  projections; the backbone and text encoder follow the recipe's own rules: a packaged
  encoder never trains, an official backbone trains at its lower learning rate).

In ``heads`` and ``decoder`` the backbone and the text encoder are frozen. The default,
``auto`` (:data:`DEFAULT_PRESET`), picks by how much was corrected (:func:`resolve_preset`):
``decoder`` from :data:`DECODER_FROM_CLIPS` corrected clips, ``heads`` below. It was chosen
with ``bench/finetune.py``: 10 CPU minutes on four novel clips, scored on ten other novel
clips and ten of the original style, and shorter runs on one to three clips. On earlier Lite
weights: ``decoder`` novel gIoU +2.8, accuracy +12.0 (original style -2.5 / +0.6); ``full`` +1.8 /
+11.4 (-4.5 / -0.4); ``heads`` -0.9 / -4.0. On the shipped Lite, three 10-minute ``decoder``
runs with replay gave novel gIoU +5.8 to +8.1 and accuracy +1.3 to +5.9, original style gIoU
-1.6 to -2.5. On one clip (2 minutes) or two (4 minutes) ``decoder`` gained next to nothing
on the new style (gIoU +0.1, +1.5) and coarsened the masks the parent drew on the original one
(p-cIoU -7.5, -8.6; gIoU -2.0, -3.9), where ``heads`` kept them (gIoU -0.3, -0.2); on three
clips (6 minutes) ``decoder`` gained gIoU +8.7 and accuracy +8.8 (original style -3.8 / -0.1)
and ``heads`` nothing (-0.1 / -1.2; original style -1.6 / -2.1). Single runs, which vary by
about 3 points.
"""

from __future__ import annotations

from dataclasses import replace

from actionvos.errors import InputError
from actionvos.training import TrainSettings

HEADS = (
    "positive_cls_embed.",
    "class_embed.",
    "bbox_embed.",
    "transformer.decoder.bbox_embed.",  # the same modules, as named_parameters lists them
    "controller.",
    "pixel_decoder.mask_features.",
    "query_ranker.",
)
DECODER = HEADS + (
    "transformer.decoder.",
    "query_embed.",
    "fusion_module.",
    "resizer.",
)

#: Preset name -> parameter-name prefixes that train (empty: everything the recipe trains).
PRESETS: dict[str, tuple[str, ...]] = {"heads": HEADS, "decoder": DECODER, "full": ()}
#: Chooses ``heads`` or ``decoder`` by the number of corrected clips (:func:`resolve_preset`).
AUTO = "auto"
#: What a request may name: ``auto`` or one of :data:`PRESETS`.
PRESET_CHOICES = (AUTO, *PRESETS)
DEFAULT_PRESET = AUTO
#: ``auto`` trains the decoder from this many corrected clips (actions with labelled frames).
DECODER_FROM_CLIPS = 3


def check_preset(preset: str) -> str:
    if preset not in PRESET_CHOICES:
        raise InputError(f"unknown preset {preset!r}; choose one of {', '.join(PRESET_CHOICES)}")
    return preset


def resolve_preset(preset: str, corrected_clips: int) -> str:
    """The preset a run trains: ``preset`` itself, or for ``auto`` ``decoder`` when there
    are at least :data:`DECODER_FROM_CLIPS` corrected clips and ``heads`` below (see the module
    docstring)."""
    check_preset(preset)
    if preset != AUTO:
        return preset
    return "decoder" if corrected_clips >= DECODER_FROM_CLIPS else "heads"


def apply_preset(settings: TrainSettings, preset: str) -> TrainSettings:
    """``settings`` with only the preset's parameters trainable (backbone, text frozen but
    in ``full``); ``preset`` is one of :data:`PRESETS` (``auto`` is resolved first)."""
    if preset not in PRESETS:
        raise InputError(f"the preset to apply must be one of {', '.join(PRESETS)}, not {preset!r}")
    if preset == "full":
        return replace(settings, trainable=())
    return replace(
        settings, trainable=PRESETS[preset], train_backbone=False, train_text_encoder=False
    )
