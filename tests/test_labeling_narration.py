"""Narration matching: plurals, compounds, slash names, EPIC synonyms, the vocabulary files."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionvos.errors import InputError
from actionvos.labeling import load_epic_nouns, narration_classes, narration_mentions
from actionvos.labeling.vocabulary import instance_phrase, read_epic_nouns, singular, tokens


def keys(narration: str) -> list[str]:
    vocab = load_epic_nouns()
    return [vocab.classes[m.class_id].key for m in narration_classes(narration)]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("tomatoes", "tomato"),
        ("knives", "knife"),
        ("glasses", "glass"),
        ("glass", "glass"),
        ("dishes", "dish"),
        ("berries", "berry"),
        ("cereals", "cereal"),
        ("clothes", "clothes"),
        ("asparagus", "asparagus"),
        ("pan", "pan"),
    ],
)
def test_singular_forms(word: str, expected: str) -> None:
    assert singular(word) == expected


def test_instances_read_in_english_order() -> None:
    assert instance_phrase("lid:frying:pan") == ("frying", "pan", "lid")
    assert instance_phrase("box:cereal") == ("cereal", "box")
    assert tokens("Chopping-Boards") == ("chopping", "board")


def test_vocabulary_is_the_shipped_epic_100_list() -> None:
    vocab = load_epic_nouns()
    assert len(vocab.classes) == 300
    assert vocab.classes[3].key == "cupboard"
    assert vocab.classes[18].name == "chopping board"
    assert vocab.class_of_phrase(("door",)) == 3
    assert vocab.class_of_phrase(("dish",)) == 2
    assert vocab.is_verb("take") and vocab.is_verb("cutting") and not vocab.is_verb("onion")


@pytest.mark.parametrize(
    ("narration", "expected"),
    [
        ("cut tomatoes", ["tomato"]),
        ("close cereals box", ["box"]),
        ("take cereals", ["cereal"]),
        ("put onion on chopping board", ["onion", "board:chopping"]),
        ("move olive oil bottle", ["bottle"]),
        ("open door", ["cupboard"]),
        ("wash dishes", ["plate"]),
        ("peel potato", ["potato"]),
        ("put knives in drawer", ["knife", "drawer"]),
        ("pick up gizmo", []),
    ],
)
def test_narration_classes(narration: str, expected: list[str]) -> None:
    assert keys(narration) == expected


def test_mentions_plural_and_compound_names() -> None:
    names = ["tomato", "knife", "chopping board", "cereal box", "cereal"]
    assert narration_mentions("cut tomatoes", names) == [True, False, False, False, False]
    assert narration_mentions("put knife on chopping board", names) == [
        False,
        True,
        True,
        False,
        False,
    ]
    # EPIC names the compound, not its modifier: "cereals box" is the box, not the cereal.
    assert narration_mentions("close cereals box", names)[3:] == [True, False]
    assert narration_mentions("take cereals", names)[3:] == [False, True]


def test_mentions_slash_names_and_synonyms() -> None:
    names = ["kitchen roll/paper towel roll", "v60/pourover coffee maker", "cupboard", "plate"]
    assert narration_mentions("take paper towel", names) == [True, False, False, False]
    assert narration_mentions("pour water into v60", names) == [False, True, False, False]
    assert narration_mentions("open door", names) == [False, False, True, False]
    assert narration_mentions("put dish in sink", names) == [False, False, False, True]


def test_hands_are_never_named_by_class() -> None:
    # "dry hands" names EPIC class 11; the VISOR hands are classes 300/301 (official rule).
    assert narration_mentions("dry hands", ["left hand", "right hand", "towel"]) == [
        False,
        False,
        False,
    ]


def test_unknown_names_fall_back_to_words() -> None:
    assert narration_mentions("pick up gizmo", ["gizmo", "blue gizmo", "widget"]) == [
        True,
        True,
        False,
    ]


def test_given_class_ids_decide() -> None:
    # "salt bottle" is class 15 (bottle): "pour salt" names class 38 only.
    names = ["salt bottle", "salt", "spoon"]
    flags = narration_mentions("pour salt into spoon", names, class_ids=[15, 38, 1])
    assert flags == [False, True, True]
    with pytest.raises(ValueError, match="class_ids has 1 entries"):
        narration_mentions("take plate", names, class_ids=[2])


def test_broken_vocabulary_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "nouns.csv"
    with pytest.raises(InputError, match="does not exist"):
        read_epic_nouns(missing)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,key\n0,tap\n")
    with pytest.raises(InputError, match="lacks columns"):
        read_epic_nouns(bad)
    worse = tmp_path / "worse.csv"
    worse.write_text('id,key,instances,category\n0,tap,"[tap",appliances\n')
    with pytest.raises(InputError, match="row 2"):
        read_epic_nouns(worse)
