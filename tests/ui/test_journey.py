"""Building a model with a skip connection from scratch with the palette, mouse drags and keys."""

from __future__ import annotations

from studio.engine.spec.model import Edge
from tests.ui.helpers import drag


def add(window, layer: str) -> str:
    palette = window.palette_widget
    palette.search.setText(layer.replace("_", " "))
    palette.search.returnPressed.emit()
    return window.scene().selected_ids()[0]


def test_residual_model_with_mouse_and_keyboard(window, qtbot):
    doc, scene, view = window.document, window.scene(), window.view()
    image = add(window, "input")
    scene.editor.set_arg(image, "shape", [3, 16, 16])
    stem = add(window, "conv2d")
    a = add(window, "conv2d")
    b = add(window, "conv2d")
    merge = add(window, "add")  # connected from b on its first input
    assert Edge(b, merge, "x0") in doc.spec.edges
    scene.editor.move({merge: (doc.spec.nodes[merge].pos, (0.0, doc.spec.nodes[merge].pos[1] + 40))})
    view.fit()
    qtbot.wait(10)
    drag(qtbot, view, scene.nodes[stem].out_port.scenePos(), scene.nodes[merge].in_ports["x1"].scenePos())
    assert Edge(stem, merge, "x1") in doc.spec.edges  # the skip connection
    scene.select([merge])
    add(window, "global_avg_pool")
    add(window, "fully_connected")
    add(window, "output")
    for node_id in (stem, a, b):
        scene.editor.set_arg(node_id, "out_channels", 8)
    analysis = doc.revalidate()
    assert analysis.ok, analysis.issues
    assert analysis.nodes[merge].output_shape == (8, 16, 16)
    scene.select([a, b, merge])
    use = scene.group_selection("residual")
    scene.select([use])
    copy = scene.duplicate_selection()[0]  # a second use of the block
    scene.editor.remove([], [e for e in doc.spec.edges if e.src == use])
    scene.editor.connect(Edge(use, copy, "x"))
    consumer = next(n for n in doc.spec.nodes.values() if n.type == "global_avg_pool").id
    scene.editor.connect(Edge(copy, consumer))
    analysis = doc.revalidate()
    assert analysis.ok, analysis.issues
    assert doc.spec.blocks["residual"].input_ids == ["x"]  # the skip from the stem is inside now
    assert analysis.total_params > 0 and doc.undo_stack.count() > 10
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.spec.nodes == {} and scene.nodes == {} and doc.spec.blocks == {}
