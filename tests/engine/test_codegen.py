"""Code export: the generated source runs on its own, has the compiled model's state_dict keys and,
given the compiled weights, computes the same outputs."""

import ast
import subprocess
import sys

import pytest
import torch

from studio.engine.codegen import generate_source
from studio.engine.compiler import compile_spec
from studio.engine.errors import SpecError
from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates import create_template, list_templates
from tests.engine.test_layers import SAMPLE_INPUTS, single_layer_spec
from tests.engine.test_templates import SMALL_INPUTS

BIG = {"alexnet", "vgg16"}  # compared on the meta device only (keys and shapes)


def load_net(source: str) -> type:
    """Execute the generated module in a fresh namespace and return its Net class."""
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "generated_net.py", "exec"), namespace)
    return namespace["Net"]


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def assert_same_model(spec, inputs):
    """Generated Net loads the compiled weights strictly and gives identical outputs (eval mode)."""
    torch.manual_seed(0)
    compiled = compile_spec(spec, device="cpu").eval()
    net = load_net(generate_source(spec))().eval()
    assert list(net.state_dict()) == list(compiled.state_dict())
    net.load_state_dict(compiled.state_dict(), strict=True)
    with torch.no_grad():
        expected, actual = compiled(*inputs), net(*inputs)
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for name in expected:
            assert torch.equal(actual[name], expected[name]), name
    else:
        assert torch.equal(actual, expected)


@pytest.mark.parametrize("name", [t.name for t in list_templates()])
def test_every_template_exports_equivalent_code(name):
    spec = create_template(name, num_classes=5, input_shape=SMALL_INPUTS[name])
    source = generate_source(spec)
    assert imported_modules(source) <= {"collections", "torch", "torch.nn", "torch.nn.functional"}
    if name in BIG:
        with torch.device("meta"):
            net = load_net(source)()
        compiled = compile_spec(spec, device="meta")
        assert ({k: t.shape for k, t in net.state_dict().items()}
                == {k: t.shape for k, t in compiled.state_dict().items()})
        return
    assert_same_model(spec, [torch.randn(2, *SMALL_INPUTS[name])])


@pytest.mark.parametrize("name", sorted(SAMPLE_INPUTS))
def test_every_layer_exports_equivalent_code(name):
    spec = single_layer_spec(name)
    make = (lambda s: torch.randint(0, 4, s)) if name == "one_hot_encoding" else torch.randn
    assert_same_model(spec, [make((2, *node.args["shape"])) for node in spec.input_nodes()])


def feature_spec():
    """Blocks (nested, chosen by a parameter, repeated), repeat, stack, share, merges, activations,
    custom modules, two inputs, two outputs, and node ids that clash with names the generated code uses."""
    b = SpecBuilder("features")
    b.defaults(["conv2d"], padding="same")
    short = b.new_block("short", width=4)
    short.output("out", short.input("x"))
    proj = b.new_block("proj", width=4)
    proj.output("out", proj.layer("conv", "conv2d", proj.input("x"), out_channels="$width", kernel_size=1))
    unit = b.new_block("unit", width=4, skip="short")
    unit.defaults(["conv2d"], activation="relu6")
    i = unit.input("x")
    y = unit.layer("conv", "conv2d", i, out_channels="$width", kernel_size=3)
    y = unit.layer("bn", "batch_norm", y, activation="elu")
    s = unit.block("skip", "$skip", i, width="$width")
    unit.output("out", unit.layer("sum", "add", [y, s]))

    image = b.input("image", [3, 8, 8])
    extra = b.input("extra", [6])
    x = b.layer("stem", "conv2d", image, out_channels=4, activation="relu", repeat=2)
    x = b.block("u1", "unit", x, width=6, skip="proj")
    x = b.block("units", "unit", x, width=6, repeat=2)
    x = b.layer("F", "separable_conv2d", x, out_channels=6, activation="leaky_relu")
    x = b.layer("self", "conv2d_in_plane", x, kernel_size=3, activation="sigmoid")
    t = b.layer("tower", "conv2d", x, stack=[{"out_channels": 5},
                                             {"out_channels": 6, "activation": "tanh"}])
    m = b.layer("gate", "multiply", [t, x])
    c = b.layer("cat", "concat", [m, x, t])
    f = b.layer("pool", "global_avg_pool", c)
    f = b.layer("bias", "bias_add", f, activation="gelu")
    f = b.layer("both", "concat", [f, extra])
    h = b.layer("hidden", "fully_connected", f, out_features=6)
    h2 = b.layer("again", "fully_connected", f, out_features=6, share="hidden", activation="relu")
    b.output("scene", b.layer("scene_fc", "fully_connected", h2, out_features=3))
    b.output("norm", b.layer("unit_norm", "unit_norm", b.layer("shape", "reshape", h, shape=[2, 3]), dim=1))
    return b.build()


