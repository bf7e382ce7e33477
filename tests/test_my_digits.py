"""My digits: a crash-safe collection of the user's drawings, its held-out split, import and export."""

from __future__ import annotations

import io
import os
import re
import zipfile

import numpy as np
import pytest

from mnist_gui.errors import DataError
from mnist_gui.ml.my_digits import HOLDOUT_FRACTION, MyDigits, PenStroke


def _stroke(n: int = 5, width: float = 0.06) -> PenStroke:
    t = np.linspace(0.2, 0.8, n, dtype=np.float32)
    return PenStroke(np.stack([t, t[::-1]], axis=1), width)


def test_add_persists_strokes_and_image(tmp_path, mnist):
    path = tmp_path / "my.npz"
    coll, warning = MyDigits.open(path)
    assert warning == "" and len(coll) == 0 and not path.exists()
    i1 = coll.add(mnist.x_train[0], 5, (_stroke(4), _stroke(7, 0.1)))
    i2 = coll.add(mnist.x_train[1].astype(np.float32) / 255, 0)
    again, warning = MyDigits.open(path)
    assert warning == "" and list(again.ids) == [i1, i2] and list(again.y) == [5, 0]
    assert np.array_equal(again.x[0], mnist.x_train[0]) and np.array_equal(again.x[1], mnist.x_train[1])
    assert [len(s.points) for s in again.strokes[0]] == [4, 7] and again.strokes[1] == ()
    assert again.strokes[0][1].width == pytest.approx(0.1)
    np.testing.assert_allclose(again.strokes[0][0].points, _stroke(4).points)


def test_relabel_and_delete(tmp_path, mnist):
    coll, _ = MyDigits.open(tmp_path / "my.npz")
    ids = [coll.add(mnist.x_train[i], int(mnist.y_train[i])) for i in range(5)]
    coll.relabel([ids[1], ids[3]], 9)
    assert coll.delete([ids[0], 12345]) == 1
    again, _ = MyDigits.open(tmp_path / "my.npz")
    assert list(again.ids) == ids[1:] and again.y[0] == 9 and again.y[2] == 9
    assert again.add(mnist.x_train[9], 1) == ids[-1] + 1, "ids are never reused"


