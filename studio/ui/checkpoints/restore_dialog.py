"""Partial restore: the model's tensors beside the checkpoint's, rules and patterns on top, and a
plan preview recomputed on every change. Apply has the live model copy the planned tensors in (in its
own background job)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
)

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.plan import RestorePlan, make_plan
from studio.engine.checkpoints.presets import list_presets
from studio.engine.checkpoints.restore import RestoreResult
from studio.engine.checkpoints.selection import Selection
from studio.engine.errors import StudioError
from studio.engine.training.config import InitConfig
from studio.ui.checkpoints.live_model import LiveModel
from studio.ui.checkpoints.plan_trees import COLORS, CheckpointPlanTree, ModelPlanTree
from studio.ui.checkpoints.rules import RuleSet, load_rules, save_rules
from studio.ui.checkpoints.rules_editor import RulesEditor
from studio.ui.checkpoints.scopes import compress
from studio.ui.workers import Job, JobFailure

Shapes = dict[str, tuple[int, ...]]


class RestoreDialog(QDialog):
    """Restore ``source`` (a checkpoint file whose tensor shapes are ``source_shapes``) into ``live``."""

    sigApplied = Signal(object)  # RestoreResult
    sigFineTune = Signal(object)  # InitConfig: set up a new run starting from the restored weights

    def __init__(self, live: LiveModel, source: str | Path, source_shapes: Shapes, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore weights from a checkpoint")
        self.resize(1150, 720)
        if not live.ready:
            raise StudioError("the model is still being built: try again in a moment")
        self.live, self.source = live, Path(source)
        self.model_shapes: Shapes = dict(live.shapes)
        self.source_shapes = {name: tuple(shape) for name, shape in source_shapes.items()}
        self.plan: RestorePlan | None = None
        self.result: RestoreResult | None = None
        self.job: Job | None = None
        self.manual: set[str] = set()  # model tensors unchecked by hand in the tree

        self.rules = RulesEditor(list_presets())
        self.rules.sigChanged.connect(self.schedule_plan)
        self.model_tree = ModelPlanTree(self.model_shapes)
        self.model_tree.sigChecksEdited.connect(self._checks_edited)
        self.ckpt_tree = CheckpointPlanTree(self.source_shapes)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {COLORS['mismatch']};")
        self.error.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.hide()
        self.freeze = QCheckBox("Freeze restored layers (they do not train)")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setDefault(True)
        self.apply_button.setToolTip("Copy the tensors marked 'restore' into the model")
        self.apply_button.clicked.connect(self.apply)
        self.finetune_button = QPushButton("Fine-tune from here…")
        self.finetune_button.setToolTip("Apply, then set up a new training run starting from these weights")
        self.finetune_button.clicked.connect(self.fine_tune)
        load, save = QPushButton("Load rules…"), QPushButton("Save rules…")
        load.clicked.connect(self._load_clicked)
        save.clicked.connect(self._save_clicked)
        self.save_button = save

        header = QLabel(f"From <b>{self.source.name}</b> ({len(self.source_shapes)} tensors) into "
                        f"<b>{live.spec.name}</b> ({len(self.model_shapes)} tensors)")
        header.setToolTip(str(self.source))
        rules_box = QGroupBox("Rules")
        box = QVBoxLayout(rules_box)
        box.addWidget(self.rules)
        files = QHBoxLayout()
        files.addWidget(load)
        files.addWidget(save)
        files.addStretch(1)
        box.addLayout(files)
        trees = QSplitter(Qt.Orientation.Horizontal)
        trees.addWidget(self.model_tree)
        trees.addWidget(self.ckpt_tree)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.freeze)
        bottom.addWidget(self.progress)
        bottom.addStretch(1)
        bottom.addWidget(self.finetune_button)
        bottom.addWidget(self.apply_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(rules_box)
        layout.addWidget(trees, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.update_plan)
        self.update_plan()

    # ---- the plan -----------------------------------------------------------------------------
    def schedule_plan(self) -> None:
        """Recompute the plan on the next turn of the event loop (one per burst of edits)."""
        self._timer.start()

    def rule_set(self) -> RuleSet:
        """The rules as the fields and the tree hold them (CheckpointError when malformed)."""
        typed = self.rules.typed_selection()
        selection = Selection(typed.include, typed.exclude + tuple(self._tree_patterns(typed)))
        return RuleSet(selection, self.rules.mapping(), self.freeze.isChecked())

    def _typed_excluded(self, typed: Selection) -> set[str]:
        return {name for name in self.model_shapes if not typed.matches(name)}

    def _tree_patterns(self, typed: Selection) -> list[str]:
        """Exclusions for the rows unchecked by hand that the typed patterns do not exclude already."""
        return compress(self.manual - self._typed_excluded(typed), self.model_tree.root)

    def update_plan(self) -> RestorePlan | None:
        """Recompute and show the plan now; on a bad rule show why and disable Apply."""
        self._timer.stop()
        try:
            rules = self.rule_set()
            plan = make_plan(self.model_shapes, self.source_shapes, rules.selection, rules.mapping)
        except CheckpointError as exc:
            self.error.setText(str(exc))
            self._enable(False)
            return None
        self.plan = plan
        self.error.setText(f"Patterns matching no model tensor: {', '.join(plan.unused_patterns)}"
                           if plan.unused_patterns else "")
        self.rules.show_tree_patterns(self._tree_patterns(self.rules.typed_selection()))
        self.model_tree.show_plan(plan)
        self.ckpt_tree.show_plan(plan)
        self.summary.setText(_summary_html(plan))
        self._enable(plan.counts["restore"] > 0)
        return plan

    def _checks_edited(self) -> None:
        """The user (un)checked rows: remember those unchecked by hand, then re-plan."""
        unchecked = self.model_tree.unchecked()
        with contextlib.suppress(CheckpointError):  # a half-typed pattern: keep every unchecked row
            unchecked -= self._typed_excluded(self.rules.typed_selection())
        self.manual = unchecked
        self.update_plan()

    def _enable(self, enabled: bool) -> None:
        busy = self.job is not None and self.job.running
        self.apply_button.setEnabled(enabled and not busy)
        self.finetune_button.setEnabled(enabled and not busy)

    # ---- applying -----------------------------------------------------------------------------
    def apply(self, then_fine_tune: bool = False) -> None:
        """Restore the planned tensors into the live model in the background."""
        plan = self.update_plan()
        if plan is None:
            return
        rules = self.rule_set()
        step = InitConfig(str(self.source), rules.selection.include, rules.selection.exclude,
                          rules.mapping.to_dict(), rules.freeze)
        self.progress.setValue(0)
        self.progress.show()
        self.job = self.live.restore(plan, self.source, step)  # in the background, in the live model
        self.job.sigEvents.connect(lambda events: self.progress.setValue(int(100 * events[-1])))
        self.job.sigFinished.connect(lambda outcome: self._applied(outcome[0], step, then_fine_tune))
        self.job.sigFailed.connect(self._failed)
        self._enable(False)

    def _applied(self, result: RestoreResult, step: InitConfig, then_fine_tune: bool) -> None:
        self.progress.hide()
        self.result = result
        frozen = f", {len(result.frozen)} parameters frozen" if result.frozen else ""
        self.summary.setText(_summary_html(result.plan) + f"<br><b>Applied:</b> {len(result.restored)} "
                             f"tensors restored into the model{frozen}.")
        self._enable(True)
        self.sigApplied.emit(result)
        if then_fine_tune:
            self.sigFineTune.emit(step)

    def _failed(self, failure: JobFailure) -> None:
        self.progress.hide()
        self.error.setText(f"Nothing was restored: {failure.message}")
        self._enable(self.plan is not None)

    def fine_tune(self) -> None:
        """Apply, then ask for a new run starting from the restored weights."""
        self.apply(then_fine_tune=True)

    # ---- rule files ---------------------------------------------------------------------------
    def save_rules(self, path: str | Path) -> Path:
        return save_rules(self.rule_set(), path)

    def load_rules(self, path: str | Path) -> None:
        """Put a saved rule set into the fields (CheckpointError if the file is not one)."""
        rules = load_rules(path)
        self.manual = set()
        self.rules.set_mapping(rules.mapping)
        self.rules.set_selection(rules.selection)
        self.freeze.setChecked(rules.freeze)
        self.update_plan()

    def _save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save restore rules", "restore-rules.json",
                                              "Rule sets (*.json)")
        if path:
            try:
                self.save_rules(path)
            except (CheckpointError, OSError) as exc:
                self.error.setText(f"Cannot save the rules: {exc}")

    def _load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load restore rules", "", "Rule sets (*.json)")
        if path:
            try:
                self.load_rules(path)
            except CheckpointError as exc:
                self.error.setText(str(exc))


def _summary_html(plan: RestorePlan) -> str:
    c = plan.counts
    parts = [(c["restore"], "restored", "restore"), (c["mismatch"], "shape mismatches", "mismatch"),
             (c["missing"], "missing (keep their initial values)", "missing"),
             (c["excluded"], "excluded", "excluded"), (c["unused"], "checkpoint tensors unused", "unused")]
    return " · ".join(f"<span style='color:{COLORS[key]}'><b>{count}</b> {text}</span>"
                      for count, text, key in parts)
