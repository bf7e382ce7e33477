"""The Inside tab in the started main window: it follows strokes on the real canvas, opens dataset images,
and needs no TensorFlow."""

from __future__ import annotations

import numpy as np

from mnist_gui.ml import explain
from tests.gui_helpers import draw_polyline


def test_inside_follows_the_canvas_and_opens_the_dataset(qtbot, started_window) -> None:
    w = started_window
    tab = w.inside_tab
    assert w.state.tf_ready is False
    w.tabs.setCurrentWidget(w.draw_tab)
    draw_polyline(w.draw_tab.canvas, [(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)])  # a 7
    qtbot.waitUntil(lambda: w.state.drawing is not None, timeout=5000)
    w.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.acts is not None and not tab._dirty and tab.map.embedding is not None and not tab.busy(),
                    timeout=60_000)
    np.testing.assert_allclose(tab.acts.probabilities, explain.activations(w.state.model.predictor, w.state.drawing).probabilities)
    assert tab.input_desc == "your drawing"
    tab.select_unit(0)
    qtbot.waitUntil(lambda: tab.unit_view.top_indices is not None and not tab.busy(), timeout=60_000)
    first = int(tab.unit_view.top_indices[0])
    tab.unit_view._click(3, 3)
    qtbot.waitUntil(lambda: w.tabs.currentWidget() is w.dataset_tab, timeout=5000)
    assert w.dataset_tab.split == "train" and w.dataset_tab.current == first
    assert w.state.tf_ready is False
