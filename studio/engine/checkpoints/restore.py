"""Applying a restore plan to a live model, and freezing/unfreezing what was restored.

    plan = plan_restore(model, "vgg16.pth", Selection(exclude=("fc6", "fc7", "fc8")), preset("vgg16"))
    print(plan.summary())
    result = apply_plan(model, plan, "vgg16.pth", freeze=True)
    ...
    unfreeze(model)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.plan import RestorePlan, plan_restore
from studio.engine.checkpoints.reader import CheckpointSource, reading
from studio.engine.checkpoints.selection import Selection

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RestoreResult:
    plan: RestorePlan
    restored: tuple[str, ...]  # model tensor names written
    frozen: tuple[str, ...]  # parameters whose requires_grad was turned off


def apply_plan(model: nn.Module, plan: RestorePlan, source: CheckpointSource, *,
               on_mismatch: str = "skip", freeze: bool = False,
               progress: Progress | None = None) -> RestoreResult:
    """Copy the planned tensors into ``model`` (all read before any is written).

    ``on_mismatch="fail"`` raises CheckpointError, writing nothing, when any shape differs.
    ``freeze=True`` turns ``requires_grad`` off for the restored parameters (see :func:`unfreeze`).
    """
    if on_mismatch not in ("skip", "fail"):
        raise CheckpointError(f"on_mismatch must be 'skip' or 'fail', not {on_mismatch!r}")
    state = model.state_dict(keep_vars=True)
    if set(state) != {entry.name for entry in plan.model}:
        raise CheckpointError("this restore plan was made for a different model: plan it again")
    mismatches = plan.of_status("mismatch")
    if mismatches and on_mismatch == "fail":
        listed = "; ".join(f"{m.name}: model {list(m.shape)} vs checkpoint {m.source} "
                           f"{list(m.source_shape or ())}" for m in mismatches[:5])
        more = f" (and {len(mismatches) - 5} more)" if len(mismatches) > 5 else ""
        raise CheckpointError(f"{len(mismatches)} tensors differ in shape, nothing restored: {listed}{more}")
    todo = plan.of_status("restore")
    values = {}
    with reading(source) as reader:
        for index, entry in enumerate(todo):
            assert entry.source is not None  # a planned restore names its checkpoint tensor
            values[entry.name] = reader.tensor(entry.source)
            if progress is not None:
                progress((index + 1) / (2 * len(todo)), f"reading {entry.source}")
    frozen = []
    with torch.no_grad():
        for index, entry in enumerate(todo):
            target = state[entry.name]
            target.copy_(values[entry.name])
            if freeze and isinstance(target, nn.Parameter) and target.requires_grad:
                target.requires_grad_(False)
                frozen.append(entry.name)
            if progress is not None:
                progress(0.5 + (index + 1) / (2 * len(todo)), f"writing {entry.name}")
    return RestoreResult(plan, tuple(entry.name for entry in todo), tuple(frozen))


def restore(model: nn.Module, source: CheckpointSource, selection: Selection | None = None,
            mapping: NameMapping | None = None, *, on_mismatch: str = "skip", freeze: bool = False,
            progress: Progress | None = None) -> RestoreResult:
    """Plan and apply in one call (keep the result's plan to show what happened)."""
    with reading(source) as reader:
        plan = plan_restore(model, reader, selection, mapping)
        return apply_plan(model, plan, reader, on_mismatch=on_mismatch, freeze=freeze, progress=progress)


def freeze(model: nn.Module, names: Iterable[str] | Selection) -> list[str]:
    """Turn ``requires_grad`` off for the named parameters (or those a Selection matches)."""
    return _set_trainable(model, names, False)


def unfreeze(model: nn.Module, names: Iterable[str] | Selection | None = None) -> list[str]:
    """Turn ``requires_grad`` back on for the named parameters, or all of them."""
    return _set_trainable(model, Selection() if names is None else names, True)


def _set_trainable(model: nn.Module, names: Iterable[str] | Selection, trainable: bool) -> list[str]:
    params = dict(model.named_parameters())
    if isinstance(names, Selection):
        chosen = names.select(params)
    else:
        chosen = list(names)
        unknown = [name for name in chosen if name not in params]
        if unknown:
            raise CheckpointError(f"no parameter(s) named {', '.join(unknown[:5])} in the model")
    changed = []
    for name in chosen:
        if params[name].requires_grad != trainable:
            params[name].requires_grad_(trainable)
            changed.append(name)
    return changed
