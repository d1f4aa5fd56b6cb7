"""Placing a new layer: the nearest free spot, and the room an insertion into a connection makes."""

from studio.engine.spec.layout import ROW_HEIGHT, apply_layout
from studio.engine.spec.model import Edge, Graph, Node
from studio.engine.spec.placement import (
    GAP,
    free_position,
    graph_boxes,
    insert_placement,
    node_box,
    overlaps,
)
from studio.engine.templates import create_template


def no_overlaps(boxes) -> bool:
    items = list(boxes)
    return not any(overlaps(a, b) for i, a in enumerate(items) for b in items[i + 1:])


def test_a_free_spot_is_kept_and_a_taken_one_moves_to_the_nearest_free():
    boxes = [node_box((0.0, 0.0))]
    assert free_position((400.0, 0.0), boxes) == (400.0, 0.0)
    moved = free_position((10.0, 20.0), boxes)
    assert not overlaps(node_box(moved), boxes[0], GAP - 1e-6)
    assert moved == (10.0, 90.0)  # straight down (below 62 + 20, on the grid): nearer than beside
    assert all(value % 10 == 0 for value in moved)


def test_a_crowded_spot_finds_the_nearest_gap():
    chain = [node_box((0.0, y)) for y in (-110.0, 0.0, 110.0, 220.0, 330.0)]
    moved = free_position((0.0, 110.0), chain)
    assert no_overlaps([*chain, node_box(moved)])
    assert moved == (210.0, 110.0)  # beside the chain (184 + 20 on the grid): every spot in it is taken


def test_inserting_into_a_chain_moves_what_is_below_by_one_row():
    spec = create_template("small_cnn")
    graph = spec.graph
    before = {node_id: node.pos for node_id, node in graph.nodes.items()}
    drop = (before["conv1"][0] + 4, before["pool1"][1] - 20)
    pos, moves = insert_placement(graph, Edge("conv1", "pool1"), drop)
    assert pos == (before["conv1"][0], before["pool1"][1])  # where pool1 was, in the chain's column
    below = {"pool1", "conv2", "pool2", "flatten", "fc1", "dropout", "fc2", "logits"}
    assert set(moves) == below
    assert all(moves[n] == (before[n][0], before[n][1] + ROW_HEIGHT) for n in below)
    after = {**graph_boxes(graph), **{n: node_box(p) for n, p in moves.items()}, "new": node_box(pos)}
    assert no_overlaps(after.values())


def test_nothing_moves_when_there_is_room_and_the_ancestors_never_move():
    graph = Graph()
    for node_id, pos in (("a", (0.0, 0.0)), ("b", (0.0, 400.0)), ("c", (0.0, 510.0))):
        graph.nodes[node_id] = Node(node_id, "relu", {}, pos)
    graph.edges = [Edge("a", "b"), Edge("b", "c")]
    pos, moves = insert_placement(graph, Edge("a", "b"), (0.0, 200.0))
    assert moves == {} and pos == (0.0, 110.0)
    pos, moves = insert_placement(graph, Edge("b", "c"), (0.0, 480.0))
    assert set(moves) == {"c"} and pos == (0.0, 510.0)


def test_a_node_below_that_would_be_covered_is_pushed_too():
    """A residual block: the shortcut's merge moves with the chain, and so does a loose node under it."""
    graph = Graph()
    for node_id, pos in (("inp", (0.0, 0.0)), ("conv", (0.0, 110.0)), ("add", (0.0, 220.0)),
                         ("out", (0.0, 330.0)), ("loose", (120.0, 420.0)), ("side", (400.0, 220.0))):
        graph.nodes[node_id] = Node(node_id, "relu", {}, pos)
    graph.edges = [Edge("inp", "conv"), Edge("conv", "add", "x0"), Edge("inp", "add", "x1"),
                   Edge("add", "out")]
    pos, moves = insert_placement(graph, Edge("conv", "add", "x0"), (0.0, 200.0))
    assert set(moves) == {"add", "out", "loose"}  # 'side' stays: nothing moves onto it
    boxes = {**graph_boxes(graph), **{n: node_box(p) for n, p in moves.items()}, "new": node_box(pos)}
    assert no_overlaps(boxes.values())


def test_measured_boxes_count_an_expanded_node_as_tall_as_it_is():
    spec = create_template("small_cnn")
    apply_layout(spec.graph)
    graph = spec.graph
    tall = graph_boxes(graph)
    left, top, width, _ = tall["conv1"]
    tall["conv1"] = (left, top, width, 200.0)  # conv1 shows its layers
    pos, moves = insert_placement(graph, Edge("conv1", "pool1"), (0.0, 0.0), tall)
    assert pos[1] >= top + 200.0 + GAP
    after = {**tall, **{n: node_box(p) for n, p in moves.items()}, "new": node_box(pos)}
    for n, p in moves.items():
        after[n] = (after[n][0], p[1], after[n][2], after[n][3])
    assert no_overlaps(after.values())


def test_a_sideways_connection_only_gets_a_free_spot():
    graph = Graph()
    graph.nodes["a"] = Node("a", "relu", {}, (0.0, 0.0))
    graph.nodes["b"] = Node("b", "relu", {}, (300.0, 0.0))
    graph.edges = [Edge("a", "b")]
    pos, moves = insert_placement(graph, Edge("a", "b"), (150.0, 10.0))
    assert moves == {}
    assert no_overlaps([*graph_boxes(graph).values(), node_box(pos)])
