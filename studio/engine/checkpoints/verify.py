"""Checking an export: run the in-app model and the exported one on the same sample batch."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.graph_module import GraphModule
from studio.engine.spec.analysis import analyze
from studio.engine.spec.model import ModelSpec

Outputs = dict[str, torch.Tensor]


def sample_inputs(spec: ModelSpec, batch: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A reproducible random batch for each model input, in the model's input order."""
    analysis = analyze(spec)
    generator = torch.Generator().manual_seed(seed)
    inputs = {}
    for node in spec.input_nodes():
        shape = analysis.nodes[node.id].output_shape
        if shape is None:
            raise CheckpointError(f"input '{node.id}' has no known shape; the spec has problems")
        inputs[node.id] = torch.randn((batch, *shape), generator=generator)
    return inputs


def named_outputs(result, names: list[str]) -> Outputs:
    """A model's return value (tensor, tuple, list or dict) as output name -> tensor."""
    if isinstance(result, torch.Tensor):
        result = [result]
    if isinstance(result, Mapping):
        return {name: result[name] for name in names}
    if len(result) != len(names):
        raise CheckpointError(f"the exported model returned {len(result)} outputs, expected {len(names)}")
    return {name: torch.as_tensor(value) for name, value in zip(names, result, strict=True)}


def reference_outputs(model: GraphModule, inputs: dict[str, torch.Tensor]) -> Outputs:
    with torch.no_grad():
        return named_outputs(model(*inputs.values()), list(model.output_names))


def compare(reference: Outputs, produced: Outputs, what: str) -> float:
    """The max absolute difference over all outputs; CheckpointError when it is beyond float noise."""
    worst = 0.0
    for name, expected in reference.items():
        got = produced[name].to(expected.dtype)
        if got.shape != expected.shape:
            raise CheckpointError(f"{what} verification failed: output '{name}' has shape {list(got.shape)}, "
                                  f"expected {list(expected.shape)}")
        diff = float((got - expected).abs().max()) if expected.numel() else 0.0
        scale = float(expected.abs().max()) if expected.numel() else 1.0
        if not diff <= 1e-4 * max(1.0, scale):
            raise CheckpointError(f"{what} verification failed: output '{name}' differs from the model by "
                                  f"up to {diff:.3g}")
        worst = max(worst, diff)
    return worst


def compare_tensors(expected: Mapping[str, torch.Tensor], produced: Mapping[str, torch.Tensor],
                    what: str) -> float:
    """For weight files without a spec: the reloaded tensors must equal the originals exactly."""
    if list(expected) != list(produced) and sorted(expected) != sorted(produced):
        raise CheckpointError(f"{what} verification failed: the reloaded file has other tensor names")
    for name, tensor in expected.items():
        if not torch.equal(tensor, produced[name]):
            raise CheckpointError(f"{what} verification failed: tensor '{name}' changed when reloaded")
    return 0.0
