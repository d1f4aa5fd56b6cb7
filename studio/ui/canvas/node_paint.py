"""Painting a node (:func:`paint_node`): a pile behind a repeat/stack node, the border (selected,
in error, dashed for a block), the header in its category's colour with id and type, the key
arguments, shape and parameter count, an expanded node's layers, input names, restore pills and the
error badge. Zoomed far out, only the header's id, the pills and the badge."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPen

from studio.engine.checkpoints.marks import NodeMark
from studio.ui.canvas import style
from studio.ui.canvas.marks import MARK_COLORS, mark_parts, pill_text
from studio.ui.canvas.node_face import ROW, NodeFace
from studio.ui.theme import category_color

BADGE_RADIUS = 8.0
FAR = 0.45  # below this level of detail only the header's id, the pills and the badge are drawn


def paint_node(painter: QPainter, rect: QRectF, face: NodeFace, colors, *, lod: float, selected: bool,
               port_labels: list[tuple[str, float]]) -> None:
    """Paint ``face`` in ``rect`` (the node's body); ``port_labels`` are the inputs to name."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if face.stacked:
        painter.setPen(QPen(colors.border, 1))
        painter.setBrush(colors.node)
        for offset in (8, 4):
            painter.drawRoundedRect(rect.translated(offset, offset), style.CORNER, style.CORNER)
    if selected:
        border = QPen(colors.selection, 2.5)
    elif face.messages:
        border = QPen(colors.error, 1.8)
    else:
        border = QPen(colors.border, 1)
    if face.block:
        border.setStyle(Qt.PenStyle.DashLine if not selected else Qt.PenStyle.SolidLine)
    painter.setPen(border)
    painter.setBrush(colors.node)
    painter.drawRoundedRect(rect, style.CORNER, style.CORNER)
    header = QPainterPath()
    header.addRoundedRect(rect.adjusted(0.5, 0.5, -0.5, 0), style.CORNER, style.CORNER)
    band = QPainterPath()
    band.addRect(QRectF(rect.left(), rect.top(), rect.width(), style.HEADER_HEIGHT))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(category_color(face.category))
    painter.drawPath(header.intersected(band))
    header_font, body_font, small_font = style.fonts()
    text_rect = QRectF(rect.left() + 8, rect.top(), rect.width() - 16, style.HEADER_HEIGHT)
    if lod < FAR:
        painter.setFont(header_font)
        painter.setPen(QColor("white"))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, face.title)
        _paint_marks(painter, rect, face.mark)
        _paint_badge(painter, rect, face.messages, colors)
        return
    _paint_header_text(painter, text_rect, face.title, face.type_name)
    painter.setFont(body_font)
    line = QRectF(rect.left() + 8, rect.top() + style.HEADER_HEIGHT + 3, rect.width() - 16,
                  style.LINE_HEIGHT)
    painter.setPen(colors.text)
    painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                     _elided(body_font, face.summary, line.width()))
    line.translate(0, style.LINE_HEIGHT)
    metrics = QFontMetricsF(body_font)
    shape_text_ = f"→ {face.shape}"
    params = face.params
    if params and metrics.horizontalAdvance(f"{shape_text_}  {params}") > line.width():
        params = params.removesuffix(" params")  # keep the count, drop the word
    room = line.width() - (metrics.horizontalAdvance(params) + 8 if params else 0)
    painter.setPen(colors.error if face.shape == "?" and face.messages else colors.subtext)
    painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                     metrics.elidedText(shape_text_, Qt.TextElideMode.ElideRight, room))
    painter.setPen(colors.subtext)
    painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, params)
    if face.rows:
        _paint_rows(painter, rect, face.rows, small_font, colors)
    if port_labels:
        painter.setFont(small_font)
        painter.setPen(colors.subtext)
        for name, x in port_labels:
            painter.drawText(QRectF(x + 7, -14, 60, 12), Qt.AlignmentFlag.AlignLeft, name)
    _paint_marks(painter, rect, face.mark)
    _paint_badge(painter, rect, face.messages, colors)


def _paint_header_text(painter: QPainter, text_rect: QRectF, title: str, type_name: str) -> None:
    header_font, _, small_font = style.fonts()
    type_width = QFontMetricsF(small_font).horizontalAdvance(type_name) + 8
    if QFontMetricsF(header_font).horizontalAdvance(title) + type_width > text_rect.width():
        type_width = 0  # a long id wins over the type name (the colour and tooltip tell the type)
    else:
        painter.setFont(small_font)
        painter.setPen(QColor(255, 255, 255, 210))
        right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        painter.drawText(text_rect, right, type_name)
    painter.setFont(header_font)
    painter.setPen(QColor("white"))
    title_rect = text_rect.adjusted(0, 0, -type_width, 0)
    painter.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                     _elided(header_font, title, title_rect.width()))


def _paint_marks(painter: QPainter, rect: QRectF, mark: NodeMark | None) -> None:
    if mark is not None and mark.frozen and mark.all_frozen:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(80, 150, 230, 40))
        painter.drawRoundedRect(rect, style.CORNER, style.CORNER)
    font = style.fonts()[2]
    painter.setFont(font)
    left, right = rect.left() + 8, rect.right() - 8  # pills go left, then right: the port stays free
    for index, (kind, share) in enumerate(mark_parts(mark)):
        text = pill_text(kind, share)  # "⟲ restored 1/3": restored in one of three block uses
        width = QFontMetricsF(font).horizontalAdvance(text) + 10
        x = left if index % 2 == 0 else right - width
        pill = QRectF(x, rect.bottom() - 7, width, 14)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(MARK_COLORS.get(kind, "#6b6b6b")))
        painter.drawRoundedRect(pill, 7, 7)
        painter.setPen(QColor("white"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        if index % 2 == 0:
            left += width + 4
        else:
            right -= width + 4


def _paint_rows(painter: QPainter, rect: QRectF, rows, font, colors) -> None:
    top = rect.top() + style.NODE_HEIGHT
    painter.setPen(QPen(colors.border, 1))
    painter.drawLine(QPointF(rect.left() + 6, top - 2), QPointF(rect.right() - 6, top - 2))
    painter.setFont(font)
    for index, (name, shape) in enumerate(rows):
        row = QRectF(rect.left() + 12, top + index * ROW, rect.width() - 24, ROW)
        painter.setPen(colors.text)
        painter.drawText(row, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        painter.setPen(colors.subtext)
        painter.drawText(row, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, shape)


def _paint_badge(painter: QPainter, rect: QRectF, messages, colors) -> None:
    if not messages:
        return
    center = QPointF(rect.right() - 2, rect.top())
    painter.setPen(QPen(colors.node, 1.5))
    painter.setBrush(QBrush(colors.error))
    painter.drawEllipse(center, BADGE_RADIUS, BADGE_RADIUS)
    font = style.fonts()[0]
    painter.setFont(font)
    painter.setPen(QColor("white"))
    label = "!" if len(messages) == 1 else str(len(messages))
    painter.drawText(QRectF(center.x() - BADGE_RADIUS, center.y() - BADGE_RADIUS, 2 * BADGE_RADIUS,
                            2 * BADGE_RADIUS), Qt.AlignmentFlag.AlignCenter, label)


def _elided(font, text: str, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)
