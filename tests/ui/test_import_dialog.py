"""File > Import model...: the dialog says it runs code, imports in a background job, shows what went
wrong in place, saves the weights where asked and opens the imported spec as an unsaved project that
trains from them, with the same weights restored into the live model (its layers marked restored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QDialog
from safetensors.torch import load_file

from studio.engine.checkpoints.plan import make_plan
from studio.engine.compiler import compile_spec
from studio.engine.importing import load_source
from studio.engine.spec.io import spec_to_dict
from studio.ui.import_dialog import WARNING, ImportModelDialog, import_model_dialog
from studio.ui.settings import AppSettings
from tests.engine.image_folders import make_image_folder
from tests.ui.training_helpers import train_through_button, wait_for

USER_MODULE = '''
import torch
from torch import nn

def seeded(net):
    """Weights from the module's own generator (other threads' draws do not change them): the
    tests build the module again to compare."""
    generator = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.copy_(0.3 * torch.randn(parameter.shape, generator=generator))
    return net

def make(num_classes=10):
    return seeded(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(),
                                nn.Linear(4 * 6 * 6, num_classes)))

def small(num_classes=3):
    return seeded(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                nn.Linear(4 * 6 * 6, num_classes)))

def broken():
    raise RuntimeError("the factory failed")
'''


@pytest.fixture
def net(tmp_path) -> Path:
    path = tmp_path / "net.py"
    path.write_text(USER_MODULE)
    return path


def _fill(dialog: ImportModelDialog, source: str, kwargs: str = "{}", shape=(3, 8, 8),
          weights: Path | None = None) -> None:
    dialog.source.setText(source)
    dialog.kwargs.setText(kwargs)
    for box, value in zip(dialog.shape, shape, strict=True):
        box.setValue(value)
    if weights is not None:
        dialog.weights.setText(str(weights))
        dialog.weights.textEdited.emit(str(weights))  # (as typing it does)


def _import(qtbot, window, monkeypatch, source: str, kwargs: str = "{}", shape=(3, 8, 8),
            weights: Path | None = None) -> ImportModelDialog:
    """File > Import Model... through the dialog's own fields and Import button."""
    def run_dialog(dialog):
        _fill(dialog, source, kwargs, shape, weights)
        dialog.import_button.click()
        qtbot.waitUntil(lambda: dialog.job is not None and not dialog.job.running, timeout=60000)
        return QDialog.DialogCode.Accepted if dialog.result_ is not None else QDialog.DialogCode.Rejected

    monkeypatch.setattr(ImportModelDialog, "exec", run_dialog)
    return import_model_dialog(window)


def _original(net: Path, factory: str, kwargs: dict, dialog: ImportModelDialog) -> dict[str, torch.Tensor]:
    """The original module's weights under the spec's names."""
    module, _ = load_source(f"{net}:{factory}", kwargs)
    state = module.state_dict()
    return {spec_name: state[name] for name, spec_name in dialog.result_.names.items()}


def _live_restored(qtbot, window, count: int) -> None:
    live = window.document.live_model
    wait_for(qtbot, lambda: len(live.restored) == count and not live.busy, 120, "the live model's restore")


def test_a_failure_is_shown_in_the_dialog(qtbot, net, tmp_path):
    dialog = ImportModelDialog()
    qtbot.addWidget(dialog)
    assert "runs Python code" in WARNING
    _fill(dialog, f"{net}:broken", weights=tmp_path / "w.safetensors")
    dialog.start_import()
    assert not dialog.import_button.isEnabled()  # busy: the work runs in a Job
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=30000)
    assert "the factory failed" in dialog.status.text() and dialog.result_ is None
    assert not (tmp_path / "w.safetensors").exists()


