"""Real TensorFlow training on small slices: learning, atomic best checkpoint, stop event, NaN guard."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.inference import load_predictor
from mnist_gui.ml.model_io import load_keras_model, read_metadata
from mnist_gui.ml.training import TrainingConfig, TrainingReporter, run_training


class Recorder(TrainingReporter):
    def __init__(self, stop_at: int | None = None, event: threading.Event | None = None) -> None:
        self.lines: list[str] = []
        self.batches: list[tuple[int, int]] = []
        self.epochs: list[dict] = []
        self.stop_at, self.event = stop_at, event
        self.batches_after_stop = 0

    def message(self, text: str) -> None:
        self.lines.append(text)

    def batch(self, epoch, step, steps, logs) -> None:
        if self.event is not None and self.event.is_set():
            self.batches_after_stop += 1
        self.batches.append((epoch, step))
        if self.stop_at is not None and len(self.batches) == self.stop_at:
            self.event.set()

    def epoch(self, epoch, logs, seconds) -> None:
        self.epochs.append(logs)


def test_one_epoch_lowers_loss_and_writes_loadable_checkpoint(small_mnist, tmp_path):
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=2, seed=3)
    rec = Recorder()
    result = run_training(cfg, small_mnist, tmp_path, rec)
    assert result.history["loss"][1] < result.history["loss"][0]
    assert result.test_accuracy > result.test_accuracy_before + 0.3
    assert result.model_path == tmp_path / "best.keras" and result.model_path.is_file()
    assert any("val_loss improved from inf" in line for line in rec.lines)
    assert rec.lines[-1].startswith("Test accuracy: ")
    assert not list(tmp_path.glob("*.tmp*")), "temp files left behind"
    # the checkpoint, its numpy sidecar and the loaded model agree
    model, pred = load_keras_model(result.model_path)
    x = small_mnist.x_test[:32].astype(np.float32) / 255
    assert np.abs(load_predictor(result.model_path).predict(x) - model.predict(x, verbose=0)).max() < 1e-5
    meta = read_metadata(result.model_path)
    assert meta["test_accuracy"] == pytest.approx(result.test_accuracy)
    assert meta["config"]["batch_size"] == 128 and "tensorflow" in meta["versions"]


def test_stop_event_is_honoured_within_one_batch(small_mnist, tmp_path):
    event = threading.Event()
    rec = Recorder(stop_at=3, event=event)
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=3, batch_size=32, steps_per_execution=1)
    result = run_training(cfg, small_mnist, tmp_path, rec, event)
    assert result.stopped and result.stop_reason == "stopped by user"
    assert rec.batches_after_stop == 0, "a batch ran after the stop was seen"
    assert len(rec.batches) == 3 and len(result.history["loss"]) == 1
    assert result.model_path.is_file(), "the best checkpoint so far is kept"
    # the log's epoch line says how far the epoch got, not "N/N"
    steps = rec.batches[-1][1]
    line = next(t for t in rec.lines if t.startswith(f"{steps}/"))
    assert steps == 3 and line.endswith("(stopped mid-epoch)") and not line.startswith(f"{steps}/{steps} ")


def test_nan_loss_stops_with_a_message_and_keeps_best(small_mnist, tmp_path):
    good = run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist, tmp_path)
    before = good.model_path.read_bytes()
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=2)
    # small batches: many steps at the highest learning rate reach inf/NaN whatever order the batches come in
    cfg = cfg.with_(optimizer="sgd", learning_rate=10.0, batch_size=16)
    with pytest.raises(ModelError, match="NaN"):
        run_training(cfg, small_mnist, tmp_path)
    assert good.model_path.read_bytes() == before, "the earlier checkpoint must survive"


@pytest.mark.parametrize("changes, msg", [
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 100000}, "larger than"),
    ({"validation_split": 0.0}, "validation split"),
    ({"validation_split": 1.0}, "validation split"),
])
def test_bad_hyperparameters_rejected_before_training(small_mnist, tmp_path, changes, msg):
    with pytest.raises(ConfigError, match=msg):
        run_training(TrainingConfig().with_(**changes), small_mnist, tmp_path)


@pytest.mark.parametrize("seed", [-1, 2**32, 10**20])
def test_bad_seed_is_refused_before_any_folder_is_made(small_mnist, tmp_path, seed):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match="seed must be a whole number from 0 to 4294967295"):
        run_training(TrainingConfig().with_(seed=seed), small_mnist, out)
    assert not out.exists()


def test_unwritable_output_is_found_before_any_work(small_mnist, tmp_path):
    (tmp_path / "file").write_text("x")
    rec = Recorder()
    with pytest.raises(ModelError, match="cannot write to the output folder"):
        run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist, tmp_path / "file" / "run", rec)
    assert rec.lines == [], "nothing ran"


def test_a_run_that_keeps_nothing_leaves_no_folder(small_mnist, tmp_path):
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=1)
    cfg = cfg.with_(optimizer="sgd", learning_rate=10.0, batch_size=16)  # diverges in epoch 1
    out = tmp_path / "a" / "run"
    with pytest.raises(ModelError, match="before any checkpoint"):
        run_training(cfg, small_mnist, out)
    assert not (tmp_path / "a").exists()


def test_each_checkpoint_has_its_json_even_if_the_run_is_then_aborted(small_mnist, tmp_path):
    class AbortAfterCheckpoint(Recorder):
        def checkpoint(self, epoch, val_loss, path) -> None:
            raise KeyboardInterrupt  # as a second Ctrl-C would

    with pytest.raises(KeyboardInterrupt):
        run_training(TrainingConfig.preset_config("notebook").with_(epochs=3), small_mnist, tmp_path, AbortAfterCheckpoint())
    meta = read_metadata(tmp_path / "best.keras")
    assert meta["best_epoch"] == 1 and meta["complete"] is False and len(meta["history"]["val_loss"]) == 1
    assert meta["config"]["epochs"] == 3
    assert meta["train_images"] == TrainingConfig.preset_config("notebook").fit_size(len(small_mnist.x_train))  # listed as it trains


# --- issue 15/12: typed results, one training-set size, both architectures, run records -------------------

def test_result_is_complete_and_typed(small_mnist, tmp_path):
    from mnist_gui.ml.inference import NumpyPredictor
    from mnist_gui.ml.runs import list_runs
    from mnist_gui.ml.training import StopReason

    result = run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist.limited(600), tmp_path, name="first")
    assert result.stop is StopReason.COMPLETED and not result.stopped and result.stop_reason == ""
    assert isinstance(result.predictor, NumpyPredictor) and result.predictor.name == "best.keras"
    x = small_mnist.x_test[:20] / 255.0
    assert np.abs(result.predictor.predict(x) - result.model.predict(x, verbose=0)).max() < 1e-5
    runs, warnings = list_runs()
    assert warnings == [] and [r.id for r in runs] == [result.run_id] and runs[0].name == "first"
    assert runs[0].model_path == result.model_path.absolute() and runs[0].test_accuracy == pytest.approx(result.test_accuracy)
    assert runs[0].arch == "mlp" and runs[0].preset == "notebook" and runs[0].seed == 42 and runs[0].epochs == 1
    assert runs[0].history["val_loss"] == result.history["val_loss"] and runs[0].complete
    # the images it fitted on: the 600 given less the 20 % validation split, in the result, best.json and the record
    assert result.train_images == 480 and result.meta()["train_images"] == 480 and runs[0].train_images == 480
    assert read_metadata(result.model_path)["train_images"] == 480


def test_stop_reason_is_an_enum_on_a_stopped_run(small_mnist, tmp_path):
    from mnist_gui.ml.training import StopReason

    event = threading.Event()
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=2, batch_size=32, steps_per_execution=1)
    result = run_training(cfg, small_mnist.limited(600), tmp_path, Recorder(stop_at=20, event=event), event)
    assert result.stop is StopReason.STOPPED_BY_USER and result.meta()["stop_reason"] == "stopped by user"
    assert result.predictor is not None


def test_progress_total_is_fit_size_and_equals_the_batches_keras_runs(small_mnist, tmp_path):
    from mnist_gui.ml.training import fit_size

    # 100 · 0.29 is 28.999… in floating point: int() gave 72 training images where Keras' own split took 71,
    # so progress announced 2 batches of 71 while Keras ran 1. Training slices the split itself now.
    data = small_mnist.limited(100)
    assert fit_size(100, 0.29) == 71 and fit_size(60000, 0.2) == 48000 and fit_size(1500, 0.2) == 1200
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=2, batch_size=71, validation_split=0.29, steps_per_execution=1)

    class Steps(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.totals: list[int] = []

        def batch(self, epoch, step, steps, logs) -> None:
            super().batch(epoch, step, steps, logs)
            self.totals.append(steps)

    rec = Steps()
    result = run_training(cfg, data, tmp_path, rec)
    assert set(rec.totals) == {1} and rec.batches == [(0, 1), (1, 1)], "one batch of 71 per epoch, announced as 1"
    assert result.samples_per_second > 0 and any(line.startswith("1/1 - ") for line in rec.lines)


def test_evaluate_untrained_is_the_runs_accuracy_before_training(small_mnist, tmp_path):
    from mnist_gui.ml.training import evaluate_untrained

    cfg = TrainingConfig.preset_config("notebook").with_(epochs=1, seed=5)
    data = small_mnist.limited(400)
    before = evaluate_untrained(cfg, data)
    assert 0.0 <= before < 0.35
    assert run_training(cfg, data, tmp_path).test_accuracy_before == pytest.approx(before)


def test_cnn_preset_trains_a_cnn_whose_numpy_predictor_equals_keras(small_mnist, tmp_path):
    from mnist_gui.ml.cnn import NumpyCnnPredictor
    from mnist_gui.ml.inference import load_predictor
    from mnist_gui.ml.runs import get_run

    cfg = TrainingConfig.preset_config("cnn").with_(epochs=1, batch_size=64)
    rec = Recorder()
    result = run_training(cfg, small_mnist.limited(800), tmp_path, rec)
    assert any("conv1 (Conv2D)" in line for line in rec.lines) and rec.lines[-1].startswith("Test accuracy: ")
    assert isinstance(result.predictor, NumpyCnnPredictor)
    x = small_mnist.x_test[:100] / 255.0
    keras_out = result.model.predict(x, verbose=0)
    assert np.abs(result.predictor.predict(x) - keras_out).max() < 1e-5
    assert isinstance(load_predictor(result.model_path), NumpyCnnPredictor), "the sidecar is the CNN's"
    model, pred = load_keras_model(result.model_path)
    assert isinstance(pred, NumpyCnnPredictor) and np.abs(pred.predict(x) - keras_out).max() < 1e-5
    assert read_metadata(result.model_path)["config"]["arch"] == "cnn" and get_run(result.run_id).arch == "cnn"


def test_record_false_and_a_failed_run_leave_no_run_record(small_mnist, tmp_path):
    from mnist_gui.ml.runs import list_runs

    run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist.limited(300), tmp_path / "a", record=False)
    with pytest.raises(ModelError, match="before any checkpoint"):
        run_training(TrainingConfig.preset_config("notebook").with_(epochs=1, optimizer="sgd", learning_rate=10.0, batch_size=16),
                     small_mnist, tmp_path / "b")
    assert list_runs() == ([], [])


# --- review: a bad run name leaves no folder; a learning rate that rounds to 0 ----------------------------------

def test_a_too_long_run_name_is_refused_before_any_folder_is_made(small_mnist, tmp_path):
    with pytest.raises(ModelError, match="at most 200 characters"):
        run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist.limited(300), tmp_path / "new" / "dir",
                     name="a" * 500)
    assert list(tmp_path.iterdir()) == [], "was: new/dir left behind, empty"


def test_the_run_writer_is_made_inside_the_cleanup(small_mnist, tmp_path, monkeypatch):
    from mnist_gui.ml import runs

    def broken(*args, **kwargs):
        raise ModelError("the runs folder cannot be read")

    monkeypatch.setattr(runs, "RunWriter", broken)
    with pytest.raises(ModelError, match="runs folder"):
        run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist.limited(300), tmp_path / "new" / "dir")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lr", [1e-320, 1e-46, 5e-11])
def test_a_learning_rate_too_small_for_float32_is_refused(lr):
    with pytest.raises(ConfigError, match="learning rate .* too small"):
        TrainingConfig(learning_rate=lr).validate()
    with pytest.raises(ConfigError, match="learning rate"):
        TrainingConfig(learning_rate=float("nan")).validate()
    TrainingConfig(learning_rate=1e-10).validate()


def test_a_full_disk_at_the_first_checkpoint_leaves_no_model_without_its_details(small_mnist, tmp_path, monkeypatch):
    import errno

    from mnist_gui.ml import model_io

    def full(path, meta):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_io, "_write_json", full)
    out = tmp_path / "run"
    with pytest.raises(ModelError, match="No space left on device; nothing was saved"):
        run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist, out, record=False)
    assert not out.exists() or sorted(p.name for p in out.rglob("*")) == []  # no model, no temp file, no empty folder


def test_the_epoch_line_counts_the_steps_an_epoch_ran():
    from mnist_gui.ml.progress import epoch_line

    assert epoch_line(375, 4.24, {"loss": 0.25, "learning_rate": 0.001}) == "375/375 - 4.2s - loss: 0.2500"
    assert epoch_line(375, 1.2, {"loss": 0.5}, done=160) == "160/375 - 1.2s - loss: 0.5000 (stopped mid-epoch)"
    assert epoch_line(375, 1.0, {}, done=375) == "375/375 - 1.0s"
