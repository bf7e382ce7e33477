"""The Train tab's monitor: during a job each timer tick gives new data to one plot, the two in turn (so one
event-loop turn paints one plot); after the job, or on the smoothing box, both at once."""

from __future__ import annotations

from mnist_gui.views.train.monitor import TrainingMonitor


def _batch_points(monitor: TrainingMonitor) -> dict[str, int]:
    out = {}
    for name, curves in monitor.plots.curves.items():
        x, _ = curves["batch"].getData()
        out[name] = 0 if x is None else len(x)
    return out


def test_ticks_update_one_plot_each_in_turn_and_the_end_updates_both(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    monitor.start("Training", epochs=2, samples_per_epoch=1000)
    monitor.timer.stop()  # the test ticks by hand
    monitor.on_batch(0, 5, 10, {"loss": 1.0, "accuracy": 0.5})
    monitor._refresh_next()
    first = _batch_points(monitor)
    assert sorted(first.values()) == [0, 1], first  # one plot got the point, the other not yet
    monitor._refresh_next()
    assert _batch_points(monitor) == {"loss": 1, "accuracy": 1}
    monitor._refresh_next()  # nothing new: nothing to redraw
    assert _batch_points(monitor) == {"loss": 1, "accuracy": 1}

    monitor.on_batch(0, 10, 10, {"loss": 0.8, "accuracy": 0.6})
    monitor.on_epoch(0, {"loss": 0.8, "accuracy": 0.6, "val_loss": 0.7, "val_accuracy": 0.7}, 1.0)
    monitor._refresh_next()
    assert sorted(_batch_points(monitor).values()) == [1, 2]
    monitor.stop_timer()  # the job is over: the plot still waiting gets its data now
    assert _batch_points(monitor) == {"loss": 2, "accuracy": 2}
    for name in ("loss", "accuracy"):
        x, _ = monitor.plots.curves[name]["val"].getData()
        assert x is not None and len(x) == 1  # the epoch point reached both plots


def test_the_smoothing_box_redraws_at_once_without_a_job(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    monitor.start("Training", epochs=1, samples_per_epoch=1000)
    monitor.timer.stop()
    for step, loss in ((1, 2.0), (2, 0.0)):
        monitor.on_batch(0, step, 2, {"loss": loss, "accuracy": 0.5})
    monitor.stop_timer()
    _, raw = monitor.plots.curves["loss"]["batch"].getData()
    monitor.smooth.setChecked(True)
    _, smoothed = monitor.plots.curves["loss"]["batch"].getData()
    assert raw[-1] == 0.0 and 0.0 < smoothed[-1] < 2.0  # the running mean, shown without waiting for a job


def test_empty_plots_say_what_they_will_show_and_the_key_lists_only_what_is_drawn(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    plots = monitor.plots
    assert all(h.isVisible() for h in plots.hints.values())
    assert "loss per epoch" in plots.hints["loss"].toPlainText() and "accuracy" in plots.hints["accuracy"].toPlainText()
    assert plots.legend.text() == ""  # no key to lines that do not exist
    monitor.start("Training", epochs=1, samples_per_epoch=1000)
    monitor.timer.stop()
    monitor.on_batch(0, 5, 10, {"loss": 1.0, "accuracy": 0.5})
    monitor.stop_timer()
    assert not any(h.isVisible() for h in plots.hints.values())
    assert "batch" in plots.legend.text() and "validation" not in plots.legend.text()
    monitor.show_history({"loss": [0.8], "accuracy": [0.6], "val_loss": [0.7], "val_accuracy": [0.7]})  # a finished run
    text = plots.legend.text()
    assert "train (epoch)" in text and "validation" in text and "batch" not in text
    monitor.show_history({})
    assert all(h.isVisible() for h in plots.hints.values()) and plots.legend.text() == ""


def test_the_epoch_axis_counts_whole_epochs_from_zero(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.resize(900, 400)
    monitor.show()
    monitor.ensure_plots()
    monitor.start("Training", epochs=1, samples_per_epoch=1000)
    monitor.timer.stop()
    for step in range(1, 11):
        monitor.on_batch(0, step, 10, {"loss": 1.0 / step, "accuracy": 0.5 + step / 40})
    monitor.on_epoch(0, {"loss": 0.3, "accuracy": 0.7, "val_loss": 0.4, "val_accuracy": 0.65}, 1.0)
    monitor.stop_timer()
    for plot in (monitor.plots.loss_plot, monitor.plots.acc_plot):
        vb = plot.getViewBox()
        vb.updateAutoRange()
        lo, hi = vb.viewRange()[0]
        assert lo <= 0 and hi >= 1  # a 1-epoch run: from epoch 0 (the start) to 1
        axis = plot.getAxis("bottom")
        ticks = [v for _, values in axis.tickValues(lo, hi, 400) for v in values]
        assert ticks and all(float(v).is_integer() for v in ticks), ticks  # 0, 1 — not 0.2, 0.4 …
        assert {0.0, 1.0} <= set(ticks)
    # many epochs: the ticks stay whole numbers, fewer of them
    axis = monitor.plots.loss_plot.getAxis("bottom")
    ticks = [v for _, values in axis.tickValues(0, 50, 400) for v in values]
    assert all(float(v).is_integer() for v in ticks) and len(ticks) < 60


def test_overlaid_runs_are_named_in_the_key_under_the_plots(qtbot):
    from types import SimpleNamespace

    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    run = SimpleNamespace(history={"loss": [0.5, 0.3], "val_loss": [0.6, 0.4], "accuracy": [0.8, 0.9],
                                   "val_accuracy": [0.78, 0.88]}, best_epoch=2, name="<b>wide</b> & deep", arch="mlp",
                          created=None)
    monitor.set_overlays([run])
    plots = monitor.plots
    assert not any(h.isVisible() for h in plots.hints.values())  # an earlier run is data too
    text = plots.legend.text()
    assert "Earlier runs" in text and "&lt;b&gt;wide&lt;/b&gt; &amp; deep" in text  # a name is shown, never run as markup
    assert "train (epoch)" not in text  # no live run: no key to its curves
    monitor.set_overlays([])
    assert plots.legend.text() == "" and all(h.isVisible() for h in plots.hints.values())


def test_a_progress_update_repaints_the_progress_line_alone(qtbot):
    """Twice a second while training: new texts re-lay out nothing and repaint no widget beneath them; a text
    that does not fit widens its label instead of being cut."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    monitor = TrainingMonitor()
    QVBoxLayout(window).addWidget(monitor)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    monitor.start("Training", epochs=3, samples_per_epoch=48000)
    monitor.timer.stop()  # the plots are not what this test watches
    monitor._t_start -= 60  # a job a minute old: speeds and times of a real run, not of a test's microseconds
    monitor.on_batch(0, 1, 375, {"loss": 1.0, "accuracy": 0.5})
    monitor._first = (monitor._first[0] - 60, monitor._first[1])  # its first batch too (speed and ETA count from it)
    for _ in range(3):  # what starting and the first update changed is laid out and painted before the watch
        QApplication.sendPostedEvents()
        QApplication.processEvents()

    seen: list[str] = []

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Paint) and obj in (window, monitor):
                seen.append(f"{type(obj).__name__} {event.type().name}")
            return False

    watch = Watch()
    window.installEventFilter(watch)
    monitor.installEventFilter(watch)
    for step in range(17, 375, 17):
        monitor.on_batch(0, step, 375, {"loss": 0.5, "accuracy": 0.9})
        QApplication.sendPostedEvents()  # whatever the update asked for (layouts, repaints) happens now
        QApplication.processEvents()
    window.removeEventFilter(watch)
    monitor.removeEventFilter(watch)
    assert seen == [], seen  # nothing beneath the progress line was laid out or painted again
    assert monitor.step_label.text() == "Step 374/375"

    monitor.finish("stopped")  # a longer text than any during the job: the label widens to show it whole
    assert monitor.step_label.text() == "Stopped at step 374/375"
    assert monitor.step_label.width() >= monitor.step_label.sizeHint().width()


def test_the_empty_plots_say_points_are_coming_while_a_job_runs_and_a_finished_run_starts_at_epoch_1(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    plots = monitor.plots
    assert plots.hints["loss"].textItem.toPlainText().startswith("Train to see")
    assert monitor.progress.text().startswith("No run yet")  # an idle bar says what it is for, not a blank box
    monitor.start("Training", epochs=3, samples_per_epoch=1000)
    assert monitor.progress.text() == "0%"
    assert all(h.textItem.toPlainText() == "The first points appear during epoch 1…" for h in plots.hints.values())
    monitor.on_batch(0, 5, 10, {"loss": 1.0, "accuracy": 0.5})
    monitor.stop_timer()
    x, _ = plots._anchors["loss"].getData()
    assert list(x) == [0.0]  # batch points start near 0: the axis starts at epoch 0
    assert plots.hints["loss"].textItem.toPlainText().startswith("Train to see")  # the job is over
    monitor.show_history({"loss": [0.5, 0.3, 0.2], "accuracy": [0.8, 0.9, 0.95]})  # a finished run: epoch points only
    x, _ = plots._anchors["loss"].getData()
    assert x is None or len(x) == 0  # no empty stretch before epoch 1
    monitor.show()  # the view re-ranges when it paints
    qtbot.waitUntil(lambda: plots.loss_plot.getViewBox().viewRange()[0][0] > 0.5)  # fails on timeout


def test_a_new_job_clears_the_last_runs_curves_at_once_and_the_progress_line_follows_the_font(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    monitor.show_history({"loss": [0.5, 0.3, 0.2], "accuracy": [0.8, 0.9, 0.95]})  # a loaded model's or the last run's
    assert monitor.plots.point_count() > 0
    monitor.start("Training", epochs=3, samples_per_epoch=1000)  # seconds before the new job's first batch
    assert monitor.plots.point_count() == 0 and monitor.plots.hints["loss"].isVisible()

    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    sheet = app.styleSheet()
    app.setStyleSheet("")  # an app style sheet (other tests' themes) keeps a parent's font from its children
    try:
        label = monitor.time_label
        before = label.height()
        bigger = QFont(monitor.font())
        bigger.setPointSizeF(bigger.pointSizeF() * 1.6)
        monitor.setFont(bigger)  # e.g. a bigger font for the whole window
        assert label.sizeHint().height() > before
        assert label.height() >= label.sizeHint().height() and label.width() >= label.sizeHint().width()
    finally:
        app.setStyleSheet(sheet)


def test_accuracy_is_plotted_in_percent_while_the_history_stays_in_fractions(qtbot):
    """The headline and the Runs list say 82.92 %: the accuracy plot's axis does too (not 0.83); the data the tab
    keeps (and exports as CSV) stays in fractions, as Keras gives it."""
    import numpy as np

    from mnist_gui.views.train.exports import history_csv

    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.ensure_plots()
    plots = monitor.plots
    assert plots.acc_plot.plotItem.titleLabel.text == "Accuracy (%)"
    monitor.start("Training", epochs=2, samples_per_epoch=1000)
    monitor.timer.stop()
    monitor.on_batch(0, 5, 10, {"loss": 1.5, "accuracy": 0.45})
    monitor.on_epoch(0, {"loss": 1.5, "accuracy": 0.45, "val_loss": 1.0, "val_accuracy": 0.8125}, 1.0)
    monitor.stop_timer()
    _, batch = plots.curves["accuracy"]["batch"].getData()
    _, val = plots.curves["accuracy"]["val"].getData()
    _, loss = plots.curves["loss"]["val"].getData()
    assert np.allclose(batch, [45.0]) and np.allclose(val, [81.25]) and np.allclose(loss, [1.0])  # loss unscaled
    assert monitor.history["val_accuracy"] == [0.8125] and monitor.history["accuracy"] == [0.45]
    assert history_csv(monitor.history).splitlines()[1].split(",") == ["1", "0.45", "1.5", "0.8125", "1.0"]

    class Run:  # an earlier run, overlaid
        name, arch, created, best_epoch = "earlier", "mlp", None, 2
        history = {"loss": [0.9, 0.5], "accuracy": [0.7, 0.9], "val_loss": [0.6, 0.4], "val_accuracy": [0.85, 0.95]}

    plots.set_overlays([Run()])
    acc_ys = [tuple(np.round(y, 6)) for _, y in plots._points("accuracy")]
    assert (85.0, 95.0) in acc_ys and (70.0, 90.0) in acc_ys and (95.0,) in acc_ys  # validation, train, best-epoch star
    assert (0.6, 0.4) in [tuple(np.round(y, 6)) for _, y in plots._points("loss")]
    assert Run.history["val_accuracy"] == [0.85, 0.95]


def test_speed_and_eta_come_from_the_batches_not_the_setup_before_them(qtbot, monkeypatch):
    """10 s of setup (the untrained test, building, tracing) then 1 epoch every 2 s: the ETA says 2 s an epoch,
    not (10 + 2) s; and the last batch says what the run still does instead of "ETA 0:00"."""
    from mnist_gui.views.train import monitor as mod

    from types import SimpleNamespace

    clock = [100.0]
    monkeypatch.setattr(mod, "time", SimpleNamespace(perf_counter=lambda: clock[0]))  # this module's clock only
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.start("Training", epochs=3, samples_per_epoch=48_000)
    monitor.timer.stop()
    clock[0] += 10.0
    monitor.on_batch(0, 50, 100, {"loss": 1.0})  # half an epoch at t = 10 s: nothing to measure a rate on yet
    assert monitor.time_label.text() == "Elapsed 0:10 · ETA –" and monitor.speed_label.text() == "– samples/s"
    clock[0] += 0.01
    monitor.on_batch(0, 55, 100, {"loss": 1.0})  # two reports handled together: no speed from 10 ms
    assert monitor.time_label.text().endswith("ETA –") and monitor.speed_label.text() == "– samples/s"
    clock[0] -= 0.01
    clock[0] += 1.0
    monitor.on_batch(0, 100, 100, {"loss": 0.9})  # epoch 1 done 1 s later: 0.5 epochs a second
    assert monitor.time_label.text() == "Elapsed 0:11 · ETA 0:04"  # 2 epochs left at 2 s each
    assert monitor.speed_label.text() == "24,000 samples/s"
    clock[0] += 4.0
    monitor.on_batch(2, 100, 100, {"loss": 0.5})
    assert monitor.time_label.text() == "Elapsed 0:15 · testing the best checkpoint…"
    monitor.stop_timer()


def test_two_unnamed_runs_of_one_minute_get_different_legend_names():
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from mnist_gui.views.plots import short_title

    a, b = (SimpleNamespace(name="", arch="mlp", created=datetime(2026, 11, 26, 16, 29, s, tzinfo=timezone.utc)) for s in (5, 40))
    assert short_title(a) != short_title(b) and short_title(a).startswith("MLP ")
    assert short_title(SimpleNamespace(name="baseline", arch="mlp", created=a.created)) == "baseline"


def test_a_fine_tuning_job_says_what_it_does_after_its_last_batch(qtbot):
    monitor = TrainingMonitor()
    qtbot.addWidget(monitor)
    monitor.start("Fine-tuning", epochs=1, samples_per_epoch=100, finishing="measuring the result…")
    monitor.timer.stop()
    monitor.on_batch(0, 10, 10, {"loss": 0.5})
    assert monitor.time_label.text().endswith("· measuring the result…")
    monitor.stop_timer()
