"""Graph surgery on blocks: group a selection into a new reusable block, ungroup a block use back
into its layers, and unroll a repeat/stack node into one node per layer.

Each function returns primitive operations (see :mod:`studio.engine.spec.edits`) so the canvas can
undo them step by step; :func:`apply_ops` runs them headless. Parameter names change with the
structure (``conv1.weight`` becomes ``group1.conv1.weight``), so checkpoints of the old graph need
a name mapping.
"""

from __future__ import annotations

import copy
from typing import Any

from studio.engine.errors import SpecError
from studio.engine.layers.registry import get_layer
from studio.engine.spec.edits import (
    AddBlock,
    AddNode,
    Connect,
    Op,
    RemoveNode,
    apply_ops,
    fresh_copy_id,
    used_block,
)
from studio.engine.spec.layout import apply_layout
from studio.engine.spec.model import BlockDef, Edge, Graph, ModelSpec, Node, check_id
from studio.engine.spec.resolve import SCOPE, labelled_scopes, resolve_layer_args, substitute

# ---- group ---------------------------------------------------------------------------------------


def group_ops(spec: ModelSpec, node_ids: list[str] | set[str], name: str,
              block: str | None = None) -> tuple[list[Op], str]:
    """Replace the selected nodes of graph ``block`` by one use of a new block called ``name``.

    The selection's outside sources become the block's inputs (one per source node) and the one
    node feeding the rest of the graph its output. Returns the operations and the use node's id.
    """
    graph = spec.graph_of(block)
    unknown = sorted(set(node_ids) - set(graph.nodes))
    if unknown:
        raise SpecError(f"there is no node '{unknown[0]}'")
    inside = [node_id for node_id in graph.nodes if node_id in set(node_ids)]
    if not inside:
        raise SpecError("select the layers to group first")
    check_id(name, "block name")
    if name in spec.blocks:
        raise SpecError(f"a block named '{name}' already exists")
    _check_groupable(graph, set(inside))
    incoming = [e for e in graph.edges if e.dst in inside and e.src not in inside]
    outgoing = [e for e in graph.edges if e.src in inside and e.dst not in inside]
    sources = list(dict.fromkeys(edge.src for edge in incoming))
    if not sources:
        raise SpecError("the selection takes no input from the rest of the graph; a block needs one")
    last = _output_of(graph, inside, outgoing)
    body = Graph()
    input_ids: dict[str, str] = {}
    for index, src in enumerate(sources, start=1):
        input_ids[src] = fresh_copy_id("x" if len(sources) == 1 else f"x{index}",
                                       set(inside) | set(input_ids.values()))
        body.nodes[input_ids[src]] = Node(input_ids[src], "input")
    for node_id in inside:
        body.nodes[node_id] = copy.deepcopy(graph.nodes[node_id])
    out_id = fresh_copy_id("out", set(inside) | set(input_ids.values()))
    body.nodes[out_id] = Node(out_id, "output")
    body.edges = [e for e in graph.edges if e.src in inside and e.dst in inside]
    body.edges += [Edge(input_ids[e.src], e.dst, e.port) for e in incoming]
    body.edges.append(Edge(last, out_id, "x"))
    apply_layout(body)
    params = _referenced_params(spec, block, [graph.nodes[node_id] for node_id in inside])
    remaining = set(graph.nodes) - set(inside)
    use_id = fresh_copy_id(name, remaining)
    xs = [graph.nodes[node_id].pos[0] for node_id in inside]
    ys = [graph.nodes[node_id].pos[1] for node_id in inside]
    use = Node(use_id, "block", {"block": name, **{key: f"${key}" for key in params}},
               pos=(sum(xs) / len(xs), sum(ys) / len(ys)))
    ops: list[Op] = [AddBlock(BlockDef(name, params, body))]
    ops += [RemoveNode(node_id) for node_id in inside]
    ops.append(AddNode(use))
    ops += [Connect(Edge(src, use_id, input_ids[src])) for src in sources]
    ops += [Connect(Edge(use_id, e.dst, e.port)) for e in outgoing]
    return ops, use_id


