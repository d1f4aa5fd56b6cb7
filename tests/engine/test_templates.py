"""Built-in templates: they compile, infer the shapes a real forward pass produces, and match the
published architectures parameter for parameter (torchvision models built without downloads)."""

import pytest
import torch
import torchvision

from studio.engine.compiler import compile_spec
from studio.engine.spec import analyze, loads
from studio.engine.spec.builder import SpecBuilder
from studio.engine.spec.io import dumps
from studio.engine.templates import create_template, list_templates

# a small input each template accepts, so real forward passes stay cheap
SMALL_INPUTS = {
    "small_cnn": (1, 28, 28), "mlp": (1, 28, 28), "lenet5": (1, 32, 32), "alexnet": (3, 63, 63),
    "vgg16": (3, 32, 32), "resnet18": (3, 32, 32), "xception": (3, 149, 149), "resnet34": (3, 32, 32),
    "resnet50": (3, 32, 32), "mobilenet_v2": (3, 32, 32), "mobilenet_v3_small": (3, 32, 32),
    "mobilenet_v3_large": (3, 32, 32), "efficientnet_b0": (3, 32, 32),
    "convnext_tiny": (3, 32, 32), "vit_b_16": (3, 32, 32),
}
# published parameter counts for 1000 classes at the default input size (LeNet-5: 10 classes)
PUBLISHED = {"lenet5": 61_706, "alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512,
             "xception": 22_855_952}
TORCHVISION = ("alexnet", "vgg16", "resnet18")


def param_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def torchvision_model(name: str, num_classes: int = 1000, device: str = "meta") -> torch.nn.Module:
    with torch.device(device):
        return getattr(torchvision.models, name)(weights=None, num_classes=num_classes)


def test_every_template_has_a_small_input_here():
    assert set(SMALL_INPUTS) == {t.name for t in list_templates()}


@pytest.mark.parametrize("name", [t.name for t in list_templates()])
def test_template_compiles_and_inference_matches_a_forward_pass(name):
    spec = create_template(name, num_classes=7, input_shape=SMALL_INPUTS[name])
    analysis = analyze(spec)
    assert analysis.ok, analysis.issues
    torch.manual_seed(0)
    model = compile_spec(spec, device="cpu").eval()
    nodes = [*model.input_ids, *(step.node_id for step in model.steps)]
    with torch.no_grad():
        outputs = model.forward_nodes(torch.randn(1, *SMALL_INPUTS[name]), nodes=nodes)
    for node_id, tensor in outputs.items():
        assert tuple(tensor.shape[1:]) == analysis.nodes[node_id].output_shape, node_id
    assert analysis.nodes["logits"].output_shape == (7,)
    assert param_count(model) == analysis.total_params


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_equal_the_published_ones(name):
    classes = 10 if name == "lenet5" else 1000
    spec = create_template(name, num_classes=classes)
    model = compile_spec(spec, device="meta")
    assert param_count(model) == PUBLISHED[name] == analyze(spec).total_params
    if name in TORCHVISION:
        assert param_count(torchvision_model(name)) == PUBLISHED[name]


def test_xception_counts_like_keras_with_batch_norm_statistics():
    model = compile_spec(create_template("xception", num_classes=1000), device="meta")
    statistics = sum(b.numel() for name, b in model.named_buffers()
                     if name.endswith(("running_mean", "running_var")))
    assert param_count(model) + statistics == 22_910_480  # Keras' "Total params"


@pytest.mark.parametrize("name", TORCHVISION)
def test_parameter_shapes_follow_torchvision_in_order(name):
    ours = compile_spec(create_template(name, num_classes=1000), device="meta")
    theirs = torchvision_model(name)
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert ([tuple(t.shape) for t in ours.state_dict().values()]
            == [tuple(t.shape) for t in theirs.state_dict().values()])


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_weights_give_identical_outputs(name):
    torch.manual_seed(0)
    theirs = torchvision_model(name, num_classes=10, device="cpu").eval()
    ours = compile_spec(create_template(name, num_classes=10, input_shape=SMALL_INPUTS[name]),
                        device="cpu").eval()
    ours.load_state_dict(dict(zip(ours.state_dict(), theirs.state_dict().values(), strict=True)))
    x = torch.randn(2, *SMALL_INPUTS[name])
    with torch.no_grad():
        assert torch.equal(ours(x), theirs(x))


