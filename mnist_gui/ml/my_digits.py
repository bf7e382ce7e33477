""""My digits": the user's own labelled drawings, kept as strokes plus the normalised 28×28 image.

One npz file in the user data folder holds the whole collection. Every change rewrites it through
``atomic_path`` (temp file, fsync, rename), so a crash at any moment leaves either the old or the new
collection, never a half-written one; at a few KB per digit the rewrite takes milliseconds. A file that
cannot be read is moved aside (never overwritten) and the app starts a new collection.

Import and export use Keras' MNIST layout (``x_train``/``y_train``/``x_test``/``y_test``): the fine-tuning
part goes to ``*_train`` and the held-out part to ``*_test``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_gui.atomic import atomic_path
from mnist_gui.errors import DataError
from mnist_gui.ml.data import check_split, read_npz

log = logging.getLogger(__name__)

FILE_NAME = "my_digits.npz"
FORMAT_VERSION = 1
HOLDOUT_FRACTION = 0.25
_KEYS = ("version", "x", "y", "ids", "created", "digit_strokes", "stroke_points", "stroke_width", "stroke_eraser", "points")


@dataclass(frozen=True)
class PenStroke:
    """One stroke in canvas-relative coordinates (0-1); ``width`` is a fraction of the canvas side."""

    points: np.ndarray  # (K, 2) float32
    width: float
    eraser: bool = False


class MyDigits:
    """The collection. Arrays are replaced, never mutated in place, so readers may keep references."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.x = np.zeros((0, 28, 28), np.uint8)
        self.y = np.zeros(0, np.uint8)
        self.ids = np.zeros(0, np.int64)
        self.created = np.zeros(0, np.float64)
        self.strokes: list[tuple[PenStroke, ...]] = []

    def __len__(self) -> int:
        return len(self.y)

    # --- persistence ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> tuple[MyDigits, str]:
        """Load ``path`` (a missing file is an empty collection). Returns the collection and a warning:
        non-empty when the file was unreadable and has been moved aside."""
        coll = cls(path)
        if not path.exists():
            return coll, ""
        try:
            coll._read(path)
        except DataError as exc:
            aside = path.with_name(f"{path.stem}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
            try:
                path.rename(aside)
            except OSError as move_exc:
                coll.path = None  # cannot move it: never overwrite it either
                return coll, f"{exc}. It could not be moved aside ({move_exc.strerror}), so new digits will not be saved this session."
            log.warning("unreadable My digits file moved to %s: %s", aside, exc)
            return coll, f"{exc}. The file was kept as {aside.name} and a new collection started."
        return coll, ""

    def _read(self, path: Path) -> None:
        d = read_npz(path, _KEYS)
        src = str(path)
        if int(d["version"]) > FORMAT_VERSION:
            raise DataError(f"{src}: written by a newer mnist-gui (format {int(d['version'])})")
        x, y = check_split(d["x"], d["y"], "digits", src, allow_empty=True)
        n = len(y)
        ids, created, digit_strokes = d["ids"], d["created"], d["digit_strokes"]
        stroke_points, width, eraser, points = d["stroke_points"], d["stroke_width"], d["stroke_eraser"], d["points"]
        ok = (ids.shape == (n,) and created.shape == (n,) and digit_strokes.shape == (n + 1,)
              and stroke_points.ndim == 1 and width.shape == eraser.shape == (len(stroke_points) - 1,)
              and points.ndim == 2 and points.shape[1:] == (2,)
              and np.issubdtype(ids.dtype, np.integer) and np.issubdtype(digit_strokes.dtype, np.integer)
              and np.issubdtype(stroke_points.dtype, np.integer) and len(np.unique(ids)) == n)
        ok = ok and _offsets_ok(digit_strokes, len(width)) and _offsets_ok(stroke_points, len(points))
        if not ok:
            raise DataError(f"{src}: the stroke and index arrays do not fit together (damaged file)")
        strokes: list[tuple[PenStroke, ...]] = []
        for i in range(n):
            strokes.append(tuple(
                PenStroke(points[stroke_points[s]:stroke_points[s + 1]].astype(np.float32), float(width[s]), bool(eraser[s]))
                for s in range(digit_strokes[i], digit_strokes[i + 1])))
        self.x, self.y, self.ids, self.created, self.strokes = x, y, ids.astype(np.int64), created.astype(np.float64), strokes

    def save(self) -> None:
        """Write the whole collection atomically (raises OSError; the previous file then survives)."""
        if self.path is None:
            raise OSError("My digits has no file to save to")
        all_strokes = [s for ss in self.strokes for s in ss]
        digit_strokes = np.cumsum([0] + [len(ss) for ss in self.strokes]).astype(np.int64)
        stroke_points = np.cumsum([0] + [len(s.points) for s in all_strokes]).astype(np.int64)
        points = np.concatenate([s.points for s in all_strokes]).astype(np.float32) if all_strokes else np.zeros((0, 2), np.float32)
        with atomic_path(self.path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(
                f, version=np.int64(FORMAT_VERSION), x=self.x, y=self.y, ids=self.ids, created=self.created,
                digit_strokes=digit_strokes, stroke_points=stroke_points, points=points,
                stroke_width=np.array([s.width for s in all_strokes], np.float32),
                stroke_eraser=np.array([s.eraser for s in all_strokes], bool))

    # --- edits (each saves; on a failed save the collection is left as it was) ------------------------
    def _commit(self, x: np.ndarray, y: np.ndarray, ids: np.ndarray, created: np.ndarray,
                strokes: list[tuple[PenStroke, ...]]) -> None:
        old = (self.x, self.y, self.ids, self.created, self.strokes)
        self.x, self.y, self.ids, self.created, self.strokes = x, y, ids, created, strokes
        try:
            self.save()
        except OSError:
            self.x, self.y, self.ids, self.created, self.strokes = old
            raise

    def _next_ids(self, k: int) -> np.ndarray:
        start = int(self.ids.max()) + 1 if len(self.ids) else 1
        return np.arange(start, start + k, dtype=np.int64)

    def add(self, image: np.ndarray, label: int, strokes: tuple[PenStroke, ...] = ()) -> int:
        """Append one digit (``image`` 28×28, uint8 or float in [0, 1]); returns its id."""
        img = _as_uint8(image)
        if not 0 <= int(label) <= 9:
            raise DataError(f"label must be 0-9 (got {label})")
        new_id = self._next_ids(1)
        self._commit(np.concatenate([self.x, img[None]]), np.append(self.y, np.uint8(label)),
                     np.append(self.ids, new_id), np.append(self.created, time.time()), self.strokes + [tuple(strokes)])
        return int(new_id[0])

    def relabel(self, ids: list[int] | np.ndarray, label: int) -> None:
        if not 0 <= int(label) <= 9:
            raise DataError(f"label must be 0-9 (got {label})")
        y = self.y.copy()
        y[np.isin(self.ids, ids)] = label
        self._commit(self.x, y, self.ids, self.created, self.strokes)

    def delete(self, ids: list[int] | np.ndarray) -> int:
        keep = ~np.isin(self.ids, ids)
        removed = int((~keep).sum())
        if removed:
            self._commit(self.x[keep], self.y[keep], self.ids[keep], self.created[keep],
                         [s for s, k in zip(self.strokes, keep) if k])
        return removed

    def index_of(self, digit_id: int) -> int:
        hits = np.flatnonzero(self.ids == digit_id)
        return int(hits[0]) if hits.size else -1

    # --- splits ---------------------------------------------------------------------------------------
    def holdout_mask(self, fraction: float = HOLDOUT_FRACTION) -> np.ndarray:
        """Which digits are held out from fine-tuning: an even ``fraction`` of each label, by age.

        Stable as digits are added (a digit keeps its side), so "held-out accuracy" always means
        drawings the model was never tuned on.
        """
        mask = np.zeros(len(self.y), bool)
        for d in range(10):
            idx = np.flatnonzero(self.y == d)
            idx = idx[np.argsort(self.ids[idx], kind="stable")]
            k = np.arange(len(idx))
            # the i-th digit of a label is held out when floor((i + 1)·f) steps up: spreads f evenly
            mask[idx[np.floor((k + 1) * fraction) > np.floor(k * fraction)]] = True
        return mask

    # --- import / export ------------------------------------------------------------------------------
    def export_npz(self, path: str | Path) -> None:
        """Keras MNIST layout: tuning part as x_train/y_train, held-out part as x_test/y_test."""
        held = self.holdout_mask()
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, x_train=self.x[~held], y_train=self.y[~held], x_test=self.x[held], y_test=self.y[held])

    def import_npz(self, path: str | Path) -> int:
        """Append every image of a Keras-layout npz (train and/or test arrays); returns how many."""
        (xa, ya), (xb, yb) = read_keras_layout(path)
        x, y = np.concatenate([xa, xb]), np.concatenate([ya, yb])
        if len(x) == 0:
            raise DataError(f"{path}: holds no images")
        self._commit(np.concatenate([self.x, x]), np.concatenate([self.y, y]), np.concatenate([self.ids, self._next_ids(len(x))]),
                     np.concatenate([self.created, np.full(len(x), time.time())]), self.strokes + [()] * len(x))
        return len(x)


def read_keras_layout(path: str | Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))`` of an npz in Keras' MNIST layout; either split may be absent/empty."""
    p = Path(path)
    d = read_npz(p, (), ("x_train", "y_train", "x_test", "y_test"))
    out = []
    for split in ("train", "test"):
        if (f"x_{split}" in d) != (f"y_{split}" in d):
            raise DataError(f"{p}: has only one of x_{split} and y_{split}")
        if f"x_{split}" in d:
            out.append(check_split(d[f"x_{split}"], d[f"y_{split}"], split, str(p), allow_empty=True))
        else:
            out.append((np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)))
    if not any(k in d for k in ("x_train", "x_test")):
        raise DataError(f"{p}: no x_train/y_train or x_test/y_test arrays (Keras MNIST layout expected)")
    return out[0], out[1]


def default_path() -> Path:
    from mnist_gui.paths import user_data_dir

    return user_data_dir() / FILE_NAME


def _offsets_ok(offsets: np.ndarray, total: int) -> bool:
    return bool(len(offsets) >= 1 and offsets[0] == 0 and offsets[-1] == total and np.all(np.diff(offsets) >= 0))


def _as_uint8(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.shape != (28, 28):
        raise DataError(f"a digit must be 28×28 (got {a.shape})")
    if a.dtype == np.uint8:
        return a.copy()
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise DataError("the digit image holds NaN or infinite values")
    scale = 255.0 if a.max() <= 1.0 else 1.0
    return np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)
