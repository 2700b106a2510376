"""Property tests (Hypothesis) for the importers' parsers.

Two properties per parser: any JSON-shaped value, however odd, either parses or raises
InputError (never a TypeError, KeyError, ZeroDivisionError or OverflowError from deep
inside); and a well-formed file parses back to exactly the values written into it, with
every number small enough for SQLite.
"""

from __future__ import annotations

import contextlib
import csv
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_synthetic import NARRATION_HEADER

from actionvos.errors import InputError
from actionvos.formats.coco_rle import read_coco_rle
from actionvos.formats.common import polygon_points
from actionvos.formats.epic_narrations import read_epic_narrations
from actionvos.formats.fields import MAX_ID, as_int
from actionvos.formats.split_file import check_split_file
from actionvos.formats.visor import read_visor_json
from actionvos.formats.visor_hos import read_visor_hos
from actionvos.metrics.folders import load_split

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _with_key(key: str, value_strategy):
    return st.dictionaries(st.just(key), value_strategy, min_size=1)


@contextlib.contextmanager
def _file(name: str) -> Iterator[Path]:
    """A path in a fresh temporary folder, removed after the example."""
    with tempfile.TemporaryDirectory(prefix="actionvos-prop-") as folder:
        yield Path(folder) / name


@contextlib.contextmanager
def _json(data: object) -> Iterator[Path]:
    with _file("data.json") as path:
        path.write_text(json.dumps(data), encoding="utf-8")
        yield path


def _parses_or_input_error(parse, data: object) -> None:
    with _json(data) as path, contextlib.suppress(InputError):
        parse(path)


# Values shaped nearly like the real files, so the search reaches the inner fields.
visor_like = st.fixed_dictionaries(
    {
        "video_annotations": st.lists(
            st.fixed_dictionaries(
                {
                    "image": st.one_of(json_values, st.fixed_dictionaries({"name": json_values})),
                    "annotations": st.one_of(
                        json_values,
                        st.lists(
                            st.fixed_dictionaries(
                                {"name": json_values, "segments": json_values},
                                optional={"class_id": json_values},
                            ),
                            max_size=3,
                        ),
                    ),
                }
            ),
            max_size=3,
        )
    }
)
hos_like = st.fixed_dictionaries(
    {
        "images": st.lists(
            st.fixed_dictionaries(
                {"id": json_values, "file_name": json_values},
                optional={"width": json_values, "height": json_values},
            ),
            max_size=3,
        ),
        "annotations": st.lists(
            st.fixed_dictionaries(
                {"image_id": json_values, "category_id": json_values, "bbox": json_values},
                optional={
                    "handside": json_values,
                    "isincontact": json_values,
                    "segmentation": json_values,
                },
            ),
            max_size=3,
        ),
    }
)
split_like = st.lists(
    st.fixed_dictionaries(
        {
            "seq_id": json_values,
            "video": json_values,
            "verb": json_values,
            "noun": json_values,
            "sparse_frames": json_values,
            "object_classes": st.one_of(
                json_values,
                st.dictionaries(
                    st.text(max_size=4),
                    st.fixed_dictionaries(
                        {"name": json_values, "positive": json_values},
                        optional={"class_id": json_values},
                    ),
                    max_size=3,
                ),
            ),
        },
        optional={"start": json_values, "end": json_values, "narration": json_values},
    ),
    max_size=3,
)
coco_like = st.fixed_dictionaries(
    {
        "images": st.lists(
            st.fixed_dictionaries({"id": json_values, "height": json_values, "width": json_values}),
            max_size=2,
        ),
        "categories": st.lists(
            st.fixed_dictionaries({"id": json_values, "name": json_values}), max_size=2
        ),
        "annotations": st.lists(
            st.fixed_dictionaries(
                {"image_id": json_values, "category_id": json_values, "segmentation": json_values}
            ),
            max_size=2,
        ),
        "actions": st.one_of(
            json_values,
            st.lists(
                st.fixed_dictionaries(
                    {
                        "narration": json_values,
                        "start_frame": json_values,
                        "end_frame": json_values,
                        "activity": json_values,
                    }
                ),
                max_size=2,
            ),
        ),
    }
)


@SETTINGS
@given(st.one_of(json_values, visor_like))
def test_visor_parser_parses_or_says_what_is_wrong(data) -> None:
    _parses_or_input_error(read_visor_json, data)


@SETTINGS
@given(st.one_of(json_values, hos_like))
def test_visor_hos_parser_parses_or_says_what_is_wrong(data) -> None:
    _parses_or_input_error(read_visor_hos, data)


