"""Hostile input in the window: JSON typed, dropped or saved 10,000 levels deep is refused with the
message shown in place; names of files and classes that are not UTF-8 are shown escaped (Qt would drop
the bytes) and their images still open."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QSettings

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.data import DataConfig, prepare_image_data
from studio.engine.layers.registry import get_layer
from studio.engine.training.predictions import Predictions
from studio.ui.checkpoints.rules import load_rules
from studio.ui.editors import parse_text
from studio.ui.mime import PALETTE_MIME, palette_entry
from studio.ui.training.presets import SETTINGS_KEY, PresetStore
from studio.ui.training.report_view import ReportView
from studio.ui.training.results_widgets import ConfusionView, Gallery, PerClassTable
from tests.engine.image_folders import give_undecodable_names, make_image_folder

NESTED = "[" * 10_000 + "]" * 10_000


def test_typed_dropped_and_saved_json_is_bounded(demo, tmp_path):
    param = next(p for p in get_layer("conv2d").params if p.name == "out_channels")
    for text in (NESTED, '{"a": ' * 150 + "1" + "}" * 150):
        with pytest.raises(ValueError) as caught:
            parse_text(param, text)
        assert "nested more than 100 levels" in str(caught.value) and "\n" not in str(caught.value)
    assert parse_text(param, "a_name") == "a_name"  # a bare word is still a word

    demo.scene().select(["conv2"])
    demo.document.revalidate()
    demo.inspector.stack_edit.setText(NESTED)
    demo.inspector.stack_edit.editingFinished.emit()
    message = demo.statusBar().currentMessage()
    assert "nested more than 100 levels" in message and "JSON list" in message
    assert demo.document.spec.nodes["conv2"].stack is None

    drag = QMimeData()
    drag.setData(PALETTE_MIME, NESTED.encode())
    assert palette_entry(drag) is None

    (tmp_path / "rules.json").write_text(NESTED)
    with pytest.raises(CheckpointError, match="nested more than 100 levels"):
        load_rules(tmp_path / "rules.json")

    QSettings().setValue(SETTINGS_KEY, NESTED)
    assert PresetStore().user_presets() == {}


@pytest.fixture
def undecodable(tmp_path):
    root = make_image_folder(tmp_path / "data", classes=3, per_class=4, size=12)
    try:
        give_undecodable_names(root)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (root / "c0" / os.fsdecode(b"\xfa bad.png")).write_bytes(b"broken")
    return root


def test_report_and_results_show_such_names_escaped(qtbot, undecodable, tmp_path):
    data = prepare_image_data(DataConfig(str(undecodable), keep_decoded=False), (1, 12, 12))
    report = data.report.to_dict()
    view = ReportView()
    qtbot.addWidget(view)
    view.show_report(report, [(name, []) for name in data.class_names])
    assert view.skipped.item(0, 0).text().endswith("/c0/\\xfa bad.png")
    titles = [title.text() for title, _ in view.thumbs.rows]
    assert "cl\\xe4ss2" in titles[2]

    names = data.class_names
    matrix, table = ConfusionView(), PerClassTable()
    qtbot.addWidget(matrix)
    qtbot.addWidget(table)
    matrix.set_matrix(np.eye(3, dtype=np.int64), names)
    table.set_values(names, [1.0] * 3, [1.0] * 3, [1.0] * 3, [1] * 3)
    assert matrix.verticalHeaderItem(2).text() == "cl\\xe4ss2"
    assert "cl\\xe4ss2" in {table.item(row, 0).text() for row in range(3)}

    paths = tuple(str(undecodable / name) for name in data.train.files[:4])
    odd = [i for i, path in enumerate(paths) if "\udcff" in path or "\udce9" in path]
    assert odd
    predictions = Predictions("ckpt", 1, "folder", names, paths, np.zeros(4, np.int64),
                              np.full(4, 2, np.int64), np.full(4, 0.5))
    gallery = Gallery()
    qtbot.addWidget(gallery)
    gallery.show_images(predictions, np.arange(4))
    item = gallery.item(odd[0])
    assert not item.icon().isNull()  # the image behind a name Qt cannot spell was opened
    assert "\\x" in item.toolTip() and "cl\\xe4ss2" in item.text()
    gallery.itemActivated.emit(item)
    assert gallery.preview is not None and not gallery.preview.image.pixmap().isNull()
    assert "\\x" in gallery.preview.windowTitle()
    data.close()
