"""Kitchen nouns the synthetic generator can draw, with their EPIC-KITCHENS-100 noun classes.

The class ids were checked against ``EPIC_100_noun_classes.csv`` (column ``id`` for the row
whose ``key`` or ``instances`` holds the noun); ``tests/test_sample_scene.py`` and
``tests/test_sample_styles.py`` check them again whenever that CSV is on disk. They are
hard-coded so that the generator needs no data file and stays deterministic.

``NOVEL_NOUNS`` and ``NOVEL_CONTENT_NOUNS`` are held out of ``default`` clips (see
``styles.py``): only the ``novel`` style draws them.

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
    draws_as: str = ""  # a NOUNS entry whose shape code draws it (novel nouns); "" itself


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


#: Held-out nouns: only clips of the ``novel`` style draw them (see ``styles.py``), so a model
#: trained on ``default`` clips has never seen them. Every one is its own EPIC-100 class, none
#: of which a ``default`` clip uses; each draws with the shape code of a ``NOUNS`` entry of
#: the same ``kind``, which is the default noun it stands in for.
NOVEL_NOUNS: dict[str, Noun] = {
    n.name: n
    for n in (
        Noun("peach", "peach", 74, "fruit", ((250, 170, 110), (240, 140, 90)), (0.045, 0.055),
             draws_as="orange"),
        Noun("lime", "lime", 161, "fruit", ((110, 180, 50), (90, 160, 40)), (0.036, 0.044),
             draws_as="lemon"),
        Noun("avocado", "avocado", 176, "fruit", ((60, 90, 40), (45, 70, 35)), (0.045, 0.055),
             draws_as="potato"),
        Noun("kiwi", "kiwi", 213, "fruit", ((140, 105, 60), (120, 90, 50)), (0.04, 0.048),
             draws_as="potato"),
        Noun("plum", "plum", 293, "fruit", ((110, 40, 90), (90, 30, 70), (140, 50, 100)),
             (0.036, 0.045), draws_as="apple"),
        Noun("mushroom", "mushroom", 56, "fruit", ((225, 210, 185), (200, 180, 150)),
             (0.032, 0.04), draws_as="egg"),
        Noun("garlic", "garlic", 51, "fruit", ((240, 235, 220), (230, 220, 230)), (0.03, 0.036),
             draws_as="onion"),
        Noun("courgette", "courgette", 76, "carrot", ((50, 120, 40), (80, 140, 50)), (0.12, 0.15),
             draws_as="cucumber"),
        Noun("aubergine", "aubergine", 67, "carrot", ((70, 30, 70), (50, 25, 55)), (0.11, 0.14),
             draws_as="cucumber"),
        Noun("leek", "leek", 117, "carrot", ((200, 220, 170), (160, 200, 120)), (0.13, 0.16),
             draws_as="cucumber"),
        Noun("sausage", "sausage", 86, "banana", ((160, 70, 50), (190, 100, 70)), (0.09, 0.11),
             draws_as="banana"),
        Noun("cheese", "cheese", 32, "bread", ((245, 205, 80), (240, 215, 120)), (0.05, 0.065),
             draws_as="bread"),
        Noun("container", "container", 21, "bowl",
             ((200, 225, 235), (90, 170, 120), (235, 235, 230)), (0.1, 0.13), layer=2,
             draws_as="bowl"),
        Noun("pot", "pot", 29, "pan", ((175, 178, 185), (150, 150, 160), (40, 40, 45)),
             (0.11, 0.13), layer=2, draws_as="pan"),
        Noun("tray", "tray", 35, "plate", ((150, 150, 155), (60, 60, 70), (190, 60, 50)),
             (0.13, 0.16), layer=1, draws_as="plate"),
        Noun("ladle", "ladle", 97, "spoon", _STEEL + ((40, 40, 45),), (0.13, 0.16),
             draws_as="spoon"),
        Noun("jug", "jug", 66, "cup", ((235, 235, 230), (70, 110, 180), (200, 225, 235)),
             (0.06, 0.075), draws_as="cup"),
    )
}  # fmt: skip

#: Held-out contents (narration only), standing in for LIQUIDS and STIRRABLE.
NOVEL_CONTENT_NOUNS: dict[str, int] = {
    "tea": 132, "wine": 192, "vinegar": 134, "beer": 231,
    "curry": 121, "noodle": 155, "lentil": 177, "yoghurt": 98,
}  # fmt: skip
NOVEL_CONTENT_COLOURS: dict[str, RGB] = {
    "tea": (160, 90, 40), "wine": (110, 20, 40), "vinegar": (200, 150, 90), "beer": (225, 170, 50),
    "curry": (215, 150, 40), "noodle": (235, 205, 120), "lentil": (210, 110, 50),
    "yoghurt": (245, 245, 235),
}  # fmt: skip
NOVEL_LIQUIDS = ("tea", "wine", "vinegar", "beer")
NOVEL_STIRRABLE = ("curry", "noodle", "lentil", "yoghurt")

#: Default nouns without a held-out counterpart of their kind: the only default nouns a
#: ``novel`` clip may show (tools and containers such as the knife and the chopping board).
SHARED_NOUNS: tuple[str, ...] = tuple(
    sorted(n for n, spec in NOUNS.items() if all(v.kind != spec.kind for v in NOVEL_NOUNS.values()))
)


def noun_spec(noun: str) -> Noun:
    """The drawing spec of a default or held-out drawable noun."""
    return NOUNS[noun] if noun in NOUNS else NOVEL_NOUNS[noun]


def class_id(noun: str) -> int:
    """EPIC-100 noun class of a drawable or content noun, default or held out."""
    if noun in NOUNS:
        return NOUNS[noun].class_id
    if noun in NOVEL_NOUNS:
        return NOVEL_NOUNS[noun].class_id
    if noun in NOVEL_CONTENT_NOUNS:
        return NOVEL_CONTENT_NOUNS[noun]
    return CONTENT_NOUNS[noun]
