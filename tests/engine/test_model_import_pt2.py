"""A saved ``torch.export`` program as SOURCE: its ATen graph maps to Studio's layers (modules
recovered from its module stack, so repeated blocks fold as from code), the weights carry by name and
the outputs verify; an op Studio lacks, a corrupt file or one torch cannot read is one line."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from studio.cli import main
from studio.engine.importing import ModelImportError, import_source
from tests.engine.test_model_import import randomize_statistics


def _save(model: nn.Module, path, size: int = 64):
    model.eval()
    torch.export.save(torch.export.export(model, (torch.randn(2, 3, size, size),)), str(path))
    return path


@pytest.mark.parametrize(("name", "folded", "flat"), [("resnet18", 16, 70), ("mobilenet_v2", 20, 153)])
def test_a_saved_program_imports_folded_and_verified(tmp_path, name, folded, flat):
    torch.manual_seed(0)
    model = torchvision.models.get_model(name, weights=None, num_classes=3)
    randomize_statistics(model)
    path = _save(model, tmp_path / f"{name}.pt2")
    result = import_source(str(path), (3, 64, 64))
    assert result.max_diff <= 1e-4 and result.node_count == folded and result.spec.blocks
    assert sorted(result.names) == sorted(model.state_dict())
    batch = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    from studio.engine.compiler import compile_spec

    compiled = compile_spec(result.spec, device="cpu")
    compiled.load_state_dict(result.weights, strict=True)
    with torch.no_grad():
        assert float((compiled.eval()(batch) - model(batch)).abs().max()) <= 1e-4
    assert import_source(str(path), (3, 64, 64), flat=True).node_count == flat


def test_the_command_line_imports_a_pt2(tmp_path, capsys):
    torch.manual_seed(0)
    path = _save(torchvision.models.resnet18(weights=None, num_classes=3), tmp_path / "r18.pt2", 32)
    code = main(["model", "import", str(path), "-o", str(tmp_path / "s.json"), "--weights",
                 str(tmp_path / "w.safetensors"), "--input-shape", "3", "32", "32"])
    out = capsys.readouterr().out
    assert code == 0 and f"imported {path}: 16 nodes (3 blocks), 122 weight tensors, max |diff| 0" in out


class Wobble(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.sin(self.conv(x))


def test_an_op_studio_lacks_is_named(tmp_path):
    path = _save(Wobble(), tmp_path / "w.pt2", 16)
    with pytest.raises(ModelImportError, match=r"cannot map aten\.sin\.default \(node 'sin'"):
        import_source(str(path), (3, 16, 16))


def test_a_corrupt_file_is_one_line_and_nothing_written(tmp_path, capsys):
    bad = tmp_path / "bad.pt2"
    bad.write_bytes(b"PK\x03\x04 not really a program")
    code = main(["model", "import", str(bad), "-o", str(tmp_path / "s.json")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"studio: error: cannot read {bad} as a saved torch.export program" in err
    assert not (tmp_path / "s.json").exists()
