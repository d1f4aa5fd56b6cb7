"""The main window: panels and their seam, screenshots, shortcuts, find, live validation badges,
status line, code view, themes."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel

from studio.engine.errors import StudioError
from studio.ui.app import SCREENSHOT_SIZE, save_screenshot
from studio.ui.panels import PANELS, Panel


def test_every_panel_has_a_tab_and_a_placeholder_until_it_arrives(window):
    assert list(window.panels) == ["canvas", *(entry.name for entry in PANELS)]
    for entry in PANELS:
        window.show_panel(entry.name)
        assert window.current_panel() == entry.name
        assert not window.docks["palette"].isVisible()  # other panels get the whole window
    window.show_panel("canvas")
    assert window.docks["palette"].isVisible() and window.docks["inspector"].isVisible()
    with pytest.raises(StudioError, match="no panel 'nope'"):
        window.show_panel("nope")


def test_add_panel_replaces_a_placeholder_in_place(window):
    index = window.tabs.indexOf(window.pages["projector"])
    widget = QLabel("the real projector")
    window.add_panel("projector", "Projector", widget)
    assert window.tabs.indexOf(window.pages["projector"]) == index and window.panels["projector"] is widget
    assert window.pages["projector"].widget() is widget
    window.add_panel("extra", "Extra", QLabel("extra"))
    window.show_panel("extra")
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Extra"


def test_screenshot_of_each_panel(demo, tmp_path):
    for name in ("canvas", "training", "code"):
        path = save_screenshot(demo, tmp_path / f"{name}.png", name)
        with Image.open(path) as image:
            assert image.size == SCREENSHOT_SIZE
            colours = image.convert("RGB").getcolors(1_000_000)
        assert len(colours) > 50  # a real rendering, not a blank frame


def test_standard_shortcuts_are_bound(window):
    actions = window.actions_
    keys = QKeySequence.StandardKey
    expected = {actions.new: keys.New, actions.open: keys.Open, actions.save: keys.Save,
                actions.undo: keys.Undo, actions.copy: keys.Copy, actions.paste: keys.Paste,
                actions.select_all: keys.SelectAll, actions.find: keys.Find}
    for action, key in expected.items():
        assert QKeySequence(key) in action.shortcuts(), action.text()
    assert actions.group.shortcut().toString() == "Ctrl+G"
    assert actions.fit.shortcut().toString() == "Ctrl+0"
    assert actions.delete.shortcuts()[0] == QKeySequence(QKeySequence.StandardKey.Delete)


def test_find_layer_selects_and_centres(demo):
    assert demo.find_layer("FC2")
    assert demo.scene().selected_ids() == ["fc2"]
    assert demo.find_layer("max_pool")
    assert demo.scene().selected_ids() == ["pool1"]
    assert not demo.find_layer("zzz")
    assert "No layer matches" in demo.statusBar().currentMessage()


def test_shape_error_badge_appears_and_disappears(demo, qtbot):
    doc, scene = demo.document, demo.scene()
    scene.editor.set_arg("fc2", "out_features", 10)
    scene.editor.set_arg("pool2", "kernel_size", 20)  # does not fit 14x14
    qtbot.waitUntil(lambda: bool(scene.nodes["pool2"].issues), timeout=60_000)
    assert "does not fit" in scene.nodes["pool2"].toolTip()
    assert scene.nodes["flatten"].info is None or scene.nodes["flatten"].info.output_shape is None
    assert demo.status_line.problems.isVisible() and "1 problem" in demo.status_line.problems.text()
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: not scene.nodes["pool2"].issues, timeout=60_000)
    assert "does not fit" not in scene.nodes["pool2"].toolTip()
    assert not demo.status_line.problems.isVisible()
    assert "421,642 parameters" in demo.status_line.totals.text()


def test_status_line_memory_follows_the_batch_size(demo):
    demo.status_line.batch.setValue(1)
    one = demo.status_line.totals.text()
    demo.status_line.batch.setValue(64)
    assert demo.status_line.totals.text() != one
    assert "activations" in one


def test_status_line_batch_is_the_training_batch(demo):
    form = demo.panels["training"].settings_form
    assert demo.status_line.batch.value() == form.batch_size.value()
    form.batch_size.setValue(16)
    assert demo.status_line.batch.value() == 16
    demo.status_line.batch.setValue(48)  # edited in the status bar: the training batch follows
    assert form.batch_size.value() == 48


def test_code_view_shows_generated_source_and_follows_edits(demo, qtbot):
    demo.show_panel("code")
    code = demo.code_view
    qtbot.waitUntil(lambda: "class Net" in code.text.toPlainText(), timeout=60_000)
    demo.scene().editor.set_arg("fc1", "out_features", 77)
    qtbot.waitUntil(lambda: "77" in code.text.toPlainText(), timeout=60_000)
    demo.scene().editor.set_arg("pool2", "kernel_size", 20)
    qtbot.waitUntil(lambda: "Fix the model" in code.note.text(), timeout=60_000)
    assert "77" in code.text.toPlainText()  # the last valid code stays


def test_dark_theme_changes_the_canvas(window):
    light = window.scene().colors.background.lightness()
    window.set_theme("dark")
    try:
        assert window.scene().colors.dark and window.scene().colors.background.lightness() < light
    finally:
        window.set_theme("light")
    assert not window.scene().colors.dark


def test_history_lists_the_steps(demo):
    demo.scene().editor.set_arg("fc1", "out_features", 64)
    demo.scene().editor.move({"fc1": (demo.document.spec.nodes["fc1"].pos, (500.0, 0.0))})
    demo.actions_.history.trigger()
    model = demo.history.model()
    assert model.rowCount() == 3  # the opened state + two steps
    assert "fc1.out_features" in model.index(1, 0).data()


def test_runs_go_to_the_panels_that_can_show_them(window, tmp_path):
    class RunPanel(QLabel, Panel):
        shows_runs = True

        def __init__(self):
            super().__init__("runs")
            self.runs = []

        def open_run(self, path):
            self.runs.append(path)

    one, two = RunPanel(), RunPanel()
    window.add_panel("one", "One", one)
    window.add_panel("two", "Two", two)
    window.open_run(tmp_path, "one")
    assert one.runs == [tmp_path] and two.runs == []
    window.open_run(tmp_path)
    assert len(one.runs) == 2 and two.runs == [tmp_path]
    with pytest.raises(StudioError, match="not a run directory"):
        window.open_run(tmp_path / "missing")


def test_canvas_keys_work_after_clicking_the_model_tab(demo, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    demo.activateWindow()
    bar = demo.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())  # Training
    assert demo.current_panel() == "training"
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())  # back to Model
    assert demo.current_panel() == "canvas"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is demo.view())  # not the tab bar
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert sorted(demo.scene().selected_ids()) == sorted(demo.document.spec.nodes)


def test_plots_follow_a_theme_change(window):
    panel = window.panels["training"]
    plots = [panel.curves.graphics, panel.settings_form.schedule_plot, panel.data_page.report_view.chart]
    window.set_theme("light")
    light = [plot.backgroundBrush().color().lightness() for plot in plots]
    title = panel.curves.plots["loss"].titleLabel
    light_title = title.opts["color"]
    try:
        window.set_theme("dark")
        for plot, before in zip(plots, light, strict=True):
            assert plot.backgroundBrush().color().lightness() < before - 100, plot
        axis = panel.curves.plots["loss"].getAxis("left")
        assert axis.textPen().color().lightness() > 150  # light text on the dark background
        assert title.text == "Loss" and title.opts["color"] != light_title  # same title, new colour
    finally:
        window.set_theme("light")
    assert [plot.backgroundBrush().color().lightness() for plot in plots] == light


def test_check_boxes_stay_visible_in_the_dark_theme(window, qtbot):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

    window.set_theme("dark")
    try:
        box = QCheckBox("freeze")
        qtbot.addWidget(box)
        box.show()
        option = QStyleOptionButton()
        box.initStyleOption(option)
        indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        image = box.grab().toImage()
        edge = QColor(image.pixel(indicator.left(), indicator.center().y()))
        background = QColor(image.pixel(indicator.right() + 4, 1))
        assert edge.lightness() > background.lightness() + 40  # its outline stands out
    finally:
        window.set_theme("light")
