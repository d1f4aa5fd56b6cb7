"""The checkpoint browser on a real run: listing with marks, tensors with statistics, histogram,
filters, the filter box, diffs, foreign and hostile files."""

from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import load_file

from studio.engine.checkpoints import CheckpointStore
from studio.engine.checkpoints.inspector import list_run
from studio.ui.checkpoints import CheckpointPanel
from studio.ui.checkpoints.runs import MARKS, METRICS, SIZE, STEP
from studio.ui.checkpoints.tensor_tree import CHANGE, MAX, MIN, SHAPE
from tests.ui.checkpoint_runs import short_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("browser"))


@pytest.fixture
def panel(qtbot):
    widget = CheckpointPanel()
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    return widget


def rows(browser):
    run_item = browser.topLevelItem(0)
    return [run_item.child(i) for i in range(run_item.childCount())]


def test_run_lists_checkpoints_with_marks_and_opens_the_best(panel, run):
    panel.open_run(run)
    assert panel.wait_idle(300)
    infos = list_run(run)
    items = rows(panel.browser)
    assert [item.text(STEP) for item in items] == [str(info.step) for info in infos] == ["4", "8", "12"]
    best = next(info for info in infos if info.is_best)
    for item, info in zip(items, infos, strict=True):
        assert ("★ best" in item.text(MARKS)) == info.is_best
        assert ("last" in item.text(MARKS)) == info.is_last
        assert "val/accuracy" in item.text(METRICS)
    assert panel.viewer.path == best.path  # --run shows the best checkpoint
    weights = load_file(str(best.path))
    tree = panel.viewer.tree
    assert set(tree.items) == set(weights)
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == ["conv1", "fc"]
    conv = tree.items["conv1.weight"]
    assert conv.parent().text(0) == "conv1" and conv.text(0) == "weight" and conv.text(SHAPE) == "8×1×3×3"
    assert float(conv.text(MIN)) == pytest.approx(float(weights["conv1.weight"].min()), rel=1e-3)
    assert float(conv.text(MAX)) == pytest.approx(float(weights["conv1.weight"].max()), rel=1e-3)


def test_the_browser_and_studio_ckpt_ls_show_the_same_size_in_decimal_units(panel, run, capsys):
    from studio.cli import main
    from studio.engine.formatting import size_text

    panel.open_run(run)
    assert panel.wait_idle(300)
    assert main(["ckpt", "ls", str(run)]) == 0
    printed = {line.split()[0]: line.split("  ") for line in capsys.readouterr().out.splitlines()[1:]}
    for item, info in zip(rows(panel.browser), list_run(run), strict=True):
        shown = item.text(SIZE)
        assert shown == size_text(info.size)
        assert shown in [cell.strip() for cell in printed[info.name]]
        assert shown == f"{float(f'{info.size / 1000:.3g}'):g} kB"  # 1 kB = 1000 bytes (a tiny CNN's)


def test_selected_tensor_shows_histogram_and_filters(panel, run, qtbot):
    panel.open_run(run)
    assert panel.wait_idle(300)
    viewer = panel.viewer
    viewer.tree.select_tensor("conv1.weight")
    qtbot.waitUntil(lambda: viewer.filters.grid is not None and viewer.histogram.stats is not None,
                    timeout=120_000)
    stats = viewer.histogram.stats
    assert stats.name == "conv1.weight" and sum(stats.histogram) == 8 * 9
    xs, ys = viewer.histogram.curve.getData()
    assert list(ys) == list(stats.histogram) and len(xs) == len(stats.histogram) + 1
    grid = viewer.filters.grid  # 8 filters x 1 input channel of 3x3 kernels, scaled up
    assert grid.shape[0] > grid.shape[1] and grid.ndim == 3 and viewer.filters.image.pixmap().width() > 0
    viewer.tree.select_tensor("fc.weight")
    qtbot.waitUntil(lambda: viewer.histogram.stats.name == "fc.weight", timeout=120_000)
    assert viewer.filters.grid is None and "not a convolution kernel" in viewer.filters.caption.text()


