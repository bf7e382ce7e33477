"""Builds the PyInstaller bundle and runs the frozen smoke test from a clean folder (marker: bundle)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.bundle, pytest.mark.slow]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    if shutil.which("pyinstaller") is None and not (Path(sys.executable).parent / "pyinstaller").exists():
        pytest.fail("pyinstaller is not installed: install the project with its 'bundle' extra")
    work = tmp_path_factory.mktemp("build")
    pyinstaller = shutil.which("pyinstaller") or str(Path(sys.executable).parent / "pyinstaller")
    r = subprocess.run([pyinstaller, "--noconfirm", "--log-level", "WARN", "--distpath", str(work / "dist"),
                        "--workpath", str(work / "build"), str(ROOT / "build.spec")],
                       capture_output=True, text=True, cwd=ROOT, timeout=1800)
    assert r.returncode == 0, r.stderr[-4000:]
    exe = work / "dist" / "mnist-gui" / "mnist-gui"
    assert exe.is_file()
    return exe


def test_frozen_smoke_test_passes_from_a_clean_folder(bundle, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([str(bundle), "--smoke-test"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "smoke test ok" in r.stdout
    assert not (home / ".keras").exists(), "the frozen app must not download or cache MNIST"


def test_bundle_carries_data_model_icon_and_licenses(bundle):
    res = bundle.parent / "_internal" / "resources"
    for name in ("mnist.npz", "default_model.keras", "default_model.weights.npz", "cnn_model.keras", "cnn_model.weights.npz",
                 "cnn_model.json", "icon.png", "mnist-gui.desktop",
                 "MNIST_LICENSE_AND_PROVENANCE.md"):
        assert (res / name).is_file(), name
    assert not (bundle.parent / "_internal" / "tkinter").exists()


def test_frozen_cli_reports_errors_with_exit_2(bundle, tmp_path):
    r = subprocess.run([str(bundle), "evaluate", str(tmp_path / "missing.keras")], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=300)
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr
