"""Pure graph edits behind the canvas: primitive operations, connection checks, fresh ids,
copy/paste fragments and inserting a layer into a connection.

Composite edits (paste, insert on an edge, group into a block) are computed here as a list of
primitive operations, each of which is one :class:`ModelSpec` method. The GUI turns every operation
into an undoable command; scripts and tests call :func:`apply_ops`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from studio.engine.errors import SpecError
from studio.engine.jsonio import parse_json
from studio.engine.layers.registry import get_layer
from studio.engine.spec.model import BlockDef, Edge, Graph, ModelSpec, Node
from studio.engine.spec.resolve import SCOPE, labelled_scopes, resolve_layer_args

FRAGMENT_FORMAT = "studio.fragment/1"


@dataclass(frozen=True)
class AddNode:
    node: Node


@dataclass(frozen=True)
class RemoveNode:
    node_id: str


@dataclass(frozen=True)
class Connect:
    edge: Edge


@dataclass(frozen=True)
class Disconnect:
    edge: Edge


@dataclass(frozen=True)
class AddBlock:
    block: BlockDef


Op = AddNode | RemoveNode | Connect | Disconnect | AddBlock


def apply_ops(spec: ModelSpec, ops: list[Op], block: str | None = None) -> None:
    """Apply ``ops`` in order to graph ``block`` of ``spec`` (copies of nodes and blocks are added)."""
    for op in ops:
        if isinstance(op, AddNode):
            spec.add_node(copy.deepcopy(op.node), block)
        elif isinstance(op, RemoveNode):
            spec.remove_node(op.node_id, block)
        elif isinstance(op, Connect):
            spec.connect(op.edge, block)
        elif isinstance(op, Disconnect):
            spec.disconnect(op.edge, block)
        else:
            spec.add_block(copy.deepcopy(op.block))


# ---- ids and ports -------------------------------------------------------------------------------


def fresh_id(graph: Graph, layer_type: str, taken: set[str] | None = None) -> str:
    """A new readable node id for ``layer_type`` from its id stem: ``conv1``, ``conv2``, ... not used
    in ``graph``."""
    layer = get_layer(layer_type)
    stem = layer.stem if layer is not None else layer_type
    used = set(graph.nodes) | (taken or set())
    index = 1
    while f"{stem}{index}" in used:
        index += 1
    return f"{stem}{index}"


def used_block(spec: ModelSpec, node: Node, block: str | None = None) -> BlockDef | None:
    """The block a block use node refers to; ``"$param"`` names resolve through the enclosing block
    ``block``'s parameter defaults."""
    name = node.args.get("block")
    if isinstance(name, str) and name.startswith("$") and block in spec.blocks:
        name = spec.blocks[block].params.get(name[1:])
    return spec.blocks.get(name) if isinstance(name, str) else None


def node_ports(spec: ModelSpec, node: Node, block: str | None = None) -> list[str]:
    """The input port names of ``node`` in graph ``block`` (merges: x0, x1, ...; a block use: its
    block's inputs)."""
    if node.type == "block":
        used = used_block(spec, node, block)
        return used.input_ids if used else []
    layer = get_layer(node.type)
    if layer is None:
        return ["x"]
    values = {param.name: param.default for param in layer.params}
    values.update(node.args)
    try:
        return list(layer.ports(values))
    except (TypeError, ValueError):
        return list(layer.ports({}))


def block_users(spec: ModelSpec, name: str) -> list[str]:
    """Where block ``name`` is used: ``node`` in the model, ``block.node`` inside other blocks (also
    as a block parameter's default)."""
    def passes(node: Node, prefix: str) -> list[str]:  # the block given as a block-use argument
        return [f"{prefix}{node.id} ({key})" for key, value in node.args.items()
                if node.type == "block" and key != "block" and value == name]

    users = [node.id for node in spec.graph.nodes.values()
             if node.type == "block" and node.args.get("block") == name]
    users += [user for node in spec.graph.nodes.values() for user in passes(node, "")]
    for owner, block in spec.blocks.items():
        if owner == name:
            continue
        users += [f"{owner}.{node.id}" for node in block.graph.nodes.values()
                  if node.type == "block" and used_block(spec, node, owner) is spec.blocks.get(name)]
        users += [user for node in block.graph.nodes.values() for user in passes(node, f"{owner}.")]
        users += [f"{owner} (parameter {key})" for key, value in block.params.items() if value == name]
    return users


