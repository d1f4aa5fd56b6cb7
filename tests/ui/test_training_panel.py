"""The training panel end to end: real training through its buttons on a real image folder."""

import numpy as np
from PySide6.QtCore import Qt

from studio.engine.checkpoints import CheckpointStore
from studio.engine.runs import RunReader
from studio.ui.training.settings_form import gui_threads
from tests.ui.training_helpers import make_panel, train_through_button, wait_for


def test_train_button_trains_plots_and_fills_the_results(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    result = train_through_button(qtbot, panel)
    assert result.status == "finished" and result.reason == "completed"
    assert result.metrics["val/accuracy"] > 0.5
    run_dir = panel.run.run_dir
    assert run_dir.parent == tmp_path / "runs"
    label = panel.runs.watcher.get(run_dir).name
    panel.curves.redraw()
    loss = panel.curves.item(label, "train/loss")
    steps = int(loss.xData.max())
    assert steps == result.step and len(loss.xData) == result.step  # one point per logged step
    assert len(panel.curves.item(label, "val/accuracy").xData) == 4  # one validation per epoch
    train_accuracy = panel.curves.item(label, "train/accuracy").yData
    assert len(train_accuracy) == result.step and 0 <= train_accuracy.min() <= train_accuracy.max() <= 1
    assert panel.curves.item(label, "lr").yData[0] > 0
    assert "Training completed" in panel.messages.text() and "validation accuracy" in panel.messages.text()
    # the project remembers the run and the settings it used
    assert panel.document.project.runs == [f"runs/{run_dir.name}"]
    assert panel.document.project.training["batch_size"] == 8 and panel.document.modified
    assert panel.document.project.training["threads"] is None  # "auto" stays auto in the project,
    assert RunReader(run_dir).config()["threads"] == gui_threads()  # the run records what it used
    # results: the confusion matrix holds every validation image; cells open their images
    wait_for(qtbot, lambda: panel.results.predictions is not None, message="predictions")
    predictions = panel.results.predictions
    matrix = panel.results.confusion.matrix
    assert matrix.sum() == len(predictions) == sum(RunReader(run_dir).data_report()["counts"]["val"])
    true, guess = np.unravel_index(np.argmax(matrix), matrix.shape)
    panel.results.confusion.sigCellChosen.emit(int(true), int(guess))
    assert panel.results.gallery.count() == matrix[true, guess]
    path = panel.results.gallery.path_of(panel.results.gallery.item(0))
    assert path in predictions.paths and f"c{true}" in path
    assert panel.results.per_class.rowCount() == 3


def test_pause_resume_and_stop_with_a_checkpoint(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path, per_class=20)
    panel.settings_form.by_steps.setChecked(True)
    panel.settings_form.steps.setValue(100_000)
    panel.settings_form.batch_size.setValue(4)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    run = panel.run
    wait_for(qtbot, lambda: run.state == "running" and run.trainer.step > 3, message="training")
    assert not panel.train_button.isEnabled() and panel.pause_button.isEnabled()
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: run.state == "paused", message="paused")
    assert panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    paused_at = run.trainer.step
    panel.document.spec.move_node("fc", (50.0, 400.0))
    assert panel.stale_label.isHidden()  # moving a layer does not change the model
    panel.document.spec.set_arg("conv1", "out_channels", 4)
    assert panel.stale_label.isVisible() and "edited after this run started" in panel.stale_label.text()
    qtbot.wait(400)
    assert run.trainer.step == paused_at  # nothing trains while paused
    assert "paused" in panel.progress.format()
    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: run.trainer.step > paused_at + 3, message="resumed training")
    with qtbot.waitSignal(panel.sigRunEnded, timeout=300_000) as ended:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    result = ended.args[0]
    assert result.status == "finished" and result.reason == "stopped"
    last = CheckpointStore(run.run_dir / "checkpoints").latest()
    assert last.step == result.step  # saved at the step it stopped (reason "stopped", or "scheduled" when
    assert last.reason in ("stopped", "scheduled")  # the stop came on a step that saved anyway)
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    assert "Training stopped" in panel.messages.text()


def test_bad_data_is_a_clear_message_and_the_panel_stays_usable(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    panel.data_page.form.folder.setText(str(empty))
    result = train_through_button(qtbot, panel)
    assert result.status == "failed"
    text = panel.messages.text()
    assert "The data cannot be used" in text and "no usable images" in text and "Data page" in text
    assert panel.train_button.isEnabled()
    panel.data_page.form.folder.setText(str(tmp_path / "data"))
    assert train_through_button(qtbot, panel).status == "finished"  # and it trains after the fix


def test_a_model_that_does_not_fit_the_data_says_so(qtbot, tmp_path):
    from tests.engine.image_folders import tiny_cnn

    panel = make_panel(qtbot, tmp_path, spec=tiny_cnn(classes=2))  # 2 outputs for 3 classes
    wait_for(qtbot, lambda: panel.document.data_facts is not None, message="the data folder's facts")
    assert not panel.train_button.isEnabled()  # Train waits for the fix (beside it, and on the canvas)
    assert "gives 2 values but the data has 3 classes: set fc to 3 outputs" in panel.model_check.label.text()
    assert panel.train() is None
    text = panel.messages.text()
    assert "The model does not fit the data" in text and "one-click fix" in text


def test_nan_loss_stops_with_the_last_good_checkpoint_named(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    panel.settings_form.optimizer.setCurrentText("sgd")
    panel.settings_form.momentum.setValue(0.0)
    panel.settings_form.lr.setValue(10.0)
    panel.settings_form.epochs.setValue(20)
    result = train_through_button(qtbot, panel)
    assert result.status == "failed"
    text = panel.messages.text()
    assert "NaN or infinite" in text and "Lower the learning rate" in text
    assert panel.train_button.isEnabled()


def test_evaluate_a_checkpoint_on_another_folder(qtbot, tmp_path):
    from studio.ui.training.evaluate_dialog import EvaluateDialog
    from tests.engine.image_folders import make_image_folder

    panel = make_panel(qtbot, tmp_path)
    train_through_button(qtbot, panel)
    wait_for(qtbot, lambda: panel.results.predictions is not None, message="predictions")
    run_dir = panel.run.run_dir
    dialog = EvaluateDialog(run_dir, panel)
    qtbot.addWidget(dialog)
    assert "(best)" in dialog.checkpoint.itemText(0) and dialog.choice() is None  # no folder yet
    other = make_image_folder(tmp_path / "other", classes=3, per_class=5, seed=3)
    latest = str(CheckpointStore(run_dir / "checkpoints").latest().path)
    panel.results.ask_evaluation = lambda path: (latest, str(other))
    with qtbot.waitSignal(panel.results.predictor.sigResult, timeout=300_000) as got:
        panel.results.evaluate_button.click()
    predictions = got.args[0]
    assert predictions.source == str(other) and len(predictions) == 15
    assert predictions.checkpoint == latest
    assert panel.results.confusion.matrix.sum() == 15 and str(other) in panel.results.title.text()
