"""Shared set-up of the training panel tests: a real project saved in tmp_path, a real image folder,
small settings, and waiting for runs through the panel's own signals."""

from __future__ import annotations

import time
from pathlib import Path

from studio.engine.project import Project
from studio.engine.training import TrainConfig, Trainer
from studio.ui.document import ProjectDocument
from studio.ui.training.panel import TrainingPanel
from tests.engine.image_folders import make_image_folder, tiny_cnn


def make_panel(qtbot, tmp_path: Path, spec=None, classes: int = 3, per_class: int = 12) -> TrainingPanel:
    """A shown panel on a saved project whose data folder is a tiny real image folder."""
    root = make_image_folder(tmp_path / "data", classes=classes, per_class=per_class)
    document = ProjectDocument(Project(spec or tiny_cnn(classes)))
    document.save(tmp_path / "project.studio")
    panel = TrainingPanel(document)
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    panel.data_page.form.folder.setText(str(root))
    form = panel.settings_form
    form.batch_size.setValue(8)
    form.log_every.setValue(1)
    form.epochs.setValue(4)
    return panel


def train_through_button(qtbot, panel: TrainingPanel, timeout_ms: int = 300_000):
    """Click Train and wait for the run's end; returns the TrainResult (or JobFailure)."""
    with qtbot.waitSignal(panel.sigRunEnded, timeout=timeout_ms) as ended:
        qtbot.mouseClick(panel.train_button, qtbot_left())
    return ended.args[0]


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def wait_for(qtbot, condition, timeout: float = 300.0, message: str = "condition") -> None:
    """Process events until ``condition()`` holds (the timeout only detects a hang: CI machines are slow)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        qtbot.wait(20)


def headless_run(tmp_path: Path, name: str, epochs: float = 3, **config) -> Path:
    """A run written by the engine alone (as `studio train` would), on its own image folder."""
    root = tmp_path / f"data-{name}"
    if not root.exists():
        make_image_folder(root, classes=3, per_class=12)
    data = {"data": {"root": str(root)}, "epochs": epochs, "batch_size": 8, "log_every": 1, **config}
    run_dir = tmp_path / "cli-runs" / name
    result = Trainer(tiny_cnn(3), TrainConfig.from_dict(data), run_dir=run_dir).run()
    assert result.status == "finished", result.reason
    return run_dir
