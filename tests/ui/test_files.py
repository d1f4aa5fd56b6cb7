"""Projects on disk: save and reopen, title and modified mark, closing with unsaved changes, recent
files in (isolated) QSettings, autosave and crash recovery."""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import QSettings

from studio.engine.project import Project, autosave_path, load_project, write_autosave
from studio.engine.spec.io import dumps
from studio.engine.templates import create_template


def test_save_and_reopen_a_project(demo, tmp_path, qtbot):
    doc = demo.document
    demo.scene().editor.set_arg("fc1", "out_features", 64)
    demo.scene().editor.move({"fc1": (doc.spec.nodes["fc1"].pos, (300.0, 500.0))})
    doc.project.training["epochs"] = 3
    assert demo.isWindowModified() and demo.windowTitle().startswith("Untitled")
    path = tmp_path / "net.studio"
    assert demo._save_to(path)
    assert not demo.isWindowModified() and demo.windowTitle().startswith("net.studio")
    saved = dumps(doc.spec)
    assert load_project(path).training == {"epochs": 3}
    demo.new_project()
    assert doc.spec.nodes == {} and doc.path is None
    assert demo.open_path(path)
    assert dumps(doc.spec) == saved and doc.project.training == {"epochs": 3}
    assert set(demo.scene().nodes) == set(doc.spec.nodes) and doc.undo_stack.count() == 0
    assert demo.scene().nodes["fc1"].pos().x() == 300.0
    assert QSettings().value("recent_files")[0] == str(path.resolve())


def test_opening_a_spec_file_and_a_broken_file(window, tmp_path):
    spec_path = tmp_path / "mlp.json"
    spec_path.write_text(dumps(create_template("mlp")))
    assert window.open_path(spec_path)
    assert "fc1" in window.scene().nodes and window.document.path is None and window.isWindowModified()
    bad = tmp_path / "bad.studio"
    bad.write_text("{ not json")
    errors = []
    window.show_error = lambda title, text: errors.append(text)
    window.ask_save = lambda: "discard"
    assert not window.open_path(bad)
    assert "not valid JSON" in errors[0] and "fc1" in window.document.spec.nodes


def test_closing_with_unsaved_changes_asks(demo):
    demo.scene().editor.set_arg("fc1", "out_features", 64)
    asked = []
    demo.ask_save = lambda: asked.append(1) or "cancel"
    assert not demo.close()
    assert asked and demo.isVisible()
    demo.ask_save = lambda: "discard"
    assert demo.close()


def test_undo_back_to_the_saved_state_clears_the_modified_mark(demo, tmp_path):
    demo._save_to(tmp_path / "a.studio")
    demo.scene().editor.set_arg("fc1", "out_features", 64)
    assert demo.isWindowModified()
    demo.document.undo_stack.undo()
    assert not demo.isWindowModified()


def test_autosave_is_offered_after_a_crash(demo, isolated_settings, qtbot):
    recovery = isolated_settings / "recovery"
    demo.scene().editor.set_arg("fc1", "out_features", 77)
    assert demo.autosave_now() == autosave_path(recovery)
    assert demo.autosave_now() is None  # nothing new since
    # a session that crashed: an autosave whose process is gone
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    document = json.loads(autosave_path(recovery).read_text())
    document["pid"] = dead
    autosave_path(recovery, dead).write_text(json.dumps(document))
    demo.document.undo_stack.undo()
    asked = []
    demo.ask_restore = lambda item: asked.append(item.label) or "restore"
    assert demo.offer_recovery()
    assert asked and "untitled" in asked[0]
    assert demo.document.spec.nodes["fc1"].args["out_features"] == 77 and demo.isWindowModified()
    assert not autosave_path(recovery, dead).exists()
    demo.ask_restore = lambda item: "discard"
    assert not demo.offer_recovery()


def test_a_discarded_recovery_is_deleted(window, isolated_settings):
    recovery = isolated_settings / "recovery"
    write_autosave(Project(create_template("mlp")), None, recovery)
    path = autosave_path(recovery)
    crashed = autosave_path(recovery, 999_999_999)
    path.rename(crashed)
    text = json.loads(crashed.read_text())
    text["pid"] = 999_999_999
    crashed.write_text(json.dumps(text))
    window.ask_restore = lambda item: "later"
    assert not window.offer_recovery() and crashed.exists()
    window.ask_restore = lambda item: "discard"
    assert not window.offer_recovery() and not crashed.exists()
    assert window.document.spec.nodes == {}


def test_window_layout_and_preferences_persist(window, qtbot):
    from studio.ui.main_window import MainWindow

    window.docks["code"].show()
    window.docks["code"].raise_()
    window.set_theme("dark")
    try:
        window.close()
        again = MainWindow()
        qtbot.addWidget(again)
        again.ask_save = lambda: "discard"
        assert again.settings.theme() == "dark"
        assert [a.data() for a in again.actions_.themes.actions() if a.isChecked()] == ["dark"]
        assert QSettings().value("window/state") is not None
    finally:
        window.set_theme("light")


def test_changes_outside_the_undo_stack_mark_the_project_modified(demo, tmp_path):
    demo._save_to(tmp_path / "p.studio")
    demo.document.project.training["batch_size"] = 16
    demo.document.mark_modified()
    assert demo.isWindowModified() and demo._autosave_due
    demo._save_to(tmp_path / "p.studio")
    assert not demo.isWindowModified()
    assert load_project(tmp_path / "p.studio").training == {"batch_size": 16}
