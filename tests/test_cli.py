"""The headless CLI end to end: train on --limit, evaluate, predict, and exit code 2 on bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mnist_gui.ml.data import load_mnist


def run(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "mnist_gui", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli_run")
    r = run("train", "--preset", "notebook", "--limit", "1500", "--epochs", "1", "--out", str(out), "--seed", "7")
    return r, out


def test_train_prints_the_notebooks_steps(trained):
    r, out = trained
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "1500 train samples" in text and "First ten labels: 5 0 4 1 9 2 1 3 1 4" in text
    assert "5 -> 0 0 0 0 0 1 0 0 0 0" in text
    assert "Total params: 669,706" in text
    assert "Test accuracy before training:" in text
    assert "Epoch 1/1" in text and "val_loss improved from inf to" in text and "saving model to" in text
    assert "Loading the best checkpoint" in text
    assert text.strip().splitlines()[-2].startswith("Test accuracy: ")
    assert (out / "best.keras").is_file() and (out / "best.weights.npz").is_file() and (out / "best.json").is_file()


def test_evaluate_prints_accuracy(trained):
    _, out = trained
    r = run("evaluate", str(out / "best.keras"), "--limit", "500")
    assert r.returncode == 0, r.stderr
    assert "Test accuracy:" in r.stdout


def test_predict_reads_image_files(tmp_path):
    d = load_mnist()
    paths = []
    for i in range(5):
        # dark ink on white, 4x larger: polarity and size are handled by the normalisation
        img = 255 - np.kron(d.x_test[i], np.ones((4, 4), np.uint8))
        p = tmp_path / f"d{i}.png"
        Image.fromarray(img).save(p)
        paths.append(str(p))
    r = run("predict", *paths)
    assert r.returncode == 0, r.stderr
    digits = [int(line.split(": ")[1].split()[0]) for line in r.stdout.strip().splitlines()]
    assert digits == [int(v) for v in d.y_test[:5]]


@pytest.mark.parametrize("args, msg", [
    (["train", "--data", "/nonexistent/mnist.npz", "--limit", "10"], "no such file"),
    (["train", "--epochs", "0"], "must be ≥ 1"),
    (["train", "--validation-split", "1"], "between 0 and 1"),
    (["train", "--batch-size", "5000", "--limit", "100"], "larger than"),
    (["evaluate", "/nonexistent.keras"], "no such file"),
    (["predict", "/nonexistent.png"], "no such file"),
])
def test_bad_input_exits_2_with_error_line(args, msg):
    r = run(*args)
    assert r.returncode == 2
    assert "error:" in r.stderr and msg in r.stderr
    assert "Traceback" not in r.stderr


def test_evaluate_refuses_corrupt_model(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    r = run("evaluate", str(bad))
    assert r.returncode == 2 and "not a Keras model" in r.stderr and "Traceback" not in r.stderr
