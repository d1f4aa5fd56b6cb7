"""From a path the user gives to a run's checkpoints: one answer for a run folder, its checkpoints
folder or one checkpoint's file, for every command and panel that takes such a path.

    where = locate_checkpoint("runs/demo-20240101-120000")   # or .../checkpoints, or .../ckpt-000001200.json
    where.store, where.checkpoint, where.run_dir               # the newest (or prefer="best") checkpoint

A folder that holds no checkpoint is one CheckpointError sentence, as is a file that is not a complete
Studio checkpoint (:func:`checkpoint_file` takes foreign weights files as they are).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.info import NAME_PATTERN, CheckpointInfo
from studio.engine.checkpoints.store import CheckpointStore
from studio.engine.runs import layout


class Located(NamedTuple):
    """A checkpoint and where it lives: its ``store`` and its run folder (None outside a run)."""

    store: CheckpointStore
    checkpoint: CheckpointInfo
    run_dir: Path | None


def checkpoints_folder(path: str | os.PathLike) -> Path:
    """The folder of the checkpoints ``path`` names: ``RUN/checkpoints`` for a run folder, the folder
    itself for a checkpoints folder (or any other), the parent of a checkpoint file."""
    path = Path(path).expanduser()
    if path.is_file():
        return path.parent
    return path / layout.CHECKPOINTS if (path / layout.CHECKPOINTS).is_dir() else path


def run_of(path: str | os.PathLike) -> Path | None:
    """The run folder ``path`` (a run folder, its checkpoints folder or a checkpoint file) belongs to;
    None for checkpoints kept outside a run."""
    folder = checkpoints_folder(path)
    return folder.parent if folder.name == layout.CHECKPOINTS else None


def list_checkpoints(path: str | os.PathLike) -> list[CheckpointInfo]:
    """The complete checkpoints of a run folder or checkpoints folder, oldest first (none: [])."""
    return CheckpointStore(checkpoints_folder(path), keep_last=None).list()


def checkpoint_record(path: str | os.PathLike) -> CheckpointInfo | None:
    """The store's record of the Studio checkpoint whose file (weights, sidecar or state) is ``path``;
    None for a file that is not a complete Studio checkpoint."""
    path = Path(path).expanduser()
    stem = path.name.split(".", 1)[0]
    if not NAME_PATTERN.match(stem):
        return None
    return next((info for info in list_checkpoints(path.parent) if info.path.stem == stem), None)


def locate_checkpoint(target: str | os.PathLike | CheckpointInfo, prefer: str = "latest") -> Located:
    """The checkpoint ``target`` names, with its store and run: a checkpoint file (weights, sidecar or
    state) as it is, a folder's newest one (``prefer="best"``: its best, else its newest).
    CheckpointError when there is none."""
    if isinstance(target, CheckpointInfo):
        folder = target.path.parent
        return Located(CheckpointStore(folder, keep_last=None), target, run_of(folder))
    path = Path(target).expanduser()
    if path.is_dir():
        folder = checkpoints_folder(path)
        store = CheckpointStore(folder, keep_last=None)
        info = (store.best() if prefer == "best" else None) or store.latest()
        if info is None:
            raise CheckpointError(_no_checkpoint(path, folder))
        return Located(store, info, run_of(folder))
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    info = checkpoint_record(path)
    if info is None:
        raise CheckpointError(f"{path} is not a complete Studio checkpoint (its .json sidecar is missing)")
    return Located(CheckpointStore(path.parent, keep_last=None), info, run_of(path.parent))


def checkpoint_file(path: str | os.PathLike) -> Path:
    """The weights file to read for ``path``: a file as it is (any format), a Studio sidecar's weights,
    or a run or checkpoints folder's newest checkpoint. CheckpointError when there is none."""
    path = Path(path).expanduser()
    if path.is_dir():
        return locate_checkpoint(path).checkpoint.path
    if path.suffix == ".json" and NAME_PATTERN.match(path.stem):
        path = path.with_suffix(".safetensors")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    return path


def _no_checkpoint(path: Path, folder: Path) -> str:
    """Why folder ``path`` gives no checkpoint: a run, checkpoints folder or empty folder without one
    (yet), or a folder that holds other things and is no run at all."""
    if folder == path and path.name != layout.CHECKPOINTS and not layout.is_run_dir(path):
        try:
            names = [entry.name for entry in path.iterdir()]
        except OSError:
            names = []
        if names and not any(name.lstrip(".").startswith("ckpt-") for name in names):
            return (f"{path} is not a run folder: it has no {layout.CHECKPOINTS} folder, {layout.STATUS} "
                    "or checkpoint files")
    return f"no complete checkpoint in {folder}"
