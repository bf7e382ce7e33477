"""Loading and validating MNIST (bundled npz, any Keras-layout npz, IDX files), rescaling and one-hot.

The notebook's steps 1, 4 and 5. ``numpy.load`` always runs with ``allow_pickle=False``: an npz holding
pickled objects is refused, never unpickled.
"""

from __future__ import annotations

import errno
import gzip
import io
import logging
import math
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_gui.errors import DataError
from mnist_gui.ml.model import NUM_CLASSES
from mnist_gui.paths import resource_path

log = logging.getLogger(__name__)

KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays as shipped: uint8 images (N, 28, 28), uint8 labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str = ""

    def limited(self, n: int | None, *, test: bool = True) -> Mnist:
        """The first ``n`` training and (with ``test``) test images, for quick runs; ``None`` keeps all.

        The Train tab limits the training images only: its test accuracy is then the one every other view
        measures, on all 10,000 test images."""
        if n is None:
            return self
        x_test, y_test = (self.x_test[:n], self.y_test[:n]) if test else (self.x_test, self.y_test)
        return Mnist(self.x_train[:n], self.y_train[:n], x_test, y_test, self.source)


def bundled_path() -> Path:
    return resource_path("mnist.npz")


def keras_cache_path() -> Path:
    return Path(os.path.expanduser("~")) / ".keras" / "datasets" / "mnist.npz"


def load_mnist(path: str | os.PathLike[str] | None = None) -> Mnist:
    """Load MNIST from ``path`` (an npz or a folder of IDX files), else the bundled copy, else Keras' cache.

    Raises :class:`DataError` saying exactly what is wrong.
    """
    if path is not None:
        p = Path(path)
        data = _load_idx_dir(p) if path_kind(p) == "folder" else _load_npz(p)
        return _validated(data, str(p))
    for candidate in (bundled_path(), keras_cache_path()):
        if candidate.is_file():
            return _validated(_load_npz(candidate), str(candidate))
    return _validated(_download_fallback(), "keras.datasets.mnist")


def _download_fallback() -> dict[str, np.ndarray]:
    log.warning("bundled MNIST missing; trying keras.datasets.mnist.load_data()")
    try:
        from keras.datasets import mnist  # only as a last resort: it downloads

        (xt, yt), (xs, ys) = mnist.load_data()
    except Exception as exc:  # network, TF missing, … all mean the same to the user
        raise DataError(f"the bundled MNIST ({bundled_path()}) is missing and downloading it failed: {exc}") from exc
    return {"x_train": xt, "y_train": yt, "x_test": xs, "y_test": ys}


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    return read_npz(p, KEYS)


_SPECIAL_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                  (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


def path_kind(p: Path) -> str:
    """``"file"`` or ``"folder"``; anything else (missing, a symlink loop, /dev/null, a pipe…) is a DataError saying what it is.

    Checked before opening: a pipe would block ``open`` forever and a loop or device would be reported by
    numpy as "no such file" or a bad archive.
    """
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{p}: a symbolic link loop (the links lead back to themselves)") from exc
        if isinstance(exc, FileNotFoundError):
            if os.path.islink(p):
                raise DataError(f"{p}: a symbolic link to {os.readlink(p)}, which does not exist") from exc
            raise DataError(f"{p}: no such file or folder") from exc
        if isinstance(exc, PermissionError):
            raise DataError(f"{p}: permission denied") from exc
        if isinstance(exc, NotADirectoryError):
            raise DataError(f"{p}: no such file or folder (a part of the path is a file, not a folder)") from exc
        raise DataError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if stat.S_ISREG(st.st_mode):
        return "file"
    for test, kind in _SPECIAL_KINDS:
        if test(st.st_mode):
            raise DataError(f"{p}: {kind}, not a regular file")
    raise DataError(f"{p}: not a regular file")


# The first bytes of an npz (a zip archive; an empty archive starts with its end record) and of other
# things people pick by mistake, so the message can say what the file is instead of what numpy guessed.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"
_OTHER_FORMATS = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                  (b"BM", "a BMP image"), (b"\x1f\x8b", "a gzip file"), (b"%PDF", "a PDF document"))


