"""The deeper torchvision templates (resnet34, resnet50, mobilenet_v2, mobilenet_v3_small/large, ...):
parameter for parameter equal to
torchvision's, drawn with blocks and repeats, and giving torchvision's outputs after its state_dict is
restored through the shipped ``torchvision_<name>`` preset, from the engine and from `studio ckpt restore`."""

from __future__ import annotations

import functools

import pytest
import torch
import torchvision

from studio.cli import main
from studio.engine.checkpoints.presets import load_preset
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.checkpoints.restore import restore
from studio.engine.compiler import compile_spec
from studio.engine.spec import analyze
from studio.engine.templates import create_template

NAMES = ("resnet34", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
         "efficientnet_b0", "convnext_tiny", "vit_b_16")
PUBLISHED = {"resnet34": 21_797_672, "resnet50": 25_557_032, "mobilenet_v2": 3_504_872,
             "mobilenet_v3_small": 2_542_856, "mobilenet_v3_large": 5_483_032,
             "efficientnet_b0": 5_288_548, "convnext_tiny": 28_589_128,
             "vit_b_16": 86_567_656}
SHAPE = (3, 64, 64)  # every parameter shape is independent of the input size: small keeps it fast
# except ViT's position embedding, one per patch: torchvision's 224x224 (and one image, to be quick)
BATCH = {"vit_b_16": (1, 3, 224, 224)}
TOLERANCE = 1e-5


def param_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@functools.cache
def reference(name: str, num_classes: int = 1000) -> torch.nn.Module:
    """torchvision's model with seeded random weights (no download), random batch-norm statistics (so
    the buffers must map too) and random values where torchvision starts with constants (layer norm's
    ones and zeros, ConvNeXt's layer scale of 1e-6, ViT's zero class token and head), so that a tensor
    restored to the wrong place shows in the outputs; its state_dict is what a user's file holds."""
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None, num_classes=num_classes)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
        for key, tensor in model.named_parameters():
            if key.endswith("layer_scale"):
                tensor.uniform_(0.1, 0.3)
            elif key == "class_token":
                tensor.normal_()
            elif key.startswith("heads."):  # ViT's head starts at zero
                tensor.normal_(std=0.02)
    return model.eval()


def input_shape(name: str) -> tuple[int, ...]:
    return BATCH.get(name, (2, *SHAPE))[1:]


def max_difference(name: str, ours: torch.nn.Module, theirs: torch.nn.Module) -> float:
    torch.manual_seed(1)
    x = torch.randn(*BATCH.get(name, (2, *SHAPE)))
    with torch.no_grad():
        return (ours.eval()(x) - theirs.eval()(x)).abs().max().item()


@pytest.fixture(scope="module")
def state_dict_files(tmp_path_factory) -> dict[str, object]:
    """Each name's torchvision state_dict written as a user's .pth file (torch.save of the state_dict)."""
    folder = tmp_path_factory.mktemp("torchvision_weights")
    paths = {}
    for name in NAMES:
        paths[name] = folder / f"{name}.pth"
        torch.save(reference(name).state_dict(), paths[name])
    return paths


@pytest.mark.parametrize("name", NAMES)
def test_parameters_equal_torchvision_in_count_shape_and_order(name):
    spec = create_template(name, num_classes=1000)
    ours = compile_spec(spec, device="meta")
    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(weights=None)
    assert param_count(ours) == param_count(theirs) == PUBLISHED[name] == analyze(spec).total_params
    mapping = load_preset(f"torchvision_{name}").mapping
    assert ({mapping.map(key): tuple(t.shape) for key, t in theirs.state_dict().items()}
            == {key: tuple(t.shape) for key, t in ours.state_dict().items()})
    if name not in ("convnext_tiny", "vit_b_16"):  # torch lists a module's own parameters (CNBlock's
        # layer_scale, ViT's class_token) before its children's
        assert ([tuple(t.shape) for t in ours.state_dict().values()]
                == [tuple(t.shape) for t in theirs.state_dict().values()])


@pytest.mark.parametrize("name", NAMES)
def test_preset_restore_gives_torchvision_outputs(name, state_dict_files):
    preset = load_preset(f"torchvision_{name}")
    assert preset.template == name and preset.source == f"torchvision.models.{name}"
    theirs = reference(name)
    spec = create_template(name, num_classes=1000, input_shape=input_shape(name))
    model = compile_spec(spec, device="cpu")
    result = restore(model, state_dict_files[name], mapping=preset.mapping, on_mismatch="fail")
    assert result.plan.counts == {"restore": len(theirs.state_dict()), "mismatch": 0, "missing": 0,
                                  "excluded": 0, "unused": 0}
    assert max_difference(name, model, theirs) <= TOLERANCE


