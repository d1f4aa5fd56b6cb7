"""File > Fine-tune a pretrained model...: a template (one with a torchvision preset) or the model on the
canvas, a weights file (those in the local torch hub cache are listed; nothing is downloaded), the new
number of classes and "freeze the backbone" -> the model on the canvas, and the restore of all but the
head handed to the Training panel (``TrainConfig.init``, through the document) ready to Train.

Planning reads the weights file, so it runs in a :class:`Job`, never on the GUI thread; a file that is
not weights, or weights of another architecture, is a message in place and changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.checkpoints.plan import RestorePlan
from studio.engine.checkpoints.presets import Preset
from studio.engine.errors import StudioError
from studio.engine.filenames import shown_name
from studio.engine.pretrained import (
    cached_weights,
    finetune_init,
    head_nodes,
    hub_checkpoints_dir,
    no_cached_weights,
    plan_counts,
    plan_finetune,
    preset_for,
    pretrained_templates,
    template_spec,
    with_head_classes,
)
from studio.engine.project import Project
from studio.engine.spec.io import spec_to_dict
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import list_templates
from studio.engine.training.config import InitConfig
from studio.ui.checkpoints.plan_trees import COLORS
from studio.ui.commands import ReplaceModelCommand
from studio.ui.elided import ElidedLabel
from studio.ui.workers import Job, JobFailure

CANVAS = ""  # the model combo's entry for the model on the canvas


@dataclass(frozen=True)
class FineTune:
    """What the dialog decided: the model to train (``spec``; ``template`` None: the canvas model with
    its head resized), its head and the restore step."""

    spec: ModelSpec
    template: str | None
    head: tuple[str, ...]
    init: InitConfig
    plan: RestorePlan


class FineTuneDialog(QDialog):
    """Asks what to fine-tune from which weights; plans the restore in the background; ``result`` is
    set when Fine-tune is clicked with a plan that restores the backbone."""

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fine-tune a pretrained model")
        self.document = document
        self.result_: FineTune | None = None
        self.plan: RestorePlan | None = None
        self.job: Job | None = None
        self._planned: tuple | None = None  # the choices the shown plan (or message) belongs to
        self._spec: ModelSpec | None = None
        self._from_cache = False  # the weights field holds a file picked from the cached list

        self.model = QComboBox()
        canvas_template = document.spec.meta.get("template")
        self.model.addItem(f"The model on the canvas ({document.spec.name})", CANVAS)
        helps = {entry.name: entry.help for entry in list_templates()}
        for name in pretrained_templates():
            self.model.addItem(name, name)
            self.model.setItemData(self.model.count() - 1, helps.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        start = self.model.findData(canvas_template) if canvas_template in pretrained_templates() else -1
        self.model.setCurrentIndex(start if start >= 0 else max(1, self.model.findData("resnet18")))
        self.names = QLabel()
        self.names.setWordWrap(True)
        self.cached = QListWidget()
        self.cached.setMaximumHeight(110)
        self.cached_note = QLabel()
        self.cached_note.setWordWrap(True)
        self.cached_where = ElidedLabel()  # the hub cache folder: one line, whole in the tooltip
        self.weights = QLineEdit()
        self.weights.setPlaceholderText("a torchvision state_dict (.pth) or a safetensors file")
        browse = QPushButton("Choose File…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.weights, 1)
        file_row.addWidget(browse)
        self.classes = QSpinBox()
        self.classes.setRange(0, 1_000_000)
        self.classes.setSpecialValueText("required")
        facts = document.data_facts
        known = facts.num_classes if facts is not None and facts.problem is None else None
        self.classes.setValue(known or 0)
        self.classes_note = QLabel(f"from the data folder ({known} classes)" if known
                                   else "the data folder is not known: give the new task's class count")
        self.size = QSpinBox()
        self.size.setRange(8, 4096)
        self.size.setSuffix(" px")
        self.size.setMaximumWidth(120)
        self.classes.setMinimumWidth(100)
        self.size.setToolTip("Height and width the template takes; the data is resized to it")
        self.freeze = QCheckBox("Freeze the backbone (all but the head: only the head trains)")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {COLORS['mismatch']};")

        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("", self.names)
        cache = QWidget()
        cache_box = QVBoxLayout(cache)
        cache_box.setContentsMargins(0, 0, 0, 0)
        cache_box.addWidget(self.cached)
        cache_box.addWidget(self.cached_note)
        cache_box.addWidget(self.cached_where)
        form.addRow("Cached weights", cache)
        form.addRow("Weights file", file_row)
        classes_row = QHBoxLayout()
        classes_row.addWidget(self.classes)
        classes_row.addWidget(self.classes_note, 1)
        form.addRow("Classes", classes_row)
        form.addRow("Image size", self.size)
        form.addRow("", self.freeze)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.finetune_button = self.buttons.addButton("Fine-tune", QDialogButtonBox.ButtonRole.AcceptRole)
        self.finetune_button.setToolTip("Put the model on the canvas and set up the Training panel to "
                                        "train it from these weights")
        self.buttons.accepted.connect(self.fine_tune)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(720, 0)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.update_plan)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.cached.currentItemChanged.connect(self._cached_chosen)
        self.weights.textChanged.connect(self.schedule_plan)
        self.classes.valueChanged.connect(self.schedule_plan)
        self.size.valueChanged.connect(self.schedule_plan)
        self._model_changed()

    # ---- choices ------------------------------------------------------------------------------
    @property
    def template(self) -> str | None:
        """The chosen template; None for the model on the canvas."""
        return self.model.currentData() or None

    def preset(self) -> Preset | None:
        name = self.template or self.document.spec.meta.get("template")
        return preset_for(name) if isinstance(name, str) else None

    def _model_changed(self) -> None:
        template = self.template
        preset = self.preset()
        self.names.setText(f"Tensor names through preset <b>{preset.name}</b>" if preset is not None else
                           "No preset: the file's tensor names must be the model's")
        self.size.setEnabled(template is not None)
        if template is not None:
            entry = {t.name: t for t in list_templates()}[template]
            self.size.setValue(int(entry.input_shape[-1]))
        if self._from_cache:
            self.weights.clear()  # (the last model's cached file: not this one's)
        self.cached.clear()
        name = template or self.document.spec.meta.get("template")
        files = cached_weights(name) if isinstance(name, str) else []
        for path in files:
            item = QListWidgetItem(shown_name(path.name))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(shown_name(path))
            self.cached.addItem(item)
        self.cached.setVisible(bool(files))
        where = shown_name(hub_checkpoints_dir())
        self.cached_note.setText("" if files else
                                 f"{no_cached_weights(name or self.document.spec.name).capitalize()}.")
        self.cached_note.setVisible(not files)
        self.cached_where.setText(f"in {where}" if files else f"looked in {where}")
        self.cached_where.setToolTip(where)
        if files:
            self.cached.setCurrentRow(0)
        self.schedule_plan()

    def _cached_chosen(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.weights.setText(item.data(Qt.ItemDataRole.UserRole))
            self._from_cache = True

    def _browse(self) -> None:
        start = str(hub_checkpoints_dir()) if hub_checkpoints_dir().is_dir() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Pretrained weights", start,
                                              "Weights (*.pth *.pt *.bin *.safetensors);;All files (*)")
        if path:
            self.cached.clearSelection()
            self.weights.setText(path)
            self._from_cache = False

    def choices(self) -> tuple:
        return (self.template, self.weights.text().strip(), self.classes.value(), self.size.value())

    def target_spec(self) -> ModelSpec:
        """The model to fine-tune: the template for the new task, or the canvas model with its head
        sized for the new class count (StudioError when that cannot be done)."""
        template, _, classes, size = self.choices()
        if template is not None:
            entry = {t.name: t for t in list_templates()}[template]
            return template_spec(template, classes, (*entry.input_shape[:-2], size, size))
        return with_head_classes(self.document.spec, classes)

    # ---- the plan -----------------------------------------------------------------------------
    def schedule_plan(self) -> None:
        self.plan = None
        self._enable()
        self._timer.start()

    def update_plan(self) -> Job | None:
        """Plan the restore of all but the head for the current choices, in a Job."""
        self._timer.stop()
        choices = self.choices()
        _, weights, classes, _ = choices
        self.summary.setText("")
        if classes < 1:
            return self._show_error("Give the number of classes of the new task.", choices)
        if not weights:
            return self._show_error("Choose a weights file.", choices)
        if not Path(weights).is_file():
            return self._show_error(f"No file {weights}.", choices)
        try:
            spec = self.target_spec()
            head = head_nodes(spec)
        except StudioError as exc:
            return self._show_error(str(exc), choices)
        preset = self.preset()
        self.error.setText("")
        self.summary.setText(f"Reading {shown_name(Path(weights).name)}…")
        job = Job(lambda report: plan_finetune(spec, weights, head, preset), name="finetune-plan",
                  parent=self)
        self.job, self._spec, self._planned = job, spec, choices
        job.sigFinished.connect(lambda plan: self._planned_ok(job, plan))
        job.sigFailed.connect(lambda failure: self._planned_failed(job, failure))
        job.start()
        self._enable()
        return job

    def _current(self, job: Job) -> bool:
        return job is self.job and self._planned == self.choices()

    def _planned_ok(self, job: Job, plan: RestorePlan) -> None:
        if not self._current(job):
            return
        self.plan = plan
        self.summary.setText(summary_html(plan, self._head()))
        self._enable()

    def _planned_failed(self, job: Job, failure: JobFailure) -> None:
        if self._current(job):
            self.summary.setText("")
            self.error.setText(failure.message)
            self._enable()

    def _show_error(self, text: str, choices: tuple) -> None:
        self.plan, self._planned = None, choices
        self.error.setText(text)
        self._enable()
        return None

    def _head(self) -> tuple[str, ...]:
        return head_nodes(self._spec) if self._spec is not None else ()

    def _enable(self) -> None:
        busy = self.job is not None and self.job.running
        self.finetune_button.setEnabled(self.plan is not None and not busy)

    # ---- the result ---------------------------------------------------------------------------
    def fine_tune(self) -> None:
        """Accept with the planned choices (the plan must be of what the fields say now)."""
        if self.plan is None or self._spec is None or self._planned != self.choices():
            return
        head = self._head()
        init = finetune_init(self.choices()[1], head, self.preset(), self.freeze.isChecked())
        self.result_ = FineTune(self._spec, self.template, head, init, self.plan)
        self.accept()


def summary_html(plan: RestorePlan, head: tuple[str, ...]) -> str:
    """The plan's counts as the restore dialog shows them."""
    counts = plan_counts(plan)
    parts = [(counts["restored"], "restored", "restore"),
             (counts["head"], f"excluded (the head: {', '.join(head)})", "excluded"),
             (counts["mismatched"], "shape mismatches (keep their initial values)", "mismatch")]
    if counts["missing"]:
        parts.append((counts["missing"], "missing (keep their initial values)", "missing"))
    parts.append((counts["unused"], "file tensors unused", "unused"))
    return " · ".join(f"<span style='color:{COLORS[key]}'><b>{count}</b> {text}</span>"
                      for count, text, key in parts)


