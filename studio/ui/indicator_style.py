"""The Fusion style, with check box and radio button outlines that stay visible on a dark palette
(Fusion draws them in a darker shade of the window colour: on dark themes they all but vanish)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleFactory

NAME = "studio-fusion"
_BOXES = frozenset({QStyle.PrimitiveElement.PE_IndicatorCheckBox,
                    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck})
_RADIO = QStyle.PrimitiveElement.PE_IndicatorRadioButton


class IndicatorStyle(QProxyStyle):
    """Fusion; on a dark palette, check boxes and radio buttons get a light outline."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))
        self.setObjectName(NAME)

    def drawPrimitive(self, element, option, painter: QPainter, widget=None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if (element in _BOXES or element == _RADIO) and option.palette.window().color().lightness() < 128:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(option.palette.placeholderText().color(), 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
            if element == _RADIO:
                painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            else:
                painter.drawRoundedRect(rect, 2.0, 2.0)
            painter.restore()
