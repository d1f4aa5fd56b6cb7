"""A preview of augmentation: a few training images, each beside augmented copies of itself."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.engine.data import AugmentConfig, ImageData
from studio.engine.data.augment import preview_augmentations
from studio.ui.training.images import array_pixmap

SAMPLES = 4
VARIANTS = 6


class AugmentPreview(QWidget):
    """Rows of original | augmented copies; ``New samples`` draws other images and other random ops."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: ImageData | None = None
        self._config = AugmentConfig()
        self._seed = 0
        self.note = QLabel("Augmentation preview: check the data first.")
        self.again = QPushButton("New samples")
        self.again.clicked.connect(self._reseed)
        self.again.setEnabled(False)
        self.grid_widget = QWidget()
        self.grid = QGridLayout(self.grid_widget)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(3)
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.again)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.grid_widget)
        layout.addStretch(1)

    def set_data(self, data: ImageData | None) -> None:
        self._data = data
        self.again.setEnabled(data is not None)
        self.refresh()

    def set_config(self, config: AugmentConfig) -> None:
        self._config = config
        self.refresh()

    def images(self) -> np.ndarray | None:
        """The uint8 originals shown ``(N, C, H, W)``, or None without data."""
        if self._data is None or len(self._data.train) == 0:
            return None
        train = self._data.train
        rng = np.random.default_rng(self._seed)
        picks = rng.choice(len(train), size=min(SAMPLES, len(train)), replace=False)
        return train.cache.images[np.sort(train.rows[picks])]

    def refresh(self) -> None:
        while self.grid.count():
            self.grid.takeAt(0).widget().deleteLater()
        originals = self.images()
        if originals is None:
            return
        if not self._config.enabled:
            self.note.setText("Augmentation is off: training images are used as they are.")
            augmented = originals[:, None]
        else:
            self.note.setText("Left: the image as decoded. Right: random augmentations of it.")
            augmented = preview_augmentations(originals, self._config, VARIANTS, seed=self._seed)
        size = max(40, min(80, 320 // max(1, augmented.shape[1])))
        for row, (original, copies) in enumerate(zip(originals, augmented, strict=True)):
            self.grid.addWidget(self._image(original, size), row, 0)
            if self._config.enabled:
                for col, copy in enumerate(copies, start=2):
                    self.grid.addWidget(self._image(copy, size), row, col)
        self.grid.setColumnMinimumWidth(1, 12)

    def _image(self, image: np.ndarray, size: int) -> QLabel:
        label = QLabel()
        label.setPixmap(array_pixmap(image, size))
        return label

    def _reseed(self) -> None:
        self._seed += 1
        self.refresh()
