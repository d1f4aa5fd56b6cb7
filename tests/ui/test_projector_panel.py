"""The projector panel on a real short training run: the points, colours and thumbnails match the data,
hover, click and neighbours, search, t-SNE streaming and cancel, 3-D, custom axes, comparison, errors."""

import re

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from studio.engine.data import load_split
from studio.engine.projector import NeighbourIndex, Projection
from studio.engine.projector.pipeline import embed_source
from studio.engine.projector.reports import Stage
from studio.engine.projector.request import MethodChoice
from studio.engine.projector.source import open_source
from studio.engine.runs import layout
from tests.ui.checkpoint_runs import short_run
from tests.ui.projector_helpers import click, key, make_panel, mouse, project


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("projector"), classes=3, steps=12)


@pytest.fixture
def panel(qtbot):
    return make_panel(qtbot)


def test_points_colours_and_thumbnails_match_the_validation_images(panel, run):
    request = project(panel, run, cell=12)  # thumbnails at the image size: copied pixel for pixel
    result = panel.result
    emb = result.embedding
    split = load_split(run / layout.SPLIT)
    assert [p.split("/data/", 1)[1] for p in emb.paths] == list(split.val)
    source = open_source(request.checkpoint)
    try:
        expected = embed_source(source, [request.layer])[request.layer]
    finally:
        source.close()
    np.testing.assert_allclose(emb.features, expected.features, atol=1e-5)
    np.testing.assert_array_equal(emb.labels, expected.labels)
    np.testing.assert_allclose(panel.view.canvas.renderer.coords, result.projection.coords, atol=1e-6)
    assert panel.view.color_by.currentText() == "label"
    np.testing.assert_array_equal(panel.view.canvas.renderer.colors, emb.labels)
    counts = np.bincount(emb.labels, minlength=3)
    assert panel.side.legend.entries() == [f"c{i}  ({counts[i]})" for i in range(3)]
    for i, path in enumerate(emb.paths):
        thumb = panel.sheet.thumbnail(i).toImage()
        pixels = np.array([[thumb.pixelColor(x, y).red() for x in range(12)] for y in range(12)])
        np.testing.assert_array_equal(pixels, np.asarray(Image.open(path).convert("L")))
    panel.set_color_by("correctness")
    wrong = ~emb.correct
    assert (panel.view.canvas.renderer.colors == wrong.astype(int)).all()
    assert "accuracy" in panel.view.caption.text()


def test_hover_shows_the_larger_image_and_what_is_known(panel, run, qtbot):
    project(panel, run)
    emb, canvas = panel.embedding, panel.view.canvas
    canvas.repaint()
    i = int(canvas.drawn().order[-1])  # the topmost point: nothing covers it
    mouse(canvas, "move", canvas.screen_position(i).toPoint())
    card = panel.view.cards[canvas]
    assert card.isVisible() and card.index == i
    text = card.text.text()
    assert emb.paths[i].rsplit("/", 1)[1] in text and f"label: {emb.label_names()[i]}" in text
    assert "prediction:" in text and "confidence:" in text
    assert card.image.pixmap().width() >= 96  # the 12 px image, enlarged
    mouse(canvas, "move", QPoint(1, 1))
    assert not card.isVisible()


def test_click_selects_and_lists_the_feature_space_neighbours(panel, run, qtbot):
    project(panel, run)
    canvas = panel.view.canvas
    canvas.repaint()
    i = int(canvas.drawn().order[-1])
    panel.side.k.setValue(4)
    click(canvas, canvas.screen_position(i).toPoint())
    assert panel.selection.tolist() == [i]
    expected = NeighbourIndex(panel.embedding.features, "cosine").query_points([i], 4)
    assert panel.neighbours.tolist() == expected.indices[0].tolist()
    rows = panel.side.neighbours.list
    assert rows.count() == 4
    assert rows.item(0).text().startswith(f"{expected.distances[0][0]:.4f}")
    assert canvas.renderer.emphasis["neighbours"].tolist() == expected.indices[0].tolist()
    panel.side.metric_box.setCurrentText("euclidean")
    euclid = NeighbourIndex(panel.embedding.features, "euclidean").query_points([i], 4)
    assert panel.neighbours.tolist() == euclid.indices[0].tolist()
    first = int(euclid.indices[0][0])
    rows.itemClicked.emit(rows.item(0))  # a neighbour row selects that point
    assert panel.selection.tolist() == [first]
    key(canvas, Qt.Key.Key_Escape)
    assert len(panel.selection) == 0 and rows.count() == 0


