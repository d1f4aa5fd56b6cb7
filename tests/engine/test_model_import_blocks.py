"""Importing folds repeated submodules into blocks: torchvision's BasicBlock, Bottleneck and
InvertedResidual become block definitions used once per instance (repeats where uses are equal),
with the weights carried exactly and the outputs unchanged; ``flat`` keeps one node per layer."""

from __future__ import annotations

import pytest
import torch
import torchvision
from safetensors.torch import load_file
from torch import nn

from studio.cli import main
from studio.engine.compiler import compile_spec
from studio.engine.importing import import_model, write_import
from studio.engine.spec.io import load_spec, spec_to_dict
from tests.engine.test_model_import import randomize_statistics


def _imported(builder, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    original = builder(weights=None, num_classes=5)
    randomize_statistics(original, seed)
    return original, import_model(original, (3, 64, 64), name=builder.__name__, **kwargs)


def test_resnet18_is_eight_uses_of_one_basic_block():
    _, result = _imported(torchvision.models.resnet18)
    assert result.max_diff <= 1e-4
    spec = result.spec
    assert result.node_count == 16 and sorted(spec.blocks) == ["basic_block", "downsample", "identity"]
    uses = [n for n in spec.nodes.values() if n.type == "block"]
    assert [n.id for n in uses] == [f"layer{s}_{i}" for s in range(1, 5) for i in (0, 1)]
    assert {n.args["block"] for n in uses} == {"basic_block"}
    assert spec.nodes["layer2_0"].args["downsample"] == "downsample"
    assert spec.nodes["layer2_1"].args["downsample"] == "identity"
    assert spec.nodes["layer2_0"].args["stride"] == [2, 2]
    assert result.names["layer2.0.downsample.0.weight"] == "layer2_0.downsample.conv2d_0.weight"
    assert result.names["layer4.1.bn2.running_var"] == "layer4_1.bn2.running_var"


def test_resnet50_bottleneck_is_one_block_with_repeats():
    original, result = _imported(torchvision.models.resnet50, seed=2)
    assert result.max_diff <= 1e-4
    spec = result.spec
    blocks = {n.args["block"] for n in spec.nodes.values() if n.type == "block"}
    assert blocks == {"bottleneck"} and result.node_count <= 20
    assert [(n.id, n.repeat) for n in spec.nodes.values() if n.repeat > 1] == [
        ("layer1", 2), ("layer2", 3), ("layer3", 5), ("layer4", 2)]
    assert result.names["layer3.4.conv2.weight"] == "layer3.layer3_4.conv2.weight"
    assert sorted(result.names) == sorted(original.state_dict())  # every tensor carried
    compiled = compile_spec(spec, device="cpu")
    compiled.load_state_dict(result.weights, strict=True)


def test_flat_keeps_one_node_per_layer_and_both_give_the_same_outputs(tmp_path):
    original, folded = _imported(torchvision.models.mobilenet_v2, seed=1)
    _, flat = _imported(torchvision.models.mobilenet_v2, seed=1, flat=True)
    assert flat.node_count == 154 and not flat.spec.blocks
    assert folded.node_count <= 25 and "inverted_residual" in folded.spec.blocks
    assert folded.max_diff <= 1e-4 and flat.max_diff <= 1e-4
    write_import(folded, tmp_path / "m.json", tmp_path / "m.safetensors")
    model = compile_spec(load_spec(tmp_path / "m.json"), device="cpu")
    model.load_state_dict(load_file(str(tmp_path / "m.safetensors")), strict=True)
    batch = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert float((model.eval()(batch) - original.eval()(batch)).abs().max()) <= 1e-4


class Unit(nn.Module):
    def __init__(self, channels: int, scale: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.scale = scale

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return y * y if self.scale else y + x  # two instances differ in structure


class Twice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = Unit(4, False), Unit(4, True), Unit(4, False)
        self.shared = Unit(4, False)

    def forward(self, x):
        x = self.c(self.b(self.a(x)))
        return self.shared(self.shared(x))  # called twice: its weights are shared, so it stays flat


def test_uses_that_differ_and_a_module_called_twice_stay_flat():
    result = import_model(Twice(), (4, 8, 8), name="twice")
    assert result.max_diff <= 1e-4
    nodes = result.spec.nodes
    assert nodes["a"].type == "block" and nodes["c"].type == "block"  # the two equal units
    assert "b_conv" in nodes and nodes["b_conv"].type == "conv2d"  # the odd one out stays flat
    assert not any(n.startswith("shared") and nodes[n].type == "block" for n in nodes)


def test_the_command_line_flat_flag(tmp_path, capsys):
    spec = tmp_path / "r.json"
    code = main(["model", "import", "torchvision:resnet18", "-o", str(spec), "--input-shape", "3", "32", "32",
                 "--flat"])
    assert code == 0 and "imported torchvision:resnet18: 70 nodes," in capsys.readouterr().out
    assert not load_spec(spec).blocks


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_folded_spec_round_trips_through_its_file(tmp_path, name):
    _, result = _imported(getattr(torchvision.models, name))
    write_import(result, tmp_path / "s.json")
    assert spec_to_dict(load_spec(tmp_path / "s.json")) == spec_to_dict(result.spec)
