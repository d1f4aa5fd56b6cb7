"""The runs list: runs from the command line (followed live through their files), overlay, rename,
tags, delete to the trash with confirmation, resume."""

import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths

from studio.engine.runs import RunReader
from studio.engine.runs.labels import read_labels
from studio.engine.training import StepEvent, TrainConfig, Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.training_helpers import headless_run, make_panel, train_through_button, wait_for


def _row(panel, path):
    return panel.runs_list._items[path.resolve()]


def test_a_run_written_elsewhere_is_followed_live(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    root = make_image_folder(tmp_path / "cli-data", classes=3, per_class=12)
    config = TrainConfig.from_dict({"data": {"root": str(root)}, "epochs": 6, "batch_size": 8,
                                    "log_every": 1})
    stepped = threading.Event()

    def callback(event):
        if isinstance(event, StepEvent) and event.step == 5:
            trainer.pause()  # hold the "command line" run half-way
            stepped.set()

    run_dir = tmp_path / "cli-runs" / "live"
    trainer = Trainer(tiny_cnn(3), config, run_dir=run_dir, callbacks=callback)
    thread = threading.Thread(target=trainer.run, daemon=True)
    thread.start()
    assert stepped.wait(300)
    wait_for(qtbot, lambda: RunReader(run_dir).status().state == "paused", message="external run paused")
    watched = panel.open_run(run_dir)
    assert _row(panel, run_dir).text(1) == "paused"
    assert len(watched.curves.buffers["train/loss"]) == 5
    trainer.resume()
    thread.join(300)
    assert not thread.is_alive()
    wait_for(qtbot, lambda: watched.status.state == "finished", message="the watcher to see the end")
    panel.curves.redraw()
    assert len(panel.curves.item(watched.name, "train/loss").xData) == trainer.step  # every step, once
    assert len(panel.curves.item(watched.name, "train/accuracy").xData) == trainer.step
    assert _row(panel, run_dir).text(1) == "finished"
    assert _row(panel, run_dir).text(2).endswith("%")
    assert panel.results.confusion.rowCount() == 3  # the last validation's counts


def test_several_runs_overlay_their_curves(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    first = panel.open_run(headless_run(tmp_path, "a", epochs=2))
    second = panel.open_run(headless_run(tmp_path, "b", epochs=3, optimizer={"name": "sgd", "lr": 0.05}))
    panel.runs_list.select([first.path, second.path])
    panel.curves.redraw()
    a, b = panel.curves.item("a", "val/accuracy"), panel.curves.item("b", "val/accuracy")
    assert a is not None and b is not None and len(a.xData) == 2 and len(b.xData) == 3
    assert a.opts["pen"].color() != b.opts["pen"].color()  # one colour per run
    assert panel.curves.item("a", "train/loss:raw") is None  # raw noise is left out when comparing
    text = panel.curves.show_values_at("accuracy", 6)
    assert "a: val accuracy" in text and "b: val accuracy" in text


def test_rename_and_tag_a_run(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    run = panel.open_run(headless_run(tmp_path, "r"))
    answers = iter(["baseline", "cpu, small"])
    panel.runs.ask_text = lambda title, label, text: next(answers)
    panel.runs_list.rename_button.click()
    panel.runs_list.tags_button.click()
    labels = read_labels(run.path)
    assert labels.name == "baseline" and labels.tags == ("cpu", "small")
    row = _row(panel, run.path)
    assert row.text(0) == "baseline" and row.text(5) == "cpu, small"


def test_delete_asks_then_moves_the_run_to_the_trash(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    train_through_button(qtbot, panel)
    run_dir = panel.run.run_dir
    panel.runs_list.select([run_dir.resolve()])
    panel.runs.confirm = lambda title, text: False
    panel.runs_list.delete_button.click()
    assert run_dir.exists()  # declined: nothing happens
    panel.runs.confirm = lambda title, text: True
    panel.runs_list.delete_button.click()
    assert not run_dir.exists(), panel.messages.text()
    assert run_dir.resolve() not in panel.runs_list._items
    assert panel.document.project.runs == []
    assert "Moved" in panel.messages.text()
    data_home = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    trash = Path(data_home) / "Trash"
    trashed = trash / "files" / run_dir.name  # (test mode: a test trash, not the user's)
    assert (trashed / "checkpoints").is_dir()
    shutil.rmtree(trashed)
    (trash / "info" / f"{run_dir.name}.trashinfo").unlink()


def test_a_training_run_cannot_be_deleted(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path, per_class=20)
    panel.settings_form.by_steps.setChecked(True)
    panel.settings_form.steps.setValue(100_000)
    panel.train()
    wait_for(qtbot, lambda: panel.run.state == "running", message="training")
    panel.runs.confirm = lambda title, text: pytest.fail("must not even ask")
    assert not panel.runs.delete(panel.run.run_dir)
    assert "still training" in panel.messages.text()
    with qtbot.waitSignal(panel.sigRunEnded, timeout=300_000):
        panel.stop()
    assert panel.run.run_dir.exists()


def test_resume_a_finished_run_for_more_epochs(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    first = train_through_button(qtbot, panel)
    run_dir = panel.run.run_dir
    panel.runs_list.select([run_dir.resolve()])
    panel.ask_more_epochs = lambda name: 2.0
    with qtbot.waitSignal(panel.sigRunEnded, timeout=300_000) as ended:
        panel.runs_list.resume_button.click()
    result = ended.args[0]
    assert result.status == "finished" and result.step == first.step * 6 // 4  # 4 epochs + 2 more
    assert panel.run.run_dir == run_dir
    loss = panel.runs.watcher.get(run_dir).curves.buffers["train/loss"].arrays()[0]
    assert loss.tolist() == sorted(set(loss.tolist())) and loss[-1] == result.step  # no repeated steps


def test_clicking_a_cell_of_an_opened_run_shows_its_images(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from studio.ui.training.results_widgets import GALLERY_LIMIT

    panel = make_panel(qtbot, tmp_path)
    run_dir = headless_run(tmp_path, "cells", epochs=2)
    panel.open_run(run_dir)
    results = panel.results
    panel.tabs.setCurrentWidget(results)
    assert results.confusion.rowCount() == 3 and results.predictions is None  # counts only so far
    matrix = results.confusion.matrix
    true, predicted = max(((i, j) for i in range(3) for j in range(3)), key=lambda cell: matrix[cell])
    rect = results.confusion.visualItemRect(results.confusion.item(true, predicted))
    qtbot.mouseClick(results.confusion.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_for(qtbot, lambda: results.predictions is not None, timeout=60, message="per-image predictions")
    assert results.gallery_title.text().startswith("true ")  # the cell clicked, not all misclassified
    assert results.gallery.count() == min(len(results.predictions.cell(true, predicted)), GALLERY_LIMIT)


def test_more_epochs_for_a_step_budget_run_count_its_real_epoch_length(tmp_path):
    from studio.engine.runs import RunReader
    from studio.ui.training.resume import resume_setup

    run_dir = headless_run(tmp_path, "steps", steps=12)  # the budget is steps when given
    last = RunReader(run_dir).checkpoints()[-1]
    per_epoch = round(last.step / last.epoch)  # a few images: a handful of steps per epoch
    config, _ = resume_setup(run_dir, lambda name: 1.0)
    assert config.steps == 12 + per_epoch  # (status.json's epoch is a heartbeat's: it said far fewer)


def test_a_longer_status_widens_its_column(qtbot, tmp_path):
    import dataclasses

    panel = make_panel(qtbot, tmp_path)
    watched = panel.open_run(headless_run(tmp_path, "wide", epochs=1))
    tree = panel.runs_list.tree
    watched.status = dataclasses.replace(watched.status, reason="interrupted by SIGTERM")
    panel.runs_list.update_run(watched)
    assert _row(panel, watched.path).text(1) == "finished (interrupted by SIGTERM)"
    assert tree.columnWidth(1) >= tree.sizeHintForColumn(1)  # shown whole, not elided
