"""What a node shows on the canvas (:class:`NodeFace`): its title, type, key arguments, output shape,
parameter count, problems, the layers of an expanded repeat/stack, shared weights and restore marks;
computed from the spec's node and its analysis, compared to know when to repaint."""

from __future__ import annotations

import html
from dataclasses import dataclass

from studio.engine.checkpoints.marks import NodeMark
from studio.engine.layers.registry import get_layer
from studio.engine.spec.block_analysis import instance_shapes
from studio.engine.spec.build import Issue, NodeInfo
from studio.engine.spec.model import Node
from studio.ui.canvas import style
from studio.ui.canvas.marks import tooltip_lines
from studio.ui.format import count_text, shape_text

ROW = 14.0  # the height of one layer's line in an expanded node


@dataclass(frozen=True)
class NodeFace:
    """The text and state a node paints; equal faces paint the same."""

    title: str  # the id, with "×3" on a repeat or stack node
    type_name: str
    category: str  # the palette category, which colours the header
    summary: str  # key arguments: "32 · 3×3 /2 · relu"
    shape: str  # the output shape, "?" when unknown
    params: str  # "18.5k params", "" when none
    messages: tuple[str, ...]  # the problems analysis found
    rows: tuple[tuple[str, str], ...]  # (layer id, shape) of each layer when expanded
    share: str | None  # the node whose weights it shares
    mark: NodeMark | None  # what restores did to it
    stacked: bool  # a repeat or stack node (drawn as a pile)
    block: bool  # a use of a block (dashed border)

    @property
    def height(self) -> float:
        """The node's height: taller by a line per layer when expanded."""
        return style.NODE_HEIGHT + (len(self.rows) * ROW + 6 if self.rows else 0)


def node_face(node: Node, info: NodeInfo | None, issues: list[Issue], mark: NodeMark | None,
              expanded: bool) -> NodeFace:
    """The face of ``node`` as analysis (``info``, ``issues``) and restores (``mark``) left it."""
    layer = get_layer(node.type)
    count = node.instance_count
    stacked = count > 1 or node.stack is not None
    rows = []
    if expanded and info is not None:
        rows = [(name, shape_text(s)) for name, s in instance_shapes(node, info)]
    return NodeFace(
        title=node.id + (f"  ×{count}" if stacked else ""),
        type_name=layer.display_name if layer else node.type,
        category=layer.category if layer else "Blocks",
        summary=style.summary(node, info),
        shape=shape_text(info.output_shape) if info and info.output_shape is not None else "?",
        params=f"{count_text(info.params)} params" if info and info.params else "",
        messages=tuple(i.message for i in issues),
        rows=tuple(rows),
        share=node.share,
        mark=mark,
        stacked=stacked,
        block=node.type == "block",
    )


def node_tooltip(node: Node, issues: list[Issue], mark: NodeMark | None) -> str:
    """Rich text: id and type, the layer's help, shared weights, each problem, the restore marks."""
    layer = get_layer(node.type)
    type_name = layer.display_name if layer else node.type
    parts = [f"<b>{html.escape(node.id)}</b> — {html.escape(type_name)}"]
    if layer is not None:
        parts.append(f"<span>{html.escape(layer.help)}</span>")
    if node.share:
        parts.append(f"shares weights with <b>{html.escape(node.share)}</b>")
    for issue in issues:
        where = f" ({html.escape(issue.arg)})" if issue.arg else ""
        parts.append(f"<span style='color:#d9342b'>⚠{where} {html.escape(issue.message)}</span>")
    parts.extend(html.escape(line, quote=False) for line in tooltip_lines(mark))
    return "<br>".join(parts)
