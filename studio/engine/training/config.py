"""The training configuration: one frozen dataclass tree, loadable from JSON with defaults.

    config = load_config("train.json")          # missing keys take the defaults below
    config = TrainConfig.from_dict({"epochs": 5, "optimizer": {"name": "sgd", "lr": 0.1}})
    config.to_dict()                            # what the run writes to config.json
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from studio.engine.data import AugmentConfig, DataConfig
from studio.engine.jsonio import read_json
from studio.engine.training.fields import ConfigError, from_plain, to_plain

LOSS_KINDS = ("cross_entropy", "sigmoid_cross_entropy", "mse", "sum_of_squares", "l1")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "exponential", "step", "cosine")


@dataclass(frozen=True)
class LossConfig:
    """One task loss: ``kind`` applied to model output ``output`` (None: the only output), scaled by
    ``weight``. Targets come from the class labels (one-hot for the regression and sigmoid losses)."""

    kind: str = "cross_entropy"
    output: str | None = None
    weight: float = 1.0
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in LOSS_KINDS:
            raise ConfigError(f"unknown loss '{self.kind}' (use one of: {', '.join(LOSS_KINDS)})")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError("label_smoothing must be in [0, 1)")


@dataclass(frozen=True)
class OptimizerConfig:
    """``name`` sgd | adam | adamw | rmsprop. ``momentum``/``nesterov`` for SGD (and RMSprop momentum)."""

    name: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    betas: tuple[float, ...] = (0.9, 0.999)
    eps: float = 1e-8
    alpha: float = 0.99

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer '{self.name}' (use one of: {', '.join(OPTIMIZERS)})")
        if self.lr <= 0:
            raise ConfigError(f"the learning rate must be positive, not {self.lr}")


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning-rate schedule over steps, after ``warmup_steps`` of linear warm-up.

    exponential: ``lr * decay_rate ** (step / decay_steps)`` (floored with ``staircase``);
    step: ``lr * gamma ** (step // step_size)``; cosine: from lr down to ``min_lr`` at the last step.
    """

    name: str = "constant"
    warmup_steps: int = 0
    decay_rate: float = 0.1
    decay_steps: int = 1000
    staircase: bool = False
    step_size: int = 1000
    gamma: float = 0.1
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in SCHEDULES:
            raise ConfigError(f"unknown schedule '{self.name}' (use one of: {', '.join(SCHEDULES)})")
        if self.decay_steps < 1 or self.step_size < 1 or self.warmup_steps < 0:
            raise ConfigError("decay_steps and step_size must be >= 1, warmup_steps >= 0")


@dataclass(frozen=True)
class CheckpointConfig:
    """When to save: every N steps and/or seconds (neither: after each evaluation), at the end and
    on stop. Keeps the last ``keep_last`` plus the best by ``best_metric``."""

    every_steps: int | None = None
    every_seconds: float | None = None
    keep_last: int = 5
    best_metric: str = "val/accuracy"
    best_mode: str = "max"


@dataclass(frozen=True)
class EarlyStoppingConfig:
    """Stop when ``metric`` has not improved by ``min_delta`` for ``patience`` evaluations."""

    metric: str | None = None
    patience: int = 5
    mode: str = "max"
    min_delta: float = 0.0


@dataclass(frozen=True)
class InitConfig:
    """Fine-tuning (TF-Slim's ``init_fn``): before the first step, the model tensors chosen by
    ``include``/``exclude`` get the ``checkpoint`` tensors named through ``mapping`` (a NameMapping
    document); ``freeze`` keeps the restored parameters from training. Re-applied on resume."""

    checkpoint: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    mapping: Any = None
    freeze: bool = False


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs besides the model spec. The budget is ``steps`` when given, else
    ``epochs``. ``device`` auto | cpu | cuda | cuda:N; ``amp``/``channels_last`` auto = on for CUDA."""

    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    epochs: float = 10.0
    steps: int | None = None
    batch_size: int = 64
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    grad_clip: float | None = None
    losses: tuple[LossConfig, ...] = ()
    eval_every_steps: int | None = None
    eval_batch_size: int | None = None
    log_every: int = 10
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"
    channels_last: str = "auto"
    threads: int | None = None
    init: tuple[InitConfig, ...] = ()  # restores applied in order to the fresh model

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {self.batch_size}")
        if self.steps is None and self.epochs <= 0:
            raise ConfigError("the budget needs epochs > 0 or steps > 0")
        if self.steps is not None and self.steps < 1:
            raise ConfigError("steps must be at least 1")
        if self.log_every < 1:
            raise ConfigError("log_every must be at least 1")
        for name in ("amp", "channels_last"):
            if getattr(self, name) not in ("auto", "on", "off"):
                raise ConfigError(f"{name} must be auto, on or off")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return from_plain(cls, data, "config")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: to_plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def merged(self, changes: dict[str, Any]) -> TrainConfig:
        """A copy with ``changes`` given as JSON values (as ``from_dict`` reads them); nested sections
        are merged key by key, so ``{"optimizer": {"lr": 0.1}}`` keeps the optimizer's other keys."""
        data = self.to_dict()
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return TrainConfig.from_dict(data)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with top-level fields changed; ``data``/``optimizer`` accept dicts of changes too."""
        for key, value in list(changes.items()):
            current = getattr(self, key)
            is_config = dataclasses.is_dataclass(current) and not isinstance(current, type)
            if isinstance(value, dict) and is_config:
                changes[key] = dataclasses.replace(current, **value)
        return dataclasses.replace(self, **changes)


def load_config(path: str | os.PathLike) -> TrainConfig:
    """Read a JSON training config; ConfigError names the problem."""
    return TrainConfig.from_dict(read_json(path, f"training config {path}", error=ConfigError))
