"""Tracing with torch.fx: Studio's layers stay whole, everything else is traced through to ops.

A failure (data-dependent control flow, Python on tensor values, an error in the user's forward)
becomes one sentence naming the module being traced and the line of the user's code.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import torch
import torch.fx
from torch import nn

from studio.engine.importing.errors import ModelImportError
from studio.engine.importing.leaves import is_layer_module

TORCH_DIRS = tuple(str(Path(m.__file__).resolve().parent) for m in (torch,) if m.__file__)


class LeafTracer(torch.fx.Tracer):
    """Keeps modules that are one Studio layer (and torch.nn's own, to report them) as leaves and
    remembers the module path being traced, for the messages."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return is_layer_module(m) or super().is_leaf_module(m, module_qualified_name)

    def call_module(self, m: nn.Module, forward: Any, args: tuple, kwargs: dict) -> Any:
        self.path.append(self.path_of_module(m))
        result = super().call_module(m, forward, args, kwargs)
        self.path.pop()  # (left in place on an error: the message names the innermost module)
        return result


def trace(model: nn.Module) -> torch.fx.GraphModule:
    """The traced graph of ``model`` (in eval mode); ModelImportError when it cannot be traced."""
    tracer = LeafTracer()
    try:
        graph = tracer.trace(model)
    except Exception as exc:
        where = _module_text(tracer.path[-1] if tracer.path else "", model)
        control = isinstance(exc, torch.fx.proxy.TraceError) or "symbolically traced" in str(exc)
        why = ("data-dependent control flow (Python deciding on a tensor's values) cannot be traced"
               if control else f"tracing raised {type(exc).__name__}: {_first_line(exc)}")
        raise ModelImportError(f"cannot trace {where}{_user_line(exc)}: {why}") from None
    return torch.fx.GraphModule(tracer.root, graph, type(model).__name__)


def _module_text(path: str, model: nn.Module) -> str:
    module = model.get_submodule(path) if path else model
    return f"module '{path}' ({type(module).__name__})" if path else f"the model ({type(model).__name__})"


def _user_line(exc: BaseException) -> str:
    """`` at file.py line 12`` for the innermost frame outside torch, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(TORCH_DIRS)
              and "studio/engine/importing" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    frame = frames[-1]
    code = f" ({frame.line.strip()})" if frame.line else ""
    return f" at {Path(frame.filename).name} line {frame.lineno}{code}"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else ""
