"""Loading MNIST from the bundle, npz files and IDX folders; every bad input gives a clear DataError."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from mnist_gui.errors import DataError
from mnist_gui.ml.data import IDX_NAMES, load_mnist, one_hot, rescale
from tests.conftest import save_npz


def _idx_bytes(a: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    return header + a.astype(np.uint8).tobytes()


def _write_idx_dir(folder: Path, arrays: dict[str, np.ndarray], gz: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_NAMES.items():
        data = _idx_bytes(arrays[key])
        if gz:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return folder


def test_bundled_mnist_matches_the_original(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.x_train.dtype == np.uint8
    assert list(mnist.y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(mnist.y_test[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert hashlib.sha256(mnist.x_test.tobytes()).hexdigest() == "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_rescale_and_one_hot():
    x = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    r = rescale(x)
    assert r.dtype == np.float32 and r.max() == 1.0 and r[1, 0] == pytest.approx(0.2)
    oh = one_hot(np.array([5, 0, 9]))
    assert oh.shape == (3, 10) and oh.dtype == np.float32
    assert oh[0].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert oh.sum(axis=1).tolist() == [1, 1, 1]


def _small(mnist, n=50):
    return {"x_train": mnist.x_train[:n], "y_train": mnist.y_train[:n], "x_test": mnist.x_test[:n], "y_test": mnist.y_test[:n]}


def test_load_npz_path(tmp_path, mnist):
    p = save_npz(tmp_path / "m.npz", **_small(mnist))
    d = load_mnist(p)
    assert d.x_train.shape == (50, 28, 28) and (d.y_test == mnist.y_test[:50]).all()


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_folder(tmp_path, mnist, gz):
    folder = _write_idx_dir(tmp_path / "idx", _small(mnist, 30), gz=gz)
    d = load_mnist(folder)
    assert (d.x_train == mnist.x_train[:30]).all() and (d.y_train == mnist.y_train[:30]).all()


def test_keras_cache_is_used_when_bundle_missing(tmp_path, mnist, monkeypatch):
    home = tmp_path / "home"
    save_npz(_mk(home / ".keras/datasets") / "mnist.npz", **_small(mnist, 20))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr("mnist_gui.ml.data.bundled_path", lambda: tmp_path / "nope.npz")
    d = load_mnist()
    assert len(d.x_train) == 20 and d.source.endswith(".keras/datasets/mnist.npz")


def _mk(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _bad_cases(tmp_path: Path, mnist) -> dict[str, tuple[Path, str]]:
    good = _small(mnist)
    cases: dict[str, tuple[Path, str]] = {}
    cases["missing"] = (tmp_path / "absent.npz", "no such file")
    (tmp_path / "empty.npz").write_bytes(b"")
    cases["empty"] = (tmp_path / "empty.npz", "not a valid npz")
    full = save_npz(tmp_path / "full.npz", **good).read_bytes()
    (tmp_path / "trunc.npz").write_bytes(full[: len(full) // 2])
    cases["truncated"] = (tmp_path / "trunc.npz", "npz")
    cases["wrong keys"] = (save_npz(tmp_path / "keys.npz", a=np.zeros(3)), "missing arrays x_train")
    cases["wrong shape"] = (save_npz(tmp_path / "shape.npz", **{**good, "x_train": np.zeros((50, 32, 32), np.uint8)}), "expected (N, 28, 28)")
    cases["label range"] = (save_npz(tmp_path / "labels.npz", **{**good, "y_test": np.full(50, 11, np.uint8)}), "outside 0-9")
    cases["count mismatch"] = (save_npz(tmp_path / "count.npz", **{**good, "y_train": good["y_train"][:10]}), "50 images but y_train has 10")
    cases["float dtype out of range"] = (save_npz(tmp_path / "dtype.npz", **{**good, "x_test": good["x_test"].astype(np.float32) * 10}), "expected uint8")
    obj = np.empty(2, dtype=object)
    obj[:] = [1, 2]
    with open(tmp_path / "pickle.npz", "wb") as f:
        np.savez(f, **{**good, "x_train": obj})
    cases["pickled objects"] = (tmp_path / "pickle.npz", "pickled")
    return cases


@pytest.mark.parametrize("case", ["missing", "empty", "truncated", "wrong keys", "wrong shape", "label range", "count mismatch",
                                  "float dtype out of range", "pickled objects"])
def test_bad_npz_gives_clear_error(tmp_path, mnist, case):
    path, expected = _bad_cases(tmp_path, mnist)[case]
    with pytest.raises(DataError) as err:
        load_mnist(path)
    assert expected in str(err.value)


def test_idx_bad_magic_and_length(tmp_path, mnist):
    folder = _write_idx_dir(tmp_path / "idx", _small(mnist, 10))
    img = folder / IDX_NAMES["x_train"]
    good = img.read_bytes()
    img.write_bytes(b"\x00\x00\x09\x03" + good[4:])
    with pytest.raises(DataError, match="bad IDX magic"):
        load_mnist(folder)
    img.write_bytes(good[:-5])
    with pytest.raises(DataError, match="length mismatch"):
        load_mnist(folder)
    img.unlink()
    with pytest.raises(DataError, match="not found"):
        load_mnist(folder)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root ignores permissions")
def test_unreadable_folder(tmp_path, mnist):
    folder = _write_idx_dir(tmp_path / "idx", _small(mnist, 10))
    folder.chmod(0)
    try:
        with pytest.raises(DataError, match="permission denied"):
            load_mnist(folder)
    finally:
        folder.chmod(0o755)


def _not_npz_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    from PIL import Image

    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "digit.png")
    (tmp_path / "noise.npz").write_bytes(np.random.default_rng(1).bytes(3000))
    (tmp_path / "folder.npz").mkdir()
    os.symlink(tmp_path / "b.npz", tmp_path / "a.npz")
    os.symlink(tmp_path / "a.npz", tmp_path / "b.npz")
    os.symlink(tmp_path / "gone.npz", tmp_path / "dangling.npz")
    os.mkfifo(tmp_path / "pipe.npz")  # opening it would block forever
    import zipfile

    with zipfile.ZipFile(tmp_path / "model.npz", "w") as z:  # e.g. a .keras renamed
        z.writestr("config.json", "{}")
    return {"png": (tmp_path / "digit.png", "not an npz file (a PNG image"),
            "noise": (tmp_path / "noise.npz", "not an npz file"),
            "folder": (tmp_path / "folder.npz", "a folder, not an npz file"),
            "loop": (tmp_path / "a.npz", "symbolic link loop"),
            "dangling": (tmp_path / "dangling.npz", "a symbolic link to"),
            "fifo": (tmp_path / "pipe.npz", "a named pipe, not a regular file"),
            "dev_null": (Path("/dev/null"), "a character device, not a regular file"),
            "zip without arrays": (tmp_path / "model.npz", "not an npz file (a zip archive holding config.json")}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX file kinds")
@pytest.mark.parametrize("case", ["png", "noise", "folder", "loop", "dangling", "fifo", "dev_null", "zip without arrays"])
def test_shared_npz_reader_says_what_a_non_npz_is(tmp_path, case):
    """``read_npz`` is also My digits' reader: the message must say what the file is, not guess "pickled"."""
    from mnist_gui.ml.data import KEYS, read_npz

    path, expected = _not_npz_cases(tmp_path)[case]
    with pytest.raises(DataError) as err:
        read_npz(path, KEYS)
    text = str(err.value)
    assert expected in text and str(path) in text
    assert "pickled" not in text and "no such file" not in text