def test_search_by_text_and_regex_highlights_matches(panel, run):
    project(panel, run)
    labels = np.array(panel.embedding.label_names())
    found = panel.search("c1", column="label")
    assert found.tolist() == np.flatnonzero(labels == "c1").tolist()
    assert panel.view.canvas.renderer.emphasis["matches"].tolist() == found.tolist()
    found = panel.search(r"^c[02]$", column="label", regex=True)
    assert found.tolist() == np.flatnonzero(labels != "c1").tolist()
    panel.search("(unclosed", regex=True)
    assert len(panel.matches) == 0 and "regular expression" in panel.side.matches.text()
    panel.side.select_matches.click()
    panel.search("\\.png$", column="path", regex=True)
    panel.side.select_matches.click()
    assert len(panel.selection) == len(labels)
    assert f"{len(labels)} points selected" in panel.side.selected.text()


def test_tsne_streams_layouts_and_cancel_keeps_the_last_one(panel, run, qtbot):
    panel.open_run(run, project=False)
    fast = MethodChoice("tsne", 2, {"iterations": 30, "early_iterations": 20, "every": 5})
    request = panel.form.request()
    from dataclasses import replace

    assert panel.project(replace(request, method=fast))
    layouts = []
    panel.job.sigEvents.connect(lambda events: layouts.extend(e for e in events if isinstance(e, Projection)))
    assert panel.wait_idle()
    assert len(layouts) >= 2 and panel.result.projection.complete
    assert panel.result.projection.iteration == 50
    slow = MethodChoice("tsne", 2, {"iterations": 10_000_000, "every": 5})  # far longer than the test
    assert panel.project(replace(request, method=slow))
    qtbot.waitUntil(lambda: panel._layouts_shown >= 2, timeout=300_000)
    panel.cancel()
    assert panel.wait_idle()
    projection = panel.result.projection
    assert not projection.complete and projection.iteration < projection.total_iterations
    assert "stopped at iteration" in panel.form.status.text()
    np.testing.assert_allclose(panel.view.canvas.renderer.coords, projection.coords)