def ask_where(window) -> str:
    """The canvas has unsaved edits: "replace" (one undo step), "new" (a new unsaved project) or ""."""
    box = QMessageBox(QMessageBox.Icon.Question, "Fine-tune a pretrained model",
                      "The canvas has unsaved edits. Put the model on this canvas (Undo brings your edits "
                      "back), or start a new unsaved project with it?", parent=window)
    replace = box.addButton("Replace on Canvas", QMessageBox.ButtonRole.AcceptRole)
    new = box.addButton("New Project", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return "replace" if box.clickedButton() is replace else "new" if box.clickedButton() is new else ""


def apply_fine_tune(window, result: FineTune, where: str = "replace") -> None:
    """Put ``result``'s model on the canvas (``where``: "replace" as one undo step, "new" as a new
    unsaved project keeping the training settings), hand the restore step to the Training panel
    through the document and bring the Training panel to the front."""
    document = window.document
    training = dict(document.project.training)
    training["init"] = [dataclasses.asdict(result.init)]
    if where == "new":
        document.replace(Project(result.spec.copy(), training, document.project.data_dir), modified=True)
    elif spec_to_dict(result.spec) != spec_to_dict(document.spec):
        document.push(ReplaceModelCommand(document.spec, result.spec,
                                          f"Fine-tune {result.template or result.spec.name}"))
    document.set_training(training)  # the training forms reload, init included
    fit = getattr(window, "_fit_soon", None)
    if fit is not None:
        fit()
    frozen = " with the backbone frozen" if result.init.freeze else ""
    window.message(f"{result.spec.name} starts from {shown_name(Path(result.init.checkpoint).name)} "
                   f"(all but {', '.join(result.head)}){frozen}: click Train.")
    if "training" in getattr(window, "panels", {}):
        window.show_panel("training")


def finetune_dialog(window, ask=ask_where) -> FineTuneDialog:
    """File > Fine-tune a pretrained model...: ask, then set the canvas and the Training panel up."""
    dialog = FineTuneDialog(window.document, window)
    window.finetune_dialog = dialog  # (tests drive it)
    dialog.accepted.connect(lambda: _accepted(window, dialog, ask))
    dialog.open()
    return dialog


def _accepted(window, dialog: FineTuneDialog, ask) -> None:
    result = dialog.result_
    if result is None:
        return
    where = "replace"
    if window.document.modified and result.template is not None:
        where = ask(window)
        if not where or (where == "new" and not window.maybe_save()):
            return
    apply_fine_tune(window, result, where)
