"""The results page's gallery: a double-click (or Enter) on a thumbnail shows the real image larger."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from studio.engine.training.predictions import Predictions
from studio.ui.training.image_preview import SIZE
from studio.ui.training.results_widgets import Gallery
from tests.engine.image_folders import make_image_folder


def test_double_click_and_enter_show_the_image_larger(qtbot, tmp_path):
    root = make_image_folder(tmp_path / "data", classes=2, per_class=2, size=12)
    paths = tuple(str(path) for path in sorted(root.rglob("*.png")))
    predictions = Predictions("ckpt.safetensors", 5, "validation split", ("c0", "c1"), paths,
                              np.array([0, 0, 1, 1]), np.array([1, 0, 0, 1]), np.array([0.9, 0.8, 0.7, 0.6]))
    gallery = Gallery()
    qtbot.addWidget(gallery)
    gallery.resize(500, 300)
    gallery.show()
    gallery.show_images(predictions, np.array([0, 2]))  # the two mistakes
    first = gallery.item(0)
    rect = gallery.visualItemRect(first)
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    preview = gallery.preview
    assert preview is not None and preview.isVisible()
    assert preview.image.pixmap().width() == SIZE  # the 12 px image, enlarged
    assert paths[0] in preview.caption.text() and "predicted c1" in preview.caption.text()
    gallery.setCurrentRow(1)
    qtbot.keyClick(gallery, Qt.Key.Key_Return)
    assert gallery.preview is not preview and paths[2] in gallery.preview.caption.text()
    assert not preview.isVisible()  # one preview at a time