def test_tsne_progress_names_each_phase_with_its_own_total(panel, run):
    """No still, unnamed bar: the neighbour search is a named busy indicator, then each phase counts its
    own iterations (the Iterations field's 30, the 20 of early exaggeration before it), never 50."""
    from dataclasses import replace

    panel.open_run(run, project=False)
    panel.form.methods.method.setCurrentIndex(panel.form.methods.method.findData("tsne"))
    options = {"iterations": 30, "early_iterations": 20, "every": 5}
    method = replace(panel.form.methods.choice(), options=options)
    assert panel.project(replace(panel.form.request(), method=method))
    shown: list[tuple[str, float | None]] = []  # every stage the bar and its label show, in order
    panel.job.sigEvents.connect(lambda events: shown.extend((e.text, e.fraction) for e in events
                                                            if isinstance(e, Stage)))
    assert panel.wait_idle()
    texts = [text for text, _ in shown]
    assert not any("of 50" in text for text in texts)
    neighbours = next(i for i, text in enumerate(texts) if "nearest neighbours" in text)
    assert shown[neighbours][1] is None  # a moving busy indicator while no layout can come
    assert any(re.search(r"early exaggeration: iteration \d+ of 20$", text) for text in texts)
    assert any(re.search(r"phase 2 of 2: iteration \d+ of 30$", text) for text in texts)
    fractions = [fraction for text, fraction in shown[neighbours:] if fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(fraction is None for text, fraction in shown[:neighbours] if "Extracting" not in text
               and "Reading" not in text)  # every stage before it moves on its own
    assert panel.form.status.text().startswith(f"{len(panel.embedding)} points of layer")


def test_pca_components_variance_and_3d_message(panel, run):
    project(panel, run, method=MethodChoice("pca", 3, {"components": [1, 0, 2]}))
    projection = panel.result.projection
    assert projection.dims == 3 and projection.params["components"] == [1, 0, 2]
    assert panel.form.methods.variance.text().startswith("Explained variance")
    assert "PC2:\u00a0" in panel.form.methods.variance.text()  # wraps between figures, not inside one
    assert panel.view.three_d.isEnabled()
    assert not panel.view.three_d.isChecked()  # no OpenGL offscreen: it stays in 2-D (with it, opens in 3-D)
    assert panel.view.stack.currentWidget() is panel.view.splitter
    panel.view.three_d.setChecked(True)
    assert panel.view.stack.currentWidget() is panel.view.view3d
    assert "OpenGL" in panel.view.view3d.message.text()


def test_custom_axes_from_class_means(panel, run):
    axes = MethodChoice("custom", 2, {}, "classes", (("c0", "c1"), ("c0", "c2")))
    project(panel, run, method=axes)
    coords, labels = panel.result.projection.coords, panel.embedding.labels
    assert coords[labels == 1, 0].mean() > coords[labels == 0, 0].mean()
    assert coords[labels == 2, 1].mean() > coords[labels == 0, 1].mean()
    queries = MethodChoice("custom", 2, {}, "queries", ((r"c0", r"c1"), ("c0", "c2")))
    project(panel, run, method=queries)  # search queries as the axis ends (here: label texts)
    coords = panel.result.projection.coords
    assert coords[labels == 1, 0].mean() > coords[labels == 0, 0].mean()
    wrong = MethodChoice("custom", 2, {}, "queries", (("no-such-file", "c1"), ("c0", "c2")))
    project(panel, run, method=wrong)
    assert "matches no point" in panel.form.status.text()


def test_compare_two_checkpoints_side_by_side_and_animated(panel, run):
    panel.open_run(run, project=False)
    checkpoints = [panel.form.checkpoint.itemData(i) for i in range(panel.form.checkpoint.count())]
    project(panel, run, checkpoint=checkpoints[0], compare=checkpoints[-1], compare_mode="side")
    assert panel.view.canvas_b.isVisible()
    assert len(panel.view.canvas_b.renderer.coords) == len(panel.embedding)
    assert panel.result.compare is not None
    assert not np.allclose(panel.result.compare.features, panel.embedding.features)
    project(panel, run, checkpoint=checkpoints[0], compare=checkpoints[-1], compare_mode="animate")
    assert not panel.view.canvas_b.isVisible() and panel.view.compare_bar.isVisible()
    start, end = panel._aligned
    panel.view.blend.setValue(1000)
    np.testing.assert_allclose(panel.view.canvas.renderer.coords, end)
    panel.view.blend.setValue(0)
    np.testing.assert_allclose(panel.view.canvas.renderer.coords, start)


def test_a_folder_of_images_as_the_source(panel, run):
    folder = run.parent / "data"
    project(panel, run, data=str(folder))
    emb = panel.embedding
    assert len(emb) == 36 and emb.info["images"] == str(folder)  # every image, not only validation
    assert sorted(set(emb.label_names())) == ["c0", "c1", "c2"]


def test_bad_input_is_reported_in_the_panel_and_it_keeps_working(panel, run, tmp_path):
    project(panel, run, layer="no_such_node")
    assert "no node 'no_such_node'" in panel.form.status.text()
    project(panel, run, data=str(tmp_path / "missing"))
    assert "does not exist" in panel.form.status.text()
    project(panel, run)
    assert panel.result is not None and panel.form.project_button.isEnabled()


def test_the_setup_form_fits_its_column_whatever_the_names(panel):
    from PySide6.QtWidgets import QScrollArea

    column = panel.findChild(QScrollArea).minimumWidth()
    form = panel.form
    form.checkpoint.addItem("step 123456  acc 0.837  (best, last)  ckpt-000123456.safetensors")
    form.methods.set_classes(["a-very-long-class-name-indeed", "another-long-class-name"])
    form.methods.method.setCurrentIndex(form.methods.method.findData("custom"))
    assert form.minimumSizeHint().width() <= column  # no sideways scrolling, no buttons cut off
    custom = form.methods.pages.sizeHint().height()
    form.methods.method.setCurrentIndex(form.methods.method.findData("tsne"))
    assert form.methods.pages.sizeHint().height() < custom  # as tall as the page shown: no gap
