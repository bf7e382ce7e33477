"""The frozen app (PyInstaller, ``dist/mnist-gui``): its size on disk and its start-up time.

``python -m benchmarks.bundle bundle`` prints one JSON line; ``benchmarks/run.py`` makes the figures from
it. Needs a built bundle: ``pyinstaller --noconfirm build.spec``.
"""

from __future__ import annotations

from benchmarks import common


def bundle(runs: int = 5) -> dict:
    """Bytes of the bundle's folder (symlinks not counted twice) and seconds to its first painted window."""
    exe = common.ROOT / "dist" / "mnist-gui" / "mnist-gui"
    if not exe.is_file():
        raise RuntimeError("no bundle at dist/mnist-gui: build it with `pyinstaller --noconfirm build.spec`")
    size = sum(f.stat().st_size for f in exe.parent.rglob("*") if f.is_file() and not f.is_symlink())
    # from /tmp: the frozen app must not depend on the source tree
    return {"bytes": size, "seconds": common.first_paint_seconds([str(exe)], runs, cwd="/tmp")}


MEASURES = {"bundle": bundle}

if __name__ == "__main__":
    raise SystemExit(common.main(MEASURES))
