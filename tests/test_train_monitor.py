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
