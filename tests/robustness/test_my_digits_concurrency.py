"""My digits shared by several processes and windows (issue 14, defect 1): nothing is lost, ids stay unique,
and a lock held elsewhere is reported as a failed save that changes nothing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mnist_gui.ml.my_digits import MyDigits, default_path
from tests.gui_helpers import draw_polyline

SEVEN = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]
ONE = [(0.5, 0.2), (0.5, 0.8)]

# A writer process: opens the collection, then on each "add K" line adds K digits whose first pixels say
# (writer, serial number) and answers "ok"; the test drives it through stdin (no sleeps, no timing).
WRITER = """
import sys
from pathlib import Path
import numpy as np
from mnist_gui.ml.my_digits import MyDigits
path, tag, serial = Path(sys.argv[1]), int(sys.argv[2]), 0
coll, warning = MyDigits.open(path)
assert warning == "", warning
print("ready", flush=True)
for line in sys.stdin:
    for _ in range(int(line.split()[1])):
        img = np.zeros((28, 28), np.uint8)
        img[0, 0], img[0, 1] = tag, serial
        coll.add(img, tag)
        serial += 1
    print("ok", flush=True)
"""

HOLDER = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _start(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def lock_held_elsewhere():
    """Another process holds the My digits lock until the test ends."""
    procs = []

    def hold(path):
        p = _start(HOLDER, path.with_name(path.name + ".lock"))
        procs.append(p)
        assert p.stdout.readline().strip() == "held", p.stderr.read()

    yield hold
    for p in procs:
        p.communicate("\n", timeout=60)


def test_two_processes_writing_my_digits_keep_every_digit_with_unique_ids(tmp_path):
    """Two real processes on one file: first taking turns (each adds on top of a collection the other has
    changed since it last looked, as two windows do), then adding as fast as they can at the same time."""
    path, turns, burst = tmp_path / "my.npz", 6, 25
    seed, _ = MyDigits.open(path)
    seed.add(np.zeros((28, 28), np.uint8), 0)
    procs = [_start(WRITER, path, tag) for tag in (1, 2)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()

        def send(p, k):
            p.stdin.write(f"add {k}\n")
            p.stdin.flush()

        for _ in range(turns):
            for p in procs:
                send(p, 1)
                assert p.stdout.readline().strip() == "ok", p.stderr.read()
        for p in procs:  # both at once: only the lock keeps them apart
            send(p, burst)
        for p in procs:
            assert p.stdout.readline().strip() == "ok", p.stderr.read()
        results = [p.communicate(timeout=60) for p in procs]  # stdin closed: the writers exit
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    n = turns + burst
    coll, warning = MyDigits.open(path)
    assert warning == "" and len(coll) == 2 * n + 1
    assert sorted(coll.ids.tolist()) == list(range(1, 2 * n + 2)), "unique ids, none skipped or reused"
    written = sorted((int(coll.x[k, 0, 0]), int(coll.x[k, 0, 1])) for k in range(1, len(coll)))
    assert written == sorted((tag, i) for tag in (1, 2) for i in range(n)), "every digit of both writers is there"
    assert (coll.y[1:] == coll.x[1:, 0, 0]).all(), "each digit kept its own label"
    assert coll.x[1:1 + 2 * turns, 0, 0].tolist() == [1, 2] * turns, "the turns were stored in the order they were taken"


def test_lock_held_by_another_process_fails_cleanly_and_changes_nothing(tmp_path, lock_held_elsewhere):
    path = tmp_path / "my.npz"
    coll, _ = MyDigits.open(path)
    coll.add(np.zeros((28, 28), np.uint8), 3)
    before = path.read_bytes()
    coll.lock_timeout = 0.3
    lock_held_elsewhere(path)
    with pytest.raises(OSError, match="another mnist-gui window or command"):
        coll.add(np.ones((28, 28), np.uint8), 4)
    assert path.read_bytes() == before and coll.y.tolist() == [3]
    assert not coll.refresh()


def test_two_windows_adding_digits_lose_nothing(start_window):
    """The issue's report with two windows: each adds to the file what it drew, and each sees the other's."""
    a, b = start_window(), start_window()
    draw_polyline(a.draw_tab.canvas, SEVEN)
    assert a.draw_tab.add_to_my_digits(7)
    draw_polyline(b.draw_tab.canvas, ONE)
    assert b.draw_tab.add_to_my_digits(1)
    draw_polyline(a.draw_tab.canvas, ONE)
    assert a.draw_tab.add_to_my_digits(1)
    disk = MyDigits.open(default_path())[0]
    assert disk.y.tolist() == [7, 1, 1] and disk.ids.tolist() == [1, 2, 3]
    assert a.state.my_digits.ids.tolist() == [1, 2, 3], "A's edit merged B's digit"
    assert b.state.my_digits.refresh() and b.state.my_digits.y.tolist() == [7, 1, 1]


def test_window_reports_a_busy_lock_and_keeps_the_drawing(start_window, lock_held_elsewhere, monkeypatch):
    w = start_window()
    monkeypatch.setattr(w.state.my_digits, "lock_timeout", 0.3)
    lock_held_elsewhere(default_path())
    draw_polyline(w.draw_tab.canvas, SEVEN)
    assert not w.draw_tab.add_to_my_digits(7)
    assert "another mnist-gui window or command" in w.last_error and "still on the canvas" in w.last_error
    assert len(w.state.my_digits) == 0 and not w.draw_tab.canvas.is_empty() and not default_path().exists()
