"""Inspecting checkpoints: run listing, lazy per-tensor statistics, diffs against files and models."""

from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from studio.engine.checkpoints import CheckpointStore
from studio.engine.checkpoints.diff import diff_checkpoints, diff_with_model
from studio.engine.checkpoints.inspector import CheckpointInspector, list_run
from studio.engine.checkpoints.reader import SafetensorsReader
from studio.engine.checkpoints.stats import tensor_stats


def test_list_run_marks_best_and_last(tmp_path):
    store = CheckpointStore(tmp_path / "run" / "checkpoints", best_metric="val_loss", best_mode="min")
    for step, loss in [(10, 0.9), (20, 0.4), (30, 0.6)]:
        store.save(step, {"w": torch.ones(2) * step}, metrics={"val_loss": loss}, epoch=step / 10)
    infos = list_run(tmp_path / "run")
    assert [(i.step, i.is_best, i.is_last) for i in infos] == [(10, False, False), (20, True, False),
                                                              (30, False, True)]
    assert infos[1].to_dict()["metrics"] == {"val_loss": 0.4} and infos[2].to_dict()["epoch"] == 3.0


def test_stats_of_special_values():
    values = torch.tensor([0.0, 0.0, 1.0, 2.0, float("nan"), float("inf"), -float("inf"), 3.0])
    stats = tensor_stats("w", values, bins=3)
    assert (stats.min, stats.max, stats.nan_count, stats.inf_count) == (0.0, 3.0, 1, 2)
    assert stats.zero_fraction == 2 / 8
    assert stats.mean == pytest.approx(1.2) and stats.std == pytest.approx(math.sqrt(1.36))
    assert stats.histogram == (2, 1, 2) and stats.edges == (0.0, 1.0, 2.0, 3.0)
    assert stats.to_dict()["shape"] == [8] and stats.nbytes == 32


def test_stats_of_other_dtypes_and_edge_cases():
    ints = tensor_stats("n", torch.tensor(7))
    assert (ints.min, ints.max, ints.std, ints.dtype, sum(ints.histogram)) == (7.0, 7.0, 0.0, "int64", 1)
    assert ints.edges[0] == 6.5 and ints.edges[-1] == 7.5
    flags = tensor_stats("b", torch.tensor([True, False, False, False]))
    assert flags.mean == 0.25 and flags.zero_fraction == 0.75
    half = tensor_stats("h", torch.linspace(-1, 1, 101).half())
    assert half.mean == pytest.approx(0.0, abs=1e-3) and half.dtype == "float16"
    empty = tensor_stats("e", torch.zeros(0, 3))
    assert empty.min is None and empty.histogram == () and empty.zero_fraction == 0.0
    all_nan = tensor_stats("x", torch.full((3,), float("nan")))
    assert all_nan.nan_count == 3 and all_nan.mean is None


def test_inspector_is_lazy_for_a_500_tensor_file(tmp_path, monkeypatch):
    path = tmp_path / "many.safetensors"
    save_file({f"layer{i}.weight": torch.randn(8, 8) * i for i in range(500)}, str(path))
    reads: list[str] = []
    original = SafetensorsReader.tensor
    monkeypatch.setattr(SafetensorsReader, "tensor",
                        lambda self, name: reads.append(name) or original(self, name))
    with CheckpointInspector(path) as ckpt:
        entries = ckpt.entries
        assert len(entries) == 500
        assert entries[2].name == "layer2.weight" and entries[10].name == "layer10.weight"
        assert entries[0].shape == (8, 8) and entries[0].dtype == "float32" and ckpt.total_bytes == 500 * 256
        assert reads == [] and ckpt.info is None and ckpt.format == "safetensors"
        assert ckpt.stats("layer3.weight").std == pytest.approx(3.0, rel=0.3)
        ckpt.stats("layer3.weight")
        assert reads == ["layer3.weight"]
        progress: list[float] = []
        stats = ckpt.all_stats(progress=lambda fraction, name: progress.append(fraction))
        assert len(stats) == 500 and len(progress) == 500 and progress[-1] == 1.0
        assert stats[0].max == 0.0 and len(reads) == 500
        assert len(ckpt.all_stats(should_stop=lambda: True)) == 0


def test_inspector_knows_studio_checkpoints_and_pt_files(tmp_path):
    info = CheckpointStore(tmp_path).save(5, {"w": torch.ones(3)}, metrics={"acc": 1.0})
    with CheckpointInspector(info.path) as ckpt:
        assert ckpt.info.step == 5 and ckpt.metadata["step"] == "5" and "tensor_order" not in ckpt.metadata
    torch.save({"model": {"w": torch.arange(4.0)}}, tmp_path / "foreign.pth")
    with CheckpointInspector(tmp_path / "foreign.pth") as ckpt:
        assert ckpt.format == "pytorch" and ckpt.stats("w").mean == 1.5 and ckpt.info is None


def test_diff_two_checkpoints(tmp_path):
    a = {"same": torch.ones(3), "moved": torch.tensor([3.0, 4.0]), "grown": torch.zeros(2),
         "old": torch.ones(1), "from_zero": torch.zeros(2)}
    b = {"same": torch.ones(3), "moved": torch.tensor([3.0, 5.0]), "grown": torch.zeros(3),
         "new": torch.ones(1), "from_zero": torch.ones(2)}
    store = CheckpointStore(tmp_path)
    info_a, info_b = store.save(1, a), store.save(2, b)
    progress: list[str] = []
    diffs = {d.name: d for d in diff_checkpoints(info_a.path, info_b.path,
                                                 progress=lambda f, name: progress.append(name))}
    assert diffs["same"].status == "same" and diffs["same"].relative_change == 0.0
    assert diffs["moved"].status == "changed" and diffs["moved"].relative_change == pytest.approx(1 / 5)
    assert diffs["moved"].max_abs_diff == 1.0
    assert (diffs["grown"].status, diffs["grown"].shape_a, diffs["grown"].shape_b) == ("shape", (2,), (3,))
    assert diffs["old"].status == "only_a" and diffs["new"].status == "only_b"
    assert diffs["from_zero"].relative_change == math.inf
    assert diffs["from_zero"].to_dict()["relative_change"] == "inf"
    assert sorted(progress) == sorted(diffs)


def test_diff_checkpoint_with_live_model(tmp_path):
    model = nn.Linear(4, 2)
    info = CheckpointStore(tmp_path).save(1, model.state_dict())
    with torch.no_grad():
        model.bias.add_(1.0)
    diffs = {d.name: d for d in diff_with_model(info.path, model)}
    assert diffs["weight"].status == "same" and diffs["bias"].status == "changed"
    assert diffs["bias"].max_abs_diff == pytest.approx(1.0)
