"""A run's display name and tags (``labels.json`` in the run directory): renaming a run never moves
its folder, so a writer that is still running keeps its paths."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from studio.engine.atomic import atomic_write_text
from studio.engine.errors import StudioError
from studio.engine.jsonio import read_json

LABELS = "labels.json"


@dataclass(frozen=True)
class RunLabels:
    """``name`` shown instead of the folder name (empty: the folder name), and free-form ``tags``."""

    name: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


def read_labels(run_dir: str | os.PathLike) -> RunLabels:
    """The labels of ``run_dir`` (defaults when there are none or the file is unreadable)."""
    try:
        data = read_json(Path(run_dir) / LABELS)
    except StudioError:
        return RunLabels()
    if not isinstance(data, dict):
        return RunLabels()
    tags = data.get("tags")
    return RunLabels(str(data.get("name") or ""),
                     tuple(str(t) for t in tags) if isinstance(tags, list) else ())


def write_labels(run_dir: str | os.PathLike, labels: RunLabels) -> None:
    """Save ``labels`` into ``run_dir`` atomically."""
    tags = sorted({tag.strip() for tag in labels.tags if tag.strip()})
    atomic_write_text(Path(run_dir) / LABELS, json.dumps({"name": labels.name.strip(), "tags": tags}) + "\n")
