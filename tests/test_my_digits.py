"""My digits: a crash-safe collection of the user's drawings, its held-out split, import and export."""

from __future__ import annotations

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
    assert [p.name for p in tmp_path.iterdir()] == ["my.npz"], "no temp file left behind"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "inconsistent", "pickle"])
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
