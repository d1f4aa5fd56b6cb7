"""Projects own their runs, played through the real window: runs trained before the first save move
into runs/ beside the project (listed by relative path, their checkpoints loading from there), a
copied project folder opens with its runs, untitled projects never list each other's runs, a run
training during Save is left alone until it ends, and runs of discarded or crashed untitled projects
go to the trash or are offered again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from studio.engine.checkpoints import CheckpointStore
from studio.engine.demo import demo_data_dir
from studio.engine.project import Project, autosave_path
from studio.engine.runs import RunReader
from studio.engine.scratch import RUNS, ScratchFolder
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.training_helpers import headless_run, train_through_button, wait_for


@pytest.fixture
def scratch_base(isolated_settings):
    """Where this test's untitled projects keep their runs (the window reads it from its settings)."""
    from PySide6.QtCore import QSettings

    QSettings().setValue("scratch_dir", str(isolated_settings / "data" / "scratch"))
    return isolated_settings / "data" / "scratch"


def untitled_training(window, tmp_path: Path, classes: int = 3, epochs: float = 1):
    """An untitled project on a real image folder, with small settings; returns the training panel."""
    window.document.replace(Project(tiny_cnn(classes)))
    panel = window.panels["training"]
    root = tmp_path / f"data-{classes}"
    if not root.exists():
        make_image_folder(root, classes=classes, per_class=8)
    panel.data_page.form.folder.setText(str(root))
    panel.settings_form.batch_size.setValue(8)
    panel.settings_form.log_every.setValue(1)
    panel.settings_form.epochs.setValue(epochs)
    window.show_panel("training")
    return panel


def listed(panel) -> list[Path]:
    return list(panel.runs.watcher.runs)


