"""The live curves: steps or epochs, log scale, raw loss, hover values, and a long run's redraw size."""

import numpy as np

from studio.ui.training.buffers import RunCurves
from studio.ui.training.curves import CurvesView


def _curves(steps: int) -> RunCurves:
    curves = RunCurves()
    rng = np.random.default_rng(0)
    for step in range(1, steps + 1):
        curves.add("train/loss", step, step / 100, 2.0 * np.exp(-step / (steps / 3)) + 0.1 * rng.random())
        curves.add("lr", step, step / 100, 0.01)
        if step % 100 == 0:
            curves.add("val/accuracy", step, step / 100, 1 - np.exp(-step / (steps / 3)))
    return curves


def test_axis_log_scale_raw_toggle_and_hover(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.set_runs([("run", _curves(1000))])
    loss = view.item("run", "train/loss")
    assert loss.xData.max() == 1000
    view.x_axis.setCurrentText("epochs")
    assert loss.xData.max() == 10.0 and view.plots["loss"].getAxis("bottom").labelText == "epochs"
    view.log_scale.setChecked(True)
    assert view.plots["loss"].ctrl.logYCheck.isChecked()
    assert not view.plots["accuracy"].ctrl.logYCheck.isChecked()
    view.raw_loss.setChecked(False)
    raw = view.item("run", "train/loss:raw").xData
    assert (raw is None or len(raw) == 0) and len(loss.xData) == 1000
    text = view.show_values_at("accuracy", 5.02)
    assert text.startswith("epoch 5.02") and "val accuracy = " in text
    assert f"{1 - np.exp(-500 / (1000 / 3)):.4g}" in text  # the value at epoch 5


def test_a_100k_step_run_draws_a_bounded_number_of_points(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    curves = _curves(100_000)
    view.set_runs([("long", curves)])
    raw = view.item("long", "train/loss:raw")
    assert len(curves.buffers["train/loss:raw"]) == 100_000
    assert len(raw.xData) <= 4096 + curves.buffers["train/loss:raw"].block
    assert raw.xData[-1] == 100_000  # up to the last step
    low, high = view.plots["lr"].viewRange()[1]
    assert low <= 0 < 0.01 < high  # a flat learning rate is drawn from 0, not centred in ±0.5


def test_validation_points_carry_a_dot_while_they_are_few(qtbot):
    from studio.ui.training.curves import MAX_MARKERS

    view = CurvesView()
    qtbot.addWidget(view)
    one = RunCurves()
    for step in range(1, 64):
        one.add("train/loss", step, step / 63, 1.0 / step)
    one.add("val/accuracy", 63, 1.0, 0.78)  # a one-epoch run: a single validation, no line to draw
    view.set_runs([("short", one)])
    val = view.item("short", "val/accuracy")
    assert len(val.xData) == 1 and val.opts["symbol"] == "o"
    assert view.item("short", "train/loss").opts["symbol"] is None
    many = _curves(100 * (MAX_MARKERS + 1))  # a validation every 100 steps: the line says enough
    view.set_runs([("long", many)])
    assert view.item("long", "val/accuracy").opts["symbol"] is None
