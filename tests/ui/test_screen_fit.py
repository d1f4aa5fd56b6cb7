"""Fits the screen: at 1280×800 every page is used without scrolling sideways and its buttons are whole;
long run and folder names elide in the middle (the distinct end stays in view, the tooltip has it all);
numbers that differ say what they are; confidence bins read apart; the Export dialog forgets an old
result; Save As starts in the projects folder. Driven through the real window on real runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QFileDialog, QToolBar, QWidget

from studio.engine.checkpoints import CheckpointStore
from studio.engine.project import Project
from studio.engine.projector.embedding import Embedding
from studio.ui.checkpoints import CheckpointPanel, LiveModel
from studio.ui.checkpoints.runs import NAME
from studio.ui.checkpoints.tensor_tree import MAX, MEAN, MIN, SHAPE, STD
from studio.ui.projector.colors import color_by
from studio.ui.projector.legend import Legend
from studio.ui.training.panel import TrainingPanel
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.checkpoint_runs import short_run
from tests.ui.training_helpers import headless_run, qtbot_left, train_through_button, wait_for

WIDTH, HEIGHT = 1280, 800
LONG_FOLDER = "images-collected-over-a-long-summer-of-fieldwork-in-three-valleys"
RUN_NAMES = ("small_cnn-20261207-170802-a", "small_cnn-20261207-170802-b")


def sideways(page: QWidget) -> list[str]:
    """The scroll areas shown on ``page`` (itself included) that scroll sideways, or would if their bar
    were not turned off (then what is wider than the area is cut off)."""
    areas = [page] if isinstance(page, QAbstractScrollArea) else []
    areas += page.findChildren(QAbstractScrollArea)
    return [f"{type(area).__name__} in {type(area.parentWidget()).__name__} (by {bar.maximum()} px)"
            for area in areas if area.isVisible() and (bar := area.horizontalScrollBar()).maximum() > 0]


def assert_fits(window, name: str) -> None:
    """Panel ``name`` in front: nothing on it scrolls sideways."""
    window.show_panel(name)
    settle()
    page = window.pages[name]
    assert window.tabs.currentWidget() is page
    wide = sideways(page)
    assert not wide, f"the {name} page scrolls (or is cut off) sideways at {WIDTH}×{HEIGHT}: {wide}"


def settle() -> None:
    """Let the layouts take in what just changed (they update on posted events)."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def assert_whole(widget: QWidget, what: str) -> None:
    """``widget`` is shown at no less than the width its text needs, and no parent cuts it off."""
    assert widget.isVisible(), f"{what} is not shown"
    assert widget.width() >= widget.sizeHint().width(), \
        f"{what} is {widget.width()} px wide, its text needs {widget.sizeHint().width()} px"
    rect, child = QRect(QPoint(0, 0), widget.size()), widget
    while not child.isWindow():
        parent = child.parentWidget()
        rect = rect.translated(child.pos())
        assert parent.rect().contains(rect), f"{what} is cut off by {type(parent).__name__}"
        rect, child = rect.intersected(parent.rect()), parent


def assert_elided_in_the_middle(shown: str, whole: str, start: str, end: str) -> None:
    assert shown != whole and "…" in shown, f"not elided: {shown!r}"
    head, tail = shown.split("…", 1)
    assert head.startswith(start) and tail.endswith(end), f"{shown!r} does not keep both ends of {whole!r}"
    assert whole.startswith(head) and whole.endswith(tail)


def show_tab(panel: TrainingPanel, title: str) -> None:
    panel.tabs.setCurrentIndex(next(i for i in range(panel.tabs.count()) if panel.tabs.tabText(i) == title))


@pytest.fixture
def screen(window, qtbot):
    """The main window at 1280×800 on a small three-class CNN."""
    window.resize(WIDTH, HEIGHT)
    qtbot.waitUntil(lambda: window.width() == WIDTH and window.height() == HEIGHT)
    window.document.replace(Project(tiny_cnn(3)))
    window.document.revalidate()
    return window


