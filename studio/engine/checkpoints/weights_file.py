"""Writing safetensors weight files atomically, whatever the tensors' memory layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import save, save_file

from studio.engine.atomic import atomic_write
from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.filenames import is_utf8

ORDER_KEY = "tensor_order"


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
    return atomic_write(path, lambda tmp: save_weights(tmp, weights, metadata))


def save_weights(path: str | os.PathLike, weights: dict[str, torch.Tensor],
                 metadata: dict[str, str] | None = None) -> None:
    """Save ``weights`` to a safetensors file in place (callers wanting atomicity use write_weights).

    safetensors does not keep the order of tensors; it is recorded in the ``tensor_order`` metadata.
    """
    tensors = storable(weights)
    metadata = {**(metadata or {}), ORDER_KEY: json.dumps(list(tensors))}
    if is_utf8(path):
        save_file(tensors, str(path), metadata=metadata)
    else:  # safetensors opens only UTF-8 paths: the bytes are written here
        with open(path, "wb") as handle:
            handle.write(save(tensors, metadata=metadata))
