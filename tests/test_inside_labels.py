"""The Inside tab's words and marks agree with each other: the map's star stands out in both themes, the map's
caption adds up the axes' own figures, and the panels' headers name layers as the model diagram does."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from mnist_gui.ml import explain
from mnist_gui.ml.inference import load_default_predictor
from mnist_gui.views.state import ActiveModel


def rgb(c: QColor) -> np.ndarray:
    return np.array(c.getRgb()[:3], dtype=int)


@pytest.fixture
def hidden_map(qtbot):
    from mnist_gui.views.inside.hidden_map import HiddenMap

    m = HiddenMap(lambda *_: None)
    qtbot.addWidget(m)
    return m


@pytest.mark.parametrize("dark", [False, True])
def test_the_star_stands_out_from_the_plot_background(hidden_map, dark) -> None:
    m = hidden_map
    m.set_dark(dark)
    bg = rgb(m.plot.backgroundBrush().color())
    outline = rgb(m.marker.opts["pen"].color())
    assert np.abs(outline - bg).max() >= 200, (outline, bg)  # white on the dark background, black on the light one
    assert m.marker.opts["pen"].widthF() >= 1.5 and m.marker.opts["size"] >= 26
    assert np.abs(rgb(m.halo.opts["brush"].color()) - bg).max() <= 3  # the halo clears the dots under the star
    assert m.marker.zValue() > m.halo.zValue() > max(s.zValue() for s in m.scatters)
    m.set_marker(np.array([0.5, -0.5]))
    for item in (m.marker, m.halo):
        assert [float(v[0]) for v in item.getData()] == [0.5, -0.5]
    m.set_marker(None)
    assert len(m.marker.getData()[0]) == 0 and len(m.halo.getData()[0]) == 0


def test_the_variance_total_is_the_sum_of_the_axes_figures(hidden_map) -> None:
    """24.4% + 18.4% = 42.8%: the axes say 24% and 18%, so the caption says 42% (not 43%)."""
    m = hidden_map
    n = 40
    emb = explain.Embedding(layer=1, indices=np.arange(n), points=np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32),
                            mean=np.zeros(4, np.float32), components=np.eye(2, 4, dtype=np.float32),
                            explained=np.array([0.244, 0.184]))
    m.set_embedding(emb, np.zeros((n, 28, 28), np.uint8), np.arange(n) % 10)
    x, y = m.plot.getAxis("bottom").labelText, m.plot.getAxis("left").labelText
    assert (x, y) == ("PC 1 (24%)", "PC 2 (18%)")
    caption = m.caption.text()
    assert "42% of its variance" in caption and "43%" not in caption
    # said once, and one word for the star before and after the map is made
    assert "Hover" not in caption and "Hover" in m.thumb_label.text()
    assert "the star is the current input" in caption
    fresh = type(m)(lambda *_: None)
    assert "the star is the current input" in fresh.caption.text() and "drawing" not in fresh.caption.text()
    fresh.deleteLater()


def test_layer_names_follow_the_diagram() -> None:
    from mnist_gui.views.inside.model_diagram import layer_names
    from tests.test_explain_conv import small_cnn

    mlp = explain.explainer_for(load_default_predictor()).layers()
    assert layer_names(mlp) == ["Dense 512 (relu), layer 1", "Dense 512 (relu), layer 2", "Output 10 (softmax)"]
    cnn = explain.explainer_for(small_cnn()).layers()
    assert layer_names(cnn) == ["Conv 5×5 ×6 (relu)", "Max-pool 2×2, layer 2", "Conv 3×3 ×8 (relu)",
                                "Max-pool 2×2, layer 4", "Dense 16 (relu)", "Output 10 (softmax)"]


def test_headers_use_the_diagrams_names(qtbot, small_mnist) -> None:
    """No raw Keras names ("dense_1") in the Activations and unit headers, for the MLP and the CNN."""
    from tests.test_explain_conv import small_cnn

    from tests.test_inside import shown_inside_tab

    tab = shown_inside_tab(qtbot, small_mnist)
    state = tab.state
    state.set_drawing(small_mnist.x_test[0] / np.float32(255))
    qtbot.waitUntil(lambda: tab.acts is not None and not tab._dirty, timeout=10_000)
    tab.select_layer(1)
    tab.select_unit(5)
    assert tab.activations.title.text() == "<b>Activations</b> — Dense 512 (relu), layer 2: 512 units as 16×32"
    assert tab.unit_view.title.text() == "<b>A unit up close</b> — Dense 512 (relu), layer 2: unit 5"
    assert tab.activations.hover_text(0, 3).startswith("Dense 512 (relu), layer 2: unit 3 = ")
    state.set_model(ActiveModel(small_cnn(), "file", None, None))
    qtbot.waitUntil(lambda: not tab._dirty, timeout=10_000)
    tab.select_layer(2)
    tab.select_unit(1)
    assert tab.activations.title.text().startswith("<b>Activations</b> — Conv 3×3 ×8 (relu): 8 feature maps")
    assert tab.unit_view.title.text() == "<b>A unit up close</b> — Conv 3×3 ×8 (relu): unit 1"
    assert tab.activations.hover_text(0, 0).startswith("Conv 3×3 ×8 (relu): channel 0, max ")
    for text in (tab.activations.title.text(), tab.unit_view.title.text()):
        assert "dense" not in text and "conv2d" not in text
    qtbot.waitUntil(lambda: not tab.busy(), timeout=120_000)


def test_headers_name_the_digit_of_a_drawn_number(qtbot, small_mnist) -> None:
    """A number drawn on the Draw tab (1484): the panels say which of its digits they analyse and how to pick
    another; a single digit is "your drawing", a dataset image its own name, and a cleared canvas keeps it."""
    from mnist_gui.views.inside_tab import drawing_desc
    from tests.test_inside import shown_inside_tab

    assert drawing_desc(0, ()) == ("your drawing", "") == drawing_desc(0, (7,))
    assert drawing_desc(1, (1, 4, 8, 4))[0] == "digit 2 of your drawing (1484)"
    tab = shown_inside_tab(qtbot, small_mnist)
    state = tab.state
    x = small_mnist.x_test[0] / np.float32(255)
    state.set_drawing(x, 0, (1, 4, 8, 4))
    qtbot.waitUntil(lambda: tab.acts is not None and not tab._dirty, timeout=10_000)
    assert state.drawing_digit == 0 and state.drawing_answers == (1, 4, 8, 4)
    assert tab.saliency.title.text().endswith("— saliency on digit 1 of your drawing (1484)")
    caption = tab.activations.caption.text()
    assert caption.startswith("Input: digit 1 of your drawing (1484).") and "on the Draw tab" in caption
    state.set_drawing(x, 2, (1, 4, 8, 4))
    qtbot.waitUntil(lambda: not tab._dirty, timeout=10_000)
    assert "digit 3 of your drawing (1484)" in tab.saliency.title.text()
    state.set_drawing(x)  # one digit: as before
    qtbot.waitUntil(lambda: not tab._dirty, timeout=10_000)
    assert tab.saliency.title.text().endswith("saliency on your drawing") and "Draw tab" not in tab.activations.caption.text()
    state.select_image(small_mnist.x_test[5], "test", 5)
    qtbot.waitUntil(lambda: not tab._dirty, timeout=10_000)
    state.set_drawing(None)
    qtbot.waitUntil(lambda: not tab._dirty, timeout=10_000)
    assert tab.input is not None and "test image #5" in tab.activations.caption.text()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=120_000)


def test_the_maps_top_tick_label_has_room_above_the_plot(hidden_map) -> None:
    """The left axis's top tick label is centred on the plot's top edge: a margin above keeps it whole."""
    from mnist_gui.views.inside.hidden_map import TOP_MARGIN

    m = hidden_map
    m.resize(400, 400)
    m.show()
    item = m.plot.getPlotItem()
    assert item.layout.getContentsMargins()[1] == TOP_MARGIN
    half_label = m.plot.getAxis("left").style["tickTextHeight"] / 2
    assert m.plot.getViewBox().sceneBoundingRect().top() - item.sceneBoundingRect().top() >= half_label


def test_the_tightest_cluster_of_the_map_is_drawn_on_top(qtbot) -> None:
    """Drawn in label order, the 9s buried the tight cluster of 1s: the clouds are stacked by spread instead,
    the widest at the bottom, so a tight cluster (which hides little) shows."""
    from types import SimpleNamespace

    from mnist_gui.views.inside.hidden_map import HiddenMap

    m = HiddenMap(lambda *_: None)
    qtbot.addWidget(m)
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 50)
    scale = np.where(labels == 1, 0.1, np.where(labels == 9, 3.0, 1.0))[:, None]  # 1s tight, 9s widest
    emb = SimpleNamespace(points=rng.normal(size=(500, 2)) * scale, indices=np.arange(500), explained=np.array([0.2, 0.1]))
    m.set_embedding(emb, np.zeros((500, 28, 28), np.uint8), labels)
    z = [s.zValue() for s in m.scatters]
    assert max(z) == z[1] and min(z) == z[9]
    assert max(z) < m.halo.zValue() < m.marker.zValue()
    assert [len(s.data) for s in m.scatters] == [50] * 10