def test_a_real_pickle_is_named_as_one(tmp_path):
    import pickle

    from mnist_gui.ml.data import read_npz

    p = tmp_path / "objects.npz"
    p.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(DataError, match="holds pickled Python objects"):
        read_npz(p, ("x",))


def test_idx_length_message_uses_exact_numbers(tmp_path, mnist):
    folder = _write_idx_dir(tmp_path / "idx", _small(mnist, 10))
    img = folder / IDX_NAMES["x_train"]
    raw = img.read_bytes()
    img.write_bytes(raw[:4] + b"\xff" * 12 + raw[16:])  # numpy's product of these wraps to 12884901887
    with pytest.raises(DataError) as err:
        load_mnist(folder)
    text = str(err.value)
    assert f"= {(2**32 - 1) ** 3:,} bytes" in text and f"holds {10 * 784:,}" in text
    assert "12884901887" not in text and "-" not in text.split("mismatch")[1]


# --- hostile npz members and IDX gzip streams -------------------------------------------------------------------

def _rezip(src: Path, dst: Path, rename: dict[str, str] | None = None, add: dict[str, bytes] | None = None) -> Path:
    """``src``'s members copied into ``dst``, some renamed (e.g. ``x_train.npy`` → ``x_train``), some added."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr((rename or {}).get(name, name), zin.read(name))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


@pytest.mark.parametrize("case", ["raw member", "npy member that is not an array"])
def test_npz_member_numpy_did_not_write_is_not_a_valid_npz(tmp_path, mnist, case):
    good = save_npz(tmp_path / "good.npz", **_small(mnist, 10))
    if case == "raw member":  # the review's file: x_train stored without the .npy numpy gives every array
        path = _rezip(good, tmp_path / "bad.npz", rename={"x_train.npy": "x_train"})
    else:
        path = _rezip(good, tmp_path / "bad.npz", rename={"x_train.npy": "unused"}, add={"x_train.npy": b"not an array"})
    with pytest.raises(DataError, match="not a valid npz file") as err:
        load_mnist(path)
    assert str(path) in str(err.value) and "x_train" in str(err.value)


def test_npz_array_is_read_from_its_npy_member_never_from_a_raw_member_of_the_same_name(tmp_path, mnist):
    good = save_npz(tmp_path / "good.npz", **_small(mnist, 10))
    path = _rezip(good, tmp_path / "both.npz", add={"x_train": b"raw bytes numpy would return for z['x_train']"})
    assert (load_mnist(path).x_train == mnist.x_train[:10]).all()


def _gz_idx_folder(tmp_path: Path, mnist, images: bytes) -> Path:
    """An IDX folder whose training images are the gzip file ``images``."""
    folder = _write_idx_dir(tmp_path / "idx", _small(mnist, 10))
    (folder / IDX_NAMES["x_train"]).unlink()
    (folder / (IDX_NAMES["x_train"] + ".gz")).write_bytes(images)
    return folder


@pytest.mark.parametrize("damage", ["deflate stream", "truncated", "crc"])
def test_idx_gzip_with_damaged_data_is_a_data_error(tmp_path, mnist, damage):
    packed = bytearray(gzip.compress(_idx_bytes(mnist.x_train[:10]), mtime=0))
    if damage == "deflate stream":
        packed[10] = 0b111  # the first deflate block: a reserved block type (zlib.error before)
    elif damage == "truncated":
        packed = packed[: len(packed) // 2]  # EOFError
    else:
        packed[-8] ^= 0xFF  # the CRC-32 in the trailer
    folder = _gz_idx_folder(tmp_path, mnist, bytes(packed))
    with pytest.raises(DataError, match="damaged or truncated gzip data") as err:
        load_mnist(folder)
    assert IDX_NAMES["x_train"] + ".gz" in str(err.value)


def test_idx_gzip_bomb_is_never_unpacked_whole(tmp_path, mnist):
    import tracemalloc

    # 10 images declared, then 16 MB of zeros: ~16 KB on disk.
    folder = _gz_idx_folder(tmp_path, mnist, gzip.compress(_idx_bytes(mnist.x_train[:10]) + bytes(16 * 2**20), mtime=0))
    assert (folder / (IDX_NAMES["x_train"] + ".gz")).stat().st_size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"declares 10 × 28 × 28 = 7,840 bytes of data, but the file holds more"):
            load_mnist(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20, f"{peak:,} bytes allocated: the stream was unpacked past what the header declares"


def test_idx_header_declaring_more_than_the_limit_is_refused_unread(tmp_path, mnist, monkeypatch):
    monkeypatch.setattr("mnist_gui.ml.data.MAX_IDX_BYTES", 2**20)  # 512 MB really; the same check
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (3000, 28, 28))
    folder = _gz_idx_folder(tmp_path, mnist, gzip.compress(header + bytes(16), mtime=0))
    with pytest.raises(DataError, match=r"declares 3,000 × 28 × 28 = 2,352,000 bytes of data; refused \(limit 1 MB"):
        load_mnist(folder)


def test_limited_keeps_the_test_set_whole_when_asked(small_mnist):
    both = small_mnist.limited(100)
    train_only = small_mnist.limited(100, test=False)
    assert len(both.x_train) == len(train_only.x_train) == 100 and len(both.x_test) == 100
    assert train_only.x_test is small_mnist.x_test and train_only.y_test is small_mnist.y_test
    assert small_mnist.limited(None) is small_mnist
