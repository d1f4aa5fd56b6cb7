"""The default embedding layer, one rule for the window and ``studio embed``: the node feeding the layer
before the output, stepping back through layers that change nothing at inference (those whose
layer type is ``pass_through``, such as dropout).

It reads the spec alone (the window picks before any model is compiled): ``fc1`` of the small CNN
(``fc1 -> dropout -> fc2 -> logits``). When the layer before the output takes a model input directly
(a one-layer model), that layer itself; with no output, the last node.
"""

from __future__ import annotations

from studio.engine.layers.registry import get_layer
from studio.engine.spec.model import Graph, ModelSpec, Node
from studio.engine.training.config import TrainConfig
from studio.engine.training.fields import ConfigError
from studio.engine.training.losses import bind_losses


def embedding_layer(spec: ModelSpec, output: str | None = None) -> str:
    """The usual embedding layer of ``spec`` for ``output`` (default: its first output)."""
    graph = spec.graph
    outputs = [node.id for node in spec.output_nodes()]
    others = [node_id for node_id, node in graph.nodes.items() if node.type != "output"]
    fallback = others[-1] if others else ""
    if not outputs:
        return fallback
    last = _first_source(spec, graph, output if output in outputs else outputs[0])
    if last is None:
        return fallback
    before = _first_source(spec, graph, last)
    while before is not None and _passes_through(graph.nodes[before]):
        source = _first_source(spec, graph, before)
        if source is None:
            break
        before = source
    if before is not None and graph.nodes[before].type != "input":
        return before
    return last


def run_output(spec: ModelSpec, config: dict | None) -> str | None:
    """The output a run's first loss is on (the one ``studio embed`` scores), None when unknown."""
    try:
        heads = bind_losses(TrainConfig.from_dict(config or {}).losses, [n.id for n in spec.output_nodes()])
    except ConfigError:
        return None
    return heads[0].output if heads else None


def _first_source(spec: ModelSpec, graph: Graph, node_id: str) -> str | None:
    """The node feeding ``node_id``'s first input port (as the compiled model orders them)."""
    sources = graph.inputs_of(node_id)
    if node_id not in graph.nodes or not sources:
        return None
    for port in _ports(spec, graph.nodes[node_id]):
        if port in sources:
            return sources[port]
    return next(iter(sources.values()))


def _passes_through(node: Node) -> bool:
    layer = get_layer(node.type)
    return layer is not None and layer.pass_through


def _ports(spec: ModelSpec, node: Node) -> list[str]:
    if node.type == "block":
        block = spec.blocks.get(node.args.get("block", ""))
        return block.input_ids if block is not None else []
    layer = get_layer(node.type)
    try:
        return list(layer.ports(node.args)) if layer is not None else []
    except (TypeError, ValueError):  # an argument being typed: any port will do
        return []
