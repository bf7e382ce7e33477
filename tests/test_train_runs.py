"""The Runs panel: lists recorded runs (sortable), overlays the selected runs' curves, renames, deletes all of a
run's files, and survives a damaged record (reported in a line, the others still listed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mnist_gui.paths import runs_dir
from mnist_gui.views.state import AppState
from mnist_gui.views.train.runs_panel import COLUMNS, ID_ROLE, MISSING, RunsPanel
from mnist_gui.views.train_tab import TrainTab


def _write_run(run_id: str, acc: float, epochs: int, arch: str = "mlp", preset: str = "default",
              train_images: int | None = None) -> Path:
    folder = runs_dir() / run_id
    folder.mkdir(parents=True)
    loss = [1.0 / (i + 1) for i in range(epochs)]
    history = {"loss": loss, "accuracy": [0.9 + 0.01 * i for i in range(epochs)],
               "val_loss": [v * 1.1 for v in loss], "val_accuracy": [0.89 + 0.01 * i for i in range(epochs)]}
    rec = {"format": "mnist-gui run", "format_version": 1, "id": run_id, "name": "", "created": f"2026-01-0{epochs}T10:00:00+00:00",
           "arch": arch, "preset": preset, "seed": 42, "config": {"arch": arch, "preset": preset, "epochs": epochs},
           "history": history, "best_epoch": epochs, "test_accuracy": acc, "seconds": 12.0 * epochs, "complete": True,
           "model": "best.keras", "versions": {}}
    if train_images is not None:  # records written before it was kept have none
        rec["train_images"] = train_images
    (folder / "run.json").write_text(json.dumps(rec))
    for name in ("best.keras", "best.weights.npz", "best.json"):
        (folder / name).write_bytes(b"x")
    return folder


@pytest.fixture
def tab(qtbot):
    _write_run("run-a", 0.981, 3)
    _write_run("run-b", 0.975, 5, arch="cnn", preset="cnn")
    _write_run("run-c", 0.990, 2, train_images=2400)
    t = TrainTab(AppState())
    qtbot.addWidget(t)
    t.resize(1200, 800)
    t.show()
    t.monitor.bottom_tabs.setCurrentWidget(t.runs)
    return t


def test_lists_runs_sortable(tab):
    panel: RunsPanel = tab.runs
    assert set(panel.run_ids()) == {"run-a", "run-b", "run-c"} and not panel.damaged.isVisible()
    panel.table.sortByColumn(COLUMNS.index("Test accuracy"), Qt.DescendingOrder)
    assert panel.run_ids() == ["run-c", "run-a", "run-b"]
    panel.table.sortByColumn(COLUMNS.index("Epochs"), Qt.AscendingOrder)
    assert panel.run_ids() == ["run-c", "run-a", "run-b"]
    row = dict(zip(COLUMNS, (panel.proxy.index(0, c).data() for c in range(len(COLUMNS)))))
    assert row["Architecture"] == "MLP" and row["Test accuracy"] == "99.00%" and row["Fit time"] == "0:24"
    panel.table.sortByColumn(COLUMNS.index("Images"), Qt.DescendingOrder)  # runs without the count sort last
    assert panel.run_ids()[0] == "run-c"


def test_fit_time_says_what_it_counts_and_images_shows_a_limited_run(tab):
    panel = tab.runs
    header = [panel.proxy.headerData(c, Qt.Horizontal) for c in range(len(COLUMNS))]
    assert "Time" not in header and "Fit time" in header and "Images" in header
    tip = panel.proxy.headerData(COLUMNS.index("Fit time"), Qt.Horizontal, Qt.ToolTipRole)
    assert "epochs" in tip and "Elapsed" in tip and "evaluations" in tip
    assert "validation split" in panel.proxy.headerData(COLUMNS.index("Images"), Qt.Horizontal, Qt.ToolTipRole)
    images = {panel.proxy.index(row, 0).data(ID_ROLE): panel.proxy.index(row, COLUMNS.index("Images")).data()
              for row in range(panel.proxy.rowCount())}
    assert images == {"run-c": "2,400", "run-a": MISSING, "run-b": MISSING}  # older records: a dash


def test_the_runs_table_fits_its_columns_at_1366x768(tab):
    tab.resize(1366, 768)
    tab.monitor.bottom_tabs.setCurrentWidget(tab.runs)
    table = tab.runs.table
    QApplication.processEvents()
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width(), "no sideways scrolling"
    name = COLUMNS.index("Name")
    assert header.sectionSize(name) >= table.fontMetrics().horizontalAdvance("run-20260101-100000-000000")
    for c, title in enumerate(COLUMNS):  # every header readable in full
        assert header.sectionSize(c) >= header.fontMetrics().horizontalAdvance(title)


def test_overlays_the_selected_runs(tab):
    panel = tab.runs
    tab.ensure_plots()
    panel.select_ids(["run-a", "run-b"])
    assert [r.id for r in tab.monitor.overlays] == sorted(["run-a", "run-b"], key=panel.run_ids().index)
    # per run and plot: validation curve, training curve, best-epoch star
    assert tab._plots.overlay_count() == 2 * 2 * 3
    panel.select_ids([])
    assert tab._plots.overlay_count() == 0


def test_rename_and_delete_all_of_a_run(tab):
    panel = tab.runs
    panel.select_ids(["run-a"])
    assert panel.rename_selected("my first run")
    assert panel.records["run-a"].title == "my first run"
    panel.select_ids(["run-a"])
    folder = runs_dir() / "run-a"
    assert panel.delete_selected(confirm=False)
    assert not folder.exists() and set(panel.run_ids()) == {"run-b", "run-c"}
    assert (runs_dir() / "run-b" / "best.keras").is_file(), "nothing else is touched"


def test_a_damaged_record_is_reported_and_the_others_listed(tab):
    (_write_run("run-d", 0.5, 1) / "run.json").write_text("{ not json")
    tab.runs.refresh()
    assert set(tab.runs.run_ids()) == {"run-a", "run-b", "run-c"}
    assert tab.runs.damaged.isVisible() and "run-d" in tab.runs.damaged.text()
