"""The EPIC-KITCHENS-100 noun and verb classes, as token phrases for narration matching.

The official labels compare class ids, so free text is matched through the same vocabulary:
every instance string of a noun class (``"box:cereal"``, ``"door"``) becomes a phrase of
singular tokens in English word order (``("cereal", "box")``), which is how both object names
and narrations spell it. The CSVs ship in ``actionvos_resources/vocabularies/epic-kitchens``
(CC BY-NC 4.0, see the README there).
"""

from __future__ import annotations

import ast
import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from actionvos.errors import InputError

#: VISOR gives the hands and the worn gloves their own class ids, outside EPIC's 0..299, so an
#: EPIC narration never names them by class (``"dry hands"`` names class 11, not 300/301).
VISOR_EXTRA_CLASSES: dict[str, int] = {
    "left hand": 300,
    "right hand": 301,
    "left glove": 303,
    "right glove": 304,
}

#: The two names the official code treats as hands (always positive).
HAND_NAMES: frozenset[str] = frozenset({"left hand", "right hand"})

# Plurals a suffix rule gets wrong; "clothes" is its own EPIC class, distinct from "cloth".
_IRREGULAR: dict[str, str] = {
    "knives": "knife",
    "leaves": "leaf",
    "loaves": "loaf",
    "halves": "half",
    "shelves": "shelf",
    "calves": "calf",
    "wives": "wife",
    "teeth": "tooth",
    "feet": "foot",
    "mice": "mouse",
    "geese": "goose",
    "people": "person",
    "children": "child",
    "clothes": "clothes",
    "shoes": "shoe",
    "toes": "toe",
    "cookies": "cookie",
    "movies": "movie",
    "pies": "pie",
    "ties": "tie",
}
_KEEP_ENDINGS = ("ss", "us", "is", "ous", "ics")
_ES_ENDINGS = ("ches", "shes", "sses", "xes", "zzes", "oes")
_TOKEN = re.compile(r"[a-z0-9]+")


def singular(word: str) -> str:
    """A deterministic singular form, applied to both sides of every comparison.

    It need not be perfect English, only consistent: ``tomatoes``/``tomato`` and
    ``glasses``/``glass`` meet; short words and ``-ss``/``-us`` words are left alone.
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.endswith(_KEEP_ENDINGS):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(_ES_ENDINGS):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case singular word tokens; punctuation, hyphens and ``:`` separate words."""
    return tuple(singular(t) for t in _TOKEN.findall(text.lower()))


def strip_instance_number(phrase: tuple[str, ...]) -> tuple[str, ...]:
    """Drop a trailing count that tells instances apart (``"apple 2"`` is an apple)."""
    while len(phrase) > 1 and phrase[-1].isdigit():
        phrase = phrase[:-1]
    return phrase


def instance_phrase(instance: str) -> tuple[str, ...]:
    """EPIC writes the head noun first (``"lid:frying:pan"``); English puts it last."""
    parts = [p for p in instance.split(":") if p]
    if not parts:
        return ()
    return tokens(" ".join(parts[1:] + parts[:1]))


@dataclass(frozen=True)
class NounClass:
    """One EPIC-100 noun class: its id, key (e.g. ``"board:chopping"``) and instance strings."""

    id: int
    key: str
    instances: tuple[str, ...]
    category: str

    @property
    def name(self) -> str:
        """The key in English word order (``"chopping board"``)."""
        return " ".join(instance_phrase(self.key)) or self.key


