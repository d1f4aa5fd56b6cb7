"""The canvas driven with real mouse events: connect ports, move, delete, undo/redo each."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from studio.engine.spec.model import Edge, Node
from tests.ui.helpers import drag, view_point


def test_scene_draws_every_node_and_edge_with_shapes(demo):
    scene = demo.scene()
    assert set(scene.nodes) == set(demo.document.spec.nodes)
    assert set(scene.edge_items) == set(demo.document.spec.edges)
    assert scene.edge_items[Edge("conv1", "pool1")].label == "32×28×28"
    assert scene.nodes["conv1"].info.params == 320


def test_connect_two_ports_by_dragging_then_undo_redo(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    assert doc.undo_stack.count() == 0
    scene.editor.add("add", (300.0, 330.0))
    view.fit()
    qtbot.wait(10)
    add_item = scene.nodes["add1"]
    drag(qtbot, view, scene.nodes["pool1"].out_port.scenePos(), add_item.in_ports["x0"].scenePos())
    assert Edge("pool1", "add1", "x0") in doc.spec.edges
    assert Edge("pool1", "add1", "x0") in scene.edge_items
    doc.undo_stack.undo()
    assert Edge("pool1", "add1", "x0") not in doc.spec.edges
    assert Edge("pool1", "add1", "x0") not in scene.edge_items
    doc.undo_stack.redo()
    assert Edge("pool1", "add1", "x0") in scene.edge_items


def test_invalid_connections_are_refused_with_a_reason(demo, qtbot):
    scene, view = demo.scene(), demo.view()
    view.fit()
    edges_before = list(demo.document.spec.edges)
    with qtbot.waitSignal(scene.sigMessage) as blocker:  # conv2's input is taken by pool1
        drag(qtbot, view, scene.nodes["image"].out_port.scenePos(),
             scene.nodes["conv2"].in_ports["x"].scenePos())
    assert "already fed by 'pool1'" in blocker.args[0]
    with qtbot.waitSignal(scene.sigMessage) as blocker:  # output to output
        drag(qtbot, view, scene.nodes["fc1"].out_port.scenePos(), scene.nodes["fc2"].out_port.scenePos())
    assert "output" in blocker.args[0] and "input" in blocker.args[0]
    assert demo.document.spec.edges == edges_before
    assert "Cannot connect" in demo.statusBar().currentMessage()


def test_a_drag_moves_nodes_in_one_undo_step(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    view.fit()
    item = scene.nodes["fc1"]
    start = item.sceneBoundingRect().center()
    old = doc.spec.nodes["fc1"].pos
    drag(qtbot, view, start, start + QPointF(200, 0))
    new = doc.spec.nodes["fc1"].pos
    assert new[0] > old[0] + 100 and new[1] == old[1]
    assert new[0] % 10 == 0  # snapped to the grid
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.spec.nodes["fc1"].pos == old
    assert (item.pos().x(), item.pos().y()) == old


def test_delete_removes_node_with_its_edges_and_undo_restores(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    view.fit()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view_point(view, scene.nodes["dropout"].sceneBoundingRect().center()))
    assert scene.selected_ids() == ["dropout"]
    demo.actions_.delete.trigger()
    assert "dropout" not in doc.spec.nodes and "dropout" not in scene.nodes
    assert not any("dropout" in (e.src, e.dst) for e in scene.edge_items)
    doc.undo_stack.undo()
    assert Edge("fc1", "dropout") in scene.edge_items and Edge("dropout", "fc2") in scene.edge_items


def test_edges_can_be_selected_and_deleted(demo, qtbot):
    doc, scene = demo.document, demo.scene()
    scene.edge_items[Edge("conv1", "pool1")].setSelected(True)
    demo.actions_.delete.trigger()
    assert Edge("conv1", "pool1") not in doc.spec.edges
    assert "conv1" in doc.spec.nodes


def test_scene_follows_spec_edits_made_elsewhere(demo):
    spec, scene = demo.document.spec, demo.scene()
    spec.add_node(Node("extra", "relu", pos=(400.0, 0.0)))
    spec.rename_node("extra", "renamed")
    spec.connect(Edge("image", "renamed"))
    assert "renamed" in scene.nodes and Edge("image", "renamed") in scene.edge_items
    spec.move_node("renamed", (500.0, 40.0))
    assert scene.nodes["renamed"].pos().x() == 500.0
    spec.set_arg("pool1", "kernel_size", 4)
    assert "4×4" in scene.nodes["pool1"].face.summary


def test_double_click_expands_a_repeat_node_in_place(demo):
    spec, scene = demo.document.spec, demo.scene()
    spec.set_node_field("conv2", "repeat", 3)
    demo.document.revalidate()
    item = scene.nodes["conv2"]
    height = item.height
    scene.open_node("conv2")
    assert item.expanded and item.height > height
    assert [row[0] for row in item.face.rows] == ["conv2_1", "conv2_2", "conv2_3"]
    assert item.out_port.pos().y() == item.height


def test_zoom_and_fit(demo):
    view = demo.view()
    view.fit()
    zoom = view.zoom
    view.zoom_in()
    assert view.zoom > zoom
    for _ in range(40):
        view.zoom_out()
    assert view.zoom >= 0.079
    view.fit()
    assert abs(view.zoom - zoom) < 1e-6


def test_rubber_band_and_ctrl_click_selection(demo, qtbot):
    scene, view = demo.scene(), demo.view()
    view.fit()
    top_left = scene.nodes["conv1"].sceneBoundingRect().topLeft() + QPointF(-60, -20)
    bottom_right = scene.nodes["pool1"].sceneBoundingRect().bottomRight() + QPointF(60, 10)
    drag(qtbot, view, top_left, bottom_right)
    assert sorted(scene.selected_ids()) == ["conv1", "pool1"]
    point = view_point(view, scene.nodes["fc1"].sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, point)
    assert sorted(scene.selected_ids()) == ["conv1", "fc1", "pool1"]


def test_wheel_zooms_and_middle_button_and_space_pan(demo, qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view = demo.view()
    view.fit()
    zoom = view.zoom
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(centre, QPointF(view.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom > zoom
    before = view.mapToScene(view.viewport().rect().center())
    viewport = view.viewport()
    start, end = QPoint(300, 300), QPoint(200, 150)
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=start)
    qtbot.mouseMove(viewport, end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=end)
    after = view.mapToScene(view.viewport().rect().center())
    assert after.x() > before.x() and after.y() > before.y()
    view.setFocus()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=end)
    qtbot.mouseMove(viewport, start)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert view.mapToScene(view.viewport().rect().center()).x() < after.x()
    assert demo.document.undo_stack.count() == 0  # panning moved nothing


def test_delete_key_acts_on_the_canvas_only(demo, qtbot):
    scene, view = demo.scene(), demo.view()
    scene.select(["dropout"])
    demo.palette_widget.tree.setFocus()
    qtbot.keyClick(demo.palette_widget.tree, Qt.Key.Key_Delete)
    assert "dropout" in demo.document.spec.nodes
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "dropout" not in demo.document.spec.nodes


def spec_json(window) -> str:
    import json

    from studio.engine.spec.io import spec_to_dict

    return json.dumps(spec_to_dict(window.document.spec), sort_keys=False)


def test_undoing_a_delete_restores_the_exact_spec_node_and_edge_order(demo, qtbot):
    doc, scene = demo.document, demo.scene()
    order = list(doc.spec.nodes)
    middle = order[len(order) // 2]  # a node in the middle, with connections on both sides
    assert doc.spec.graph.inputs_of(middle) and doc.spec.graph.consumers_of(middle)
    before = spec_json(demo)
    scene.select([middle])
    demo.actions_.delete.trigger()
    assert middle not in doc.spec.nodes
    doc.undo_stack.undo()
    assert spec_json(demo) == before  # same place in the node order, edges where they were
    assert set(scene.nodes) == set(doc.spec.nodes) and set(scene.edge_items) == set(doc.spec.edges)
    doc.undo_stack.redo()
    doc.undo_stack.undo()
    assert spec_json(demo) == before


def test_undoing_a_multi_selection_delete_and_a_connection_delete_restores_the_spec(demo, qtbot):
    doc, scene = demo.document, demo.scene()
    before = spec_json(demo)
    order = list(doc.spec.nodes)
    picked = [order[1], order[2], order[-2]]  # neighbours (an edge between them) and one far away
    scene.select(picked)
    edge = next(e for e in doc.spec.edges if not {e.src, e.dst} & set(picked))
    scene.edge_items[edge].setSelected(True)  # a connection of other layers, in the same step
    demo.actions_.delete.trigger()
    assert not set(picked) & set(doc.spec.nodes) and edge not in doc.spec.edges
    doc.undo_stack.undo()
    assert spec_json(demo) == before
    middle_edge = doc.spec.edges[len(doc.spec.edges) // 2]
    scene.clearSelection()
    scene.edge_items[middle_edge].setSelected(True)
    demo.actions_.delete.trigger()
    assert middle_edge not in doc.spec.edges
    doc.undo_stack.undo()
    assert spec_json(demo) == before


def test_undoing_group_ungroup_and_unroll_restores_the_exact_spec(demo):
    doc, editor = demo.document, demo.scene().editor
    before = spec_json(demo)
    use = editor.group(["conv2", "pool2"], "pair")  # the middle of the chain
    doc.undo_stack.undo()
    assert spec_json(demo) == before
    doc.undo_stack.redo()
    grouped = spec_json(demo)
    editor.ungroup(use)
    doc.undo_stack.undo()
    assert spec_json(demo) == grouped
    doc.undo_stack.undo()
    editor.set_field("conv1", "repeat", 2)
    repeated = spec_json(demo)
    editor.unroll("conv1")
    doc.undo_stack.undo()
    assert spec_json(demo) == repeated
