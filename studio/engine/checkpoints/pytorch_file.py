"""Reading PyTorch ``.pt``/``.pth``/``.bin`` files without ever running code from them.

Only ``torch.load(weights_only=True)`` is used (memory-mapped when the file allows it); a file that
holds pickled Python objects beyond tensors and plain containers is refused with a message saying
what it holds and how to re-save it.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
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


MAX_NESTING = 64  # dict levels searched for weights (real checkpoints nest a handful)

# Lines of torch's weights-only error text that say nothing about the file itself.
_BOILERPLATE = ("weights only load failed", "please file an issue", "check the documentation",
                "re-running `torch.load`", "in pytorch 2.6")

# torch warns (several lines on stderr) about pickle protocols it did not write; the error says enough.
warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)


def load_pytorch_file(path: Path, zip_format: bool) -> Any:
    """``torch.load`` with ``weights_only=True`` (and ``mmap`` for zip files); clear errors."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=zip_format)
    except Exception as exc:  # corrupt files make torch raise many types (struct.error, AssertionError)
        hint = f". {RESAVE_HINT}" if isinstance(exc, pickle.UnpicklingError) else ""
        raise CheckpointError(torch_load_error_sentence(path, exc) + hint) from None


def torch_load_error_sentence(path: str | os.PathLike, exc: BaseException,
                              what: str = "PyTorch checkpoint") -> str:
    """One line saying why ``torch.load(path, weights_only=True)`` raised ``exc``.

    torch's weights-only refusal is many lines of advice; this keeps the file, the fact that it holds
    Python objects and the class torch named (``posix.system``), e.g. for a state file planted in a run.
    """
    text = str(exc)
    if isinstance(exc, pickle.UnpicklingError):
        found = re.search(r"GLOBAL ([\w.]+)", text)
        if found:
            return (f"{path} holds Python objects ({found.group(1)}) that would have to run code to "
                    "load; Studio loads only plain tensors and containers and refused it")
        detail = _telling_line(text)
        return (f"{path} holds pickled data that is not plain tensors and containers"
                f"{f' ({detail})' if detail else ''}; Studio refused to load it")
    if isinstance(exc, RecursionError):
        return f"{path} nests its contents too deeply to be a {what}"
    detail = _telling_line(text) or type(exc).__name__
    return f"{path} is not a readable {what} (truncated or corrupt?): {detail}"


def _telling_line(text: str) -> str:
    """The first line of torch's message that is about the file, not about torch.load's options."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line and not line.lower().startswith(_BOILERPLATE) and line.lower() != "weightsunpickler error:":
            return line.removeprefix("WeightsUnpickler error: ")
    return ""


def extract_state_dict(obj: Any, path: Path, depth: int = 0) -> tuple[dict[str, torch.Tensor], str | None]:
    """The name -> tensor dict inside a loaded file, and the key it was found under (None: top level)."""
    if isinstance(obj, Mapping):
        if obj and all(isinstance(value, torch.Tensor) for value in obj.values()):
            return {str(name): value for name, value in obj.items()}, None
        for key in STATE_DICT_KEYS:
            inner = obj.get(key)
            if isinstance(inner, Mapping) and depth < MAX_NESTING:
                found, where = extract_state_dict(inner, path, depth + 1)
                return found, key if where is None else f"{key}.{where}"
        flat = _flatten(obj)
        if flat:
            return flat, None
    raise CheckpointError(f"{path} contains no tensors Studio can use as weights (a "
                          f"{type(obj).__name__}{_keys_hint(obj)}); expected a state_dict or a dict "
                          f"holding one under one of: {', '.join(STATE_DICT_KEYS)}")


def _flatten(obj: Mapping, prefix: str = "", depth: int = 0) -> dict[str, torch.Tensor] | None:
    """Tensor leaves of nested string-keyed dicts with dotted names (None if there are none); dicts
    deeper than ``MAX_NESTING`` are not searched."""
    out: dict[str, torch.Tensor] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif (isinstance(value, Mapping) and depth < MAX_NESTING
              and all(isinstance(k, str) for k in value)):
            out.update(_flatten(value, name + ".", depth + 1) or {})
    return out or None


def _keys_hint(obj: Any) -> str:
    if isinstance(obj, Mapping):
        keys = [str(k) for k in list(obj)[:8]]
        return f" with keys {', '.join(keys)}" if keys else ", empty"
    return ""
