"""The restore plan: what happens to every model tensor and every checkpoint tensor, before any write.

Model tensors are ``restore`` (from a named checkpoint tensor), ``mismatch`` (shapes differ; both
given), ``missing`` (nothing maps to it: it keeps its initial value) or ``excluded`` (by the
selection). Checkpoint tensors are used or unused, with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.reader import CheckpointSource, reading
from studio.engine.checkpoints.selection import Selection

Shape = tuple[int, ...]


@dataclass(frozen=True)
class ModelTensorPlan:
    name: str
    status: str  # "restore" | "mismatch" | "missing" | "excluded"
    shape: Shape
    source: str | None = None  # the checkpoint tensor (restore, mismatch)
    source_shape: Shape | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "shape": list(self.shape), "source": self.source,
                "source_shape": list(self.source_shape) if self.source_shape is not None else None}


@dataclass(frozen=True)
class CheckpointTensorPlan:
    name: str
    used: bool
    target: str | None  # the model name it maps to (None: dropped by the mapping)
    reason: str  # "restored", "excluded", "shape mismatch", "not in model", "dropped by mapping"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "used": self.used, "target": self.target, "reason": self.reason}


@dataclass(frozen=True)
class RestorePlan:
    model: tuple[ModelTensorPlan, ...]
    checkpoint: tuple[CheckpointTensorPlan, ...]
    selection: Selection = field(default_factory=Selection)
    mapping: NameMapping = field(default_factory=NameMapping)
    unused_patterns: tuple[str, ...] = ()  # selection patterns that matched no model tensor

    def of_status(self, status: str) -> list[ModelTensorPlan]:
        return [entry for entry in self.model if entry.status == status]

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(entry.status for entry in self.model)
        return {"restore": counts["restore"], "mismatch": counts["mismatch"], "missing": counts["missing"],
                "excluded": counts["excluded"], "unused": sum(not e.used for e in self.checkpoint)}

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "selection": self.selection.to_dict(),
                "mapping": self.mapping.to_dict(), "unused_patterns": list(self.unused_patterns),
                "model": [entry.to_dict() for entry in self.model],
                "checkpoint": [entry.to_dict() for entry in self.checkpoint]}

    def summary(self) -> str:
        c = self.counts
        return (f"{c['restore']} restored, {c['mismatch']} shape mismatches, {c['missing']} missing "
                f"(keep their initial values), {c['excluded']} excluded; {c['unused']} checkpoint "
                f"tensors unused")


def make_plan(model_shapes: Mapping[str, Shape], checkpoint_shapes: Mapping[str, Shape],
              selection: Selection | None = None, mapping: NameMapping | None = None) -> RestorePlan:
    """The plan for restoring a checkpoint (name -> shape) into a model (name -> shape)."""
    selection = selection or Selection()
    mapping = mapping or NameMapping()
    sources: dict[str, str] = {}  # model name -> checkpoint name
    targets: dict[str, str | None] = {}
    for name in checkpoint_shapes:
        target = mapping.map(name)
        targets[name] = target
        if target is None:
            continue
        if target in sources:
            raise CheckpointError(f"checkpoint tensors '{sources[target]}' and '{name}' both map to "
                                  f"model tensor '{target}': fix the name mapping")
        sources[target] = name
    model: list[ModelTensorPlan] = []
    selected: dict[str, bool] = {}
    for name, shape in model_shapes.items():
        shape = tuple(shape)
        source = sources.get(name)
        selected[name] = selection.matches(name)
        if not selected[name]:
            model.append(ModelTensorPlan(name, "excluded", shape, source,
                                         _shape(checkpoint_shapes, source)))
        elif source is None:
            model.append(ModelTensorPlan(name, "missing", shape))
        else:
            source_shape = tuple(checkpoint_shapes[source])
            status = "restore" if source_shape == shape else "mismatch"
            model.append(ModelTensorPlan(name, status, shape, source, source_shape))
    statuses = {entry.name: entry.status for entry in model}
    reasons = {"restore": "restored", "mismatch": "shape mismatch", "excluded": "excluded"}
    checkpoint = []
    for name, target in targets.items():
        if target is None:
            checkpoint.append(CheckpointTensorPlan(name, False, None, "dropped by mapping"))
        elif target not in statuses:
            checkpoint.append(CheckpointTensorPlan(name, False, target, "not in model"))
        else:
            status = statuses[target]
            checkpoint.append(CheckpointTensorPlan(name, status == "restore", target, reasons[status]))
    return RestorePlan(tuple(model), tuple(checkpoint), selection, mapping,
                       tuple(selection.unused_patterns(model_shapes)))


def plan_restore(model: CheckpointSource, source: CheckpointSource, selection: Selection | None = None,
                 mapping: NameMapping | None = None) -> RestorePlan:
    """The plan for restoring ``source`` (a checkpoint path, reader or state_dict) into ``model``.

    Reads only names and shapes: no tensor data of the checkpoint is loaded.
    """
    with reading(model) as model_reader, reading(source) as reader:
        return make_plan({e.name: e.shape for e in model_reader.entries()},
                         {e.name: e.shape for e in reader.entries()}, selection, mapping)


def _shape(shapes: Mapping[str, Shape], name: str | None) -> Shape | None:
    return tuple(shapes[name]) if name is not None else None
