"""The training state saved beside a checkpoint's weights (the checkpoint to resume from is found by
:func:`studio.engine.runs.locate.locate_checkpoint`).

The state holds only tensors and plain values (loaded with ``torch.load(weights_only=True)``): the
optimizer, scheduler and grad-scaler states, the step, and the random generator states of every
process. Data order and augmentation are functions of (seed, epoch/step), so they need no state.
"""

from __future__ import annotations

from typing import Any

import torch

from studio.engine.runs.locate import locate_checkpoint

resolve_checkpoint = locate_checkpoint  # (store, checkpoint, run folder), as studio.engine.projector names it


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
