"""Validation and shape inference of a whole spec, without running the model.

``analyze(spec)`` never raises for user mistakes: it returns located issues, per-node shapes,
parameter counts and multiply-adds (the canvas shows them live; ``studio model summary`` prints them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.engine.spec.build import Issue, NodeInfo, SpecWalker
from studio.engine.spec.model import ModelSpec


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


def analyze(spec: ModelSpec) -> Analysis:
    """Validate ``spec`` and infer every node's shape, parameters and multiply-adds."""
    built = SpecWalker(spec, device="meta", collect=True).walk()
    if built.module is not None:
        total = sum(p.numel() for p in built.module.parameters())
        trainable = sum(p.numel() for p in built.module.parameters() if p.requires_grad)
    else:
        total = trainable = sum(info.params for info in built.infos.values())
    macs = sum(info.macs for info in built.infos.values())
    return Analysis(built.infos, built.order, built.issues, total, trainable, macs)


def validate(spec: ModelSpec) -> list[Issue]:
    """Located problems of ``spec`` (empty when it compiles)."""
    return analyze(spec).issues
