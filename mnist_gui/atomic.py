"""Atomic file writes: write to a temp file in the same folder, fsync, then rename over the target.

A crash, a full disk or a read-only folder never leaves a half-written file under the final name, and
the previous file survives any failure.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success it replaces ``target`` in one rename."""
    target = Path(target)
    if target.exists() and not target.is_file():
        # Never rename over a device, folder or socket (e.g. /dev/full): that would replace it.
        raise IsADirectoryError(errno.EISDIR, "not a regular file", str(target)) if target.is_dir() else \
            OSError(errno.EINVAL, "not a regular file", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; a saved file should look like any other
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_with(target: str | os.PathLike[str], writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result into place atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)


def atomic_save_npz(target: str | os.PathLike[str], arrays: dict[str, Any], meta: dict[str, str]) -> None:
    """A plain (never pickled) npz of ``arrays`` plus each ``meta`` string as ``meta_<key>``, written atomically."""
    import numpy as np

    arrays = {**arrays, **{f"meta_{key}": np.array(value) for key, value in meta.items()}}
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
