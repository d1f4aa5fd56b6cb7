"""File > Import model...: the dialog says it runs code, imports in a background job, shows what went
wrong in place and opens the imported spec as an unsaved project."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from studio.ui.import_dialog import WARNING, ImportModelDialog, import_model_dialog

USER_MODULE = '''
from torch import nn

def make(num_classes=10):
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, num_classes))

def broken():
    raise RuntimeError("the factory failed")
'''


def _fill(dialog: ImportModelDialog, source: str, kwargs: str = "{}") -> None:
    dialog.source.setText(source)
    dialog.kwargs.setText(kwargs)
    for box, value in zip(dialog.shape, (3, 8, 8), strict=True):
        box.setValue(value)


def test_a_failure_is_shown_in_the_dialog(qtbot, tmp_path):
    (tmp_path / "net.py").write_text(USER_MODULE)
    dialog = ImportModelDialog()
    qtbot.addWidget(dialog)
    assert "runs Python code" in WARNING
    _fill(dialog, f"{tmp_path / 'net.py'}:broken")
    dialog.start_import()
    assert not dialog.import_button.isEnabled()  # busy: the work runs in a Job
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=30000)
    assert "the factory failed" in dialog.status.text() and dialog.result_ is None


def test_the_import_opens_as_an_unsaved_project(qtbot, window, tmp_path, monkeypatch):
    (tmp_path / "net.py").write_text(USER_MODULE)
    window.ask_save = lambda: "discard"
    file_menu = window.menuBar().actions()[0].menu()
    assert "&Import Model..." in [action.text() for action in file_menu.actions()]

    def run_dialog(dialog):
        _fill(dialog, f"{tmp_path / 'net.py'}:make", '{"num_classes": 3}')
        dialog.start_import()
        qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=30000)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ImportModelDialog, "exec", run_dialog)
    import_model_dialog(window)
    spec = window.document.spec
    assert [n.type for n in spec.nodes.values()] == ["input", "conv2d", "relu", "flatten", "fully_connected",
                                                     "output"]
    assert [n.args.get("out_features") for n in spec.nodes.values() if n.type == "fully_connected"] == [3]
    assert window.document.path is None  # unsaved
