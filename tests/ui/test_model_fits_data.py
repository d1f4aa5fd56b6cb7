"""The model fits the data, as a new user meets it in the window: an input dragged from the palette
takes the chosen folder's image shape ("from data: 1×12×12" on the canvas and in the Inspector), a
head wider than the classes is a problem with a one-click fix that Train waits for, and a Train that
fails before its first step leaves no run behind."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt

from studio.engine.spec.io import load_spec
from studio.ui.canvas import style
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.ui.helpers import drop_on_view
from tests.ui.training_helpers import make_panel, train_through_button, wait_for


def facts_of(qtbot, document, root: Path):
    """Wait for the panel's scan of ``root`` to reach the document (a worker reads it)."""
    wait_for(qtbot, lambda: document.data_facts is not None and document.data_facts.root == str(root),
             timeout=60, message="the data folder's facts")
    return document.data_facts


def shown(scene, node_id: str) -> str:
    """What the canvas writes on a layer under its title (its key arguments)."""
    item = scene.nodes[node_id]
    return style.summary(item._node, item.info)


def build_from_the_palette(window) -> None:
    """Drop an input on the empty canvas, then flatten, a dense layer (128 units) and an output below it
    from the keyboard, as a user builds a chain."""
    view, palette = window.view(), window.palette_widget
    drop_on_view(view, palette.mime_data("layer", "input"), QPointF(0, 0))
    for layer in ("flatten", "fully connected", "output"):
        palette.search.setText(layer)
        palette.search.returnPressed.emit()
    assert list(window.document.spec.nodes) == ["image1", "flatten1", "fc1", "logits1"]


def test_a_palette_input_takes_the_data_shape_and_a_wide_head_is_fixed_in_one_click(window, qtbot, tmp_path):
    build_from_the_palette(window)
    document, scene, panel = window.document, window.scene(), window.panels["training"]
    document.revalidate()
    [issue] = document.analysis.issues  # no pretend 3×32×32: the input says what it needs
    assert (issue.node, issue.arg) == ("image1", "shape") and "choose a data folder" in issue.message
    assert shown(scene, "image1") == "shape from data (none yet)" and scene.nodes["image1"].issues
    assert not panel.train_button.isEnabled() and "choose a data folder" in panel.train_button.toolTip()

    root = make_image_folder(tmp_path / "three", classes=3, per_class=12, size=12)
    panel.data_page.form.folder.setText(str(root))  # the user chooses the folder on the Data page
    facts_of(qtbot, document, root)
    assert shown(scene, "image1") == "from data: 1×12×12"
    scene.select(["image1"])
    row = window.inspector.rows["shape"]
    assert row.source.text() == "from data: 1×12×12" and row.editor.line.text() == "1, 12, 12"
    assert not scene.nodes["image1"].issues and document.analysis.nodes["fc1"].input_shapes["x"] == (144,)

    # the dense layer's 128 units do not fit 3 classes: located, explained, one click away
    [issue] = document.analysis.issues
    assert issue.node == "logits1" and scene.nodes["logits1"].issues
    assert issue.message == ("output 'logits1' gives 128 values but the data has 3 classes: "
                             "set fc1 to 3 outputs")
    assert not panel.train_button.isEnabled() and "set fc1 to 3 outputs" in panel.train_button.toolTip()
    check = panel.model_check  # beside Train: the reason as typed (quotes, not &#x27;) and the fix
    assert not check.isHidden() and "output 'logits1' gives 128" in check.label.text()
    assert "&#x27;" not in check.label.text() and check.fix_button.text() == "Set fc1 to 3 outputs"
    scene.select(["logits1"])
    [button] = window.inspector.fixes.buttons
    assert button.text() == "Set fc1 to 3 outputs" and not window.inspector.fixes.isHidden()
    steps = document.undo_stack.count()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    document.revalidate()
    assert document.spec.nodes["fc1"].args["out_features"] == 3 and document.analysis.ok
    assert document.undo_stack.count() == steps + 1 and panel.train_button.isEnabled()
    document.undo_stack.undo()  # undoable like any edit
    document.revalidate()
    assert "out_features" not in document.spec.nodes["fc1"].args and not panel.train_button.isEnabled()
    document.undo_stack.redo()
    document.revalidate()
    assert panel.train_button.isEnabled() and panel.model_check.isHidden()

    # a typed shape wins over the data's; emptying it goes back to the data's
    scene.select(["image1"])
    row = window.inspector.rows["shape"]
    row.editor.line.setText("1, 8, 8")
    row.editor.line.editingFinished.emit()
    document.revalidate()
    assert shown(scene, "image1") == "1×8×8" and window.inspector.rows["shape"].source.text() == "set here"
    document.undo_stack.undo()
    document.revalidate()
    assert shown(scene, "image1") == "from data: 1×12×12"

    form = panel.settings_form
    form.batch_size.setValue(8)
    form.log_every.setValue(1)
    form.epochs.setValue(1)
    result = train_through_button(qtbot, panel)
    assert result.status == "finished", result.reason
    saved = load_spec(Path(result.run_dir) / "spec.json")  # the run records the shape it trained with
    assert saved.nodes["image1"].args["shape"] == [1, 12, 12]
    assert document.spec.nodes["image1"].args.get("shape") is None  # the canvas still takes the data's


def test_the_fix_button_beside_train_fixes_the_head_and_train_works(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path, spec=tiny_cnn(classes=2))  # 2 outputs for 3 classes
    facts_of(qtbot, panel.document, tmp_path / "data")
    assert not panel.train_button.isEnabled()
    assert panel.model_check.fix_button.text() == "Set fc to 3 outputs"
    assert "gives 2 values but the data has 3 classes" in panel.model_check.label.text()
    qtbot.mouseClick(panel.model_check.fix_button, Qt.MouseButton.LeftButton)
    panel.document.revalidate()
    assert panel.document.spec.nodes["fc"].args["out_features"] == 3 and panel.train_button.isEnabled()
    panel.settings_form.epochs.setValue(1)
    assert train_through_button(qtbot, panel).status == "finished"


def test_train_on_an_empty_folder_leaves_no_run_in_the_list_or_on_disk(qtbot, tmp_path):
    panel = make_panel(qtbot, tmp_path)
    empty = tmp_path / "empty"
    (empty / "cats").mkdir(parents=True)
    panel.data_page.form.folder.setText(str(empty))
    runs = tmp_path / "runs"
    before = set(runs.iterdir()) if runs.exists() else set()
    result = train_through_button(qtbot, panel)
    assert result.status == "failed" and "no usable images" in panel.messages.text()
    assert panel.runs_list.tree.topLevelItemCount() == 0 and panel.runs.watcher.runs == {}
    assert (set(runs.iterdir()) if runs.exists() else set()) == before
    assert panel.document.project.runs == []
    panel.data_page.form.folder.setText(str(tmp_path / "data"))
    panel.settings_form.epochs.setValue(1)
    assert train_through_button(qtbot, panel).status == "finished"
    assert panel.runs_list.tree.topLevelItemCount() == 1 and len(panel.runs.watcher.runs) == 1
