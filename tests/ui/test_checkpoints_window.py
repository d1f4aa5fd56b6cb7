"""The checkpoint panel inside the main window: --run screenshots, restored/frozen marks on the
canvas, and "Fine-tune from here" starting a real training run from the restored weights."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtGui import QImage
from safetensors.torch import load_file

from studio.cli import main
from studio.engine.project import Project
from studio.engine.training import TrainConfig, Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.checkpoint_runs import short_run, train_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("window"), classes=2)


def test_screenshot_of_the_panel_filled_from_a_run(run, tmp_path):
    out = tmp_path / "checkpoints.png"
    assert main(["gui", "--screenshot", str(out), "--panel", "checkpoints", "--run", str(run)]) == 0
    image = QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 600


def test_fine_tune_from_here_trains_from_the_restored_weights(window, run, qtbot, tmp_path):
    window.document.replace(Project(tiny_cnn(3)))  # a new task: 3 classes, not 2
    panel = window.panels["checkpoints"]
    panel.open_run(run)
    assert panel.wait_idle()
    window.show_panel("checkpoints")
    dialog = panel.open_restore_dialog()
    dialog.rules.exclude.setText("fc")
    dialog.freeze.setChecked(True)
    with qtbot.waitSignal(panel.sigFineTune, timeout=10000):
        dialog.finetune_button.click()

    scene = window.canvases[None].scene()
    assert scene.nodes["conv1"].marks == ("restored", "frozen") and scene.nodes["fc"].marks == ()
    init = window.document.project.training["init"]
    assert init == [{"checkpoint": str(dialog.source), "include": (), "exclude": ("fc",),
                     "mapping": dialog.rule_set().mapping.to_dict(), "freeze": True}]
    assert window.document.modified
    assert window.current_panel() == "training"
    assert window.panels["training"].config().init[0].exclude == ("fc",)  # what Train will use

    # the training engine takes the project's configuration as it is: the new run starts restored
    data = make_image_folder(tmp_path / "new", classes=3, per_class=8, seed=3)
    config = TrainConfig.from_dict({**train_config(data, steps=6).to_dict(),
                                    "init": window.document.project.training["init"]})
    trainer = Trainer(window.document.spec, config, run_dir=tmp_path / "finetune")
    assert trainer.prepare()
    fresh_head = trainer.session.model.state_dict()["fc.weight"].clone()
    result = trainer.run()
    assert result.status == "finished", result.reason
    checkpoint = load_file(str(dialog.source))
    trained = trainer.session.model.state_dict()
    assert torch.equal(trained["conv1.weight"], checkpoint["conv1.weight"])  # restored and frozen
    assert torch.equal(trained["conv1.bias"], checkpoint["conv1.bias"])
    assert trained["fc.weight"].shape == (3, 288) and not torch.equal(trained["fc.weight"], fresh_head)


def test_marks_follow_edits_and_clear_on_another_project(window, run, qtbot):
    window.document.replace(Project(tiny_cnn(3)))  # a new task: 3 classes, not 2
    panel = window.panels["checkpoints"]
    panel.open_run(run)
    assert panel.wait_idle()
    dialog = panel.open_restore_dialog()
    dialog.rules.exclude.setText("fc")
    with qtbot.waitSignal(dialog.sigApplied, timeout=10000):
        dialog.apply_button.click()
    scene = window.canvases[None].scene()
    assert scene.nodes["conv1"].marks == ("restored",)
    restored = panel.live.module().state_dict()["conv1.weight"].clone()
    window.document.spec.set_arg("fc", "out_features", 5)  # an edit: the model is rebuilt, weights kept
    qtbot.waitUntil(lambda: panel.live.module().state_dict()["fc.weight"].shape[0] == 5)
    assert torch.equal(panel.live.module().state_dict()["conv1.weight"], restored)
    assert scene.nodes["conv1"].marks == ("restored",)
    window.document.replace(Project(tiny_cnn(2)))  # another project: its weights start fresh
    assert scene.nodes["conv1"].marks == () and panel.live.steps == []
