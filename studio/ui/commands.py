"""Undoable edits: each QUndoCommand calls one ModelSpec method; the scene redraws from the events.

Composite edits (paste, group, ungroup, template insert) are macros of the primitive operations the
engine computes (``studio.engine.spec.edits``). Argument edits from one editor merge into one step.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from studio.engine.spec.edits import AddBlock, AddNode, Connect, Disconnect, Op, RemoveNode, apply_ops
from studio.engine.spec.model import Edge, ModelSpec, Node, Scope

MERGE_SECONDS = 2.0  # argument edits of one field closer than this merge into one undo step
SET_ARG_ID = 1001


class SpecCommand(QUndoCommand):
    """An edit of graph ``block`` (None: the model) of ``spec``."""

    def __init__(self, spec: ModelSpec, block: str | None, text: str) -> None:
        super().__init__(text)
        self.spec, self.block = spec, block


class OpCommand(SpecCommand):
    """One primitive operation (add/remove node, connect/disconnect, add block) and its inverse."""

    def __init__(self, spec: ModelSpec, op: Op, block: str | None = None) -> None:
        super().__init__(spec, block, op_text(op))
        self.op = op
        self.removed: tuple[Node, int | None, list[tuple[int, Edge]]] | None = None  # node, place, edges
        self.edge_index: int | None = None  # where a disconnected edge was

    def redo(self) -> None:
        graph = self.spec.graph_of(self.block)
        if isinstance(self.op, RemoveNode):  # remember what goes and where, to put it back exactly
            node_id = self.op.node_id
            index = list(graph.nodes).index(node_id) if node_id in graph.nodes else None
            places = [place for place, edge in enumerate(graph.edges) if node_id in (edge.src, edge.dst)]
            node, edges = self.spec.remove_node(node_id, self.block)
            self.removed = (copy.deepcopy(node), index, list(zip(places, edges, strict=True)))
        else:
            if isinstance(self.op, Disconnect) and self.op.edge in graph.edges:
                self.edge_index = graph.edges.index(self.op.edge)
            apply_ops(self.spec, [self.op], self.block)

    def undo(self) -> None:
        op, spec, block = self.op, self.spec, self.block
        if isinstance(op, AddNode):
            spec.remove_node(op.node.id, block)
        elif isinstance(op, RemoveNode):
            node, index, edges = self.removed
            spec.add_node(copy.deepcopy(node), block, index)
            for place, edge in edges:  # in graph order, lowest place first: each lands home
                spec.connect(edge, block, place)
        elif isinstance(op, Connect):
            spec.disconnect(op.edge, block)
        elif isinstance(op, Disconnect):
            spec.connect(op.edge, block, self.edge_index)
        else:
            spec.remove_block(op.block.name)


def op_text(op: Op) -> str:
    if isinstance(op, AddNode):
        return f"Add {op.node.id}"
    if isinstance(op, RemoveNode):
        return f"Delete {op.node_id}"
    if isinstance(op, Connect):
        return f"Connect {op.edge.src} → {op.edge.dst}"
    if isinstance(op, Disconnect):
        return f"Disconnect {op.edge.src} → {op.edge.dst}"
    assert isinstance(op, AddBlock)
    return f"Add block {op.block.name}"


class MacroCommand(QUndoCommand):
    """Several commands as one undo step (kept as Python objects, so their overrides stay alive)."""

    def __init__(self, text: str, commands: list[QUndoCommand]) -> None:
        super().__init__(text)
        self.commands = commands

    def redo(self) -> None:
        for command in self.commands:
            command.redo()

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()


def ops_command(spec: ModelSpec, ops: list[Op], block: str | None, text: str) -> QUndoCommand:
    """One undo step running ``ops`` in order (undone in reverse)."""
    if len(ops) == 1:
        command = OpCommand(spec, ops[0], block)
        command.setText(text)
        return command
    return MacroCommand(text, [OpCommand(spec, op, block) for op in ops])


class SetArgCommand(SpecCommand):
    """Set (or with None, clear) an explicit argument; quick successive edits of it merge."""

    def __init__(self, spec: ModelSpec, node_id: str, name: str, value: Any, block: str | None = None):
        super().__init__(spec, block, f"Set {node_id}.{name}")
        self.node_id, self.name, self.value = node_id, name, copy.deepcopy(value)
        self.old = copy.deepcopy(spec.node(node_id, block).args.get(name))
        self.stamp = time.monotonic()

    def id(self) -> int:
        return SET_ARG_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetArgCommand) or (other.node_id, other.name, other.block) != (
                self.node_id, self.name, self.block) or other.stamp - self.stamp > MERGE_SECONDS:
            return False
        self.value, self.stamp = other.value, other.stamp
        return True

    def redo(self) -> None:
        self.spec.set_arg(self.node_id, self.name, copy.deepcopy(self.value), self.block)

    def undo(self) -> None:
        self.spec.set_arg(self.node_id, self.name, copy.deepcopy(self.old), self.block)


class SetFieldCommand(SpecCommand):
    """Set a node's repeat, stack, share or type."""

    def __init__(self, spec: ModelSpec, node_id: str, name: str, value: Any, block: str | None = None):
        super().__init__(spec, block, f"Set {node_id} {name}")
        self.node_id, self.name, self.value = node_id, name, copy.deepcopy(value)
        self.old = copy.deepcopy(getattr(spec.node(node_id, block), name))

    def redo(self) -> None:
        self.spec.set_node_field(self.node_id, self.name, copy.deepcopy(self.value), self.block)

    def undo(self) -> None:
        self.spec.set_node_field(self.node_id, self.name, copy.deepcopy(self.old), self.block)


