"""Validation and shape inference of a whole spec, without running the model.

``analyze(spec)`` never raises for user mistakes: it returns located issues, per-node shapes,
parameter counts and multiply-adds (the canvas shows them live; ``studio model summary`` prints them).
``analyze(spec, data=facts)`` also fits the model to a data folder (:mod:`studio.engine.data.facts`):
an input without a shape takes the images' shape and every trained output must give one value per
class; :func:`fitted_spec` is the spec as it then trains (the window and `studio train` share it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.engine.errors import SpecError
from studio.engine.spec.build import Issue, NodeInfo, SpecWalker
from studio.engine.spec.fit import head_issues
from studio.engine.spec.model import ModelSpec
from studio.engine.spec.resolve import DATA


@dataclass
class Analysis:
    """Everything the canvas shows about a spec."""

    nodes: dict[str, NodeInfo]
    order: list[str]
    issues: list[Issue]
    total_params: int
    trainable_params: int
    total_macs: int

    @property
    def ok(self) -> bool:
        return not any(issue.severity == "error" for issue in self.issues)

    def issues_for(self, node_id: str) -> list[Issue]:
        return [issue for issue in self.issues if issue.node == node_id]

    def activation_bytes(self, batch_size: int = 1, bytes_per_value: int = 4) -> int:
        """Estimated memory of all node outputs for one forward pass of ``batch_size`` samples."""
        total = 0
        for info in self.nodes.values():
            if info.output_shape is not None and info.type not in ("input", "output"):
                count = 1
                for dim in info.output_shape:
                    count *= dim
                total += count
        return total * batch_size * bytes_per_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "nodes": [
                {"id": info.id, "type": info.type,
                 "output_shape": list(info.output_shape) if info.output_shape is not None else None,
                 "params": info.params, "macs": info.macs}
                for info in (self.nodes[node_id] for node_id in self.order)
            ],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "total_macs": self.total_macs,
            "issues": [issue.to_dict() for issue in self.issues],
        }


def analyze(spec: ModelSpec, data: Any = None) -> Analysis:
    """Validate ``spec`` and infer every node's shape, parameters and multiply-adds; with ``data``
    (DataFacts) inputs without a shape take the data's and the heads are checked against its classes."""
    built = SpecWalker(spec, device="meta", collect=True, data=data).walk()
    built.issues.extend(head_issues(spec, built.infos, data))
    if built.module is not None:
        total = sum(p.numel() for p in built.module.parameters())
        trainable = sum(p.numel() for p in built.module.parameters() if p.requires_grad)
    else:
        total = trainable = sum(info.params for info in built.infos.values())
    macs = sum(info.macs for info in built.infos.values())
    return Analysis(built.infos, built.order, built.issues, total, trainable, macs)


def fitted_spec(spec: ModelSpec, data: Any) -> ModelSpec:
    """A copy of ``spec`` as it trains on ``data``: inputs without a shape hold the data's (so the run
    folder's spec compiles on its own). SpecError naming the first problem: a head that does not fit
    the classes in its own words ("output 'logits' gives 128 values but the data has 3 classes: set
    fc1 to 3 outputs"), anything else as a model that does not compile."""
    analysis = analyze(spec, data)
    first = next((issue for issue in analysis.issues if issue.severity == "error"), None)
    if first is not None:
        raise SpecError(first.message if first.about == "data" else f"the model does not compile: {first}")
    fitted = spec.copy()
    for node in fitted.input_nodes():
        arg = analysis.nodes[node.id].args.get("shape")
        if arg is not None and arg.source == DATA:
            node.args["shape"] = list(arg.value)
    return fitted


def validate(spec: ModelSpec) -> list[Issue]:
    """Located problems of ``spec`` (empty when it compiles)."""
    return analyze(spec).issues
