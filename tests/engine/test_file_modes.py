"""Every file Studio writes gets the mode the user's umask allows: 0644 under 022, 0600 under 077."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

from studio.engine.checkpoints import CheckpointStore
from studio.engine.checkpoints.export import export_model
from studio.engine.data.decode_store import ENV_DIR
from studio.engine.importing.api import import_model, write_import
from studio.engine.project import Project, save_project, write_autosave
from studio.engine.training import Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def mask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def modes(root: Path) -> dict[str, int]:
    """Every path under ``root`` (not ``root`` itself) with its permission bits."""
    return {str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode) for path in root.rglob("*")}


def test_every_written_file_follows_the_umask(mask, tmp_path, monkeypatch):
    data = make_image_folder(tmp_path / "data", classes=3, per_class=4, size=12)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv(ENV_DIR, str(out / "decode_cache"))
    spec = tiny_cnn(3, 12)
    result = Trainer(spec, tiny_config(data, steps=2), run_dir=out / "run").run()
    assert result.status == "finished"
    best = CheckpointStore(out / "run" / "checkpoints").list()[-1]
    for fmt, name in [("safetensors", "m.safetensors"), ("pt", "m.pt"), ("onnx", "m.onnx"),
                      ("torchscript", "m.ts"), ("code", "bundle")]:
        export_model(spec, best.path, fmt, out / "exports" / name)
    save_project(Project(spec, {"batch_size": 8}, str(data), [str(out / "run")]), out / "p.studio")
    write_autosave(Project(spec), out / "p.studio", out / "recovery")
    write_import(import_model(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2)), (12,)),
                 out / "imported.json", out / "imported.safetensors")

    found = modes(out)
    kinds = {Path(name).suffix for name in found}
    assert {".safetensors", ".pt", ".onnx", ".ts", ".json", ".jsonl", ".studio", ".py", ".npy"} <= kinds
    files = {name: mode for name, mode in found.items() if not (out / name).is_dir()}
    folders = {name: mode for name, mode in found.items() if (out / name).is_dir()}
    want_file, want_folder = 0o666 & ~mask, 0o777 & ~mask
    assert {name: oct(mode) for name, mode in files.items() if mode != want_file} == {}
    assert {name: oct(mode) for name, mode in folders.items() if mode != want_folder} == {}
