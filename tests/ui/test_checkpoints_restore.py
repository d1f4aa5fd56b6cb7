"""Partial restore through the dialog: a real checkpoint into a model whose names and head differ;
rules, patterns and tree check boxes drive a live plan, and Apply changes exactly what it said."""

from __future__ import annotations

import shutil

import pytest
import torch
from PySide6.QtCore import Qt
from safetensors.torch import load_file

from studio.engine.checkpoints.inspector import list_run
from studio.engine.checkpoints.mapping import NameMapping
from studio.ui.checkpoints import CheckpointPanel, LiveModel
from tests.engine.image_folders import tiny_cnn
from tests.ui.checkpoint_runs import short_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("restore"), classes=2)


def new_task_spec():
    """The tiny CNN for 3 classes, its first layer renamed: checkpoint names no longer fit."""
    spec = tiny_cnn(3)
    spec.rename_node("conv1", "stem")
    return spec


@pytest.fixture
def dialog(qtbot, run):
    panel = CheckpointPanel(LiveModel(new_task_spec()))
    qtbot.addWidget(panel)
    panel.open_run(run)
    assert panel.wait_idle(300)
    yield panel.open_restore_dialog()  # the panel (its parent) lives until the test ends


def statuses(plan):
    return {entry.name: (entry.status, entry.source) for entry in plan.model}


def set_rewrite(dialog, pattern, replacement):
    dialog.rules.add_rewrite(pattern, replacement)
    dialog.update_plan()


def test_initial_plan_shows_mismatches_in_red_with_both_shapes(dialog):
    plan = dialog.plan
    assert statuses(plan) == {"stem.weight": ("missing", None), "stem.bias": ("missing", None),
                              "fc.weight": ("mismatch", "fc.weight"), "fc.bias": ("mismatch", "fc.bias")}
    row = dialog.model_tree.items["fc.weight"]
    assert row.text(2) == "shape mismatch" and row.text(1) == "3×288" and row.text(3) == "fc.weight  2×288"
    assert row.foreground(1).color().name() == row.foreground(2).color().name() == "#d9342b"
    unused = {e.name: e.reason for e in plan.checkpoint if not e.used}
    assert unused == {"conv1.weight": "not in model", "conv1.bias": "not in model",
                      "fc.weight": "shape mismatch", "fc.bias": "shape mismatch"}
    assert dialog.ckpt_tree.items["conv1.weight"].text(3) == "unused: not in model"
    assert not dialog.apply_button.isEnabled()  # nothing would be restored


def test_mapping_rule_and_exclude_then_apply_changes_exactly_the_plan(dialog, run, qtbot):
    live = dialog.live
    before = {name: value.clone() for name, value in live.module().state_dict().items()}
    set_rewrite(dialog, r"^conv1\.", "stem.")
    dialog.rules.exclude.setText("fc")
    dialog.freeze.setChecked(True)
    plan = dialog.update_plan()
    assert statuses(plan) == {
        "stem.weight": ("restore", "conv1.weight"), "stem.bias": ("restore", "conv1.bias"),
        "fc.weight": ("excluded", "fc.weight"), "fc.bias": ("excluded", "fc.bias")}
    assert dialog.model_tree.items["stem.weight"].text(3) == "conv1.weight"
    assert dialog.ckpt_tree.items["conv1.bias"].text(2) == "stem.bias"
    assert dialog.model_tree.items["fc.bias"].checkState(0) == Qt.CheckState.Unchecked
    assert "2</b> restored" in dialog.summary.text()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)

    checkpoint = load_file(str(dialog.source))
    after = live.module().state_dict()
    for entry in plan.model:
        if entry.status == "restore":
            assert torch.equal(after[entry.name], checkpoint[entry.source]), entry.name
        else:
            assert torch.equal(after[entry.name], before[entry.name]), entry.name
    assert sorted(dialog.result.restored) == ["stem.bias", "stem.weight"]
    assert live.frozen == {"stem.weight", "stem.bias"}
    assert live.node_marks() == {"stem": ("restored", "frozen")}
    assert live.steps[-1].exclude == ("fc",) and live.steps[-1].freeze
    assert "Applied" in dialog.summary.text()


