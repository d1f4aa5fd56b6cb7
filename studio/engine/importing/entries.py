"""The converter's working graph: one :class:`Entry` per spec node, before the spec is built.

Folding (folding.py) rewrites these entries into block uses and repeats; :func:`build_spec` turns
the result into a :class:`ModelSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.engine.spec.builder import GraphBuilder, SpecBuilder
from studio.engine.spec.model import ID_PATTERN, ModelSpec, id_problem


@dataclass
class Entry:
    id: str
    type: str
    args: dict[str, Any]
    sources: list[str]  # entry ids (or a block's input ports), in port order
    share: str | None = None
    scopes: tuple[str, ...] = ()  # the traced-through modules around it, outermost first (fx keys)
    module: str | None = None  # the module key it stands for: a leaf called, or a folded submodule
    repeat: int = 1


@dataclass
class Block:
    """A block definition in the making: ``entries`` use local ids and may refer to ``$params``."""

    name: str
    params: dict[str, Any]
    inputs: list[str]
    entries: list[Entry]
    output: str
    help: str = ""


@dataclass
class Graph:
    """The model's entries (in order), its outputs and the blocks folded out of it."""

    entries: dict[str, Entry]
    outputs: list[tuple[str, str]]  # (output node id, the entry it shows)
    blocks: dict[str, Block] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # a folded region's output -> its use

    def current(self, entry_id: str) -> str:
        """The entry now giving what ``entry_id`` gave (itself unless folded away)."""
        while entry_id in self.renamed:
            entry_id = self.renamed[entry_id]
        return entry_id


def fresh_id(name: str, used: set[str]) -> str:
    """``name`` made a valid, unused node id (``features.0`` -> ``features_0``, ``float`` ->
    ``float_1``); added to ``used``."""
    base = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name).strip("_")
    if not base or not ID_PATTERN.fullmatch(base):
        base = f"n_{base}" if base else "node"
    candidate, count = base, 0
    while id_problem(candidate) is not None or candidate in used:
        count += 1
        candidate = f"{base}_{count}"
    used.add(candidate)
    return candidate


def build_spec(name: str, graph: Graph) -> ModelSpec:
    builder = SpecBuilder(name)
    for block in graph.blocks.values():
        body = builder.new_block(block.name, block.help, **block.params)
        for port in block.inputs:
            body.input(port)
        _add_entries(body, block.entries)
        body.output("out", block.output)
    _add_entries(builder, list(graph.entries.values()))
    for out_id, source in graph.outputs:
        builder.output(out_id, source)
    return builder.build()


def _add_entries(builder: GraphBuilder, entries: list[Entry]) -> None:
    for entry in entries:
        if entry.type == "input":
            builder.input(entry.id, entry.args["shape"])
        elif entry.type == "block":
            params = {k: v for k, v in entry.args.items() if k != "block"}
            builder.block(entry.id, entry.args["block"], entry.sources, repeat=entry.repeat, **params)
        else:
            builder.layer(entry.id, entry.type, entry.sources if len(entry.sources) != 1 else
                          entry.sources[0], share=entry.share, repeat=entry.repeat, **entry.args)
