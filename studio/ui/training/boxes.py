"""Number boxes of the Data and Settings forms; an optional value shows ``off`` text at its minimum."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

BIG = 10**9


def int_box(low: int = 0, high: int = BIG, off: str | None = None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    if off:
        box.setSpecialValueText(off)  # shown at the minimum: the optional value is unset
    return box


def float_box(low: float, high: float, decimals: int, step: float, off: str | None = None) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    if off:
        box.setSpecialValueText(off)
    return box
