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


def test_nan_loss_stops_with_a_message_and_keeps_best(small_mnist, tmp_path):
    good = run_training(TrainingConfig.preset_config("notebook").with_(epochs=1), small_mnist, tmp_path)
    before = good.model_path.read_bytes()
    cfg = TrainingConfig.preset_config("notebook").with_(epochs=2)
    cfg = cfg.with_(model=cfg.model.__class__(optimizer="sgd", learning_rate=10.0))
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
    cfg = cfg.with_(model=cfg.model.__class__(optimizer="sgd", learning_rate=10.0))  # diverges in epoch 1
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
