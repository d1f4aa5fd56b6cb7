"""An imported model is a Studio model (issue 14, item 4): torchvision's resnet18 and a user module
written here, imported with their repeated blocks folded, train, restore by name, project one of
their layers, export to ONNX verified, and come back as PyTorch source whose outputs with the
imported weights equal the original module's: PyTorch -> canvas -> PyTorch."""

from __future__ import annotations

import importlib.util
import json
import textwrap

import pytest
import torch
import torchvision
from safetensors.torch import load_file

from studio.cli import main
from studio.engine.importing import import_model, load_source, write_import
from tests.engine.image_folders import make_image_folder
from tests.engine.test_model_import import randomize_statistics

USER_MODULE = '''
import torch
from torch import nn
import torch.nn.functional as F


class Unit(nn.Module):
    """A residual unit; the projection only where the channels change."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.proj = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        y = self.conv2(F.relu(self.bn1(self.conv1(x))))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class UserNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.body = nn.Sequential(Unit(8, 8), Unit(8, 8), Unit(8, 12), Unit(12, 12))
        self.head = nn.Linear(12, classes)

    def forward(self, x):
        x = self.body(F.relu(self.stem(x)))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def make(classes=4):
    torch.manual_seed(3)
    return UserNet(classes)
'''


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _resnet18() -> tuple[torch.nn.Module, str]:
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=3)
    randomize_statistics(model)
    return model, "layer4_1"


def _user(tmp_path) -> tuple[torch.nn.Module, str]:
    path = tmp_path / "usernet.py"
    path.write_text(textwrap.dedent(USER_MODULE))
    model, _ = load_source(f"{path}:make", {"classes": 3})
    randomize_statistics(model, seed=4)
    return model, "body_3"


@pytest.mark.parametrize("which", ["resnet18", "user"])
def test_an_imported_model_is_a_studio_model(tmp_path, capsys, which):
    original, layer = _resnet18() if which == "resnet18" else _user(tmp_path)
    result = import_model(original, (3, 64, 64), name=which)
    assert result.spec.blocks and result.max_diff <= 1e-4
    spec, weights = tmp_path / "s.json", tmp_path / "w.safetensors"
    write_import(result, spec, weights)
    carried = load_file(str(weights))

    # its weights restore by name, every one
    code, out, err = run(capsys, "ckpt", "restore", str(spec), "--from", str(weights), "-o",
                         str(tmp_path / "r.safetensors"))
    assert code == 0, err
    assert f"{len(carried)} restored, 0 shape mismatches, 0 missing" in out
    assert "0 checkpoint tensors unused" in out
    restored = load_file(str(tmp_path / "r.safetensors"))
    assert sorted(restored) == sorted(carried)
    assert all(torch.equal(restored[name], carried[name]) for name in carried)

    # it trains, and the projector embeds one of its (folded) layers
    data = make_image_folder(tmp_path / "images", classes=3, per_class=4, size=64, mode="RGB")
    code, _, err = run(capsys, "train", str(spec), "--data", str(data), "--steps", "2", "--batch-size", "4",
                       "--run-dir", str(tmp_path / "run"), "--device", "cpu", "--threads", "1", "--quiet")
    assert code == 0, err
    code, out, err = run(capsys, "embed", str(tmp_path / "run"), "--data", str(data), "--layer", layer,
                         "--method", "pca", "--out", str(tmp_path / "emb"), "--no-sprites", "--device", "cpu",
                         "--quiet", "--json")
    assert code == 0, err
    assert layer in out and any((tmp_path / "emb").iterdir())

    # its ONNX export verifies
    code, out, err = run(capsys, "ckpt", "export", str(weights), "--spec", str(spec), "--format", "onnx",
                         "-o", str(tmp_path / "m.onnx"), "--json")
    assert code == 0, err
    assert json.loads(out)["max_abs_diff"] <= 1e-4

    # and PyTorch -> canvas -> PyTorch: the generated source with the imported weights is the original
    code, _, err = run(capsys, "model", "export-code", str(spec), "-o", str(tmp_path / "net.py"))
    assert code == 0, err
    module_spec = importlib.util.spec_from_file_location(f"generated_{which}", tmp_path / "net.py")
    assert module_spec is not None and module_spec.loader is not None
    generated = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(generated)
    net = generated.Net()
    net.load_state_dict(carried, strict=True)
    batch = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        diff = float((net.eval()(batch) - original.eval()(batch)).abs().max())
    assert diff <= 1e-4, diff


def test_the_user_module_folds_its_equal_units(tmp_path):
    original, _ = _user(tmp_path)
    result = import_model(original, (3, 32, 32), name="user")
    uses = {n.id: n.args for n in result.spec.nodes.values() if n.type == "block"}
    assert list(uses) == ["body_0", "body_1", "body_3"] and {a["block"] for a in uses.values()} == {"unit"}
    assert result.spec.nodes["body_2_proj"].type == "conv2d"  # the one with a projection stays flat
    assert result.names["body.3.conv2.bias"] == "body_3.conv2.bias" and result.max_diff <= 1e-4