def _check_groupable(graph: Graph, inside: set[str]) -> None:
    for node_id in inside:
        node = graph.nodes[node_id]
        if node.type in ("input", "output"):
            raise SpecError(f"'{node_id}' is an {node.type} of the graph: leave it out of the block")
        if node.share is not None and node.share not in inside:
            raise SpecError(f"'{node_id}' shares weights with '{node.share}', which is not selected")
    for node in graph.nodes.values():
        if node.id not in inside and node.share in inside:
            raise SpecError(f"'{node.id}' shares weights with '{node.share}': select both or neither")


def _output_of(graph: Graph, inside: list[str], outgoing: list[Edge]) -> str:
    feeding = list(dict.fromkeys(edge.src for edge in outgoing))
    if len(feeding) > 1:
        raise SpecError(f"a block has one output, but the selection feeds the rest of the graph from "
                        f"{' and '.join(repr(n) for n in feeding)}")
    if feeding:
        return feeding[0]
    sinks = [n for n in inside if not any(e.src == n and e.dst in inside for e in graph.edges)]
    if len(sinks) != 1:
        raise SpecError("the selection must end in exactly one layer, the block's output")
    return sinks[0]


def _referenced_params(spec: ModelSpec, block: str | None, nodes: list[Node]) -> dict[str, Any]:
    """Parameters of the enclosing block that the nodes refer to as ``$name`` (with their defaults)."""
    names: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str) and value.startswith("$") and len(value) > 1:
            names.append(value[1:])
        elif isinstance(value, list | dict):
            for item in value.values() if isinstance(value, dict) else value:
                collect(item)

    for node in nodes:
        collect(node.args)
        collect(node.stack or [])
    outer = spec.blocks[block].params if block is not None else {}
    return {name: outer.get(name) for name in dict.fromkeys(names)}


# ---- ungroup -------------------------------------------------------------------------------------


def ungroup_ops(spec: ModelSpec, node_id: str, block: str | None = None) -> tuple[list[Op], list[str]]:
    """Replace block use ``node_id`` by the block's layers (ids ``{use}_{layer}``, block parameters
    and block defaults written into their arguments). Returns the operations and the new ids."""
    graph = spec.graph_of(block)
    use = spec.node(node_id, block)
    if use.type != "block":
        raise SpecError(f"'{node_id}' is not a block, so it cannot be ungrouped")
    definition = used_block(spec, use, block)
    if definition is None:
        raise SpecError(f"'{node_id}' uses an unknown block '{use.args.get('block')}'")
    if use.instance_count != 1:
        raise SpecError(f"'{node_id}' is repeated: unroll it first, then ungroup each copy")
    if use.share is not None or any(other.share == node_id for other in graph.nodes.values()):
        raise SpecError(f"'{node_id}' shares weights, so it cannot be ungrouped")
    bindings = dict(definition.params)
    bindings.update({key: value for key, value in use.args.items() if key != "block"})
    body = definition.graph
    ports = {n.id for n in body.nodes.values() if n.type == "input"}
    outputs = [n.id for n in body.nodes.values() if n.type == "output"]
    if len(outputs) != 1:
        raise SpecError(f"block '{definition.name}' must have exactly one output node")
    layers = [n for n in body.nodes.values() if n.type not in ("input", "output")]
    taken = set(graph.nodes) - {node_id}
    ids: dict[str, str] = {}
    for inner in layers:
        ids[inner.id] = fresh_copy_id(f"{node_id}_{inner.id}", taken | set(ids.values()))
    centre = _centre(layers)
    ops: list[Op] = [RemoveNode(node_id)]
    scopes = labelled_scopes(body.defaults, f"block {definition.name}")
    for inner in layers:
        new = _inlined(inner, ids, bindings, scopes)
        new.pos = (use.pos[0] + inner.pos[0] - centre[0], use.pos[1] + inner.pos[1] - centre[1])
        ops.append(AddNode(new))
    outside = graph.inputs_of(node_id)
    consumers = graph.consumers_of(node_id)
    for edge in body.edges:
        src = outside.get(edge.src) if edge.src in ports else ids.get(edge.src)
        if src is None:
            continue
        if edge.dst in outputs:
            ops += [Connect(Edge(src, c.dst, c.port)) for c in consumers]
        elif edge.dst in ids:
            ops.append(Connect(Edge(src, ids[edge.dst], edge.port)))
    return ops, list(ids.values())


