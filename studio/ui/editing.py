"""The canvas's edit vocabulary: checks an edit, turns it into undoable commands and pushes them.

Every method raises :class:`StudioError` with a sentence for the user when the edit is refused; the
views show it in the status line. Tests and keyboard actions use the same methods as the mouse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.engine.errors import SpecError
from studio.engine.layers.registry import get_layer
from studio.engine.spec.edits import (
    AddNode,
    Connect,
    Disconnect,
    Op,
    RemoveNode,
    block_users,
    connection_problem,
    extract_fragment,
    free_port,
    fresh_id,
    has_output,
    insert_on_edge_ops,
    paste_ops,
    template_fragment,
)
from studio.engine.spec.grouping import group_ops, ungroup_ops, unroll_ops
from studio.engine.spec.layout import ROW_HEIGHT, layered_positions
from studio.engine.spec.model import Edge, Graph, Node, Scope, check_id
from studio.engine.spec.placement import Box, free_position, graph_boxes, insert_placement
from studio.engine.templates import create_template
from studio.ui.commands import (
    MacroCommand,
    MoveCommand,
    RemoveBlockCommand,
    RenameCommand,
    SetArgCommand,
    SetDefaultsCommand,
    SetFieldCommand,
    ops_command,
)
from studio.ui.document import ProjectDocument

Point = tuple[float, float]


class GraphEditor:
    """Edits of one graph (the model, or block ``block``) of a document."""

    def __init__(self, document: ProjectDocument, block: str | None = None) -> None:
        self.document, self.block = document, block
        self.measure: Callable[[], dict[str, Box]] | None = None  # the canvas's node boxes, by id

    def _boxes(self) -> dict[str, Box]:
        return graph_boxes(self.graph, self.measure() if self.measure is not None else None)

    @property
    def spec(self):
        return self.document.spec

    @property
    def graph(self) -> Graph:
        return self.spec.graph_of(self.block)

    def _push_ops(self, ops: list[Op], text: str) -> None:
        if ops:
            self.document.push(ops_command(self.spec, ops, self.block, text))

    # ---- nodes --------------------------------------------------------------------------------
    def new_node(self, kind: str, pos: Point) -> Node:
        """A node for palette entry ``kind``: a layer type, or ``block:NAME`` for a block use."""
        if kind.startswith("block:"):
            name = kind.split(":", 1)[1]
            if name not in self.spec.blocks:
                raise SpecError(f"there is no block '{name}'")
            if name == self.block:
                raise SpecError(f"block '{name}' cannot contain itself")
            return Node(fresh_id(self.graph, name), "block", {"block": name}, pos)
        if get_layer(kind) is None:
            raise SpecError(f"unknown layer type '{kind}'")
        return Node(fresh_id(self.graph, kind), kind, {}, pos)

    def add(self, kind: str, pos: Point, after: str | None = None) -> str:
        """Add a layer at ``pos``, or the nearest spot where it covers no other (connected from node
        ``after`` when given); returns its id."""
        node = self.new_node(kind, free_position(pos, self._boxes().values()))
        ops: list[Op] = [AddNode(node)]
        if after is not None and after in self.graph.nodes and has_output(self.graph.nodes[after]):
            port = free_port(self.spec, node, self.block)
            if port is not None:
                ops.append(Connect(Edge(after, node.id, port)))
        self._push_ops(ops, f"Add {node.id}")
        return node.id

    def add_after(self, kind: str, after: str | None) -> str:
        """Add a layer below node ``after`` (or below everything) and connect it: keyboard adding."""
        if after is not None and after in self.graph.nodes:
            x, y = self.graph.nodes[after].pos
            pos = (x, y + ROW_HEIGHT)
        else:
            bottom = max((n.pos[1] for n in self.graph.nodes.values()), default=-ROW_HEIGHT)
            pos = (0.0, bottom + ROW_HEIGHT)
        return self.add(kind, pos, after)

    def add_template(self, name: str, pos: Point) -> list[str]:
        """Insert template ``name`` (its defaults written into its layers) with its top at ``pos``."""
        template = create_template(name)
        xs = [n.pos[0] for n in template.graph.nodes.values()]
        ys = [n.pos[1] for n in template.graph.nodes.values()]
        offset = (pos[0] - (min(xs) + max(xs)) / 2, pos[1] - min(ys))
        ops, ids = paste_ops(self.spec, template_fragment(template), self.block, offset)
        self._push_ops(ops, f"Insert template {name}")
        return ids

    def remove(self, node_ids: list[str], edges: list[Edge] = ()) -> None:
        """Delete nodes (with their connections) and connections, as one step."""
        ops: list[Op] = [Disconnect(e) for e in edges if e.src not in node_ids and e.dst not in node_ids
                         and e in self.graph.edges]
        ops += [RemoveNode(node_id) for node_id in node_ids if node_id in self.graph.nodes]
        names = [*node_ids, *(f"{e.src}→{e.dst}" for e in edges)]
        self._push_ops(ops, f"Delete {', '.join(names[:3])}{' …' if len(names) > 3 else ''}")

    def connect(self, edge: Edge) -> None:
        problem = connection_problem(self.spec, edge, self.block)
        if problem:
            raise SpecError(problem)
        self._push_ops([Connect(edge)], f"Connect {edge.src} → {edge.dst}")

    def insert_on_edge(self, kind: str, edge: Edge, pos: Point) -> str:
        """Add a layer into connection ``edge`` (dropped at ``pos``); the nodes below move to make room
        for it, in the same undo step. Returns its id."""
        node = self.new_node(kind, pos)
        ops = insert_on_edge_ops(self.spec, edge, node, self.block)
        node.pos, moves = insert_placement(self.graph, edge, pos, self.measure() if self.measure else None)
        insert = ops_command(self.spec, ops, self.block, f"Insert {node.id}")
        if moves:
            moved = {node_id: (self.graph.nodes[node_id].pos, new) for node_id, new in moves.items()}
            insert = MacroCommand(f"Insert {node.id}", [insert, MoveCommand(self.spec, moved, self.block)])
        self.document.push(insert)
        return node.id

    def move(self, moves: dict[str, tuple[Point, Point]]) -> None:
        """Move nodes: ``{id: (old, new)}`` in one undo step."""
        moves = {key: value for key, value in moves.items() if value[0] != value[1]}
        if moves:
            self.document.push(MoveCommand(self.spec, moves, self.block))

    def arrange(self) -> None:
        """Lay the graph out in layers, top to bottom (one undo step)."""
        positions = layered_positions(self.graph)
        self.move({node_id: (self.graph.nodes[node_id].pos, pos) for node_id, pos in positions.items()})

    # ---- arguments ----------------------------------------------------------------------------
    def set_arg(self, node_id: str, name: str, value: Any) -> None:
        """Set an explicit argument (None: back to the inherited value)."""
        if self.spec.node(node_id, self.block).args.get(name) != value:
            self.document.push(SetArgCommand(self.spec, node_id, name, value, self.block))

    def set_field(self, node_id: str, name: str, value: Any) -> None:
        """Set ``repeat``, ``stack`` or ``share``."""
        if getattr(self.spec.node(node_id, self.block), name) != value:
            self.document.push(SetFieldCommand(self.spec, node_id, name, value, self.block))

    def rename(self, old_id: str, new_id: str) -> None:
        if old_id == new_id:
            return
        check_id(new_id)
        if new_id in self.graph.nodes:
            raise SpecError(f"node id '{new_id}' is already used")
        self.document.push(RenameCommand(self.spec, old_id, new_id, self.block))

    def set_defaults(self, scopes: list[Scope]) -> None:
        self.document.push(SetDefaultsCommand(self.spec, scopes, self.block))

    # ---- clipboard and structure --------------------------------------------------------------
    def copy(self, node_ids: list[str]) -> dict:
        """The selection as a fragment document (for the clipboard)."""
        return extract_fragment(self.spec, node_ids, self.block)

    def paste(self, fragment: dict, offset: Point = (40.0, 40.0)) -> list[str]:
        """Add a copied fragment with fresh ids; returns the new ids."""
        ops, ids = paste_ops(self.spec, fragment, self.block, offset)
        self._push_ops(ops, f"Paste {len(ids)} layer{'s' if len(ids) != 1 else ''}")
        return ids

    def duplicate(self, node_ids: list[str]) -> list[str]:
        return self.paste(self.copy(node_ids), (30.0, 30.0))

    def group(self, node_ids: list[str], name: str | None = None) -> str:
        """Group the nodes into a new block; returns the use node's id."""
        name = name or self.fresh_block_name()
        ops, use = group_ops(self.spec, node_ids, name, self.block)
        self._push_ops(ops, f"Group into block {name}")
        return use

    def remove_block(self, name: str) -> None:
        """Delete an unused block definition (refused, naming the users, while it is used)."""
        users = block_users(self.spec, name)
        if users:
            raise SpecError(f"block '{name}' is still used by {', '.join(users[:5])}"
                            f"{' …' if len(users) > 5 else ''}")
        self.document.push(RemoveBlockCommand(self.spec, name))

    def fresh_block_name(self) -> str:
        """``block1``, ``block2``, ...: the first block name not taken."""
        taken = self.spec.blocks
        return next(f"block{i}" for i in range(1, len(taken) + 2) if f"block{i}" not in taken)

    def ungroup(self, node_id: str) -> list[str]:
        ops, ids = ungroup_ops(self.spec, node_id, self.block)
        self._push_ops(ops, f"Ungroup {node_id}")
        return ids

    def unroll(self, node_id: str) -> list[str]:
        ops, ids = unroll_ops(self.spec, node_id, self.block)
        self._push_ops(ops, f"Unroll {node_id}")
        return ids

