"""One gallery image shown larger (double-click or Enter on a thumbnail of the results page)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

SIZE = 320  # small images are enlarged to this (pixels stay sharp), large ones shrunk to it


class ImagePreview(QDialog):
    """The image at ``path`` (at most ``SIZE`` px) above ``caption``."""

    def __init__(self, path: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(Path(path).name)
        pixmap = QPixmap(path)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if pixmap.isNull():
            self.image.setText(f"{path} cannot be read")
        else:
            smooth = max(pixmap.width(), pixmap.height()) > SIZE
            self.image.setPixmap(pixmap.scaled(SIZE, SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation if smooth
                                               else Qt.TransformationMode.FastTransformation))
        self.caption = QLabel(caption)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