def save_as(window, monkeypatch, path: Path) -> None:
    """File > Save As… answered with ``path``."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.actions_.save_as.trigger()


def test_runs_trained_before_the_first_save_move_beside_the_project(window, qtbot, tmp_path, scratch_base,
                                                                     monkeypatch):
    panel = untitled_training(window, tmp_path)
    result = train_through_button(qtbot, panel)
    assert result.status == "finished", result
    trained = Path(result.run_dir)
    scratch = window.document.scratch
    assert trained.parent == scratch.runs and scratch.root.parent == scratch_base
    assert window.document.project.runs == [str(trained)]
    wait_for(qtbot, lambda: panel.runs.watcher.get(trained).last_eval is not None, message="the run read")

    project_path = tmp_path / "work" / "net.studio"
    save_as(window, monkeypatch, project_path)
    moved = project_path.parent / "runs" / trained.name
    assert window.document.path == project_path and not window.document.modified
    assert json.loads(project_path.read_text())["runs"] == [f"runs/{trained.name}"]
    assert moved.is_dir() and not trained.exists() and not scratch.root.exists()
    assert "1 run moved into" in window.statusBar().currentMessage()
    assert listed(panel) == [moved.resolve()] and panel.runs_list.selected() == [moved.resolve()]
    assert panel.runs.watcher.get(moved).curves.buffers["train/loss"].count > 0  # its curves kept
    store = CheckpointStore(moved / "checkpoints")
    assert store.load_weights(store.best())  # checkpoints load from the new place
    checkpoints = window.panels["checkpoints"]
    assert moved.resolve() in checkpoints.browser.runs and trained.resolve() not in checkpoints.browser.runs
    assert window.panels["projector"].form.run_dir == moved.resolve()

    # the project folder copied elsewhere opens with its runs (`studio gui PROJECT` does the same)
    copy = tmp_path / "elsewhere" / "work"
    shutil.copytree(project_path.parent, copy)
    assert window.open_path(copy / "net.studio")
    assert listed(panel) == [(copy / "runs" / trained.name).resolve()]
    window.show_panel("checkpoints")
    assert (copy / "runs" / trained.name).resolve() in checkpoints.browser.runs


def test_untitled_projects_never_list_each_others_runs(window, qtbot, tmp_path, scratch_base):
    from studio.ui.main_window import MainWindow

    panel = untitled_training(window, tmp_path, classes=3)
    three = Path(train_through_button(qtbot, panel).run_dir)
    other = MainWindow(restore_layout=False)  # a second window: the demo, 10 classes
    other.ask_save = lambda: "discard"
    qtbot.addWidget(other)
    other.open_demo()
    demo_panel = other.panels["training"]
    assert demo_panel.data_page.form.folder.text() == str(demo_data_dir())
    assert listed(demo_panel) == [] and listed(panel) == [three.resolve()]
    other.new_project()  # File > New in it: its own list again
    assert listed(demo_panel) == []
    other.close()

    asked = []  # File > New here: the question names the runs thrown away; Cancel keeps everything
    window.ask_save = lambda: asked.append(window.untitled_runs()) or "cancel"
    window.actions_.new.trigger()
    assert asked == [[three]] and listed(panel) == [three.resolve()] and three.is_dir()
    window.ask_save = lambda: "discard"
    window.actions_.new.trigger()
    assert listed(panel) == [] and not three.exists()  # in the trash
    assert "moved to the trash" in window.statusBar().currentMessage()
    assert list(scratch_base.iterdir()) == []


def test_a_run_training_during_save_moves_when_it_ends(window, qtbot, tmp_path, scratch_base, monkeypatch):
    panel = untitled_training(window, tmp_path)
    done = Path(train_through_button(qtbot, panel).run_dir)
    panel.settings_form.by_steps.setChecked(True)
    panel.settings_form.steps.setValue(100_000)
    run = panel.train()
    wait_for(qtbot, lambda: run.state == "running" and run.trainer.step > 2, message="training")
    live = run.run_dir

    project_path = tmp_path / "work" / "net.studio"
    save_as(window, monkeypatch, project_path)
    home = project_path.parent / "runs"
    saved = json.loads(project_path.read_text())["runs"]
    assert sorted(saved) == sorted([f"runs/{done.name}", str(live.resolve())])
    assert (home / done.name).is_dir() and live.is_dir()
    assert f"{live.name} is training: it moves into {home} when it ends" in panel.messages.text()
    steps = run.trainer.step
    wait_for(qtbot, lambda: run.trainer.step > steps + 2, message="training to go on after the save")
    assert run.active

    with qtbot.waitSignal(panel.sigRunEnded, timeout=120_000) as ended:
        panel.stop()
    result = ended.args[0]
    assert result.status == "finished" and result.reason == "stopped", result
    assert Path(result.run_dir) == home / live.name and not live.exists()
    assert sorted(json.loads(project_path.read_text())["runs"]) == sorted([f"runs/{done.name}",
                                                                             f"runs/{live.name}"])
    assert sorted(window.document.project.runs) == sorted([f"runs/{done.name}", f"runs/{live.name}"])
    store = CheckpointStore(home / live.name / "checkpoints")
    assert store.latest().step == result.step and store.load_weights(store.latest())
    assert RunReader(home / live.name).status().state == "finished"
    assert set(listed(panel)) == {(home / done.name).resolve(), (home / live.name).resolve()}
    assert not window.document.modified
    assert not any(scratch_base.iterdir())


def test_runs_of_a_crashed_untitled_session_are_offered_and_saved_with_it(window, tmp_path, scratch_base,
                                                                         isolated_settings):
    run = headless_run(tmp_path, "trained")
    crashed = ScratchFolder.create(scratch_base)  # what a crashed session left: its scratch and autosave
    shutil.move(run, crashed.runs / run.name)
    project = Project(tiny_cnn(3), runs=[str(crashed.runs / run.name)])
    from studio.engine.project import write_autosave

    path = write_autosave(project, None, isolated_settings / "recovery", crashed.root)
    document = json.loads(path.read_text())
    document["pid"] = 999_999_999
    path.unlink()
    autosave_path(isolated_settings / "recovery", 999_999_999).write_text(json.dumps(document))
    crashed._lock.release()  # (the process that held it is gone)
    orphan = ScratchFolder.create(scratch_base)  # and one left without an autosave
    shutil.copytree(crashed.runs / run.name, orphan.runs / "left-alone")
    orphan._lock.release()

    offers = []
    window.ask_restore = lambda item: offers.append(item.label) or ("restore" if not offers[1:] else "later")
    assert window.offer_recovery()
    assert "untitled project" in offers[0] and "1 trained run" in offers[0]
    assert window.document.scratch.root == crashed.root and window.document.modified
    panel = window.panels["training"]
    assert listed(panel) == [(crashed.runs / run.name).resolve()]
    window._save_to(tmp_path / "p" / "recovered.studio")
    assert (tmp_path / "p" / RUNS / run.name).is_dir() and not crashed.root.exists()

    offers.clear()  # the orphan is offered alone; discarding it moves its run to the trash
    window.ask_restore = lambda item: offers.append(item.label) or "discard"
    assert not window.offer_recovery()
    assert offers == [f"1 run trained in an untitled project (last written "
                      f"{offers[0].split('last written ')[1]}"] and not orphan.root.exists()
