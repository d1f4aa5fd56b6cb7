"""Every registered layer: shape inference equals a real forward pass, schema is well-formed."""

import pytest
import torch

from studio.engine.checkpoints.code_bundle import script_generated
from studio.engine.compiler import compile_spec
from studio.engine.layers import CATEGORIES, all_layers, get_layer
from studio.engine.spec import analyze
from studio.engine.spec.builder import SpecBuilder

# A per-sample input shape (and input dtype) each layer accepts. A new layer must add a line.
SAMPLE_INPUTS = {
    "conv2d": [3, 11, 9], "conv2d_transpose": [3, 5, 6], "depthwise_conv2d": [3, 11, 9],
    "separable_conv2d": [3, 11, 9], "conv2d_in_plane": [3, 11, 9], "max_pool2d": [3, 11, 9],
    "avg_pool2d": [3, 11, 9], "global_avg_pool": [3, 7, 5], "global_max_pool": [3, 7, 5],
    "adaptive_avg_pool2d": [3, 11, 9], "fully_connected": [17], "bias_add": [4, 5, 5],
    "layer_scale": [4, 5, 5],
    "batch_norm": [4, 5, 5], "unit_norm": [6], "relu": [4, 3], "relu6": [4, 3], "gelu": [4, 3],
    "sigmoid": [4, 3], "tanh": [4, 3], "leaky_relu": [4, 3], "elu": [4, 3], "softmax": [7],
    "add": [4, 3, 3], "multiply": [4, 3, 3], "concat": [4, 3, 3], "flatten": [2, 3, 4],
    "reshape": [2, 3], "one_hot_encoding": [5], "dropout": [8],
    "layer_norm": [5, 6], "group_norm": [32, 3, 3], "silu": [4, 3], "hardswish": [4, 3],
    "hardsigmoid": [4, 3], "prelu": [4, 3], "identity": [4, 3], "squeeze_excitation": [8, 5, 4],
    "stochastic_depth": [4, 3], "upsample": [3, 4, 5], "pad": [3, 4, 5], "permute": [2, 3, 4],
    "transpose": [3, 4], "channel_shuffle": [6, 2, 3], "select": [5, 4], "adaptive_max_pool2d": [3, 8, 7],
    "multi_head_attention": [5, 16], "patch_embedding": [3, 8, 12], "class_token": [5, 6],
    "position_embedding": [5, 6], "dropout2d": [4, 3, 3],
}
NOT_STANDALONE = {"input", "output", "block"}
ARG_OVERRIDES = {"reshape": {"shape": [3, 2]}, "one_hot_encoding": {"num_classes": 4},
                 "patch_embedding": {"embed_dim": 8, "patch_size": 4}}


def single_layer_spec(layer_name):
    b = SpecBuilder(f"only_{layer_name}")
    layer = get_layer(layer_name)
    shape = SAMPLE_INPUTS[layer_name]
    ports = layer.ports({})
    sources = [b.input(f"in{i}", shape) for i in range(max(1, len(ports)))]
    x = b.layer("layer", layer_name, sources if len(ports) > 1 else sources[0],
                **ARG_OVERRIDES.get(layer_name, {}))
    b.output("out", x)
    return b.build()


def test_every_layer_has_a_sample_input():
    missing = {layer.name for layer in all_layers()} - NOT_STANDALONE - set(SAMPLE_INPUTS)
    assert not missing, f"add sample inputs for {missing}"


@pytest.mark.parametrize("name", sorted(SAMPLE_INPUTS))
def test_inferred_shape_matches_forward(name):
    spec = single_layer_spec(name)
    result = analyze(spec)
    assert result.ok, result.issues
    model = compile_spec(spec, device="cpu").eval()
    out = model(*_sample_inputs(spec, name))
    assert tuple(out.shape[1:]) == result.nodes["layer"].output_shape
    assert result.nodes["layer"].params == sum(p.numel() for p in model.parameters())


def _sample_inputs(spec, name):
    return [torch.randint(0, 4, (2, *node.args["shape"])) if name == "one_hot_encoding"
            else torch.randn(2, *node.args["shape"]) for node in spec.input_nodes()]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script's deprecation notice
@pytest.mark.parametrize("name", sorted(SAMPLE_INPUTS))
def test_every_layer_scripts_with_torchscript(name):
    """The scripted TorchScript export compiles the generated source of every layer."""
    torch.manual_seed(0)
    spec = single_layer_spec(name)
    model = compile_spec(spec, device="cpu").eval()
    scripted = script_generated(spec, model.state_dict())
    inputs = _sample_inputs(spec, name)
    torch.testing.assert_close(scripted(*inputs), model(*inputs))


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_schema_is_well_formed(layer):
    assert layer.category in CATEGORIES
    assert layer.help
    for param in layer.params:
        assert param.help, f"{layer.name}.{param.name} has no help text"
        assert param.check(param.default) is None, f"{layer.name}.{param.name} default is invalid"


def test_param_checks_give_clear_messages():
    conv = get_layer("conv2d")
    assert "at least 1" in conv.param("out_channels").check(0)
    assert "whole number" in conv.param("out_channels").check(2.5)
    assert "one of" in conv.param("activation").check("swish")
    assert conv.param("padding").check("same") is None
    assert conv.param("kernel_size").check([3, 5]) is None
    assert "1 or 2 values" in conv.param("kernel_size").check([3, 5, 7])


def test_even_kernel_same_padding_with_stride_is_refused_clearly():
    b = SpecBuilder("bad")
    x = b.input("image", [3, 8, 8])
    x = b.layer("conv", "conv2d", x, kernel_size=2, stride=2, padding="same")
    b.output("out", x)
    issues = analyze(b.build()).issues
    assert issues and issues[0].node == "conv" and "even kernel" in issues[0].message


@pytest.mark.parametrize("stride,message", [(1, "odd pooling window"), (None, "even kernel")])
def test_even_pooling_window_with_same_padding_is_refused_clearly(stride, message):
    b = SpecBuilder("bad_pool")
    x = b.input("image", [3, 8, 8])
    x = b.layer("pool", "max_pool2d", x, kernel_size=2, stride=stride, padding="same")
    b.output("out", x)
    issues = analyze(b.build()).issues
    assert issues and issues[0].node == "pool" and message in issues[0].message
