"""The Train tab's hyperparameter form: architecture (MLP or CNN), presets, the fields that apply to the chosen
architecture, inline validation and the model summary (computed without TensorFlow)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
    QSpinBox, QVBoxLayout, QWidget,
)

from mnist_gui.errors import ConfigError
from mnist_gui.ml.cnn import CnnSpec
from mnist_gui.ml.model import OPTIMIZERS, ModelSpec, summarize_config
from mnist_gui.ml.training import PRESETS, TrainingConfig

log = logging.getLogger(__name__)

SUMMARY_TITLE = "Network these settings build"
ARCH_LABELS = {"mlp": "MLP (the notebook's dense network)", "cnn": "CNN (convolutional)"}
PRESET_TIPS = {
    "notebook": "the notebook's MLP exactly (RMSprop)",
    "default": "the same MLP with Adam, cosine decay, label smoothing and augmentation",
    "cnn": "the small convolutional network with its measured training settings",
}


def preset_arch(name: str) -> str:
    """The architecture a preset trains (``custom``: none)."""
    try:
        return getattr(TrainingConfig.preset_config(name), "arch", "mlp")
    except ConfigError:
        return ""


class TrainForm(QWidget):
    """Hyperparameters and the model summary. ``changed`` fires after every edit (``valid`` says if ``config()`` works)."""

    changed = Signal()

    def __init__(self, n_train: Any, parent: QWidget | None = None) -> None:
        """``n_train``: a callable giving the number of training images the run would get (None: not known yet)."""
        super().__init__(parent)
        self._n_train = n_train
        self.valid = True
        self._loading_preset = False
        self.form_box = QGroupBox("Hyperparameters")
        form = self.form_layout = QFormLayout(self.form_box)
        self.preset = QComboBox()
        self.preset.addItems([*PRESETS, "custom"])
        self.preset.setToolTip("\n".join(f"{n}: {t}" for n, t in PRESET_TIPS.items() if n in PRESETS))
        self.arch = QComboBox()
        for key in ("mlp", "cnn"):
            self.arch.addItem(ARCH_LABELS[key], key)
        self.arch.setToolTip("MLP: every pixel connected to every unit. CNN: small filters slid over the image")
        # --- MLP architecture
        self.hidden = QLineEdit()
        self.hidden.setToolTip("Units of each hidden Dense layer, comma-separated (the notebook: 512, 512)")
        self.dropout = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)
        # --- CNN architecture (CnnSpec)
        self.conv1_filters = QSpinBox(minimum=1, maximum=1024)
        self.conv1_kernel = QComboBox()
        self.conv2_filters = QSpinBox(minimum=1, maximum=1024)
        self.conv2_kernel = QComboBox()
        for i, (filters, kernel) in enumerate(((self.conv1_filters, self.conv1_kernel),
                                               (self.conv2_filters, self.conv2_kernel)), 1):
            filters.setToolTip(f"Convolution {i}: how many filters it learns (each makes one feature map)")
            kernel.addItems(["3", "5"])
            kernel.setToolTip(f"Convolution {i}: the size of each filter in pixels (3 = 3×3, 5 = 5×5)")
        self.dense_units = QSpinBox(minimum=1, maximum=1024)
        self.dense_units.setToolTip("Units of the Dense layer after the convolutions")
        self.cnn_dropout = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)
        self.cnn_dropout.setToolTip("Fraction of the Dense layer's units switched off at random in each training step")
        self.batch_norm = QCheckBox("after each convolution")
        # --- compile and training settings (both architectures)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.lr = QLineEdit()
        self.schedule = QComboBox()
        self.schedule.addItems(["constant", "cosine"])
        self.smoothing = QDoubleSpinBox(minimum=0.0, maximum=0.5, singleStep=0.05, decimals=2)
        self.batch_size = QSpinBox(minimum=1, maximum=60000)
        self.epochs = QSpinBox(minimum=1, maximum=1000)
        self.val_split = QDoubleSpinBox(minimum=0.01, maximum=0.99, singleStep=0.05, decimals=2)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.augment = QCheckBox("random affine + stroke width")
        self.augment.setToolTip("Distort training images on the fly (rotation, scale, shear, shift, thicker/thinner strokes)")
        self.limit = QSpinBox(minimum=0, maximum=60000, singleStep=1000)
        self.limit.setToolTip("Train on the first N training images only (quick experiments); 0 = all.\n"
                              "The test accuracy is always measured on all 10,000 test images.")
        self._sync_limit()
        self.mlp_fields: tuple[QWidget, ...] = (self.hidden, self.dropout)
        self.cnn_fields: tuple[QWidget, ...] = (self.conv1_filters, self.conv1_kernel, self.conv2_filters, self.conv2_kernel,
                                                self.dense_units, self.cnn_dropout, self.batch_norm)
        # The CNN's layers one row each, "[32] filters, [5] kernel", so fine-tuning stays in view at 1366×768.
        self.cnn_rows: tuple[QWidget, ...] = _aligned_rows(
            ((self.conv1_filters, "filters,"), (self.conv1_kernel, "kernel")),
            ((self.conv2_filters, "filters,"), (self.conv2_kernel, "kernel")),
            ((self.dense_units, "units,"), (self.cnn_dropout, "dropout")))
        rows = (("Preset", self.preset), ("Architecture", self.arch), ("Hidden units", self.hidden), ("Dropout", self.dropout),
                ("Conv 1", self.cnn_rows[0]), ("Conv 2", self.cnn_rows[1]), ("Dense", self.cnn_rows[2]),
                ("Batch norm", self.batch_norm),
                ("Optimizer", self.optimizer), ("Learning rate", self.lr), ("LR schedule", self.schedule),
                ("Label smoothing", self.smoothing), ("Batch size", self.batch_size), ("Epochs", self.epochs),
                ("Validation split", self.val_split), ("Seed", self.seed), ("Augmentation", self.augment),
                ("Training images", self.limit))
        for label, w in rows:
            form.addRow(label, w)
        self.form_error = QLabel("")
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet("color: #d04040;")
        form.addRow(self.form_error)
        self.show_error("")

        # Not the active model: the network a run with these settings would build (its total in the title, in view).
        self.summary_box = QGroupBox(SUMMARY_TITLE)
        self.summary_box.setToolTip("The network a run with these settings would build (not the active model)")
        sv = QVBoxLayout(self.summary_box)
        self.summary = _SummaryText(readOnly=True)
        self.summary.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.summary.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.summary.setToolTip("Each layer's output for one image and its number of learned weights (parameters)")
        # Tall enough for the MLP's whole table (its first 8 lines), short enough that fine-tuning shows below it.
        self.summary.setMinimumHeight(8 * self.summary.fontMetrics().lineSpacing()
                                      + 2 * round(self.summary.document().documentMargin()) + 2 * self.summary.frameWidth())
        sv.addWidget(self.summary)

        self.preset.currentTextChanged.connect(self.apply_preset)
        self.arch.currentIndexChanged.connect(self._arch_changed)
        for w in (self.hidden, self.lr):
            w.textChanged.connect(self._form_changed)
        for w in (self.dropout, self.smoothing, self.val_split, self.cnn_dropout, self.batch_size, self.epochs, self.seed,
                  self.limit, self.conv1_filters, self.conv2_filters, self.dense_units):
            w.valueChanged.connect(self._form_changed)
        for w in (self.optimizer, self.schedule, self.conv1_kernel, self.conv2_kernel):
            w.currentTextChanged.connect(self._form_changed)
        for w in (self.augment, self.batch_norm):
            w.toggled.connect(self._form_changed)

    # --- architecture -------------------------------------------------------------------------------------
    def arch_name(self) -> str:
        return str(self.arch.currentData())

    def set_arch(self, arch: str) -> None:
        self.arch.setCurrentIndex(max(0, self.arch.findData(arch)))
        self._show_arch_fields()

    def _show_arch_fields(self) -> None:
        """Only the rows that apply to the chosen architecture are shown."""
        cnn = self.arch_name() == "cnn"
        for w in self.mlp_fields:
            self.form_layout.setRowVisible(w, not cnn)
        for w in (*self.cnn_rows, self.batch_norm):
            self.form_layout.setRowVisible(w, cnn)

    def _arch_changed(self) -> None:
        self._show_arch_fields()
        if self._loading_preset:
            return
        # Switching architecture by hand: start from that architecture's preset rather than a mix of both.
        current = self.preset.currentText()
        if current != "custom" and preset_arch(current) != self.arch_name():
            target = next((p for p in PRESETS if preset_arch(p) == self.arch_name()), "")
            if target:
                self.apply_preset(target)
                return
        self._form_changed()

    # --- presets --------------------------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        if name == "custom":
            return
        cfg = TrainingConfig.preset_config(name)
        self._loading_preset = True
        try:
            self.set_arch(getattr(cfg, "arch", "mlp"))
            self.hidden.setText(", ".join(str(u) for u in cfg.model.hidden_units))
            self.dropout.setValue(cfg.model.dropout)
            spec = getattr(cfg, "cnn", None) or CnnSpec()
            self.conv1_filters.setValue(spec.conv1_filters)
            self.conv1_kernel.setCurrentText(str(spec.conv1_kernel))
            self.conv2_filters.setValue(spec.conv2_filters)
            self.conv2_kernel.setCurrentText(str(spec.conv2_kernel))
            self.dense_units.setValue(spec.dense_units)
            self.cnn_dropout.setValue(spec.dropout)
            self.batch_norm.setChecked(spec.batch_norm)
            self.optimizer.setCurrentText(_optimizer(cfg))
            self.lr.setText(f"{_learning_rate(cfg):g}")
            self.schedule.setCurrentText(cfg.lr_schedule)
            self.smoothing.setValue(cfg.label_smoothing)
            self.batch_size.setValue(cfg.batch_size)
            self.epochs.setValue(cfg.epochs)
            self.val_split.setValue(cfg.validation_split)
            self.seed.setValue(cfg.seed)
            self.augment.setChecked(cfg.augment)
            self.preset.setCurrentText(name)
        finally:
            self._loading_preset = False
        self._form_changed()

    # --- the config ------------------------------------------------------------------------------------------
    def config(self) -> TrainingConfig:
        """The form as a validated config; raises ConfigError with the reason."""
        try:
            units = tuple(int(u) for u in self.hidden.text().replace(" ", "").split(",") if u)
        except ValueError:
            raise ConfigError("hidden units: whole numbers separated by commas, e.g. 512, 512") from None
        try:
            lr = float(self.lr.text())
        except ValueError:
            raise ConfigError(f"learning rate: {self.lr.text()!r} is not a number") from None
        name = self.preset.currentText()
        base = TrainingConfig.preset_config(name) if name != "custom" else TrainingConfig()
        cnn = CnnSpec(conv1_filters=self.conv1_filters.value(), conv1_kernel=int(self.conv1_kernel.currentText()),
                      conv2_filters=self.conv2_filters.value(), conv2_kernel=int(self.conv2_kernel.currentText()),
                      dense_units=self.dense_units.value(), dropout=round(self.cnn_dropout.value(), 4),
                      batch_norm=self.batch_norm.isChecked())
        cfg = replace(base, model=ModelSpec(units, round(self.dropout.value(), 4)), arch=self.arch_name(), cnn=cnn,
                      optimizer=self.optimizer.currentText(), learning_rate=lr, epochs=self.epochs.value(),
                      batch_size=self.batch_size.value(), validation_split=round(self.val_split.value(), 4),
                      seed=self.seed.value(), lr_schedule=self.schedule.currentText(),
                      label_smoothing=round(self.smoothing.value(), 4), augment=self.augment.isChecked())
        cfg.validate(self.limit.value() or self._n_train())
        return cfg

    def _form_changed(self) -> None:
        if self._loading_preset:
            return
        try:
            cfg = self.config()
        except ConfigError as exc:
            self.show_error(str(exc))
            self.valid = False
        else:
            self.show_error("")
            self.valid = True
            self.set_summary(cfg)
            matches = [n for n in PRESETS if TrainingConfig.preset_config(n).to_dict() == replace(cfg, preset=n).to_dict()]
            if not matches and self.preset.currentText() != "custom":
                self.preset.blockSignals(True)
                self.preset.setCurrentText("custom")
                self.preset.blockSignals(False)
        self.changed.emit()

    def set_summary(self, cfg: TrainingConfig) -> None:
        """The summary text and, in the group's title, its total (the two always change together)."""
        summary = summarize_config(cfg)
        self.summary.setPlainText(describe(cfg, summary))
        self.summary_box.setTitle(f"{SUMMARY_TITLE} — {summary.total_params:,} parameters")

    def show_error(self, text: str) -> None:
        """Say what is wrong under the fields; its row takes no room when nothing is (the summary stays in view)."""
        self.form_error.setText(f"⚠ {text}" if text else "")
        self.form_layout.setRowVisible(self.form_error, bool(text))

    def revalidate(self) -> None:
        """Check again (the data, and so the number of training images, changed)."""
        self._sync_limit()
        self._form_changed()

    def _sync_limit(self) -> None:
        """"Training images" offers the data the tab has: "all 2,000" for a 2,000-image set, never more."""
        n = self._n_train()
        self.limit.blockSignals(True)  # the caller re-validates once
        self.limit.setMaximum(n or 60000)
        self.limit.blockSignals(False)
        self.limit.setSpecialValueText(f"all {n:,}" if n else "all")

    def set_busy(self, busy: bool) -> None:
        for w in (self.preset, self.arch, *self.mlp_fields, *self.cnn_fields, self.optimizer, self.lr, self.schedule,
                  self.smoothing, self.batch_size, self.epochs, self.val_split, self.seed, self.augment, self.limit):
            w.setEnabled(not busy)


