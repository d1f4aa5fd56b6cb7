"""Feature extraction: the outputs of chosen nodes of a compiled model, for a set of images, in one pass.

Top-level nodes come from ``GraphModule.forward_nodes``; nested ones (``entry_flow_1.sepconv1``
inside a block, ``conv3.conv3_2`` inside a repeat) from forward hooks on ``model.get_submodule``,
with the node's activation applied as the graph applies it. Spatial maps ``[C, H, W]`` are
global-average-pooled by default (``reduce="auto"``), or max-pooled or flattened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from studio.engine.graph_module import GraphModule
from studio.engine.projector.errors import Cancelled, ProjectorError

REDUCTIONS = ("auto", "avg", "max", "flatten")
Preprocess = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ExtractProgress:
    """``done`` of ``total`` images passed through the model."""

    done: int
    total: int


@dataclass(frozen=True, eq=False)
class Extraction:
    """``features[node]``: float32 ``[N, D]``; ``logits``: the chosen output ``[N, K]`` (or None)."""

    features: dict[str, np.ndarray]
    logits: np.ndarray | None
    output: str | None


@dataclass(frozen=True)
class _Tap:
    """A nested node: hook ``module``; the node's value is ``post(output)``; ``top`` must run."""

    path: str
    module: nn.Module
    post: Callable[[torch.Tensor], torch.Tensor] | None
    top: str


def feature_nodes(model: GraphModule) -> list[str]:
    """Every node path features can be taken from, in graph order (nested paths after their parent)."""
    found = list(model.input_ids)

    def walk(graph: GraphModule, prefix: str) -> None:
        for step in graph.steps:
            path = prefix + step.node_id
            found.append(path)
            if step.module_name != step.node_id:
                continue  # shared weights: the nodes inside belong to the owner
            module = graph.get_submodule(step.module_name)
            if isinstance(module, GraphModule):
                walk(module, path + ".")
            elif isinstance(module, nn.Sequential):
                found.extend(f"{path}.{name}" for name, _ in module.named_children())

    walk(model, "")
    return found


def extract_features(model: GraphModule, images: np.ndarray | torch.Tensor, nodes: Sequence[str], *,
                     preprocess: Preprocess | None = None, batch_size: int = 64,
                     reduce: str = "auto", output: str | None = "", device: torch.device | None = None,
                     progress: Callable[[ExtractProgress], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> Extraction:
    """Run ``images`` (``[N, ...]``, e.g. a uint8 image cache) through ``model`` in batches on its device
    and keep the outputs of ``nodes`` (and of ``output``: "" = the first output, None = none).

    ``preprocess`` turns a batch (already on the device) into model input; the default scales uint8
    pixels to [0, 1]. ``should_stop`` is polled between batches and raises Cancelled.
    """
    if reduce not in REDUCTIONS:
        raise ProjectorError(f"unknown reduction '{reduce}' (choose from {', '.join(REDUCTIONS)})")
    if not nodes:
        raise ProjectorError("choose at least one node to take features from")
    if output == "":
        output = model.output_names[0] if model.output_names else None
    if output is not None and output not in model.outputs:
        raise ProjectorError(f"the model has no output '{output}' (outputs: {', '.join(model.output_names)})")
    top, taps = _plan(model, list(nodes))
    wanted = set(top) | {tap.top for tap in taps}
    if output is not None:
        wanted.add(model.outputs[output])
    device = device or next((p.device for p in model.parameters()), torch.device("cpu"))
    preprocess = preprocess or _unit_scale
    total = len(images)
    captured: dict[str, torch.Tensor] = {}
    handles = [tap.module.register_forward_hook(_hook(tap, captured)) for tap in taps]
    results: dict[str, np.ndarray] = {}
    logits = None
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, total, batch_size):
                if should_stop is not None and should_stop():
                    raise Cancelled("feature extraction cancelled")
                chunk = images[start:start + batch_size]
                if not isinstance(chunk, torch.Tensor):
                    chunk = torch.from_numpy(np.ascontiguousarray(chunk))
                batch = preprocess(chunk.to(device))
                captured.clear()
                values = model.forward_nodes(batch, nodes=wanted)
                values.update(captured)
                for node in nodes:
                    _store(results, node, _reduce(values[node], reduce, node), start, total)
                if output is not None:
                    out = values[model.outputs[output]]
                    logits = _store_array(logits, out.reshape(len(out), -1), start, total)
                if progress is not None:
                    progress(ExtractProgress(min(start + batch_size, total), total))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return Extraction(results, logits, output)


def _unit_scale(batch: torch.Tensor) -> torch.Tensor:
    return batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch.float()


def _plan(model: GraphModule, nodes: list[str]) -> tuple[list[str], list[_Tap]]:
    """Split ``nodes`` into top-level ids and hooked nested paths; ProjectorError for unknown ones."""
    top_ids = set(model.input_ids) | {step.node_id for step in model.steps}
    top, taps = [], []
    for path in nodes:
        if path in top_ids:
            top.append(path)
        else:
            taps.append(_tap(model, path))
    return top, taps


def _tap(model: GraphModule, path: str) -> _Tap:
    parts = path.split(".")
    module: nn.Module = model
    post = None
    for depth, part in enumerate(parts):
        post = None
        if isinstance(module, GraphModule):
            step = next((s for s in module.steps if s.node_id == part), None)
            if step is None:
                raise _unknown(model, path)
            if step.module_name != part:
                raise ProjectorError(f"'{'.'.join(parts[:depth + 1])}' reuses the weights of "
                                     f"'{step.module_name}': take features from a node after it instead")
            module, post = module.get_submodule(part), step.post
        elif part in dict(module.named_children()):
            module = module.get_submodule(part)
        else:
            raise _unknown(model, path)
    return _Tap(path, module, post, parts[0])


def _unknown(model: GraphModule, path: str) -> ProjectorError:
    known = feature_nodes(model)
    shown = ", ".join(known[:30]) + (", ..." if len(known) > 30 else "")
    return ProjectorError(f"the model has no node '{path}' (nodes: {shown})")


def _hook(tap: _Tap, captured: dict[str, torch.Tensor]):
    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if tap.path not in captured:  # the first call of a pass is this node's own
            captured[tap.path] = tap.post(output) if tap.post is not None else output
    return hook


def _reduce(value: torch.Tensor, reduce: str, node: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ProjectorError(f"node '{node}' does not produce a tensor")
    if value.ndim <= 1:
        return value.reshape(-1, 1)
    if value.ndim == 2 or reduce == "flatten":
        return value.reshape(len(value), -1)
    spatial = tuple(range(2, value.ndim))
    if reduce == "max":
        return value.amax(dim=spatial)
    return value.mean(dim=spatial)


def _store(results: dict[str, np.ndarray], node: str, value: torch.Tensor, start: int, total: int) -> None:
    results[node] = _store_array(results.get(node), value, start, total)


def _store_array(array: np.ndarray | None, value: torch.Tensor, start: int, total: int) -> np.ndarray:
    rows = value.detach().to("cpu", torch.float32).numpy()
    if array is None:
        array = np.empty((total, rows.shape[1]), np.float32)
    array[start:start + len(rows)] = rows
    return array
