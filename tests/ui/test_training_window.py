"""The training panel inside the main window: its tab, a run shown for a screenshot, the demo project,
and closing the window while a run trains."""

from pathlib import Path

import numpy as np
from PIL import Image

from studio.engine.checkpoints import CheckpointStore
from studio.engine.project import Project
from studio.engine.runs import RunReader
from studio.ui.app import save_screenshot
from studio.ui.training.panel import TrainingPanel
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.training_helpers import headless_run, wait_for


def test_screenshot_of_a_run_shows_the_panel_filled(window, tmp_path):
    panel = window.panels["training"]
    assert isinstance(panel, TrainingPanel)
    run_dir = headless_run(tmp_path, "shot")
    window.open_run(run_dir)  # what `studio gui --panel training --run DIR` does
    path = save_screenshot(window, tmp_path / "shot.png", "training")
    front = window.tabs.currentWidget()
    assert panel in (front, getattr(front, "widget", lambda: None)())  # (the window may wrap panels)
    assert panel.tabs.currentWidget() is panel.curves
    assert len(panel.curves.item("shot", "train/loss").xData) == RunReader(run_dir).status().step
    assert panel.runs_list.tree.topLevelItemCount() == 1
    pixels = np.asarray(Image.open(path).convert("RGB"))
    assert pixels.shape[:2] == (800, 1280) and pixels.std() > 10


def test_demo_project_fills_the_data_page(window):
    from studio.engine.demo import demo_data_dir

    window.open_demo()
    panel = window.panels["training"]
    assert panel.data_page.form.folder.text() == str(demo_data_dir())
    assert panel.config().data.root == str(demo_data_dir())


def _training_window(window, tmp_path, qtbot):
    root = make_image_folder(tmp_path / "data", classes=3, per_class=20)
    window.document.replace(Project(tiny_cnn(3)), tmp_path / "p.studio")
    window.document.save()
    panel = window.panels["training"]
    panel.data_page.form.folder.setText(str(root))
    panel.settings_form.by_steps.setChecked(True)
    panel.settings_form.steps.setValue(100_000)
    panel.settings_form.batch_size.setValue(4)
    run = panel.train()
    wait_for(qtbot, lambda: run.state == "running" and run.trainer.step > 2, message="training")
    return panel, run


def test_closing_during_training_asks_then_stops_with_a_checkpoint(window, tmp_path, qtbot):
    panel, run = _training_window(window, tmp_path, qtbot)
    panel.ask_stop_on_close = lambda: False
    window.close()
    assert window.isVisible() and run.active  # the user said no: nothing changes
    asked = []
    panel.ask_stop_on_close = lambda: asked.append(True) or True
    window.close()
    assert asked and not window.isVisible()
    assert not run.active and run.result.reason == "stopped"
    checkpoint = CheckpointStore(Path(run.run_dir) / "checkpoints").latest()
    assert checkpoint.step == run.result.step and checkpoint.reason in ("stopped", "scheduled")
    assert RunReader(run.run_dir).status().state == "finished"
