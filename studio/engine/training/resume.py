"""Finding the checkpoint to resume from, and the training state saved beside its weights.

The state holds only tensors and plain values (loaded with ``torch.load(weights_only=True)``): the
optimizer, scheduler and grad-scaler states, the step, and the random generator states of every
process. Data order and augmentation are functions of (seed, epoch/step), so they need no state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from studio.engine.checkpoints import CheckpointError, CheckpointInfo, CheckpointStore
from studio.engine.runs import layout


def resolve_checkpoint(target: str | os.PathLike | CheckpointInfo) -> tuple[CheckpointStore, CheckpointInfo,
                                                                              Path | None]:
    """``(store, checkpoint, run directory or None)`` for a checkpoint file, a checkpoints folder or a
    run directory (its latest checkpoint). CheckpointError when there is none."""
    if isinstance(target, CheckpointInfo):
        store = CheckpointStore(target.path.parent, keep_last=None)
        return store, target, _run_of(target.path.parent)
    path = Path(target).expanduser()
    if path.is_dir():
        folder = path / layout.CHECKPOINTS if (path / layout.CHECKPOINTS).is_dir() else path
        store = CheckpointStore(folder, keep_last=None)
        info = store.latest()
        if info is None:
            raise CheckpointError(f"no complete checkpoint in {folder}")
        return store, info, _run_of(folder)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    stem = path.name.split(".", 1)[0]
    store = CheckpointStore(path.parent, keep_last=None)
    for info in store.list():
        if info.path.stem == stem:
            return store, info, _run_of(path.parent)
    raise CheckpointError(f"{path} is not a complete Studio checkpoint (its .json sidecar is missing)")


def _run_of(folder: Path) -> Path | None:
    return folder.parent if folder.name == layout.CHECKPOINTS else None


def capture_rng() -> dict[str, Any]:
    """This process's torch generator states (CPU and every CUDA device)."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if torch.cuda.is_available() and state.get("cuda"):
        torch.cuda.set_rng_state_all(state["cuda"])
