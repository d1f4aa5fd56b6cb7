"""Writing and reading safetensors weight files, safely and atomically."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from studio.engine.atomic import atomic_write
from studio.engine.checkpoints.errors import CheckpointError


def storable(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU, contiguous tensors that own their memory: safetensors refuses tensors sharing storage."""
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, value in weights.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"'{name}' is not a tensor ({type(value).__name__}); "
                                  "only tensors can be stored as weights")
        tensor = value.detach().to("cpu")
        if tensor.numel():
            storage = tensor.untyped_storage()
            shared = storage.data_ptr() in seen or storage.nbytes() != tensor.nbytes
            seen.add(storage.data_ptr())
            if shared or not tensor.is_contiguous():
                tensor = tensor.clone(memory_format=torch.contiguous_format)
                seen.add(tensor.untyped_storage().data_ptr())
        out[name] = tensor
    return out


def write_weights(path: str | os.PathLike, weights: dict[str, torch.Tensor],
                  metadata: dict[str, str] | None = None) -> Path:
    """Save ``weights`` to a safetensors file atomically (temp file, fsync, rename)."""
    tensors = storable(weights)
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def read_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file; CheckpointError if it is missing, truncated or corrupt."""
    path = Path(path)
    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file {path} does not exist") from None
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file (truncated or corrupt?): "
                              f"{exc}") from None
