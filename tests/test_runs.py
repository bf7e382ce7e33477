"""The run records behind the Runs list (no TensorFlow): listing, damaged records, renaming, deleting, old runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mnist_gui.errors import ModelError
from mnist_gui.ml.model_io import delete_model, file_sha256, model_files
from mnist_gui.ml.runs import RunWriter, delete_run, get_run, list_runs, rename_run
from mnist_gui.paths import legacy_models_dir, new_run_dir, runs_dir

META = {"config": {"arch": "mlp", "preset": "default", "seed": 7, "epochs": 3}, "history": {"loss": [0.5, 0.3], "val_loss": [0.4, 0.35]},
        "best_epoch": 2, "test_accuracy": 0.97, "train_seconds": 12.5, "stop_reason": "", "complete": True}


def fake_model(path: Path) -> Path:
    """A model's three files (their content does not matter to the records)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(model_files(path)):
        f.write_bytes(f"file {i} of {path.name}".encode())
    return path


def make_run(name: str = "", meta: dict | None = None, outside: Path | None = None) -> str:
    model = fake_model(outside if outside is not None else new_run_dir("run") / "best.keras")
    return RunWriter(model, name).write(meta or META)


def all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_run_is_listed_with_its_figures():
    run_id = make_run("baseline")
    runs, warnings = list_runs()
    assert warnings == [] and len(runs) == 1
    r = runs[0]
    assert (r.id, r.name, r.title, r.arch, r.preset, r.seed, r.epochs, r.best_epoch) == (run_id, "baseline", "baseline", "mlp", "default", 7, 2, 2)
    assert r.test_accuracy == 0.97 and r.seconds == 12.5 and r.complete and not r.legacy
    assert r.model_path == runs_dir() / run_id / "best.keras" and r.history["val_loss"] == [0.4, 0.35]
    assert r.created.tzinfo is not None and "numpy" in r.versions
    assert r.training_config().seed == 7
    assert run_id.startswith("run-") and get_run(run_id) == r


def test_runs_are_listed_newest_first_and_a_damaged_record_is_reported_not_fatal():
    ids = [make_run(f"r{i}") for i in range(3)]
    for i, run_id in enumerate(ids):  # distinct start times, oldest first
        rec = runs_dir() / run_id / "run.json"
        d = json.loads(rec.read_text())
        d["created"] = f"2025-01-0{i + 1}T10:00:00+00:00"
        rec.write_text(json.dumps(d))
    (runs_dir() / ids[1] / "run.json").write_text('{"name": "half-writ')
    broken_history = runs_dir() / make_run("bad history") / "run.json"
    broken_history.write_text(json.dumps({**json.loads(broken_history.read_text()), "history": {"loss": ["x"]}}))
    (runs_dir() / "not-a-run").mkdir()  # a folder without a record is ignored
    runs, warnings = list_runs()
    assert [r.name for r in runs] == ["r2", "r0"]
    assert len(warnings) == 2 and all("damaged run record" in w for w in warnings)
    assert any(ids[1] in w for w in warnings) and any(broken_history.parent.name in w for w in warnings)


def test_rename_keeps_everything_else():
    run_id = make_run("old")
    before = get_run(run_id)
    after = rename_run(run_id, "  a   better name ")
    assert after.name == "a better name" and after.test_accuracy == before.test_accuracy and after.history == before.history
    assert rename_run(run_id, "").title == run_id
    with pytest.raises(ModelError, match="at most 200"):
        rename_run(run_id, "x" * 201)
    with pytest.raises(ModelError, match="no run called"):
        rename_run("run-nope", "x")


def test_a_run_renamed_while_it_trains_keeps_its_new_name():
    writer = RunWriter(fake_model(new_run_dir("run") / "best.keras"), "first")
    run_id = writer.write({**META, "complete": False})  # the first checkpoint
    rename_run(run_id, "renamed in the Runs list")
    writer.write(META)  # the next checkpoint, then the end of the run
    assert get_run(run_id).name == "renamed in the Runs list" and get_run(run_id).complete


def test_delete_removes_every_file_of_the_run_and_nothing_else(tmp_path):
    keep = make_run("keep")
    gone = make_run("gone")
    outside = fake_model(tmp_path / "elsewhere" / "best.keras")
    (tmp_path / "elsewhere" / "notes.txt").write_text("mine")
    external = make_run("cli run", {**META, "complete": True}, outside=outside)
    # a complete run's record pins the hash of a model outside the user data folder
    assert json.loads((runs_dir() / external / "run.json").read_text())["model_sha256"] == file_sha256(outside)
    user_data = runs_dir().parent
    before = all_files(user_data) | all_files(tmp_path)

    removed = delete_run(gone)
    assert removed == [runs_dir() / gone]
    gone_files = {f for f in before if runs_dir() / gone in f.parents}
    assert len(gone_files) == 4, "best.keras, best.weights.npz, best.json and run.json"
    assert all_files(user_data) | all_files(tmp_path) == before - gone_files
    assert {r.id for r in list_runs()[0]} == {keep, external}

    removed = delete_run(external)
    assert set(removed) == set(model_files(outside)) | {runs_dir() / external}
    assert (tmp_path / "elsewhere" / "notes.txt").read_text() == "mine", "only the run's own files go"
    assert [r.id for r in list_runs()[0]] == [keep]
    assert not [p for p in runs_dir().iterdir() if p.name.startswith(".")], "no trash left behind"


