"""Automatic layered layout (top to bottom) for imported templates and the 'Arrange' command."""

from __future__ import annotations

from studio.engine.spec.model import Graph

ROW_HEIGHT = 110.0
COLUMN_WIDTH = 220.0


def layered_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Node id -> position: rows by longest path from the inputs, columns centred in each row."""
    depth: dict[str, int] = {}
    ids = list(graph.nodes)
    for _ in range(len(ids) + 1):  # relax until stable (cycles are cut after len(ids) rounds)
        changed = False
        for node_id in ids:
            sources = [e.src for e in graph.edges if e.dst == node_id and e.src in graph.nodes]
            value = max((depth.get(s, 0) + 1 for s in sources), default=0)
            if depth.get(node_id) != value:
                depth[node_id], changed = value, True
        if not changed:
            break
    rows: dict[int, list[str]] = {}
    for node_id in ids:
        rows.setdefault(depth[node_id], []).append(node_id)
    positions = {}
    for row, members in rows.items():
        offset = -(len(members) - 1) * COLUMN_WIDTH / 2
        for column, node_id in enumerate(members):
            positions[node_id] = (offset + column * COLUMN_WIDTH, row * ROW_HEIGHT)
    return positions


def apply_layout(graph: Graph) -> None:
    """Set every node's position from :func:`layered_positions` (no events: for fresh graphs)."""
    for node_id, pos in layered_positions(graph).items():
        graph.nodes[node_id].pos = pos
