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
    assert panel.wait_idle(300)
    window.show_panel("checkpoints")
    dialog = panel.open_restore_dialog()
    dialog.rules.exclude.setText("fc")
    dialog.freeze.setChecked(True)
    with qtbot.waitSignal(panel.sigFineTune, timeout=120_000):
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
    assert panel.wait_idle(300)
    dialog = panel.open_restore_dialog()
    dialog.rules.exclude.setText("fc")
    with qtbot.waitSignal(dialog.sigApplied, timeout=120_000):
        dialog.apply_button.click()
    scene = window.canvases[None].scene()
    assert scene.nodes["conv1"].marks == ("restored",)
    restored = panel.live.module().state_dict()["conv1.weight"].clone()
    window.document.spec.set_arg("fc", "out_features", 5)  # an edit: the model is rebuilt, weights kept
    qtbot.waitUntil(lambda: panel.live.module().state_dict()["fc.weight"].shape[0] == 5, timeout=120_000)
    assert torch.equal(panel.live.module().state_dict()["conv1.weight"], restored)
    assert scene.nodes["conv1"].marks == ("restored",)
    window.document.replace(Project(tiny_cnn(2)))  # another project: its weights start fresh
    assert scene.nodes["conv1"].marks == () and panel.live.steps == []


def two_use_spec():
    """A model using block ``pair`` twice (``first``, ``second``), then a linear head."""
    from studio.engine.spec.builder import SpecBuilder

    b = SpecBuilder("blocks")
    x = b.input("image", [1, 8, 8])
    pair = b.new_block("pair")
    y = pair.input("x")
    y = pair.layer("conv", "conv2d", y, out_channels=4, kernel_size=3, padding="same")
    pair.output("out", pair.layer("norm", "batch_norm", y))
    x = b.block("second", "pair", b.block("first", "pair", x))
    b.output("logits", b.layer("fc", "fully_connected", b.layer("flat", "flatten", x), out_features=2))
    return b.build()


def test_marks_reach_inside_block_tabs_per_use(window, qtbot, tmp_path):
    from safetensors.torch import save_file

    from studio.engine.compiler import compile_spec

    window.document.replace(Project(two_use_spec()))
    weights = {k: v.detach().clone() + 1 for k, v in compile_spec(two_use_spec()).state_dict().items()}
    save_file(weights, str(tmp_path / "pair.safetensors"))
    panel = window.panels["checkpoints"]
    panel.open_file(tmp_path / "pair.safetensors")
    assert panel.wait_idle(300)
    dialog = panel.open_restore_dialog()
    dialog.rules.include.setText("first.conv")  # one layer of one use of the block
    dialog.freeze.setChecked(True)
    with qtbot.waitSignal(dialog.sigApplied, timeout=120_000):
        dialog.apply_button.click()

    model = window.canvases[None].scene()
    assert model.nodes["first"].marks == ("restored",)  # its norm still trains: not frozen as a whole
    assert model.nodes["second"].marks == () and model.nodes["fc"].marks == ()
    window.open_block("pair")  # the block's tab: its conv restored and frozen in 1 of its 2 uses
    block = window.canvases["pair"].scene()
    assert block.nodes["conv"].marks == ("restored 1/2", "frozen 1/2") and block.nodes["norm"].marks == ()

    dialog.rules.include.setText("*.conv.*")  # now both uses' conv
    with qtbot.waitSignal(dialog.sigApplied, timeout=120_000):
        dialog.apply_button.click()
    assert block.nodes["conv"].marks == ("restored", "frozen")
    assert model.nodes["second"].marks == ("restored",)  # its norm still trains