def _check_npz_magic(p: Path) -> None:
    """Refuse what is not a zip archive before numpy sees it (numpy would call it "pickled data")."""
    try:
        with open(p, "rb") as f:
            head = f.read(8)
    except PermissionError as exc:
        raise DataError(f"{p}: permission denied") from exc
    except OSError as exc:
        raise DataError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise DataError(f"{p}: not a valid npz file (the file is empty)")
    if head.startswith(_ZIP_MAGIC) or head.startswith(_NPY_MAGIC):
        return
    if head[:1] == b"\x80":  # pickle protocol 2+: a real pickle, which is never loaded
        raise DataError(f"{p}: holds pickled Python objects, which are refused for safety (an npz file of plain arrays is needed)")
    what = next((name for magic, name in _OTHER_FORMATS if head.startswith(magic)), "")
    raise DataError(f"{p}: not an npz file ({what + ', not ' if what else 'expected '}a zip archive of .npy arrays)")


MAX_NPZ_ARRAY_BYTES = 512 * 2**20  # MNIST's largest array is 47 MB; refuse decompression bombs


def zip_unpacked_sizes(p: Path) -> dict[str, int]:
    """What each member of the zip archive ``p`` unpacks to, by its directory (checked before unpacking: zipfile
    never unpacks more than that, a member holding more fails its CRC). Raises OSError, BadZipFile, ValueError."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(p) as z:
        for info in z.infolist():
            sizes[info.filename] = sizes.get(info.filename, 0) + info.file_size
    return sizes


def read_npz(p: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The named arrays of an npz file, never unpickling; every failure is a DataError naming the file."""
    if path_kind(p) == "folder":
        raise DataError(f"{p}: a folder, not an npz file")
    _check_npz_magic(p)
    try:
        loaded = np.load(p, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DataError(f"{p}: a single .npy array, not an npz archive of named arrays")
        with loaded as z:
            zf = z.zip
            if zf is None:  # only after closing; typed as optional
                raise DataError(f"{p}: could not be read as a zip archive")
            if z.files and not any(n.endswith(".npy") for n in zf.namelist()):
                raise DataError(f"{p}: not an npz file (a zip archive holding {', '.join(z.files[:5])}, but no .npy arrays)")
            missing = [k for k in required if k not in z.files]
            if missing:
                raise DataError(f"{p}: missing arrays {', '.join(missing)} (found: {', '.join(z.files) or 'none'})")
            wanted = [k for k in required + optional if k in z.files]
            for k in wanted:
                member = _npy_member(zf, k, p)
                if member.file_size > MAX_NPZ_ARRAY_BYTES:
                    raise DataError(f"{p}: array {k} would unpack to {member.file_size / 2**20:,.0f} MB; "
                                    f"refused (limit {MAX_NPZ_ARRAY_BYTES // 2**20} MB)")
            arrays = {k: z[f"{k}.npy"] for k in wanted}  # by member name: a raw member ``k`` is never read
            for k, a in arrays.items():
                if not isinstance(a, np.ndarray):
                    raise DataError(f"{p}: not a valid npz file (its member {k}.npy is not a .npy array)")
            return arrays
    except DataError:
        raise
    except PermissionError as exc:
        raise DataError(f"{p}: permission denied") from exc
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(f"{p}: holds pickled Python objects, which are refused for safety") from exc
        raise DataError(f"{p}: not a valid npz file ({exc})") from exc
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error, KeyError) as exc:
        raise DataError(f"{p}: not a valid npz file or truncated ({exc})") from exc


def _npy_member(zf: zipfile.ZipFile, key: str, p: Path) -> zipfile.ZipInfo:
    """The ``KEY.npy`` member numpy writes for array ``key``; a member named otherwise is not an npz array."""
    try:
        return zf.getinfo(f"{key}.npy")
    except KeyError:
        raise DataError(f"{p}: not a valid npz file (it holds a member {key} that is not a .npy array; "
                        f"an npz stores each array as NAME.npy)") from None


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: {stem}[.gz] not found (an IDX folder needs all four MNIST files)")


def _load_idx_dir(folder: Path) -> dict[str, np.ndarray]:
    try:
        return {k: read_idx(_find_idx(folder, stem)) for k, stem in IDX_NAMES.items()}
    except PermissionError as exc:
        raise DataError(f"{folder}: permission denied") from exc


