"""The Data page: check a real folder with bad files, see the report, preview augmentation."""

from PySide6.QtCore import Qt

from tests.ui.training_helpers import make_panel


def test_check_data_reports_counts_skipped_files_and_thumbnails(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    root = tmp_path / "data"
    (root / "c0" / "readme.txt").write_text("notes")
    (root / "c1" / "empty.png").write_bytes(b"")
    (root / "c2" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    page = panel.data_page
    with qtbot.waitSignal(page.sigChecked, timeout=120_000) as checked:
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    data = checked.args[0]
    report = page.report_view
    assert "<b>30</b> training and <b>6</b> validation images in <b>3</b> classes" in report.summary.text()
    reasons = {report.skipped.item(row, 0).text().split("/")[-1]: report.skipped.item(row, 1).text()
               for row in range(report.skipped.rowCount())}
    assert set(reasons) == {"readme.txt", "empty.png", "broken.png"}
    assert "not an image" in reasons["readme.txt"] and "empty" in reasons["empty.png"]
    assert report.skipped_title.text() == "Skipped files: 3"
    bars = [item for item in report.chart.getPlotItem().items if item.__class__.__name__ == "BarGraphItem"]
    assert len(bars) == 2  # training and validation counts, stacked
    thumbs = report.thumbs
    assert len(thumbs.rows) == 3 and all(len(labels) == 8 for _, labels in thumbs.rows)  # 8 per class
    assert thumbs.shown >= 2  # as many as the width holds, at least two
    assert "decoded to 1×12×12" in report.summary.text() and "width 12–12" in report.summary.text()
    # the settings page now knows the epoch length for its schedule plot
    assert panel.settings_form.total_steps() == 4 * -(-len(data.train) // 8)


def test_augmentation_preview_follows_the_form(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    page = panel.data_page
    with qtbot.waitSignal(page.sigChecked, timeout=120_000):
        page.check()
    preview = page.preview
    assert "off" in preview.note.text() and preview.grid.count() == 4  # originals only
    page.form.hflip.setChecked(True)
    page.form.rotation.setValue(30)
    assert preview.grid.count() == 4 * (1 + 6)  # each original beside six augmented copies
    first = preview.grid.itemAtPosition(0, 2).widget().pixmap().toImage()
    preview.again.click()
    assert preview.grid.count() == 28
    assert preview.grid.itemAtPosition(0, 2).widget().pixmap().toImage() != first  # new random ops


def test_a_missing_folder_is_explained_on_the_data_page(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    page = panel.data_page
    page.form.folder.setText(str(tmp_path / "nowhere"))
    job = page.check()
    with qtbot.waitSignal(job.sigFailed, timeout=120_000):
        pass
    assert page.messages.isVisible() or page.messages.kind == "error"
    assert "does not exist" in page.messages.text() and "Data page" in page.messages.text()
    assert page.check_button.isEnabled()


def test_label_rule_and_validation_folder_reach_the_config(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    form = panel.data_page.form
    form.label_kind.setCurrentIndex(form.label_kind.findData("index"))
    form.per_class.setValue(80)
    form.folder_radio.setChecked(True)
    form.val_folder.setText(str(tmp_path / "val"))
    config = panel.config().data
    assert config.labels.kind == "index" and config.labels.per_class == 80
    assert config.val_root == str(tmp_path / "val")
    assert panel.document.project.training["data"]["labels"]["kind"] == "index"  # saved in the project


def test_colour_augmentation_reaches_the_config_and_the_project(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    form = panel.data_page.form
    form.hue.setValue(0.1)
    form.saturation.setValue(0.3)
    augment = panel.config().augment
    assert augment.hue == 0.1 and augment.saturation == 0.3
    assert panel.document.project.training["augment"]["hue"] == 0.1  # saved in the project
    form.set_configs(panel.config().data, type(augment)(hue=0.25))
    assert form.hue.value() == 0.25 and form.augment_config().hue == 0.25
