"""What a checkpoint is: its files, its metadata, and the sidecar JSON that marks it complete.

A checkpoint ``ckpt-000001200`` is ``ckpt-000001200.safetensors`` (weights, with string metadata),
optionally ``ckpt-000001200.state.pt`` (optimizer/scheduler/RNG state) and ``ckpt-000001200.json``,
written last: only a checkpoint whose sidecar exists is complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.jsonio import read_json

FORMAT = "studio.checkpoint/1"
NAME_PATTERN = re.compile(r"^ckpt-(\d{9,})$")


def checkpoint_stem(step: int) -> str:
    """The file stem of the checkpoint at ``step``: ``ckpt-000001200``."""
    return f"ckpt-{step:09d}"


@dataclass(frozen=True)
class CheckpointInfo:
    """One complete checkpoint: ``path`` is its ``.safetensors``; ``size`` counts all its files."""

    path: Path
    step: int
    epoch: float = 0.0
    time: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    is_best: bool = False
    is_last: bool = False
    reason: str = "scheduled"
    spec_hash: str | None = None
    studio_version: str | None = None
    state_path: Path | None = None

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def sidecar(self) -> Path:
        return self.path.with_suffix(".json")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (for ``--json`` output and the GUI)."""
        return {"name": self.name, "path": str(self.path), "step": self.step, "epoch": self.epoch,
                "time": self.time, "metrics": dict(self.metrics), "size": self.size,
                "is_best": self.is_best, "is_last": self.is_last, "reason": self.reason,
                "spec_hash": self.spec_hash, "studio_version": self.studio_version,
                "state_path": str(self.state_path) if self.state_path else None}


def read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar document at ``path``; CheckpointError when it is unreadable or not a checkpoint's."""
    data = read_json(path, f"checkpoint metadata {path}", error=CheckpointError)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Studio checkpoint sidecar (format {FORMAT})")
    return data


def info_from_sidecar(sidecar: Path, data: dict[str, Any]) -> CheckpointInfo:
    """A CheckpointInfo (not yet marked best/last) from a sidecar and the files beside it."""
    weights = sidecar.with_suffix(".safetensors")
    state = sidecar.with_name(sidecar.stem + ".state.pt")
    try:
        size = weights.stat().st_size
    except OSError:
        raise CheckpointError(f"checkpoint {sidecar.stem} has lost its weights file {weights}") from None
    has_state = bool(data.get("has_state"))
    if has_state:
        try:
            size += state.stat().st_size
        except OSError:  # never written, or pruned while we looked
            has_state = False
    try:
        return CheckpointInfo(
            path=weights, step=int(data["step"]), epoch=float(data.get("epoch", 0.0)),
            time=float(data.get("time", 0.0)), metrics=dict(data.get("metrics") or {}), size=size,
            reason=str(data.get("reason", "scheduled")), spec_hash=data.get("spec_hash"),
            studio_version=data.get("studio_version"), state_path=state if has_state else None)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CheckpointError(f"checkpoint metadata {sidecar} is malformed: {exc}") from None
