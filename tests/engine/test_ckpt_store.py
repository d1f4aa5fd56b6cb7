"""CheckpointStore: atomic saves, listing, pruning to keep-last plus best, loading."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from torch import nn

from studio.engine.checkpoints import CheckpointError, CheckpointStore
from studio.engine.compiler import compile_spec
from studio.engine.spec.io import spec_hash
from studio.engine.templates import create_template


def weights(value: float) -> dict[str, torch.Tensor]:
    return {"a.weight": torch.full((3, 4), value), "a.bias": torch.arange(3.0) + value}


def test_save_list_load_round_trip(tmp_path):
    store = CheckpointStore(tmp_path / "ckpt")
    spec = create_template("mlp", num_classes=3)
    info = store.save(100, weights(1.0), epoch=1.5, metrics={"loss": torch.tensor(0.25), "acc": 0.5},
                      spec=spec, reason="stop")
    assert info.path.name == "ckpt-000000100.safetensors"
    assert (info.step, info.epoch, info.reason, info.is_last) == (100, 1.5, "stop", True)
    assert info.metrics == {"loss": 0.25, "acc": 0.5}
    assert info.size == info.path.stat().st_size and info.time > 0
    loaded = store.load_weights(info)
    assert torch.equal(loaded["a.weight"], weights(1.0)["a.weight"])
    assert store.load_spec(info).name == spec.name
    with safe_open(str(info.path), "pt") as handle:
        meta = handle.metadata()
    assert meta["step"] == "100" and json.loads(meta["metrics"])["acc"] == 0.5
    assert meta["spec_hash"] == spec_hash(spec) and meta["studio_version"]
    with pytest.raises(CheckpointError, match="without training state"):
        store.load_training_state(info)


def test_keep_last_and_best_are_kept(tmp_path):
    store = CheckpointStore(tmp_path, keep_last=2, best_metric="acc", best_mode="max")
    accs = [0.1, 0.9, 0.3, 0.4, 0.2]
    for i, acc in enumerate(accs):
        store.save(i * 10, weights(i), metrics={"acc": acc})
    infos = store.list()
    assert [i.step for i in infos] == [10, 30, 40]
    assert store.best().step == 10 and store.latest().step == 40
    assert [i.is_last for i in infos] == [False, False, True]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"ckpt-0000000{s}.{ext}" for s in (10, 30, 40) for ext in ("json", "safetensors")]
    # a reader that does not know the metric uses the one the writer recorded
    assert CheckpointStore(tmp_path).best().step == 10
    # lower is better
    low = CheckpointStore(tmp_path / "low", keep_last=1, best_metric="loss", best_mode="min")
    for i, loss in enumerate([3.0, 1.0, float("nan"), 2.0]):
        low.save(i, weights(i), metrics={"loss": loss})
    assert [i.step for i in low.list()] == [1, 3] and low.best().step == 1


def test_training_state_round_trip_with_weights_only(tmp_path):
    model = nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(5, 4)).sum().backward()
    opt.step()
    state = {"optimizer": opt.state_dict(), "rng": torch.get_rng_state(), "step": 7}
    store = CheckpointStore(tmp_path)
    info = store.save(7, model.state_dict(), training_state=state)
    assert info.state_path is not None and info.size > info.path.stat().st_size
    back = store.load_training_state(info)
    assert back["step"] == 7 and torch.equal(back["rng"], state["rng"])
    fresh = torch.optim.Adam(model.parameters(), lr=0.1)
    fresh.load_state_dict(back["optimizer"])
    assert torch.equal(fresh.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_shared_and_non_contiguous_tensors_are_stored(tmp_path):
    base = torch.randn(4, 6)
    shared = {"w": base, "tied": base, "view": base[:2], "t": base.t()}
    info = CheckpointStore(tmp_path).save(1, shared)
    back = CheckpointStore(tmp_path).load_weights(info)
    for name, tensor in shared.items():
        assert torch.equal(back[name], tensor)


def test_compiled_model_state_dict_saves(tmp_path):
    model = compile_spec(create_template("small_cnn"))
    info = CheckpointStore(tmp_path).save(3, model.state_dict())
    back = CheckpointStore(tmp_path).load_weights(info)
    assert list(back) == list(model.state_dict())  # the model's order survives safetensors' sorting


def test_incomplete_checkpoints_are_ignored_and_cleaned(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save(1, weights(1))
    # a save killed after the weights were renamed but before the sidecar: no sidecar
    (tmp_path / "ckpt-000000002.safetensors").write_bytes(b"partial")
    (tmp_path / ".ckpt-000000003.safetensors.abc.tmp").write_bytes(b"temp")
    (tmp_path / "ckpt-000000004.json").write_text("{not json")
    assert [i.step for i in store.list()] == [1]
    store.save(5, weights(5))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "ckpt-000000002.safetensors" not in names and not any(n.endswith(".tmp") for n in names)
    assert [i.step for i in store.list()] == [1, 5]


def test_resaving_a_step_replaces_it(tmp_path):
    store = CheckpointStore(tmp_path)
    store.save(4, weights(1), training_state={"x": 1})
    info = store.save(4, weights(2))
    assert len(store.list()) == 1 and info.state_path is None
    assert torch.equal(store.load_weights(info)["a.weight"], weights(2)["a.weight"])


def test_bad_arguments_are_clear(tmp_path):
    with pytest.raises(CheckpointError, match="best_mode"):
        CheckpointStore(tmp_path, best_mode="up")
    with pytest.raises(CheckpointError, match="not a tensor"):
        CheckpointStore(tmp_path).save(1, {"w": [1, 2]})
    with pytest.raises(CheckpointError, match=r"training_state\['rng'\]\[1\] is a numpy.ndarray"):
        CheckpointStore(tmp_path).save(1, weights(1), training_state={"rng": ("MT19937", np.zeros(3))})
    with pytest.raises(CheckpointError, match="metric 'm'"):
        CheckpointStore(tmp_path).save(1, weights(1), metrics={"m": object()})
    assert CheckpointStore(tmp_path / "none").list() == []
    with pytest.raises(CheckpointError, match="no complete checkpoint"):
        CheckpointStore(tmp_path).get(99)
