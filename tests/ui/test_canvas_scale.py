"""The large torchvision templates on the canvas (issue 14, item 6): ViT-B/16 and EfficientNet-B0 open
in the real main window with their blocks collapsed, a block expands on demand (in its own tab, or
ungrouped/unrolled in place through the window's actions) and shows its layers with shapes, and an
argument edit on the expanded model updates the shapes downstream. (Their speed:
benchmarks/canvas_edit.py.)"""

from __future__ import annotations

import pytest

from studio.engine.spec.grouping import expand_all
from studio.engine.templates import create_template


def open_template(window, name: str):
    """New from template ``name`` as the menu does; the model's scene, analysed."""
    window.new_from_template(name)
    window.document.revalidate()
    scene = window.canvases[None].scene()
    assert window.document.analysis.ok, [str(issue) for issue in window.document.analysis.issues]
    return scene


def shape(scene, node_id: str) -> str:
    """The output shape a node shows on the canvas."""
    return scene.nodes[node_id].face.shape


def trigger_on(window, scene, node_id: str, action) -> None:
    """Select ``node_id`` and trigger one of the window's node actions (as the menu or its key does)."""
    scene.select([node_id])
    window._update_actions()
    assert action.isEnabled(), f"{action.text()} disabled for {node_id}"
    action.trigger()
    window.document.revalidate()


def test_vit_opens_collapsed_and_expands_on_demand(window):
    scene = open_template(window, "vit_b_16")
    assert len(scene.nodes) < 12  # the top-level graph: 12 encoder blocks drawn as one node
    encoder = scene.nodes["encoder"]
    assert encoder.face.block and encoder.face.stacked and encoder.face.title == "encoder  ×12"
    assert shape(scene, "patch") == "196×768" and shape(scene, "encoder") == "197×768"
    assert shape(scene, "head") == "10"  # (the templates default to 10 classes)

    scene.open_node("encoder")  # double-click on a block use: its block in its own tab
    block = window.canvases["encoder_block"].scene()
    assert window.canvases["encoder_block"] is window.canvas_tabs.currentWidget()
    assert set(block.nodes) >= {"ln1", "attn", "add1", "ln2", "mlp1", "mlp2", "add2"}
    assert shape(block, "attn") == "197×768" and shape(block, "mlp1") == "197×3072"
    assert "first use" in block.note

    # expanded in the model's graph: the repeat unrolled, one use ungrouped, through the window's actions
    window.canvas_tabs.setCurrentWidget(window.canvases[None])
    trigger_on(window, scene, "encoder", window.actions_.unroll)
    assert {f"encoder_{index}" for index in range(1, 13)} <= set(scene.nodes)
    trigger_on(window, scene, "encoder_6", window.actions_.ungroup)
    layers = [node_id for node_id in scene.nodes if node_id.startswith("encoder_6_")]
    assert {"encoder_6_attn", "encoder_6_mlp1", "encoder_6_mlp2"} <= set(layers), layers
    assert all(shape(scene, node_id) != "?" for node_id in layers)
    assert shape(scene, "encoder_6_mlp1") == "197×3072"

    # an argument edit upstream: 32x32 patches, so 49 + 1 tokens from there to the class token
    scene.editor.set_arg("patch", "patch_size", 32)
    window.document.revalidate()
    assert window.document.analysis.ok
    assert shape(scene, "patch") == "49×768" and shape(scene, "encoder_1") == "50×768"
    assert shape(scene, "encoder_6_mlp1") == "50×3072" and shape(scene, "encoder_12") == "50×768"
    assert shape(block, "mlp1") == "50×3072"  # the block's tab follows its first use
    window.document.undo_stack.undo()
    window.document.revalidate()
    assert shape(scene, "encoder_6_mlp1") == "197×3072"


def test_efficientnet_opens_collapsed_and_expands_fully(window):
    scene = open_template(window, "efficientnet_b0")
    top = len(scene.nodes)
    assert top < 30  # 16 MBConv blocks in 7 stages, each stage its first block and one repeated node
    assert any(item.face.block for item in scene.nodes.values())
    assert shape(scene, "conv1") == "32×112×112" and shape(scene, "fc") == "10"

    window.open_block("mbconv_residual")
    block = window.canvases["mbconv_residual"].scene()
    assert shape(block, "depthwise") != "?" and shape(block, "project") != "?"

    # everything expanded as expand_all does, but as the canvas's own ungroup / unroll commands
    window.canvas_tabs.setCurrentWidget(window.canvases[None])
    expected = expand_all(create_template("efficientnet_b0"))
    while (node := next((n for n in scene.graph.nodes.values()
                         if n.type == "block" or n.instance_count > 1), None)) is not None:
        action = window.actions_.unroll if node.instance_count > 1 else window.actions_.ungroup
        trigger_on(window, scene, node.id, action)
    assert set(scene.nodes) == set(expected.graph.nodes) and len(scene.nodes) > 4 * top
    analysis = window.document.analysis
    assert analysis.ok and all(shape(scene, node_id) != "?" for node_id in scene.nodes
                               if scene.graph.nodes[node_id].type != "output")

    # the expansion width of one MBConv block: its depthwise convolution, norm and gate follow
    assert shape(scene, "stage4_1_depthwise") == "480×14×14"
    scene.editor.set_arg("stage4_1_expand_conv", "out_channels", 400)
    window.document.revalidate()
    assert window.document.analysis.ok
    for node_id in ("stage4_1_expand_conv", "stage4_1_expand_bn", "stage4_1_depthwise",
                    "stage4_1_depthwise_bn", "stage4_1_se_gate"):
        assert shape(scene, node_id) == "400×14×14", node_id
    assert shape(scene, "stage4_1_project") == "80×14×14"
    edge = next(item for e, item in scene.edge_items.items() if e.src == "stage4_1_depthwise")
    assert edge.label == "400×14×14"  # the shape on the connection too
    assert window.document.analysis.total_params != analysis.total_params


@pytest.mark.parametrize("name", ["vit_b_16", "efficientnet_b0"])
def test_every_block_opens_in_its_tab_with_shapes(window, name):
    open_template(window, name)
    for block_name in sorted(window.document.spec.blocks):
        window.open_block(block_name)
        block = window.canvases[block_name].scene()
        assert block.analysis is not None, block_name
        assert block.nodes and all(shape(block, node_id) != "?" for node_id in block.nodes), block_name