def test_unchecking_a_scope_in_the_tree_excludes_its_tensors(dialog, qtbot):
    set_rewrite(dialog, r"^conv1\.", "stem.")
    scope = dialog.model_tree.scopes["fc"]
    scope.setCheckState(0, Qt.CheckState.Unchecked)  # what a click on the box does
    assert dialog.model_tree.items["fc.weight"].checkState(0) == Qt.CheckState.Unchecked  # children follow
    qtbot.waitUntil(lambda: statuses(dialog.plan)["fc.weight"][0] == "excluded", timeout=120_000)
    assert statuses(dialog.plan)["fc.bias"][0] == "excluded"
    assert "fc" in dialog.rules.tree_patterns.text()
    assert dialog.rule_set().selection.exclude == ("fc",)
    dialog.model_tree.items["fc.bias"].setCheckState(0, Qt.CheckState.Checked)  # one child back
    qtbot.waitUntil(lambda: statuses(dialog.plan)["fc.bias"][0] == "mismatch", timeout=120_000)
    assert dialog.rule_set().selection.exclude == ("name:fc.weight",)
    assert scope.checkState(0) == Qt.CheckState.PartiallyChecked


def test_bad_rules_are_explained_and_block_apply(dialog):
    set_rewrite(dialog, r"^conv1\.", "stem.")
    assert dialog.apply_button.isEnabled()
    set_rewrite(dialog, "(", "x")
    assert "bad regular expression" in dialog.error.text() and not dialog.apply_button.isEnabled()
    dialog.rules.rewrites.removeRow(1)
    dialog.rules.exclude.setText("fc9")
    dialog.update_plan()
    assert dialog.apply_button.isEnabled() and "matching no model tensor: fc9" in dialog.error.text()
    dialog.rules.add_prefix.setText("x")  # every name becomes x...: nothing fits, nothing to apply
    dialog.update_plan()
    assert dialog.plan.counts["restore"] == 0 and not dialog.apply_button.isEnabled()


def test_rule_set_saves_and_loads(dialog, tmp_path, qtbot, run):
    set_rewrite(dialog, r"^conv1\.", "stem.")
    dialog.rules.strip.setText("module.")
    dialog.rules.exclude.setText("suffix:.bias")
    dialog.freeze.setChecked(True)
    path = dialog.save_rules(tmp_path / "rules.json")
    assert NameMapping.load(path).rewrites == ((r"^conv1\.", "stem."),)  # also `studio ckpt restore --map`
    panel = CheckpointPanel(dialog.live)
    qtbot.addWidget(panel)
    panel.open_run(run)
    assert panel.wait_idle(300)
    again = panel.open_restore_dialog()
    again.load_rules(path)
    assert again.plan.to_dict() == dialog.update_plan().to_dict()
    assert again.freeze.isChecked() and again.rules.strip.text() == "module."


def test_preset_fills_the_mapping_rules(dialog):
    dialog.rules.preset.setCurrentText("torchvision_resnet18")
    rows = dialog.rules.rewrites.rowCount()
    assert rows == 4 and dialog.rules.rewrites.item(0, 0).text() == r"^layer(\d)\.0\."
    dialog.rules.preset.setCurrentText("dataparallel")
    assert dialog.rules.rewrites.rowCount() == 0 and dialog.rules.strip.text() == "module."


def test_fine_tune_from_here_hands_over_the_restore(dialog, qtbot, run):
    set_rewrite(dialog, r"^conv1\.", "stem.")
    dialog.rules.exclude.setText("fc")
    dialog.freeze.setChecked(True)
    with qtbot.waitSignal(dialog.sigFineTune, timeout=120_000) as signal:
        dialog.finetune_button.click()
    step = signal.args[0]
    best = next(info for info in list_run(run) if info.is_best)
    assert step.checkpoint == str(best.path) and step.exclude == ("fc",) and step.freeze
    assert step.mapping["rewrites"] == [[r"^conv1\.", "stem."]]


def test_a_failed_apply_changes_nothing_and_says_why(qtbot, run, tmp_path):
    copy = tmp_path / "copy.safetensors"
    shutil.copy(next(info for info in list_run(run) if info.is_best).path, copy)
    panel = CheckpointPanel(LiveModel(tiny_cnn(2)))
    qtbot.addWidget(panel)
    panel.open_file(copy)
    assert panel.wait_idle(300)
    dialog = panel.open_restore_dialog()
    before = {name: value.clone() for name, value in dialog.live.module().state_dict().items()}
    copy.write_bytes(b"gone")  # the file changed after planning: reading it fails
    with qtbot.assertNotEmitted(dialog.sigApplied):
        dialog.apply()
        qtbot.waitUntil(lambda: not dialog.job.running, timeout=120_000)
    assert dialog.error.text().startswith("Nothing was restored:")
    after = dialog.live.module().state_dict()
    assert all(torch.equal(after[name], value) for name, value in before.items())
    assert dialog.live.steps == [] and dialog.apply_button.isEnabled()
