"""The Inside tab on its own AppState (no main window, no TensorFlow): live activations, a unit up close,
the map, a model swap mid-computation, training weights, PNG export."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mnist_gui.ml import explain
from mnist_gui.ml.inference import NumpyPredictor, load_default_predictor
from mnist_gui.views.inside_tab import InsideTab, model_key
from mnist_gui.views.state import ActiveModel, AppState


def perturbed(p: NumpyPredictor, seed: int) -> NumpyPredictor:
    rng = np.random.default_rng(seed)
    return NumpyPredictor([k + rng.normal(0, 0.01, k.shape).astype(np.float32) for k in p.kernels], list(p.biases))


def shown_inside_tab(qtbot, data) -> InsideTab:
    """An Inside tab on its own state (``data``, the default model), shown at 1300×700."""
    state = AppState()
    state.set_data(data)
    state.set_model(ActiveModel(load_default_predictor(), "default", None, None))
    t = InsideTab(state)
    qtbot.addWidget(t)
    t.resize(1300, 700)
    t.show()
    return t


@pytest.fixture
def tab(qtbot, small_mnist):
    t = shown_inside_tab(qtbot, small_mnist)
    qtbot.waitUntil(lambda: t.map.embedding is not None and not t.busy(), timeout=60_000)
    return t


def draw(qtbot, tab: InsideTab, image: np.ndarray) -> None:
    tab.state.set_drawing(image)
    qtbot.waitUntil(lambda: tab.acts is not None and not tab._dirty, timeout=5000)


def test_updates_with_a_drawing_before_tensorflow(qtbot, tab, small_mnist) -> None:
    assert tab.state.tf_ready is False
    x = small_mnist.x_test[0] / np.float32(255)
    draw(qtbot, tab, x)
    want = explain.activations(tab.state.model.predictor, x)
    for got, exp in zip(tab.acts.hidden, want.hidden):
        np.testing.assert_array_equal(got.values, exp.values)
    np.testing.assert_allclose(tab.acts.probabilities, want.probabilities)
    # the grid shows layer 0's 512 units as 16×32, row-major
    shown = tab.activations.grid.image.image
    assert shown.shape == (16, 32)
    np.testing.assert_allclose(shown.ravel(), want.hidden[0].values)
    # its colour scale says what black and bright mean: 0 up to this input's strongest unit
    top = float(want.hidden[0].values.max())
    assert tab.activations.scale_low.text() == "0 (silent)"
    assert tab.activations.scale_high.text() == f"{top:.3g} (this input's strongest unit)"
    np.testing.assert_allclose(tab.saliency_map, explain.saliency(tab.state.model.predictor, x, want.predicted))
    assert str(want.predicted) in tab.saliency.legend.text()
    # "why not…?" switches to the difference of logits
    tab.saliency.picker.setCurrentIndex(tab.saliency.picker.findData((want.predicted + 1) % 10))
    qtbot.waitUntil(lambda: not tab._dirty, timeout=5000)
    np.testing.assert_allclose(tab.saliency_map, explain.saliency(tab.state.model.predictor, x, want.predicted,
                                                                  against=(want.predicted + 1) % 10))
    # the drawing's marker sits where the embedding projects it
    emb = tab.map.embedding
    xs, ys = tab.map.marker.getData()
    np.testing.assert_allclose([xs[0], ys[0]], emb.project(want.hidden[emb.layer].values), rtol=1e-5)


def test_dataset_image_and_layer_selection(qtbot, tab, small_mnist) -> None:
    tab.state.select_image(small_mnist.x_train[3], "train", 3)
    qtbot.waitUntil(lambda: tab.acts is not None and not tab._dirty, timeout=5000)
    assert "train image #3" in tab.activations.caption.text()
    tab.state.set_drawing(None)  # a cleared canvas does not hide the dataset image
    assert tab.input is not None
    tab.select_layer(1)
    np.testing.assert_allclose(tab.activations.grid.image.image.ravel(), tab.acts.hidden[1].values)
    tab.select_layer(2)  # the output: its ten logits
    assert tab.activations.grid.image.image.size >= 10


def test_unit_click_shows_template_and_top_images(qtbot, tab, small_mnist) -> None:
    draw(qtbot, tab, small_mnist.x_test[1] / np.float32(255))
    view = tab.unit_view
    # before a click the empty views say what comes there (not two blank boxes)
    assert view.template.placeholder.isVisible() and "Click a unit" in view.template.placeholder.text()
    assert view.tops.placeholder.isVisible() and "9 training images" in view.tops.placeholder.text()
    with qtbot.waitSignal(tab.activations.unitClicked, timeout=2000) as sig:
        tab.activations._click(1, 3)  # row 1, column 3 of 16×32: unit 35
    assert sig.args == [35]
    pred = tab.state.model.predictor
    np.testing.assert_allclose(tab.unit_view.template.image.image, explain.unit_template(pred, 0, 35))
    assert not view.template.placeholder.isVisible()
    qtbot.waitUntil(lambda: tab.unit_view.top_indices is not None and not tab.busy(), timeout=30_000)
    assert not view.tops.placeholder.isVisible()
    acts = explain.explainer_for(pred).forward_all(small_mnist.x_train / np.float32(255), upto=0)[0][:, 35]
    assert list(tab.unit_view.top_indices) == list(np.argsort(-acts, kind="stable")[:9])
    with qtbot.waitSignal(tab.state.openInDataset, timeout=2000) as opened:
        tab.unit_view._click(31, 0)  # second row, first image
    assert opened.args == ["train", int(tab.unit_view.top_indices[3])]
    # a second unit of the same model comes from the cache: no new job
    tab.select_unit(36)
    assert not tab.busy() and tab.unit_view.top_indices is not None


def test_map_recomputed_when_the_model_changes(qtbot, tab) -> None:
    first = tab.map.embedding
    other = perturbed(tab.state.model.predictor, 1)
    tab.state.set_model(ActiveModel(other, "trained", None, None))
    qtbot.waitUntil(lambda: tab.map.embedding is not first and not tab.busy(), timeout=60_000)
    assert tab.key == model_key(other)
    assert tab.map.embedding is tab.map_cache[tab.key]
    assert not np.allclose(tab.map.embedding.points, first.points)
    # hovering a dot shows that digit beside the map; clicking it opens it in the Dataset tab
    from PySide6.QtCore import QPointF

    emb = tab.map.embedding
    j = int(np.argmax(emb.points[:, 0]))  # the rightmost dot: nothing hides it
    scene = tab.map.plot.getViewBox().mapViewToScene(QPointF(*map(float, emb.points[j])))
    assert tab.map.nearest(scene) == j
    tab.map._moved(scene)
    assert tab.map.thumb_label.text().startswith(f"test #{int(emb.indices[j])}")
    with qtbot.waitSignal(tab.state.openInDataset, timeout=2000) as opened:
        tab.map.pointClicked.emit(int(emb.indices[j]))
    assert opened.args == ["test", int(emb.indices[j])]


def test_model_swap_mid_computation_shows_no_stale_result(qtbot, tab, small_mnist) -> None:
    draw(qtbot, tab, small_mnist.x_test[2] / np.float32(255))
    a = tab.state.model.predictor
    b, c = perturbed(a, 2), perturbed(a, 3)
    tab.select_unit(10)  # starts the top-images job for model A
    tab.state.set_model(ActiveModel(b, "trained", None, None))  # map job for B starts
    tab.state.set_model(ActiveModel(c, "finetuned", None, None))  # …and C, while B's may still run
    qtbot.waitUntil(lambda: not tab.busy() and model_key(c) in tab.map_cache, timeout=60_000)
    assert tab.key == model_key(c)
    assert tab.unit_view.unit is None and tab.unit_view.top_indices is None  # A's top images never shown
    assert tab.map.embedding is tab.map_cache[model_key(c)]
    np.testing.assert_array_equal(tab.acts.hidden[0].values, explain.activations(c, tab.input).hidden[0].values)


def test_failed_jobs_say_so_in_their_panels(qtbot, tab, monkeypatch) -> None:
    """A failed map or top-images job replaces its "Placing…"/"Finding…" text in the panel with the reason."""
    def fail(*_args: object) -> None:
        raise ValueError("no memory left")

    monkeypatch.setattr(explain, "embedding", fail)
    monkeypatch.setattr(explain, "top_images_per_layer", fail)
    tab.state.set_model(ActiveModel(perturbed(tab.state.model.predictor, 4), "trained", None, None))
    assert tab.map.caption.text().startswith("Placing")
    qtbot.waitUntil(lambda: not tab.busy(), timeout=30_000)
    assert tab.map.caption.text() == "The map could not be made: ValueError: no memory left"
    tab.select_unit(7)
    assert tab.unit_view.tops_label.text().startswith("Finding")
    qtbot.waitUntil(lambda: not tab.busy(), timeout=30_000)
    assert tab.unit_view.tops_label.text() == "The top images could not be found: ValueError: no memory left"
    # a job of a model that is no longer active fails silently
    tab.select_unit(8)
    tab._failed("map", "an older model", "boom")
    tab._failed("tops", "an older model", "boom")
    assert "boom" not in tab.map.caption.text() and tab.unit_view.tops_label.text().startswith("Finding")
    qtbot.waitUntil(lambda: not tab.busy(), timeout=30_000)  # unit 8's own job ends before the test does


def test_unit_view_cleared_on_layer_and_model_change(qtbot, tab) -> None:
    tab.select_unit(17)
    assert tab.unit_view.title.text() == "<b>A unit up close</b> — Dense 512 (relu), layer 1: unit 17"
    tab.select_layer(1)
    assert tab.unit_view.unit is None and tab.unit_view.title.text() == "<b>A unit up close</b>"
    assert tab.unit_view.tops_label.text() == "Training images that excite it most"
    tab.select_unit(3)
    qtbot.waitUntil(lambda: tab.unit_view.top_indices is not None and not tab.busy(), timeout=30_000)
    tab.state.set_model(ActiveModel(perturbed(tab.state.model.predictor, 5), "trained", None, None))
    assert tab.unit_view.title.text() == "<b>A unit up close</b>"
    assert tab.unit_view.tops_label.text() == "Training images that excite it most"
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60_000)


def test_cnn_model_shows_feature_maps(qtbot, tab, small_mnist) -> None:
    from tests.test_explain_conv import small_cnn

    tab.state.set_model(ActiveModel(small_cnn(), "file", None, None))
    draw(qtbot, tab, small_mnist.x_test[0] / np.float32(255))
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60_000)
    assert [i.kind for i in tab.layers][:2] == ["conv", "pool"]
    assert tab.activations.grid.image.image.shape == (24, 6 * 25 - 1)  # 6 maps of 24×24 in a row, 1-pixel gaps
    assert tab.saliency_map.shape == (28, 28) and np.abs(tab.saliency_map).max() > 0
    tab.select_unit(2)
    assert tab.unit_view.template.image.image.shape == (5, 5)
    qtbot.waitUntil(lambda: tab.unit_view.top_indices is not None and not tab.busy(), timeout=60_000)


def test_before_any_run_the_weights_panel_shows_the_active_models_own(qtbot, tab) -> None:
    """Not an empty box until someone trains: the active model's first layer, as trained, said to be that."""
    from tests.test_explain_conv import small_cnn

    w = tab.weights
    assert not w.snapshots and w.epoch_label.text() == "the active model, as trained"
    expected = explain.first_layer_pictures(tab.state.model.predictor.kernels[0])
    np.testing.assert_array_equal(w.model_pictures, expected)
    assert w.view.image.image.shape == (8 * 30 - 2, 8 * 30 - 2)
    assert "64 units of the first Dense layer" in w.caption.text() and "Train tab" in w.caption.text()
    assert not w.slider.isEnabled()
    tab.state.set_model(ActiveModel(small_cnn(), "file", None, None))  # a CNN: its conv1 filters
    n = explain.first_kernel(tab.state.model.predictor).shape[-1]
    assert w.model_pictures.shape[0] == n and f"{n} filters" in w.caption.text()
    w.show_model(None)  # a model without a first layer it can picture: the panel empties, names no model
    assert w.view.image.image is None and w.epoch_label.text() == "" and w.caption.text().startswith("Train a model")
    tab.state.publish_training_weights(0, np.ones((784, 512), np.float32))  # a run's own take over
    assert w.epoch_label.text() == "after epoch 1 (of 1 so far)"
    qtbot.waitUntil(lambda: not tab.busy(), timeout=60_000)  # the CNN's map, started by the model change