def test_delete_leaves_an_outside_model_that_changed_since_the_run(tmp_path):
    outside = fake_model(tmp_path / "out" / "best.keras")
    run_id = make_run("cli", outside=outside)
    outside.write_bytes(b"a later model written to the same place")
    assert delete_run(run_id) == [runs_dir() / run_id]
    assert all(f.exists() for f in model_files(outside))


def test_a_damaged_run_can_still_be_deleted():
    run_id = make_run()
    (runs_dir() / run_id / "run.json").write_bytes(b"\x00garbage")
    assert list_runs()[0] == []
    delete_run(run_id)
    assert list_runs() == ([], [])


@pytest.mark.parametrize("bad", ["", ".", "..", "../x", "a/b", ".trash-run"])
def test_delete_refuses_ids_that_are_not_run_folders(bad):
    with pytest.raises(ModelError):
        delete_run(bad)


def test_runs_of_earlier_versions_still_load_rename_and_delete():
    old = legacy_models_dir() / "run-20250301-101010"
    fake_model(old / "best.keras")
    (old / "best.json").write_text(json.dumps({
        "config": {"model": {"hidden_units": [512, 512], "dropout": 0.2, "optimizer": "adam", "learning_rate": 0.001},
                   "epochs": 10, "batch_size": 128, "validation_split": 0.2, "seed": 42, "lr_schedule": "cosine",
                   "label_smoothing": 0.1, "steps_per_execution": 32, "augment": True, "preset": "default"},
        "history": {"loss": [0.3] * 10}, "test_accuracy": 0.9861, "best_epoch": 9, "train_seconds": 80.0,
        "stopped": False, "stop_reason": "", "saved_at": "2025-03-01T10:12:00+00:00", "complete": True}))
    tuned = legacy_models_dir() / "finetune-20250302-101010"
    fake_model(tuned / "finetuned.keras")  # fine-tuned models are not training runs
    new_id = make_run("new")
    runs, warnings = list_runs()
    assert warnings == [] and [r.id for r in runs] == [new_id, old.name]
    r = runs[1]
    assert r.legacy and r.arch == "mlp" and r.epochs == 10 and r.best_epoch == 9 and r.test_accuracy == 0.9861
    cfg = r.training_config()
    assert cfg.optimizer == "adam" and cfg.learning_rate == 0.001 and cfg.model.hidden_units == (512, 512)
    renamed = rename_run(old.name, "from last year")
    assert renamed.name == "from last year" and not renamed.legacy  # it has a run.json of its own now
    same = ("arch", "preset", "epochs", "test_accuracy", "seconds", "best_epoch", "history", "model_path", "config", "seed",
            "complete", "stop_reason", "created")
    assert {k: getattr(renamed, k) for k in same} == {k: getattr(r, k) for k in same}
    delete_run(old.name)
    assert not old.exists() and tuned.exists()


def test_the_number_of_images_fitted_on_is_recorded_and_older_records_have_none():
    limited = make_run("limited", {**META, "train_images": 2400})
    old = make_run("old")  # META has no train_images: a record written before it was kept
    odd = make_run("odd", {**META, "train_images": "many"})  # not a count: not shown, the run still listed
    runs, warnings = list_runs()
    by_id = {r.id: r for r in runs}
    assert warnings == [] and by_id[limited].train_images == 2400
    assert by_id[old].train_images is None and by_id[odd].train_images is None
    assert rename_run(limited, "renamed").train_images == 2400


def test_delete_model_removes_the_three_files_and_tolerates_missing_ones(tmp_path):
    m = fake_model(tmp_path / "m.keras")
    (tmp_path / "m.json").unlink()
    other = fake_model(tmp_path / "other.keras")
    assert delete_model(m) == [m, tmp_path / "m.weights.npz"]
    assert sorted(os.listdir(tmp_path)) == sorted(f.name for f in model_files(other))
    assert delete_model(m) == []
    with pytest.raises(ModelError, match="not a .keras"):
        delete_model(tmp_path / "other.json")


def test_new_run_dir_is_fresh_and_uses_one_timestamp_format():
    a = new_run_dir("run")
    a.mkdir(parents=True)
    b = new_run_dir("finetune")
    assert a.parent == b.parent == runs_dir() and not b.exists() and a != b
    stamp = a.name.removeprefix("run-")
    assert len(stamp) == len("20250101-101010-123456") and stamp[8] == "-" and stamp[15] == "-"
    with pytest.raises(ValueError):
        new_run_dir("../x")
