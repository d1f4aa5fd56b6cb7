"""Does the model fit the data: every output a loss trains gives one value per class. A head that
does not is an issue on its output node with the edit that fixes it (the layer that sets its width,
found back through the layers that keep the shape: activation, dropout, batch norm...).
"""

from __future__ import annotations

from typing import Any

from studio.engine.spec.build import Fix, Issue, NodeInfo
from studio.engine.spec.model import Graph, ModelSpec

# layer type -> the argument that sets its width (out_channels reaches a head through global pooling)
WIDTH_ARGS = {"fully_connected": ("out_features", "outputs"), "conv2d": ("out_channels", "output channels"),
              "separable_conv2d": ("out_channels", "output channels")}


def head_issues(spec: ModelSpec, infos: dict[str, NodeInfo], data: Any) -> list[Issue]:
    """Issues of the outputs in ``data.heads`` (None: every output) against ``data.num_classes``."""
    classes = data.num_classes if data is not None else None
    if not classes:
        return []
    graph = spec.graph
    outputs = [node.id for node in spec.output_nodes()]
    heads = outputs if data.heads is None else [head for head in data.heads if head in outputs]
    issues = []
    for head in heads:
        info = infos.get(head)
        shape = info.output_shape if info is not None else None
        if shape is None:
            continue  # an upstream problem, reported already
        if len(shape) != 1:
            issues.append(Issue(head, f"output '{head}' gives values of shape {list(shape)}: a loss needs "
                                      f"one value per class ({classes}): add flatten and fully_connected "
                                      "layers before it", about="data"))
        elif shape[0] != classes:
            fix = width_fix(graph, infos, head, classes)
            todo = (f"set {fix.node} to {classes} {WIDTH_ARGS[graph.nodes[fix.node].type][1]}" if fix
                    else f"make the layer before it give {classes} values")
            issues.append(Issue(head, f"output '{head}' gives {shape[0]} values but the data has {classes} "
                                      f"classes: {todo}", about="data", fix=fix))
    return issues


def width_fix(graph: Graph, infos: dict[str, NodeInfo], output: str, width: int) -> Fix | None:
    """The edit giving ``output`` ``width`` values: the layer that decides its width, reached back
    through single-input layers that keep their input's shape (and global pooling, which keeps the
    channels). None when no plain argument decides it (a repeated, stacked, shared or block layer)."""
    node_id = graph.inputs_of(output).get("x")
    for _ in range(len(graph.nodes)):
        if node_id is None:
            return None
        node, info = graph.nodes.get(node_id), infos.get(node_id)
        if node is None or info is None or info.output_shape is None:
            return None
        if node.type in WIDTH_ARGS:
            arg, noun = WIDTH_ARGS[node.type]
            plain = node.repeat == 1 and node.stack is None and not node.share
            if not plain or not isinstance(info.values.get(arg), int):
                return None
            return Fix(node_id, arg, width, f"Set {node_id} to {width} {noun}")
        source = info.input_shapes.get("x")
        keeps = source is not None and (source == info.output_shape
                                        or (len(info.output_shape) == 1 and source[0] == info.output_shape[0]
                                            and "pool" in node.type))
        if info.ports != ["x"] or node.type == "block" or not keeps:
            return None
        node_id = graph.inputs_of(node_id).get("x")
    return None
