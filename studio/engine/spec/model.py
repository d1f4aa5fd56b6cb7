"""The model spec: nodes, edges, default scopes and reusable blocks, with change events.

A :class:`ModelSpec` is the one source of truth of a model. It is edited only through its methods,
each of which emits a :class:`SpecEvent` to subscribers (the canvas, the undo stack, validation).
Blocks hold their own :class:`Graph`; an edit inside a block names it with ``block=``.
"""

from __future__ import annotations

import copy
import functools
import keyword
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studio.engine.errors import SpecError

ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # matched whole (fullmatch): ASCII only
ID_HINT = "use ASCII letters, digits and '_', not starting with a digit"


@functools.cache
def module_names() -> tuple[frozenset[str], frozenset[str]]:
    """Names an id cannot take because the compiled model already has them: every attribute and
    method of ``nn.Module`` (``forward``, ``training``, ``cuda``, ...), then the further ones of
    Studio's GraphModule (``steps``, ``outputs``, ...)."""
    from torch import nn

    from studio.engine.graph_module import GraphModule

    module = frozenset(dir(nn.Module)) | frozenset(vars(nn.Module()))
    graph = frozenset(dir(GraphModule)) | frozenset(vars(GraphModule({}, [], [], {})))
    return module, graph - module


def id_problem(name: object) -> str | None:
    """Why ``name`` cannot be an id (a node, block, block parameter or port name), or None.

    The one rule, kept by the spec reader, every edit and the code generator: an ASCII Python
    identifier that is not a keyword, does not start with ``__`` and is no attribute of the compiled
    module (an ``nn.Module``).
    """
    if not isinstance(name, str):
        return f"it must be text, not {'a list' if isinstance(name, list) else type(name).__name__}"
    if not name:
        return "it is empty"
    if not ID_PATTERN.fullmatch(name):
        return ID_HINT
    module, graph = module_names()
    if keyword.iskeyword(name):
        return "it is a Python keyword; choose another name"
    if name.startswith("__"):
        return "names starting with '__' belong to Python; choose another name"
    if name in module:
        return "it is a name nn.Module uses; choose another name"
    if name in graph:
        return "it is a name Studio's compiled model uses; choose another name"
    return None


def check_id(name: object, what: str = "node id", where: str = "") -> None:
    """Raise SpecError unless ``name`` keeps the id rule (:func:`id_problem`); ``what`` says what it
    names and ``where`` where it sits (`` (block 'res')``), so the one sentence locates it."""
    problem = id_problem(name)
    if problem is not None:
        raise SpecError(f"{shown(name)} is not a valid {what}{where}: {problem}")


def shown(value: object, limit: int = 60) -> str:
    """``value`` as a short, escaped, one-line text for messages (never the whole of a huge value)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _in_block(block: str | None) -> str:
    return f" (block {shown(block)})" if block is not None else ""


def _real(value: object) -> bool:
    """A finite number that is no bool (``True`` is an int to Python, not a coordinate)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


@dataclass
class Node:
    """One layer on the canvas. ``id`` names its parameter scope (``conv1.weight``).

    ``repeat`` > 1 applies the layer that many times (children ``id_1``, ``id_2``, ...); ``stack``
    applies it once per argument set, each overriding ``args``. ``share`` names another node of the
    same type whose weights this one reuses.
    """

    id: str
    type: str
    args: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)
    repeat: int = 1
    stack: list[dict[str, Any]] | None = None
    share: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "args": copy.deepcopy(self.args)}
        if self.repeat != 1:
            data["repeat"] = self.repeat
        if self.stack is not None:
            data["stack"] = copy.deepcopy(self.stack)
        if self.share is not None:
            data["share"] = self.share
        data["pos"] = [self.pos[0], self.pos[1]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], block: str | None = None) -> Node:
        """A node of a spec document (of block ``block``, for the messages), every field checked."""
        where = _in_block(block)
        if not isinstance(data, dict):
            raise SpecError(f"a node{where} must be a JSON object, not {shown(data)}")
        if "id" not in data:
            raise SpecError(f"a node{where} has no 'id': {shown(data)}")
        node_id = data["id"]
        check_id(node_id, "node id", where)
        here = f"node '{node_id}'{where}"
        node_type, args = data.get("type"), data.get("args", {})
        if not isinstance(node_type, str):
            raise SpecError(f"{here} needs a layer 'type' (text), not {shown(node_type)}")
        if not isinstance(args, dict):
            raise SpecError(f"{here}: 'args' must be a JSON object of argument values, not {shown(args)}")
        pos = data.get("pos", [0.0, 0.0])
        if not (isinstance(pos, list | tuple) and len(pos) == 2 and all(_real(v) for v in pos)):
            raise SpecError(f"{here}: 'pos' must be two numbers, not {shown(pos)}")
        repeat = data.get("repeat", 1)
        if not isinstance(repeat, int) or isinstance(repeat, bool):
            raise SpecError(f"{here}: 'repeat' must be a whole number, not {shown(repeat)}")
        stack = data.get("stack")
        if stack is not None and not (isinstance(stack, list) and all(isinstance(i, dict) for i in stack)):
            raise SpecError(f"{here}: 'stack' must be a list of argument objects, not {shown(stack)}")
        share = data.get("share")
        if share is not None:
            check_id(share, "weight-sharing target", f" of {here}")
        return cls(id=node_id, type=node_type, args=dict(args), pos=(float(pos[0]), float(pos[1])),
                   repeat=repeat, stack=stack, share=share)

    @property
    def instance_count(self) -> int:
        """How many layers this node stands for (repeat or stack length, else 1)."""
        return len(self.stack) if self.stack is not None else self.repeat


