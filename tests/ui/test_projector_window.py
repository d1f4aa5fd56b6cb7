"""The projector inside the main window: `studio gui --screenshot --panel projector --run DIR` shows it
filled, "Project this layer" on a canvas node projects that node, the live model is a source, and a
selection opens in the training panel's confusion matrix and misclassified gallery."""

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from studio.engine.project import Project
from studio.engine.projector.request import MethodChoice
from studio.engine.runs import RunReader
from studio.ui.app import save_screenshot
from studio.ui.projector.form import LIVE
from studio.ui.projector.integration import PROJECT_LAYER
from studio.ui.projector.panel import ProjectorPanel
from tests.ui.checkpoint_runs import short_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("projector-window"), classes=3, steps=8)


def in_front(window, panel) -> bool:
    """Whether ``panel`` is the window's current tab (or inside it: tabs may wrap panels)."""
    tab = window.tabs.currentWidget()
    return tab is panel or tab.isAncestorOf(panel)


@pytest.fixture
def projector(window) -> ProjectorPanel:
    panel = window.panels["projector"]
    assert isinstance(panel, ProjectorPanel)
    return panel


def test_screenshot_of_the_panel_filled_from_a_run(window, projector, run, tmp_path):
    window.open_run(run)
    path = save_screenshot(window, tmp_path / "projector.png", "projector")
    assert projector.result is not None
    assert len(projector.view.canvas.renderer.coords) == len(projector.embedding)
    assert in_front(window, projector)
    image = Image.open(path)
    assert image.size[0] > 1000
    canvas = projector.view.canvas
    top_left = canvas.mapTo(window, canvas.rect().topLeft())
    crop = np.asarray(image.convert("RGB"))[top_left.y():top_left.y() + canvas.height(),
                                            top_left.x():top_left.x() + canvas.width()]
    assert len(np.unique(crop.reshape(-1, 3), axis=0)) > 20  # thumbnails were drawn


def test_project_this_layer_from_the_canvas_context_menu(window, projector, run):
    window.document.replace(Project(RunReader(run).spec()))
    projector.open_run(run, project=False)
    assert PROJECT_LAYER in [a.text() for a in window.view().menu_actions if a is not None]
    window.scene().select(["conv1"])
    action = next(a for a in window.view().menu_actions if a is not None and a.text() == PROJECT_LAYER)
    action.trigger()
    assert in_front(window, projector)
    assert projector.wait_idle()
    assert projector.result.embedding.layer == "conv1"
    assert projector.embedding.dim == 8  # conv1's 8 channels, average-pooled


def test_live_model_on_the_run_validation_split(window, projector, run):
    window.document.replace(Project(RunReader(run).spec()))
    projector.open_run(run, project=False)
    assert projector.form.checkpoint.findData(LIVE) >= 0
    request = replace(projector.form.request(), checkpoint=None)
    assert projector.project(request)
    assert projector.wait_idle()
    emb = projector.result.embedding
    assert emb.info["checkpoint"] == "live model" and len(emb) > 0


def test_selection_opens_in_the_training_results(window, projector, run):
    window.open_run(run)
    assert projector.wait_idle()
    wrong = np.arange(len(projector.embedding))[:4]
    projector.select(wrong)
    projector.open_selection()
    training = window.panels["training"]
    assert in_front(window, training)
    shown = training.results.predictions
    assert shown is not None and len(shown) == 4
    assert list(shown.paths) == [projector.embedding.paths[i] for i in wrong]
    assert shown.confusion().sum() == 4


def test_closing_the_window_stops_a_running_projection(window, projector, run, qtbot):
    projector.open_run(run, project=False)
    endless = MethodChoice("tsne", 2, {"iterations": 10_000_000, "every": 5})  # far longer than the test
    assert projector.project(replace(projector.form.request(), method=endless))
    qtbot.waitUntil(lambda: projector._layouts_shown >= 1, timeout=300_000)
    window.close()
    assert not window.isVisible()
    assert projector.job.wait(300)  # the worker saw the stop flag and ended
    assert projector.wait_idle() and not projector.result.projection.complete  # stopped, not finished
