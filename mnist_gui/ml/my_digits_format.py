"""The My digits npz file format: the collection's state, and reading, validating and writing it.

``_parse`` reads and validates a whole file (any problem is a ``DataError``, the damaged-file path);
``_encode`` writes a state to npz bytes. Strokes are stored flat: ``digit_strokes`` and ``stroke_points`` are
offset arrays into the per-stroke (``stroke_width``, ``stroke_eraser``) and per-point (``points``) arrays.
Used by :mod:`mnist_gui.ml.my_digits`, which re-exports ``PenStroke`` and ``FORMAT_VERSION``.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnist_gui.errors import DataError
from mnist_gui.ml.data import check_split, read_npz

# Still 1: ``next_id`` is an optional extra array, so files stay readable by earlier releases (which ignore it).
FORMAT_VERSION = 1
_KEYS = ("version", "x", "y", "ids", "created", "digit_strokes", "stroke_points", "stroke_width", "stroke_eraser", "points")
_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class PenStroke:
    """One stroke in canvas-relative coordinates (0-1); ``width`` is a fraction of the canvas side."""

    points: np.ndarray  # (K, 2) float32
    width: float
    eraser: bool = False


class _State(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    created: np.ndarray
    strokes: list[tuple[PenStroke, ...]]
    next_id: int


def _parse(path: Path) -> _State:
    """Read and validate the whole file; any problem at all is a DataError (the damaged-file path), so ``MyDigits.open``
    moves the file aside: even one a check missed (a raw npz member ``x`` once raised KeyError here)."""
    try:
        return _parse_checked(path)
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, EOFError, zlib.error) as exc:  # a check missed
        raise DataError(f"{path}: damaged file ({exc})") from exc


def _parse_checked(path: Path) -> _State:
    d, src = read_npz(path, _KEYS, ("next_id",)), str(path)
    version = int(_field(d, "version", "int", 0, src))
    if version > FORMAT_VERSION:
        raise DataError(f"{src}: written by a newer mnist-gui (format {version})")
    if d["x"].dtype != np.uint8:  # always written as uint8; check_split would cast other numbers (complex too)
        raise DataError(f"{src}: images have dtype {d['x'].dtype}, not uint8 (damaged file)")
    x, y = check_split(d["x"], d["y"], "digits", src, allow_empty=True)
    n = len(y)
    ids, digit_strokes, stroke_points = (_field(d, k, "int", 1, src) for k in ("ids", "digit_strokes", "stroke_points"))
    created, width, points = _field(d, "created", "real", 1, src), _field(d, "stroke_width", "real", 1, src), _field(d, "points", "real", 2, src)
    eraser = _field(d, "stroke_eraser", "bool", 1, src)
    next_id = int(_field(d, "next_id", "int", 0, src)) if "next_id" in d else 1
    if not (version >= 1 and next_id >= 1 and created.shape == ids.shape == (n,) and digit_strokes.shape == (n + 1,)
            and width.shape == eraser.shape == (len(stroke_points) - 1,) and points.shape[1:] == (2,)
            and _offsets_ok(digit_strokes, len(width)) and _offsets_ok(stroke_points, len(points))
            and len(np.unique(ids)) == n and (ids >= 0).all() and (width >= 0).all()):
        raise DataError(f"{src}: the stroke and index arrays do not fit together (damaged file)")
    strokes: list[tuple[PenStroke, ...]] = []
    for i in range(n):
        strokes.append(tuple(
            PenStroke(points[stroke_points[s]:stroke_points[s + 1]].astype(np.float32), float(width[s]), bool(eraser[s]))
            for s in range(digit_strokes[i], digit_strokes[i + 1])))
    return _State(x, y, ids, created.astype(np.float64), strokes, max(next_id, int(ids.max()) + 1 if n else 1))


def _field(d: dict[str, np.ndarray], key: str, kind: str, ndim: int, src: str) -> np.ndarray:
    """``d[key]`` if it has ``ndim`` dimensions and is of ``kind``: "int" (returned as int64; unsigned values that
    would wrap are refused), "real" (finite integers or floats) or "bool"; otherwise a DataError."""
    a = d[key]
    if kind == "int":
        ok = np.issubdtype(a.dtype, np.integer) and (a.size == 0 or int(a.max()) <= _INT64_MAX)
    elif kind == "real":
        ok = (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)) and bool(np.isfinite(a).all())
    else:
        ok = a.dtype == np.bool_
    if not ok or a.ndim != ndim:
        raise DataError(f"{src}: array {key} has dtype {a.dtype} and shape {a.shape}, which it never has (damaged file)")
    return a.astype(np.int64) if kind == "int" else a


def _encode(s: _State) -> bytes:
    all_strokes = [st for ss in s.strokes for st in ss]
    digit_strokes = np.cumsum([0] + [len(ss) for ss in s.strokes]).astype(np.int64)
    stroke_points = np.cumsum([0] + [len(st.points) for st in all_strokes]).astype(np.int64)
    points = np.concatenate([st.points for st in all_strokes]).astype(np.float32) if all_strokes else np.zeros((0, 2), np.float32)
    buf = io.BytesIO()  # encoded in memory first: the bytes are hashed to recognise our own file later
    np.savez_compressed(
        buf, version=np.int64(FORMAT_VERSION), x=s.x, y=s.y, ids=s.ids, created=s.created,
        digit_strokes=digit_strokes, stroke_points=stroke_points, points=points, next_id=np.int64(s.next_id),
        stroke_width=np.array([st.width for st in all_strokes], np.float32),
        stroke_eraser=np.array([st.eraser for st in all_strokes], bool))
    return buf.getvalue()

def _offsets_ok(offsets: np.ndarray, total: int) -> bool:
    return bool(len(offsets) >= 1 and offsets[0] == 0 and offsets[-1] == total and np.all(np.diff(offsets) >= 0))
