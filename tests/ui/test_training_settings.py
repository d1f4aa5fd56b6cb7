"""The Settings page: the trainer configuration, its schedule plot, presets, saved in the project."""

import pytest

from studio.engine.training import TrainConfig
from studio.engine.training.optim import lr_factor
from studio.ui.training.presets import BUILT_IN
from tests.ui.training_helpers import make_panel


def test_settings_round_trip_and_are_saved_in_the_project(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    form = panel.settings_form
    config = TrainConfig.from_dict({
        "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 1e-4},
        "schedule": {"name": "step", "step_size": 30, "gamma": 0.5}, "steps": 300, "batch_size": 16,
        "grad_clip": 2.0, "checkpoint": {"every_steps": 50, "keep_last": 3}, "amp": "off", "seed": 7})
    form.set_config(config)
    shown = form.config()
    for key in ("optimizer", "schedule", "steps", "batch_size", "grad_clip", "amp", "seed"):
        assert getattr(shown, key) == getattr(config, key), key
    assert shown.checkpoint.every_steps == 50 and shown.checkpoint.keep_last == 3
    assert not form.decay_rate.isEnabled() and form.gamma.isEnabled()  # only the chosen schedule's fields
    saved = panel.document.project.training
    assert saved["optimizer"]["name"] == "sgd" and saved["steps"] == 300
    assert panel.document.modified


def test_schedule_plot_is_the_engines_schedule(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    form = panel.settings_form
    form.lr.setValue(0.1)
    form.schedule.setCurrentText("cosine")
    form.warmup.setValue(10)
    form.by_steps.setChecked(True)
    form.steps.setValue(100)
    xs, ys = form.schedule_plot.curve.getData()
    config = form.config()
    factor = lr_factor(config.schedule, 100, 0.1)
    assert len(xs) == 100 and ys[int(xs[50])] == pytest.approx(0.1 * factor(50))
    assert ys.max() == pytest.approx(0.1) and ys[-1] < 0.01


def test_presets_apply_and_user_presets_persist(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    form = panel.settings_form
    form.apply_named_preset("SGD momentum + cosine")
    config = form.config()
    assert config.optimizer.name == "sgd" and config.schedule.name == "cosine"
    assert config.epochs == BUILT_IN["SGD momentum + cosine"]["epochs"]
    form.batch_size.setValue(24)
    form.save_preset("mine")
    assert "mine" in [form.preset.itemText(i) for i in range(form.preset.count())]
    form.apply_named_preset("Adam, 10 epochs")
    assert form.config().optimizer.name == "adam"
    form.apply_named_preset("mine")
    assert form.config().batch_size == 24 and form.config().optimizer.name == "sgd"
    form.save_preset("Adam, 10 epochs")  # a built-in name is refused with a message
    assert "built-in" in form.messages.text()


def test_project_settings_come_back_when_the_project_is_reopened(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    panel.settings_form.batch_size.setValue(12)
    panel.data_page.form.hflip.setChecked(True)
    panel.document.save()
    panel.document.open(tmp_path / "project.studio")
    assert panel.settings_form.batch_size.value() == 12
    assert panel.data_page.form.hflip.isChecked()
    assert panel.data_page.form.folder.text() == str(tmp_path / "data")


def test_another_project_brings_its_own_settings_and_runs(qtbot, tmp_path):
    from studio.engine.project import Project
    from tests.engine.image_folders import tiny_cnn
    from tests.ui.training_helpers import train_through_button

    panel = make_panel(qtbot, tmp_path)
    train_through_button(qtbot, panel)
    assert panel.runs_list.tree.topLevelItemCount() == 1
    panel.document.save()  # saving keeps what is shown
    assert panel.runs_list.tree.topLevelItemCount() == 1
    other = tmp_path / "other"
    other.mkdir()
    panel.document.replace(Project(tiny_cnn(3), training={"batch_size": 5}), other / "other.studio")
    assert panel.runs_list.tree.topLevelItemCount() == 0
    assert panel.settings_form.batch_size.value() == 5 and panel.data_page.form.folder.text() == ""


def test_schedule_plot_axis_starts_at_zero_and_no_preset_looks_applied(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    form = panel.settings_form
    assert form.preset.currentIndex() == -1 and form.preset.currentText() == ""  # the placeholder shows
    form.lr.setValue(0.001)
    form.schedule.setCurrentText("constant")  # a flat line must read 0.001, not sit on a 0 tick
    form.by_steps.setChecked(True)
    form.steps.setValue(500)
    (x_low, x_high), (y_low, y_high) = form.schedule_plot.getViewBox().viewRange()
    assert y_low == pytest.approx(0.0) and 0.001 < y_high < 0.002
    assert x_low <= 0 and 499 <= x_high < 520
