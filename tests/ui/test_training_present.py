"""Messages belong to the present: a banner, report or warning of the Training panel goes (or is
recomputed) when the model, data or settings it describes change; rich text is escaped once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from studio.ui.editing import GraphEditor
from studio.ui.training.messages import MessageBar, advise
from tests.engine.image_folders import make_image_folder
from tests.ui.training_helpers import make_panel, train_through_button


def shown_text(label) -> str:
    """What the user reads in a rich-text label."""
    assert label.textFormat() == Qt.TextFormat.RichText
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()


def check(qtbot, page, succeeds: bool = True):
    signal = page.sigChecked if succeeds else None
    if signal is not None:
        with qtbot.waitSignal(signal, timeout=120_000):
            qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        return
    qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    if page.job is not None:
        qtbot.waitUntil(lambda: not page.job.running, timeout=120_000)


def test_quotes_and_angle_brackets_read_as_typed(qtbot):
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.show_warning("output 'logits1' gives 128 values but the data has 3 classes: set its units to 3")
    assert "'logits1'" in shown_text(bar.label) and "&#x27;" not in shown_text(bar.label)
    bar.show_info("step <12> & more")
    assert "step <12> & more" in shown_text(bar.label)
    assert "'logits1'" in shown_text(bar.label)  # a warning stays beside a note


def test_a_bad_folder_banner_and_its_report_go_when_a_good_folder_is_chosen(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    page = panel.data_page
    good = page.form.folder.text()
    check(qtbot, page)
    assert "Check of" in page.report_view.source.text()
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    page.form.folder.setText(str(empty))
    assert "press Check data" in shown_text(page.report_view.summary)  # the old report is not shown
    check(qtbot, page, succeeds=False)
    assert page.messages.kind == "error" and "empty" in shown_text(page.messages.label)
    assert page.report_view.report is None  # nothing beside the error describes the first folder
    assert "failed" in shown_text(page.report_view.summary) and good not in page.report_view.summary.text()
    page.form.folder.setText(good)  # the user picks the good folder again
    assert page.messages.isHidden() and page.messages.entries == []
    check(qtbot, page)
    assert page.report_view.report is not None and "36" not in page.messages.text()


def test_a_model_banner_goes_once_the_model_is_fixed_and_trained(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    editor = GraphEditor(panel.document)
    editor.set_arg("image", "shape", [12, 12])  # an input without an image shape
    page = panel.data_page
    check(qtbot, page, succeeds=False)
    assert page.messages.kind == "error" and "does not compile" in page.messages.text()
    assert "image shape" in shown_text(page.messages.label)
    panel.document.revalidate()
    assert not panel.train_button.isEnabled() and "Fix the model first" in panel.train_button.toolTip()
    assert panel.train() is None and "does not compile" in panel.messages.text()  # scripts are told too
    editor.set_arg("image", "shape", [1, 12, 12])  # fixed on the canvas
    assert page.messages.isHidden() and panel.messages.isHidden()
    qtbot.waitUntil(panel.train_button.isEnabled)  # once the fixed model is analysed
    panel.settings_form.epochs.setValue(1)
    result = train_through_button(qtbot, panel)
    assert result.status == "finished"
    assert "does not compile" not in panel.messages.text() + page.messages.text()


def test_a_settings_warning_goes_when_the_settings_change(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    panel.messages.show_advice(advise("out of memory on cpu with batch size 8: try a smaller batch size"))
    assert panel.messages.kind == "error"
    panel.data_page.form.hflip.setChecked(True)  # an unrelated augmentation: memory is still short
    assert panel.messages.kind == "error"
    panel.settings_form.batch_size.setValue(4)
    assert panel.messages.isHidden()


def test_a_run_report_is_named_and_a_new_input_drops_the_check(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    page = panel.data_page
    check(qtbot, page)
    assert page.preview.images() is not None
    GraphEditor(panel.document).set_arg("image", "shape", [1, 16, 16])  # decoded for 12x12: out of date
    assert page.report_view.report is None and "input changed" in shown_text(page.report_view.summary)
    assert page.preview.images() is None
    other = make_image_folder(tmp_path / "other", classes=3, per_class=10, size=16)
    page.form.folder.setText(str(other))
    check(qtbot, page)
    assert "decoded to 1×16×16" in page.report_view.summary.text()
