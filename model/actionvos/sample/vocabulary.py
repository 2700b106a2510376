"""Kitchen nouns the synthetic generator can draw, with their EPIC-KITCHENS-100 noun classes.

The class ids were checked against ``EPIC_100_noun_classes.csv`` (column ``id`` for the row
whose ``key`` or ``instances`` holds the noun); ``tests/test_sample_vocabulary.py`` checks
them again whenever that CSV is on disk. They are hard-coded so that the generator needs no
data file and stays deterministic.

``name`` is the word a narration uses ("chopping board"); ``epic_key`` is how EPIC-100 spells
the class ("board:chopping").
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]
Colour = tuple[float, float, float]


@dataclass(frozen=True)
class Noun:
    """One drawable kitchen object class."""

    name: str
    epic_key: str
    class_id: int
    kind: str  # shape family, see shapes.py
    colours: tuple[RGB, ...]  # main colours to choose from
    size: tuple[float, float]  # main radius (or half length) range, fraction of min(H, W)
    layer: int = 3  # drawing order on the table: boards 0, plates 1, bowls/pans 2, others 3


_STEEL: tuple[RGB, ...] = ((190, 194, 200), (170, 174, 182), (205, 205, 210))
_HANDLES: tuple[RGB, ...] = (
    (30, 30, 32),
    (110, 70, 40),
    (150, 40, 35),
    (40, 70, 150),
    (235, 235, 230),
    (60, 120, 60),
)
_CROCKERY: tuple[RGB, ...] = (
    (240, 240, 236),
    (70, 110, 180),
    (190, 60, 50),
    (80, 150, 100),
    (240, 200, 80),
    (60, 60, 70),
    (230, 140, 60),
    (150, 110, 190),
    (90, 180, 190),
)

NOUNS: dict[str, Noun] = {
    n.name: n
    for n in (
        Noun("knife", "knife", 4, "knife", _HANDLES, (0.15, 0.18)),
        Noun("spoon", "spoon", 1, "spoon", _STEEL + ((150, 100, 55), (175, 125, 70)), (0.12, 0.15)),
        Noun("fork", "fork", 14, "fork", _STEEL, (0.12, 0.14)),
        Noun(
            "spatula",
            "spatula",
            20,
            "spatula",
            ((30, 30, 32), (150, 100, 55), (200, 60, 50)),
            (0.14, 0.17),
        ),
        Noun(
            "apple",
            "apple",
            187,
            "fruit",
            ((200, 30, 35), (120, 190, 60), (230, 200, 60), (170, 40, 40)),
            (0.045, 0.055),
        ),
        Noun("orange", "orange", 167, "fruit", ((245, 140, 20), (235, 120, 10)), (0.048, 0.058)),
        Noun("lemon", "lemon", 105, "fruit", ((250, 225, 40), (240, 210, 30)), (0.04, 0.048)),
        Noun("tomato", "tomato", 43, "fruit", ((220, 40, 30), (235, 70, 40)), (0.04, 0.05)),
        Noun(
            "onion",
            "onion",
            16,
            "fruit",
            ((190, 130, 60), (150, 50, 100), (235, 225, 200)),
            (0.042, 0.052),
        ),
        Noun("potato", "potato", 30, "fruit", ((200, 160, 100), (170, 120, 70)), (0.045, 0.055)),
        Noun("egg", "egg", 53, "fruit", ((245, 240, 225), (210, 160, 110)), (0.03, 0.036)),
        Noun(
            "pepper",
            "pepper",
            37,
            "fruit",
            ((210, 30, 30), (245, 200, 20), (50, 150, 40)),
            (0.042, 0.05),
        ),
        Noun("carrot", "carrot", 41, "carrot", ((240, 120, 20), (230, 100, 15)), (0.11, 0.14)),
        Noun("cucumber", "cucumber", 72, "carrot", ((40, 110, 40), (60, 130, 50)), (0.12, 0.15)),
        Noun("banana", "banana", 146, "banana", ((245, 215, 60), (235, 200, 50)), (0.11, 0.13)),
        Noun("bread", "bread", 33, "bread", ((200, 150, 90), (170, 110, 60)), (0.06, 0.075)),
        Noun("cup", "cup", 13, "cup", _CROCKERY, (0.055, 0.07)),
        Noun("glass", "glass", 10, "glass", ((200, 225, 235), (185, 215, 225)), (0.05, 0.06)),
        Noun("jar", "jar", 40, "jar", ((210, 230, 235),), (0.06, 0.075)),
        Noun(
            "lid",
            "lid",
            6,
            "lid",
            ((200, 40, 40), (230, 200, 60), (60, 60, 65), (180, 180, 185), (40, 110, 60)),
            (0.05, 0.062),
        ),
        Noun(
            "bottle",
            "bottle",
            15,
            "bottle",
            ((60, 140, 70), (120, 70, 40), (200, 225, 235), (40, 80, 160)),
            (0.13, 0.16),
        ),
        Noun(
            "sponge",
            "sponge",
            9,
            "sponge",
            ((245, 215, 60), (240, 130, 50), (120, 190, 230)),
            (0.06, 0.07),
        ),
        Noun("bowl", "bowl", 7, "bowl", _CROCKERY + ((170, 120, 75),), (0.1, 0.13), layer=2),
        Noun(
            "pan",
            "pan",
            5,
            "pan",
            ((45, 45, 50), (70, 70, 75), (150, 60, 40)),
            (0.11, 0.13),
            layer=2,
        ),
        Noun("plate", "plate", 2, "plate", _CROCKERY[:6], (0.12, 0.15), layer=1),
        Noun(
            "chopping board",
            "board:chopping",
            18,
            "board",
            ((205, 160, 105), (180, 130, 80), (235, 235, 225), (90, 160, 90), (220, 100, 90)),
            (0.2, 0.25),
            layer=0,
        ),
    )
}

#: Nouns that only occur in narrations (contents, liquids), never drawn as separate objects.
CONTENT_NOUNS: dict[str, int] = {
    "water": 27,
    "milk": 64,
    "juice": 183,
    "coffee": 59,
    "oil": 31,
    "soup": 126,
    "sauce": 47,
    "pasta": 45,
    "rice": 55,
}

#: Colours of the contents above (RGB).
CONTENT_COLOURS: dict[str, RGB] = {
    "water": (150, 195, 225),
    "milk": (248, 248, 242),
    "juice": (250, 160, 30),
    "coffee": (90, 55, 30),
    "oil": (225, 190, 60),
    "soup": (205, 120, 50),
    "sauce": (170, 35, 25),
    "pasta": (240, 215, 130),
    "rice": (245, 242, 230),
}

LIQUIDS = ("water", "milk", "juice", "coffee", "oil")
STIRRABLE = ("soup", "sauce", "pasta", "rice")

FOODS_TO_CUT = (
    "apple",
    "orange",
    "lemon",
    "tomato",
    "onion",
    "potato",
    "pepper",
    "carrot",
    "cucumber",
    "bread",
)
#: What "pick up" may lift.
PICKABLE = (
    "cup", "glass", "knife", "spoon", "fork", "spatula", "apple", "orange", "tomato", "onion",
    "potato", "bottle", "jar", "sponge", "carrot", "banana", "bread", "lemon", "pepper",
    "plate", "bowl",
)  # fmt: skip
#: What "put X into/on Y" may carry.
PUTTABLE = (
    "apple", "orange", "lemon", "tomato", "onion", "potato", "egg", "pepper", "carrot",
    "banana", "bread", "knife", "spoon", "fork", "sponge",
)  # fmt: skip
#: Things that lie along an axis: placed pointing away from the body like tools.
ELONGATED = ("knife", "spoon", "fork", "spatula", "bottle", "carrot", "banana")

SKIN_TONES: tuple[RGB, ...] = (
    (250, 214, 180),
    (236, 190, 150),
    (224, 172, 125),
    (198, 140, 95),
    (160, 105, 70),
    (120, 78, 50),
    (90, 58, 40),
    (232, 185, 160),
)
SLEEVE_COLOURS: tuple[RGB, ...] = (
    (35, 40, 60),
    (120, 20, 30),
    (30, 90, 60),
    (200, 200, 205),
    (60, 60, 65),
    (20, 60, 130),
    (150, 110, 70),
    (230, 120, 40),
)


def class_id(noun: str) -> int:
    """EPIC-100 noun class of a drawable or content noun."""
    if noun in NOUNS:
        return NOUNS[noun].class_id
    return CONTENT_NOUNS[noun]