def test_the_weights_file_defaults_to_the_model_name_in_the_projects_folder(qtbot, tmp_path):
    (tmp_path / "resnet18.safetensors").write_bytes(b"taken")
    dialog = ImportModelDialog(folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.source.setText("torchvision:resnet18")
    assert dialog.weights.text() == str(tmp_path / "resnet18-2.safetensors")  # (never over a file)
    dialog.source.setText("path/to/my_net.py:make")
    assert dialog.weights.text() == str(tmp_path / "make.safetensors")
    dialog.weights.setText(str(tmp_path / "mine.safetensors"))
    dialog.weights.textEdited.emit("typed")
    dialog.source.setText("torchvision:resnet34")
    assert dialog.weights.text() == str(tmp_path / "mine.safetensors")  # the user's choice stays
    assert ImportModelDialog().folder == AppSettings().project_folder()


def test_the_import_opens_as_an_unsaved_project_with_its_weights(qtbot, window, net, monkeypatch):
    file_menu = window.menuBar().actions()[0].menu()
    assert "&Import Model..." in [action.text() for action in file_menu.actions()]
    dialog = _import(qtbot, window, monkeypatch, f"{net}:make", '{"num_classes": 3}')
    spec = window.document.spec
    assert [n.type for n in spec.nodes.values()] == ["input", "conv2d", "relu", "flatten", "fully_connected",
                                                     "output"]
    assert [n.args.get("out_features") for n in spec.nodes.values() if n.type == "fully_connected"] == [3]
    assert window.document.path is None and window.document.modified  # unsaved: closing asks

    # the weights file: the default (the model's name in the projects folder), safetensors, the module's
    weights = Path(AppSettings().project_folder()) / "make.safetensors"
    assert dialog.weights_path == weights and weights.is_file()
    assert str(weights) in dialog.status.text() and str(weights) in window.statusBar().currentMessage()
    saved = load_file(str(weights))
    original = _original(net, "make", {"num_classes": 3}, dialog)
    assert set(saved) == set(compile_spec(spec, device="meta").state_dict()) == set(original)
    assert all(torch.equal(saved[name], original[name]) for name in saved)

    # training starts from every tensor of that file
    assert window.document.project.training["init"] == [
        {"checkpoint": str(weights), "include": (), "exclude": (), "mapping": None, "freeze": False}]
    assert window.panels["training"].config().init[0].checkpoint == str(weights)  # what Train will use

    # the live model holds them, and the canvas marks the layers restored
    live = window.document.live_model
    _live_restored(qtbot, window, len(saved))
    assert all(source == f"{weights}: {name}" for name, source in live.restored.items())
    assert [step.checkpoint for step in live.steps] == [str(weights)]
    live_weights = live.weights()
    assert all(torch.equal(live_weights[name], original[name]) for name in original)
    scene = window.canvases[None].scene()
    conv, fc = (next(i for i, n in spec.nodes.items() if n.type == kind)
                for kind in ("conv2d", "fully_connected"))
    assert scene.nodes[conv].marks == ("restored",) and scene.nodes[fc].marks == ("restored",)


def test_torchvision_resnet18_folded_blocks_restore_into_the_live_model(qtbot, window, monkeypatch, tmp_path):
    weights = tmp_path / "models" / "resnet18.safetensors"  # (its folder is made)
    dialog = _import(qtbot, window, monkeypatch, "torchvision:resnet18", '{"num_classes": 4}', (3, 32, 32),
                     weights)
    saved = load_file(str(weights))
    assert dialog.weights_path == weights and len(saved) == len(dialog.result_.names) > 100
    shapes = {name: tuple(t.shape) for name, t in compile_spec(window.document.spec, device="meta")
              .state_dict().items()}
    assert make_plan(shapes, {n: tuple(t.shape) for n, t in saved.items()}).counts["restore"] == len(shapes)
    _live_restored(qtbot, window, len(shapes))
    scene = window.canvases[None].scene()
    with_weights = ["conv1", "bn1", "fc"] + [f"layer{i}_{j}" for i in range(1, 5) for j in range(2)]
    assert {node: scene.nodes[node].marks for node in with_weights} == \
        {node: ("restored",) for node in with_weights}  # the block uses too (all their layers)
    assert scene.nodes["relu"].marks == scene.nodes["avgpool"].marks == ()


def test_train_starts_from_the_imported_weights(qtbot, window, net, monkeypatch, tmp_path):
    weights = tmp_path / "small.safetensors"
    dialog = _import(qtbot, window, monkeypatch, f"{net}:small", '{"num_classes": 3}', (1, 12, 12), weights)
    spec = window.document.spec
    training = window.panels["training"]
    training.data_page.form.folder.setText(str(make_image_folder(tmp_path / "data", classes=3, per_class=8)))
    form = training.settings_form
    form.batch_size.setValue(8)
    form.log_every.setValue(1)
    form.epochs.setValue(1)
    form.lr.setValue(1e-6)  # a few steps this small leave the weights within 1e-4 of where they started
    wait_for(qtbot, lambda: window.document.data_facts is not None
             and window.document.data_facts.num_classes == 3, 60, "the data folder's classes")

    result = train_through_button(qtbot, training)
    assert result.status == "finished", result.reason
    recorded = json.loads((Path(result.run_dir) / "config.json").read_text())
    assert recorded["init"] == [{"checkpoint": str(weights), "include": [], "exclude": [], "mapping": None,
                                 "freeze": False}]
    trained = load_file(str(Path(result.last_checkpoint)))
    original = _original(net, "small", {"num_classes": 3}, dialog)
    torch.manual_seed(recorded["seed"])
    fresh = compile_spec(spec, device="cpu").state_dict()
    assert set(trained) == set(original) == set(fresh)
    for name in original:
        assert (trained[name] - original[name]).abs().max() < 1e-4, name  # started from the imported
        assert (fresh[name] - original[name]).abs().max() > 1e-3, name  # (not what a fresh model holds)


def test_weights_that_cannot_be_written_open_nothing(qtbot, window, net, monkeypatch, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    before = spec_to_dict(window.document.spec)
    dialog = _import(qtbot, window, monkeypatch, f"{net}:make", "{}", (3, 8, 8),
                     tmp_path / "a_file" / "make.safetensors")
    text = dialog.status.text()
    assert dialog.result_ is None and "cannot be saved" in text and str(tmp_path / "a_file") in text
    assert text.count(". ") == 0 and "\n" not in text  # one sentence
    assert spec_to_dict(window.document.spec) == before and "init" not in window.document.project.training
    assert window.document.live_model.steps == []


def test_a_full_disk_is_one_sentence_and_cancel_writes_nothing(qtbot, net, tmp_path, monkeypatch):
    import errno

    import studio.ui.import_dialog as import_dialog

    def full(result, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(import_dialog, "write_import_weights", full)
    dialog = ImportModelDialog(folder=tmp_path)
    qtbot.addWidget(dialog)
    _fill(dialog, f"{net}:make")
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=30000)
    assert dialog.status.text() == (f"The weights were not saved: the disk is full: cannot write "
                                    f"{tmp_path / 'make.safetensors'} (No space left on device).")
    assert dialog.result_ is None

    monkeypatch.undo()
    dialog = ImportModelDialog(folder=tmp_path)
    qtbot.addWidget(dialog)
    _fill(dialog, f"{net}:make")
    dialog.start_import()
    dialog.reject()  # Cancel while it imports
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=30000)
    assert dialog.result_ is None and not (tmp_path / "make.safetensors").exists()
