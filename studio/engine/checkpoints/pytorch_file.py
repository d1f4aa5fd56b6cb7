"""Reading PyTorch ``.pt``/``.pth``/``.bin`` files without ever running code from them.

Only ``torch.load(weights_only=True)`` is used (memory-mapped when the file allows it); a file that
holds pickled Python objects beyond tensors and plain containers is refused with a message saying
what it holds and how to re-save it.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from studio.engine.checkpoints.errors import CheckpointError

# Where training scripts commonly keep the weights inside a bigger checkpoint dict, in order of preference.
STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model", "module", "net", "network", "model_ema",
                   "ema", "weights", "params", "params_ema", "generator")

RESAVE_HINT = ("Re-save it from the code that made it as a plain state_dict "
               "(torch.save(model.state_dict(), path)) or as .safetensors.")


def load_pytorch_file(path: Path, zip_format: bool) -> Any:
    """``torch.load`` with ``weights_only=True`` (and ``mmap`` for zip files); clear errors."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=zip_format)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        raise CheckpointError(
            f"{path} holds Python objects{what} that would have to run code to load; Studio only "
            f"loads plain tensors and containers and refused it. {RESAVE_HINT}") from None
    except Exception as exc:  # corrupt files make torch raise many types (struct.error, AssertionError)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint (truncated or corrupt?): "
                              f"{first_line}") from None


def extract_state_dict(obj: Any, path: Path) -> tuple[dict[str, torch.Tensor], str | None]:
    """The name -> tensor dict inside a loaded file, and the key it was found under (None: top level)."""
    if isinstance(obj, Mapping):
        if obj and all(isinstance(value, torch.Tensor) for value in obj.values()):
            return {str(name): value for name, value in obj.items()}, None
        for key in STATE_DICT_KEYS:
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                found, where = extract_state_dict(inner, path)
                return found, key if where is None else f"{key}.{where}"
        flat = _flatten(obj)
        if flat:
            return flat, None
    raise CheckpointError(f"{path} contains no tensors Studio can use as weights (a "
                          f"{type(obj).__name__}{_keys_hint(obj)}); expected a state_dict or a dict "
                          f"holding one under one of: {', '.join(STATE_DICT_KEYS)}")


def _flatten(obj: Mapping, prefix: str = "") -> dict[str, torch.Tensor] | None:
    """Tensor leaves of nested string-keyed dicts with dotted names (None if there are none)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            out.update(_flatten(value, name + ".") or {})
    return out or None


def _keys_hint(obj: Any) -> str:
    if isinstance(obj, Mapping):
        keys = [str(k) for k in list(obj)[:8]]
        return f" with keys {', '.join(keys)}" if keys else ", empty"
    return ""
