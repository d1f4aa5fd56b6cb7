"""Panels meet through the document: the window asks each panel only what :class:`Panel` says, the
window's runs are one watcher that the training runs list and the checkpoint browser both show (a run
written by another process appears in both), and no panel module reaches into another panel."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from studio.engine.project import Project
from studio.ui.panels import PANELS, Panel, Placeholder, panel_of
from tests.engine.faults import REPO
from tests.engine.image_folders import tiny_cnn
from tests.ui.checkpoint_runs import short_run
from tests.ui.training_helpers import wait_for

PANEL_PACKAGES = ("training", "checkpoints", "projector")
WRITER = """
import sys
from pathlib import Path
from studio.engine.training import Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.checkpoint_runs import train_config
data = make_image_folder(Path(sys.argv[1]), classes=2, per_class=12, seed=1)
result = Trainer(tiny_cnn(2), train_config(data, 8), run_dir=Path(sys.argv[2])).run()
assert result.status == "finished", result.reason
"""


def test_every_panel_is_a_panel_and_the_window_opens_a_run_in_each(window, tmp_path, monkeypatch):
    for entry in PANELS:
        assert isinstance(window.panels[entry.name], Panel)
        assert window.panels[entry.name].shows_runs
    assert panel_of(window.panels["canvas"]).confirm_close() and not panel_of(None).shows_runs
    quiet = Placeholder("arrives later")
    assert not quiet.shows_runs and quiet.confirm_close() and quiet.wait_idle(0.1)
    projected = []
    monkeypatch.setattr(window.panels["projector"], "project", lambda *a, **k: projected.append(1))
    run = short_run(tmp_path / "trained").resolve()
    window.open_run(run)
    assert run in window.panels["training"].runs.watcher.runs
    assert window.panels["training"].runs_list.selected() == [run]
    assert run in window.panels["checkpoints"].browser.runs
    assert window.panels["checkpoints"].browser.selected_paths()  # its best checkpoint opened
    assert window.panels["projector"].form.run_dir == run and projected == [1]
    assert all(window.panel(entry.name).wait_idle(300) for entry in PANELS)


def test_a_run_written_by_another_process_shows_in_both_lists_from_one_watcher(window, qtbot, tmp_path):
    window.document.replace(Project(tiny_cnn(2)))
    window.document.save(tmp_path / "work" / "net.studio")
    training, checkpoints = window.panels["training"], window.panels["checkpoints"]
    runs = window.document.runs
    assert training.runs.watcher is runs and checkpoints.browser.model is runs
    run = (tmp_path / "work" / "runs" / "from-the-terminal").resolve()
    subprocess.run([sys.executable, "-c", WRITER, str(tmp_path / "data"), str(run)], cwd=REPO, check=True,
                   timeout=300)
    wait_for(qtbot, lambda: run in checkpoints.browser.runs, message="the browser to list the run")
    wait_for(qtbot, lambda: checkpoints.browser.runs[run].childCount() == 2,
             message="the browser to list its checkpoints")
    assert training.runs_list._items.get(run) is not None
    wait_for(qtbot, lambda: runs.get(run).status is not None and runs.get(run).status.state == "finished",
             message="the runs list to read its status")
    assert training.runs_list._items[run].text(1) == "finished"
    assert runs.get(run).curves.buffers["train/loss"].count > 0  # read once, shown by both


def test_opening_another_project_changes_the_runs_of_both_lists(window, tmp_path):
    first = short_run(tmp_path / "first").resolve()
    window.open_run(first, "checkpoints")
    training, checkpoints = window.panels["training"], window.panels["checkpoints"]
    assert first in training.runs.watcher.runs and first in checkpoints.browser.runs
    window.document.replace(Project(tiny_cnn(2)))
    assert first not in training.runs.watcher.runs and first not in checkpoints.browser.runs


def test_no_panel_module_reaches_into_another_panel():
    probe = re.compile(r"\b(hasattr|getattr)\([^)]*(panel|training|checkpoints|projector)")
    reach = re.compile(r"\.panels(\.get\(|\[)")
    root = Path(__file__).resolve().parents[2] / "studio" / "ui"
    for package in PANEL_PACKAGES:
        for path in (root / package).rglob("*.py"):
            text = path.read_text()
            assert not probe.search(text), f"{path} probes a panel"
            assert not reach.search(text), f"{path} reaches into the window's panels"
    for name in ("main_window.py", "app.py"):
        assert "hasattr(" not in (root / name).read_text()