class EpicNouns:
    """Noun classes plus the phrase index used to read names and narrations.

    ``phrases`` maps a token tuple to its class id. Where two classes spell the same phrase the
    class whose *key* it is wins, then the lower id, so lookups never depend on file order.
    """

    def __init__(self, classes: list[NounClass], verbs: frozenset[str]) -> None:
        self.classes = {c.id: c for c in classes}
        self.verbs = verbs
        owners: dict[tuple[str, ...], tuple[int, int]] = {}
        for c in classes:
            key_phrase = instance_phrase(c.key)
            for inst in (c.key, *c.instances):
                phrase = instance_phrase(inst)
                if not phrase:
                    continue
                rank = (0 if phrase == key_phrase else 1, c.id)
                if phrase not in owners or rank < owners[phrase]:
                    owners[phrase] = rank
        self.phrases: dict[tuple[str, ...], int] = {p: r[1] for p, r in owners.items()}
        self.max_len = max((len(p) for p in self.phrases), default=1)

    def class_of_phrase(self, phrase: tuple[str, ...]) -> int | None:
        """The class whose instance list spells exactly this token phrase, or None."""
        return self.phrases.get(phrase)

    def class_of_name(self, name: str) -> int | None:
        """The EPIC class of a VISOR object name, or None when the vocabulary cannot tell.

        A trailing instance number is ignored (``"apple 2"``). Each ``/`` alternative is tried
        whole, then by its longest head (``"trash bin"`` -> ``"bin"``), since English compounds
        put the head noun last. VISOR's own hand and glove classes come back as VISOR ids.
        """
        norm = " ".join(name.lower().split())
        if norm in VISOR_EXTRA_CLASSES:
            return VISOR_EXTRA_CLASSES[norm]
        alternatives = [strip_instance_number(tokens(a)) for a in norm.split("/")]
        for alt in alternatives:
            if alt and alt in self.phrases:
                return self.phrases[alt]
        for alt in alternatives:
            for start in range(1, len(alt)):
                if alt[start:] in self.phrases:
                    return self.phrases[alt[start:]]
        return None

    def is_verb(self, word: str) -> bool:
        """Whether a (possibly inflected) word is the first word of an EPIC verb instance."""
        candidates = {word, singular(word)}
        if word.endswith("s"):
            candidates.add(word[:-1])
        for suffix in ("ing", "ed"):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)]
                candidates.update({stem, stem + "e"})
                if len(stem) > 2 and stem[-1] == stem[-2]:
                    candidates.add(stem[:-1])
        return bool(candidates & self.verbs)


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise InputError(f"vocabulary file {path} does not exist; reinstall actionvos") from None
    missing = {"id", "key", "instances"} - set(rows[0] if rows else {})
    if missing:
        raise InputError(f"vocabulary file {path} lacks columns {sorted(missing)}")
    return rows


def _parse_instances(text: str, path: Path, row: int) -> tuple[str, ...]:
    try:
        values = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise InputError(f"{path} row {row}: 'instances' is not a list literal") from None
    return tuple(str(v) for v in values)


def read_epic_nouns(noun_csv: Path, verb_csv: Path | None = None) -> EpicNouns:
    """Read ``EPIC_100_noun_classes.csv`` (and optionally the verb classes) from disk."""
    classes = [
        NounClass(
            id=int(r["id"]),
            key=r["key"],
            instances=_parse_instances(r["instances"], noun_csv, i + 2),
            category=r.get("category", ""),
        )
        for i, r in enumerate(_read_rows(noun_csv))
    ]
    verbs: set[str] = set()
    if verb_csv is not None:
        for i, r in enumerate(_read_rows(verb_csv)):
            for inst in (r["key"], *_parse_instances(r["instances"], verb_csv, i + 2)):
                first = inst.split("-")[0].strip().lower()
                if first:
                    verbs.add(first)
    return EpicNouns(classes, frozenset(verbs))


@functools.lru_cache(maxsize=1)
def load_epic_nouns() -> EpicNouns:
    """The shipped EPIC-100 vocabulary, read once per process."""
    import actionvos_resources

    folder = ("vocabularies", "epic-kitchens")
    return read_epic_nouns(
        actionvos_resources.path(*folder, "EPIC_100_noun_classes.csv"),
        actionvos_resources.path(*folder, "EPIC_100_verb_classes.csv"),
    )
