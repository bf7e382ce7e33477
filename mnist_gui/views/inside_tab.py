"""The Inside tab: what the active model computes on the current input, panel by panel.

The model as a diagram (click a layer), that layer's activations live per stroke (≤ 30 Hz, only while the tab
is visible), one unit up close (template and top-9 training images), saliency with "why not…?", first-layer
weights as they learn, and a PCA map of the hidden space. Everything is numpy (``mnist_gui.ml.explain``), never
TensorFlow; the slow parts (top images, map) run off the GUI thread once per model, cached by a hash of the
weights, and a result for a model that is no longer active is kept in the cache but never shown.
pyqtgraph and the panels are imported when the tab is first shown.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from mnist_gui.ml import explain
from mnist_gui.views.inside.model_diagram import layer_names  # no pyqtgraph: the panels still load on first show
from mnist_gui.views.state import AppState
from mnist_gui.views.inside.jobs import Jobs, ModelCache

log = logging.getLogger(__name__)

FRAME_MS = 33  # activations and saliency at most ~30 times a second, however fast the strokes come
MAP_POINTS = 5000
CNN_TOP_IMAGES = 12_000


def model_key(predictor: Any) -> str:
    """A hash of the predictor's weights: equal weights share cached top images and maps."""
    h = hashlib.blake2b(digest_size=16)
    h.update(type(predictor).__name__.encode())
    for a in list(getattr(predictor, "kernels", [])) + list(getattr(predictor, "biases", [])):
        arr = np.ascontiguousarray(a)
        h.update(str(arr.shape).encode())
        h.update(arr.data)
    return h.hexdigest()


