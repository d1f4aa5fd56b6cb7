"""Exports from the projector panel, read back: the selection as a file list and as a copied folder, a
PNG of the view, and TensorBoard projector files read by the tensorboard package's own code."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint

from studio.ui.projector.gallery import GalleryDialog
from tests.ui.checkpoint_runs import short_run
from tests.ui.projector_helpers import drag, make_panel, project

tensorboard = pytest.importorskip("tensorboard")
from google.protobuf import text_format  # noqa: E402  (comes with tensorboard)
from tensorboard.plugins.projector import projector_plugin  # noqa: E402
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("projector-export"), classes=3, steps=8)


@pytest.fixture
def panel(qtbot, run):
    panel = make_panel(qtbot)
    project(panel, run)
    return panel


def select_all_with_a_rectangle(panel, qtbot):
    canvas = panel.view.canvas
    panel.view.tools.actions()[1].trigger()  # the rectangle tool
    assert canvas.tool == "rect"
    drag(canvas, [QPoint(1, 1), QPoint(canvas.width() // 2, canvas.height() // 2),
                  QPoint(canvas.width() - 2, canvas.height() - 2)])


def test_rectangle_selection_exports_a_file_list_and_copies_a_folder(panel, qtbot, tmp_path):
    select_all_with_a_rectangle(panel, qtbot)
    emb = panel.embedding
    assert panel.selection.tolist() == list(range(len(emb)))
    assert panel.side.export_list.isEnabled() and panel.side.copy_folder.isEnabled()
    listed = panel.export_selection_list(tmp_path / "hard.txt")
    rows = [line.split("\t") for line in listed.read_text().splitlines()]
    assert rows == [[emb.paths[i], emb.label_names()[i]] for i in range(len(emb))]
    copied = panel.copy_selection(tmp_path / "hard")
    assert len(copied) == len(emb)
    for source, target in zip(emb.paths, copied, strict=True):
        assert target.parent.name == Path(source).parent.name  # class folders kept: trainable again
        assert target.read_bytes() == Path(source).read_bytes()
    panel._guarded(lambda: panel.copy_selection(tmp_path / "hard"), lambda c: "copied")
    assert "not an empty folder" in panel.form.status.text()  # nothing overwritten


def test_selection_opens_in_a_gallery_without_the_training_panel(panel, qtbot):
    panel.select([0, 1, 2])
    panel.side.open_selection.click()
    assert isinstance(panel.gallery, GalleryDialog) and panel.gallery.isVisible()
    assert panel.gallery.grid.count() == 3
    panel.gallery.close()


def test_png_of_the_view(panel, tmp_path):
    path = panel.export_png(tmp_path / "view")
    image = Image.open(path)
    canvas = panel.view.canvas
    assert image.size == (canvas.width(), canvas.height())
    pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # thumbnails, frames: not a blank image


def test_tensorboard_export_reads_back_with_the_projector_plugin(panel, tmp_path):
    result = panel.export_tensorboard(tmp_path / "tb")
    emb = panel.embedding
    assert result.points == len(emb) and result.sprite
    config = ProjectorConfig()
    text_format.Parse((tmp_path / "tb" / "projector_config.pbtxt").read_text(), config)
    first = config.embeddings[0]
    assert first.tensor_name == emb.layer
    tensor = projector_plugin._read_tensor_binary_file(str(tmp_path / "tb" / first.tensor_path),
                                                        first.tensor_shape)
    np.testing.assert_allclose(tensor, emb.features, rtol=1e-6)
    lines = [line for line in (tmp_path / "tb" / first.metadata_path).read_text().split("\n") if line]
    header = lines[0].split("\t")
    assert header[0] == "label" and [row.split("\t")[0] for row in lines[1:]] == emb.label_names()
    sprite = Image.open(tmp_path / "tb" / first.sprite.image_path)
    assert sprite.size[0] == sprite.size[1] and list(first.sprite.single_image_dim) == [32, 32]
    assert any(e.tensor_name.startswith("pca") for e in config.embeddings)  # the layout shown, too