def test_filter_box(panel, run):
    panel.open_run(run)
    assert panel.wait_idle(300)
    tree = panel.viewer.tree

    def visible():
        return sorted(name for name, item in tree.items.items() if not item.isHidden())

    panel.viewer.filter.setText("bias")
    assert visible() == ["conv1.bias", "fc.bias"] and panel.viewer.count.text() == "2 of 4"
    panel.viewer.filter.setText("scope:fc")
    assert visible() == ["fc.bias", "fc.weight"]
    assert tree.topLevelItem(0).isHidden() and not tree.topLevelItem(1).isHidden()
    panel.viewer.filter.setText("glob:*.weight")
    assert visible() == ["conv1.weight", "fc.weight"]
    panel.viewer.filter.setText("re:(")  # half-typed regex: nothing, no error
    assert visible() == []
    panel.viewer.filter.setText("")
    assert len(visible()) == 4


def test_two_checkpoints_are_diffed_and_coloured(panel, run, qtbot, tmp_path):
    panel.add_run(run)
    items = rows(panel.browser)
    items[0].setSelected(True)
    items[2].setSelected(True)
    qtbot.waitUntil(lambda: panel.viewer.diffs is not None, timeout=120_000)
    assert panel.wait_idle(300)
    infos = list_run(run)
    a, b = load_file(str(infos[0].path)), load_file(str(infos[2].path))
    diffs = {diff.name: diff for diff in panel.viewer.diffs}
    tree = panel.viewer.tree
    assert not tree.isColumnHidden(CHANGE)
    for name in a:
        expected = float(torch.linalg.vector_norm(b[name].double() - a[name].double())
                         / torch.linalg.vector_norm(a[name].double()))
        assert diffs[name].relative_change == pytest.approx(expected)
        assert tree.items[name].text(CHANGE).endswith("%")
        assert tree.items[name].background(CHANGE).color().isValid()
    assert "→ ckpt-000000012.safetensors" in panel.viewer.title.text()
    items[2].setSelected(False)  # one checkpoint again: the change column goes away
    qtbot.waitUntil(lambda: tree.isColumnHidden(CHANGE), timeout=120_000)
    items[2].setSelected(True)
    qtbot.waitUntil(lambda: not tree.isColumnHidden(CHANGE), timeout=120_000)
    foreign = tmp_path / "other.pt"
    torch.save({"w": torch.zeros(2)}, foreign)
    panel.open_file(foreign)  # a file opened now is shown alone, not compared
    assert panel.wait_idle(300)
    assert panel.viewer.path == foreign.resolve() and panel.viewer.diffs is None
    assert tree.isColumnHidden(CHANGE)


def test_compare_with_the_live_model(qtbot, run):
    from studio.ui.checkpoints import LiveModel
    from tests.engine.image_folders import tiny_cnn

    panel = CheckpointPanel(LiveModel(tiny_cnn(2)))
    qtbot.addWidget(panel)
    panel.open_run(run)
    assert panel.wait_idle(300)
    panel.compare_with_model()
    qtbot.waitUntil(lambda: panel.viewer.diffs is not None, timeout=120_000)
    assert all(diff.status == "changed" for diff in panel.viewer.diffs)  # fresh weights vs trained


def test_new_checkpoints_appear_while_a_run_writes(panel, tmp_path, qtbot):
    store = CheckpointStore(tmp_path / "live" / "checkpoints")
    store.save(1, {"w": torch.zeros(2)})
    panel.add_run(tmp_path / "live")
    assert len(rows(panel.browser)) == 1
    store.save(2, {"w": torch.ones(2)})
    qtbot.waitUntil(lambda: len(rows(panel.browser)) == 2, timeout=120_000)  # the folder is watched
    assert "last" in rows(panel.browser)[1].text(MARKS)


