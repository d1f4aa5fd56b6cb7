"""The files of a run directory (shared by the writer, the reader, the GUI and torchrun)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

SPEC = "spec.json"
CONFIG = "config.json"
DATA_REPORT = "data_report.json"
SPLIT = "split.json"
METRICS = "metrics.jsonl"  # one JSON record per line: {"kind": "step" | "epoch" | "eval" | "resume", ...}
STATUS = "status.json"  # {"state": "preparing" | "running" | "paused" | "finished" | "failed", ...}
LOG = "log.txt"
CHECKPOINTS = "checkpoints"
EVAL = "eval"  # evaluation loops write their own metrics.jsonl here

ACTIVE_STATES = ("preparing", "running", "paused")


def new_run_dir(root: str | os.PathLike = "runs", name: str = "run") -> Path:
    """A fresh, not yet existing ``root/<name>-<YYYYmmdd-HHMMSS>[-N]`` path."""
    safe = re.sub(r"[^\w.-]+", "_", name).strip("_") or "run"
    base = Path(root) / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def is_run_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a run directory: a trainer wrote its status or config, or its checkpoints."""
    path = Path(path)
    return (path / STATUS).exists() or (path / CONFIG).exists() or (path / CHECKPOINTS).is_dir()


def list_runs(root: str | os.PathLike) -> list[Path]:
    """Run directories directly under ``root`` (those with a status or config file), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if p.is_dir() and ((p / STATUS).exists() or (p / CONFIG).exists())]
    return sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)
