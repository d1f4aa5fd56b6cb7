"""The Settings page: the trainer configuration (optimizer, learning rate and schedule with its plot,
batch size, budget, weight decay, checkpoint cadence, device, mixed precision) and presets.

It edits the engine's :class:`TrainConfig`; ``config()`` returns the edited copy of the one shown
(sections the form does not edit, such as losses, stay as they were). Invalid values are reported
by the engine's own ConfigError when the config is built.
"""

from __future__ import annotations

import dataclasses
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.training import TrainConfig
from studio.engine.training.config import OPTIMIZERS, SCHEDULES
from studio.engine.training.device import list_devices
from studio.engine.training.fields import ConfigError
from studio.ui.scrolling import ReflowGrid
from studio.ui.training.boxes import float_box, int_box
from studio.ui.training.messages import MessageBar
from studio.ui.training.presets import PresetStore
from studio.ui.training.schedule_plot import SchedulePlot


def row_of(*widgets: QWidget) -> QHBoxLayout:
    """``widgets`` side by side, the spare width after them."""
    layout = QHBoxLayout()
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    return layout


def gui_threads() -> int:
    """Torch threads of a run started from the window when none are set: all cores but one, so the
    window keeps a core (on 2 cores this also trained faster; see benchmarks/gui_latency.py)."""
    return max(1, (os.cpu_count() or 2) - 1)


