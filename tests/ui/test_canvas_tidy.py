"""A tidy canvas: a layer dropped on a connection makes room (one undo step), a drop never covers a
node, and the labels of connections repaint whole when a layer above them breaks."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QGuiApplication, QImage

from studio.engine.spec.model import Edge
from studio.engine.spec.placement import NODE_SIZE, overlaps
from studio.ui.canvas import style
from tests.ui.helpers import drop_on_view


def overlapping(scene) -> list[tuple[str, str]]:
    boxes = list(scene.node_boxes().items())
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if overlaps(box_a, box_b)]


def positions(spec) -> dict[str, tuple[float, float]]:
    return {node_id: node.pos for node_id, node in spec.nodes.items()}


def test_the_engine_knows_the_size_of_a_node():
    assert NODE_SIZE == (style.NODE_WIDTH, style.NODE_HEIGHT)


def test_dropping_on_a_connection_makes_room_below_in_one_undo_step(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    view.fit()
    before = positions(doc.spec)
    middle = scene.edge_items[Edge("conv1", "pool1")].path().pointAtPercent(0.5)
    drop_on_view(view, demo.palette_widget.mime_data("layer", "batch_norm"), middle)
    assert Edge("conv1", "bn1") in doc.spec.edges and Edge("bn1", "pool1") in doc.spec.edges
    assert overlapping(scene) == []
    after = positions(doc.spec)
    assert after["bn1"] == before["pool1"]  # in the chain, where pool1 was
    for node_id in ("image", "conv1"):
        assert after[node_id] == before[node_id]
    step = before["pool1"][1] - before["conv1"][1]
    for node_id in ("pool1", "conv2", "pool2", "flatten", "fc1", "dropout", "fc2", "logits"):
        assert after[node_id] == (before[node_id][0], before[node_id][1] + step)  # one row down
        assert scene.nodes[node_id].pos() == QPointF(*after[node_id])
    assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0) == "Insert bn1"

    doc.undo_stack.undo()
    assert positions(doc.spec) == before and "bn1" not in scene.nodes
    assert all(scene.nodes[n].pos() == QPointF(*p) for n, p in before.items())
    doc.undo_stack.redo()
    assert positions(doc.spec) == after and overlapping(scene) == []


def test_a_drop_onto_a_layer_lands_beside_it(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    view.fit()
    body = scene.nodes["conv2"].sceneBoundingRect()
    drop_on_view(view, demo.palette_widget.mime_data("layer", "relu"), body.center() + QPointF(0, 8))
    assert "relu1" in doc.spec.nodes and not any(e.dst == "relu1" for e in doc.spec.edges)
    assert overlapping(scene) == []
    assert abs(doc.spec.nodes["relu1"].pos[0] - doc.spec.nodes["conv2"].pos[0]) < 250  # the nearest spot


def test_keyboard_adding_below_a_layer_in_a_chain_covers_nothing(demo, qtbot):
    scene = demo.scene()
    scene.select(["conv1"])
    demo.add_from_palette("layer", "batch_norm")
    assert Edge("conv1", "bn1") in demo.document.spec.edges
    assert overlapping(scene) == []


def screen_image(widget) -> QImage:
    """What the screen shows of ``widget`` now (the window's backing store: what was repainted and what
    was left as it was), unlike ``widget.grab()``, which paints it all afresh."""
    top = widget.window()
    origin = widget.mapTo(top, widget.rect().topLeft())
    shot = QGuiApplication.primaryScreen().grabWindow(top.winId())
    return shot.copy(origin.x(), origin.y(), widget.width(), widget.height()).toImage()


def test_labels_under_a_broken_layer_repaint_whole(demo, qtbot):
    scene, view = demo.scene(), demo.view()
    view.fit()
    qtbot.wait(100)
    labelled = scene.edge_items[Edge("pool2", "flatten")]
    assert labelled.label == "64×7×7"
    scene.editor.set_arg("pool2", "kernel_size", [16, 16])  # 'kernel [16, 16] does not fit input'
    qtbot.waitUntil(lambda: labelled.label == "")
    qtbot.wait(100)
    shown = screen_image(view.viewport())
    fresh = view.viewport().grab().toImage().convertToFormat(shown.format())
    assert shown == fresh  # no piece of the old labels left on the screen
