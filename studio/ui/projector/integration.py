"""How the projector plugs into the main window: the canvas's "Project this layer" menu entry, the live
model (the edited model, with any restored weights) as a source, opening a selection in the training
panel's confusion matrix and misclassified gallery, and the first run trained in the window as its
source."""

from __future__ import annotations

import copy

import numpy as np
from PySide6.QtGui import QAction

from studio.engine.compiler import compile_spec
from studio.engine.errors import StudioError
from studio.engine.spec.io import spec_from_dict, spec_to_dict
from studio.engine.training.predictions import Predictions
from studio.ui.projector.source import LiveModel

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
    training = window.panels.get("training")
    if hasattr(training, "sigRunEnded"):
        training.sigRunEnded.connect(lambda result: offer_run(panel, result))


def offer_run(panel, result) -> None:
    """A run trained in this window becomes the projector's source when it has none yet (the user
    then presses Project instead of looking for the run folder)."""
    run_dir = getattr(result, "run_dir", None)
    if run_dir and panel.form.run_dir is None:
        panel.open_run(run_dir, project=False)


def project_selected_layer(window, panel) -> None:
    """The canvas's selected node (of the model, not inside a block definition) into the projector."""
    scene = window.scene()
    nodes = scene.selected_ids()
    if scene.block is not None or len(nodes) != 1:
        window.message("Select one node of the model (not inside a block) to project its output")
        return
    window.show_panel("projector")
    panel.project_layer(nodes[0])


def live_snapshot(window) -> LiveModel:
    """A copy of the edited model for the projector's worker: the checkpoint panel's live model (with
    restored weights) when there is one, else the canvas spec freshly compiled."""
    spec = spec_from_dict(spec_to_dict(window.document.spec))
    live = getattr(window.panels.get("checkpoints"), "live", None)
    try:
        module = copy.deepcopy(live.module()) if live is not None else compile_spec(spec, device="cpu")
    except StudioError as exc:
        raise StudioError(f"the model on the canvas does not compile: {exc}") from None
    return LiveModel(spec, module)


def open_in_training(window, panel, indices: np.ndarray) -> bool:
    """Show the selected points in the training panel's results (confusion matrix of the selection and
    its misclassified images); False when that view or the predictions are not there."""
    training = window.panels.get("training")
    results = getattr(training, "results", None)
    embedding = panel.embedding
    if results is None or embedding is None or embedding.predictions is None or not embedding.paths:
        return False
    chosen = np.asarray(indices)[embedding.labels[indices] >= 0]
    if len(chosen) == 0:
        return False
    part = embedding.subset(chosen)
    step = int(embedding.info.get("step", 0) or 0)
    results.show_predictions(Predictions(str(embedding.info.get("checkpoint", "")), step,
                                         f"{len(chosen)} points selected in the projector", part.class_names,
                                         part.paths, part.labels, part.predictions, part.confidence))
    training.tabs.setCurrentWidget(results)
    window.show_panel("training")
    return True