def test_training_weights_timeline(qtbot, tab) -> None:
    rng = np.random.default_rng(0)
    for epoch in range(4):
        tab.state.publish_training_weights(epoch, rng.normal(size=(784, 512)).astype(np.float32))
    w = tab.weights
    assert len(w.snapshots) == 4 and w.slider.maximum() == 3 and w.slider.value() == 3
    assert w.view.image.image.shape == (8 * 30 - 2, 8 * 30 - 2)
    w.slider.setValue(1)
    assert w.epoch_label.text() == "after epoch 2 (of 4 so far)"
    tab.state.publish_training_weights(0, rng.normal(size=(784, 512)).astype(np.float32))  # a new run
    assert len(w.snapshots) == 1
    assert "64 units of the first Dense layer" in w.caption.text() and "28×28 input" in w.caption.text()
    assert "64 units" in w.view.toolTip() and "28×28 input" in w.view.toolTip()
    # a CNN's run shows conv1's filters (32 of 5×5 in the app's CNN), not units over the 28×28 input
    tab.state.publish_training_weights(0, rng.normal(size=(5, 5, 1, 32)).astype(np.float32))
    assert w.view.image.image.shape == (4 * 7 - 2, 8 * 7 - 2)
    for text in (w.caption.text(), w.view.toolTip()):
        assert "32 filters" in text and "5×5" in text and "first conv layer" in text.lower()
        assert "28×28" not in text and "units" not in text


