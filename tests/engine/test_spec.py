"""Model spec: format round trips, validation with located issues, defaults, repeat/stack/blocks."""

import json

import pytest
import torch

from studio.engine.compiler import compile_spec
from studio.engine.errors import SpecError
from studio.engine.spec import Edge, ModelSpec, Node, Scope, analyze, dumps, load_spec, loads, save_spec
from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates import create_template, list_templates


def tiny_spec():
    b = SpecBuilder("tiny")
    x = b.input("image", [3, 8, 8])
    x = b.layer("conv1", "conv2d", x, out_channels=4)
    x = b.layer("flat", "flatten", x)
    x = b.layer("fc", "fully_connected", x, out_features=2)
    b.output("logits", x)
    return b.build()


@pytest.mark.parametrize("name", [t.name for t in list_templates()])
def test_templates_round_trip_byte_identical(tmp_path, name):
    spec = create_template(name)
    path = tmp_path / "spec.json"
    save_spec(spec, path)
    first = path.read_bytes()
    save_spec(load_spec(path), path)
    assert path.read_bytes() == first


def test_newer_format_is_refused_with_a_clear_message():
    data = json.loads(dumps(tiny_spec()))
    data["format"] = "studio.model/99"
    with pytest.raises(SpecError, match="newer Studio"):
        loads(json.dumps(data))


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON"),
    ('{"format": "keras"}', "not a Studio model spec"),
    ('[1, 2]', "JSON object"),
    ("[" * 100_000, "the spec is nested more than 64 levels deep"),
    ('{"format": "studio.model/1", "name": ' + "[" * 65 + "]" * 65 + "}", "more than 64 levels"),
    ('{"format": "studio.model/1", "name": 5}', "the model's 'name' must be text, not 5"),
    ('{"format": "studio.model/1", "nodes": [{"type": "input"}]}', "a node has no 'id'"),
    ('{"format": "studio.model/1", "nodes": [7]}', "a node must be a JSON object, not 7"),
    ('{"format": "studio.model/1", "blocks": {"b": {"help": 3}}}', "block 'b': 'help' must be text"),
])
def test_unreadable_documents_raise_spec_error(text, message):
    with pytest.raises(SpecError, match=message):
        loads(text)


def messages(spec):
    return {(issue.node, issue.message) for issue in analyze(spec).issues}


def test_validation_locates_each_kind_of_problem():
    spec = tiny_spec()
    spec.add_node(Node("mystery", "warp_drive"))
    spec.connect(Edge("conv1", "mystery"))
    spec.set_arg("conv1", "out_channels", -3)
    found = analyze(spec).issues
    by_node = {issue.node: issue.message for issue in found}
    assert "unknown layer type 'warp_drive'" in by_node["mystery"]
    assert "out_channels" in by_node["conv1"] and "at least 1" in by_node["conv1"]


def test_dangling_and_doubly_connected_ports():
    spec = tiny_spec()
    spec.add_node(Node("extra", "relu"))
    found = messages(spec)
    assert ("extra", "input 'x' is not connected") in found
    spec.connect(Edge("image", "extra"))
    spec.connect(Edge("conv1", "extra"))
    assert any(node == "extra" and "2 connections" in msg for node, msg in messages(spec))


def test_cycle_is_reported():
    b = SpecBuilder("loop")
    x = b.input("image", [4])
    a = b.layer("a", "add", [x, x])
    r = b.layer("r", "relu", a)
    b.output("out", r)
    spec = b.build()
    spec.disconnect(Edge("image", "a", "x1"))
    spec.connect(Edge("r", "a", "x1"))
    assert any("cycle" in msg for _, msg in messages(spec))


def test_shape_mismatch_names_both_shapes():
    b = SpecBuilder("mismatch")
    x = b.input("image", [3, 8, 8])
    a = b.layer("a", "conv2d", x, out_channels=4)
    c = b.layer("c", "conv2d", x, out_channels=5)
    s = b.layer("sum", "add", [a, c])
    b.output("out", s)
    issue = analyze(b.build()).issues[0]
    assert issue.node == "sum"
    assert "[5, 8, 8]" in issue.message and "[4, 8, 8]" in issue.message


def test_missing_output_is_reported():
    spec = ModelSpec("empty")
    spec.add_node(Node("image", "input", {"shape": [3]}))
    assert any(issue.node is None and "no output" in issue.message for issue in analyze(spec).issues)