class InsideTab(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._dark = False
        self._built = False
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._placeholder = QLabel("Inside the network: opens when shown.")
        self._layout.addWidget(self._placeholder)
        self.generation = 0  # bumped on every model change; background results carry it
        self.key: str | None = None  # the active model's hash
        self.layers: list[explain.LayerInfo] = []
        self.layer_names: list[str] = []  # as the diagram names them: the panels' headers
        self.selected_layer = 0
        self.input: np.ndarray | None = None  # (28, 28) float32 in [0, 1]
        self.input_desc = "your drawing"
        self.input_hint = ""  # after the activations' "Input: …": how to pick another digit of a drawn number
        self._from_drawing = True  # the input is the Draw tab's (not a dataset image)
        self.acts: explain.Activations | None = None
        self.saliency_map: np.ndarray | None = None
        self.top_cache = ModelCache()  # model key → list[explain.TopImages]
        self.map_cache = ModelCache()  # model key → explain.Embedding
        self.jobs = Jobs(self)  # ("tops" | "map", model key) under way
        self._dirty = True
        self.weight_snapshots: list[tuple[int, np.ndarray]] = []  # the training run's, kept while the tab is not built
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._frame)
        state.modelChanged.connect(self._model_changed)
        state.dataChanged.connect(self._data_changed)
        state.drawingChanged.connect(self._drawing)
        state.datasetImageSelected.connect(self._dataset_image)
        state.trainingWeights.connect(self._training_weights)

    # --- building ------------------------------------------------------------------------------------
    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        import mnist_gui.ml.explain_conv  # noqa: F401  (registers the CNN's explainer)
        from mnist_gui.views.inside.activations import ActivationsPanel
        from mnist_gui.views.inside.common import Panel
        from mnist_gui.views.inside.hidden_map import HiddenMap
        from mnist_gui.views.inside.model_diagram import ModelDiagram
        from mnist_gui.views.inside.saliency_view import SaliencyView
        from mnist_gui.views.inside.unit_view import UnitView
        from mnist_gui.views.inside.weights_timeline import WeightsTimeline

        err = self.state.report_error
        self._placeholder.hide()
        self.model_panel = Panel("The model", err)
        self.diagram = ModelDiagram()
        self.diagram.layerClicked.connect(self.select_layer)
        self.model_panel.body.addWidget(self.diagram)
        self.model_panel.picture = lambda: self.diagram  # type: ignore[method-assign]
        self.activations = ActivationsPanel(err)
        self.activations.unitClicked.connect(self.select_unit)
        self.unit_view = UnitView(err)
        self.unit_view.imageClicked.connect(lambda i: self.state.open_in_dataset("train", i))
        self.saliency = SaliencyView(err)
        self.saliency.title.setWordWrap(True)  # "Why 4? — saliency on digit 2 of your drawing (1484)" never widens it
        self.saliency.againstChanged.connect(lambda _k: self._schedule())
        self.weights = WeightsTimeline(err)
        self.map = HiddenMap(err)
        self.map.pointClicked.connect(lambda i: self.state.open_in_dataset("test", i))

        left = QSplitter(Qt.Vertical)
        left.addWidget(self.activations)
        left.addWidget(self.unit_view)
        left.setSizes([330, 270])
        middle = QSplitter(Qt.Vertical)
        middle.addWidget(self.saliency)
        middle.addWidget(self.weights)
        middle.setSizes([300, 300])
        body = QSplitter(Qt.Horizontal)
        for w in (left, middle, self.map):
            w.setMinimumWidth(240)
            body.addWidget(w)
        body.setSizes([520, 360, 440])
        for w in (left, middle, body):
            w.setChildrenCollapsible(False)
        self._layout.addWidget(self.model_panel)
        self._layout.addWidget(body, 1)
        self.set_dark(self._dark)
        self.weights.show_snapshots(self.weight_snapshots)
        self._model_changed()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._built:
            self._build()
        self._start_map()
        if self._dirty:
            self._schedule()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        if self._built:
            for p in (self.activations, self.unit_view, self.saliency, self.weights, self.map):
                p.set_dark(dark)
            self._schedule()  # the saliency overlay's paper colour follows the theme

    # --- inputs --------------------------------------------------------------------------------------
    def _drawing(self, image: object) -> None:
        if image is None and not self._from_drawing:
            return  # a cleared canvas does not hide the dataset image being looked at
        self.input = None if image is None else np.asarray(image, dtype=np.float32).reshape(28, 28)
        self._from_drawing = True
        self.input_desc, self.input_hint = drawing_desc(self.state.drawing_digit, self.state.drawing_answers)
        self._schedule()

    def _dataset_image(self, image: object, split: str, index: int) -> None:
        self.input = np.asarray(image, dtype=np.float32).reshape(28, 28) / (255.0 if np.asarray(image).dtype == np.uint8 else 1.0)
        self._from_drawing = False
        self.input_desc, self.input_hint = f"{split} image #{index}", ""
        self._schedule()

    def _schedule(self) -> None:
        self._dirty = True
        if self._built and self.isVisible() and not self._timer.isActive():
            self._timer.start()

    # --- the model -----------------------------------------------------------------------------------
    def _predictor(self) -> Any:
        return self.state.model.predictor if self.state.model is not None else None

    def _is_cnn(self) -> bool:
        return any(i.kind == "conv" for i in self.layers)

    def _model_changed(self) -> None:
        self.generation += 1
        if not self._built:
            return
        pred = self._predictor()
        self.unit_view.clear()
        if pred is None:
            self.key, self.layers, self.layer_names = None, [], []
            self.diagram.set_layers([], -1)
            self.weights.show_model(None)
            return
        self.key = model_key(pred)
        try:
            layers = explain.explainer_for(pred).layers()
        except TypeError as exc:
            log.warning("Inside tab: %s", exc)
            self.key, self.layers, self.layer_names = None, [], []
            self.activations.caption.setText(f"This model cannot be explained here ({exc}).")
            self.weights.show_model(None)
            return
        if [i.output_shape for i in layers] != [i.output_shape for i in self.layers]:
            self.selected_layer = 0  # a new architecture: start at the first hidden layer
        self.layers = layers
        self.layer_names = layer_names(layers)
        self.diagram.set_layers(layers, self.selected_layer)
        self.weights.show_model(explain.model_first_layer(pred))  # until a training run sends its own
        total = sum(i.params for i in layers)
        label = self.state.model.label() if self.state.model is not None else ""
        self.model_panel.title.setText(f"<b>The model</b> — {total:,} parameters · {label.removeprefix('Model: ')}"
                                       " · click a layer to see its units")
        self.map.set_embedding(self.map_cache.get(self.key), *self._test_set())
        self._start_map()
        self._schedule()

    def _data_changed(self) -> None:
        self._start_map()

    def _test_set(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        d = self.state.data
        return (d.x_test, d.y_test) if d is not None else (None, None)

    def select_layer(self, index: int) -> None:
        if not 0 <= index < len(self.layers):
            return
        self.selected_layer = index
        self.diagram.set_selected(index)
        self.unit_view.clear()
        self._render_activations()

    # --- per frame: activations, saliency, the marker on the map -------------------------------------------
    def _frame(self) -> None:
        if not self.isVisible():
            return  # stays dirty: showEvent redraws
        self._dirty = False
        pred = self._predictor()
        if pred is None or self.key is None or self.input is None:
            self.acts, self.saliency_map = None, None
            self._render_activations()
            self.saliency.show_map(None, None, "Draw a digit (Draw tab) or pick a dataset image to see which pixels drove the answer.")
            self.map.set_marker(None)
            return
        try:
            self.acts = explain.activations(pred, self.input)
            target = self.acts.predicted
            against = self.saliency.against()
            against = None if against in (-1, target) else against
            # the CNN's backward pass costs ~2 ms a step: 8 steps keep a frame near 15 ms (the MLP's 32 cost ~1 ms)
            steps = 8 if self._is_cnn() else explain.IG_STEPS
            self.saliency_map = explain.saliency(pred, self.input, target, against=against, steps=steps)
        except (TypeError, ValueError) as exc:
            log.warning("Inside tab: %s", exc)
            return
        self._render_activations()
        self.saliency.title.setText(f"<b>Why {target}?</b> — saliency on {self.input_desc}")
        self.saliency.show_map(self.input, self.saliency_map, explain.saliency_legend(target, against))
        emb = self.map_cache.get(self.key)
        if emb is not None and emb.layer < len(self.acts.hidden):
            self.map.set_marker(emb.project(self.acts.hidden[emb.layer].values))

    def layer_values(self, index: int) -> np.ndarray | None:
        """What the grid of layer ``index`` shows for the current input (output: the logits)."""
        if self.acts is None:
            return None
        return self.acts.hidden[index].values if index < len(self.acts.hidden) else self.acts.logits

    def _render_activations(self) -> None:
        if not self._built or not self.layers:
            return
        info = self.layers[self.selected_layer]
        self.activations.show_layer(info, self.layer_values(self.selected_layer), self.layer_names[self.selected_layer])
        self.activations.show_output(self.acts)
        self.activations.caption.setText(
            f"Input: {self.input_desc}.{self.input_hint} Hover a unit for its value; click it to look closer." if self.acts is not None
            else "Draw a digit (Draw tab) or pick an image (Dataset tab).")

    # --- one unit ----------------------------------------------------------------------------------------
    def select_unit(self, unit: int) -> None:
        pred = self._predictor()
        if pred is None or self.key is None:
            return
        layer = self.selected_layer
        self.unit_view.show_unit(layer, self.layer_names[layer], unit, explain.unit_template(pred, layer, unit))
        v = self.layer_values(layer)
        if v is not None:
            now = float(v[unit] if v.ndim == 1 else v[..., unit].max())
            self.unit_view.caption.setText(f"On {self.input_desc}: {now:.3f}. "
                                           "Left: its incoming weights seen as an image; right: what excites it most.")
        tops = self.top_cache.get(self.key)
        if tops is not None:
            self._show_tops(tops)
        else:
            self._start_tops()

    def _show_tops(self, tops: list[explain.TopImages]) -> None:
        d = self.state.data
        if self.unit_view.unit is None or d is None:
            return
        layer, unit = self.unit_view.unit
        for t in tops:
            if t.layer == layer:
                idx = t.indices[unit]
                part = self._is_cnn() and len(d.x_train) > CNN_TOP_IMAGES
                of = f"of the first {CNN_TOP_IMAGES:,} training images" if part else "training images"
                self.unit_view.show_tops(d.x_train[idx], idx, t.values[unit], d.y_train[idx], of)

    def _start_tops(self) -> None:
        pred, key, d = self._predictor(), self.key, self.state.data
        if pred is None or key is None or d is None or ("tops", key) in self.jobs or self.state.closing:
            if d is None:
                self.unit_view.tops_label.setText("The training images are still loading.")
            return
        layers = [i.index for i in self.layers]
        # the CNN's forward pass is ~10x the MLP's: its top images come from the first 12,000 (~10 s, not ~80 s)
        images = d.x_train[:CNN_TOP_IMAGES] if self._is_cnn() else d.x_train
        self.jobs.start("tops", key, explain.top_images_per_layer, pred, images, 9, layers, name="inside-top-images",
                        on_done=lambda r, k=key: self._tops_done(k, r), on_failed=lambda m, k=key: self._failed("tops", k, m))

    def _tops_done(self, key: str, tops: list[explain.TopImages]) -> None:
        self.top_cache.remember(key, tops)
        if key == self.key:  # a result for a model that is no longer active is kept, never shown
            self._show_tops(tops)

    # --- the map -----------------------------------------------------------------------------------------
    def _start_map(self) -> None:
        pred, key, d = self._predictor(), self.key, self.state.data
        if not self._built or pred is None or key is None or d is None or key in self.map_cache \
                or ("map", key) in self.jobs or not self.isVisible() or self.state.closing:
            return
        self.map.set_busy("Placing 5,000 test digits on the map…")
        self.jobs.start("map", key, explain.embedding, pred, d.x_test, MAP_POINTS, name="inside-map",
                        on_done=lambda r, k=key: self._map_done(k, r), on_failed=lambda m, k=key: self._failed("map", k, m))

    def _map_done(self, key: str, emb: explain.Embedding) -> None:
        self.map_cache.remember(key, emb)
        if key == self.key:
            self.map.set_embedding(emb, *self._test_set())
            self._schedule()  # the marker
        else:
            self._start_map()  # the model changed meanwhile: map the active one

    def _failed(self, kind: str, key: str, message: str) -> None:
        log.warning("Inside tab: %s failed: %s", kind, message)
        if key != self.key:
            return  # a model no longer active: nobody waits for it
        self.state.show_status(f"Inside: could not compute the {'map' if kind == 'map' else 'top images'}: {message}")
        if kind == "map":  # in the panel too, or it says "Placing…" for ever
            self.map.caption.setText(f"The map could not be made: {message}")
        elif self.unit_view.unit is not None:
            self.unit_view.tops_label.setText(f"The top images could not be found: {message}")

    # --- training ----------------------------------------------------------------------------------------
    def _training_weights(self, epoch: int, kernel: object) -> None:
        """Kept as 64 small pictures even while the tab was never shown: building the tab here would block the
        event loop ~150 ms at the end of the first epoch."""
        try:
            explain.add_weight_snapshot(self.weight_snapshots, int(epoch), np.asarray(kernel))
        except ValueError as exc:
            log.warning("weights timeline: %s", exc)
            return
        if self._built:
            self.weights.show_snapshots(self.weight_snapshots)

    def busy(self) -> bool:
        """Background work under way, until its thread has really ended (tests wait for it)."""
        return self.jobs.busy()


def drawing_desc(digit: int, answers: tuple[int, ...]) -> tuple[str, str]:
    """(what the input is, a hint) for the Draw tab's input: "your drawing", or of a number the digit analysed,
    counted from the left — "digit 2 of your drawing (1484)" — and how to pick another."""
    if len(answers) < 2 or not 0 <= digit < len(answers):
        return "your drawing", ""
    return (f"digit {digit + 1} of your drawing ({''.join(map(str, answers))})",
            " For another digit, click it (or its button under the answer) on the Draw tab.")