@SETTINGS
@given(st.one_of(json_values, split_like))
def test_split_checks_parse_or_say_what_is_wrong(data) -> None:
    _parses_or_input_error(check_split_file, data)
    _parses_or_input_error(load_split, data)


@SETTINGS
@given(st.one_of(json_values, coco_like))
def test_coco_parser_parses_or_says_what_is_wrong(data) -> None:
    _parses_or_input_error(read_coco_rle, data)


@SETTINGS
@given(json_values, st.booleans())
def test_polygon_points_are_pairs_of_finite_numbers_or_refused(poly, flat) -> None:
    try:
        pts = polygon_points(poly, "polygon", flat=flat)
    except InputError:
        return
    assert all(len(p) == 2 and all(abs(v) < float("inf") for v in p) for p in pts)


@SETTINGS
@given(scalars)
def test_as_int_returns_an_int_in_range_or_refuses(value) -> None:
    try:
        out = as_int(value, "here", "n")
    except InputError:
        return
    assert type(out) is int and 0 <= out <= MAX_ID


coords = st.floats(min_value=0, max_value=1919, allow_nan=False)
good_entity = st.fixed_dictionaries(
    {
        "name": st.text(alphabet="abcdefghij ", min_size=1, max_size=10).filter(str.strip),
        "class_id": st.integers(min_value=0, max_value=MAX_ID),
        "segments": st.lists(st.lists(st.tuples(coords, coords).map(list), min_size=3,
                                      max_size=6), min_size=1, max_size=2),
    }
)  # fmt: skip


@SETTINGS
@given(st.lists(st.lists(good_entity, max_size=3), min_size=1, max_size=3))
def test_a_well_formed_visor_file_reads_back_what_was_written(frames) -> None:
    data = {
        "video_annotations": [
            {"image": {"name": f"P01_frame_{i + 1:010d}.jpg"}, "annotations": anns}
            for i, anns in enumerate(frames)
        ]
    }
    with _json(data) as path:
        parsed = read_visor_json(path)
    assert [f.image for f in parsed] == [f"P01_frame_{i + 1:010d}.jpg" for i in range(len(frames))]
    for got, anns in zip(parsed, frames, strict=True):
        assert [e.name for e in got.entities] == [a["name"].strip() for a in anns]
        assert [e.class_id for e in got.entities] == [a["class_id"] for a in anns]
        for e, a in zip(got.entities, anns, strict=True):
            assert [list(map(list, p)) for p in e.polygons] == a["segments"]


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=MAX_ID - 10_000),  # stop stays in range
            st.integers(min_value=0, max_value=10_000),
            st.integers(min_value=0, max_value=MAX_ID),
            st.lists(st.integers(min_value=0, max_value=MAX_ID), max_size=3),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_well_formed_narration_csv_reads_back_what_was_written(rows) -> None:
    with _file("EPIC_100_train.csv") as path:
        _write_rows(path, rows)
        got = read_epic_narrations(path, "P01_107")
    assert [(n.start_frame, n.stop_frame - n.start_frame) for n in got] == [
        (r[0], r[1]) for r in rows
    ]
    assert [n.verb_class for n in got] == [r[2] for r in rows]
    assert [list(n.all_noun_classes) for n in got] == [r[3] for r in rows]


def _write_rows(path: Path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=NARRATION_HEADER)
        writer.writeheader()
        for start, length, verb_class, nouns in rows:
            writer.writerow(
                {k: "" for k in NARRATION_HEADER}
                | {
                    "video_id": "P01_107", "start_frame": start, "stop_frame": start + length,
                    "narration": "cut onion", "verb": "cut", "noun": "onion",
                    "verb_class": verb_class, "all_nouns": str(["onion"] * len(nouns)),
                    "all_noun_classes": str(nouns),
                }
            )  # fmt: skip


@SETTINGS
@given(
    st.text(alphabet="0123456789-+ ,[]'x", max_size=30),
    st.text(alphabet="0123456789-abc ", max_size=12),
)
def test_narration_csv_cells_parse_or_say_what_is_wrong(all_noun_classes, verb_class) -> None:
    with _file("EPIC_100_train.csv") as path:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=NARRATION_HEADER)
            writer.writeheader()
            writer.writerow(
                {k: "" for k in NARRATION_HEADER}
                | {"video_id": "P01_107", "start_frame": "1", "stop_frame": "2",
                   "narration": "cut", "verb": "cut", "noun": "x", "verb_class": verb_class,
                   "all_noun_classes": all_noun_classes}
            )  # fmt: skip
        try:
            got = read_epic_narrations(path)
        except InputError:
            return
    assert all(0 <= c <= MAX_ID for n in got for c in n.all_noun_classes)
    assert all(n.verb_class is None or 0 <= n.verb_class <= MAX_ID for n in got)
