"""The Train tab's fine-tuning panel: settings, what My digits holds, and the keep/discard decision.

It only gathers input and shows results; the Train tab runs the job on its training worker, so the
progress bar, plots and log are shared with training.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from mnist_gui.ml.finetune import MIN_TUNE_DIGITS, FinetuneConfig
from mnist_gui.views.settings import FINETUNE_EPOCHS, FINETUNE_LR, FINETUNE_SHARE, AppSettings
from mnist_gui.views.state import AppState

log = logging.getLogger(__name__)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.2%}"


class FinetunePanel(QGroupBox):
    startRequested = Signal(object)  # FinetuneConfig
    keepRequested = Signal()
    discardRequested = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__("Fine-tune on My digits", parent)
        self.state = state
        self.busy = False
        # Typed and range-checked: a damaged stored value comes back as its default, never as an exception.
        self.settings = AppSettings()
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        # The spin boxes' ranges are the settings' valid ranges, so every value they give can be stored.
        self.epochs = QSpinBox(minimum=FINETUNE_EPOCHS.lo, maximum=FINETUNE_EPOCHS.hi)
        self.epochs.setValue(self.settings.finetune_epochs)
        self.share = QDoubleSpinBox(minimum=FINETUNE_SHARE.lo, maximum=FINETUNE_SHARE.hi, singleStep=2.5, decimals=1, suffix=" %")
        self.share.setValue(self.settings.finetune_share)
        self.share.setToolTip("How much of every batch comes from your digits; the rest is MNIST, so it keeps reading MNIST")
        self.lr = QDoubleSpinBox(minimum=FINETUNE_LR.lo, maximum=FINETUNE_LR.hi, singleStep=0.00005, decimals=5)
        self.lr.setValue(self.settings.finetune_lr)
        self.start_btn = QPushButton("Fine-tune the active model")
        self.start_btn.setToolTip("Continue training the active model on MNIST mixed with your digits (Ctrl+Shift+T)")
        self.start_btn.setShortcut("Ctrl+Shift+T")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.keep_btn = QPushButton("Keep it")
        self.keep_btn.setToolTip("Make the fine-tuned model the active model")
        self.discard_btn = QPushButton("Discard")
        self.discard_btn.setToolTip("Delete the fine-tuned model; the active model stays as it was")

        form = QFormLayout()
        form.addRow("Epochs", self.epochs)
        form.addRow("Your share of each batch", self.share)
        form.addRow("Learning rate", self.lr)
        v = QVBoxLayout(self)
        v.addWidget(self.counts)
        v.addLayout(form)
        v.addWidget(self.start_btn)
        v.addWidget(self.result)
        decide = QHBoxLayout()
        decide.addWidget(self.keep_btn)
        decide.addWidget(self.discard_btn)
        decide.addStretch(1)
        v.addLayout(decide)
        self.show_pending(None)

        self.start_btn.clicked.connect(self._start)
        self.keep_btn.clicked.connect(self.keepRequested)
        self.discard_btn.clicked.connect(self.discardRequested)
        state.myDigitsChanged.connect(self.refresh)
        self.refresh()

    def config(self) -> FinetuneConfig:
        return FinetuneConfig(epochs=self.epochs.value(), mine_fraction=round(self.share.value() / 100, 4),
                              learning_rate=round(self.lr.value(), 6))

    def n_tune(self) -> int:
        return int((~self.state.my_digits.holdout_mask()).sum())

    def set_busy(self, busy: bool) -> None:
        """The Train tab says when its worker runs; every later refresh (e.g. a digit added) honours it."""
        self.busy = busy
        self.refresh()

    def refresh(self) -> None:
        busy = self.busy
        coll = self.state.my_digits
        n, n_tune = len(coll), self.n_tune()
        if n == 0:
            self.counts.setText("My digits is empty. On the Draw tab, draw a digit and press its number key to add it.")
        else:
            self.counts.setText(f"My digits: {n} — {n_tune} to learn from, {n - n_tune} held out to measure the result.")
        ok = n_tune >= MIN_TUNE_DIGITS and self.state.model is not None and self.state.model.path is not None \
            and self.state.data is not None and not busy
        self.start_btn.setEnabled(ok)
        if n_tune < MIN_TUNE_DIGITS:
            self.start_btn.setToolTip(f"Needs at least {MIN_TUNE_DIGITS} digits to learn from (every 4th digit of each label is held out to measure the result)")
        else:
            self.start_btn.setToolTip("Continue training the active model on MNIST mixed with your digits (Ctrl+Shift+T)")
        for w in (self.epochs, self.share, self.lr):
            w.setEnabled(not busy)

    def _start(self) -> None:
        self.settings.finetune_epochs = self.epochs.value()
        self.settings.finetune_share = self.share.value()
        self.settings.finetune_lr = self.lr.value()
        self.startRequested.emit(self.config())

    def show_pending(self, result: object | None) -> None:
        """Show a finished fine-tuning's before/after figures with Keep/Discard, or hide them (``None``)."""
        has = result is not None
        self.keep_btn.setVisible(has)
        self.discard_btn.setVisible(has)
        if not has:
            self.result.setText("")
            return
        r = result
        mine = (f"your held-out digits <b>{_pct(r.mine_before)} → {_pct(r.mine_after)}</b> ({r.n_held})"
                if r.mine_before is not None else "no held-out digits to measure on")
        drop = (r.mnist_before - r.mnist_after) * 100
        warn = " <span style='color:#d04040'>(MNIST dropped noticeably)</span>" if drop > 0.5 else ""
        stopped = f" Stopped after {len(r.history.get('loss', []))} of {r.config.epochs} epochs." if r.stopped else ""
        self.result.setText(f"Fine-tuned: {mine}; MNIST test <b>{_pct(r.mnist_before)} → {_pct(r.mnist_after)}</b>{warn}."
                            f"{stopped} Keep it as the active model?")
