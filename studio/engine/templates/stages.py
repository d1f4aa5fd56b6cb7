"""One node per stage of blocks: repeated when its blocks are alike, stacked when their arguments vary."""

from __future__ import annotations

from typing import Any

from studio.engine.spec.builder import GraphBuilder


def add_stage(g: GraphBuilder, node_id: str, block: str, source: str, uses: list[dict[str, Any]]) -> str:
    """A node using ``block`` once per entry of ``uses`` (its arguments), one after another: ``repeat``
    when every use is the same, else a ``stack`` whose entries hold only the arguments that vary (the
    shared ones stay on the node). Its children are ``node_id_1``, ``node_id_2``, ..."""
    shared = {key: value for key, value in uses[0].items() if all(use.get(key) == value for use in uses)}
    if len(shared) == len(uses[0]) and all(len(use) == len(shared) for use in uses):
        return g.block(node_id, block, source, repeat=len(uses), **shared)
    node = g.block(node_id, block, source, **shared)
    g.graph.nodes[node].stack = [{k: v for k, v in use.items() if k not in shared} for use in uses]
    return node
