"""Looking inside composite nodes: a block through one of its uses, a repeat/stack node layer by layer.

A block has no shapes of its own: they come from what a use feeds it. :func:`analyze_block` takes
the first use it finds (in the model, else inside another analysed block), builds a stand-alone
view of the block's graph with those input shapes, parameter values and enclosing defaults, and
analyses it, so a block opened on the canvas shows live shapes like the model does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from studio.engine.errors import StudioError
from studio.engine.layers.registry import Shape, get_layer
from studio.engine.spec.analysis import Analysis, analyze
from studio.engine.spec.build import NodeInfo
from studio.engine.spec.model import Graph, ModelSpec, Node, Scope


@dataclass(frozen=True)
class BlockContext:
    """What one use of a block gives it: input shapes per port, parameter values, outer defaults."""

    use: str
    input_shapes: dict[str, Shape]
    bindings: dict[str, Any]
    scopes: tuple[Scope, ...]
    labels: tuple[str, ...] = ()  # where each scope is defined ("model defaults #1", ...)


def block_context(spec: ModelSpec, name: str, analysis: Analysis | None = None,
                  _seen: frozenset[str] = frozenset()) -> BlockContext | None:
    """The context of the first use of block ``name`` whose inputs have known shapes, or None."""
    if name not in spec.blocks or name in _seen:
        return None
    analysis = analysis if analysis is not None else analyze(spec)
    found = _use_in(spec.graph, name, analysis, tuple(spec.graph.defaults), _labels("model", spec.graph))
    if found is not None:
        return found
    for outer_name, outer in spec.blocks.items():
        if outer_name == name or not any(n.type == "block" for n in outer.graph.nodes.values()):
            continue
        outer_context = block_context(spec, outer_name, analysis, _seen | {name})
        if outer_context is None:
            continue
        view = block_view(spec, outer_name, outer_context)
        labels = outer_context.labels + _labels(f"block {outer_name}", outer.graph)
        found = _use_in(view.graph, name, analyze(view), tuple(view.graph.defaults), labels)
        if found is not None:
            return found
    return None


def _labels(owner: str, graph: Graph) -> tuple[str, ...]:
    return tuple(f"{owner} defaults #{index}" for index in range(1, len(graph.defaults) + 1))


def _use_in(graph: Graph, name: str, analysis: Analysis, scopes: tuple[Scope, ...],
            labels: tuple[str, ...]) -> BlockContext | None:
    for node_id in analysis.order:
        node = graph.nodes.get(node_id)
        if node is None or node.type != "block" or node.args.get("block") != name:
            continue
        info = analysis.nodes[node_id]
        if info.ports and set(info.input_shapes) == set(info.ports):
            bindings = {key: arg.value for key, arg in info.args.items() if key != "block"}
            return BlockContext(node_id, dict(info.input_shapes), bindings, scopes, labels)
    return None


def block_view(spec: ModelSpec, name: str, context: BlockContext) -> ModelSpec:
    """A stand-alone spec of block ``name`` as its use in ``context`` sees it."""
    block = spec.blocks[name]
    view = ModelSpec(name)
    view.blocks = spec.blocks
    view.graph = Graph()
    for node in block.graph.nodes.values():
        copied = copy.deepcopy(node)
        copied.args = {key: _bound(value, context.bindings) for key, value in node.args.items()}
        if node.stack is not None:
            copied.stack = [{k: _bound(v, context.bindings) for k, v in item.items()} for item in node.stack]
        if node.type == "input" and node.id in context.input_shapes:
            copied.args = {"shape": list(context.input_shapes[node.id])}
        view.graph.nodes[node.id] = copied
    view.graph.edges = list(block.graph.edges)
    view.graph.defaults = [*context.scopes, *(
        Scope(list(scope.layers), {k: _bound(v, context.bindings) for k, v in scope.args.items()})
        for scope in block.graph.defaults)]
    return view


def analyze_block(spec: ModelSpec, name: str, analysis: Analysis | None = None) -> Analysis | None:
    """Analysis of block ``name`` through its first use (None when no use gives it shapes)."""
    context = block_context(spec, name, analysis)
    if context is None:
        return None
    result = analyze(block_view(spec, name, context))
    labels = context.labels + _labels(f"block {name}", spec.blocks[name].graph)
    for info in result.nodes.values():  # the view calls every scope a model scope: name the real owner
        for key, arg in info.args.items():
            if arg.origin.startswith("model defaults #"):
                index = int(arg.origin.rsplit("#", 1)[1]) - 1
                if 0 <= index < len(labels):
                    info.args[key] = replace(arg, origin=labels[index])
    return result


def _bound(value: Any, bindings: dict[str, Any]) -> Any:
    """``value`` with ``$name`` references replaced where ``bindings`` knows them."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in bindings:
        return bindings[value[1:]]
    if isinstance(value, list):
        return [_bound(item, bindings) for item in value]
    return value


def instance_shapes(node: Node, info: NodeInfo) -> list[tuple[str, Shape | None]]:
    """``(child name, output shape)`` for each layer a repeat or stack node stands for."""
    names = [f"{node.id}_{index}" for index in range(1, node.instance_count + 1)]
    layer = get_layer(node.type)
    if node.type == "block" or layer is None or "x" not in info.input_shapes:
        return [(name, None) for name in names[:-1]] + [(names[-1], info.output_shape)]
    base = info.values
    arg_sets = [{**base, **item} for item in node.stack] if node.stack else [base] * node.repeat
    rows: list[tuple[str, Shape | None]] = []
    shape: Shape | None = info.input_shapes["x"]
    for name, values in zip(names, arg_sets, strict=False):
        try:
            shape = tuple(layer.shape(values, {"x": shape})) if shape is not None else None
        except (StudioError, KeyError, TypeError, ValueError):
            shape = None
        rows.append((name, shape))
    return rows