def test_failed_save_keeps_collection_and_file(tmp_path, mnist, monkeypatch):
    path = tmp_path / "my.npz"
    coll, _ = MyDigits.open(path)
    coll.add(mnist.x_train[0], 5)
    before = path.read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full_disk)
    with pytest.raises(OSError):
        coll.add(mnist.x_train[1], 0)
    assert len(coll) == 1 and path.read_bytes() == before
    # the inter-process lock file (my.npz.lock) may stay: it is not a temp file and holds no data
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".lock"] == ["my.npz"], "no temp file left behind"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "inconsistent", "pickle", "raw member", "npy member not an array"])
def test_unreadable_file_is_moved_aside_not_overwritten(tmp_path, mnist, damage):
    path = tmp_path / "my.npz"
    coll, _ = MyDigits.open(path)
    for i in range(3):
        coll.add(mnist.x_train[i], int(mnist.y_train[i]), (_stroke(),))
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a zip at all")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "inconsistent":
        with np.load(path) as z:
            arrays = dict(z)
        arrays["digit_strokes"] = arrays["digit_strokes"][:-1]
        np.savez(path, **arrays)
    elif damage in ("raw member", "npy member not an array"):  # x.npy stored as x (KeyError before), or not an array
        with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(path, "w") as dst:
            for name in src.namelist():
                renamed = ("x" if damage == "raw member" else "x.old") if name == "x.npy" else name
                dst.writestr(renamed, src.read(name))
            if damage != "raw member":
                dst.writestr("x.npy", b"not an array")
    else:
        np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        with zipfile.ZipFile(path, "w") as z:
            z.write(tmp_path / "obj.npy", "x.npy")
        os.remove(tmp_path / "obj.npy")
    damaged = path.read_bytes()
    coll, warning = MyDigits.open(path)
    assert len(coll) == 0 and "kept as" in warning
    aside = [p for p in tmp_path.iterdir() if "unreadable" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    coll.add(mnist.x_train[0], 5)
    assert MyDigits.open(path)[0].y.tolist() == [5]


def test_holdout_is_stratified_and_stable(tmp_path, mnist):
    coll, _ = MyDigits.open(tmp_path / "my.npz")
    for i in range(40):
        coll.add(mnist.x_train[i], i % 4)
    held = coll.holdout_mask()
    for d in range(4):
        assert abs(held[coll.y == d].mean() - HOLDOUT_FRACTION) <= 0.1, "each label held out in proportion"
    held_ids = set(coll.ids[held].tolist())
    for i in range(40, 60):
        coll.add(mnist.x_train[i], i % 4)
    assert held_ids <= set(coll.ids[coll.holdout_mask()].tolist()), "a held-out digit stays held out"


def test_export_import_round_trip(tmp_path, mnist):
    coll, _ = MyDigits.open(tmp_path / "my.npz")
    for i in range(12):
        coll.add(mnist.x_train[i], int(mnist.y_train[i]))
    out = tmp_path / "export.npz"
    coll.export_npz(out)
    with np.load(out) as z:
        assert sorted(z.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert len(z["x_train"]) + len(z["x_test"]) == 12 and z["x_train"].dtype == np.uint8
    other, _ = MyDigits.open(tmp_path / "other.npz")
    assert other.import_npz(out) == 12
    assert sorted(map(bytes, other.x)) == sorted(map(bytes, coll.x))
    assert other.import_npz(tmp_path / "export.npz") == 12 and len(other) == 24


@pytest.mark.parametrize("arrays, message", [
    ({"x_train": np.zeros((3, 28, 27), np.uint8), "y_train": np.zeros(3, np.uint8)}, "expected (N, 28, 28)"),
    ({"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.full(3, 11)}, "outside 0-9"),
    ({"x_train": np.zeros((3, 28, 28), np.uint8)}, "only one of"),
    ({"images": np.zeros((3, 28, 28), np.uint8)}, "Keras MNIST layout"),
    ({"x_train": np.zeros((2, 28, 28), np.uint8), "y_train": np.zeros(3, np.uint8)}, "labels"),
    ({"x_train": np.full((1, 28, 28), np.nan), "y_train": np.zeros(1, np.uint8)}, "uint8 pixels"),
])
def test_import_rejects_bad_files_and_changes_nothing(tmp_path, mnist, arrays, message):
    coll, _ = MyDigits.open(tmp_path / "my.npz")
    coll.add(mnist.x_train[0], 5)
    before = (tmp_path / "my.npz").read_bytes()
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(DataError, match=re.escape(message)):
        coll.import_npz(bad)
    assert len(coll) == 1 and (tmp_path / "my.npz").read_bytes() == before


def test_bad_digit_values_are_refused(tmp_path):
    coll, _ = MyDigits.open(tmp_path / "my.npz")
    with pytest.raises(DataError, match="28×28"):
        coll.add(np.zeros((20, 20)), 1)
    with pytest.raises(DataError, match="label"):
        coll.add(np.zeros((28, 28)), 10)
    assert len(coll) == 0 and not (tmp_path / "my.npz").exists()


# --- two instances on one file (issue 14, defect 1) and damaged fields (defect 2) -------------------------
def test_two_instances_on_one_file_keep_every_digit_with_unique_ids(tmp_path, mnist):
    """The issue's scenario: A adds two 1s, B adds a 1, A adds a 2 → all four; B adds a 7 → five."""
    path = tmp_path / "my.npz"
    a, _ = MyDigits.open(path)
    b, _ = MyDigits.open(path)
    ids = [a.add(mnist.x_train[0], 1, (_stroke(),)), a.add(mnist.x_train[1], 1), b.add(mnist.x_train[2], 1, (_stroke(3),)),
           a.add(mnist.x_train[3], 2)]
    assert MyDigits.open(path)[0].y.tolist() == [1, 1, 1, 2]
    ids.append(b.add(mnist.x_train[4], 7))
    disk, warning = MyDigits.open(path)
    assert warning == "" and disk.y.tolist() == [1, 1, 1, 2, 7]
    assert disk.ids.tolist() == ids and len(set(ids)) == 5, "ids are unique across instances"
    assert all(np.array_equal(disk.x[i], mnist.x_train[i]) for i in range(5))
    assert [len(s) for s in disk.strokes] == [1, 0, 1, 0, 0] and len(disk.strokes[2][0].points) == 3
    assert b.ids.tolist() == ids and len(a) == 4, "an edit leaves the merged result in memory"


def test_relabel_and_delete_merge_with_the_other_instance(tmp_path, mnist):
    path = tmp_path / "my.npz"
    a, _ = MyDigits.open(path)
    ids = [a.add(mnist.x_train[i], 3) for i in range(4)]
    b, _ = MyDigits.open(path)
    assert a.delete([ids[1]]) == 1
    b.relabel([ids[1], ids[2]], 9)  # ids[1] is gone already: ignored, never resurrected
    assert b.delete([ids[3]]) == 1
    a.relabel([ids[0]], 0)
    assert a.delete([ids[3]]) == 0, "already deleted by the other instance"
    disk = MyDigits.open(path)[0]
    assert disk.ids.tolist() == [ids[0], ids[2]] and disk.y.tolist() == [0, 9]
    new = b.add(mnist.x_train[9], 5)
    assert new == ids[3] + 1, "the deleted newest id is never handed out again"
    assert a.delete([new]) == 1 and b.add(mnist.x_train[8], 5) == new + 1


def test_refresh_picks_up_what_another_instance_wrote(tmp_path, mnist):
    path = tmp_path / "my.npz"
    a, _ = MyDigits.open(path)
    b, _ = MyDigits.open(path)
    assert not b.refresh(), "no file yet: nothing to pick up"
    a.add(mnist.x_train[0], 4)
    assert b.refresh() and b.y.tolist() == [4] and not b.refresh()
    b.add(mnist.x_train[1], 6)
    assert not b.refresh(), "its own write is not a change"
    a.delete(a.ids)  # A still shows only its own digit: the delete merges B's 6 and keeps it
    assert a.y.tolist() == [6] and not a.refresh()
    assert b.refresh() and b.y.tolist() == [6]


def test_holdout_split_is_the_same_and_stable_across_instances(tmp_path, mnist):
    path = tmp_path / "my.npz"
    a, _ = MyDigits.open(path)
    b, _ = MyDigits.open(path)
    for i in range(24):
        (a if i % 3 else b).add(mnist.x_train[i], i % 2)
    a.refresh()
    b.refresh()
    held = set(a.ids[a.holdout_mask()].tolist())
    assert held == set(b.ids[b.holdout_mask()].tolist()) and len(held) == 6
    for i in range(24, 40):
        (b if i % 2 else a).add(mnist.x_train[i], i % 2)
    a.refresh()
    assert held <= set(a.ids[a.holdout_mask()].tolist()), "a held-out digit stays held out"


def test_lock_held_by_another_holder_is_a_clear_error_and_changes_nothing(tmp_path, mnist):
    from filelock import FileLock

    path = tmp_path / "my.npz"
    coll, _ = MyDigits.open(path)
    first = coll.add(mnist.x_train[0], 5)
    np.savez(tmp_path / "in.npz", x_train=mnist.x_train[:2], y_train=mnist.y_train[:2])
    before = path.read_bytes()
    coll.lock_timeout = 0.2
    with FileLock(tmp_path / "my.npz.lock"):
        for edit in (lambda: coll.add(mnist.x_train[1], 1), lambda: coll.relabel([first], 2),
                     lambda: coll.delete([first]), lambda: coll.import_npz(tmp_path / "in.npz")):
            with pytest.raises(OSError, match="another mnist-gui window or command") as err:
                edit()
            assert "try again" in err.value.strerror
            assert path.read_bytes() == before and coll.ids.tolist() == [first] and coll.y.tolist() == [5]
        assert coll.refresh() is False, "refresh never raises: it tries again later"
    assert coll.add(mnist.x_train[1], 1) == first + 1, "works again once the lock is free"


def _damaged_copy(path, mnist, **changes):
    """A valid three-digit file, then ``changes`` applied to its arrays (None removes one)."""
    coll, _ = MyDigits.open(path)
    for i in range(3):
        coll.add(mnist.x_train[i], int(mnist.y_train[i]), (_stroke(),))
    with np.load(path) as z:
        arrays = dict(z)
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("changes", [
    {"version": np.array([1, 2])}, {"version": np.array("abc")}, {"version": np.array(np.nan)}, {"version": None},
    {"version": np.array(0)}, {"version": np.array(1.0)}, {"version": np.array([[1]])}, {"version": np.array(2)},
    {"created": np.array(["a", "b", "c"])}, {"created": np.array([1.0, np.nan, 2.0])}, {"ids": np.array([1.0, 2.0, 3.0])},
    {"ids": np.array([1, 1, 2])}, {"ids": np.array([-3, 1, 2])}, {"stroke_width": np.array([0.1, np.nan, 0.1], np.float32)},
    {"stroke_eraser": np.array(["no", "no", "no"])}, {"points": np.full((15, 2), np.inf, np.float32)},
    {"next_id": np.array([7, 8])}, {"next_id": np.array(0)}, {"digit_strokes": np.array([0, 2, 1, 3], np.uint64)},
    {"y": np.array(["1", "2", "3"])}, {"x": np.zeros((3, 28, 28), complex)},
], ids=lambda c: ",".join(f"{k}={'missing' if v is None else str(v.tolist())[:12]}" for k, v in c.items()))
def test_damaged_field_is_moved_aside_and_a_new_collection_starts(tmp_path, mnist, changes):
    path = tmp_path / "my.npz"
    _damaged_copy(path, mnist, **changes)
    damaged = path.read_bytes()
    coll, warning = MyDigits.open(path)  # never raises
    assert len(coll) == 0 and "kept as" in warning and str(path) in warning
    aside = [p for p in tmp_path.iterdir() if "unreadable" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged and aside[0].name.startswith("my.unreadable-")
    coll.add(mnist.x_train[0], 5)
    assert MyDigits.open(path)[0].y.tolist() == [5]


def test_file_without_next_id_from_earlier_releases_still_loads(tmp_path, mnist):
    path = tmp_path / "my.npz"
    _damaged_copy(path, mnist, next_id=None)
    coll, warning = MyDigits.open(path)
    assert warning == "" and coll.ids.tolist() == [1, 2, 3] and len(coll.strokes[2]) == 1
    assert coll.add(mnist.x_train[5], 1) == 4
    with np.load(path) as z:
        assert int(z["version"]) == 1 and int(z["next_id"]) == 5, "still format 1: earlier releases read it"
