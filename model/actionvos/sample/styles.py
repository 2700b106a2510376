"""Clip styles: the look and the vocabulary of a synthetic clip, ``default`` or ``novel``.

``novel`` is a domain a model trained on ``default`` clips has not seen, for fine-tuning
experiments: other table tops and colours, dim warm light, a tilted camera, and held-out
nouns. The noun rule of a ``novel`` clip: generation runs in the default vocabulary and every
noun that has a held-out counterpart of the same drawing kind is then replaced, consistently
within the clip (all apples of a clip become, say, peaches; see ``substitutes``); liquids and
stirred foods get held-out names too. So the target noun, and every object of a kind that has
a counterpart, is novel; the only default nouns a ``novel`` clip shows are
``vocabulary.SHARED_NOUNS`` (knife, fork, jar, lid, chopping board...). Actions whose target
could only be shared are re-planned (a knife to pick up) or not offered (``open``: jar/lid).
A ``default`` clip never uses a held-out noun.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from actionvos.sample.actions import TEMPLATES
from actionvos.sample.vocabulary import (
    LIQUIDS,
    NOUNS,
    NOVEL_LIQUIDS,
    NOVEL_NOUNS,
    NOVEL_STIRRABLE,
    RGB,
    STIRRABLE,
)

_DEFAULT_TABLES: dict[str, tuple[RGB, ...]] = {
    "wood": ((190, 145, 95), (150, 100, 60), (215, 180, 130), (110, 75, 50)),
    "marble": ((225, 225, 220), (200, 200, 205), (235, 230, 222)),
    "cloth": ((170, 50, 50), (60, 90, 150), (70, 130, 90), (210, 200, 170)),
    "laminate": ((235, 235, 230), (120, 125, 130), (80, 85, 90), (180, 200, 215), (220, 210, 180)),
    "steel": ((175, 178, 182), (150, 153, 158)),
}
_NOVEL_TABLES: dict[str, tuple[RGB, ...]] = {
    "tile": ((40, 110, 115), (175, 85, 60), (60, 75, 120), (120, 125, 60)),
    "concrete": ((95, 95, 100), (125, 118, 110), (70, 72, 82)),
}


@dataclass(frozen=True)
class Style:
    """What a style changes. ``light``: brightness range; ``tint``: colour temperature as RGB
    gains (1, 1, 1 is the default white light); ``tilt``: range of the camera tilt strength
    (0 looks straight down); ``held_out``: replace nouns by their held-out counterparts."""

    name: str
    tables: dict[str, tuple[RGB, ...]]
    actions: tuple[str, ...]
    light: tuple[float, float] = (1.0, 1.0)
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    tilt: tuple[float, float] = (0.0, 0.0)
    held_out: bool = False


_ALL_ACTIONS = tuple(sorted(TEMPLATES))

STYLES: dict[str, Style] = {
    "default": Style("default", _DEFAULT_TABLES, _ALL_ACTIONS),
    "novel": Style(
        "novel",
        _NOVEL_TABLES,
        tuple(a for a in _ALL_ACTIONS if a != "open"),
        light=(0.7, 0.85),
        tint=(1.1, 0.96, 0.74),
        tilt=(0.18, 0.3),
        held_out=True,
    ),
}


def substitutes(rng: np.random.Generator) -> dict[str, str]:
    """Default noun -> held-out noun for one clip: within each drawing kind the held-out
    nouns are shuffled and dealt to the default nouns of that kind in sorted order (so two
    default nouns share a counterpart only when the kind has fewer held-out nouns)."""
    out: dict[str, str] = {}
    kinds = sorted({v.kind for v in NOVEL_NOUNS.values()})
    for kind in kinds:
        novel = sorted(n for n, v in NOVEL_NOUNS.items() if v.kind == kind)
        novel = [novel[j] for j in rng.permutation(len(novel))]
        default = sorted(n for n, v in NOUNS.items() if v.kind == kind)
        out.update({d: novel[k % len(novel)] for k, d in enumerate(default)})
    for default, novel in ((LIQUIDS, NOVEL_LIQUIDS), (STIRRABLE, NOVEL_STIRRABLE)):
        order = [novel[j] for j in rng.permutation(len(novel))]
        out.update({d: order[k % len(order)] for k, d in enumerate(default)})
    return out


def rename(text: str, mapping: dict[str, str]) -> str:
    """Replace whole-word nouns of a narration ("cut apple with knife")."""
    if not mapping:
        return text
    words = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")
    return pattern.sub(lambda m: mapping[m.group(1)], text)
