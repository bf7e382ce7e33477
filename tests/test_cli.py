"""The headless CLI end to end: train on --limit, evaluate, predict, and exit code 2 on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert "10000 test samples" in text  # --limit limits the training images only: every run is tested alike
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


# --- issue 14: hostile-but-realistic CLI cases, each through the real entry point -----------------------

def assert_user_error(r: subprocess.CompletedProcess, *fragments: str) -> None:
    """``error: …`` on stderr naming each fragment, exit status 2, and never a traceback."""
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "error:" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    for fragment in fragments:
        assert fragment in r.stderr, (fragment, r.stderr[-2000:])


@pytest.mark.parametrize("args, msg", [
    (["train", "--seed", "-1"], "from 0 to 4294967295 (got -1)"),
    (["train", "--seed", str(2**32)], "from 0 to 4294967295"),
    (["train", "--seed", "99999999999999999999"], "from 0 to 4294967295"),
    (["train", "--seed", "1.5"], "not a whole number"),
    (["train", "--learning-rate", "inf"], "finite number > 0"),
    (["train", "--learning-rate", "1e400"], "finite number > 0"),
    (["train", "--epochs", "99999999999999999999", "--limit", "300"], "epochs must be a whole number from 1 to 1000"),
    (["train", "--batch-size", "99999999999999999999", "--limit", "300"], "larger than"),
    (["train", "--validation-split", "nan"], "between 0 and 1"),
    (["train", "--limit", "-5"], "must be ≥ 1"),
    (["finetune", "DIGITS", "--seed", "-1"], "from 0 to 4294967295 (got -1)"),
    (["finetune", "DIGITS", "--seed", "99999999999999999999"], "from 0 to 4294967295"),
    (["finetune", "DIGITS", "--epochs", "99999999999999999999"], "from 1 to 100"),
    (["finetune", "DIGITS", "--learning-rate", "5"], "learning rate must be in (0, 1]"),
    (["finetune", "DIGITS", "--share", "1"], "between 0 and 1"),
])
def test_bad_numbers_are_refused_before_anything_is_created(tmp_path, args, msg):
    digits = tmp_path / "mine.npz"
    d = load_mnist()
    np.savez(digits, x_train=d.x_test[:30], y_train=d.y_test[:30])
    out = tmp_path / "out" / ("t.keras" if args[0] == "finetune" else "")
    r = run(*[str(digits) if a == "DIGITS" else a for a in args], "--out", str(out), env_extra={"MNIST_GUI_DATA_DIR": str(tmp_path / "ud")})
    assert_user_error(r, msg)
    assert not (tmp_path / "out").exists(), "no (empty) output folder may be left behind"
    assert not (tmp_path / "ud" / "models").exists()


@pytest.fixture(scope="module")
def uncompiled_model(tmp_path_factory):
    """The pretrained model re-saved without compile(): a fine model with no optimizer or loss."""
    import keras

    from mnist_gui.paths import default_model_path

    p = tmp_path_factory.mktemp("uncompiled") / "plain.keras"
    keras.models.load_model(default_model_path(), compile=False).save(p)
    return p


def test_evaluate_compiles_a_model_saved_without_compile(uncompiled_model):
    r = run("evaluate", str(uncompiled_model), "--limit", "500")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    acc = float(r.stdout.split("Test accuracy:")[1].strip().rstrip("%"))
    assert acc > 95, r.stdout
    assert not (uncompiled_model.parent / "plain.weights.npz").exists(), "nothing is written beside the user's model"


def test_predict_with_a_keras_file_alone_derives_its_weights(uncompiled_model, tmp_path):
    d = load_mnist()
    paths = []
    for i in range(3):
        p = tmp_path / f"d{i}.png"
        Image.fromarray(d.x_test[i]).save(p)
        paths.append(str(p))
    ud = tmp_path / "ud"
    for _ in range(2):  # the second run reads the cached weights
        r = run("predict", "--model", str(uncompiled_model), *paths, env_extra={"MNIST_GUI_DATA_DIR": str(ud)})
        assert r.returncode == 0 and "weights.npz" not in r.stderr, r.stderr[-2000:]
        assert [int(line.split(": ")[1].split()[0]) for line in r.stdout.strip().splitlines()] == [int(v) for v in d.y_test[:3]]
    assert not (uncompiled_model.parent / "plain.weights.npz").exists(), "nothing is written beside the user's model"
    assert len(list((ud / "cache" / "weights").glob("*.weights.npz"))) == 1


def _bad_inputs(tmp_path):
    png = tmp_path / "digit.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(png)
    noise = tmp_path / "noise.npz"
    noise.write_bytes(np.random.default_rng(0).bytes(4000))
    loop = tmp_path / "loop.npz"
    os.symlink(tmp_path / "loop2.npz", loop)
    os.symlink(loop, tmp_path / "loop2.npz")
    dangling = tmp_path / "dangling.npz"
    os.symlink(tmp_path / "gone.npz", dangling)
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    return {"png": (png, ["not an npz file", "PNG image"]), "noise": (noise, ["not an npz file"]),
            "loop": (loop, ["symbolic link loop"]), "dangling": (dangling, ["symbolic link to", "does not exist"]),
            "dev_null": (Path("/dev/null"), ["character device", "not a regular file"]),
            "folder": (folder, ["a folder, not an npz file"])}


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and /dev/null")
@pytest.mark.parametrize("case", ["png", "noise", "loop", "dangling", "dev_null", "folder"])
def test_data_that_is_not_an_npz_says_what_it_is(tmp_path, case):
    path, fragments = _bad_inputs(tmp_path)[case]
    command = ["finetune", str(path)] if case == "folder" else ["train", "--data", str(path), "--limit", "100"]
    r = run(*command, "--out", str(tmp_path / "out" / "x.keras"))
    assert_user_error(r, str(path), *fragments)
    assert "pickled" not in r.stderr and "no such file" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_real_pickle_is_still_called_one(tmp_path):
    import pickle

    p = tmp_path / "objects.npz"
    p.write_bytes(pickle.dumps({"x_train": [1, 2, 3]}))
    assert_user_error(run("train", "--data", str(p)), "holds pickled Python objects")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and /dev/null")
@pytest.mark.parametrize("case", ["loop", "dev_null", "folder"])
def test_model_path_that_is_not_a_file_says_what_it_is(tmp_path, case):
    path, fragments = _bad_inputs(tmp_path)[case]
    r = run("evaluate", str(path))
    assert_user_error(r, str(path), fragments[0].replace("an npz file", "a .keras model file"))
    assert "no such file" not in r.stderr


def test_keras_load_error_shows_every_cause_without_traceback(tmp_path, uncompiled_model):
    import json
    import zipfile

    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(uncompiled_model) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "config.json":
                cfg = json.loads(data)
                dense = next(layer for layer in cfg["config"]["layers"] if layer["class_name"] == "Dense")
                dense["config"]["units"] = "abc"
                data = json.dumps(cfg).encode()
            dst.writestr(name, data)
    r = run("evaluate", str(bad))
    # The first line of Keras' message only says "Sequential could not be deserialized"; the cause is further down.
    assert_user_error(r, "could not be deserialized", "Received an invalid value for `units`")
    assert "config={" not in r.stderr and "'module':" not in r.stderr, "no config dumps"


def test_idx_length_message_shows_the_real_numbers(tmp_path):
    from tests.test_data import _idx_bytes, _write_idx_dir

    d = load_mnist()
    folder = _write_idx_dir(tmp_path / "idx", {"x_train": d.x_train[:20], "y_train": d.y_train[:20],
                                               "x_test": d.x_test[:20], "y_test": d.y_test[:20]})
    img = folder / "train-images-idx3-ubyte"
    raw = _idx_bytes(d.x_train[:20])
    img.write_bytes(raw[:4] + b"\xff" * 12 + raw[16:])  # every dimension 4,294,967,295
    r = run("train", "--data", str(folder))
    huge = f"{(2**32 - 1) ** 3:,}"
    assert_user_error(r, "4,294,967,295 × 4,294,967,295 × 4,294,967,295", huge, f"the file holds {20 * 784:,}")
    assert "12884901887" not in r.stderr


def _unwritable_folder(tmp_path):
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        (ro / "probe").write_bytes(b"")
    except OSError:
        return ro
    (ro / "probe").unlink()  # root ignores permissions: a sysfs folder refuses new files even to root
    if os.path.isdir("/sys/kernel"):
        try:
            open("/sys/kernel/mnist-gui-probe", "wb").close()
        except OSError:
            return Path("/sys/kernel")
    pytest.skip("no unwritable folder available")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("sub", ["", "new/run"])
def test_unwritable_out_is_found_before_training(tmp_path, sub):
    out = _unwritable_folder(tmp_path) / sub
    r = run("train", "--limit", "300", "--epochs", "1", "--out", str(out))
    assert_user_error(r, "cannot write to the output folder", str(out))
    assert "Epoch 1/" not in r.stdout and "Test accuracy before" not in r.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unwritable_finetune_out_is_found_before_anything_runs(tmp_path):
    digits = tmp_path / "mine.npz"
    d = load_mnist()
    np.savez(digits, x_train=d.x_test[:30], y_train=d.y_test[:30])
    out = _unwritable_folder(tmp_path) / "tuned.keras"
    r = run("finetune", str(digits), "--out", str(out))
    assert_user_error(r, "cannot write to the output folder")
    assert "Before:" not in r.stdout


def test_out_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "taken"
    f.write_text("mine")
    assert_user_error(run("train", "--limit", "300", "--out", str(f)), str(f), "is a file, not a folder")
    assert f.read_text() == "mine"


TINY = ("--preset", "notebook", "--limit", "300", "--batch-size", "32", "--epochs", "1")


def test_reused_out_keeps_the_earlier_model_and_says_where_this_run_went(trained):
    _, out = trained
    before = (out / "best.keras").read_bytes()
    r = run("train", *TINY, "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / "best.keras").read_bytes() == before, "the earlier best.keras must survive"
    new = out / "run-2"
    assert f"this run is saved in {new}" in r.stdout and f"Best model: {new / 'best.keras'}" in r.stdout
    assert (new / "best.keras").is_file() and (new / "best.json").is_file()


def test_save_error_names_the_file(tmp_path):
    out = tmp_path / "run"
    (out / "best.weights.npz").mkdir(parents=True)  # the sidecar cannot be written
    r = run("train", *TINY, "--out", str(out))
    assert_user_error(r, f"cannot save {out / 'best.weights.npz'}")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_during_train_keeps_the_best_checkpoint_and_its_json(tmp_path):
    import json
    import signal

    out = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "mnist_gui", "train", "--preset", "notebook", "--limit", "1000", "--epochs", "1000",
                          "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in p.stdout:
            if line.startswith("Epoch 2/"):  # the first checkpoint is on disk
                break
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=300)
    finally:
        p.kill()
    assert p.returncode == 130 and "Traceback" not in stderr, stderr[-2000:]
    assert "the best checkpoint so far (epoch" in stderr and f"was kept: {out / 'best.keras'}" in stderr
    assert "best.json" in stderr
    meta = json.loads((out / "best.json").read_text())
    assert meta["stopped"] and meta["stop_reason"] == "stopped by user" and meta["best_epoch"] >= 1
    assert "Epoch 1000/1000" not in stdout


def test_earlier_outputs_are_never_chosen_as_targets(tmp_path, capsys):
    from mnist_gui.cli import _fresh_run_dir, _unused_model_path

    assert _fresh_run_dir(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "best.keras").write_bytes(b"earlier")
    (tmp_path / "run-2").mkdir()
    (tmp_path / "run-2" / "best.keras").write_bytes(b"earlier too")
    assert _fresh_run_dir(tmp_path) == tmp_path / "run-3"
    assert f"this run is saved in {tmp_path / 'run-3'}" in capsys.readouterr().out
    tuned = tmp_path / "tuned.keras"
    assert _unused_model_path(tuned) == tuned
    tuned.write_bytes(b"earlier")
    assert _unused_model_path(tuned) == tmp_path / "tuned-2.keras"
    assert "is kept; the fine-tuned model is saved as" in capsys.readouterr().out


# --- issue 12: --arch, export ---------------------------------------------------------------------------

@pytest.mark.parametrize("arch, preset, want", [(None, None, "default"), ("mlp", None, "default"), ("cnn", None, "cnn"),
                                                (None, "cnn", "cnn"), (None, "notebook", "notebook"), ("mlp", "notebook", "notebook")])
def test_arch_picks_its_preset(arch, preset, want):
    from mnist_gui.cli import resolve_preset

    assert resolve_preset(arch, preset) == want


@pytest.mark.parametrize("args, msg", [
    (["--arch", "mlp", "--preset", "cnn"], "--preset cnn is for the cnn architecture, not --arch mlp"),
    (["--arch", "cnn", "--preset", "default"], "--preset default is for the mlp architecture, not --arch cnn"),
    (["--arch", "rnn"], "invalid choice"),
])
def test_conflicting_arch_and_preset_exit_2(tmp_path, args, msg):
    r = run("train", *args, "--limit", "300", "--out", str(tmp_path / "out"))
    assert_user_error(r, msg)
    assert not (tmp_path / "out").exists()


def test_train_arch_cnn_trains_the_cnn_and_ends_with_test_accuracy(tmp_path):
    out = tmp_path / "cnn"
    r = run("train", "--arch", "cnn", "--limit", "600", "--epochs", "1", "--batch-size", "64", "--out", str(out), "--name", "tiny cnn")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "conv1 (Conv2D)" in r.stdout and "Total params: 225,546" in r.stdout and "Epoch 1/1" in r.stdout
    assert r.stdout.strip().splitlines()[-2].startswith("Test accuracy: ") and r.stdout.rstrip().endswith("best.keras")
    from mnist_gui.ml.cnn import NumpyCnnPredictor
    from mnist_gui.ml.inference import load_predictor
    from mnist_gui.ml.runs import list_runs

    assert isinstance(load_predictor(out / "best.keras"), NumpyCnnPredictor)
    (rec,), _ = list_runs()
    assert rec.name == "tiny cnn" and rec.arch == "cnn" and rec.preset == "cnn" and rec.model_path == out / "best.keras"


def test_train_without_out_goes_to_a_new_run_folder(tmp_path):
    ud = tmp_path / "ud"
    r = run("train", *TINY, env_extra={"MNIST_GUI_DATA_DIR": str(ud)})
    assert r.returncode == 0, r.stderr[-2000:]
    (folder,) = (ud / "runs").iterdir()
    assert folder.name.startswith("run-") and f"Best model: {folder / 'best.keras'}" in r.stdout
    assert sorted(f.name for f in folder.iterdir()) == ["best.json", "best.keras", "best.weights.npz", "run.json"]


def test_export_tflite_end_to_end(tmp_path):
    out = tmp_path / "exports" / "m.tflite"
    from mnist_gui.paths import default_model_path

    r = run("export", str(default_model_path()), "--format", "tflite", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.is_file() and f"as tflite: {out}" in r.stdout and "Checked on 1,000 test digits" in r.stdout


@pytest.mark.parametrize("fmt, msg", [("onnx", "ONNX export is not available"), ("zip", "unknown format 'zip'")])
def test_export_bad_format_exits_2(tmp_path, fmt, msg):
    from mnist_gui.paths import default_model_path

    r = run("export", str(default_model_path()), "--format", fmt, "--out", str(tmp_path / "x"))
    assert_user_error(r, msg)
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_export_unwritable_out_exits_2(tmp_path):
    from mnist_gui.paths import default_model_path

    out = _unwritable_folder(tmp_path) / "m.tflite"
    r = run("export", str(default_model_path()), "--format", "tflite", "--out", str(out))
    assert_user_error(r, "cannot write to the output folder")


def test_export_missing_model_exits_2(tmp_path):
    assert_user_error(run("export", str(tmp_path / "nope.keras"), "--format", "keras"), "no such file")


# --- review: a bad run name leaves nothing, a tiny learning rate, too few MNIST images, a failed smoke test ------

def test_a_too_long_run_name_exits_2_and_creates_nothing(tmp_path):
    r = run("train", "--name", "a" * 500, "--out", str(tmp_path / "new" / "dir"), "--limit", "1000", "--epochs", "1",
            env_extra={"MNIST_GUI_DATA_DIR": str(tmp_path / "ud")})
    assert_user_error(r, "a run name may have at most 200 characters (got 500)")
    assert not (tmp_path / "new").exists() and not (tmp_path / "ud" / "runs").exists()


def test_a_learning_rate_that_rounds_to_zero_exits_2(tmp_path):
    digits, d = tmp_path / "mine.npz", load_mnist()
    np.savez(digits, x_train=d.x_test[:30], y_train=d.y_test[:30])
    for cmd in (["train", "--out", str(tmp_path / "out")], ["finetune", str(digits), "--out", str(tmp_path / "out" / "t.keras")]):
        r = run(*cmd, "--learning-rate", "1e-320")
        assert_user_error(r, "learning rate", "too small")
    assert not (tmp_path / "out").exists()


def test_finetune_with_too_few_mnist_images_exits_2(tmp_path):
    d = load_mnist()
    digits, small = tmp_path / "mine.npz", tmp_path / "small.npz"
    np.savez(digits, x_train=d.x_test[:30], y_train=d.y_test[:30])
    np.savez(small, x_train=d.x_train[:100], y_train=d.y_train[:100], x_test=d.x_test[:50], y_test=d.y_test[:50])
    r = run("finetune", str(digits), "--data", str(small), "--out", str(tmp_path / "out" / "t.keras"))
    assert_user_error(r, "needs at least 112 MNIST training images (there are 100)")
    assert not (tmp_path / "out").exists()


def test_a_failed_smoke_test_exits_1_after_its_threads_end(tmp_path):
    r = run("--smoke-test", "--data", str(tmp_path / "missing.npz"), env_extra={"MNIST_GUI_DATA_DIR": str(tmp_path / "ud")})
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])  # was: 134, Qt's abort
    assert "smoke test failed" in r.stdout and "missing.npz" in r.stdout
    assert "QThread: Destroyed" not in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]


def test_a_failed_smoke_test_closes_its_window_and_waits_for_a_slow_tensorflow_import(tmp_path, monkeypatch):
    """In process, with TensorFlow's import made slow: the failure path must not return while it still runs."""
    import time

    from mnist_gui import app
    from mnist_gui.smoke import run_smoke_test
    from mnist_gui.views import startup_loader
    from mnist_gui.views.threads import running_threads, wait_all

    windows = []
    create_window = app.create_window
    monkeypatch.setattr(app, "create_window", lambda *a: windows.append(create_window(*a)) or windows[-1])
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # the smoke test sets it; restored after
    monkeypatch.setattr(startup_loader, "import_tensorflow", lambda: time.sleep(2) or "slow")
    try:
        assert run_smoke_test(str(tmp_path / "missing.npz"), timeout_s=60) == 1
        assert not windows[0].isVisible(), "the window is closed on the failure path"
        assert running_threads() == [], "was: the import thread still running (Qt aborts the process at exit)"
    finally:
        windows[0].close()
        wait_all()


def test_train_help_gives_every_setting_its_default():
    from mnist_gui.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for command, options in (("train", ("--epochs", "--batch-size", "--validation-split", "--learning-rate", "--optimizer", "--seed")),
                             ("finetune", ("--epochs", "--share", "--learning-rate", "--seed")), ("evaluate", ("--data", "--limit"))):
        helps = {o: a.help or "" for a in sub.choices[command]._actions for o in a.option_strings}
        for option in options:
            assert "default" in helps[option], (command, option, helps[option])
    helps = {o: a.help for a in sub.choices["train"]._actions for o in a.option_strings}
    assert helps["--optimizer"] == "default: the preset's (notebook rmsprop, default adam, cnn adam)"
