"""One gallery image shown larger (double-click or Enter on a thumbnail of the results page)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from studio.engine.filenames import shown_name
from studio.ui.training.images import file_pixmap

SIZE = 320  # small images are enlarged to this (pixels stay sharp), large ones shrunk to it


class ImagePreview(QDialog):
    """The image at ``path`` (at most ``SIZE`` px) above ``caption``."""

    def __init__(self, path: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(shown_name(Path(path).name))
        pixmap = file_pixmap(path, SIZE, sharp_upscale=True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if pixmap.isNull():
            self.image.setText(f"{shown_name(path)} cannot be read")
        else:
            self.image.setPixmap(pixmap)
        self.caption = QLabel(caption)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
