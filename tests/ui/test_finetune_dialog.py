"""File > Fine-tune a pretrained model...: a torchvision mobilenet_v3_small state_dict in a torch hub
cache written by the test, two real image classes, the dialog, and a run through the Train button
whose backbone stayed the pretrained one while the head trained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import load_file

from studio.engine.checkpoints.presets import load_preset
from studio.engine.compiler import compile_spec
from studio.engine.project import Project
from studio.engine.spec.io import spec_to_dict
from studio.engine.templates import create_template
from studio.ui.finetune_dialog import FineTuneDialog, finetune_dialog
from tests.engine.image_folders import make_image_folder
from tests.ui.training_helpers import train_through_button, wait_for

NAME = "mobilenet_v3_small"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A torch hub cache in tmp_path holding torchvision-like mobilenet_v3_small weights (seeded)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    folder = tmp_path / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    path = folder / f"{NAME}-1a2b3c4d.pth"
    torch.save(torchvision.models.mobilenet_v3_small(weights=None).state_dict(), path)
    return path


def _plan_shown(qtbot, dialog: FineTuneDialog) -> None:
    wait_for(qtbot, lambda: dialog.plan is not None or bool(dialog.error.text())
             and dialog.job is not None and not dialog.job.running, 120, "the plan")


def test_fine_tune_mobilenet_v3_small_from_the_hub_cache(window, hub, qtbot, tmp_path):
    data = make_image_folder(tmp_path / "data", classes=2, per_class=8, size=32, mode="RGB")
    training = window.panels["training"]
    training.data_page.form.folder.setText(str(data))
    form = training.settings_form
    form.batch_size.setValue(8)
    form.log_every.setValue(1)
    form.epochs.setValue(2)
    wait_for(qtbot, lambda: window.document.data_facts is not None
             and window.document.data_facts.num_classes == 2, 60, "the data folder's classes")

    dialog = finetune_dialog(window, ask=lambda _window: "replace")
    qtbot.addWidget(dialog)
    dialog.model.setCurrentIndex(dialog.model.findData(NAME))
    assert [dialog.cached.item(i).text() for i in range(dialog.cached.count())] == [hub.name]
    assert dialog.weights.text() == str(hub)
    assert dialog.classes.value() == 2  # from the data folder
    dialog.size.setValue(32)
    dialog.freeze.setChecked(True)
    _plan_shown(qtbot, dialog)
    assert dialog.plan is not None, dialog.error.text()
    assert "242</b> restored" in dialog.summary.text() and "the head: fc2" in dialog.summary.text()
    dialog.finetune_button.click()

    spec = window.document.spec
    assert spec.meta["template"] == NAME and spec.graph.nodes["fc2"].args["out_features"] == 2
    init = window.document.project.training["init"][0]
    preset = load_preset(f"torchvision_{NAME}")
    assert init["checkpoint"] == str(hub) and init["exclude"] == ("fc2",) and init["freeze"]
    assert init["mapping"] == preset.mapping.to_dict()
    assert window.current_panel() == "training"
    window.document.undo_stack.undo()  # one undo step puts the old model back
    assert "fc2" not in window.document.spec.graph.nodes
    window.document.undo_stack.redo()

    result = train_through_button(qtbot, training)
    assert result.status == "finished", result.reason
    recorded = json.loads((Path(result.run_dir) / "config.json").read_text())
    assert recorded["init"][0]["checkpoint"] == str(hub)
    assert recorded["init"][0]["exclude"] == ["fc2"] and recorded["init"][0]["freeze"] is True
    assert recorded["init"][0]["mapping"]["rewrites"] == [list(r) for r in preset.mapping.rewrites]

    trained = load_file(str(Path(result.last_checkpoint)))
    pretrained = torch.load(hub, weights_only=True)
    names = {preset.mapping.map(name): name for name in pretrained}
    torch.manual_seed(recorded["seed"])
    fresh = compile_spec(spec, device="cpu").state_dict()
    parameters = [name for name, _ in compile_spec(spec, device="meta").named_parameters()]
    backbone = [name for name in parameters if not name.startswith("fc2.")]
    assert len(backbone) > 100
    for name in backbone:
        assert torch.equal(trained[name], pretrained[names[name]]), name  # restored and frozen
    assert not torch.equal(trained["fc2.weight"], fresh["fc2.weight"])  # the head trained


def test_other_architectures_weights_are_a_message_in_place(window, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    resnet = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), resnet)
    before = spec_to_dict(window.document.spec)
    dialog = FineTuneDialog(window.document, window)
    qtbot.addWidget(dialog)
    dialog.model.setCurrentIndex(dialog.model.findData(NAME))
    assert "no cached weights for mobilenet_v3_small: choose a file" in dialog.cached_note.text().lower()
    assert dialog.classes.value() == 0 and dialog.classes.text() == "required"
    dialog.classes.setValue(3)
    dialog.weights.setText(str(resnet))
    _plan_shown(qtbot, dialog)
    assert dialog.plan is None and "another architecture" in dialog.error.text()
    assert "\n" not in dialog.error.text() and not dialog.finetune_button.isEnabled()
    dialog.fine_tune()  # nothing to do
    assert dialog.result_ is None and spec_to_dict(window.document.spec) == before


def _accept(qtbot, dialog: FineTuneDialog) -> None:
    _plan_shown(qtbot, dialog)
    assert dialog.plan is not None, dialog.error.text()
    dialog.finetune_button.click()


def test_unsaved_edits_can_go_to_a_new_project(window, hub, qtbot):
    window.document.replace(Project(create_template("resnet18")))
    window.document.spec.set_arg("fc", "out_features", 4)
    window.document.mark_modified()
    asked = []
    dialog = finetune_dialog(window, ask=lambda _window: asked.append(1) or "new")
    qtbot.addWidget(dialog)
    dialog.model.setCurrentIndex(dialog.model.findData(NAME))
    dialog.classes.setValue(5)
    _accept(qtbot, dialog)
    assert asked and window.document.spec.meta["template"] == NAME
    assert window.document.spec.graph.nodes["fc2"].args["out_features"] == 5
    document = window.document
    assert document.path is None and document.modified and document.undo_stack.count() == 0
    assert window.document.project.training["init"][0]["exclude"] == ("fc2",)


def test_the_model_on_the_canvas_gets_its_head_resized(window, hub, qtbot):
    window.document.replace(Project(create_template(NAME, num_classes=10, input_shape=(3, 32, 32))))
    dialog = finetune_dialog(window, ask=lambda _window: pytest.fail("nothing unsaved to ask about"))
    qtbot.addWidget(dialog)
    assert dialog.model.currentData() == NAME  # the canvas's template is offered first
    dialog.model.setCurrentIndex(0)  # the model on the canvas
    assert dialog.weights.text() == str(hub) and not dialog.size.isEnabled()
    dialog.classes.setValue(3)
    _accept(qtbot, dialog)
    assert window.document.spec.graph.nodes["fc2"].args["out_features"] == 3
    assert window.document.undo_stack.count() == 1  # one undo step
    window.document.undo_stack.undo()
    assert window.document.spec.graph.nodes["fc2"].args["out_features"] == 10
