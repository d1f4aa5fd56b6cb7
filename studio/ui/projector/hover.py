"""``HoverCard``: a floating card over the view with the hovered point's larger image and details."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from studio.engine.projector.embedding import Embedding
from studio.ui.projector.pointinfo import point_image, point_lines
from studio.ui.projector.sprites import SpriteSheet

IMAGE_SIDE = 128
OFFSET = 18  # px between the cursor and the card


class HoverCard(QFrame):
    """Shows one point; the owner places it next to the point and hides it when nothing is hovered."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(IMAGE_SIDE, IMAGE_SIDE)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.image)
        layout.addWidget(self.text)
        self.index = -1
        self.hide()

    def show_point(self, embedding: Embedding, sheet: SpriteSheet | None, index: int, at: QPointF) -> None:
        """Fill the card with point ``index`` and show it beside pixel ``at`` of the parent."""
        if index != self.index:
            self.index = index
            self.image.setPixmap(point_image(embedding, sheet, index, IMAGE_SIDE))
            self.text.setText("\n".join(point_lines(embedding, index)))
            self.adjustSize()
        self.move(self._place(at))
        self.show()
        self.raise_()

    def clear(self) -> None:
        self.index = -1
        self.hide()

    def _place(self, at: QPointF) -> QPoint:
        parent = self.parentWidget()
        x, y = int(at.x()) + OFFSET, int(at.y()) + OFFSET
        if x + self.width() > parent.width():
            x = int(at.x()) - OFFSET - self.width()
        if y + self.height() > parent.height():
            y = int(at.y()) - OFFSET - self.height()
        return QPoint(max(0, x), max(0, y))
