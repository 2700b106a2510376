"""EPIC-100 narration CSV into store actions; literals are parsed safely, bad rows refused."""

from __future__ import annotations

import pytest
from store_synthetic import VIDEO, digest, new_store, write_narrations

from actionvos.errors import InputError
from actionvos.formats.epic_narrations import import_epic_narrations, read_epic_narrations
from actionvos.store import Store


def test_narrations_of_the_video_become_actions_in_store_frames(tmp_path):
    csv_path = write_narrations(tmp_path)
    rows = read_epic_narrations(csv_path, VIDEO)
    assert [r.narration_id for r in rows] == [f"{VIDEO}_0", f"{VIDEO}_1"]
    assert rows[0].all_nouns == ("onion", "knife") and rows[0].all_noun_classes == (13, 4)
    with new_store(tmp_path) as store:
        report = import_epic_narrations(store, csv_path)
        assert len(report.actions) == 2
        cut, wash = store.actions()
        assert (cut.start_frame, cut.end_frame) == (7, 23)  # EPIC frames count from 1
        assert (wash.start_frame, wash.end_frame) == (19, 34)
        assert cut.verb == "cut" and cut.noun_class == 13 and cut.all_noun_classes == (13, 4)
        assert wash.noun == "board:chopping" and wash.external_id == f"{VIDEO}_1"
        again = import_epic_narrations(store, csv_path)
        assert again.actions == [] and len(again.skipped) == 2
        assert len(store.actions()) == 2


def test_actions_past_the_clip_are_cut_or_skipped(tmp_path):
    rows = [
        {"narration_id": "a", "video_id": VIDEO, "start_frame": 30, "stop_frame": 90,
         "narration": "stir pot", "verb": "stir", "noun": "pot", "all_nouns": "['pot']",
         "all_noun_classes": "[5]"},
        {"narration_id": "b", "video_id": VIDEO, "start_frame": 60, "stop_frame": 90,
         "narration": "open tap", "verb": "open", "noun": "tap", "all_nouns": "['tap']",
         "all_noun_classes": "[0]"},
    ]  # fmt: skip
    with new_store(tmp_path) as store:
        report = import_epic_narrations(store, write_narrations(tmp_path, rows))
        assert [a.end_frame for a in store.actions()] == [39]
        assert len(report.skipped) == 1 and "outside the clip" in report.skipped[0]


def _row(**change):
    row = {"narration_id": "x", "video_id": VIDEO, "start_frame": 2, "stop_frame": 9,
           "narration": "take cup", "verb": "take", "noun": "cup", "all_nouns": "['cup']",
           "all_noun_classes": "[9]"}  # fmt: skip
    row.update(change)
    return row


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row(all_nouns="__import__('os').system('touch HACKED')"), "not a Python list literal"),
        (_row(all_noun_classes="['cup']"), "list of int"),
        (_row(all_noun_classes="[True]"), "list of int"),
        (_row(all_nouns="{'cup': 1}"), "list of str"),
        (_row(start_frame="two"), "not an integer"),
        (_row(start_frame=9, stop_frame=2), "before start_frame"),
        (_row(narration="  "), "narration is empty"),
        (_row(start_frame=""), "start_frame is empty"),
    ],
)
def test_bad_rows_are_refused_and_the_store_is_untouched(tmp_path, monkeypatch, row, message):
    monkeypatch.chdir(tmp_path)
    csv_path = write_narrations(tmp_path, [_row(narration_id="ok"), row])
    store = new_store(tmp_path)
    store.close()
    before = digest(store.path)
    with Store.open(store.path) as s, pytest.raises(InputError, match=message):
        import_epic_narrations(s, csv_path)
    assert digest(store.path) == before
    assert not (tmp_path / "HACKED").exists()


def test_a_file_that_is_not_a_narration_csv_is_named(tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    with new_store(tmp_path) as store:
        with pytest.raises(InputError, match="lacks the columns"):
            import_epic_narrations(store, bad)
        with pytest.raises(InputError, match="does not exist"):
            import_epic_narrations(store, tmp_path / "nope.csv")
        with pytest.raises(InputError, match="no narrations of video"):
            import_epic_narrations(store, write_narrations(tmp_path), video="P42_42")
