"""Shared set-up for the projector panel tests: a shown panel and projections of a real short run."""

from __future__ import annotations

from dataclasses import replace

from studio.ui.projector.form import ProjectionRequest
from studio.ui.projector.methods import MethodChoice
from studio.ui.projector.panel import ProjectorPanel

PCA = MethodChoice("pca", 2, {"components": [0, 1]})


def make_panel(qtbot) -> ProjectorPanel:
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    panel.resize(1400, 850)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def project(panel: ProjectorPanel, run, method: MethodChoice = PCA, **changes) -> ProjectionRequest:
    """Open ``run`` (if not yet), project with ``method`` (and request ``changes``), wait for the result."""
    if panel.form.run_dir != run:
        panel.open_run(run, project=False)
    request = replace(panel.form.request(), method=method, **changes)
    assert panel.project(request)
    assert panel.wait_idle(120)
    return request