class SettingsForm(QWidget):
    """Edits a TrainConfig; ``sigChanged`` on every edit."""

    sigChanged = Signal()  # any field changed

    def __init__(self, presets: PresetStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.presets = presets or PresetStore()
        self._base = TrainConfig()
        self._train_images: int | None = None
        self.messages = MessageBar()
        self.preset = QComboBox()
        self.preset.setPlaceholderText("choose a preset to apply…")
        self.apply_preset_button = QPushButton("Apply")
        self.save_preset_button = QPushButton("Save as preset…")
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.lr = float_box(1e-7, 10.0, 6, 1e-4)
        self.momentum = float_box(0.0, 0.999, 3, 0.05)
        self.nesterov = QCheckBox("Nesterov")
        self.weight_decay = float_box(0.0, 1.0, 6, 1e-4)
        self.grad_clip = float_box(0.0, 1e6, 3, 0.5, off="off")
        self.schedule = QComboBox()
        self.schedule.addItems(SCHEDULES)
        self.warmup = int_box()
        self.decay_rate = float_box(0.0, 1.0, 4, 0.05)
        self.decay_steps = int_box(1)
        self.staircase = QCheckBox("staircase")
        self.step_size = int_box(1)
        self.gamma = float_box(0.0, 1.0, 4, 0.05)
        self.min_lr = float_box(0.0, 10.0, 7, 1e-5)
        self.schedule_plot = SchedulePlot()
        self.by_epochs = QRadioButton("epochs")
        self.by_steps = QRadioButton("steps")
        self.by_epochs.setChecked(True)
        self.epochs = float_box(0.01, 1e5, 2, 1.0)
        self.steps = int_box(1)
        self.batch_size = int_box(1, 65536)
        self.eval_every = int_box(0, off="each epoch")
        self.log_every = int_box(1)
        self.ckpt_steps = int_box(0, off="off")
        self.ckpt_seconds = float_box(0.0, 1e6, 0, 60.0, off="off")
        self.keep_last = int_box(1, 10000)
        self.device = QComboBox()
        for value, text in list_devices():
            self.device.addItem(text, value)
            self.device.setItemData(self.device.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.device.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device.setMinimumContentsLength(18)  # long GPU names must not widen the page
        self.amp = QComboBox()
        self.amp.addItems(["auto", "on", "off"])
        self.seed = int_box(0, 2**31 - 1)
        self.threads = int_box(0, 1024, off=f"auto ({gui_threads()}: all cores but one)")
        self.threads.setToolTip("Torch threads of a run; auto leaves one core to the window")
        self._build()
        self._reload_presets()
        self.set_config(TrainConfig())
        for widget in self._inputs():
            for signal in ("valueChanged", "toggled", "currentIndexChanged"):
                if hasattr(widget, signal):
                    getattr(widget, signal).connect(self._changed)
        self.apply_preset_button.clicked.connect(self._apply_preset)
        self.save_preset_button.clicked.connect(self._save_preset)
        self._changed()

    def _build(self) -> None:
        presets = QHBoxLayout()
        presets.addWidget(QLabel("Preset:"))
        presets.addWidget(self.preset, 1)
        presets.addWidget(self.apply_preset_button)
        presets.addWidget(self.save_preset_button)
        optimizer = QGroupBox("Optimizer")
        form = QFormLayout(optimizer)
        form.addRow("optimizer", self.optimizer)
        form.addRow("learning rate", self.lr)
        momentum = QHBoxLayout()
        momentum.addWidget(self.momentum)
        momentum.addWidget(self.nesterov)
        form.addRow("momentum", momentum)
        form.addRow("weight decay", self.weight_decay)
        form.addRow("gradient clipping", self.grad_clip)
        schedule = QGroupBox("Learning-rate schedule")
        sform = QFormLayout(schedule)
        sform.addRow("schedule", self.schedule)
        sform.addRow("warm-up steps", self.warmup)
        decay = QHBoxLayout()
        decay.addWidget(self.decay_rate)
        decay.addWidget(QLabel("every"))
        decay.addWidget(self.decay_steps)
        decay.addWidget(self.staircase)
        sform.addRow("exponential decay", decay)
        step = QHBoxLayout()
        step.addWidget(self.gamma)
        step.addWidget(QLabel("every"))
        step.addWidget(self.step_size)
        sform.addRow("step decay ×", step)
        sform.addRow("cosine: final lr", self.min_lr)
        sform.addRow(self.schedule_plot)
        budget = QGroupBox("Budget and batches")
        bform = QFormLayout(budget)
        bform.addRow("train for", row_of(self.by_epochs, self.epochs))  # a row each: the box stays narrow
        bform.addRow("", row_of(self.by_steps, self.steps))
        bform.addRow("batch size", self.batch_size)
        bform.addRow("validate every (steps)", self.eval_every)
        bform.addRow("log every (steps)", self.log_every)
        checkpoints = QGroupBox("Checkpoints")
        cform = QFormLayout(checkpoints)
        cform.addRow("every (steps)", self.ckpt_steps)
        cform.addRow("every (seconds)", self.ckpt_seconds)
        cform.addRow("keep last", self.keep_last)
        also = QLabel("Also saved: after each validation (when no cadence is set), the best, at the end and "
                      "on stop.")
        also.setWordWrap(True)
        cform.addRow(also)
        device = QGroupBox("Device")
        dform = QFormLayout(device)
        dform.addRow("device", self.device)
        dform.addRow("mixed precision", self.amp)
        dform.addRow("CPU threads", self.threads)
        dform.addRow("seed", self.seed)
        self.boxes = ReflowGrid()  # two columns, or one where two do not fit
        self.boxes.place(optimizer, 0, 0)
        self.boxes.place(schedule, 0, 1, 2)
        self.boxes.place(budget, 1, 0)
        self.boxes.place(checkpoints, 2, 0)
        self.boxes.place(device, 2, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.messages)
        layout.addLayout(presets)
        layout.addWidget(self.boxes)
        layout.addStretch(1)

    def _inputs(self) -> list[QWidget]:
        return [self.optimizer, self.lr, self.momentum, self.nesterov, self.weight_decay, self.grad_clip,
                self.schedule, self.warmup, self.decay_rate, self.decay_steps, self.staircase, self.step_size,
                self.gamma, self.min_lr, self.by_epochs, self.epochs, self.steps, self.batch_size,
                self.eval_every, self.log_every, self.ckpt_steps, self.ckpt_seconds, self.keep_last,
                self.device, self.amp, self.seed, self.threads]

    # ---- config ----------------------------------------------------------------------------------
    def set_config(self, config: TrainConfig) -> None:
        """Show ``config``."""
        self._base = config
        o, s, c = config.optimizer, config.schedule, config.checkpoint
        self.optimizer.setCurrentText(o.name)
        self.lr.setValue(o.lr)
        self.momentum.setValue(o.momentum)
        self.nesterov.setChecked(o.nesterov)
        self.weight_decay.setValue(o.weight_decay)
        self.grad_clip.setValue(config.grad_clip or 0.0)
        self.schedule.setCurrentText(s.name)
        self.warmup.setValue(s.warmup_steps)
        self.decay_rate.setValue(s.decay_rate)
        self.decay_steps.setValue(s.decay_steps)
        self.staircase.setChecked(s.staircase)
        self.step_size.setValue(s.step_size)
        self.gamma.setValue(s.gamma)
        self.min_lr.setValue(s.min_lr)
        (self.by_steps if config.steps else self.by_epochs).setChecked(True)
        self.epochs.setValue(config.epochs)
        self.steps.setValue(config.steps or 1000)
        self.batch_size.setValue(config.batch_size)
        self.eval_every.setValue(config.eval_every_steps or 0)
        self.log_every.setValue(config.log_every)
        self.ckpt_steps.setValue(c.every_steps or 0)
        self.ckpt_seconds.setValue(c.every_seconds or 0.0)
        self.keep_last.setValue(c.keep_last)
        index = self.device.findData(config.device)
        if index < 0:
            self.device.addItem(f"{config.device} (not available here)", config.device)
            index = self.device.count() - 1
        self.device.setCurrentIndex(index)
        self.amp.setCurrentText(config.amp)
        self.seed.setValue(config.seed)
        self.threads.setValue(config.threads or 0)

    def config(self) -> TrainConfig:
        """The TrainConfig shown (ConfigError for a value the engine refuses)."""
        base = self._base
        optimizer = dataclasses.replace(
            base.optimizer, name=self.optimizer.currentText(), lr=self.lr.value(),
            momentum=self.momentum.value(), nesterov=self.nesterov.isChecked(),
            weight_decay=self.weight_decay.value())
        schedule = dataclasses.replace(
            base.schedule, name=self.schedule.currentText(), warmup_steps=self.warmup.value(),
            decay_rate=self.decay_rate.value(), decay_steps=self.decay_steps.value(),
            staircase=self.staircase.isChecked(), step_size=self.step_size.value(), gamma=self.gamma.value(),
            min_lr=self.min_lr.value())
        checkpoint = dataclasses.replace(
            base.checkpoint, every_steps=self.ckpt_steps.value() or None,
            every_seconds=self.ckpt_seconds.value() or None, keep_last=self.keep_last.value())
        return dataclasses.replace(
            base, optimizer=optimizer, schedule=schedule, checkpoint=checkpoint,
            grad_clip=self.grad_clip.value() or None, epochs=self.epochs.value(),
            steps=self.steps.value() if self.by_steps.isChecked() else None,
            batch_size=self.batch_size.value(),
            eval_every_steps=self.eval_every.value() or None, log_every=self.log_every.value(),
            device=self.device.currentData(), amp=self.amp.currentText(), seed=self.seed.value(),
            threads=self.threads.value() or None)

    def set_train_size(self, images: int | None) -> None:
        """Number of training images (known after a data check): the schedule plot's step axis."""
        self._train_images = images or None
        self._changed()

    # ---- reactions -------------------------------------------------------------------------------
    def total_steps(self) -> int:
        """Steps the run will take (an estimate of 100 steps per epoch before the data is known)."""
        if self.by_steps.isChecked():
            return self.steps.value()
        per_epoch = -(-self._train_images // self.batch_size.value()) if self._train_images else 100
        return max(1, round(self.epochs.value() * per_epoch))

    def _changed(self, *_args) -> None:
        name = self.optimizer.currentText()
        self.momentum.setEnabled(name in ("sgd", "rmsprop"))
        self.nesterov.setEnabled(name == "sgd")
        schedule = self.schedule.currentText()
        for widget, active in ((self.decay_rate, "exponential"), (self.decay_steps, "exponential"),
                               (self.staircase, "exponential"), (self.gamma, "step"),
                               (self.step_size, "step"), (self.min_lr, "cosine")):
            widget.setEnabled(schedule == active)
        self.epochs.setEnabled(self.by_epochs.isChecked())
        self.steps.setEnabled(self.by_steps.isChecked())
        try:
            config = self.config()
        except ConfigError as exc:
            self.messages.show_warning(str(exc))
            return
        self.messages.clear()
        self.schedule_plot.show_schedule(config.optimizer, config.schedule, self.total_steps())
        self.sigChanged.emit()

    # ---- presets ---------------------------------------------------------------------------------
    def _reload_presets(self) -> None:
        self.preset.clear()
        self.preset.addItems(self.presets.names())
        self.preset.setCurrentIndex(-1)  # none chosen: the form shows the project's own settings

    def _apply_preset(self) -> None:
        if self.preset.currentIndex() >= 0:
            self.apply_named_preset(self.preset.currentText())

    def apply_named_preset(self, name: str) -> None:
        """Change the shown settings by preset ``name``."""
        self.preset.setCurrentText(name)
        try:
            self.set_config(self.config().merged(self.presets.get(name)))
        except ConfigError as exc:
            self.messages.show_warning(f"preset '{name}' cannot be applied: {exc}")

    def _save_preset(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Preset name:")
        if ok and name.strip():
            self.save_preset(name.strip())

    def save_preset(self, name: str) -> None:
        try:
            self.presets.save(name, self.config())
        except ConfigError as exc:
            self.messages.show_warning(str(exc))
            return
        self._reload_presets()
        self.preset.setCurrentText(name)
