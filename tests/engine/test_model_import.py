"""`studio model import`: real torchvision models and a user module written here become Studio specs
whose compiled outputs equal the originals' with the carried weights; what cannot be imported is one
line and no files."""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pytest
import torch
import torchvision
from safetensors.torch import load_file

from studio.cli import main
from studio.engine.compiler import compile_spec
from studio.engine.importing import ModelImportError, import_model, write_import
from studio.engine.runs import RunReader
from studio.engine.spec.io import load_spec
from tests.engine.image_folders import make_image_folder

USER_MODULE = '''
import torch
from torch import nn


class SmallNet(nn.Module):
    """A small CNN with a residual add, written as a user would."""

    def __init__(self, num_classes=10, width=8):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True))
        self.conv_a = nn.Conv2d(width, width, 3, padding=1)
        self.conv_b = nn.Conv2d(width, width, 3, padding=1, groups=width)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.stem(x)
        y = torch.relu(self.conv_a(x))
        x = x + self.conv_b(y)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(self.drop(x))


def make_net(num_classes=10, width=8):
    return SmallNet(num_classes=num_classes, width=width)


def broken(**kwargs):
    raise ValueError("no such configuration")


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        if x.sum() > 0:
            return self.conv(x)
        return self.conv(-x)


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(48, 8)

    def forward(self, x):
        return self.rnn(x.flatten(1))[0]


class Wobble(nn.Module):
    def forward(self, x):
        return torch.sin(x) * 2.0


class WithWobble(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.body = Wobble()

    def forward(self, x):
        return self.body(self.conv(x))
'''


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "usernet.py"
    path.write_text(textwrap.dedent(USER_MODULE))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def randomize_statistics(model: torch.nn.Module, seed: int = 0) -> None:
    """Batch-norm statistics away from 0 and 1, so that a wrong mapping of them shows."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)


def reloaded(spec_path, weights_path) -> torch.nn.Module:
    model = compile_spec(load_spec(spec_path), device="cpu")
    model.load_state_dict(load_file(str(weights_path)), strict=True)
    return model.eval()


def test_resnet18_outputs_equal_torchvision_with_the_carried_weights(tmp_path):
    torch.manual_seed(0)
    original = torchvision.models.resnet18(weights=None, num_classes=7)
    randomize_statistics(original)
    result = import_model(original, (3, 64, 64), name="resnet18", source="torchvision:resnet18")
    assert result.verified() and result.max_diff <= 1e-4
    assert result.names["layer1.0.conv1.weight"] == "layer1_0.conv1.weight"  # BasicBlock folded
    assert result.spec.nodes["avgpool"].type == "global_avg_pool"  # pool + flatten folded
    write_import(result, tmp_path / "r18.json", tmp_path / "r18.safetensors")

    model = reloaded(tmp_path / "r18.json", tmp_path / "r18.safetensors")
    batch = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        assert float((model(batch) - original.eval()(batch)).abs().max()) <= 1e-4
    assert load_spec(tmp_path / "r18.json").meta["imported_from"] == "torchvision:resnet18"


def test_resnet18_through_the_command_line_and_back(tmp_path, capsys):
    spec, weights = tmp_path / "r18.json", tmp_path / "r18.safetensors"
    code, out, err = run(capsys, "model", "import", "torchvision:resnet18", "-o", str(spec), "--weights",
                         str(weights), "--input-shape", "3", "64", "64", "--kwargs", '{"num_classes": 5}')
    assert code == 0 and err == ""
    assert "imported torchvision:resnet18: 16 nodes (3 blocks)" in out and "max |diff| 0" in out
    assert f"wrote {weights}, {spec}" in out

    code, out, _ = run(capsys, "model", "summary", str(spec))
    assert code == 0 and "total parameters: 11,179,077" in out  # torchvision's resnet18, 5 classes
    code, out, _ = run(capsys, "ckpt", "show", str(weights), "--no-stats")
    assert code == 0 and "122 tensors" in out and "layer4_1.bn2.running_var" in out
    code, out, _ = run(capsys, "ckpt", "restore", str(spec), "--from", str(weights), "--plan-only", "--json")
    plan = json.loads(out)
    assert code == 0 and json.dumps(plan).count('"restore"') >= 122  # every tensor found by name


def test_mobilenet_v2_imports_and_verifies(tmp_path):
    torch.manual_seed(1)
    original = torchvision.models.mobilenet_v2(weights=None, num_classes=4)
    randomize_statistics(original, seed=1)
    result = import_model(original, (3, 64, 64), name="mobilenet_v2", flat=True)
    assert result.verified() and result.max_diff <= 1e-4
    types = {node.type for node in result.spec.nodes.values()}
    assert {"depthwise_conv2d", "relu6", "add", "global_avg_pool", "dropout"} <= types
    assert result.node_count == 154
    write_import(result, tmp_path / "m.json", tmp_path / "m.safetensors")
    model = reloaded(tmp_path / "m.json", tmp_path / "m.safetensors")
    batch = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert float((model(batch) - original.eval()(batch)).abs().max()) <= 1e-4


def test_a_user_file_imports_with_kwargs_and_trains_a_step(user_file, tmp_path, capsys):
    spec, weights = tmp_path / "net.json", tmp_path / "net.safetensors"
    code, out, err = run(capsys, "model", "import", f"{user_file}:make_net", "-o", str(spec), "--weights",
                         str(weights), "--kwargs", '{"num_classes": 3, "width": 6}', "--input-shape", "3",
                         "16", "16")
    assert code == 0 and err == "", err
    loaded = load_spec(spec)
    assert loaded.nodes["fc"].args["out_features"] == 3
    assert loaded.nodes["conv_b"].type == "depthwise_conv2d"
    assert loaded.nodes["add"].type == "add" and loaded.nodes["relu"].type == "relu"
    assert sorted(load_file(str(weights))) == sorted(compile_spec(loaded, device="cpu").state_dict())

    code, out, err = run(capsys, "model", "import", f"{user_file}:SmallNet", "-o", str(tmp_path / "c.json"),
                         "--input-shape", "3", "16", "16")
    assert code == 0 and "nodes" in out  # the class itself is a factory too

    data = make_image_folder(tmp_path / "images", classes=3, per_class=4, size=16, mode="RGB")
    code, out, err = run(capsys, "train", str(spec), "--data", str(data), "--steps", "1", "--batch-size", "4",
                         "--run-dir", str(tmp_path / "run"), "--device", "cpu", "--threads", "1", "--quiet")
    assert code == 0, err
    assert RunReader(tmp_path / "run").status().step == 1


@pytest.mark.parametrize(("source", "shape", "message"), [
    ("{dir}/missing.py:make_net", "3 16 16", "no such Python file: {dir}/missing.py"),
    ("{file}:nothing_here", "3 16 16", "has no 'nothing_here' (it defines"),
    ("{file}:broken", "3 16 16", "{file}:broken() raised ValueError: no such configuration"),
    ("{file}:Branchy", "3 16 16", "cannot trace the model (Branchy) at usernet.py line"),
    ("{file}:Recurrent", "3 4 4", "cannot map module 'rnn' (nn.LSTM): Studio has no layer for it"),
    ("{file}:WithWobble", "3 16 16", "cannot map torch.sin (node 'sin' in module 'body' (Wobble))"),
    ("{file}:make_net", "1 16 16", "running the model on a batch of shape [2, 1, 16, 16] failed at node "
     "'stem_0' in module 'stem.0' (Conv2d): RuntimeError"),
    ("no_such_package.models:make", "3 16 16", "no Python module named 'no_such_package.models'"),
    ("torchvision:resnet1000", "3 16 16", "torchvision has no model 'resnet1000'"),
    ("just-a-name", "3 16 16", "is not a model source"),
])
def test_what_cannot_be_imported_is_one_line_and_no_files(user_file, tmp_path, capsys, source, shape,
                                                           message):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    fill = {"file": str(user_file), "dir": str(user_file.parent)}
    code, out, err = run(capsys, "model", "import", source.format(**fill), "-o", str(out_dir / "s.json"),
                         "--weights", str(out_dir / "w.safetensors"), "--input-shape", *shape.split())
    assert code == 1 and out == ""
    assert err.startswith("studio: error: ") and err.count("\n") == 1, err
    assert message.format(**fill) in err, err
    assert list(out_dir.iterdir()) == []


def test_data_dependent_control_flow_names_the_line(user_file, capsys, tmp_path):
    code, _, err = run(capsys, "model", "import", f"{user_file}:Branchy", "-o", str(tmp_path / "s.json"),
                       "--input-shape", "3", "8", "8")
    assert code == 1 and "(if x.sum() > 0:)" in err and "data-dependent control flow" in err


def test_bad_kwargs_and_a_raw_constant_op(user_file, capsys, tmp_path):
    code, _, err = run(capsys, "model", "import", f"{user_file}:make_net", "-o", str(tmp_path / "s.json"),
                       "--kwargs", "[1, 2]")
    assert code == 1 and "--kwargs must be a JSON object" in err
    code, _, err = run(capsys, "model", "import", f"{user_file}:make_net", "-o", str(tmp_path / "s.json"),
                       "--kwargs", '{"colour": 1}')
    assert code == 1 and "make_net(colour=1) raised TypeError" in err
    assert not (tmp_path / "s.json").exists()


def test_outputs_that_differ_write_nothing_unless_forced(tmp_path):
    torch.manual_seed(0)
    result = import_model(torchvision.models.resnet18(weights=None, num_classes=3), (3, 32, 32))
    off = dataclasses.replace(result, max_diff=0.5)
    with pytest.raises(ModelImportError, match="differ from the original's by 0.5"):
        write_import(off, tmp_path / "s.json", tmp_path / "w.safetensors")
    assert list(tmp_path.iterdir()) == []
    written = write_import(off, tmp_path / "s.json", tmp_path / "w.safetensors", force=True)
    assert [p.name for p in written] == ["w.safetensors", "s.json"]