MAX_IDX_BYTES = MAX_NPZ_ARRAY_BYTES  # MNIST's largest IDX file holds 47 MB: a header declaring more is damage or a bomb


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped), checking magic number, dimensions and length.

    The header is read first, then at most the bytes it declares (+1, to notice extra data): a gzip bomb is
    never unpacked whole, and a declared size over the limit is refused unread. Damaged gzip data is a DataError.
    """
    gz = path.suffix == ".gz"
    try:
        with (gzip.open if gz else open)(path, "rb") as f:
            dims = _idx_header(f, path)
            expected = math.prod(dims)  # Python ints: numpy's product overflows (int32 on Windows) for damaged headers
            held = None if gz else os.fstat(f.fileno()).st_size - 4 - 4 * len(dims)  # a gzip's: known once unpacked
            if expected > MAX_IDX_BYTES and held in (None, expected):
                raise DataError(f"{path}: the IDX header declares {_idx_shape(dims)} = {expected:,} bytes of data; "
                                f"refused (limit {MAX_IDX_BYTES // 2**20} MB; MNIST's largest file holds 47 MB)")
            raw = f.read(expected + 1) if held in (None, expected) else b""
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, PermissionError):
            raise DataError(f"{path}: permission denied") from exc
        if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
            raise DataError(f"{path}: damaged or truncated gzip data ({exc})") from exc
        raise DataError(f"{path}: cannot read ({exc})") from exc
    held = len(raw) if held is None else held
    if held != expected:
        raise DataError(f"{path}: IDX length mismatch: the header declares {_idx_shape(dims)} = {expected:,} bytes of data, "
                        f"but the file holds {'more' if gz and held > expected else f'{held:,}'}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(dims)


def _idx_shape(dims: tuple[int, ...]) -> str:
    return " × ".join(f"{d:,}" for d in dims)


def _idx_header(f: io.BufferedIOBase, path: Path) -> tuple[int, ...]:
    """The dimensions declared by the IDX header at the start of ``f``."""
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] != 0x08 or magic[3] not in (1, 3):
        raise DataError(f"{path}: bad IDX magic number (expected unsigned-byte data with 1 or 3 dimensions)")
    ndim = magic[3]
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    return tuple(int.from_bytes(raw_dims[4 * i : 4 + 4 * i], "big") for i in range(ndim))


def check_split(x: np.ndarray, y: np.ndarray, name: str, source: str, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validate one (images, labels) pair as MNIST-shaped; returns uint8 copies-or-views of both."""
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataError(f"{source}: x_{name} has shape {x.shape}; expected (N, 28, 28)")
    if y.ndim != 1:
        raise DataError(f"{source}: y_{name} has shape {y.shape}; expected (N,)")
    if len(x) != len(y):
        raise DataError(f"{source}: x_{name} has {len(x)} images but y_{name} has {len(y)} labels")
    if len(x) == 0:
        if allow_empty:
            return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
        raise DataError(f"{source}: the {name} split is empty")
    if x.dtype != np.uint8:
        if not np.issubdtype(x.dtype, np.number) or not np.isfinite(x).all() or x.min() < 0 or x.max() > 255:
            raise DataError(f"{source}: x_{name} has dtype {x.dtype}; expected uint8 pixels 0-255")
        x = x.astype(np.uint8)
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{source}: y_{name} has dtype {y.dtype}; expected integer labels")
    if y.min() < 0 or y.max() > 9:
        raise DataError(f"{source}: y_{name} has labels outside 0-9 (min {y.min()}, max {y.max()})")
    return x, y.astype(np.uint8)


def _validated(d: dict[str, np.ndarray], source: str) -> Mnist:
    for split in ("train", "test"):
        d[f"x_{split}"], d[f"y_{split}"] = check_split(d[f"x_{split}"], d[f"y_{split}"], split, source)
    log.info("loaded MNIST from %s: %d train, %d test", source, len(d["x_train"]), len(d["x_test"]))
    return Mnist(d["x_train"], d["y_train"], d["x_test"], d["y_test"], source)


def rescale(x: np.ndarray) -> np.ndarray:
    """Pixels 0-255 → float32 in [0, 1] (the notebook's step 4)."""
    return x.astype(np.float32) / np.float32(255.0)


def one_hot(y: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Integer labels → float32 one-hot rows (the notebook's step 5, ``to_categorical``)."""
    y = np.asarray(y, dtype=np.int64)
    out = np.zeros((len(y), num_classes), dtype=np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out
