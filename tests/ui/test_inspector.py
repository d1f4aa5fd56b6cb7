"""The inspector: editors from the parameter schema, inherited values with their source, merged
spin-box edits, inline messages, renaming, repeat/stack/share."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.engine.spec.model import Edge, Scope
from studio.ui.editors import BoolEditor, ChoiceEditor, FloatEditor, IntEditor, PaddingEditor, PairEditor


def select(window, node_id):
    window.scene().select([node_id])
    window.document.revalidate()
    return window.inspector


def test_editors_follow_the_parameter_kinds(demo):
    rows = select(demo, "conv1").rows
    assert isinstance(rows["out_channels"].editor, IntEditor)
    assert rows["out_channels"].editor.box.minimum() == 1
    assert isinstance(rows["kernel_size"].editor, PairEditor)
    assert isinstance(rows["padding"].editor, PaddingEditor)
    assert isinstance(rows["activation"].editor, ChoiceEditor)
    assert isinstance(rows["bias"].editor, BoolEditor)
    assert isinstance(rows["l2"].editor, FloatEditor)
    assert "output channels" in rows["out_channels"].label.toolTip()


def test_spin_box_edits_merge_into_one_undo_step(demo, qtbot):
    doc = demo.document
    editor = select(demo, "fc1").rows["out_features"].editor
    for value in (129, 130, 131):
        editor.box.setValue(value)
    assert doc.spec.nodes["fc1"].args["out_features"] == 131
    assert doc.undo_stack.count() == 1
    assert doc.revalidate().nodes["fc1"].output_shape == (131,)
    doc.undo_stack.undo()
    assert doc.spec.nodes["fc1"].args["out_features"] == 128
    assert demo.inspector.rows["out_features"].editor.box.value() == 128


def test_inherited_values_are_greyed_with_their_source_and_overrides_reset(demo):
    rows = select(demo, "conv1").rows
    kernel = rows["kernel_size"]
    assert kernel.source.text() == "inherited from model defaults #1"
    assert not kernel.reset.isVisibleTo(demo.inspector)
    assert rows["out_channels"].source.text() == "set here"
    assert rows["dilation"].source.text() == "layer default"
    kernel.editor.boxes[0].setValue(5)
    kernel.editor.boxes[1].setValue(5)
    demo.document.revalidate()
    assert demo.document.spec.nodes["conv1"].args["kernel_size"] == 5
    assert kernel.source.text() == "set here" and kernel.reset.isVisibleTo(demo.inspector)
    kernel.reset.click()
    demo.document.revalidate()
    assert "kernel_size" not in demo.document.spec.nodes["conv1"].args
    assert kernel.source.text() == "inherited from model defaults #1"
    demo.scene().editor.set_defaults([Scope(["conv2d"], {"kernel_size": 5, "padding": "same"})])
    demo.document.revalidate()
    assert kernel.editor.boxes[0].value() == 5


def test_invalid_text_shows_an_inline_message_and_changes_nothing(demo, qtbot):
    rows = select(demo, "pool1").rows
    stride = rows["stride"].editor  # optional: empty means "same as the kernel"
    stride.line.setText("two")
    stride.line.editingFinished.emit()
    assert "whole numbers" in rows["stride"].message.text()
    assert "stride" not in demo.document.spec.nodes["pool1"].args
    stride.line.setText("1, 1")
    stride.line.editingFinished.emit()
    assert demo.document.spec.nodes["pool1"].args["stride"] == [1, 1]


def test_analysis_messages_appear_next_to_the_argument(demo):
    rows = select(demo, "conv2").rows
    demo.scene().editor.set_arg("conv2", "groups", 5)
    demo.document.revalidate()
    assert "groups=5" in rows["groups"].message.text()
    assert rows["groups"].message.isVisibleTo(demo.inspector)


def test_rename_warns_about_checkpoint_names_and_rewires(demo, qtbot):
    inspector = select(demo, "conv1")
    inspector.id_edit.setText("stem")
    inspector.id_edit.textEdited.emit("stem")
    assert "conv1.weight" in inspector.rename_note.text() and "stem.weight" in inspector.rename_note.text()
    inspector.id_edit.editingFinished.emit()
    spec = demo.document.spec
    assert "stem" in spec.nodes and Edge("image", "stem") in spec.edges
    assert Edge("stem", "pool1") in spec.edges
    assert "stem" in demo.scene().nodes and inspector.node_id == "stem"
    assert "parameters are now stem" in demo.statusBar().currentMessage()
    demo.document.undo_stack.undo()
    assert "conv1" in demo.scene().nodes and Edge("image", "conv1") in demo.scene().edge_items


def test_rename_to_a_taken_or_bad_id_is_refused(demo):
    inspector = select(demo, "conv1")
    for bad, reason in (("conv2", "already used"), ("2x", "not a valid node id")):
        inspector.id_edit.setText(bad)
        inspector.id_edit.editingFinished.emit()
        assert reason in demo.statusBar().currentMessage()
        assert inspector.id_edit.text() == "conv1"
    assert "conv1" in demo.document.spec.nodes


def test_repeat_stack_and_share_fields(demo):
    inspector = select(demo, "conv2")
    inspector.repeat_box.setValue(3)
    assert demo.document.spec.nodes["conv2"].repeat == 3
    inspector.stack_edit.setText('[{"out_channels": 16}, {"out_channels": 8}]')
    inspector.stack_edit.editingFinished.emit()
    assert demo.document.spec.nodes["conv2"].stack == [{"out_channels": 16}, {"out_channels": 8}]
    assert demo.document.revalidate().nodes["conv2"].output_shape == (8, 14, 14)
    inspector.stack_edit.setText("not json")
    inspector.stack_edit.editingFinished.emit()
    assert "JSON list" in demo.statusBar().currentMessage()
    assert demo.document.undo_stack.count() == 2
    demo.document.undo_stack.undo()
    demo.document.undo_stack.undo()
    assert demo.document.spec.nodes["conv2"].repeat == 1 and demo.document.spec.nodes["conv2"].stack is None


def test_nothing_selected_shows_the_model_summary_and_problem_links(demo, qtbot):
    demo.scene().editor.set_arg("conv2", "groups", 5)
    inspector = select(demo, "conv2")
    demo.scene().clearSelection()
    demo.document.revalidate()
    assert "421,642" not in inspector.summary.text() and "1 problem" in inspector.summary.text()
    with qtbot.waitSignal(inspector.sigSelectNode) as blocker:
        inspector.summary.linkActivated.emit("conv2")
    assert blocker.args == ["conv2"]
    assert demo.scene().selected_ids() == ["conv2"]


def test_choice_edit_goes_through_the_undo_stack(demo):
    rows = select(demo, "fc1").rows
    combo = rows["activation"].editor.box
    combo.setCurrentText("gelu")
    combo.activated.emit(combo.currentIndex())
    assert demo.document.spec.nodes["fc1"].args["activation"] == "gelu"
    assert "fc1.activation" in demo.document.undo_stack.undoText()
    rows["bias"].editor.box.setCheckState(Qt.CheckState.Unchecked)
    assert demo.document.spec.nodes["fc1"].args["bias"] is False