def has_output(node: Node) -> bool:
    """Whether ``node`` has an output port (every node but the model's outputs)."""
    return node.type != "output"


def connection_problem(spec: ModelSpec, edge: Edge, block: str | None = None) -> str | None:
    """Why ``edge`` cannot be added (a sentence for the user), or None when it can."""
    graph = spec.graph_of(block)
    src, dst = graph.nodes.get(edge.src), graph.nodes.get(edge.dst)
    if src is None or dst is None:
        return f"there is no node '{edge.src if src is None else edge.dst}'"
    if edge.src == edge.dst:
        return "a layer cannot feed itself"
    if not has_output(src):
        return f"'{src.id}' is an output node: it cannot feed other layers"
    ports = node_ports(spec, dst, block)
    if not ports:
        return f"'{dst.id}' takes no inputs"
    if edge.port not in ports:
        return f"'{dst.id}' has no input '{edge.port}' (inputs: {', '.join(ports)})"
    for other in graph.edges:
        if other.dst == edge.dst and other.port == edge.port:
            if other.src == edge.src:
                return f"'{edge.src}' is already connected to '{edge.dst}'"
            return (f"input '{edge.port}' of '{edge.dst}' is already fed by '{other.src}': remove that "
                    "connection first")
    if reaches(graph, edge.dst, edge.src):
        return f"connecting '{edge.src}' to '{edge.dst}' would make a loop"
    return None


def reaches(graph: Graph, start: str, goal: str) -> bool:
    """Whether a path of edges leads from ``start`` to ``goal``."""
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current in seen:
            continue
        seen.add(current)
        todo.extend(edge.dst for edge in graph.edges if edge.src == current)
    return False


def free_port(spec: ModelSpec, node: Node, block: str | None = None) -> str | None:
    """The first input port of ``node`` with no connection yet."""
    graph = spec.graph_of(block)
    used = {edge.port for edge in graph.edges if edge.dst == node.id}
    return next((port for port in node_ports(spec, node, block) if port not in used), None)


# ---- insert into a connection --------------------------------------------------------------------


def insert_on_edge_ops(spec: ModelSpec, edge: Edge, node: Node, block: str | None = None) -> list[Op]:
    """Add ``node`` and put it in the middle of ``edge`` (src -> node -> dst)."""
    if edge not in spec.graph_of(block).edges:
        raise SpecError(f"'{edge.src}' is not connected to '{edge.dst}'")
    ports = node_ports(spec, node, block)
    if not ports or not has_output(node):
        raise SpecError(f"a '{node.type}' node cannot be placed inside a connection")
    return [AddNode(node), Disconnect(edge), Connect(Edge(edge.src, node.id, ports[0])),
            Connect(Edge(node.id, edge.dst, edge.port))]


# ---- copy / paste --------------------------------------------------------------------------------


def extract_fragment(spec: ModelSpec, node_ids: list[str] | set[str], block: str | None = None) -> dict:
    """The selected nodes, the edges between them and the blocks they use, as a JSON document."""
    graph = spec.graph_of(block)
    chosen = [node for node_id, node in graph.nodes.items() if node_id in set(node_ids)]
    ids = {node.id for node in chosen}
    edges = [edge.to_dict() for edge in graph.edges if edge.src in ids and edge.dst in ids]
    return {"format": FRAGMENT_FORMAT, "nodes": [node.to_dict() for node in chosen], "edges": edges,
            "blocks": {name: spec.blocks[name].to_dict() for name in used_blocks(spec, chosen, block)}}


def used_blocks(spec: ModelSpec, nodes: list[Node], block: str | None = None) -> list[str]:
    """Names of the blocks ``nodes`` (of graph ``block``) use, directly, through nested blocks or
    as block parameters, innermost first."""
    found: list[str] = []

    def visit(node_list: list[Node], owner: str | None) -> None:
        for node in node_list:
            used = used_block(spec, node, owner) if node.type == "block" else None
            if used is not None and used.name not in found:
                inner = list(used.graph.nodes.values())
                for value in used.params.values():  # blocks passed as parameters
                    if isinstance(value, str) and value in spec.blocks and value not in found:
                        visit([Node("_", "block", {"block": value})], None)
                visit(inner, used.name)
                found.append(used.name)

    visit(nodes, block)
    return found


