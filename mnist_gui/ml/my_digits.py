""""My digits": the user's own labelled drawings, kept as strokes plus the normalised 28×28 image.

One npz file in the user data folder holds the whole collection. Every change rewrites it through
``atomic_path`` (temp file, fsync, rename), so a crash at any moment leaves either the old or the new
collection, never a half-written one; at a few KB per digit the rewrite takes milliseconds.

Several windows and CLI runs may share the file, so every edit is a read-modify-write under an inter-process
lock (``filelock``, sibling ``my_digits.npz.lock``): the file is re-read if its content differs from what this
collection last read or wrote, the edit is applied to that on-disk state (add appends; relabel and delete act
on ids, ignoring ids deleted elsewhere), and the result is written and kept in memory. Ids come from a
``next_id`` counter in the file (older files: max id + 1), taken under the lock: unique across processes,
never reused. ``refresh()`` picks up another process's changes. A lock held elsewhere for too long raises
``StoreBusyError`` (an ``OSError`` like any failed save) and changes nothing, in memory or on disk.

A file that cannot be read or fails validation (any array of the wrong dtype, shape or value, ``version``
included) is moved aside as ``my_digits.unreadable-<time>.npz`` (never overwritten) and a new collection
starts; ``MyDigits.open`` reports that and never raises. The format itself (validation, reading, writing) is in
:mod:`mnist_gui.ml.my_digits_format`.

Import and export use Keras' MNIST layout (``x_train``/``y_train``/``x_test``/``y_test``): the fine-tuning
part goes to ``*_train`` and the held-out part to ``*_test``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
from filelock import FileLock, Timeout

from mnist_gui.atomic import atomic_path
from mnist_gui.errors import DataError
from mnist_gui.ml.data import check_split, read_npz
from mnist_gui.ml.my_digits_format import FORMAT_VERSION  # noqa: F401 (re-exported: callers import it from here)
from mnist_gui.ml.my_digits_format import PenStroke, _encode, _parse, _State

log = logging.getLogger(__name__)

FILE_NAME = "my_digits.npz"
HOLDOUT_FRACTION = 0.25
LOCK_TIMEOUT = 5.0  # seconds: a save takes milliseconds, so a longer wait means the other holder is stuck
REFRESH_LOCK_TIMEOUT = 0.5  # refresh() runs on focus changes: never freeze the window for long
_T = TypeVar("_T")


class StoreBusyError(TimeoutError):
    """Another window or command held the My digits lock too long. An OSError, so views report it as a failed save."""


class MyDigits:
    """The collection. Arrays are replaced, never mutated in place, so readers may keep references."""

    lock_timeout: float = LOCK_TIMEOUT

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.x = np.zeros((0, 28, 28), np.uint8)
        self.y = np.zeros(0, np.uint8)
        self.ids = np.zeros(0, np.int64)
        self.created = np.zeros(0, np.float64)
        self.strokes: list[tuple[PenStroke, ...]] = []
        self._next_id = 1
        self._digest: bytes | None = None  # hash of the file as last read or written: did someone else change it?
        self._lock: FileLock | None = None

    def __len__(self) -> int:
        return len(self.y)

    def _state(self) -> _State:
        return _State(self.x, self.y, self.ids, self.created, self.strokes, self._next_id)

    def _set(self, s: _State) -> None:  # replaces arrays, never mutates them (see the class docstring)
        self.x, self.y, self.ids, self.created, self.strokes, self._next_id = s

    # --- persistence ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> tuple[MyDigits, str]:
        """Load ``path`` (a missing file is an empty collection). Returns the collection and a warning:
        non-empty when the file was unreadable and has been moved aside. Never raises."""
        coll = cls(path)
        if not path.exists():
            return coll, ""
        with contextlib.ExitStack() as stack:
            # Busy or unwritable lock: read anyway (writers replace the whole file, so a read is never torn).
            with contextlib.suppress(OSError):
                stack.enter_context(coll._locked())
            if not path.exists():  # another instance moved it aside while we waited for the lock
                return coll, ""
            try:
                state = _parse(path)
            except DataError as exc:
                try:
                    aside = _move_aside(path)
                except OSError as move_exc:
                    coll.path = None  # cannot move it: never overwrite it either
                    return coll, f"{exc}. It could not be moved aside ({move_exc.strerror}), so new digits will not be saved this session."
                return coll, f"{exc}. The file was kept as {aside.name} and a new collection started."
            coll._set(state)
            with contextlib.suppress(OSError):
                coll._digest = _file_digest(path)
        return coll, ""

    def refresh(self) -> bool:
        """Re-read the file if another window or command changed it; True when the collection changed.

        Never raises: a busy lock or an unreadable folder means "try again later"; a damaged file is moved
        aside (logged) and the collection in memory is kept, to be written back by the next edit.
        """
        if self.path is None:
            return False
        try:
            with self._locked(REFRESH_LOCK_TIMEOUT):
                return self._sync()
        except OSError as exc:
            log.info("My digits not refreshed: %s", exc)
            return False

    def save(self) -> None:
        """Write the collection in memory atomically, under the lock (raises OSError; the previous file then
        survives). Refuses to overwrite changes made by another process since the last read: edits merge
        them first; other callers call ``refresh()``."""
        if self.path is None:
            raise OSError("My digits has no file to save to")
        data = _encode(self._state())
        with self._locked():
            with contextlib.suppress(FileNotFoundError):
                if _file_digest(self.path) != self._digest:
                    raise OSError(errno.EAGAIN, "My digits was changed by another window; not overwritten", str(self.path))
            with atomic_path(self.path) as tmp:
                tmp.write_bytes(data)
        self._digest = hashlib.blake2b(data, digest_size=16).digest()

    @contextlib.contextmanager
    def _locked(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the inter-process lock (re-entrant within this collection and thread)."""
        if self.path is None:
            raise OSError("My digits has no file to save to")
        lock_file = self.path.with_name(self.path.name + ".lock")
        if self._lock is None or self._lock.lock_file != str(lock_file):
            self._lock = FileLock(lock_file)
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        wait = self.lock_timeout if timeout is None else timeout
        try:
            self._lock.acquire(timeout=wait)
        except Timeout as exc:
            raise StoreBusyError(errno.EBUSY, f"another mnist-gui window or command has held the My digits lock "
                                 f"({lock_file.name}) for over {wait:g} s; try again", str(self.path)) from exc
        try:
            yield
        finally:
            self._lock.release()

    def _sync(self) -> bool:
        """Under the lock: adopt the file's content if it differs from what we last read or wrote."""
        assert self.path is not None
        try:
            digest = _file_digest(self.path)
        except FileNotFoundError:
            return False  # removed behind our back: what we hold is the best base, and the next save writes it
        if digest == self._digest:
            return False
        try:
            state = _parse(self.path)
        except DataError as exc:
            aside = _move_aside(self.path)
            log.warning("My digits file changed on disk and is unreadable; kept as %s, memory kept: %s", aside.name, exc)
            self._digest = None
            return False
        # Never hand out an id this collection has seen, even if an older release dropped the counter.
        self._set(state._replace(next_id=max(state.next_id, self._next_id)))
        self._digest = digest
        return True

    # --- edits: read-modify-write under the lock; on a failed save the collection is left as it was -----
    def _commit(self, change: Callable[[_State], tuple[_State | None, _T]]) -> _T:
        """Apply ``change`` to the current on-disk state and save; ``change`` returns (new state or None, result)."""
        if self.path is None:
            raise OSError("My digits has no file to save to")
        with self._locked():
            before, digest = self._state(), self._digest
            self._sync()
            new, result = change(self._state())
            if new is not None:
                self._set(new)
                try:
                    self.save()
                except OSError:
                    self._set(before)
                    self._digest = digest  # differs from the file now, so the next edit re-reads it
                    raise
        return result

    def add(self, image: np.ndarray, label: int, strokes: tuple[PenStroke, ...] = ()) -> int:
        """Append one digit (``image`` 28×28, uint8 or float in [0, 1]); returns its id."""
        img = _as_uint8(image)
        label = _check_label(label)

        def change(s: _State) -> tuple[_State, int]:
            return _State(np.concatenate([s.x, img[None]]), np.append(s.y, np.uint8(label)), np.append(s.ids, np.int64(s.next_id)),
                          np.append(s.created, time.time()), [*s.strokes, tuple(strokes)], s.next_id + 1), s.next_id

        return self._commit(change)

    def relabel(self, ids: list[int] | np.ndarray, label: int) -> None:
        """Give ``ids`` the label ``label``; ids no longer in the file (deleted elsewhere) are ignored."""
        label = _check_label(label)

        def change(s: _State) -> tuple[_State | None, None]:
            hit = np.isin(s.ids, ids)
            if not (s.y[hit] != label).any():
                return None, None
            y = s.y.copy()
            y[hit] = label
            return s._replace(y=y), None

        self._commit(change)

    def delete(self, ids: list[int] | np.ndarray) -> int:
        """Remove ``ids``; returns how many were still there to remove."""

        def change(s: _State) -> tuple[_State | None, int]:
            keep = ~np.isin(s.ids, ids)
            removed = int((~keep).sum())
            if not removed:
                return None, 0
            return s._replace(x=s.x[keep], y=s.y[keep], ids=s.ids[keep], created=s.created[keep],
                              strokes=[st for st, k in zip(s.strokes, keep) if k]), removed

        return self._commit(change)

    def index_of(self, digit_id: int) -> int:
        hits = np.flatnonzero(self.ids == digit_id)
        return int(hits[0]) if hits.size else -1

    # --- splits ---------------------------------------------------------------------------------------
    def holdout_mask(self, fraction: float = HOLDOUT_FRACTION) -> np.ndarray:
        """Which digits are held out from fine-tuning: an even ``fraction`` of each label, by age.

        Stable as digits are added, from any process (ids only grow), so a digit keeps its side and
        "held-out accuracy" always means drawings the model was never tuned on.
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
        k = len(x)
        if k == 0:
            raise DataError(f"{path}: holds no images")

        def change(s: _State) -> tuple[_State, int]:
            return _State(np.concatenate([s.x, x]), np.concatenate([s.y, y]), np.concatenate([s.ids, np.arange(s.next_id, s.next_id + k)]),
                          np.concatenate([s.created, np.full(k, time.time())]), s.strokes + [()] * k, s.next_id + k), k

        return self._commit(change)


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


# --- file format --------------------------------------------------------------------------------------

def _file_digest(path: Path) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


def _move_aside(path: Path) -> Path:
    """Rename a damaged file to ``<stem>.unreadable-<time>[-k]<suffix>`` (never over an earlier one)."""
    stem = f"{path.stem}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
    aside, k = path.with_name(stem + path.suffix), 2
    while aside.exists():
        aside, k = path.with_name(f"{stem}-{k}{path.suffix}"), k + 1
    path.rename(aside)
    log.warning("unreadable My digits file moved to %s", aside)
    return aside


def _check_label(label: int) -> int:
    if not 0 <= int(label) <= 9:
        raise DataError(f"label must be 0-9 (got {label})")
    return int(label)


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
