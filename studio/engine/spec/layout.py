"""Automatic layered layout (top to bottom) for imported templates and the 'Arrange' command.

Rows are the longest path from the inputs. Columns keep chains straight: each node continues in the
column of the input whose longest remaining path it carries on, and side branches (a residual
shortcut, the arms of a merge) take the nearest free column beside it, so a skip connection runs
beside the main path instead of through it.
"""

from __future__ import annotations

from studio.engine.spec.model import Graph

ROW_HEIGHT = 110.0
COLUMN_WIDTH = 220.0


def layered_positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """Node id -> position (x: column centre, y: row top); the first input's chain runs down x = 0."""
    ids = list(graph.nodes)
    index = {node_id: i for i, node_id in enumerate(ids)}
    preds: dict[str, list[str]] = {node_id: [] for node_id in ids}
    succs: dict[str, list[str]] = {node_id: [] for node_id in ids}
    for edge in graph.edges:
        if edge.src in index and edge.dst in index:
            preds[edge.dst].append(edge.src)
            succs[edge.src].append(edge.dst)
    order = _topological(ids, preds, succs, index)
    rank: dict[str, int] = {}
    for node_id in order:
        rank[node_id] = max((rank[p] + 1 for p in preds[node_id] if p in rank), default=0)
    height: dict[str, int] = {}
    for node_id in reversed(order):
        later = [s for s in succs[node_id] if s in height and rank[s] > rank[node_id]]
        height[node_id] = max((height[s] + 1 for s in later), default=0)
    main = {node_id: max(succs[node_id], key=lambda s: (height.get(s, 0), -index[s]), default=None)
            for node_id in ids}
    column: dict[str, int] = {}
    taken: set[tuple[int, int]] = set()
    for node_id in order:
        row = rank[node_id]
        placed = sorted((p for p in preds[node_id] if p in column), key=lambda p: -rank[p])
        chains = [column[p] for p in placed if main[p] == node_id]
        choice = next((c for c in chains if (c, row) not in taken), None)
        if choice is None:
            base = column[placed[0]] if placed else 0
            choice = _nearest_free(base, row, taken, branch=bool(placed) and not chains)
        column[node_id] = choice
        taken.add((choice, row))
    return {node_id: (column[node_id] * COLUMN_WIDTH, rank[node_id] * ROW_HEIGHT) for node_id in ids}


def _topological(ids: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]],
                 index: dict[str, int]) -> list[str]:
    """Kahn's order, ties in graph order; nodes on a cycle come last in graph order."""
    waiting = {node_id: len(preds[node_id]) for node_id in ids}
    ready = sorted((n for n in ids if waiting[n] == 0), key=index.__getitem__, reverse=True)
    order: list[str] = []
    while ready:
        node_id = ready.pop()
        order.append(node_id)
        for succ in succs[node_id]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                ready.append(succ)
        ready.sort(key=index.__getitem__, reverse=True)
    seen = set(order)
    return order + [n for n in ids if n not in seen]


def _nearest_free(base: int, row: int, taken: set[tuple[int, int]], branch: bool) -> int:
    """The free column nearest ``base`` in ``row``; a side branch never takes ``base`` itself."""
    offsets = [1, -1] if branch else [0, 1, -1]
    distance = 1
    while True:
        for offset in offsets:
            if (base + offset, row) not in taken:
                return base + offset
        distance += 1
        offsets = [distance, -distance]


def apply_layout(graph: Graph) -> None:
    """Set every node's position from :func:`layered_positions` (no events: for fresh graphs)."""
    for node_id, pos in layered_positions(graph).items():
        graph.nodes[node_id].pos = pos