def test_foreign_pt_file_opens_under_opened_files(panel, tmp_path):
    path = tmp_path / "foreign.pth"
    torch.save({"state_dict": {"features.0.weight": torch.randn(4, 3, 3, 3), "head.bias": torch.zeros(2)}},
               path)
    panel.open_file(path)
    assert panel.wait_idle(300)
    assert panel.viewer.path == path.resolve() and not panel.banner.isVisible()
    files = panel.browser.topLevelItem(panel.browser.topLevelItemCount() - 1)
    assert files.text(0) == "Opened files" and files.child(0).text(0) == "foreign.pth"
    assert set(panel.viewer.tree.items) == {"features.0.weight", "head.bias"}
    assert panel.browser.selected_paths() == [path.resolve()]


class PlantsMarker:
    """Unpickling this would create a file: code running from a checkpoint."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_hostile_and_broken_files_are_refused_with_the_engine_message(panel, tmp_path):
    marker = tmp_path / "pwned"
    hostile = tmp_path / "hostile.pt"
    torch.save({"model": {"w": torch.zeros(1)}, "payload": PlantsMarker(marker)}, hostile)
    panel.open_file(hostile)
    assert panel.wait_idle(300)
    assert panel.banner.isVisible() and "hostile.pt" in panel.banner.text()
    assert not marker.exists()
    assert panel.viewer.path is None and panel.browser.topLevelItemCount() == 0
    legacy = tmp_path / "legacy.pkl"
    legacy.write_bytes(pickle.dumps(PlantsMarker(marker), protocol=2))
    panel.open_file(legacy)
    assert panel.wait_idle(300)
    assert "legacy.pkl" in panel.banner.text() and not marker.exists()
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(b"\x40\x00\x00\x00\x00\x00\x00\x00{\"w\": {\"dtype\"")
    panel.open_file(truncated)
    assert panel.wait_idle(300)
    assert "cut.safetensors" in panel.banner.text() and "safetensors" in panel.banner.text()
    assert panel.browser.topLevelItemCount() == 0


def test_double_click_or_enter_on_a_checkpoint_opens_the_restore_dialog_for_it(qtbot, run):
    from PySide6.QtCore import Qt

    from studio.ui.checkpoints import LiveModel
    from studio.ui.checkpoints.restore_dialog import RestoreDialog
    from studio.ui.checkpoints.runs import NAME, PATH_ROLE
    from tests.engine.image_folders import tiny_cnn

    panel = CheckpointPanel(LiveModel(tiny_cnn(2)))
    qtbot.addWidget(panel)
    panel.resize(1300, 800)
    panel.show()
    panel.open_run(run)
    assert panel.wait_idle(300)
    browser = panel.browser
    best = next(row for row in rows(browser) if row.isSelected())  # open now
    first = next(row for row in rows(browser) if not row.isSelected())  # double-click another one
    viewport = browser.viewport()

    def double_click(item):  # what a real double-click sends: a click, then the double-click
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=browser.visualItemRect(item).center())
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=browser.visualItemRect(item).center())

    double_click(first)
    qtbot.waitUntil(lambda: isinstance(panel.dialog, RestoreDialog), timeout=120_000)
    dialog = panel.dialog
    assert dialog.isVisible() and dialog.source.resolve() == panel.viewer.path.resolve()
    assert str(dialog.source.resolve()) == first.data(NAME, PATH_ROLE)  # the one clicked, now open
    assert browser.selected_paths() == [dialog.source.resolve()]
    double_click(first)
    assert panel.dialog is dialog  # the same dialog, brought to the front
    dialog.close()

    browser.setFocus()
    browser.setCurrentItem(best)
    qtbot.keyClick(browser, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.dialog is not dialog and panel.dialog.isVisible(), timeout=120_000)
    assert str(panel.dialog.source.resolve()) == best.data(NAME, PATH_ROLE)
