"""Where a new layer goes on the canvas: never on top of another, and inside a connection with room made.

Pure geometry on a graph's positions (a node's ``pos`` is the centre of its top edge) and the boxes the
canvas measured (an expanded repeat node is taller); without them every node has :data:`NODE_SIZE`. The
canvas applies the result: the new node's position, and moves in the same undo step as the insert.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from studio.engine.spec.layout import ROW_HEIGHT
from studio.engine.spec.model import Edge, Graph

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, top, width, height

NODE_SIZE = (184.0, 62.0)  # a node's box on the canvas (studio/ui/canvas/style.py; a test holds them equal)
GAP = 20.0  # the least free space around a node's box
SPACING = ROW_HEIGHT - NODE_SIZE[1]  # between a node and the next in an arranged chain
STEP = 10.0  # positions searched: the canvas's snapping grid
MAX_RINGS = 100  # how far a free spot is looked for (in steps)


def node_box(pos: Point, size: tuple[float, float] = NODE_SIZE) -> Box:
    return (pos[0] - size[0] / 2, pos[1], size[0], size[1])


def graph_boxes(graph: Graph, measured: Mapping[str, Box] | None = None) -> dict[str, Box]:
    """Every node's box: as ``measured`` where given, else from its position and :data:`NODE_SIZE`."""
    measured = measured or {}
    return {node_id: measured.get(node_id) or node_box(node.pos) for node_id, node in graph.nodes.items()}


def overlaps(a: Box, b: Box, gap: float = 0.0) -> bool:
    """Whether boxes ``a`` and ``b`` come closer than ``gap``."""
    return (a[0] < b[0] + b[2] + gap and b[0] < a[0] + a[2] + gap
            and a[1] < b[1] + b[3] + gap and b[1] < a[1] + a[3] + gap)


def free_position(pos: Point, boxes: Iterable[Box], size: tuple[float, float] = NODE_SIZE,
                  gap: float = GAP) -> Point:
    """The position nearest ``pos``, on its grid of :data:`STEP`, where a node of ``size`` keeps ``gap``
    from every box of ``boxes``; ``pos`` itself when it does (or when nothing is free near it)."""
    reach = MAX_RINGS * STEP
    area = (pos[0] - size[0] / 2 - reach, pos[1] - reach, size[0] + 2 * reach, size[1] + 2 * reach)
    near = [box for box in boxes if overlaps(box, area, gap)]

    def free(point: Point) -> bool:
        box = node_box(point, size)
        return not any(overlaps(box, other, gap) for other in near)

    if free(pos):
        return pos
    best: tuple[float, Point] | None = None
    for ring in range(1, MAX_RINGS + 1):
        if best is not None and best[0] <= ring * STEP:
            break  # nothing in this ring or beyond is nearer
        for dx, dy in _ring(ring):
            point = (pos[0] + dx * STEP, pos[1] + dy * STEP)
            distance = math.hypot(dx, dy) * STEP
            if (best is None or distance < best[0]) and free(point):
                best = (distance, point)
    return best[1] if best is not None else pos


def _ring(ring: int) -> list[tuple[int, int]]:
    """Grid offsets at Chebyshev distance ``ring``, nearest first (down before up, right before left
    on ties: a layer goes below rather than above)."""
    cells = [(dx, dy) for dx in range(-ring, ring + 1) for dy in range(-ring, ring + 1)
             if max(abs(dx), abs(dy)) == ring]
    return sorted(cells, key=lambda c: (c[0] ** 2 + c[1] ** 2, -c[1], -c[0]))


def insert_placement(graph: Graph, edge: Edge, drop: Point, measured: Mapping[str, Box] | None = None,
                     size: tuple[float, float] = NODE_SIZE) -> tuple[Point, dict[str, Point]]:
    """Where a node of ``size`` dropped at ``drop`` into ``edge`` goes, and the nodes that move to make
    room for it: ``(position, {node id: new position})``.

    In a connection that runs down (its target below its source), the new node sits one chain spacing
    below the source (in its column when the target is too); the target and everything downstream of
    it move down as far as needed to keep that spacing below the new node, and so does any other node
    below that the moved ones would otherwise cover. Elsewhere the node goes at ``drop``. Either way the
    new node is then moved to the nearest spot where it covers no node."""
    boxes = graph_boxes(graph, measured)
    src, dst = boxes[edge.src], boxes[edge.dst]
    src_bottom = src[1] + src[3]
    if dst[1] <= src[1]:  # the target is not below the source: no chain to open
        return free_position(drop, boxes.values(), size), {}
    x = _centre(src) if abs(_centre(src) - _centre(dst)) < size[0] / 2 else drop[0]
    pos = (x, _ceil_step(src_bottom + SPACING))
    shift = _ceil_step(pos[1] + size[1] + SPACING - dst[1])
    moves: dict[str, Point] = {}
    if shift > 0:
        fixed = _upstream(graph, edge.src)
        moving = _downstream(graph, edge.dst) - fixed
        while True:  # what a moved node would cover moves too (never the source's ancestors)
            moved = [_shifted(boxes[node_id], shift) for node_id in moving]
            pushed = {node_id for node_id, box in boxes.items()
                      if node_id not in moving and node_id not in fixed and box[1] >= src_bottom
                      and any(overlaps(box, other, GAP) for other in moved)}
            if not pushed:
                break
            moving |= pushed
        for node_id in moving:
            old = graph.nodes[node_id].pos
            moves[node_id] = (old[0], old[1] + shift)
    after = [(_shifted(box, shift) if node_id in moves else box) for node_id, box in boxes.items()]
    return free_position(pos, after, size), moves


def _centre(box: Box) -> float:
    return box[0] + box[2] / 2


def _shifted(box: Box, dy: float) -> Box:
    return (box[0], box[1] + dy, box[2], box[3])


def _ceil_step(value: float) -> float:
    return math.ceil(value / STEP - 1e-9) * STEP


def _downstream(graph: Graph, start: str) -> set[str]:
    """``start`` and every node it feeds, directly or not."""
    return _reach([(e.src, e.dst) for e in graph.edges], start)


def _upstream(graph: Graph, start: str) -> set[str]:
    """``start`` and every node that feeds it."""
    return _reach([(e.dst, e.src) for e in graph.edges], start)


def _reach(links: list[tuple[str, str]], start: str) -> set[str]:
    following: dict[str, list[str]] = {}
    for a, b in links:
        following.setdefault(a, []).append(b)
    seen, todo = {start}, [start]
    while todo:
        for nxt in following.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
