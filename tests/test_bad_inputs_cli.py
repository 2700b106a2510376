"""The failure corpus at the command line: full and read-only disks, system errors, bugs.

A system ``OSError`` (or SQLite's full disk) becomes one line naming the path and the cause,
with no traceback and no temporary file left behind; anything else is a bug and keeps its
traceback. Real disks are a 256 KiB tmpfs where ``mount`` is allowed (root), else skipped;
a simulated ``ENOSPC`` runs everywhere.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bad_input_cases import cut_file, make_labelled_store, write_mp4
from digest import store_digest

from actionvos.io import open_clip
from actionvos.store import Store


@pytest.fixture
def labelled_store(tmp_path) -> Path:
    return make_labelled_store(tmp_path)


# ------------------------------------------------------------------ disks and the CLI


def _cli(capsys, *argv: str) -> tuple[int, str]:
    from actionvos.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KiB tmpfs (root and mount(8) needed; skipped elsewhere)."""
    import subprocess

    where = tmp_path / "disk"
    where.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here: {exc}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def _remount_read_only(where: Path) -> None:
    import subprocess

    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def test_an_os_error_becomes_one_line_naming_the_path(labelled_store, capsys) -> None:
    target = "/dev/null/labels.json"  # a path under a file: fails the same for root
    code, err = _cli(capsys, "store", "export", str(labelled_store), "coco", target)
    assert code == 1
    assert "Traceback" not in err
    assert "cannot use /dev/null/labels.json: Not a directory" in err and "check the path" in err


def test_a_bug_keeps_its_traceback_and_says_to_report_it(monkeypatch, capsys) -> None:
    import actionvos.cli.store as store_cli

    def broken(args):
        raise ZeroDivisionError("a bug in the code")

    monkeypatch.setattr(store_cli, "cmd_check", broken)
    code, err = _cli(capsys, "store", "check", "whatever.actionvos")
    assert code == 70
    assert "Traceback" in err and "ZeroDivisionError: a bug in the code" in err
    assert "this is a bug in actionvos" in err and "issue tracker" in err


def test_a_failed_export_write_leaves_the_old_file_and_no_temporary(
    tmp_path, labelled_store, monkeypatch, capsys
) -> None:
    import errno

    import actionvos.formats.atomic as atomic

    out = tmp_path / "labels.json"
    out.write_text("the previous export")

    def disk_full(self, text, encoding=None):
        with open(self, "w", encoding=encoding) as f:
            f.write(text[:10])  # part of it got out before the disk filled
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(atomic.Path, "write_text", disk_full)
    before = store_digest(labelled_store)
    code, err = _cli(capsys, "store", "export", str(labelled_store), "coco", str(out))
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert out.read_text() == "the previous export"
    assert _leftovers(tmp_path) == []
    assert store_digest(labelled_store) == before


def test_palette_export_onto_a_full_disk(small_disk, labelled_store, capsys) -> None:
    (small_disk / "filler").write_bytes(b"\0" * (256 * 1024 - 4096))
    out = small_disk / "masks"
    code, err = _cli(capsys, "store", "export", str(labelled_store), "palette", str(out))
    assert code == 1
    assert "No space left on device" in err and "free some space" in err
    assert _leftovers(small_disk) == []
    assert not (out / "00010.png").exists() or (out / "00010.png").stat().st_size > 0


def test_read_only_disk_in_export_create_and_undo(small_disk, labelled_store, capsys) -> None:
    code, _ = _cli(capsys, "store", "create", "--frames", "3", "--height", "8", "--width", "8",
                   "--store", str(small_disk / "kept.actionvos"))  # fmt: skip
    assert code == 0
    clip = write_mp4(small_disk.parent, 8)
    _remount_read_only(small_disk)
    for argv in (
        ("store", "export", str(labelled_store), "coco", str(small_disk / "labels.json")),
        ("store", "export", str(labelled_store), "palette", str(small_disk / "masks")),
        ("store", "create", "--frames", "3", "--height", "8", "--width", "8", "--store",
         str(small_disk / "new.actionvos")),
        ("store", "undo", str(small_disk / "kept.actionvos")),
        ("predict", str(clip), "--narration", "cut apple", "--objects", "knife",
         "--checkpoint", str(small_disk / "no-model"), "--out", str(small_disk / "pred")),
    ):  # fmt: skip
        code, err = _cli(capsys, *argv)
        assert code == 1, argv
        assert "Traceback" not in err, err
        assert "Read-only file system" in err or "read-only" in err, err
    assert not (small_disk / "new.actionvos").exists()


def test_store_create_sizes_the_store_by_the_frames_that_decode(tmp_path, capsys) -> None:
    full = write_mp4(tmp_path, 40, container_options={"movflags": "faststart"})
    cut = cut_file(full, tmp_path / "cut.mp4", 0.5)
    code, err = _cli(capsys, "store", "create", str(cut))
    assert code == 0
    assert "claims 40 frames but only" in err
    with (
        Store.open(tmp_path / "cut.mp4.actionvos", read_only=True) as store,
        open_clip(cut) as clip,
    ):
        assert store.n_frames == clip.verify_frame_count() < 40
        clip[store.n_frames - 1]  # the store's last frame decodes


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (OSError(28, "No space left on device", "/data/x.png"), "/data/x.png: No space left"),
        (OSError(30, "Read-only file system", "/mnt/ro/x"), "choose a folder on a writable"),
        (sqlite3.OperationalError("database or disk is full"), "database or disk is full"),
    ],
)
def test_environment_failures_are_one_line(monkeypatch, capsys, error, shown) -> None:
    import actionvos.cli.store as store_cli

    def fails(args):
        raise error

    monkeypatch.setattr(store_cli, "cmd_check", fails)
    code, err = _cli(capsys, "store", "check", "whatever.actionvos")
    assert code == 1 and shown in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_other_sqlite_errors_are_bugs(monkeypatch, capsys) -> None:
    import actionvos.cli.store as store_cli

    def fails(args):
        raise sqlite3.OperationalError("no such column: colour")

    monkeypatch.setattr(store_cli, "cmd_check", fails)
    code, err = _cli(capsys, "store", "check", "whatever.actionvos")
    assert code == 70 and "Traceback" in err and "no such column" in err
