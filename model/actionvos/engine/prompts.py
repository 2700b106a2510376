"""The ActionVOS "promptaction" captions, one per object.

The official prompt is ``"<object> used in the action of <narration>"``. Training lower-cases
the caption and collapses whitespace (``" ".join(exp.lower().split())``) and the released
metadata is lower case, so user input is normalised the same way before tokenising.
"""

from __future__ import annotations

from collections.abc import Sequence

from actionvos.errors import InputError

#: Label maps are uint8 with 0 = background.
MAX_OBJECTS = 255
TEMPLATE = "{obj} used in the action of {narration}"


def normalize_text(text: str) -> str:
    """Lower-case and collapse whitespace, as the official training does."""
    return " ".join(str(text).lower().split())


def build_prompt(obj: str, narration: str) -> str:
    """The caption for one object: ``"<object> used in the action of <narration>"``."""
    return normalize_text(TEMPLATE.format(obj=obj, narration=narration))


def build_prompts(objects: Sequence[str], narration: str) -> list[str]:
    """Captions for every object, in order; object k of the label map is ``objects[k-1]``.

    Raises InputError for an empty narration, no objects, a blank name, two names that
    normalise to the same caption, or more objects than a uint8 label map can hold.
    """
    if isinstance(objects, str):
        raise InputError(f"objects must be a list of names, got the string {objects!r}")
    if not normalize_text(narration or ""):
        raise InputError(
            "the narration is empty; describe the action, e.g. 'put cereals bag into box'"
        )
    if len(objects) == 0:
        raise InputError("no objects given; name at least one object, e.g. 'cereal bag'")
    if len(objects) > MAX_OBJECTS:
        raise InputError(
            f"{len(objects)} objects given; a label map holds at most {MAX_OBJECTS}. "
            "Split them over several runs."
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(objects):
        key = normalize_text(name or "")
        if not key:
            raise InputError(f"object {i + 1} has an empty name; give every object a name")
        if key in seen:
            raise InputError(
                f"objects {seen[key] + 1} ({objects[seen[key]]!r}) and {i + 1} ({name!r}) "
                "are the same name; each object must be named once"
            )
        seen[key] = i
    return [build_prompt(name, narration) for name in objects]
