"""The palette: every registry layer by category, search, tooltips, drag onto the canvas (with the
palette's own mime data), drop on an edge, keyboard adding, user blocks."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from studio.engine.layers.registry import all_layers
from studio.engine.spec.model import Edge
from studio.engine.templates import list_templates
from studio.ui.palette import ENTRY_ROLE
from tests.ui.helpers import drop_on_view


def test_palette_lists_registry_layers_and_templates_by_category(window):
    palette = window.palette_widget
    entries = {item.data(0, ENTRY_ROLE) for item in palette.entries()}
    for layer in all_layers():
        if layer.name != "block":
            assert ("layer", layer.name) in entries
            item = palette.entry_item("layer", layer.name)
            assert item.parent() is palette.categories[layer.category]
            assert layer.help in item.toolTip(0)
            assert not item.icon(0).isNull()
    assert {("template", t.name) for t in list_templates()} <= entries


def test_search_filters_entries(window):
    palette = window.palette_widget
    palette.search.setText("conv")
    visible = {item.data(0, ENTRY_ROLE)[1] for item in palette.entries() if not item.isHidden()}
    assert "conv2d" in visible and "separable_conv2d" in visible and "relu" not in visible
    assert palette.categories["Activation"].isHidden()
    palette.search.setText("")
    assert not palette.entry_item("layer", "relu").isHidden()


def test_drop_a_layer_from_the_palette_then_undo_redo(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    view.fit()
    target = QPointF(400, 200)
    drop_on_view(view, demo.palette_widget.mime_data("layer", "batch_norm"), target)
    assert "bn1" in doc.spec.nodes and "bn1" in scene.nodes
    x, y = doc.spec.nodes["bn1"].pos
    assert abs(x - 400) <= 20 and abs(y - (200 - 27)) <= 20
    assert scene.selected_ids() == ["bn1"]
    doc.undo_stack.undo()
    assert "bn1" not in doc.spec.nodes and "bn1" not in scene.nodes
    doc.undo_stack.redo()
    assert "bn1" in scene.nodes


def test_dropping_on_an_edge_inserts_the_layer_into_it(demo, qtbot):
    doc, scene, view = demo.document, demo.scene(), demo.view()
    view.fit()
    edge = scene.edge_items[Edge("conv1", "pool1")]
    middle = edge.path().pointAtPercent(0.5)
    drop_on_view(view, demo.palette_widget.mime_data("layer", "batch_norm"), middle)
    assert Edge("conv1", "bn1") in doc.spec.edges and Edge("bn1", "pool1") in doc.spec.edges
    assert Edge("conv1", "pool1") not in doc.spec.edges
    doc.revalidate()
    assert doc.analysis.ok
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert Edge("conv1", "pool1") in scene.edge_items


def test_dropping_a_template_inserts_it_in_one_step(window):
    doc, view = window.document, window.view()
    drop_on_view(view, window.palette_widget.mime_data("template", "mlp"), QPointF(0, 0))
    doc.revalidate()
    assert doc.analysis.ok and len(doc.spec.nodes) == 8
    assert doc.undo_stack.count() == 1 and "mlp" in doc.undo_stack.text(0)


def test_keyboard_adding_builds_the_demo_cnn(window, qtbot):
    """Enter in the palette adds below the selected layer and connects it: a whole CNN by keyboard."""
    palette, doc = window.palette_widget, window.document
    steps = ["input", "conv2d", "max_pool2d", "conv2d", "max_pool2d", "flatten", "fully_connected", "dropout",
             "fully_connected", "output"]
    for layer in steps:
        palette.search.setText(layer.replace("_", " "))
        palette.search.returnPressed.emit()
    ids = list(doc.spec.nodes)
    assert ids == ["image1", "conv1", "pool1", "conv2", "pool2", "flatten1", "fc1", "dropout1", "fc2",
                   "logits1"]
    scene, editor = window.scene(), window.scene().editor
    editor.set_arg("image1", "shape", [1, 28, 28])
    for node_id, args in {"conv1": {"out_channels": 32, "activation": "relu"},
                          "conv2": {"out_channels": 64, "activation": "relu"},
                          "fc1": {"activation": "relu"}, "dropout1": {"p": 0.3},
                          "fc2": {"out_features": 10}}.items():
        for name, value in args.items():
            editor.set_arg(node_id, name, value)
    from studio.engine.spec.analysis import analyze
    from studio.engine.templates import create_template

    assert doc.revalidate().ok
    assert doc.analysis.total_params == analyze(create_template("small_cnn")).total_params
    assert len(scene.edge_items) == 9


def test_user_blocks_appear_in_the_palette(demo):
    scene = demo.scene()
    scene.select(["conv1", "pool1"])
    scene.group_selection("stage")
    assert demo.palette_widget.entry_item("block", "stage") is not None
    demo.document.undo_stack.undo()
    assert demo.palette_widget.entry_item("block", "stage") is None
