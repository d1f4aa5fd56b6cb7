"""A new user's first hour, played through the real main window: the demo project, a layer added from
the palette and wired in, two epochs trained with the Train button while the plots fill, the
checkpoint browser, a partial restore into a model with a new head, fine-tuning, the penultimate layer
projected with sprites and a point clicked, ONNX and TorchScript exports verified, the project saved
and reopened. The data is a small subset of the demo set, copied into tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFileDialog

from studio.engine.checkpoints import CheckpointStore
from studio.engine.demo import DEMO_CLASSES, demo_data_dir, demo_val_dir
from studio.engine.runs import RunReader
from studio.engine.spec.model import Edge
from studio.ui.checkpoints import export_dialog as export_module
from studio.ui.training.runs_list import status_text
from tests.ui.helpers import drag, drop_on_view
from tests.ui.projector_helpers import click
from tests.ui.training_helpers import train_through_button, wait_for

HAVE_ONNX = not export_module.missing_packages("onnx")


def demo_subset(root: Path, source: Path, per_class: int, classes=DEMO_CLASSES) -> Path:
    """The first ``per_class`` images of each demo class, copied into ``root``."""
    for name in classes:
        (root / name).mkdir(parents=True)
        for image in sorted((source / name).glob("*.png"))[:per_class]:
            shutil.copy(image, root / name / image.name)
    return root


def set_folders(panel, train: Path, val: Path, epochs: float) -> None:
    """What a user does on the Data and Settings pages."""
    form = panel.data_page.form
    form.folder.setText(str(train))
    form.folder_radio.setChecked(True)
    form.val_folder.setText(str(val))
    panel.settings_form.epochs.setValue(epochs)
    panel.settings_form.batch_size.setValue(8)
    panel.settings_form.log_every.setValue(1)


def wire_in_batch_norm(window, qtbot) -> None:
    """Drop batch norm from the palette beside the chain, cut conv1 -> pool1, connect through it."""
    scene, view, spec = window.scene(), window.view(), window.document.spec
    view.fit()
    conv1 = scene.nodes["conv1"].sceneBoundingRect()
    drop_on_view(view, window.palette_widget.mime_data("layer", "batch_norm"),
                 QPointF(conv1.right() + 200, conv1.bottom() + 40))
    assert "bn1" in spec.nodes and not any("bn1" in (e.src, e.dst) for e in spec.edges)
    scene.clearSelection()
    scene.edge_items[Edge("conv1", "pool1")].setSelected(True)
    window.actions_.delete.trigger()
    view.fit()
    qtbot.wait(10)
    drag(qtbot, view, scene.nodes["conv1"].out_port.scenePos(), scene.nodes["bn1"].in_ports["x"].scenePos())
    drag(qtbot, view, scene.nodes["bn1"].out_port.scenePos(), scene.nodes["pool1"].in_ports["x"].scenePos())
    assert Edge("conv1", "bn1") in spec.edges and Edge("bn1", "pool1") in spec.edges
    analysis = window.document.revalidate()
    assert analysis.ok and analysis.nodes["bn1"].output_shape == (32, 28, 28)


def export(dialog, qtbot, format: str, path: Path):
    dialog.set_format(format)
    dialog.destination.setText(str(path))
    with qtbot.waitSignal(dialog.sigExported, timeout=120_000):
        qtbot.mouseClick(dialog.export_button, left())
    return dialog.result


def left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_a_new_users_first_hour(window, qtbot, tmp_path, monkeypatch):
    train = demo_subset(tmp_path / "fashion", demo_data_dir(), per_class=12)
    val = demo_subset(tmp_path / "fashion-val", demo_val_dir(), per_class=4)
    few = DEMO_CLASSES[:5]  # the later, new task: five of the classes
    new_train = demo_subset(tmp_path / "five", demo_data_dir(), per_class=12, classes=few)
    new_val = demo_subset(tmp_path / "five-val", demo_val_dir(), per_class=4, classes=few)

    # the demo project, saved where its runs should go (File > Save As…)
    window.open_demo()
    assert {"conv1", "pool1", "fc1", "fc2"} <= set(window.scene().nodes)
    project_path = tmp_path / "first-hour.studio"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(project_path), ""))
    window.actions_.save_as.trigger()
    assert window.document.path == project_path

    # a layer from the palette, connected into the chain
    wire_in_batch_norm(window, qtbot)

    # two epochs with the Train button; the plots fill as it trains
    window.show_panel("training")
    training = window.panels["training"]
    set_folders(training, train, val, epochs=2)
    drawn, statuses = [], set()  # loss points on screen and run states listed as events arrive
    with qtbot.waitSignal(training.sigRunEnded, timeout=300_000) as ended:
        qtbot.mouseClick(training.train_button, left())
        run = training.run
        run.sigEvents.connect(lambda _: drawn.append(points(training, run.run_dir.name, "train/loss")))
        run.sigEvents.connect(lambda _: statuses.add(status_text(training.runs.watcher.get(run.run_dir))))
    result = ended.args[0]
    assert result.status == "finished" and result.reason == "completed", result
    first_run = Path(result.run_dir)
    assert first_run.parent == tmp_path / "runs"
    steps = RunReader(first_run).status().step
    assert steps == 2 * 15
    wait_for(qtbot, lambda: points(training, first_run.name, "train/loss") == steps,
             message="the loss curve to hold every step")
    assert any(0 < n < steps for n in drawn), f"the loss curve filled while training: {drawn}"
    assert "missing" not in statuses  # a run still decoding has no folder yet: it is preparing
    wait_for(qtbot, lambda: points(training, first_run.name, "val/accuracy") == 2,  # one per epoch
             message="the validation accuracy curve to hold both epochs")
    assert window.panels["projector"].form.run_dir == first_run  # offered there, ready to project

    # the checkpoint browser shows the run; its best checkpoint opens
    window.show_panel("checkpoints")
    checkpoints = window.panels["checkpoints"]
    wait_for(qtbot, lambda: checkpoints.browser.select_best_or_last(), message="the run in the browser")
    assert checkpoints.wait_idle(300)
    best = CheckpointStore(first_run / "checkpoints").best()
    assert checkpoints.viewer.path == best.path
    assert "bn1.running_mean" in {entry.name for entry in checkpoints.viewer.inspector.entries}

    # a new task with five classes: a new head, everything else restored, then fine-tuned
    window.scene().select(["fc2"])
    window.document.revalidate()
    window.inspector.rows["out_features"].editor.box.setValue(len(few))
    assert window.document.revalidate().nodes["fc2"].output_shape == (len(few),)
    window.show_panel("checkpoints")
    checkpoints.open_restore_dialog()  # opens once the edited model is built in the background
    qtbot.waitUntil(lambda: checkpoints.dialog is not None and checkpoints.dialog.isVisible(), timeout=60_000)
    dialog = checkpoints.dialog
    dialog.rules.exclude.setText("fc2")
    counts = dialog.update_plan().counts
    assert counts["excluded"] == 2 and counts["restore"] > 0 and counts["mismatch"] == counts["missing"] == 0
    with qtbot.waitSignal(checkpoints.sigFineTune, timeout=60_000):
        qtbot.mouseClick(dialog.finetune_button, left())
    assert window.current_panel() == "training"
    assert window.scene().nodes["conv1"].marks == ("restored",)
    set_folders(training, new_train, new_val, epochs=1)
    wait_for(qtbot, training.train_button.isEnabled, timeout=60, message="Train for five classes")
    tuned = train_through_button(qtbot, training, timeout_ms=300_000)
    assert tuned.status == "finished", tuned
    tuned_run = Path(tuned.run_dir)
    config = RunReader(tuned_run).config()
    assert config["init"][0]["exclude"] == ["fc2"] and config["init"][0]["checkpoint"] == str(best.path)
    assert RunReader(tuned_run).data_report()["class_names"] == list(few)

    # the penultimate layer projected with sprites; a click lists its neighbours
    window.show_panel("projector")
    projector = window.panels["projector"]
    projector.open_run(tuned_run, project=False)  # what "Open run…" does
    assert projector.form.layer.currentText() == "fc1"  # the penultimate layer, through dropout
    methods = projector.form.methods.method
    methods.setCurrentIndex(methods.findData("pca"))
    qtbot.mouseClick(projector.form.project_button, left())
    assert projector.wait_idle()
    embedding = projector.embedding
    assert embedding.layer == "fc1" and len(embedding) == len(few) * 4
    assert projector.result.atlas.count == len(embedding)  # a thumbnail per point
    canvas = projector.view.canvas
    canvas.repaint()
    point = int(canvas.drawn().order[-1])
    click(canvas, canvas.screen_position(point).toPoint())
    assert projector.selection.tolist() == [point]
    assert projector.side.neighbours.list.count() > 0

    # ONNX and TorchScript exports of the fine-tuned model, each verified against it
    window.show_panel("checkpoints")
    checkpoints.open_run(tuned_run)
    assert checkpoints.wait_idle(300)
    formats = ["torchscript"] + (["onnx"] if HAVE_ONNX else [])
    for format in formats:
        dialog = checkpoints.open_export_dialog()
        target = tmp_path / f"model.{'onnx' if format == 'onnx' else 'pt'}"
        exported = export(dialog, qtbot, format, target)
        assert exported.path == target and target.exists() and exported.max_abs_diff < 1e-4
        assert "Verified with" in dialog.status.text()
        dialog.close()
    scripted = torch.jit.load(str(tmp_path / "model.pt"))
    assert scripted(torch.zeros(2, 1, 28, 28)).shape == (2, len(few))

    # save, reopen: the edited model, the fine-tuning set-up and both runs come back
    window.actions_.save.trigger()
    assert not window.document.modified
    saved = json.loads(project_path.read_text())
    window.new_project()
    assert window.document.spec.nodes == {}
    assert window.open_path(project_path)
    spec = window.document.spec
    assert Edge("bn1", "pool1") in spec.edges and spec.nodes["fc2"].args["out_features"] == len(few)
    assert window.document.project.training == saved["training"]
    runs = {(project_path.parent / run).resolve() for run in window.document.project.runs}
    assert {first_run.resolve(), tuned_run.resolve()} <= runs
    assert window.document.project.training["init"][0]["exclude"] == ["fc2"]
    assert np.isfinite(RunReader(tuned_run).status().metrics["val/loss"])


def points(panel, run_name: str, series: str) -> int:
    """How many points of ``series`` the training panel draws for run ``run_name``."""
    item = panel.curves.item(run_name, series)
    return 0 if item is None or item.xData is None else len(item.xData)
