"""spec -> ``nn.Module``. Submodules are named after node ids, so state_dict keys are predictable."""

from __future__ import annotations

import torch

from studio.engine.graph_module import GraphModule
from studio.engine.layers.registry import Shape
from studio.engine.spec.build import SpecWalker
from studio.engine.spec.model import ModelSpec


def default_device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def compile_spec(spec: ModelSpec, device: str | torch.device | None = None,
                 dtype: torch.dtype | None = None,
                 input_shapes: dict[str, Shape] | None = None) -> GraphModule:
    """Build the model described by ``spec``; raises SpecError naming the first problem.

    ``device`` defaults to CUDA when present. ``input_shapes`` may override the declared per-sample
    input shapes (e.g. a larger image size for a fully convolutional model).
    """
    device = torch.device(device) if device is not None else default_device()
    built = SpecWalker(spec, device=device, collect=False).walk(input_shapes)
    model = built.module
    assert model is not None  # collect=False raises SpecError on the first issue instead
    model.spec_name = spec.name
    if dtype is not None:
        model = model.to(dtype=dtype)
    return model
