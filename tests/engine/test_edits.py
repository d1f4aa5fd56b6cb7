"""Primitive edits, connection checks, copy/paste fragments, insert on an edge, block analysis."""

import json

import pytest

from studio.engine.errors import SpecError
from studio.engine.spec.analysis import analyze
from studio.engine.spec.block_analysis import analyze_block
from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.edits import (
    AddNode,
    apply_ops,
    connection_problem,
    extract_fragment,
    fragment_from_text,
    fresh_id,
    insert_on_edge_ops,
    paste_ops,
    template_fragment,
)
from studio.engine.spec.grouping import group_ops
from studio.engine.spec.model import BlockDef, Edge, Graph, ModelSpec, Node
from studio.engine.templates import create_template


def chain():
    b = SpecBuilder("chain")
    x = b.input("image", [1, 8, 8])
    x = b.layer("conv1", "conv2d", x, out_channels=4, padding="same")
    x = b.layer("flat", "flatten", x)
    b.output("logits", b.layer("fc1", "fully_connected", x, out_features=3))
    return b.build()


def test_connection_problems_are_sentences():
    spec = chain()
    spec.add_node(Node("sum", "add"))
    assert connection_problem(spec, Edge("conv1", "conv1")) == "a layer cannot feed itself"
    assert "output node" in connection_problem(spec, Edge("logits", "sum", "x0"))
    assert "already fed by 'conv1'" in connection_problem(spec, Edge("image", "flat"))
    assert "has no input 'x'" in connection_problem(spec, Edge("conv1", "sum"))
    assert "takes no inputs" in connection_problem(spec, Edge("conv1", "image"))
    assert connection_problem(spec, Edge("fc1", "sum", "x0")) is None
    spec.connect(Edge("fc1", "sum", "x0"))
    assert "already fed by 'image'" in connection_problem(spec, Edge("sum", "conv1"))
    spec.disconnect(Edge("image", "conv1"))
    assert "would make a loop" in connection_problem(spec, Edge("sum", "conv1"))
    assert connection_problem(spec, Edge("image", "sum", "x1")) is None


def test_fresh_ids_are_readable():
    spec = chain()
    assert fresh_id(spec.graph, "conv2d") == "conv2"
    assert fresh_id(spec.graph, "fully_connected") == "fc2"
    assert fresh_id(spec.graph, "dropout") == "dropout1"


def test_copy_paste_gives_fresh_ids_and_inner_edges():
    spec = chain()
    fragment = fragment_from_text(json.dumps(extract_fragment(spec, ["conv1", "flat"])))
    ops, ids = paste_ops(spec, fragment)
    apply_ops(spec, ops)
    assert ids == ["conv1_1", "flat_1"]
    assert Edge("conv1_1", "flat_1") in spec.edges
    assert spec.nodes["conv1_1"].pos == (spec.nodes["conv1"].pos[0] + 40, spec.nodes["conv1"].pos[1] + 40)
    ops, ids = paste_ops(spec, fragment)
    assert ids == ["conv1_2", "flat_2"]
    with pytest.raises(SpecError, match="clipboard"):
        fragment_from_text("hello")


def test_paste_brings_blocks_and_renames_a_different_one():
    source = create_template("small_cnn")
    ops, use = group_ops(source, ["conv1", "pool1"], "stage")
    apply_ops(source, ops)
    fragment = extract_fragment(source, [use])
    target = chain()
    ops, ids = paste_ops(target, fragment)
    apply_ops(target, ops)
    assert "stage" in target.blocks
    target.blocks["stage"].params["changed"] = 1
    ops, ids = paste_ops(target, fragment)
    apply_ops(target, ops)
    assert target.nodes[ids[0]].args["block"] == "stage_2"


def test_insert_on_edge_splits_the_connection():
    spec = chain()
    ops = insert_on_edge_ops(spec, Edge("conv1", "flat"), Node("bn1", "batch_norm"))
    apply_ops(spec, ops)
    assert Edge("conv1", "bn1") in spec.edges and Edge("bn1", "flat") in spec.edges
    assert Edge("conv1", "flat") not in spec.edges
    assert analyze(spec).ok
    with pytest.raises(SpecError, match="cannot be placed"):
        insert_on_edge_ops(spec, Edge("bn1", "flat"), Node("inp", "input"))


def test_template_fragment_inlines_model_defaults():
    target = ModelSpec("empty")
    ops, ids = paste_ops(target, template_fragment(create_template("small_cnn")), offset=(0, 0))
    apply_ops(target, ops)
    assert target.nodes["conv1"].args["kernel_size"] == 3
    assert target.nodes["conv1"].args["activation"] == "relu"
    assert analyze(target).total_params == analyze(create_template("small_cnn")).total_params
    assert isinstance(ops[0], AddNode)


def test_block_analysis_shows_shapes_through_the_first_use():
    b = SpecBuilder("blocks")
    outer = b.new_block("outer", c=6)
    y = outer.input("x")
    outer.output("out", outer.block("inner_use", "inner", y, c="$c"))
    inner = b.new_block("inner", c=4)
    z = inner.input("x")
    inner.output("out", inner.layer("conv", "conv2d", z, out_channels="$c", padding="same"))
    x = b.input("image", [3, 10, 10])
    x = b.block("o1", "outer", x, c=7)
    b.output("logits", x)
    spec = b.build()
    assert analyze(spec).ok
    inner_view = analyze_block(spec, "inner")
    assert inner_view.nodes["conv"].output_shape == (7, 10, 10)
    assert analyze_block(spec, "outer").nodes["inner_use"].output_shape == (7, 10, 10)
    spec.remove_node("o1")
    assert analyze_block(spec, "inner") is None


def test_block_users_are_found_in_the_model_blocks_and_parameters():
    from studio.engine.spec.edits import block_users

    spec = create_template("resnet18")
    assert block_users(spec, "basic_block")[:2] == ["layer1_1", "layer1_2"]
    assert "basic_block (parameter downsample)" in block_users(spec, "identity")
    assert "layer2_1 (downsample)" in block_users(spec, "projection")
    spec.add_block(BlockDef("spare", {}, Graph()))
    assert block_users(spec, "spare") == []


def test_block_analysis_names_where_inherited_values_come_from():
    spec = create_template("resnet18")
    conv2 = analyze_block(spec, "basic_block").nodes["conv2"].args
    assert conv2["kernel_size"].origin == "block basic_block defaults #1"
    assert conv2["out_channels"].value == 64  # "$channels" bound by the first use
