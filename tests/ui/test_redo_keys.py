"""Redo answers both Ctrl+Shift+Z and Ctrl+Y, typed on the canvas."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def test_redo_has_both_keys_once(window):
    keys = [key.toString() for key in window.actions_.redo.shortcuts()]
    assert keys[:2] == ["Ctrl+Shift+Z", "Ctrl+Y"] and len(keys) == len(set(keys))
    assert QKeySequence(QKeySequence.StandardKey.Undo) not in window.actions_.redo.shortcuts()


@pytest.mark.parametrize("key, modifiers", [(Qt.Key.Key_Z, CTRL | SHIFT), (Qt.Key.Key_Y, CTRL)],
                         ids=["ctrl-shift-z", "ctrl-y"])
def test_typed_redo_redoes_a_canvas_edit(demo, qtbot, key, modifiers):
    doc = demo.document
    before = doc.spec.nodes["fc2"].args["out_features"]
    demo.scene().editor.set_arg("fc2", "out_features", before + 3)
    doc.undo_stack.undo()
    assert doc.spec.nodes["fc2"].args["out_features"] == before
    demo.activateWindow()
    demo.view().setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is demo.view())
    qtbot.keyClick(demo.view(), key, modifiers)
    assert doc.spec.nodes["fc2"].args["out_features"] == before + 3
    assert not doc.undo_stack.canRedo()