def _centre(nodes: list[Node]) -> tuple[float, float]:
    if not nodes:
        return (0.0, 0.0)
    return (sum(n.pos[0] for n in nodes) / len(nodes), sum(n.pos[1] for n in nodes) / len(nodes))


def _inlined(inner: Node, ids: dict[str, str], bindings: dict[str, Any], scopes) -> Node:
    """A copy of a block's node for the enclosing graph: references and block defaults resolved."""
    new = copy.deepcopy(inner)
    new.id = ids[inner.id]
    new.share = ids.get(inner.share) if inner.share else None
    try:
        new.args = {key: substitute(value, bindings) for key, value in inner.args.items()}
        if inner.stack is not None:
            new.stack = [{k: substitute(v, bindings) for k, v in item.items()} for item in inner.stack]
        layer = get_layer(inner.type)
        if layer is not None and inner.type != "block":
            for name, arg in resolve_layer_args(layer, new.args, scopes, bindings).items():
                if arg.source == SCOPE:
                    new.args[name] = arg.value
    except KeyError as exc:
        raise SpecError(f"'{inner.id}' refers to block parameter ${exc.args[0]}, which is not "
                        "defined") from None
    return new


# ---- unroll repeat / stack -----------------------------------------------------------------------


def unroll_ops(spec: ModelSpec, node_id: str, block: str | None = None) -> tuple[list[Op], list[str]]:
    """Replace a repeat or stack node by a chain of single nodes ``{id}_1``, ``{id}_2``, ..."""
    graph = spec.graph_of(block)
    node = spec.node(node_id, block)
    if node.instance_count == 1 and node.stack is None:
        raise SpecError(f"'{node_id}' is neither repeated nor stacked")
    if node.share is not None or any(other.share == node_id for other in graph.nodes.values()):
        raise SpecError(f"'{node_id}' shares weights, so it cannot be unrolled")
    arg_sets = ([{**node.args, **item} for item in node.stack] if node.stack is not None
                else [dict(node.args)] * node.repeat)
    taken = set(graph.nodes) - {node_id}
    ids: list[str] = []
    ops: list[Op] = [RemoveNode(node_id)]
    for index, args in enumerate(arg_sets, start=1):
        new_id = fresh_copy_id(f"{node_id}_{index}", taken | set(ids))
        ids.append(new_id)
        ops.append(AddNode(Node(new_id, node.type, copy.deepcopy(args),
                                pos=(node.pos[0], node.pos[1] + (index - 1) * 110.0))))
    ops += [Connect(Edge(src, ids[0], port)) for port, src in graph.inputs_of(node_id).items()]
    ops += [Connect(Edge(a, b, "x")) for a, b in zip(ids, ids[1:], strict=False)]
    ops += [Connect(Edge(ids[-1], e.dst, e.port)) for e in graph.consumers_of(node_id)]
    return ops, ids


def expand_all(spec: ModelSpec) -> ModelSpec:
    """A copy of ``spec`` with every block use ungrouped and every repeat/stack unrolled, recursively:
    one node per layer (what the canvas shows for 'expanded')."""
    expanded = spec.copy()
    while True:
        node = next((n for n in expanded.graph.nodes.values()
                     if n.stack is not None or n.repeat != 1 or n.type == "block"), None)
        if node is None:
            break
        if node.stack is not None or node.repeat != 1:
            ops, _ = unroll_ops(expanded, node.id)
        else:
            ops, _ = ungroup_ops(expanded, node.id)
        apply_ops(expanded, ops)
    apply_layout(expanded.graph)
    return expanded
