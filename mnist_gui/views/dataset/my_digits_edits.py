"""Relabel and delete My digits from the Dataset tab: the row of controls shown for that split, the number
and Delete keys, and the edit itself (saved through ``MyDigits``; errors and results reported via AppState)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from mnist_gui.views.state import AppState

log = logging.getLogger(__name__)


class MyDigitsEdits(QWidget):
    """Acts on ``selection()`` (dataset indices into My digits) when ``active()`` says My digits is shown."""

    def __init__(self, state: AppState, selection: Callable[[], list[int]], active: Callable[[], bool],
                 shortcut_parent: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._selection, self._active = selection, active
        self.relabel_box = QComboBox()
        self.relabel_box.addItems([f"Relabel as {d}" for d in range(10)])
        self.relabel_box.setPlaceholderText("Relabel as…")
        self.relabel_box.setCurrentIndex(-1)
        self.relabel_box.setToolTip("Give the selected digits this label (or press its number key)")
        self.relabel_box.activated.connect(self.relabel_selected)
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.setToolTip("Delete the selected digits from My digits (Delete)")
        self.delete_btn.clicked.connect(self.delete_selected)
        self.hint = QLabel("Add digits on the Draw tab: draw, then press the digit's key.")
        self.hint.setWordWrap(True)  # lets the tab shrink to a 1024-px screen
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.relabel_box)
        row.addWidget(self.delete_btn)
        row.addWidget(self.hint, 1)
        for keys, slot in ((QKeySequence.Delete, self.delete_selected),
                           *((str(d), lambda d=d: self.relabel_selected(d)) for d in range(10))):
            # Active while the tab is shown, wherever its focus is (the split box after choosing My digits, a
            # button); a text field (the index box) keeps its digits and Delete via ShortcutOverride.
            sc = QShortcut(QKeySequence(keys), shortcut_parent)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)

    def relabel_selected(self, label: int) -> None:
        self.relabel_box.setCurrentIndex(-1)  # a menu of actions, not a setting: show the placeholder again
        idx = self._selection()
        if not self._active() or not idx:
            return
        coll = self.state.my_digits
        self._edit(lambda: coll.relabel(coll.ids[idx], label), f"Relabelled {len(idx)} digit(s) as {label}")

    def delete_selected(self) -> None:
        idx = self._selection()
        if not self._active() or not idx:
            return
        coll = self.state.my_digits
        self._edit(lambda: coll.delete(coll.ids[idx]), f"Deleted {len(idx)} digit(s) from My digits")

    def _edit(self, change: Callable[[], object], done: str) -> None:
        try:
            change()
        except OSError as exc:
            log.warning("My digits edit failed: %s", exc)
            self.state.report_error("My digits could not be saved", f"{exc.strerror or exc}. Nothing was changed.")
            return
        self.state.notify_my_digits_changed()
        self.state.show_status(done)
