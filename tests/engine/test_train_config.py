"""Training configuration, losses, optimizers and schedules."""

from __future__ import annotations

import json
import math

import pytest
import torch

from studio.engine.data import DataError, LabelRule
from studio.engine.training import ConfigError, LossConfig, ScheduleConfig, TrainConfig, load_config
from studio.engine.training.losses import LossSet, bind_losses, task_loss
from studio.engine.training.optim import build_optimizer, build_scheduler, lr_factor


def test_defaults_and_json_round_trip(tmp_path):
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"epochs": 4, "data": {"root": "x", "labels": "index:80"},
                                "optimizer": {"name": "sgd", "lr": 0.1, "nesterov": True},
                                "augment": {"hflip": True, "crop_ratio": [0.5, 2]}}))
    config = load_config(path)
    assert config.batch_size == 64 and config.epochs == 4.0 and config.optimizer.nesterov
    assert config.data.labels == LabelRule("index", per_class=80) and config.augment.crop_ratio == (0.5, 2.0)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.replace(data={"root": "y"}).data.root == "y"


@pytest.mark.parametrize(("data", "message"), [
    ({"epoch": 3}, "did you mean 'epochs'"),
    ({"batch_size": "big"}, "batch_size has the wrong type"),
    ({"batch_size": 0}, "batch_size must be at least 1"),
    ({"optimizer": {"name": "adagrad"}}, "unknown optimizer"),
    ({"schedule": {"name": "poly"}}, "unknown schedule"),
    ({"losses": [{"kind": "hinge"}]}, "unknown loss"),
    ({"checkpoint": 5}, "must be a JSON object"),
    ({"amp": "maybe"}, "amp must be auto, on or off"),
])
def test_bad_values_are_named(data, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(data)


def test_bad_files_and_nested_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")
    with pytest.raises(DataError, match="needs a pattern"):
        TrainConfig.from_dict({"data": {"labels": {"kind": "regex"}}})


def test_schedules():
    def lr(name, step, **kw):
        return lr_factor(ScheduleConfig(name=name, **kw), total_steps=100, base_lr=0.1)(step)

    assert lr("constant", 50) == 1.0
    assert lr("constant", 0, warmup_steps=4) == 0.25 and lr("constant", 3, warmup_steps=4) == 1.0
    assert lr("exponential", 15, decay_rate=0.5, decay_steps=10) == pytest.approx(0.5 ** 1.5)
    assert lr("exponential", 15, decay_rate=0.5, decay_steps=10, staircase=True) == 0.5
    assert lr("step", 25, step_size=10, gamma=0.1) == pytest.approx(0.01)
    assert lr("cosine", 0) == 1.0 and lr("cosine", 50) == pytest.approx(0.5) and lr("cosine", 100) == 0.0
    assert lr("cosine", 100, min_lr=0.01) == pytest.approx(0.1)
    assert lr("cosine", 10, warmup_steps=10) == 1.0


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop"])
def test_optimizers_step_with_the_schedule(name):
    from studio.engine.training import OptimizerConfig

    model = torch.nn.Linear(3, 2)
    optimizer = build_optimizer(model.parameters(), OptimizerConfig(name=name, lr=0.1, weight_decay=0.01))
    scheduler = build_scheduler(optimizer, ScheduleConfig(name="step", step_size=1, gamma=0.5), 10)
    before = model.weight.detach().clone()
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    assert not torch.equal(before, model.weight) and optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_losses_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    ce = -(torch.log_softmax(logits, 1)[0, 0] + torch.log_softmax(logits, 1)[1, 0]) / 2
    assert task_loss(LossConfig("cross_entropy"), logits, labels) == pytest.approx(ce.item())
    one_hot = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    error = logits - one_hot
    assert task_loss(LossConfig("mse"), logits, labels) == pytest.approx((error ** 2).mean().item())
    assert task_loss(LossConfig("l1"), logits, labels) == pytest.approx(error.abs().mean().item())
    bce = -(one_hot * torch.log(torch.sigmoid(logits)) + (1 - one_hot) * torch.log(1 - torch.sigmoid(logits)))
    assert task_loss(LossConfig("sigmoid_cross_entropy"), logits, labels) == pytest.approx(bce.mean().item())
    smoothed = task_loss(LossConfig("cross_entropy", label_smoothing=0.2), logits, labels)
    assert not math.isclose(smoothed.item(), ce.item())


def test_loss_binding():
    assert [h.name for h in bind_losses((), ["logits"])] == ["cross_entropy"]
    heads = bind_losses((LossConfig("cross_entropy", "a"), LossConfig("l1", "b", weight=2.0)), ["a", "b"])
    assert [h.name for h in heads] == ["a/cross_entropy", "b/l1"]
    total, parts = LossSet(heads, regularized=False)({"a": torch.zeros(2, 3), "b": torch.zeros(2, 3)},
                                                    torch.tensor([0, 1]))
    assert total.item() == pytest.approx(parts["a/cross_entropy"].item() + 2 * parts["b/l1"].item())
    with pytest.raises(ConfigError, match="say which output"):
        bind_losses((LossConfig(),), ["a", "b"])
    with pytest.raises(ConfigError, match="names output 'c'"):
        bind_losses((LossConfig(output="c"),), ["a", "b"])
