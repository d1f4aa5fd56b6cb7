"""Copy/paste with fresh ids, duplicate, cut, group into a block and ungroup, block tabs, unroll."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from studio.engine.spec.model import Edge
from studio.ui.mime import FRAGMENT_MIME


def test_copy_paste_gives_fresh_ids_and_keeps_inner_edges(demo):
    doc, scene = demo.document, demo.scene()
    scene.select(["conv1", "pool1"])
    demo.actions_.copy.trigger()
    assert QApplication.clipboard().mimeData().hasFormat(FRAGMENT_MIME)
    demo.actions_.paste.trigger()
    assert scene.selected_ids() == ["conv1_1", "pool1_1"]
    assert Edge("conv1_1", "pool1_1") in doc.spec.edges and Edge("conv1_1", "pool1_1") in scene.edge_items
    demo.actions_.paste.trigger()
    assert {"conv1_2", "pool1_2"} <= set(doc.spec.nodes)
    assert doc.spec.nodes["conv1_2"].pos[0] > doc.spec.nodes["conv1_1"].pos[0]  # pastes cascade
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert "conv1_1" not in scene.nodes


def test_pasting_foreign_text_is_refused_politely(demo, qtbot):
    QApplication.clipboard().setText("hello")
    with qtbot.waitSignal(demo.scene().sigMessage) as blocker:
        demo.actions_.paste.trigger()
    assert "does not hold Studio layers" in blocker.args[0]


def test_cut_and_duplicate(demo):
    doc, scene = demo.document, demo.scene()
    scene.select(["dropout"])
    demo.actions_.duplicate.trigger()
    assert "dropout_1" in doc.spec.nodes and scene.selected_ids() == ["dropout_1"]
    demo.actions_.cut.trigger()
    assert "dropout_1" not in doc.spec.nodes
    demo.actions_.paste.trigger()
    assert "dropout_1" in doc.spec.nodes


def test_group_into_block_and_ungroup_with_undo(demo, monkeypatch):
    doc, scene = demo.document, demo.scene()
    scene.select(["conv2", "pool2"])
    monkeypatch.setattr("studio.ui.window.edit_commands.QInputDialog.getText",
                        lambda *a, **k: ("stage2", True))
    demo.actions_.group.trigger()
    assert "stage2" in doc.spec.blocks and "stage2" in scene.nodes and "conv2" not in scene.nodes
    assert Edge("pool1", "stage2", "x") in scene.edge_items and Edge("stage2", "flatten") in scene.edge_items
    analysis = doc.revalidate()
    assert analysis.ok and analysis.nodes["stage2"].output_shape == (64, 7, 7)
    assert doc.undo_stack.count() == 1
    scene.select(["stage2"])
    demo.actions_.ungroup.trigger()
    assert {"stage2_conv2", "stage2_pool2"} <= set(scene.nodes)
    assert doc.revalidate().total_params == 421_642
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert "conv2" in scene.nodes and "stage2" not in doc.spec.blocks
    assert Edge("pool1", "conv2") in scene.edge_items


def test_grouping_a_selection_with_two_outputs_is_refused(demo, qtbot):
    scene = demo.scene()
    scene.select(["image"])
    with qtbot.waitSignal(scene.sigMessage) as blocker:
        scene.group_selection("bad")
    assert "input of the graph" in blocker.args[0]
    assert "bad" not in demo.document.spec.blocks


def test_a_block_opens_in_its_own_tab_with_live_shapes(demo, qtbot):
    doc, scene = demo.document, demo.scene()
    scene.select(["conv2", "pool2"])
    scene.group_selection("stage2")
    scene.open_node("stage2")
    assert demo.canvas_tabs.count() == 2 and demo.scene().block == "stage2"
    block_scene = demo.scene()
    doc.revalidate()
    assert block_scene.nodes["conv2"].info.output_shape == (64, 14, 14)
    assert "first use" in block_scene.note
    block_scene.editor.set_arg("conv2", "out_channels", 16)
    doc.revalidate()
    assert doc.analysis.nodes["stage2"].output_shape == (16, 7, 7)
    assert "set" in doc.undo_stack.undoText().lower()
    doc.undo_stack.undo()  # the edit
    doc.undo_stack.undo()  # the grouping: the block goes, its tab closes
    assert demo.canvas_tabs.count() == 1 and demo.scene().block is None


def test_unroll_a_repeat_node(demo):
    doc, scene = demo.document, demo.scene()
    scene.editor.set_field("conv2", "repeat", 2)
    scene.select(["conv2"])
    demo.actions_.unroll.trigger()
    assert {"conv2_1", "conv2_2"} <= set(scene.nodes)
    assert Edge("conv2_1", "conv2_2") in scene.edge_items
    assert doc.revalidate().ok


def test_arrange_is_one_undo_step(demo):
    doc = demo.document
    doc.spec.move_node("fc1", (900.0, 900.0))
    demo.actions_.arrange.trigger()
    assert doc.spec.nodes["fc1"].pos != (900.0, 900.0)
    doc.undo_stack.undo()
    assert doc.spec.nodes["fc1"].pos == (900.0, 900.0)


def test_an_unused_block_can_be_deleted_from_the_palette(demo):
    doc, scene = demo.document, demo.scene()
    scene.select(["conv2", "pool2"])
    scene.group_selection("stage2")
    demo.palette_widget.sigDeleteBlock.emit("stage2")
    assert "stage2" in doc.spec.blocks and "still used by stage2" in demo.statusBar().currentMessage()
    scene.select(["stage2"])
    scene.ungroup_selection()
    demo.palette_widget.sigDeleteBlock.emit("stage2")
    assert "stage2" not in doc.spec.blocks and demo.palette_widget.entry_item("block", "stage2") is None
    doc.undo_stack.undo()
    assert "stage2" in doc.spec.blocks