def test_defaults_scope_and_override_provenance():
    b = SpecBuilder("scoped")
    b.defaults(["conv2d"], activation="relu", padding="valid")
    x = b.input("image", [3, 8, 8])
    x = b.layer("c1", "conv2d", x, out_channels=4)
    x = b.layer("c2", "conv2d", x, out_channels=4, padding="same")
    b.output("out", x)
    result = analyze(b.build())
    c1, c2 = result.nodes["c1"].args, result.nodes["c2"].args
    assert (c1["activation"].value, c1["activation"].source) == ("relu", "scope")
    assert c1["activation"].origin == "model defaults #1"
    assert (c2["padding"].value, c2["padding"].source) == ("same", "explicit")
    assert c1["stride"].source == "default"
    assert result.nodes["c1"].output_shape == (4, 6, 6)


def test_block_defaults_nest_inside_model_defaults():
    b = SpecBuilder("nested")
    b.defaults(["conv2d"], activation="relu", kernel_size=5)
    block = b.new_block("unit", width=8)
    block.defaults(["conv2d"], kernel_size=1)
    i = block.input("x")
    y = block.layer("conv", "conv2d", i, out_channels="$width")
    block.output("out", y)
    x = b.input("image", [3, 8, 8])
    x = b.block("u1", "unit", x, width=6)
    x = b.block("u2", "unit", x)
    b.output("out", x)
    spec = b.build()
    model = compile_spec(spec, device="cpu")
    assert model.u1.conv.kernel_size == (1, 1) and model.u1.conv.out_channels == 6
    assert model.u2.conv.out_channels == 8
    assert analyze(spec).nodes["u2"].output_shape == (8, 8, 8)


def test_repeat_and_stack_children_are_numbered():
    b = SpecBuilder("towers")
    x = b.input("image", [3, 8, 8])
    x = b.layer("conv3", "conv2d", x, out_channels=4, activation="relu", repeat=3)
    x = b.layer("flat", "flatten", x)
    x = b.layer("fc", "fully_connected", x, stack=[{"out_features": 32}, {"out_features": 64},
                                                   {"out_features": 128}])
    b.output("out", x)
    model = compile_spec(b.build(), device="cpu")
    keys = list(model.state_dict())
    assert keys[:6] == ["conv3.conv3_1.weight", "conv3.conv3_1.bias", "conv3.conv3_2.weight",
                        "conv3.conv3_2.bias", "conv3.conv3_3.weight", "conv3.conv3_3.bias"]
    assert model.fc.fc_3.out_features == 128 and model.fc.fc_2.in_features == 32
    assert model(torch.randn(2, 3, 8, 8)).shape == (2, 128)


def test_block_uses_have_their_own_weights_unless_shared():
    b = SpecBuilder("shared")
    x = b.input("image", [4])
    a = b.layer("a", "fully_connected", x, out_features=4)
    s = b.layer("b", "fully_connected", a, out_features=4, share="a")
    b.output("out", s)
    model = compile_spec(b.build(), device="cpu")
    assert list(model.state_dict()) == ["a.weight", "a.bias"]
    x = torch.randn(1, 4)
    expected = model.a(model.a(x))
    assert torch.allclose(model(x), expected)


def test_multiple_outputs_and_feature_taps():
    b = SpecBuilder("two_heads")
    x = b.input("image", [3, 8, 8])
    f = b.layer("features", "global_avg_pool", b.layer("conv", "conv2d", x, out_channels=4))
    b.output("scene", b.layer("scene_fc", "fully_connected", f, out_features=5))
    b.output("depth", b.layer("depth_fc", "fully_connected", f, out_features=1))
    model = compile_spec(b.build(), device="cpu")
    out = model(torch.randn(2, 3, 8, 8))
    assert set(out) == {"scene", "depth"} and out["scene"].shape == (2, 5)
    taps = model.forward_nodes(torch.randn(2, 3, 8, 8), nodes=["features"])
    assert taps["features"].shape == (2, 4)


def test_edits_emit_events_and_rename_rewires():
    spec = tiny_spec()
    events = []
    spec.subscribe(events.append)
    spec.rename_node("conv1", "stem")
    spec.set_arg("stem", "out_channels", 8)
    spec.move_node("stem", (10, 20))
    spec.set_defaults([Scope(["conv2d"], {"activation": "relu"})])
    assert [e.kind for e in events] == ["node_renamed", "node_changed", "node_moved", "defaults_changed"]
    assert Edge("image", "stem") in spec.edges
    model = compile_spec(spec, device="cpu")
    assert "stem.weight" in model.state_dict()
    node, removed = spec.remove_node("stem")
    assert len(removed) == 2 and events[-1].kind == "node_removed"