@pytest.mark.parametrize("name", NAMES)
def test_restore_by_name_from_the_command_line(name, state_dict_files, tmp_path, capsys):
    out = tmp_path / "restored.safetensors"
    code = main(["ckpt", "restore", name, "--classes", "1000", "--from", str(state_dict_files[name]),
                 "--preset", f"torchvision_{name}", "--fail-on-mismatch", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert f"wrote {out}" in capsys.readouterr().out
    spec = create_template(name, num_classes=1000, input_shape=input_shape(name))
    model = compile_spec(spec, device="cpu")
    with open_checkpoint(out) as reader:
        weights = {key: reader.tensor(key) for key in reader.names()}
    model.load_state_dict(weights, strict=True)
    assert max_difference(name, model, reference(name)) <= TOLERANCE


# name -> (torchvision's block count, the block definitions the model's own graph uses)
BLOCKS = {"resnet34": (16, {"basic_block"}), "resnet50": (16, {"bottleneck"}),
          "mobilenet_v2": (17, {"separable", "bottleneck", "inverted_residual"}),
          "mobilenet_v3_small": (11, {"bneck", "bneck_residual"}),
          "mobilenet_v3_large": (15, {"bneck", "bneck_residual"}),
          "efficientnet_b0": (16, {"mbconv", "mbconv_residual"}),
          "convnext_tiny": (21, {"cn_block", "downsample"}), "vit_b_16": (12, {"encoder_block"})}


@pytest.mark.parametrize("name", NAMES)
def test_drawn_with_blocks_and_repeats(name):
    uses, blocks = BLOCKS[name]
    spec = create_template(name)
    block_nodes = [node for node in spec.nodes.values() if node.type == "block"]
    assert sum(node.instance_count for node in block_nodes) == uses  # torchvision's block count
    assert any(node.instance_count > 1 for node in block_nodes)
    assert len(spec.nodes) <= 25
    assert {node.args["block"] for node in block_nodes} == blocks


def test_readable_names_keep_torchvision_block_numbers():
    resnet = list(compile_spec(create_template("resnet50"), device="meta").state_dict())
    assert "layer1_0.downsample.conv.weight" in resnet  # torchvision: layer1.0.downsample.0.weight
    assert "layer3.layer3_5.conv3.weight" in resnet  # torchvision: layer3.5.conv3.weight
    assert not any(k.startswith("layer1.layer1_1.downsample.conv") for k in resnet)
    mobilenet = list(compile_spec(create_template("mobilenet_v2"), device="meta").state_dict())
    assert "stage4.stage4_3.depthwise.weight" in mobilenet  # torchvision: features.10.conv.1.0.weight
    assert not any(k.startswith("stage1_0.expand") for k in mobilenet)  # expansion 1: none


# the node giving the pooled features, and their size
FEATURES = {"resnet34": ("avgpool", 512), "resnet50": ("avgpool", 2048), "mobilenet_v2": ("avgpool", 1280),
            "mobilenet_v3_small": ("avgpool", 576), "mobilenet_v3_large": ("avgpool", 960),
            "efficientnet_b0": ("avgpool", 1280), "convnext_tiny": ("avgpool", 768),
            "vit_b_16": ("token", 768)}


@pytest.mark.parametrize("name", NAMES)
def test_classes_and_input_shape_are_template_arguments(name):
    analysis = analyze(create_template(name, num_classes=20, input_shape=(3, 96, 128)))
    assert analysis.ok, analysis.issues
    assert analysis.nodes["logits"].output_shape == (20,)
    node, channels = FEATURES[name]
    assert analysis.nodes[node].output_shape == (channels,)


@pytest.mark.parametrize("name", ["efficientnet_b0", "convnext_tiny"])
def test_stochastic_depth_on_each_shortcut_is_torchvisions(name):
    ours = [module.p for module in compile_spec(create_template(name), device="meta").modules()
            if type(module).__name__ == "StochasticDepth"]
    theirs = [module.stochastic_depth.p for module in reference(name).modules()
              if hasattr(module, "stochastic_depth") and getattr(module, "use_res_connect", True)]
    assert len(ours) == len(theirs) > 0 and ours == pytest.approx(theirs)
