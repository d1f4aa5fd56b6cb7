"""Group into block, ungroup and unroll: pure graph surgery, checked by compiling the result."""

import pytest
import torch

from studio.engine.compiler import compile_spec
from studio.engine.errors import SpecError
from studio.engine.spec.analysis import analyze
from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.edits import apply_ops
from studio.engine.spec.grouping import expand_all, group_ops, ungroup_ops, unroll_ops


def residual_spec():
    b = SpecBuilder("res")
    b.defaults(["conv2d"], kernel_size=3, padding="same", activation="relu")
    x = b.input("image", [2, 8, 8])
    x = b.layer("stem", "conv2d", x, out_channels=4)
    a = b.layer("conv_a", "conv2d", x, out_channels=4)
    c = b.layer("conv_b", "conv2d", a, out_channels=4, activation="none")
    s = b.layer("sum", "add", [c, x])
    g = b.layer("gap", "global_avg_pool", s)
    b.output("logits", b.layer("fc", "fully_connected", g, out_features=3))
    return b.build()


def outputs_with_same_weights(before, after, rename, channels=2):
    torch.manual_seed(0)
    m1, m2 = compile_spec(before).eval(), compile_spec(after).eval()
    state = {rename(key): value for key, value in m1.state_dict().items()}
    m2.load_state_dict(state, strict=True)
    x = torch.randn(2, channels, 8, 8)
    return m1(x), m2(x)


def test_group_makes_a_block_with_the_same_function():
    spec = residual_spec()
    grouped = spec.copy()
    ops, use = group_ops(grouped, ["conv_a", "conv_b", "sum"], "resblock")
    apply_ops(grouped, ops)
    assert use == "resblock"
    assert set(grouped.nodes) == {"image", "stem", "resblock", "gap", "fc", "logits"}
    assert grouped.blocks["resblock"].input_ids == ["x"]
    assert analyze(grouped).ok
    moved = {"conv_a", "conv_b"}

    def rename(key):
        return f"resblock.{key}" if key.split(".")[0] in moved else key

    a, b = outputs_with_same_weights(spec, grouped, rename)
    torch.testing.assert_close(a, b)


def test_group_two_sources_become_two_inputs_and_ungroup_restores():
    spec = residual_spec()
    ops, use = group_ops(spec, ["sum", "gap"], "merge")
    apply_ops(spec, ops)
    assert spec.blocks["merge"].input_ids == ["x1", "x2"]
    assert analyze(spec).ok
    ops, new_ids = ungroup_ops(spec, use)
    apply_ops(spec, ops)
    assert sorted(new_ids) == ["merge_gap", "merge_sum"]
    assert analyze(spec).ok
    assert analyze(spec).total_params == analyze(residual_spec()).total_params


def test_group_refuses_two_outputs_inputs_and_clashes():
    spec = residual_spec()
    with pytest.raises(SpecError, match="one output"):
        group_ops(spec, ["stem", "conv_a"], "two")  # stem also feeds sum
    with pytest.raises(SpecError, match="input of the graph"):
        group_ops(spec, ["image", "stem"], "with_input")
    with pytest.raises(SpecError, match="no node"):
        group_ops(spec, ["nope"], "x")
    with pytest.raises(SpecError, match="not a valid"):
        group_ops(spec, ["conv_a"], "1bad")


def test_ungroup_writes_block_parameters_and_defaults_into_the_layers():
    b = SpecBuilder("blocks")
    blk = b.new_block("unit", channels=8)
    blk.defaults(["conv2d"], kernel_size=1, activation="relu")
    y = blk.input("x")
    blk.output("out", blk.layer("conv", "conv2d", y, out_channels="$channels"))
    x = b.input("image", [3, 8, 8])
    x = b.block("u1", "unit", x, channels=5)
    b.output("logits", b.layer("gap", "global_avg_pool", x))
    spec = b.build()
    before = spec.copy()
    ops, ids = ungroup_ops(spec, "u1")
    apply_ops(spec, ops)
    assert ids == ["u1_conv"]
    assert spec.nodes["u1_conv"].args == {"out_channels": 5, "kernel_size": 1, "activation": "relu"}
    a, b2 = outputs_with_same_weights(before, spec, lambda key: key.replace("u1.conv", "u1_conv"),
                                      channels=3)
    torch.testing.assert_close(a, b2)


def test_unroll_repeat_and_stack_keep_parameter_count():
    b = SpecBuilder("rep")
    x = b.input("image", [3, 8, 8])
    x = b.layer("conv", "conv2d", x, out_channels=4, repeat=3, padding="same")
    x = b.layer("fc", "fully_connected", b.layer("flat", "flatten", x), stack=[{"out_features": 6},
                                                                              {"out_features": 2}])
    b.output("logits", x)
    spec = b.build()
    total = analyze(spec).total_params
    for node_id in ("conv", "fc"):
        ops, ids = unroll_ops(spec, node_id)
        apply_ops(spec, ops)
    assert {"conv_1", "conv_2", "conv_3", "fc_1", "fc_2"} <= set(spec.nodes)
    assert analyze(spec).ok and analyze(spec).total_params == total
    with pytest.raises(SpecError, match="neither repeated"):
        unroll_ops(spec, "conv_1")


def test_expand_all_gives_one_node_per_layer():
    spec = residual_spec()
    ops, _ = group_ops(spec, ["conv_a", "conv_b", "sum"], "resblock")
    apply_ops(spec, ops)
    spec.set_node_field("resblock", "repeat", 2)
    expanded = expand_all(spec)
    assert not any(n.type == "block" or n.repeat != 1 for n in expanded.nodes.values())
    assert analyze(expanded).total_params == analyze(spec).total_params