def test_blocks_repeat_stack_share_and_two_outputs_export_equivalent_code():
    spec = feature_spec()
    assert_same_model(spec, [torch.randn(2, 3, 8, 8), torch.randn(2, 6)])
    source = generate_source(spec)
    assert "self.self = InPlaneConv2d(" in source and "self_ = torch.sigmoid(self.self(F_))" in source
    assert "F_ = F.leaky_relu(self.F(" in source
    assert "again = F.relu(self.hidden(both))" in source  # shared weights call the owner
    assert "('stem_1_relu', nn.ReLU())" in source
    assert "return {'scene': scene_fc, 'norm': unit_norm}" in source
    assert "class Unit(nn.Module)" in source and "class Unit2(nn.Module)" in source
    assert "class SeparableConv2d(nn.Module)" in source and "class OneHot" not in source


def test_generated_file_runs_standalone(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(generate_source(create_template("lenet5")))
    script = ("import sys, torch; sys.path.insert(0, sys.argv[1]); import net; "
              "m = net.Net().eval(); print(tuple(m(torch.zeros(1, 1, 32, 32)).shape)); "
              "print(sorted(k.split('.')[0] for k in sys.modules if k.split('.')[0] == 'studio'))")
    result = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path)], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(1,", "10)", "[]"]


def test_a_broken_spec_raises_a_spec_error():
    spec = create_template("small_cnn")
    spec.set_arg("conv1", "out_channels", 0)
    with pytest.raises(SpecError, match="out_channels"):
        generate_source(spec)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script's deprecation notice
def test_block_class_names_never_shadow_python_or_the_generated_code():
    """Block names whose class names would be a keyword, an import, a builtin or a copied module."""
    b = SpecBuilder("awkward")
    names = ["none", "true", "f", "ordered_dict", "value_error", "net", "separable_conv2d", "torch", "x__y"]
    for name in names:
        block = b.new_block(name)
        block.output("out", block.layer("conv", "conv2d", block.input("x"), out_channels=2, kernel_size=1))
    x = b.input("image", [2, 4, 4])
    for index, name in enumerate(names):
        x = b.block(f"use{index}", name, x)
    b.output("logits", b.layer("sep", "separable_conv2d", x, out_channels=2, activation="relu"))
    spec = b.build()
    assert_same_model(spec, [torch.randn(2, 2, 4, 4)])
    source = generate_source(spec)
    for expected in ("class NoneBlock(", "class TrueBlock(", "class FBlock(", "class OrderedDictBlock(",
                     "class ValueErrorBlock(", "class Net2(", "class SeparableConv2d2(", "class Torch(",
                     "class XY(", "class Net(nn.Module)", "class SeparableConv2d(nn.Module)"):
        assert expected in source, expected
    from studio.engine.checkpoints.code_bundle import script_generated

    compiled = compile_spec(spec, device="cpu").eval()
    scripted = script_generated(spec, compiled.state_dict())
    inputs = torch.randn(1, 2, 4, 4)
    with torch.no_grad():
        assert torch.equal(scripted(inputs), compiled(inputs))


def test_docstring_text_and_literals_are_escaped():
    from studio.engine.codegen import _literal, doc_text

    for text in ['"""', "a\\", "\\", 'x"', "a\nb\r\x00", "\u202e\u200b", "é\U0001f600", "'''"]:
        escaped = doc_text(text)
        assert all(" " <= char <= "~" for char in escaped) and '"""' not in escaped.replace('\\"', "")
        namespace: dict = {}
        exec(f'"""{escaped}"""\nvalue = __doc__', namespace)  # running the escaped text is the test
        assert namespace["value"] == text
    for value in (float("inf"), -float("inf"), 1e-300, (1,), [1, (2, "a'\"")], None, True, "x\n"):
        assert eval(_literal(value)) == value
    assert eval(_literal(float("nan"))) != eval(_literal(float("nan")))  # nan, not a NameError