@dataclass(frozen=True)
class Edge:
    """The output of ``src`` feeds input ``port`` of ``dst``."""

    src: str
    dst: str
    port: str = "x"

    def to_dict(self) -> dict[str, str]:
        return {"src": self.src, "dst": self.dst, "port": self.port}

    @classmethod
    def from_dict(cls, data: dict[str, Any], block: str | None = None) -> Edge:
        """A connection of a spec document: both ends name nodes and the port an input (ids all)."""
        where = _in_block(block)
        if not isinstance(data, dict) or "src" not in data or "dst" not in data:
            raise SpecError(f"a connection{where} needs 'src' and 'dst' node ids: {shown(data)}")
        edge = cls(src=data["src"], dst=data["dst"], port=data.get("port", "x"))
        also = f", block {shown(block)}" if block is not None else ""
        check_id(edge.src, "node id", f" (the source of a connection{also})")
        check_id(edge.dst, "node id", f" (the target of a connection{also})")
        check_id(edge.port, "input port", f" (connection {edge.src} -> {edge.dst}{also})")
        return edge


@dataclass
class Scope:
    """Default arguments for chosen layer types (TF-Slim's arg_scope)."""

    layers: list[str]
    args: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"layers": list(self.layers), "args": copy.deepcopy(self.args)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        try:
            scope = cls(layers=list(data["layers"]), args=dict(data["args"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"default scope {data!r} is malformed: {exc}") from None
        if not all(isinstance(layer, str) for layer in scope.layers):
            raise SpecError(f"default scope {data!r} is malformed: 'layers' lists layer type names")
        return scope


@dataclass(frozen=True)
class SpecEvent:
    """What changed: ``kind`` is one of the edit names below; ``block`` is None for the model."""

    kind: str  # node_added, node_removed, node_changed, node_moved, node_renamed, edge_added,
    # edge_removed, defaults_changed, block_added, block_removed, reset
    block: str | None = None
    node: str | None = None
    edge: Edge | None = None
    data: Any = None


class Graph:
    """Nodes, edges and default scopes: the model's body or a block's."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.defaults: list[Scope] = []

    def to_dict(self) -> dict[str, Any]:
        return {
            "defaults": [scope.to_dict() for scope in self.defaults],
            "nodes": [node.to_dict() for node in self.nodes.values()],
            "edges": [edge.to_dict() for edge in self.edges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], block: str | None = None) -> Graph:
        """The model's graph (``block`` None) or block ``block``'s from its document."""
        graph = cls()
        where = _in_block(block)
        for key in ("nodes", "edges", "defaults"):
            if not isinstance(data.get(key, []), list):
                raise SpecError(f"'{key}'{where} must be a list, not {shown(data[key])}")
        for item in data.get("nodes", []):
            node = Node.from_dict(item, block)
            if node.id in graph.nodes:
                raise SpecError(f"node id '{node.id}'{where} is used twice")
            graph.nodes[node.id] = node
        graph.edges = [Edge.from_dict(item, block) for item in data.get("edges", [])]
        graph.defaults = [Scope.from_dict(item) for item in data.get("defaults", [])]
        return graph

    def inputs_of(self, node_id: str) -> dict[str, str]:
        """Port -> source node id for the edges into ``node_id``."""
        return {edge.port: edge.src for edge in self.edges if edge.dst == node_id}

    def consumers_of(self, node_id: str) -> list[Edge]:
        """Edges leaving ``node_id``."""
        return [edge for edge in self.edges if edge.src == node_id]

    def nodes_of_type(self, layer_type: str) -> list[Node]:
        return [node for node in self.nodes.values() if node.type == layer_type]

    def unique_id(self, base: str) -> str:
        """A node id not yet used here, derived from ``base`` (``conv`` -> ``conv_3``)."""
        base = re.sub(r"\W", "_", base) or "node"
        if base[0].isdigit():
            base = f"n_{base}"
        if base not in self.nodes:
            return base
        stem = re.sub(r"_\d+$", "", base)
        index = 1
        while f"{stem}_{index}" in self.nodes:
            index += 1
        return f"{stem}_{index}"


@dataclass
class BlockDef:
    """A reusable sub-graph (a Sonnet module). ``params`` maps parameter names to defaults; node
    arguments inside refer to them as ``"$name"``. Its ``input`` nodes are the use's ports, its one
    ``output`` node the use's output."""

    name: str
    params: dict[str, Any]
    graph: Graph
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"params": copy.deepcopy(self.params)}
        if self.help:
            data["help"] = self.help
        data.update(self.graph.to_dict())
        return data

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> BlockDef:
        check_id(name, "block name")
        if not isinstance(data, dict) or not isinstance(data.get("params", {}), dict):
            raise SpecError(f"block '{name}' must be an object whose 'params' map names to defaults")
        params = dict(data.get("params", {}))
        check_params(name, params)
        help_text = data.get("help", "")
        if not isinstance(help_text, str):
            raise SpecError(f"block '{name}': 'help' must be text, not {shown(help_text)}")
        return cls(name=name, params=params, graph=Graph.from_dict(data, name), help=help_text)

    @property
    def input_ids(self) -> list[str]:
        return [node.id for node in self.graph.nodes.values() if node.type == "input"]


def check_params(block: str, params: dict[str, Any]) -> None:
    """Block parameter names keep the id rule, and none is ``block`` (a use names its block so)."""
    for param in params:
        check_id(param, "block parameter", f" (block '{block}')")
        if param == "block":
            raise SpecError(f"'block' is not a valid block parameter (block '{block}'): a use of the "
                            "block names its definition with it")


def check_names(spec: ModelSpec) -> None:
    """SpecError unless every name in ``spec`` keeps the id rule: node ids, block names, block
    parameters, connection ends and ports, weight-sharing targets. The reader checks this while
    reading; this is for specs built in memory (the code generator calls it before writing code)."""
    for block, graph in [(None, spec.graph), *((name, b.graph) for name, b in spec.blocks.items())]:
        where = _in_block(block)
        if block is not None:
            check_id(block, "block name")
            check_params(block, spec.blocks[block].params)
        for key, node in graph.nodes.items():
            check_id(key, "node id", where)
            if node.id != key:
                raise SpecError(f"node '{key}'{where} is stored under another id ({shown(node.id)})")
            if node.share is not None:
                check_id(node.share, "weight-sharing target", f" of node '{key}'{where}")
        for edge in graph.edges:
            Edge.from_dict(edge.to_dict(), block)


Listener = Callable[[SpecEvent], None]


class ModelSpec:
    """A whole model: name, body graph, blocks. Edit it through its methods to emit events."""

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self.graph = Graph()
        self.blocks: dict[str, BlockDef] = {}
        self.meta: dict[str, Any] = {}
        self._listeners: list[Listener] = []

    # ---- events ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event)`` after every edit."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: SpecEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ---- access ---------------------------------------------------------------------------------
    def graph_of(self, block: str | None = None) -> Graph:
        """The model's graph, or block ``block``'s."""
        if block is None:
            return self.graph
        if block not in self.blocks:
            raise SpecError(f"there is no block '{block}'")
        return self.blocks[block].graph

    @property
    def nodes(self) -> dict[str, Node]:
        return self.graph.nodes

    @property
    def edges(self) -> list[Edge]:
        return self.graph.edges

    def node(self, node_id: str, block: str | None = None) -> Node:
        graph = self.graph_of(block)
        if node_id not in graph.nodes:
            raise SpecError(f"there is no node '{node_id}'")
        return graph.nodes[node_id]

    def input_nodes(self) -> list[Node]:
        return self.graph.nodes_of_type("input")

    def output_nodes(self) -> list[Node]:
        return self.graph.nodes_of_type("output")

    # ---- edits ----------------------------------------------------------------------------------
    def add_node(self, node: Node, block: str | None = None, index: int | None = None) -> Node:
        """Add ``node`` (its id must be new in that graph) last, or at position ``index`` of the node
        order (an undone delete puts it back where it was)."""
        check_id(node.id)
        graph = self.graph_of(block)
        if node.id in graph.nodes:
            raise SpecError(f"node id '{node.id}' is already used")
        if index is None:
            graph.nodes[node.id] = node
        else:
            items = list(graph.nodes.items())
            items.insert(index, (node.id, node))
            graph.nodes = dict(items)
        self._emit(SpecEvent("node_added", block, node.id))
        return node

    def remove_node(self, node_id: str, block: str | None = None) -> tuple[Node, list[Edge]]:
        """Remove a node and every edge touching it; returns both so an undo can restore them."""
        graph = self.graph_of(block)
        node = self.node(node_id, block)
        removed = [edge for edge in graph.edges if node_id in (edge.src, edge.dst)]
        for edge in removed:
            self.disconnect(edge, block)
        del graph.nodes[node_id]
        self._emit(SpecEvent("node_removed", block, node_id, data=node))
        return node, removed

    def connect(self, edge: Edge, block: str | None = None, index: int | None = None) -> Edge:
        """Add ``edge`` last, or at position ``index`` of the edge list. Connecting to an occupied
        port replaces nothing: validation reports it."""
        graph = self.graph_of(block)
        for end in (edge.src, edge.dst):
            if end not in graph.nodes:
                raise SpecError(f"there is no node {shown(end)}")
        check_id(edge.port, "input port")
        if edge in graph.edges:
            raise SpecError(f"{edge.src} is already connected to {edge.dst}.{edge.port}")
        graph.edges.insert(len(graph.edges) if index is None else index, edge)
        self._emit(SpecEvent("edge_added", block, edge=edge))
        return edge

    def disconnect(self, edge: Edge, block: str | None = None) -> None:
        graph = self.graph_of(block)
        if edge not in graph.edges:
            raise SpecError(f"{edge.src} is not connected to {edge.dst}.{edge.port}")
        graph.edges.remove(edge)
        self._emit(SpecEvent("edge_removed", block, edge=edge))

    def set_arg(self, node_id: str, name: str, value: Any, block: str | None = None) -> Any:
        """Set an explicit argument (``value`` None removes it, falling back to the defaults).
        Returns the previous explicit value (or None)."""
        node = self.node(node_id, block)
        old = node.args.get(name)
        if value is None:
            node.args.pop(name, None)
        else:
            node.args[name] = value
        self._emit(SpecEvent("node_changed", block, node_id, data=name))
        return old

    def set_node_field(self, node_id: str, name: str, value: Any, block: str | None = None) -> Any:
        """Set ``repeat``, ``stack``, ``share`` or ``type``; returns the old value."""
        if name not in ("repeat", "stack", "share", "type"):
            raise SpecError(f"'{name}' is not an editable node field")
        node = self.node(node_id, block)
        if name == "share" and value is not None:
            check_id(value, "weight-sharing target")
        old = getattr(node, name)
        setattr(node, name, value)
        self._emit(SpecEvent("node_changed", block, node_id, data=name))
        return old

    def move_node(self, node_id: str, pos: tuple[float, float], block: str | None = None) -> None:
        node = self.node(node_id, block)
        node.pos = (float(pos[0]), float(pos[1]))
        self._emit(SpecEvent("node_moved", block, node_id))

    def rename_node(self, old_id: str, new_id: str, block: str | None = None) -> None:
        """Rename a node (its parameter scope changes) and rewire its edges and shares."""
        check_id(new_id)
        graph = self.graph_of(block)
        node = self.node(old_id, block)
        if new_id in graph.nodes:
            raise SpecError(f"node id '{new_id}' is already used")
        graph.nodes = {(new_id if key == old_id else key): value for key, value in graph.nodes.items()}
        node.id = new_id
        graph.edges = [Edge(new_id if e.src == old_id else e.src, new_id if e.dst == old_id else e.dst,
                            e.port) for e in graph.edges]
        for other in graph.nodes.values():
            if other.share == old_id:
                other.share = new_id
        self._emit(SpecEvent("node_renamed", block, new_id, data=old_id))

    def set_defaults(self, scopes: list[Scope], block: str | None = None) -> list[Scope]:
        """Replace the default scopes of the model or a block; returns the old list."""
        graph = self.graph_of(block)
        old = graph.defaults
        graph.defaults = list(scopes)
        self._emit(SpecEvent("defaults_changed", block))
        return old

    def add_block(self, block: BlockDef) -> None:
        check_id(block.name, "block name")
        check_params(block.name, block.params)
        if block.name in self.blocks:
            raise SpecError(f"a block named '{block.name}' already exists")
        self.blocks[block.name] = block
        self._emit(SpecEvent("block_added", block.name))

    def remove_block(self, name: str) -> BlockDef:
        block = self.blocks.pop(name)
        self._emit(SpecEvent("block_removed", name))
        return block

    def replace_with(self, other: ModelSpec) -> None:
        """Take over ``other``'s content (file load, revert) and tell subscribers to redraw."""
        self.name, self.graph, self.blocks, self.meta = other.name, other.graph, other.blocks, other.meta
        self._emit(SpecEvent("reset"))

    # ---- copies ---------------------------------------------------------------------------------
    def copy(self) -> ModelSpec:
        """A deep copy without subscribers."""
        from studio.engine.spec.io import spec_from_dict, spec_to_dict

        return spec_from_dict(spec_to_dict(self))