def fragment_from_text(text: str) -> dict:
    """Parse clipboard text into a fragment document, or raise SpecError."""
    try:
        data = parse_json(text, "the clipboard", error=SpecError)
    except SpecError:
        raise SpecError("the clipboard does not hold Studio layers") from None
    if not isinstance(data, dict) or data.get("format") != FRAGMENT_FORMAT:
        raise SpecError("the clipboard does not hold Studio layers")
    return data


def paste_ops(spec: ModelSpec, fragment: dict, block: str | None = None,
              offset: tuple[float, float] = (40.0, 40.0)) -> tuple[list[Op], list[str]]:
    """Operations adding ``fragment`` to graph ``block`` with fresh ids; also returns the new ids.

    Blocks the fragment brings are reused when an identical one exists, else added (renamed on a
    name clash). Weight sharing with a node outside the fragment is kept when that node exists here.
    """
    graph = spec.graph_of(block)
    try:
        nodes = [Node.from_dict(item) for item in fragment.get("nodes", [])]
        edges = [Edge.from_dict(item) for item in fragment.get("edges", [])]
        blocks = {name: BlockDef.from_dict(name, body) for name, body in fragment.get("blocks", {}).items()}
    except (AttributeError, TypeError) as exc:
        raise SpecError(f"the pasted layers are malformed: {exc}") from None
    ops: list[Op] = []
    renamed_blocks = _merge_blocks(spec, blocks, ops)
    ids: dict[str, str] = {}
    for node in nodes:
        ids[node.id] = fresh_copy_id(node.id, set(graph.nodes) | set(ids.values()))
    for node in nodes:
        node = copy.deepcopy(node)
        node.id = ids[node.id]
        node.pos = (node.pos[0] + offset[0], node.pos[1] + offset[1])
        if node.type == "block" and node.args.get("block") in renamed_blocks:
            node.args["block"] = renamed_blocks[node.args["block"]]
        if node.share is not None:
            node.share = ids.get(node.share, node.share if node.share in graph.nodes else None)
        ops.append(AddNode(node))
    for edge in edges:
        if edge.src in ids and edge.dst in ids:
            ops.append(Connect(Edge(ids[edge.src], ids[edge.dst], edge.port)))
    return ops, [ids[node.id] for node in nodes]


def fresh_copy_id(node_id: str, taken: set[str] | dict) -> str:
    """``node_id`` itself when not in ``taken``, else ``node_id_1``, ``node_id_2``, ..."""
    if node_id not in taken:
        return node_id
    index = 1
    while f"{node_id}_{index}" in taken:
        index += 1
    return f"{node_id}_{index}"


def _merge_blocks(spec: ModelSpec, blocks: dict[str, BlockDef], ops: list[Op]) -> dict[str, str]:
    """Add the fragment's blocks that are new (in dependency order); returns old -> new names."""
    renamed: dict[str, str] = {}
    taken = set(spec.blocks)
    for name, block in blocks.items():
        for node in block.graph.nodes.values():
            if node.type == "block" and node.args.get("block") in renamed:
                node.args["block"] = renamed[node.args["block"]]
        existing = spec.blocks.get(name)
        if existing is not None and existing.to_dict() == block.to_dict():
            continue
        if name in taken:
            index = 2
            while f"{name}_{index}" in taken:
                index += 1
            renamed[name] = block.name = f"{name}_{index}"
        taken.add(block.name)
        ops.append(AddBlock(block))
    return renamed



def template_fragment(template: ModelSpec) -> dict:
    """All of ``template`` as a fragment, its model defaults written into the nodes' arguments (the
    fragment lands in a model with other defaults)."""
    inlined = template.copy()
    scopes = labelled_scopes(inlined.graph.defaults, "template")
    for node in inlined.graph.nodes.values():
        layer = get_layer(node.type)
        if layer is None or node.type == "block":
            continue
        for name, arg in resolve_layer_args(layer, node.args, scopes, {}).items():
            if arg.source == SCOPE:
                node.args[name] = arg.value
    inlined.graph.defaults = []
    return extract_fragment(inlined, list(inlined.graph.nodes))