class MoveCommand(SpecCommand):
    """Move several nodes at once (one drag is one step)."""

    def __init__(self, spec: ModelSpec, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 block: str | None = None) -> None:
        names = ", ".join(list(moves)[:3]) + (" …" if len(moves) > 3 else "")
        super().__init__(spec, block, f"Move {names}")
        self.moves = dict(moves)

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.spec.move_node(node_id, new, self.block)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.spec.move_node(node_id, old, self.block)


class RenameCommand(SpecCommand):
    def __init__(self, spec: ModelSpec, old_id: str, new_id: str, block: str | None = None) -> None:
        super().__init__(spec, block, f"Rename {old_id} → {new_id}")
        self.old_id, self.new_id = old_id, new_id

    def redo(self) -> None:
        self.spec.rename_node(self.old_id, self.new_id, self.block)

    def undo(self) -> None:
        self.spec.rename_node(self.new_id, self.old_id, self.block)


class SetDefaultsCommand(SpecCommand):
    """Replace the default scopes (arg_scope) of the model or a block."""

    def __init__(self, spec: ModelSpec, scopes: list[Scope], block: str | None = None) -> None:
        super().__init__(spec, block, f"Edit {'block ' + block if block else 'model'} defaults")
        self.new = copy.deepcopy(scopes)
        self.old = copy.deepcopy(spec.graph_of(block).defaults)

    def redo(self) -> None:
        self.spec.set_defaults(copy.deepcopy(self.new), self.block)

    def undo(self) -> None:
        self.spec.set_defaults(copy.deepcopy(self.old), self.block)


class RemoveBlockCommand(QUndoCommand):
    """Delete an unused block definition."""

    def __init__(self, spec: ModelSpec, name: str) -> None:
        super().__init__(f"Delete block {name}")
        self.spec, self.name = spec, name
        self.block = copy.deepcopy(spec.blocks[name])

    def redo(self) -> None:
        self.spec.remove_block(self.name)

    def undo(self) -> None:
        self.spec.add_block(copy.deepcopy(self.block))


class ReplaceModelCommand(QUndoCommand):
    """Put another model on the canvas as one undo step (ModelSpec.replace_with both ways)."""

    def __init__(self, spec: ModelSpec, new: ModelSpec, text: str) -> None:
        super().__init__(text)
        self.spec, self.old, self.new = spec, spec.copy(), new.copy()

    def redo(self) -> None:
        self.spec.replace_with(self.new.copy())

    def undo(self) -> None:
        self.spec.replace_with(self.old.copy())
