"""Thumbnails per class: from decoded data (a data check) or from the files of a run's folder."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QPixmap

from studio.engine.data import DataError, ImageData, LabelRule, scan_image_folder
from studio.engine.training.fields import ConfigError
from studio.ui.training.images import array_pixmap, file_pixmap

Thumbnails = list[tuple[str, list[QPixmap]]]


def sample_rows(labels: np.ndarray, classes: int, per_class: int) -> list[np.ndarray]:
    """The first ``per_class`` positions of each class in ``labels``."""
    return [np.flatnonzero(labels == c)[:per_class] for c in range(classes)]


def thumbnails_from_data(data: ImageData, per_class: int = 8, size: int = 44) -> Thumbnails:
    """Decoded training images of each class (exactly what the model will see, before augmentation)."""
    train = data.train
    picks = sample_rows(train.labels, len(data.class_names), per_class)
    return [(name, [array_pixmap(train.cache.images[train.rows[p]], size) for p in positions])
            for name, positions in zip(data.class_names, picks, strict=True)]


def thumbnails_from_folder(data_config: dict[str, Any], class_names: list[str], per_class: int = 8,
                           size: int = 44) -> Thumbnails:
    """Image files of each class, found by scanning the run's data folder again (empty when the folder
    is gone or cannot be read)."""
    root = data_config.get("root")
    if not root:
        return []
    try:
        rule = LabelRule.from_value(data_config.get("labels"))
        index = scan_image_folder(root, rule, class_names or None)
    except (DataError, ConfigError):
        return []
    picks = sample_rows(index.labels, len(index.class_names), per_class)
    paths = index.paths()
    return [(name, [pixmap for p in positions if not (pixmap := file_pixmap(str(paths[p]), size)).isNull()])
            for name, positions in zip(index.class_names, picks, strict=True)]