def test_training_weights_wait_for_a_tab_never_shown(qtbot, small_mnist) -> None:
    """Snapshots that arrive while the tab was never shown do not build it (that blocked the event loop
    ~150 ms at the end of the first epoch); they are all there when it is first shown."""
    state = AppState()
    state.set_data(small_mnist)
    state.set_model(ActiveModel(load_default_predictor(), "default", None, None))
    t = InsideTab(state)
    qtbot.addWidget(t)
    rng = np.random.default_rng(1)
    kernels = [rng.normal(size=(784, 512)).astype(np.float32) for _ in range(3)]
    for epoch, k in enumerate(kernels):
        state.publish_training_weights(epoch, k)
    assert not t._built
    t.resize(1300, 700)
    t.show()
    qtbot.waitUntil(lambda: t.map.embedding is not None and not t.busy(), timeout=60_000)
    assert [e for e, _ in t.weights.snapshots] == [0, 1, 2] and t.weights.slider.value() == 2
    np.testing.assert_array_equal(t.weights.snapshots[1][1], explain.first_layer_pictures(kernels[1]))


def test_export_png(qtbot, tab, tmp_path) -> None:
    from PySide6.QtGui import QImage

    for i, panel in enumerate((tab.model_panel, tab.activations, tab.unit_view, tab.saliency, tab.weights, tab.map)):
        path = panel.export_png(tmp_path / f"p{i}.png")
        assert path.exists() and not QImage(str(path)).isNull()
    assert list(tmp_path.glob(".*")) == []  # no temp file left behind


