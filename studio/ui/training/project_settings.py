"""Where the training panel keeps things: the trainer configuration and the list of runs live in the
project file; runs go to ``runs/`` beside the project (while it is untitled, to its own scratch folder:
``ProjectDocument.runs_folder``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from studio.engine.errors import StudioError
from studio.engine.project import Project
from studio.engine.project_runs import run_reference
from studio.engine.training import TrainConfig


def config_from_project(project: Project, project_path: Path | None) -> tuple[TrainConfig, str | None]:
    """The project's training configuration (defaults for missing keys) with its data folder, and a
    warning when the saved configuration could not be read."""
    warning = None
    try:
        config = TrainConfig.from_dict(project.training) if project.training else TrainConfig()
    except StudioError as exc:
        config, warning = TrainConfig(), f"the project's training settings were reset: {exc}"
    if not config.data.root and project.data_dir:
        root = str(project.resolve(project.data_dir, project_path))
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, root=root))
    return config, warning


def store_config(project: Project, config: TrainConfig) -> bool:
    """Put ``config`` into ``project``; True when something changed."""
    data = config.to_dict()
    if data == project.training and project.data_dir == (config.data.root or None):
        return False
    project.training = data
    project.data_dir = config.data.root or None
    return True


def remember_run(project: Project, project_path: Path | None, run_dir: Path) -> bool:
    """Add ``run_dir`` to the project's runs (relative to the project file when inside its folder)."""
    entry = run_reference(run_dir, project_path)
    if entry in project.runs:
        return False
    project.runs.append(entry)
    return True


def forget_run(project: Project, project_path: Path | None, run_dir: Path) -> bool:
    """Remove ``run_dir`` from the project's runs; True when it was listed."""
    before = len(project.runs)
    project.runs[:] = [run for run in project.runs
                       if project.resolve(run, project_path).resolve() != run_dir.resolve()]
    return len(project.runs) != before
