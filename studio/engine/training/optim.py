"""Optimizers and learning-rate schedules (functions of the step, with linear warm-up)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch

from studio.engine.training.config import OptimizerConfig, ScheduleConfig


def build_optimizer(params: Iterable[torch.nn.Parameter], config: OptimizerConfig) -> torch.optim.Optimizer:
    """SGD (momentum, Nesterov), Adam, AdamW or RMSprop with the configured weight decay."""
    params = [p for p in params if p.requires_grad]
    if config.name == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov,
                               weight_decay=config.weight_decay)
    if config.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr, alpha=config.alpha, eps=config.eps,
                                   momentum=config.momentum, weight_decay=config.weight_decay)
    kind = torch.optim.Adam if config.name == "adam" else torch.optim.AdamW
    return kind(params, lr=config.lr, betas=(config.betas[0], config.betas[1]), eps=config.eps,
                weight_decay=config.weight_decay)


def lr_factor(config: ScheduleConfig, total_steps: int, base_lr: float) -> Callable[[int], float]:
    """``factor(step)``: the multiplier of the base learning rate at ``step`` (0-based)."""
    warmup = config.warmup_steps
    floor = config.min_lr / base_lr

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        t = step - warmup
        if config.name == "exponential":
            exponent = t / config.decay_steps
            return config.decay_rate ** (math.floor(exponent) if config.staircase else exponent)
        if config.name == "step":
            return config.gamma ** (t // config.step_size)
        if config.name == "cosine":
            span = max(total_steps - warmup, 1)
            progress = min(t / span, 1.0)
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
        return 1.0

    return factor


def build_scheduler(optimizer: torch.optim.Optimizer, config: ScheduleConfig,
                    total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR stepped once per training step."""
    base_lr = optimizer.param_groups[0]["lr"]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, total_steps, base_lr))
