"""A small plot of the learning rate over the run, drawn from the engine's own schedule function."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from studio.engine.training import OptimizerConfig, ScheduleConfig
from studio.engine.training.optim import lr_factor
from studio.ui.training.plot_style import style_plot, style_widget

POINTS = 200


def schedule_curve(optimizer: OptimizerConfig, schedule: ScheduleConfig,
                   total_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(steps, learning rates) sampled over ``total_steps``."""
    total_steps = max(1, int(total_steps))
    steps = np.unique(np.linspace(0, total_steps - 1, min(POINTS, total_steps)).round().astype(int))
    factor = lr_factor(schedule, total_steps, optimizer.lr)
    return steps, np.array([optimizer.lr * factor(int(s)) for s in steps])


class SchedulePlot(pg.PlotWidget):
    """Learning rate against step; ``show_schedule`` redraws it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style_widget(self)
        style_plot(self.getPlotItem(), "Learning rate schedule")
        self.setMinimumHeight(130)
        self.setMaximumHeight(190)
        self.setMouseEnabled(x=False, y=False)
        self.setLabel("bottom", "step")
        self.curve = self.plot([], [], pen=pg.mkPen("#2ca02c", width=1))

    def show_schedule(self, optimizer: OptimizerConfig, schedule: ScheduleConfig, total_steps: int) -> None:
        steps, lrs = schedule_curve(optimizer, schedule, total_steps)
        self.curve.setData(steps, lrs)
        top = float(lrs.max()) if len(lrs) else 0.0  # from 0: a constant rate must not look like 0
        self.setYRange(0.0, top * 1.1 if top > 0 else 1.0, padding=0)
        self.setXRange(0, max(1, int(total_steps) - 1), padding=0.02)
