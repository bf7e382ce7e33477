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


def test_finetune_on_exported_digits(tmp_path, small_mnist):
    d = load_mnist()
    digits = tmp_path / "mine.npz"
    np.savez(digits, x_train=d.x_test[:30], y_train=d.y_test[:30], x_test=d.x_test[30:40], y_test=d.y_test[30:40])
    small = tmp_path / "small.npz"
    np.savez(small, x_train=small_mnist.x_train, y_train=small_mnist.y_train, x_test=small_mnist.x_test, y_test=small_mnist.y_test)
    out = tmp_path / "tuned.keras"
    r = run("finetune", str(digits), "--epochs", "1", "--data", str(small), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "on 30 of your digits" in r.stdout and "10 of yours held out" in r.stdout
    assert "Before: MNIST test accuracy" in r.stdout and "After: MNIST test accuracy" in r.stdout
    assert out.is_file() and f"Fine-tuned model: {out}" in r.stdout


@pytest.mark.parametrize("arrays, msg", [
    ({"x_train": np.zeros((30, 28, 28), np.uint8), "y_train": np.zeros(29, np.uint8)}, "labels"),
    ({"x_train": np.zeros((5, 28, 28), np.uint8), "y_train": np.zeros(5, np.uint8)}, "at least 10"),
    ({"pictures": np.zeros((30, 28, 28), np.uint8)}, "Keras MNIST layout"),
])
def test_finetune_bad_digits_file_exits_2(tmp_path, arrays, msg):
    digits = tmp_path / "mine.npz"
    np.savez(digits, **arrays)
    r = run("finetune", str(digits), "--out", str(tmp_path / "x.keras"))
    assert r.returncode == 2 and "error:" in r.stderr and msg in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.keras").exists()


def test_augment_flag_follows_the_preset_unless_given():
    from mnist_gui.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["train"]).augment is None
    assert parse(["train", "--augment"]).augment is True
    assert parse(["train", "--no-augment"]).augment is False