def test_regularization_loss_follows_layer_strengths():
    b = SpecBuilder("reg")
    x = b.input("image", [4])
    x = b.layer("fc", "fully_connected", x, out_features=3, l2=0.1, l1=0.01)
    b.output("out", x)
    model = compile_spec(b.build(), device="cpu")
    w = model.fc.weight
    expected = 0.01 * w.abs().sum() + 0.5 * 0.1 * w.pow(2).sum()
    assert torch.allclose(model.regularization_loss(), expected)


def test_shared_weights_need_the_owners_input_shape():
    b = SpecBuilder("bad_share")
    x = b.input("image", [4])
    a = b.layer("a", "fully_connected", x, out_features=3)
    s = b.layer("b", "fully_connected", a, out_features=3, share="a")
    b.output("out", s)
    issue = analyze(b.build()).issues[0]
    assert issue.node == "b" and "[4]" in issue.message and "[3]" in issue.message


def test_a_block_can_take_the_block_it_uses_as_a_parameter():
    b = SpecBuilder("higher_order")
    plain = b.new_block("plain")
    plain.output("out", plain.input("x"))
    doubled = b.new_block("doubled")
    i = doubled.input("x")
    doubled.output("out", doubled.layer("sum", "add", [i, i]))
    outer = b.new_block("outer", inner="plain")
    outer.output("out", outer.block("body", "$inner", outer.input("x")))
    x = b.input("image", [2])
    b.output("out", b.block("b", "outer", b.block("a", "outer", x), inner="doubled"))
    spec = b.build()
    model = compile_spec(spec, device="cpu")
    x = torch.tensor([[1.0, 2.0]])
    assert torch.equal(model(x), 2 * x)
    assert model.b.body.block_name == "doubled" and model.b.block_args == {"inner": "doubled"}
    spec.blocks["outer"].graph.nodes["body"].args["block"] = "$missing"
    assert any("$missing" in issue.message for issue in analyze(spec).issues)


def test_argument_issues_name_the_argument():
    spec = tiny_spec()
    spec.set_arg("conv1", "out_channels", 0)
    spec.set_arg("fc", "colour", "red")
    issues = {issue.node: issue for issue in analyze(spec).issues}
    assert issues["conv1"].arg == "out_channels"
    assert issues["fc"].arg == "colour" and "no argument 'colour'" in issues["fc"].message


def test_renaming_on_the_canvas_and_reading_a_file_give_the_same_sentence():
    """One id rule: the edit methods (the canvas's rename, paste, grouping) and the reader agree."""
    spec = tiny_spec()
    with pytest.raises(SpecError) as renamed:
        spec.rename_node("conv1", "forward")
    data = json.loads(dumps(tiny_spec()))
    data["nodes"][1]["id"] = "forward"
    data["edges"] = [e | {"src": "forward"} if e["src"] == "conv1" else
                     e | {"dst": "forward"} if e["dst"] == "conv1" else e for e in data["edges"]]
    with pytest.raises(SpecError) as read:
        loads(json.dumps(data))
    assert str(renamed.value) == str(read.value) == (
        "'forward' is not a valid node id: it is a name nn.Module uses; choose another name")
    for bad in ("2x", "a b", "é", "x\n", "None", "__x", "cuda", "training", "input_ids"):
        with pytest.raises(SpecError, match="is not a valid node id"):
            spec.rename_node("conv1", bad)
    assert list(spec.nodes) == ["image", "conv1", "flat", "fc", "logits"]
    spec.rename_node("conv1", "_conv1x")  # a single leading underscore is a fine id
    assert compile_spec(spec, device="meta").state_dict().keys() >= {"_conv1x.weight"}


def test_block_names_and_parameters_keep_the_rule_in_memory_too():
    from studio.engine.spec.model import BlockDef, Graph, check_names

    spec = tiny_spec()
    with pytest.raises(SpecError, match="^'eval' is not a valid block name"):
        spec.add_block(BlockDef("eval", {}, Graph()))
    with pytest.raises(SpecError, match=r"^'type' is not a valid block parameter \(block 'ok'\)"):
        spec.add_block(BlockDef("ok", {"type": 1}, Graph()))
    check_names(spec)
    spec.graph.nodes["conv1"].share = "a.b"  # past the edit methods
    with pytest.raises(SpecError, match="^'a.b' is not a valid weight-sharing target of node 'conv1'"):
        check_names(spec)
