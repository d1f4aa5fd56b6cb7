"""The whole import: trace, map, compile, carry the weights, verify; and writing the result."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.fx
from torch import nn

from studio.engine.checkpoints.weights_file import write_weights
from studio.engine.compiler import compile_spec
from studio.engine.errors import SpecError
from studio.engine.importing.aten import is_aten_graph
from studio.engine.importing.convert import convert, record_shapes
from studio.engine.importing.errors import ModelImportError
from studio.engine.importing.loading import load_source
from studio.engine.importing.tracing import trace
from studio.engine.importing.verify import carry_weights, max_difference
from studio.engine.spec.io import save_spec
from studio.engine.spec.model import ModelSpec

TOLERANCE = 1e-4  # above this max |diff| nothing is written unless forced
DEFAULT_INPUT_SHAPE = (3, 224, 224)
BATCH = 2  # samples in the seeded verification batch


@dataclass(frozen=True)
class ImportResult:
    spec: ModelSpec
    weights: dict[str, torch.Tensor]  # under the spec's names
    names: dict[str, str]  # the original model's state_dict name -> the spec's
    max_diff: float  # max |original - compiled| on the seeded batch, eval mode
    seconds: float  # the import's wall time (loading the source not counted)
    source: str

    @property
    def node_count(self) -> int:
        return len(self.spec.nodes)

    def verified(self, tolerance: float = TOLERANCE) -> bool:
        return math.isfinite(self.max_diff) and self.max_diff <= tolerance


def import_source(source: str, input_shape: tuple[int, ...] | list[int] = DEFAULT_INPUT_SHAPE,
                  kwargs: dict[str, Any] | None = None, *, seed: int = 0, flat: bool = False) -> ImportResult:
    """Load SOURCE (this runs the user's code, see :mod:`.loading`) and import the module it builds."""
    model, name = load_source(source, kwargs)
    return import_model(model, input_shape, name=name, source=source, seed=seed, flat=flat)


def import_model(model: nn.Module, input_shape: tuple[int, ...] | list[int] = DEFAULT_INPUT_SHAPE, *,
                 name: str = "model", source: str = "", seed: int = 0, flat: bool = False) -> ImportResult:
    """The spec and weights of ``model`` (put in eval mode), verified on a seeded random batch of
    per-sample shape ``input_shape``. Repeated submodules become blocks (see :mod:`.folding`)
    unless ``flat``: one node per layer."""
    started = time.perf_counter()
    shape = tuple(int(v) for v in input_shape)
    if not shape or min(shape) < 1:
        raise ModelImportError(f"input shape {list(shape)} needs positive sizes, e.g. 3 224 224")
    if not is_aten_graph(model):  # (an exported program is in eval form already, and refuses eval())
        model.eval()
    generator = torch.Generator().manual_seed(seed)
    batch = torch.randn((BATCH, *shape), generator=generator)
    traced = model if is_aten_graph(model) else trace(model)
    assert isinstance(traced, torch.fx.GraphModule)
    record = record_shapes(traced, batch)
    converted = convert(traced, model, shape, name, record, flat=flat)
    spec = converted.spec
    spec.meta["imported_from"] = source or type(model).__name__
    try:
        compiled = compile_spec(spec, device="cpu")
    except SpecError as exc:
        raise ModelImportError(f"the imported graph does not fit Studio's layers: {exc}") from None
    weights = carry_weights(model, compiled, converted.names)
    diff = max_difference(model, compiled, batch)
    spec.meta["import_max_diff"] = diff if math.isfinite(diff) else None
    return ImportResult(spec, weights, converted.names, diff, time.perf_counter() - started,
                        source or type(model).__name__)


def write_import(result: ImportResult, spec_path: str | os.PathLike,
                 weights_path: str | os.PathLike | None = None, *, force: bool = False,
                 tolerance: float = TOLERANCE) -> list[Path]:
    """Write the spec (and the weights, as safetensors) atomically; refuse, writing nothing, when the
    outputs differ by more than ``tolerance`` unless ``force``."""
    if not result.verified(tolerance) and not force:
        raise ModelImportError(f"the imported model's outputs differ from the original's by "
                               f"{result.max_diff:.3g} (more than {tolerance:g}): nothing written "
                               "(force to write it anyway)")
    written: list[Path] = []
    try:
        if weights_path is not None:
            fresh = not Path(weights_path).exists()
            written.append(write_import_weights(result, weights_path))
        written.append(save_spec(result.spec, spec_path))
    except BaseException:
        if weights_path is not None and written and fresh:  # the spec failed: no weights without it
            Path(weights_path).unlink(missing_ok=True)
        raise
    return written


def write_import_weights(result: ImportResult, weights_path: str | os.PathLike) -> Path:
    """Write the imported weights (under the spec's names) as safetensors, atomically."""
    return write_weights(weights_path, result.weights, {"imported_from": result.source})
