"""Is an object named by the action's narration? The free-text side of the official rule.

The official rule (``data_prepare_visor.py``) says an object is named when its EPIC noun class
id is in the action's ``all_noun_classes``. Without those ids we recover them from the text:
:func:`narration_classes` reads the EPIC noun classes a narration names, and an object counts
when its class (given, or looked up from its name) is among them. Reading the narration the way
EPIC's annotation did matters more than clever English, so the parser follows EPIC's habits:
narrations start with the verb, and a run of nouns is one compound named by its head
("olive oil bottle" names *bottle*, not *oil*). See ``RULES.md`` for the measured agreement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from actionvos.labeling.vocabulary import (
    EpicNouns,
    load_epic_nouns,
    singular,
    strip_instance_number,
    tokens,
)

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class NounMention:
    """One EPIC noun class named in a narration, with the words that named it."""

    class_id: int
    text: str


def _longest_phrase_ending_at(
    toks: Sequence[str], end: int, lo: int, vocab: EpicNouns
) -> tuple[int, int] | None:
    """(start, class id) of the longest vocabulary phrase ``toks[start:end]``, start >= lo."""
    for start in range(max(lo, end - vocab.max_len), end):
        cid = vocab.class_of_phrase(tuple(toks[start:end]))
        if cid is not None:
            return start, cid
    return None


def _parse(words: list[str], toks: list[str], lo: int, vocab: EpicNouns) -> list[NounMention]:
    found: list[NounMention] = []
    end = len(toks)
    while end > lo:
        hit = _longest_phrase_ending_at(toks, end, lo, vocab)
        if hit is None:
            end -= 1
            continue
        start, cid = hit
        found.append(NounMention(cid, " ".join(words[start:end])))
        # Nouns written straight before a compound's head are its modifiers, not objects.
        while start > lo:
            mod = _longest_phrase_ending_at(toks, start, lo, vocab)
            if mod is None:
                break
            start = mod[0]
        end = start
    found.reverse()
    return found


def narration_classes(narration: str, vocab: EpicNouns | None = None) -> list[NounMention]:
    """The EPIC noun classes a narration names, left to right (repeats kept).

    The first word is skipped when it is an EPIC verb (``"peel potato"`` names only the potato;
    the verb ``peel`` is also a noun instance of class *skin*), unless nothing else is named.
    """
    vocab = vocab or load_epic_nouns()
    words = _WORD.findall(narration.lower())
    toks = [singular(w) for w in words]
    lo = 1 if words and vocab.is_verb(words[0]) else 0
    found = _parse(words, toks, lo, vocab)
    if not found and lo:
        found = _parse(words, toks, 0, vocab)
    return found


def _appears(phrase: tuple[str, ...], toks: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(toks[i : i + n] == phrase for i in range(len(toks) - n + 1))


def _text_mention(name: str, narr_toks: tuple[str, ...]) -> bool:
    """Fallback for names outside the vocabulary: any ``/`` alternative, or its head word."""
    for alt in name.lower().split("/"):
        phrase = strip_instance_number(tokens(alt))
        if _appears(phrase, narr_toks) or (phrase and _appears(phrase[-1:], narr_toks)):
            return True
    return False


def narration_mentions(
    narration: str,
    object_names: Sequence[str],
    *,
    class_ids: Sequence[int | None] | None = None,
    vocab: EpicNouns | None = None,
) -> list[bool]:
    """For each object, whether the free-text narration names it.

    An object's class is ``class_ids[k]`` when given, else the EPIC class of its name (slash
    alternatives and head nouns tried, see :meth:`EpicNouns.class_of_name`). It is named when
    that class is among :func:`narration_classes`; a name the vocabulary does not know is named
    when its words (or its head word) appear in the narration. Plurals match singulars.
    """
    vocab = vocab or load_epic_nouns()
    if class_ids is not None and len(class_ids) != len(object_names):
        raise ValueError(
            f"class_ids has {len(class_ids)} entries for {len(object_names)} object names"
        )
    named = {m.class_id for m in narration_classes(narration, vocab)}
    narr_toks = tokens(narration)
    result = []
    for k, name in enumerate(object_names):
        cid = class_ids[k] if class_ids is not None else None
        if cid is None:
            cid = vocab.class_of_name(name)
        result.append(cid in named if cid is not None else _text_mention(name, narr_toks))
    return result