def _aligned_rows(*rows: tuple[tuple[QWidget, str], ...]) -> tuple[QWidget, ...]:
    """One form field per row holding several fields, each followed by a small label ("[32] filters, [5] kernel");
    the labels of a column are equally wide so the fields after them line up from row to row."""
    out = []
    labels: list[list[QLabel]] = []
    for parts in rows:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        for col, (field, text) in enumerate(parts):
            label = QLabel(text)
            label.setToolTip(field.toolTip())
            label.setBuddy(field)
            lay.addWidget(field)
            lay.addWidget(label)
            labels.extend([] for _ in range(col + 1 - len(labels)))
            labels[col].append(label)
        lay.addStretch(1)
        out.append(row)
    for column in labels:
        width = max(label.sizeHint().width() for label in column)
        for label in column:
            label.setMinimumWidth(width)
    return tuple(out)


class _SummaryText(QPlainTextEdit):
    """The summary box asks for no more than its minimum height (the form column scrolls, so the height it asks
    for is the height it gets); taller windows still stretch it."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumHeight())


def describe(cfg: TrainingConfig, summary: Any = None) -> str:
    """The summary text: layers and parameters of the network ``cfg`` builds, then loss, optimizer and metric.

    ``summary``: ``summarize_config(cfg)`` when the caller has it already.
    Narrower than Keras's table so every column fits the form column at 1366×768: shapes per image ("24×24×32",
    not "(None, 24, 24, 32)"), and the MLP's whole table, total included, is the first 8 lines."""
    summary = summary or summarize_config(cfg)
    rows = [(f"{r.name} ({TYPE_SHORT.get(r.kind, r.kind)})", _shape(r.output_shape), f"{r.params:,}") for r in summary.rows]
    name_w = max(len(n) for n, _, _ in [("Layer (type)", "", ""), *rows]) + 2
    shape_w = max(len(s) for _, s, _ in [("", "Output shape", ""), *rows]) + 2
    param_w = max(len(p) for _, _, p in [("", "", "Param #"), *rows])
    lines = [f"{'Layer (type)':<{name_w}}{'Output shape':<{shape_w}}{'Param #':>{param_w}}"]
    lines += [f"{n:<{name_w}}{s:<{shape_w}}{p:>{param_w}}" for n, s, p in rows]
    lines += [f"Total params: {summary.total_params:,}", ""]
    smoothing = f", label smoothing {cfg.label_smoothing:g}" if cfg.label_smoothing else ""
    schedule = "cosine decay" if cfg.lr_schedule == "cosine" else cfg.lr_schedule
    lines += [f"Loss: cross-entropy{smoothing}", f"Optimizer: {_optimizer(cfg)}, lr {_learning_rate(cfg):g} ({schedule})",
              "Metric: accuracy"]
    return "\n".join(lines)


TYPE_SHORT = {"BatchNormalization": "BatchNorm"}  # the summary's layer types that would widen its table


def _shape(keras_shape: str) -> str:
    """``(None, 24, 24, 32)`` → ``24×24×32``: the output of one image (the batch size, None, left out)."""
    dims = [d.strip() for d in keras_shape.strip("()").split(",")]
    return "×".join(d for d in dims if d and d != "None")


def _optimizer(cfg: TrainingConfig) -> str:
    return getattr(cfg, "optimizer", None) or cfg.model.optimizer


def _learning_rate(cfg: TrainingConfig) -> float:
    lr = getattr(cfg, "learning_rate", None)
    return float(lr if lr is not None else cfg.model.learning_rate)
