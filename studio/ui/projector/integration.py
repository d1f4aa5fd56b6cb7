"""How the projector plugs into the main window: the canvas's "Project this layer" menu entry, the live
model (the edited model, with any restored weights) as a source, opening a selection in the training
panel's confusion matrix and misclassified gallery, and the first run trained in the window as its
source (followed when a save moves it into the project). Everything it takes from other panels comes
through the window's document (``live_model``, ``sigRunEnded``, ``show_predictions``)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAction

from studio.engine.projector.points import LiveSource, live_source
from studio.engine.training.predictions import Predictions
from studio.ui.workers import JobFailure

PROJECT_LAYER = "Project this layer"


def install(window, panel) -> None:
    """Connect ``panel`` (a ProjectorPanel) to ``window`` (the MainWindow)."""
    action = QAction(PROJECT_LAYER, window)
    action.setToolTip("Show this node's features in the projector (embedding of the validation images)")
    action.triggered.connect(lambda: project_selected_layer(window, panel))
    window.actions_.node_actions.append(action)  # canvases opened from now on
    for view in window.canvases.values():  # and those already open
        view.menu_actions.append(action)
    panel.project_layer_action = action
    panel.set_live_provider(lambda: live_snapshot(window))
    panel.selection_opener = lambda p, indices: open_in_training(window, p, indices)
    window.document.sigRunEnded.connect(lambda result: offer_run(panel, result))
    window.document.sigRunsMoved.connect(lambda moved, _sentence: follow_moved_run(panel, moved))


def offer_run(panel, result) -> None:
    """A run trained in this window becomes the projector's source when it has none yet (the user
    then presses Project instead of looking for the run folder)."""
    run_dir = None if isinstance(result, JobFailure) else result.run_dir
    if run_dir and panel.form.run_dir is None:
        panel.open_run(run_dir, project=False)


def follow_moved_run(panel, moved: dict) -> None:
    """The projector's run went into the project's folder (a save): it is offered from there."""
    run_dir = panel.form.run_dir
    new = moved.get(run_dir.resolve()) if run_dir is not None else None
    if new is not None:
        panel.form.set_run(new)


def project_selected_layer(window, panel) -> None:
    """The canvas's selected node (of the model, not inside a block definition) into the projector."""
    scene = window.scene()
    nodes = scene.selected_ids()
    if scene.block is not None or len(nodes) != 1:
        window.message("Select one node of the model (not inside a block) to project its output")
        return
    window.show_panel("projector")
    panel.project_layer(nodes[0])


def live_snapshot(window) -> LiveSource:
    """Where the projector's worker takes the edited model from: the checkpoint panel's live model (with
    restored weights) when there is one, else the canvas spec compiled there. Only the spec is copied
    here; compiling and copying weights happen in the worker."""
    live = window.document.live_model
    if live is not None:
        return live.snapshot_work()
    return live_source(None, window.document.spec.copy())


def open_in_training(window, panel, indices: np.ndarray) -> bool:
    """Show the selected points in the training panel's results (confusion matrix of the selection and
    its misclassified images); False when that view or the predictions are not there."""
    embedding = panel.embedding
    if embedding is None or embedding.predictions is None or not embedding.paths:
        return False
    chosen = np.asarray(indices)[embedding.labels[indices] >= 0]
    if len(chosen) == 0:
        return False
    part = embedding.subset(chosen)
    step = int(embedding.info.get("step", 0) or 0)
    predictions = Predictions(str(embedding.info.get("checkpoint", "")), step,
                              f"{len(chosen)} points selected in the projector", part.class_names,
                              part.paths, part.labels, part.predictions, part.confidence)
    if not window.document.show_predictions(predictions):
        return False
    window.show_panel("training")
    return True
