"""Thumbnails per class: from decoded data (a data check) or from the files of a run's folder.

Reading files is worker work (:func:`folder_samples` returns plain arrays); turning arrays into
pixmaps (:func:`pixmaps`) is quick and happens on the GUI thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QPixmap

from studio.engine.data import BadImage, DataError, ImageData, LabelRule, decode_image, scan_image_folder
from studio.engine.training.fields import ConfigError
from studio.ui.training.images import array_pixmap

Samples = list[tuple[str, list[np.ndarray]]]  # (class name, uint8 (C, H, W) images)
Thumbnails = list[tuple[str, list[QPixmap]]]
THUMB_PIXELS = 44


def sample_rows(labels: np.ndarray, classes: int, per_class: int) -> list[np.ndarray]:
    """The first ``per_class`` positions of each class in ``labels``."""
    return [np.flatnonzero(labels == c)[:per_class] for c in range(classes)]


def data_samples(data: ImageData, per_class: int = 8) -> Samples:
    """Decoded training images of each class (exactly what the model sees, before augmentation)."""
    train = data.train
    picks = sample_rows(train.labels, len(data.class_names), per_class)
    return [(name, [train.cache.images[train.rows[p]] for p in positions])
            for name, positions in zip(data.class_names, picks, strict=True)]


def folder_samples(data_config: dict[str, Any], class_names: list[str], shape: list[int] | None,
                   per_class: int = 8) -> Samples:
    """Images of each class found by scanning a run's data folder again, decoded at the run's input
    ``shape`` (empty when the folder is gone or cannot be read). Runs in a worker."""
    root = data_config.get("root")
    if not root:
        return []
    try:
        rule = LabelRule.from_value(data_config.get("labels"))
        index = scan_image_folder(root, rule, class_names or None)
    except (DataError, ConfigError):
        return []
    channels, height, width = shape if shape and len(shape) == 3 else (3, THUMB_PIXELS, THUMB_PIXELS)
    paths = index.paths()
    picks = sample_rows(index.labels, len(index.class_names), per_class)
    samples = []
    for name, positions in zip(index.class_names, picks, strict=True):
        images = []
        for p in positions:
            try:
                images.append(decode_image(paths[p], channels, height, width)[0])
            except BadImage:
                continue
        samples.append((name, images))
    return samples


def pixmaps(samples: Samples, size: int = THUMB_PIXELS) -> Thumbnails:
    """Pixmaps of ``samples`` (GUI thread)."""
    return [(name, [array_pixmap(image, size) for image in images]) for name, images in samples]
