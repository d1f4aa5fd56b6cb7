"""What Studio knows about one point, as text and a larger image (shared by the hover card and lists)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImageReader, QPixmap

from studio.engine.projector.embedding import Embedding
from studio.ui.projector.sprites import SpriteSheet


def point_lines(embedding: Embedding, index: int) -> list[str]:
    """File name, label, prediction and confidence of point ``index``."""
    lines = []
    if embedding.paths:
        lines.append(Path(embedding.paths[index]).name)
    lines.append(f"label: {_class_name(embedding, int(embedding.labels[index]))}")
    if embedding.predictions is not None:
        predicted = _class_name(embedding, int(embedding.predictions[index]))
        mark = "✓" if bool(embedding.correct[index]) else "✗"
        lines.append(f"prediction: {predicted} {mark}")
    if embedding.confidence is not None:
        lines.append(f"confidence: {float(embedding.confidence[index]):.1%}")
    return lines


def _class_name(embedding: Embedding, value: int) -> str:
    if 0 <= value < len(embedding.class_names):
        return embedding.class_names[value]
    return "(unlabelled)" if value < 0 else str(value)


def point_image(embedding: Embedding, sheet: SpriteSheet | None, index: int, side: int) -> QPixmap:
    """Point ``index``'s image at up to ``side`` px: read from its file, else its thumbnail enlarged."""
    if embedding.paths:
        reader = QImageReader(embedding.paths[index])
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > side:  # big photos: decode smaller
            reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if not image.isNull():
            if image.width() < side // 2:  # tiny images (28x28) are shown enlarged, pixels kept sharp
                image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
            return QPixmap.fromImage(image)
    if sheet is not None:
        return sheet.thumbnail(index).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
    return QPixmap()