def test_every_page_fits_1280_by_800_without_sideways_scrolling(screen, qtbot, tmp_path):
    window = screen
    data = make_image_folder(tmp_path / LONG_FOLDER / "three-classes", classes=3, per_class=12)
    panel = window.panels["training"]
    window.show_panel("training")
    panel.tabs.setCurrentWidget(panel.data_page)
    form = panel.data_page.form
    form.folder.setText(str(data))
    assert_fits(window, "training")
    for button, what in ((form.demo_button, "Use demo data"), (form.folder.browse, "Browse…"),
                         (panel.data_page.check_button, "Check data"), (panel.train_button, "Train"),
                         (panel.stop_button, "Stop")):
        assert_whole(button, what)

    # the report of a check: a long folder elides in the middle, its own name in view
    with qtbot.waitSignal(panel.data_page.sigChecked, timeout=120_000):
        qtbot.mouseClick(panel.data_page.check_button, qtbot_left())
    source = panel.data_page.report_view.source
    whole = f"Check of {data}"
    assert source.full_text() == whole
    assert_elided_in_the_middle(source.text(), whole, "Check of ", "three-classes")
    assert whole in source.toolTip()
    assert_fits(window, "training")
    assert_whole(form.demo_button, "Use demo data (after the check)")

    show_tab(panel, "Settings")
    assert_fits(window, "training")
    settings = panel.settings_form
    assert_whole(settings.apply_preset_button, "Apply")
    assert_whole(settings.save_preset_button, "Save as preset…")
    assert_whole(settings.batch_size, "batch size")
    settings.epochs.setValue(1)
    settings.batch_size.setValue(8)
    settings.log_every.setValue(1)

    # a short real run: the results views fit too
    result = train_through_button(qtbot, panel)
    assert result.status == "finished", result
    wait_for(qtbot, lambda: panel.results.predictions is not None, message="predictions")
    panel.tabs.setCurrentWidget(panel.results)
    assert_fits(window, "training")
    results = panel.results
    assert results.confusion.columnCount() == 3 and results.per_class.rowCount() == 3
    for widget in (results.predict_button, results.evaluate_button, results.all_wrong):
        assert_whole(widget, widget.text())
    matrix = results.confusion
    for column in range(3):  # every column of the matrix in view
        left = matrix.columnViewportPosition(column)
        assert left >= 0 and left + matrix.columnWidth(column) <= matrix.viewport().width()
    panel.tabs.setCurrentWidget(panel.data_page)  # now with the run's report
    assert_fits(window, "training")

    # the checkpoints of the run, and the projector's form on it
    run_dir = Path(result.run_dir)
    checkpoints = window.panels["checkpoints"]
    window.show_panel("checkpoints")
    checkpoints.open_run(run_dir)
    assert checkpoints.wait_idle(120)
    assert checkpoints.viewer.path is not None
    assert_fits(window, "checkpoints")
    tensors = checkpoints.viewer.tree
    for column in (SHAPE, MIN, MAX, MEAN, STD):  # numbers whole, never "-0.0090…"
        title = tensors.headerItem().text(column)
        assert tensors.columnWidth(column) >= tensors.sizeHintForColumn(column), f"the {title} column is cut"
    bar = checkpoints.findChild(QToolBar)
    for action in (checkpoints.restore_action, checkpoints.export_action, checkpoints.compare_action):
        assert_whole(bar.widgetForAction(action), action.text())

    projector = window.panels["projector"]
    window.show_panel("projector")
    projector.open_run(run_dir, project=False)
    assert projector.form.run_dir == run_dir
    assert_fits(window, "projector")
    assert_whole(projector.form.project_button, "Project")
    assert_whole(projector.form.cancel_button, "Cancel")
    model = projector.form.checkpoint  # cut off at the column's width: whole in its tooltip
    assert model.toolTip() == model.currentText() and "(best, last)" in model.toolTip()
    label = projector.form.run_label
    assert label.full_text() == f"Run: {run_dir.name}" and run_dir.name in label.toolTip()


