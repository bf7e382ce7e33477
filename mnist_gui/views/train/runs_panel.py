"""The Runs panel: every recorded training run (``mnist_gui.ml.runs``) in a sortable table; the selected runs'
curves overlaid on the live plots (each its own colour, best epoch starred); use one as the active model,
rename it, delete it (all its files, after a confirmation). Damaged records are reported in one line and the
other runs are still listed."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QMessageBox, QPushButton, QTableView, QVBoxLayout,
    QWidget,
)

from mnist_gui.errors import UserError
from mnist_gui.ml import runs as runs_store
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.threads import run_in_thread
from mnist_gui.views.train.monitor import fmt_duration
from mnist_gui.views.train.palette import run_color

log = logging.getLogger(__name__)

COLUMNS = ("Date", "Name", "Architecture", "Preset", "Epochs", "Images", "Test accuracy", "Fit time")
MISSING = "–"  # a value the record does not hold (as elsewhere in the app)
HEADER_TIPS = {
    "Images": "The training images the run fitted on: the training set (or the form's \"Training images\" limit)\n"
              f"less the validation split. {MISSING} for runs recorded before this was kept.",
    "Test accuracy": "Accuracy of the run's best checkpoint on all 10,000 test images",
    "Fit time": "Time spent in the epochs themselves (training and validation).\nThe monitor's \"Elapsed\" counts the "
                "whole job: it also covers building the network and the test-set evaluations before and after.",
}
SORT_ROLE = Qt.UserRole + 1
ID_ROLE = Qt.UserRole + 2


def _fmt_seconds(s: float | None) -> str:
    return MISSING if s is None else fmt_duration(s)  # m:ss, as the monitor's Elapsed


class RunsPanel(QWidget):
    def __init__(self, state: AppState, monitor: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.monitor = monitor  # the live plots: selected runs are overlaid there
        self.records: dict[str, runs_store.RunRecord] = {}
        self.warnings: list[str] = []
        self._busy = False
        self._loading = None

        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        for name, tip in HEADER_TIPS.items():
            self.model.setHeaderData(COLUMNS.index(name), Qt.Horizontal, tip, Qt.ToolTipRole)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.setToolTip("Select runs to overlay their curves on the plots (Ctrl/Shift-click for several)")
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.damaged = QLabel("")
        self.damaged.setWordWrap(True)
        self.damaged.setStyleSheet("color: #d04040;")
        self.damaged.hide()
        self.use_btn = QPushButton("Use as active model")
        self.rename_btn = QPushButton("Rename…")
        self.delete_btn = QPushButton("Delete…")
        self.refresh_btn = QPushButton("Refresh")
        self.use_btn.clicked.connect(self.use_selected)
        self.rename_btn.clicked.connect(self._rename_clicked)
        self.delete_btn.clicked.connect(self._delete_clicked)
        self.refresh_btn.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        for b in (self.use_btn, self.rename_btn, self.delete_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_btn)
        v = QVBoxLayout(self)
        v.setContentsMargins(2, 2, 2, 2)
        v.addWidget(self.table, 1)
        v.addWidget(self.damaged)
        v.addLayout(buttons)
        self._update_buttons()
        self._listed = False  # read on first show: start-up reads no run records

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._listed:
            self.refresh()

    # --- listing ---------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the runs again (a few small JSON files), keeping the selection where the runs still exist."""
        self._listed = True
        keep = set(self.selected_ids())
        try:
            records, self.warnings = runs_store.list_runs()
        except OSError as exc:
            records, self.warnings = [], [f"the runs could not be listed: {exc}"]
        self.records = {r.id: r for r in records}
        self.table.setSortingEnabled(False)
        self.model.removeRows(0, self.model.rowCount())
        for r in records:
            self.model.appendRow(self._row(r))
        self.table.setSortingEnabled(True)
        if self.warnings:
            n = len(self.warnings)
            self.damaged.setText(f"⚠ {n} damaged run record{'s' if n > 1 else ''} not listed: " + "; ".join(self.warnings))
        self.damaged.setVisible(bool(self.warnings))
        self.select_ids([i for i in keep if i in self.records])
        self._selection_changed()

    def _row(self, r: runs_store.RunRecord) -> list[QStandardItem]:
        acc = r.test_accuracy
        planned = r.config.get("epochs") if isinstance(r.config, dict) else None
        epochs = f"{r.epochs}" + (f"/{planned}" if isinstance(planned, int) and planned != r.epochs else "")
        cells = [
            (r.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"), r.created.timestamp()),
            (r.title + ("" if r.complete else " (incomplete)"), r.title.lower()),
            (r.arch.upper(), r.arch),
            (r.preset, r.preset),
            (epochs, r.epochs),
            (MISSING if r.train_images is None else f"{r.train_images:,}", -1 if r.train_images is None else r.train_images),
            (MISSING if acc is None else f"{acc:.2%}", -1.0 if acc is None else acc),
            (_fmt_seconds(r.seconds), -1.0 if r.seconds is None else r.seconds),
        ]
        items = []
        for text, key in cells:
            it = QStandardItem(text)
            it.setData(key, SORT_ROLE)
            it.setData(r.id, ID_ROLE)
            items.append(it)
        return items

    def run_ids(self) -> list[str]:
        """The listed runs' ids in the table's current order."""
        return [self.proxy.index(row, 0).data(ID_ROLE) for row in range(self.proxy.rowCount())]

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.proxy.index(row, 0).data(ID_ROLE) for row in rows]

    def select_ids(self, ids: list[str]) -> None:
        sel = self.table.selectionModel()
        sel.clearSelection()
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(ID_ROLE) in ids:
                sel.select(self.proxy.index(row, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)

    def _selection_changed(self, *args: Any) -> None:
        runs = [self.records[i] for i in self.selected_ids() if i in self.records]
        self.monitor.set_overlays(runs)
        # Each overlaid run's name gets its colour in the table, so the legend is not the only key.
        colors = {r.id: run_color(k) for k, r in enumerate(runs)}
        for row in range(self.model.rowCount()):
            it = self.model.item(row, 1)
            c = colors.get(it.data(ID_ROLE))
            # A colour swatch (still visible on a selected row) is the key to the curves besides the legend.
            it.setData(QColor(*c) if c else None, Qt.DecorationRole)
        self._update_buttons()

    def set_busy(self, busy: bool) -> None:
        """While a job runs, runs are not deleted (the running one writes its record as it goes)."""
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        n = len(self.selected_ids())
        self.use_btn.setEnabled(n == 1 and self._loading is None)
        self.rename_btn.setEnabled(n == 1)
        self.delete_btn.setEnabled(n >= 1 and not self._busy)

    # --- actions ------------------------------------------------------------------------------------------------
    def use_selected(self) -> None:
        """Make the selected run's model the active one (its numpy weights read off the GUI thread)."""
        ids = self.selected_ids()
        if len(ids) != 1 or self._loading is not None:
            return
        rec = self.records[ids[0]]
        from mnist_gui.ml.model_io import load_predictor_for

        self._loading = run_in_thread(load_predictor_for, rec.model_path, name="load-run-model",
                                      on_done=lambda p, r=rec: self._use(r, p), on_failed=self._use_failed, receiver=self)
        self._update_buttons()

    def _use(self, rec: runs_store.RunRecord, predictor: Any) -> None:
        self._loading = None
        self._update_buttons()
        self.state.set_model(ActiveModel(predictor, "file", rec.model_path, rec.test_accuracy))
        self.state.show_status(f"Run {rec.title} is now the active model")

    def _use_failed(self, msg: str, exc: object) -> None:
        self._loading = None
        self._update_buttons()
        self.state.report_error("The run's model could not be loaded", msg)

    def _rename_clicked(self) -> None:
        self.rename_selected()  # clicked(bool) must not become the name

    def _delete_clicked(self) -> None:
        self.delete_selected()

    def rename_selected(self, name: str | None = None) -> bool:
        ids = self.selected_ids()
        if len(ids) != 1:
            return False
        rec = self.records[ids[0]]
        if name is None:
            name, ok = QInputDialog.getText(self, "Rename run", "Name:", text=rec.name)
            if not ok:
                return False
        try:
            runs_store.rename_run(rec.id, name)
        except UserError as exc:
            self.state.report_error("The run could not be renamed", str(exc))
            return False
        self.refresh()
        return True

    def delete_selected(self, confirm: bool = True) -> bool:
        """Delete the selected runs with all their files (after asking, unless ``confirm`` is False)."""
        recs = [self.records[i] for i in self.selected_ids() if i in self.records]
        if not recs or self._busy:
            return False
        if confirm:
            names = ", ".join(r.title for r in recs)
            answer = QMessageBox.question(self, "Delete runs", f"Delete {names} with all its files? This cannot be undone.")
            if answer != QMessageBox.Yes:
                return False
        active = self.state.model
        for r in recs:
            try:
                runs_store.delete_run(r.id)
            except UserError as exc:
                self.state.report_error("The run could not be deleted", str(exc))
                continue
            if active is not None and active.path is not None and r.folder in active.path.parents:
                self.state.use_default()  # its files are gone: the Draw tab goes back to the shipped model
        self.refresh()
        self.state.show_status(f"Deleted {len(recs)} run{'s' if len(recs) > 1 else ''}")
        return True
