"""The defaults (arg_scope) dialog: scopes typed and checked against the layer schema, applied as one
undoable edit, seen as inherited values."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from studio.engine.spec.model import Scope
from studio.ui.defaults_dialog import DefaultsDialog, parse_scope_args


def test_values_are_parsed_by_the_parameter_kinds():
    args, problems = parse_scope_args(["conv2d"], [("kernel_size", "5"), ("padding", "valid"),
                                                   ("activation", "gelu"), ("bias", "false"), ("l2", "1e-4")])
    assert args == {"kernel_size": 5, "padding": "valid", "activation": "gelu", "bias": False, "l2": 1e-4}
    assert problems == []
    args, problems = parse_scope_args(["conv2d"], [("activation", "wobble"), ("units", "3")])
    assert args == {} and len(problems) == 2
    assert "must be one of" in problems[0] and "an argument 'units'" in problems[1]
    assert parse_scope_args(["*"], [("p", "0.2")])[0] == {"p": 0.2}


def test_dialog_edits_scopes_and_refuses_bad_values(qtbot):
    dialog = DefaultsDialog([Scope(["conv2d"], {"kernel_size": 3})], "model m")
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 0).text() == "kernel_size" and dialog.table.item(0, 1).text() == "3"
    dialog.table.item(0, 1).setText("seven")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "whole number" in dialog.problems.text()
    dialog.table.item(0, 1).setText("7")
    assert ok.isEnabled()
    dialog._add_scope()
    for i in range(dialog.layer_list.count()):
        item = dialog.layer_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == "dropout":
            item.setCheckState(Qt.CheckState.Checked)
    dialog._add_arg("p", "0.1")
    dialog._store()
    assert dialog.result_scopes() == [Scope(["conv2d"], {"kernel_size": 7}), Scope(["dropout"], {"p": 0.1})]


def test_applied_defaults_are_inherited_and_undoable(demo, monkeypatch):
    scopes = [Scope(["conv2d"], {"kernel_size": 5, "padding": "same", "activation": "relu"})]
    monkeypatch.setattr(DefaultsDialog, "exec", lambda self: True)
    monkeypatch.setattr(DefaultsDialog, "result_scopes", lambda self: scopes)
    demo.actions_.defaults.trigger()
    analysis = demo.document.revalidate()
    assert analysis.nodes["conv1"].args["kernel_size"].value == 5
    assert analysis.nodes["conv1"].args["kernel_size"].origin == "model defaults #1"
    demo.document.undo_stack.undo()
    assert demo.document.revalidate().nodes["conv1"].args["kernel_size"].value == 3