def test_two_long_run_names_read_apart_in_the_checkpoint_tree(qtbot, tmp_path):
    first = headless_run(tmp_path, "first", epochs=1)
    runs = [tmp_path / "runs" / name for name in RUN_NAMES]
    for run in runs:
        shutil.copytree(first, run)
    panel = CheckpointPanel(LiveModel(tiny_cnn(3)))
    qtbot.addWidget(panel)
    panel.resize(WIDTH, HEIGHT - 100)
    panel.show()
    qtbot.waitExposed(panel)
    for run in runs:
        panel.add_run(run)
    browser = panel.browser
    items = [browser.runs[run.resolve()] for run in runs]
    browser.setCurrentItem(items[0].child(0))  # (no focus frame on a run row)
    browser.clearSelection()
    browser.clearFocus()
    assert browser.textElideMode() == Qt.TextElideMode.ElideMiddle
    rects = [browser.visualRect(browser.indexFromItem(item, NAME)) for item in items]
    assert QFontMetrics(items[0].font(NAME)).horizontalAdvance(RUN_NAMES[0]) > rects[0].width()  # (elided)
    for item, run in zip(items, runs, strict=True):
        assert item.text(NAME) == run.name
        assert item.toolTip(NAME).splitlines()[0] == run.name and str(run.resolve()) in item.toolTip(NAME)
    browser.viewport().repaint()
    cells = [browser.viewport().grab(rect).toImage() for rect in rects]
    width, height = cells[0].width(), cells[0].height()
    left, right = QRect(0, 0, width // 3, height), QRect(width // 2, 0, width - width // 2, height)
    assert cells[0].copy(left) == cells[1].copy(left)  # the same start: "small_cnn-20…"
    assert cells[0].copy(right) != cells[1].copy(right)  # but each end in view: "…-a", "…-b"


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    """A run validated (and checkpointed) after each of two epochs."""
    return headless_run(tmp_path_factory.mktemp("validated"), "two-epochs", epochs=2)


def test_results_name_the_best_checkpoint_where_its_accuracy_is_shown(qtbot, tmp_path, two_epochs):
    from studio.ui.document import ProjectDocument

    document = ProjectDocument(Project(tiny_cnn(3)))
    document.save(tmp_path / "project.studio")
    panel = TrainingPanel(document)
    qtbot.addWidget(panel)
    panel.show()
    panel.open_run(two_epochs)
    panel.tabs.setCurrentWidget(panel.results)
    results = panel.results
    store = CheckpointStore(two_epochs / "checkpoints")
    best, every = store.best(), store.list()
    with qtbot.waitSignal(results.sigReady, timeout=120_000):
        qtbot.mouseClick(results.predict_button, qtbot_left())
    title = results.title.text()
    assert f"best checkpoint {Path(best.path).stem} (step {best.step:,})" in title
    assert f"accuracy <b>{results.predictions.accuracy:.1%}</b>" in title
    assert f"best checkpoint (step {best.step:,}), accuracy {results.predictions.accuracy:.1%}" \
        in panel.progress.format()

    other = next(info for info in every if info.path != best.path)  # another checkpoint: not called best
    folder = two_epochs.parent.parent / "data-two-epochs"  # (the run's own images)
    results.ask_evaluation = lambda run_dir: (str(other.path), str(folder))
    with qtbot.waitSignal(results.sigReady, timeout=120_000):
        qtbot.mouseClick(results.evaluate_button, qtbot_left())
    title = results.title.text()
    assert f"{Path(other.path).stem} (step {other.step:,})" in title and "best checkpoint" not in title
    assert "best checkpoint" not in panel.progress.format()


CLUSTERED = (np.linspace(0.9991, 0.99999, 40), np.r_[np.full(20, 0.99999994), np.linspace(0.9999, 1.0, 20)],
             np.r_[np.full(30, 1.0), np.linspace(0.99995, 0.99999, 10)], np.full(12, 1.0))


@pytest.mark.parametrize("confidence", CLUSTERED, ids=["spread", "float32-near-1", "mostly-1", "all-1"])
def test_confidence_bins_near_one_read_apart_in_the_legend(qtbot, confidence):
    n = len(confidence)
    embedding = Embedding(np.random.default_rng(0).normal(size=(n, 4)), labels=np.arange(n) % 3,
                          class_names=("a", "b", "c"), predictions=np.arange(n) % 3, confidence=confidence)
    legend = Legend()
    qtbot.addWidget(legend)
    legend.show_coloring(color_by(embedding, "confidence"))
    entries = legend.entries()
    ranges = [entry.rsplit("  (", 1)[0] for entry in entries]
    assert len(set(ranges)) == len(ranges), entries
    for text in ranges:
        low, _, high = text.partition(" – ")
        assert low != high, f"a bin reads {text!r}"
    assert sum(int(entry.rsplit("(", 1)[1].rstrip(")")) for entry in entries) == n


@pytest.fixture(scope="module")
def exportable(tmp_path_factory):
    """A run whose name is longer than the Export dialog is wide."""
    run = short_run(tmp_path_factory.mktemp("export"), classes=2, steps=4)
    return run.rename(run.with_name(f"{RUN_NAMES[1]}-with-a-much-longer-tag-after-it"))


def test_export_dialog_forgets_the_last_result_when_format_or_destination_change(qtbot, tmp_path, exportable):
    panel = CheckpointPanel(LiveModel(tiny_cnn(2)))
    qtbot.addWidget(panel)
    panel.open_run(exportable)
    assert panel.wait_idle(120)
    dialog = panel.open_export_dialog()
    weights = dialog.weights_label  # the run's name does not widen the dialog: it elides in the middle
    checkpoint = Path(panel.viewer.path).name
    assert weights.full_text() == f"{exportable.name} / {checkpoint}"
    assert dialog.minimumSizeHint().width() <= dialog.minimumWidth()
    assert_elided_in_the_middle(weights.text(), weights.full_text(), "small_cnn-", checkpoint)
    assert weights.full_text() in weights.toolTip()

    def export(path: Path) -> None:
        dialog.set_format("safetensors")
        dialog.destination.setText(str(path))
        with qtbot.waitSignal(dialog.sigExported, timeout=120_000):
            qtbot.mouseClick(dialog.export_button, qtbot_left())
        assert path.exists() and "Exported to" in dialog.status.text()

    export(tmp_path / "model.safetensors")
    dialog.format.setCurrentIndex(dialog.format.findData("pt"))  # as picked from the list
    assert dialog.status.text() == ""
    export(tmp_path / "again.safetensors")
    qtbot.keyClicks(dialog.destination, "x")
    assert dialog.status.text() == ""
    dialog.close()


def test_save_as_starts_in_the_projects_folder_not_the_home_folder(window, tmp_path, monkeypatch):
    asked = []

    def save_file_name(parent, caption, start, *rest, **kwargs):
        asked.append(Path(start))
        return answer, ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_file_name)
    documents = tmp_path / "home" / "Documents"
    documents.mkdir(parents=True)
    answer = ""  # (cancelled)
    window.actions_.save_as.trigger()
    name = f"{window.document.spec.name}.studio"
    assert asked[-1] == documents / name  # no project saved yet: the documents folder

    projects = tmp_path / "projects"
    projects.mkdir()
    answer = str(projects / "first.studio")
    window.actions_.save_as.trigger()
    assert window.document.path == projects / "first.studio"
    window.actions_.new.trigger()
    answer = ""
    window.actions_.save_as.trigger()
    assert asked[-1] == projects / f"{window.document.spec.name}.studio"  # beside the last one saved
    assert asked[-1].parent != Path.home()
