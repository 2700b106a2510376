"""SIGKILL a store writer at random moments during saves and imports; count what breaks.

Child processes write step after step into one store: a *save* step rewrites every frame,
an activity flag and the action's narration, then saves; an *import* step writes the same
frames as a palette-PNG folder and imports it with ``--overwrite`` semantics (which saves).
Everything a step writes is derived from its number k, so a reopened store must match one
k exactly, and that k must be the last one a child reported done or the one it was doing.

After each kill the store is reopened read-only (before any recovery), then for writing
(recovery runs), then fully checked (``Store.check``). Reported per kind of child:

* unreadable: the store could not be opened, or ``check`` found problems (goal 0);
* lost: the store is older than the last step reported done (goal 0);
* mixed: frames or rows from two different steps (goal 0).

Usage: python bench/kill_store.py [--kills 100] [--seed 1] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from actionvos.store import FrameState, Source, Store

N_FRAMES, H, W = 6, 48, 64
NAMES = ("a", "b", "c")

CHILD = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from kill_store import child
child(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
"""


def pattern(k: int, f: int) -> np.ndarray:
    """Frame f's labels after step k: a box whose place and object depend on both."""
    out = np.zeros((H, W), dtype=np.uint16)
    y, x = (k * 7 + f * 3) % (H - 10), (k * 5 + f * 11) % (W - 10)
    out[y : y + 10, x : x + 10] = 1 + (k + f) % 3
    out[(k + f) % H, :] = 1 + (k * f) % 3
    return out


def _write_pngs(folder: Path, store: Store, k: int) -> None:
    from actionvos.formats.palette_folder import OBJECTS_FILE
    from actionvos.palette import write_palette_png

    folder.mkdir(parents=True, exist_ok=True)
    objects = {str(i + 1): {"name": name} for i, name in enumerate(NAMES)}
    (folder / OBJECTS_FILE).write_text(json.dumps(objects), encoding="utf-8")
    for f in range(N_FRAMES):
        write_palette_png(folder / f"{store.frame_name(f)}.png", pattern(k, f).astype(np.uint8))


def child(path: Path, kind: str, work: Path) -> None:
    """Write steps forever (until killed), printing each one done."""
    from actionvos.formats.palette_folder import import_palette_folder

    store = Store.open(path)
    k = int((work / "step").read_text())
    print("ready", k, flush=True)
    while True:
        k += 1
        if kind == "save":
            for f in range(N_FRAMES):
                store.set_masks(f, pattern(k, f), FrameState.HUMAN)
            store.set_activity(1, 1, k % 2 == 0, source=Source.HUMAN)
            store.update_action(1, narration=f"step {k}")
            store.save()
        else:
            folder = work / f"import-{k}"
            _write_pngs(folder, store, k)
            import_palette_folder(store, folder, overwrite=True)
            shutil.rmtree(folder)
        print("done", k, kind, flush=True)


def step_of(store: Store, candidates: list[int]) -> int | None:
    """The step whose frames the store holds, among the candidates; None if none or mixed."""
    frames = store.read_frames(range(N_FRAMES))
    blank = np.zeros((H, W), np.uint16)
    for k in candidates:
        if all(np.array_equal(frames[f], pattern(k, f) if k else blank) for f in range(N_FRAMES)):
            return k
    return None


@dataclass
class Tally:
    kills: int = 0
    during_work: int = 0
    steps_done: int = 0
    in_flight_landed: int = 0
    unreadable: int = 0
    lost: int = 0
    mixed: int = 0
    notes: list[str] = field(default_factory=list)


def _inspect(path: Path, last_done: int, kinds: dict[int, str], tally: Tally) -> int:
    """Reopen after a kill; returns the step the store is at (or last_done if unknown)."""
    try:
        with Store.open(path, read_only=True) as reader:
            k_reader = step_of(reader, list(range(last_done + 1, -1, -1)))
        with Store.open(path) as writer:
            k = step_of(writer, list(range(last_done + 1, -1, -1)))
            problems = writer.check()
            if any((path / "staging").iterdir()):
                problems.append("staged files left behind after recovery")
            if k is not None and kinds.get(k) == "save":
                if writer.action(1).narration != f"step {k}":
                    problems.append(f"narration {writer.action(1).narration!r} is not step {k}")
                if writer.activity(1)[1].active != (k % 2 == 0):
                    problems.append(f"activity flag is not from step {k}")
    except Exception as exc:  # noqa: BLE001 - counting every way a store fails to open
        tally.unreadable += 1
        tally.notes.append(f"unreadable: {type(exc).__name__}: {exc}")
        return last_done
    if problems:
        tally.unreadable += 1
        tally.notes.extend(problems)
    if k is None or k != k_reader:
        tally.mixed += 1
        tally.notes.append(f"no single step matches (reader {k_reader}, writer {k})")
        return last_done
    if k < last_done:
        tally.lost += 1
        tally.notes.append(f"store at step {k}, but step {last_done} was reported done")
    if k == last_done + 1:
        tally.in_flight_landed += 1
    return k


def run(kills: int, seed: int, root: Path) -> dict[str, Tally]:
    path = root / "clip.actionvos"
    with Store.create(path, n_frames=N_FRAMES, height=H, width=W) as store:
        for name in NAMES:
            store.add_object(name)
        store.add_action("step 0", 0, N_FRAMES - 1)
        store.set_activity(1, 1, None, source=Source.RULE)
    work = root / "work"
    work.mkdir()
    (work / "step").write_text("0")
    rng = random.Random(seed)
    tallies = {"save": Tally(), "import": Tally()}
    kinds: dict[int, str] = {}
    last_done = 0
    here = str(Path(__file__).resolve().parent)
    for n in range(kills):
        kind = "save" if n % 2 == 0 else "import"
        tally = tallies[kind]
        (work / "step").write_text(str(last_done))
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), kind, str(work), here],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if n % 5 == 4:
            time.sleep(rng.uniform(0.05, 0.6))  # may land while starting, opening, recovering
        else:
            line = proc.stdout.readline()
            if not line.startswith("ready"):
                proc.kill()
                raise RuntimeError(f"child failed to start: {proc.communicate()[1]}")
            tally.during_work += 1
            time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        tally.kills += 1
        if "Traceback" in err:
            tally.notes.append(f"child raised: {err.strip().splitlines()[-1]}")
        done = [int(s.split()[1]) for s in out.splitlines() if s.startswith("done")]
        tally.steps_done += len(done)
        for k in range(last_done + 1, (done[-1] if done else last_done) + 2):
            kinds[k] = kind
        if done:
            last_done = done[-1]
        last_done = _inspect(path, last_done, kinds, tally)
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the store for a look")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="kill_store-"))
    start = time.monotonic()
    try:
        tallies = run(args.kills, args.seed, root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    cols = ("kills", "during_work", "steps_done", "in_flight_landed", "unreadable", "lost", "mixed")
    print(f"{'child':8s} " + " ".join(f"{c:>16s}" for c in cols))
    for kind, t in tallies.items():
        print(f"{kind:8s} " + " ".join(f"{getattr(t, c):16d}" for c in cols))
    total = {c: sum(getattr(t, c) for t in tallies.values()) for c in cols}
    print(f"{'total':8s} " + " ".join(f"{total[c]:16d}" for c in cols))
    print(f"goal: unreadable 0, lost 0, mixed 0; {time.monotonic() - start:.0f} s")
    for t in tallies.values():
        for note in t.notes:
            print("  ", note)
    if args.keep:
        print(f"store kept at {root}")
    return 0 if all(t.unreadable == t.lost == t.mixed == 0 for t in tallies.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