def test_readable_state_dict_names():
    keys = {name: list(compile_spec(create_template(name), device="meta").state_dict())
            for name in ("vgg16", "resnet18", "xception")}
    assert keys["vgg16"][:4] == ["conv1.conv1_1.weight", "conv1.conv1_1.bias", "conv1.conv1_2.weight",
                                 "conv1.conv1_2.bias"]
    assert keys["vgg16"][-2:] == ["fc8.weight", "fc8.bias"]
    assert "layer1_1.conv1.weight" in keys["resnet18"]
    assert "layer2_1.downsample.conv.weight" in keys["resnet18"]
    assert not any(k.startswith("layer1_1.downsample") for k in keys["resnet18"])
    assert "entry_flow_1.sepconv1.depthwise.weight" in keys["xception"]
    assert "middle_flow.middle_flow_8.sepconv3.pointwise.weight" in keys["xception"]
    assert not any(k.endswith("sepconv1.pointwise.bias") for k in keys["xception"])


def test_templates_are_written_with_repeat_and_blocks():
    vgg = create_template("vgg16")
    assert [vgg.nodes[f"conv{i}"].repeat for i in range(1, 6)] == [2, 2, 3, 3, 3]
    resnet = create_template("resnet18")
    uses = [n for n in resnet.nodes.values() if n.type == "block"]
    assert len(uses) == 8 and {n.args["block"] for n in uses} == {"basic_block"}
    xception = create_template("xception")
    entry = [n.args for n in xception.nodes.values() if n.args.get("block") == "entry_flow"]
    assert [args["channels"] for args in entry] == [128, 256, 728]
    assert xception.nodes["middle_flow"].repeat == 8


def test_batch_norm_matches_the_source_framework():
    resnet = compile_spec(create_template("resnet18"), device="meta")
    assert (resnet.bn1.eps, resnet.bn1.momentum) == (1e-5, 0.1)
    xception = compile_spec(create_template("xception"), device="meta")
    bn = xception.entry_flow_2.sepconv1_bn
    assert (bn.eps, bn.momentum) == (1e-3, 0.01)  # Keras: epsilon 1e-3, momentum 0.99


@pytest.mark.parametrize("size,expected", [(299, (2048, 10, 10)), (149, (2048, 5, 5))])
def test_xception_input_sizes(size, expected):
    analysis = analyze(create_template("xception", num_classes=5, input_shape=(3, size, size)))
    assert analysis.ok
    assert analysis.nodes["exit_flow"].output_shape == expected
    assert analysis.nodes["logits"].output_shape == (5,)


def test_classes_and_input_shape_are_template_arguments():
    model = compile_spec(create_template("resnet18", num_classes=20, input_shape=(3, 64, 64)), device="meta")
    assert model.fc.out_features == 20
    lenet = analyze(create_template("lenet5", input_shape=(1, 36, 36)))
    assert lenet.nodes["flatten"].output_shape == (16 * 6 * 6,)


def scoped_spec():
    b = SpecBuilder("stable")
    b.defaults(["conv2d"], kernel_size=3, activation="relu")
    unit = b.new_block("unit", width=4)
    unit.defaults(["conv2d"], padding="same")
    i = unit.input("x")
    y = unit.layer("conv", "conv2d", i, out_channels="$width")
    y = unit.layer("bn", "batch_norm", y)
    unit.output("out", unit.layer("sum", "add", [y, i]))
    x = b.input("image", [4, 8, 8])
    x = b.layer("stem", "conv2d", x, out_channels=4, repeat=2)
    x = b.block("units", "unit", x, repeat=2)
    x = b.layer("head", "fully_connected", b.layer("pool", "global_avg_pool", x), stack=[
        {"out_features": 6}, {"out_features": 3}])
    b.output("logits", x)
    return b.build()


def test_state_dict_names_are_stable_across_compiles_and_file_round_trips():
    spec = scoped_spec()
    first = list(compile_spec(spec, device="cpu").state_dict())
    second = list(compile_spec(spec, device="cpu").state_dict())
    reloaded = list(compile_spec(loads(dumps(spec)), device="cpu").state_dict())
    assert first == second == reloaded
    assert first[:4] == ["stem.stem_1.weight", "stem.stem_1.bias", "stem.stem_2.weight", "stem.stem_2.bias"]
    assert "units.units_2.conv.weight" in first and "units.units_1.bn.running_var" in first
    assert first[-4:] == ["head.head_1.weight", "head.head_1.bias", "head.head_2.weight", "head.head_2.bias"]
