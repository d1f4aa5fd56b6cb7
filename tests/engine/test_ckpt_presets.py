"""torchvision weights restored into Studio's templates through the shipped presets give the same outputs."""

from __future__ import annotations

import pytest
import torch
import torchvision

from studio.engine.checkpoints import CheckpointError
from studio.engine.checkpoints.presets import list_presets, load_preset
from studio.engine.checkpoints.restore import restore
from studio.engine.compiler import compile_spec
from studio.engine.templates import create_template

# adaptive pooling in both lets small inputs keep every parameter shape (and the test fast)
CASES = [("alexnet", (3, 64, 64)), ("vgg16", (3, 32, 32)), ("resnet18", (3, 64, 64))]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "shape"), CASES)
def test_torchvision_weights_reproduce_torchvision_outputs(tmp_path, name, shape):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(weights=None)  # random init: no download
    for module in reference.modules():  # non-trivial batch-norm statistics, so buffers must map too
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    path = tmp_path / f"{name}.pth"
    torch.save(reference.state_dict(), path)

    preset = load_preset(f"torchvision_{name}")
    assert preset.template == name
    model = compile_spec(create_template(name, num_classes=1000, input_shape=shape), device="cpu")
    result = restore(model, path, mapping=preset.mapping, on_mismatch="fail")
    assert result.plan.counts == {"restore": len(reference.state_dict()), "mismatch": 0, "missing": 0,
                                  "excluded": 0, "unused": 0}

    x = torch.randn(2, *shape)
    with torch.no_grad():
        want = reference.eval()(x)
        got = model.eval()(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_presets_are_listed_and_unknown_ones_refused():
    names = [preset.name for preset in list_presets()]
    assert {"torchvision_alexnet", "torchvision_vgg16", "torchvision_resnet18", "dataparallel"} <= set(names)
    assert load_preset("dataparallel").mapping.map("module.fc.weight") == "fc.weight"
    with pytest.raises(CheckpointError, match="unknown mapping preset 'resnet50'.*torchvision_resnet18"):
        load_preset("resnet50")
