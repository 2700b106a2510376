"""A writer killed with SIGKILL at random instants always leaves the last save readable.

Each save k rewrites several frames, an activity flag and an action's narration, all derived
from k, so a reopened store must match one k exactly (never a mix of two saves), and that k
must be the last one the writer reported saved or the one it was saving when killed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from actionvos.store import FrameState, Source, Store

N_FRAMES, H, W = 6, 48, 64
WRITER = r"""
import sys
import numpy as np
from actionvos.store import FrameState, Source, Store
sys.path.insert(0, sys.argv[2])
from test_store_kill import N_FRAMES, pattern, step_of

store = Store.open(sys.argv[1])
k = step_of(store)
print("ready", k, flush=True)
while True:
    k += 1
    for f in range(N_FRAMES):
        store.set_masks(f, pattern(k, f), FrameState.HUMAN)
    store.set_activity(1, 1, k % 2 == 0, source=Source.HUMAN)
    store.update_action(1, narration=f"step {k}")
    store.save()
    print("saved", k, flush=True)
"""


def pattern(k: int, f: int) -> np.ndarray:
    """Frame f's labels after save k: a box whose place and object depend on both."""
    out = np.zeros((H, W), dtype=np.uint16)
    y, x = (k * 7 + f * 3) % (H - 10), (k * 5 + f * 11) % (W - 10)
    out[y : y + 10, x : x + 10] = 1 + (k + f) % 3
    out[(k + f) % H, :] = 1 + (k * f) % 3
    return out


def step_of(store: Store) -> int:
    return int(store.action(1).narration.split()[1])


def _check_consistent(store: Store) -> int:
    k = step_of(store)
    for f in range(N_FRAMES):
        got = store.read_frame(f)
        expected = pattern(k, f) if k > 0 else np.zeros((H, W), np.uint16)
        assert np.array_equal(got, expected), f"frame {f} is not from save {k}"
    if k > 0:
        assert store.activity(1)[1].active == (k % 2 == 0)
        assert store.frame_state(0) is FrameState.HUMAN
    return k


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_at_random_moments_never_loses_the_last_save(tmp_path: Path) -> None:
    path = tmp_path / "clip.actionvos"
    with Store.create(path, n_frames=N_FRAMES, height=H, width=W) as store:
        for name in ("a", "b", "c"):
            store.add_object(name)
        store.add_action("step 0", 0, N_FRAMES - 1)
        store.set_activity(1, 1, None, source=Source.RULE)
    rng = random.Random(1234)
    last_acked = 0
    kills = 0
    deadline = time.monotonic() + 25
    tests_dir = str(Path(__file__).parent)
    while kills < 22 and time.monotonic() < deadline:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tests_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if kills % 4 == 3:
            time.sleep(rng.uniform(0.2, 0.45))  # may land during import, open or recovery
        else:
            line = proc.stdout.readline()
            assert line.startswith("ready"), proc.stderr.read()
            time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        kills += 1
        acked = [int(s.split()[1]) for s in out.splitlines() if s.startswith("saved")]
        assert "Traceback" not in err, err
        if acked:
            last_acked = acked[-1]
        with Store.open(path, read_only=True) as reader:  # before any recovery ran
            k_reader = _check_consistent(reader)
        with Store.open(path) as writer:  # recovery rolls forward or drops staged files
            k = _check_consistent(writer)
            assert not any((path / "staging").iterdir()), "staged files were left behind"
        assert k == k_reader
        assert k in (last_acked, last_acked + 1), (k, last_acked)
        last_acked = k
    assert kills >= 20
    assert last_acked > 0, "the writer never got to save; the test did not test anything"
