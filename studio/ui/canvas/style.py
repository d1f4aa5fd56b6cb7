"""Node geometry and the text a node shows (key arguments, shape, parameter count)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QFont

from studio.engine.layers.registry import get_layer
from studio.engine.spec.build import NodeInfo
from studio.engine.spec.model import Node
from studio.engine.spec.resolve import DATA
from studio.ui.format import value_text

NODE_WIDTH = 184.0
HEADER_HEIGHT = 22.0
LINE_HEIGHT = 16.0
NODE_HEIGHT = HEADER_HEIGHT + 2 * LINE_HEIGHT + 8.0
PORT_RADIUS = 5.0
CORNER = 6.0
GRID = 20.0

# How an argument reads on a node, and arguments never shown there unless the layer type's ``shown``
# names them (a layer's other arguments appear when they differ from the default).
LABELS = {"kernel_size": "", "stride": "/", "out_channels": "", "out_features": "", "p": "p=",
          "axis": "axis ", "shape": "", "dilation": "dil ", "groups": "groups ", "num_classes": "",
          "output_size": "→"}
HIDDEN = {"init", "l1", "l2", "bias", "eps", "momentum", "affine", "inputs", "ceil_mode", "count_include_pad"}


@cache
def fonts() -> tuple[QFont, QFont, QFont]:
    """Header, body and small fonts in scene pixels (zoom scales them)."""
    header = QFont()
    header.setPixelSize(12)
    header.setBold(True)
    body = QFont()
    body.setPixelSize(11)
    small = QFont()
    small.setPixelSize(9)
    return header, body, small


def summary(node: Node, info: NodeInfo | None) -> str:
    """Key arguments in a few characters: ``32 · 3×3 /2 · relu``."""
    if node.type == "block":
        params = [f"{k} {value_text(v)}" for k, v in node.args.items() if k != "block"]
        return " · ".join([f"▣ {node.args.get('block', '?')}", *params])
    layer = get_layer(node.type)
    if layer is None:
        return "unknown layer type"
    if node.type == "input" and node.args.get("shape") is None:  # explicit shape > the data's > none yet
        arg = info.args.get("shape") if info is not None else None
        if arg is not None and arg.source == DATA:
            return f"from data: {value_text(arg.value)}"
        return "" if info is not None and info.output_shape is not None else "shape from data (none yet)"
    inherited = info.values if info is not None and info.args else {p.name: p.default for p in layer.params}
    values = {**inherited, **node.args}  # explicit values show at once, before the next analysis
    parts = []
    for param in layer.params:
        value = values.get(param.name)
        if param.length and isinstance(value, int) and not isinstance(value, bool):
            value = [value] * param.length  # a kernel size of 3 reads 3×3
        if param.name == "stride" and (value in ([1, 1], None) or value == values.get("kernel_size")):
            continue
        if param.name not in layer.shown and (param.name in HIDDEN
                                              or values.get(param.name) == param.default):
            continue
        label = "" if param.name == "activation" else LABELS.get(param.name, param.name + " ")
        parts.append(f"{label}{value_text(value)}")
    if node.stack is not None:
        parts.insert(0, f"stack of {len(node.stack)}")
    return " · ".join(parts)


def snap(value: float) -> float:
    """Round a coordinate to the canvas grid's half step."""
    step = GRID / 2
    return round(value / step) * step