def test_no_tensorflow_imported() -> None:
    code = textwrap.dedent("""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import numpy as np
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from mnist_gui.ml.data import Mnist
        from mnist_gui.ml.inference import load_default_predictor
        from mnist_gui.views.inside_tab import InsideTab
        from mnist_gui.views.state import ActiveModel, AppState
        rng = np.random.default_rng(0)
        x = (rng.random((300, 28, 28)) * 255).astype(np.uint8)
        y = rng.integers(0, 10, 300).astype(np.uint8)
        s = AppState()
        s.set_data(Mnist(x, y, x, y, "stub"))
        s.set_model(ActiveModel(load_default_predictor(), "default", None, None))
        t = InsideTab(s); t.show()
        s.set_drawing(x[0] / np.float32(255))
        for _ in range(200):
            app.processEvents()
            if t.acts is not None and not t.busy():
                break
            import time; time.sleep(0.02)
        t.select_unit(3)
        assert t.acts is not None, "no activations"
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "TensorFlow was imported"
        from mnist_gui.views.threads import wait_all
        wait_all()
        print("OK")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr[-2000:]


def test_hover_throttle_and_visibility(qtbot, tab, small_mnist) -> None:
    draw(qtbot, tab, small_mnist.x_test[4] / np.float32(255))
    v = tab.acts.hidden[0].values
    assert tab.activations.hover_text(0, 2) == f"Dense 512 (relu), layer 1: unit 2 = {v[2]:.3f}"
    assert tab.activations.hover_text(-1, -1) == ""
    frames = []
    original = tab._frame
    tab._frame = lambda: (frames.append(1), original())  # type: ignore[method-assign]
    tab._timer.timeout.disconnect()
    tab._timer.timeout.connect(tab._frame)
    for i in range(50):  # a burst of strokes between two event-loop turns: one frame
        tab.state.set_drawing(small_mnist.x_test[i] / np.float32(255))
    qtbot.waitUntil(lambda: not tab._dirty, timeout=5000)
    assert len(frames) == 1
    np.testing.assert_array_equal(tab.input, small_mnist.x_test[49] / np.float32(255))
    tab.hide()  # hidden: nothing computed until shown again
    tab.state.set_drawing(small_mnist.x_test[60] / np.float32(255))
    qtbot.wait(100)  # (a real wait: proves that nothing runs while hidden)
    assert len(frames) == 1 and tab._dirty
    tab.show()
    qtbot.waitUntil(lambda: not tab._dirty, timeout=5000)
    assert len(frames) == 2


def test_model_diagram_names_layers_from_their_configs(qtbot, tab) -> None:
    """Readable layer names (not Keras' "dense_1"), one number format for the parameters."""
    from mnist_gui.views.inside.model_diagram import INPUT_SHAPE, describe
    from tests.test_explain_conv import small_cnn

    lines = [describe(info, prev.output_shape if prev else INPUT_SHAPE)
             for prev, info in zip([None, *tab.layers], tab.layers)]
    assert lines == [("Dense 512 (relu)", "512 · 401,920 params"), ("Dense 512 (relu)", "512 · 262,656 params"),
                     ("Output 10 (softmax)", "10 · 5,130 params")]
    tab.diagram.grab()  # painted: each box's tooltip has its two lines and the Keras name
    assert tab.diagram._tips[1].splitlines() == ["Dense 512 (relu)", "512 · 401,920 params", "Keras layer “dense”"]
    assert tab.diagram._tips[0].startswith("Input 28×28 image")
    cnn = explain.explainer_for(small_cnn()).layers()
    titles = [describe(info, prev.output_shape if prev else INPUT_SHAPE)[0] for prev, info in zip([None, *cnn], cnn)]
    assert titles == ["Conv 5×5 ×6 (relu)", "Max-pool 2×2", "Conv 3×3 ×8 (relu)", "Max-pool 2×2", "Dense 16 (relu)",
                      "Output 10 (softmax)"]
    assert describe(cnn[0])[1] == "24×24×6 · 156 params" and describe(cnn[1], cnn[0].output_shape)[1] == "12×12×6 · 0 params"


def test_why_not_picker_default_says_what_it_shows(tab) -> None:
    picker = tab.saliency.picker
    assert picker.currentIndex() == 0 and picker.currentText() == "— why this answer" and tab.saliency.against() == -1
    assert [picker.itemText(i) for i in (1, 10)] == ["why not 0?", "why not 9?"]


def test_map_legend_and_preview_sit_below_the_plot(qtbot, tab) -> None:
    """The legend covers no dots (it is a row under the plot, not inside it) and the hover preview has room."""
    from PySide6.QtCore import QPoint

    m = tab.map
    assert m.plot.getPlotItem().legend is None  # nothing drawn over the data area
    plot_bottom = m.plot.mapTo(m, QPoint(0, m.plot.height())).y()
    for w in (m.legend, m.thumb, m.thumb_label):
        assert w.isVisible() and w.mapTo(m, QPoint(0, 0)).y() >= plot_bottom
    assert m.legend.mapTo(m, QPoint(m.legend.width(), 0)).x() <= m.thumb.mapTo(m, QPoint(0, 0)).x()
    assert m.thumb.width() >= 80 and m.thumb.height() >= 80 and m.thumb_label.width() >= 80
    assert m.plot.width() >= m.width() - 10  # the plot has the panel's whole width (no blank column beside it)
    texts = [lab.text() for lab in m.legend.findChildren(type(m.thumb_label))]
    assert [t[-1] for t in texts] == [str(d) for d in range(10)] and all("●" in t for t in texts)
