"""The live model is built off the GUI thread: opening a checkpoint, restoring it into the model,
editing the model on the canvas and projecting the live model compile every model in a job, never on
the GUI thread (where a compile froze the window for a quarter of a second or more each time). Only
the per-edit analysis runs there, on the meta device."""

import threading
from dataclasses import replace

import pytest

from studio.engine.checkpoints.store import CheckpointStore
from studio.engine.graph_module import GraphModule
from studio.engine.project import Project
from studio.engine.runs import RunReader
from studio.ui.editing import GraphEditor
from tests.ui.checkpoint_runs import short_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("live-thread"), classes=3, steps=4)


@pytest.fixture
def built_in(monkeypatch) -> list[str]:
    """The names of the threads every model with real weights is built in from now on (analysis and the
    code view build theirs on the meta device: shapes only, no weights to make or copy)."""
    threads: list[str] = []
    real_init = GraphModule.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        if any(param.device.type != "meta" for param in self.parameters()):
            threads.append(threading.current_thread().name)

    monkeypatch.setattr(GraphModule, "__init__", init)
    return threads


def test_edits_restores_and_a_live_projection_compile_off_the_gui_thread(window, qtbot, run, built_in):
    window.document.replace(Project(RunReader(run).spec()))
    checkpoints = window.panels["checkpoints"]
    live = window.document.live_model
    checkpoints.open_file(CheckpointStore(run / "checkpoints").latest().path)  # builds the live model
    assert checkpoints.wait_idle(300)
    qtbot.waitUntil(lambda: live.ready, timeout=120_000)
    dialog = checkpoints.open_restore_dialog()
    with qtbot.waitSignal(dialog.sigApplied, timeout=120_000):
        dialog.apply_button.click()
    assert live.restored  # restored weights, which every rebuild after an edit carries over
    dialog.close()

    editor = GraphEditor(window.document)
    for width in (4, 12, 8):  # each edit rebuilds the live model
        editor.set_arg("conv1", "out_channels", width)
        qtbot.waitUntil(lambda: not live.ready, timeout=5_000)
        qtbot.waitUntil(lambda: live.ready, timeout=120_000)
        assert tuple(live.shapes["conv1.weight"])[0] == width

    projector = window.panels["projector"]
    projector.open_run(run, project=False)
    assert projector.project(replace(projector.form.request(), checkpoint=None))  # the live model
    assert projector.wait_idle()
    assert projector.result.embedding.info["checkpoint"] == "live model"

    assert len(built_in) >= 4  # the first build, three rebuilds (and the projection's copy)
    assert threading.main_thread().name not in built_in, built_in
