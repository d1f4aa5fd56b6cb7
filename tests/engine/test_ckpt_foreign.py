"""Reading foreign checkpoint files safely: PyTorch pickles, safetensors, hostile and broken files."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from studio.engine.checkpoints import CheckpointError, CheckpointStore
from studio.engine.checkpoints.reader import load_state_dict, open_checkpoint


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


class PlantsMarker:
    """Unpickling this calls open(marker, "w"): code running from a checkpoint file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert torch.equal(a[name], b[name]), name


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin"])
def test_plain_state_dict_files(tmp_path, suffix):
    sd = small_model().state_dict()
    path = tmp_path / f"weights{suffix}"
    torch.save(sd, path)
    with open_checkpoint(path) as reader:
        assert reader.format == "pytorch" and reader.source_key is None
        assert reader.shape("3.weight") == (3, 144) and reader.entry("1.num_batches_tracked").dtype == "int64"
    assert_same(load_state_dict(path), sd)


def test_legacy_pickle_format_is_read(tmp_path):
    sd = small_model().state_dict()
    path = tmp_path / "old.pth"
    torch.save(sd, path, _use_new_zipfile_serialization=False)
    assert_same(load_state_dict(path), sd)


@pytest.mark.parametrize("key", ["state_dict", "model", "model_state_dict"])
def test_nested_training_checkpoints(tmp_path, key):
    model = small_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    opt.step()
    path = tmp_path / "train.pt"
    torch.save({"epoch": 3, key: model.state_dict(), "optimizer": opt.state_dict(), "best": 0.9}, path)
    with open_checkpoint(path) as reader:
        assert reader.source_key == key
        assert_same(reader.state_dict(), model.state_dict())


def test_nested_dicts_of_tensors_get_dotted_names(tmp_path):
    path = tmp_path / "parts.pt"
    torch.save({"encoder": {"w": torch.ones(2)}, "head": {"b": torch.zeros(1)}}, path)
    assert list(load_state_dict(path)) == ["encoder.w", "head.b"]


def test_safetensors_files_and_sidecars_and_run_folders(tmp_path):
    sd = small_model().state_dict()
    save_file({k: v.contiguous() for k, v in sd.items()}, str(tmp_path / "hf.safetensors"))
    assert_same(load_state_dict(tmp_path / "hf.safetensors"), sd)
    info = CheckpointStore(tmp_path / "run" / "checkpoints").save(12, sd)
    for where in (info.path, info.sidecar, tmp_path / "run", tmp_path / "run" / "checkpoints"):
        with open_checkpoint(where) as reader:
            assert reader.path == info.path and reader.metadata["step"] == "12"


def test_hostile_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "MARKER"
    raw = tmp_path / "evil.pt"
    raw.write_bytes(pickle.dumps({"weight": PlantsMarker(marker)}, protocol=2))
    zipped = tmp_path / "evil_zip.pth"
    torch.save({"weight": torch.zeros(2), "payload": PlantsMarker(marker)}, zipped)
    for path in (raw, zipped):
        with pytest.raises(CheckpointError, match="would have to run code") as caught:
            open_checkpoint(path)
        assert "refused" in str(caught.value)
    assert not marker.exists()
    pickle.loads(raw.read_bytes())  # the file really is hostile: plain unpickling creates the marker
    assert marker.exists()


def test_pickled_module_is_refused_with_its_class(tmp_path):
    path = tmp_path / "whole_model.pt"
    torch.save(small_model(), path)
    with pytest.raises(CheckpointError, match=r"torch\.nn\.modules\.container\.Sequential.*state_dict"):
        open_checkpoint(path)


def test_broken_files_give_clear_errors(tmp_path):
    good_pt = tmp_path / "good.pt"
    torch.save(small_model().state_dict(), good_pt)
    good_st = tmp_path / "good.safetensors"
    save_file({"w": torch.randn(64, 64)}, str(good_st))
    cases = {
        "trunc.pt": (good_pt.read_bytes()[: good_pt.stat().st_size // 2], "truncated or corrupt"),
        "trunc.safetensors": (good_st.read_bytes()[:-100], "truncated or corrupt"),
        "header.safetensors": (good_st.read_bytes()[:20], "truncated or corrupt"),
        "empty.pt": (b"", "is empty"),
        "notes.pt": (b"these are not weights", "not a checkpoint Studio can read"),
        "list.pt": (None, "contains no tensors"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        if data is None:
            torch.save([1, 2, 3], path)
        else:
            path.write_bytes(data)
        with pytest.raises(CheckpointError, match=message):
            load_state_dict(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        open_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "empty_run").mkdir()
    with pytest.raises(CheckpointError, match="no complete checkpoint"):
        open_checkpoint(tmp_path / "empty_run")
