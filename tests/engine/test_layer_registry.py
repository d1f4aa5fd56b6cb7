"""The layer and template registries: one home for each layer type's facts, names taken once."""

import re
import subprocess
import sys

import pytest
import torch
from torch import nn

from studio.engine.codegen import generate_source
from studio.engine.compiler import compile_spec
from studio.engine.layers import all_layers, get_layer, registry
from studio.engine.layers.common import ACTIVATIONS
from studio.engine.layers.registry import LayerType, Param, register
from studio.engine.projector.layer import embedding_layer
from studio.engine.spec import analyze
from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.edits import fresh_id
from studio.engine.spec.model import Graph, id_problem
from studio.engine.templates import create_template, list_templates, template


def _same_shape(args, inputs):
    return inputs["x"]


def _scale_layer(name="scale", **facts):
    """A small layer type of the kind one file adds: multiplies its input by a constant."""
    facts = {"category": "Shape", **facts}
    return LayerType(name=name, help="Multiplies by a constant.",
                     params=(Param("factor", "float", 2.0, "The constant."),), shape=_same_shape,
                     build=lambda args, inputs: _Scale(args["factor"]), **facts)


class _Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


@pytest.fixture
def scratch_registry(monkeypatch):
    """The built-in layers, in a copy of the registry that a test may add to."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_a_layer_name_is_registered_once():
    conv = get_layer("conv2d")
    with pytest.raises(ValueError, match="'conv2d'.*already registered"):
        register(_scale_layer("conv2d"))
    assert get_layer("conv2d") is conv


def test_a_template_name_is_registered_once():
    before = [t.name for t in list_templates()]
    with pytest.raises(ValueError, match="'small_cnn'.*already registered"):
        template(name="small_cnn", help="another", input_shape=(1, 8, 8))(lambda **kw: None)
    assert [t.name for t in list_templates()] == before
    assert create_template("small_cnn").graph.nodes["conv1"].type == "conv2d"


@pytest.mark.parametrize("facts, problem", [
    ({"stem": "2conv"}, "not an identifier"), ({"shown": ("facter",)}, "not among its parameters"),
    ({"category": "Convolutions"}, "unknown category")])
def test_a_layer_with_wrong_facts_is_refused(scratch_registry, facts, problem):
    with pytest.raises(ValueError, match=problem):
        register(_scale_layer(**facts))
    assert get_layer("scale") is None


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: layer.name)
def test_every_layer_type_has_its_facts(layer):
    assert id_problem(fresh_id(Graph(), layer.name)) is None
    assert fresh_id(Graph(), layer.name) == f"{layer.stem}1"
    assert set(layer.shown) <= {param.name for param in layer.params}
    assert re.fullmatch("#[0-9a-f]{6}", layer.color)
    assert layer.help and layer.display_name


@pytest.mark.parametrize("pass_through, embedding", [(True, "fc1"), (False, "scale1")])
def test_the_embedding_layer_steps_back_over_pass_through_layers(scratch_registry, pass_through,
                                                                  embedding):
    register(_scale_layer(pass_through=pass_through))
    b = SpecBuilder("embed")
    x = b.layer("fc1", "fully_connected", b.input("image", [6]), out_features=4)
    x = b.layer("scale1", "scale", b.layer("drop", "dropout", x))
    b.output("logits", b.layer("fc2", "fully_connected", x, out_features=2))
    assert embedding_layer(b.build()) == embedding


def _conv_model(activation: str, repeat: int = 1):
    b = SpecBuilder("act")
    x = b.input("image", [2, 5, 5])
    x = b.layer("conv1", "conv2d", x, out_channels=3, activation=activation, repeat=repeat)
    b.output("out", x)
    return b.build()


def test_the_activation_table_is_the_one_every_layer_offers():
    offered = {layer.param("activation").choices for layer in all_layers() if layer.param("activation")}
    assert offered == {("none", *ACTIVATIONS)}
    for name in ACTIVATIONS:  # the activation layer of the same name is the table's module
        if get_layer(name) is not None and not get_layer(name).params:
            assert type(compile_spec(_activation_layer(name), device="cpu").layer) is type(
                ACTIVATIONS[name].module())


def _activation_layer(name: str):
    b = SpecBuilder("only")
    b.output("out", b.layer("layer", name, b.input("image", [4])))
    return b.build()


@pytest.mark.parametrize("activation", get_layer("conv2d").param("activation").choices)
def test_every_offered_activation_compiles_and_prints(activation):
    x = torch.randn(2, 2, 5, 5)
    torch.manual_seed(0)
    plain = compile_spec(_conv_model("none"), device="cpu")
    expected = plain(x)
    if activation != "none":
        expected = ACTIVATIONS[activation].function(expected)
    for repeat in (1, 2):  # after the layer (post) and as a module between repeated layers
        assert analyze(_conv_model(activation, repeat)).ok
        torch.manual_seed(0)
        model = compile_spec(_conv_model(activation, repeat), device="cpu")
        if repeat == 1:
            assert torch.allclose(model(x), expected)
    code = generate_source(_conv_model(activation))
    if activation != "none":
        assert ACTIVATIONS[activation].code.format(x="self.conv1(image)") in code


def test_a_layer_added_by_one_registration_is_offered_compiled_and_named(scratch_registry):
    register(_scale_layer(stem="sc", shown=("factor",)))
    assert get_layer("scale") in all_layers()  # what the palette lists, under its category
    b = SpecBuilder("uses_scale")
    x = b.input("image", [3])
    node_id = fresh_id(b.spec.graph, "scale")
    x = b.layer(node_id, "scale", x, factor=3.0)
    b.output("out", x)
    spec = b.build()
    assert node_id == "sc1"
    assert analyze(spec).nodes["sc1"].output_shape == (3,)
    model = compile_spec(spec, device="cpu")
    assert torch.equal(model(torch.ones(1, 3)), torch.full((1, 3), 3.0))


def test_the_built_in_layers_are_there_whatever_registers_first():
    code = ("from studio.engine.layers.registry import LayerType, all_layers, get_layer, register\n"
            "register(LayerType(name='first', category='Shape', help='h', shape=lambda a, i: i['x'], "
            "build=None))\n"
            "print(get_layer('conv2d') is not None, len(all_layers()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found, count = done.stdout.split()
    assert found == "True" and int(count) == len(all_layers()) + 1
