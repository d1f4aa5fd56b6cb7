"""Editor widgets generated from a layer parameter's schema (``Param.kind``): spin boxes with the
parameter's range, choices, tuples like kernel sizes, booleans, padding, free text.

Every editor emits ``sigEdited(value)`` with a value of the parameter's type, or ``sigInvalid(message)``
when typed text cannot be one; ``set_value`` shows a value without emitting.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette, QValidator
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from studio.engine.errors import SpecError
from studio.engine.jsonio import parse_json
from studio.engine.layers.registry import Param

INT_LIMIT = 2**31 - 1
MIN_WIDTH = 56  # editors shrink to this so the inspector fits a narrow dock


class ArgEditor(QWidget):
    """Base of the editors: a row widget with ``set_value``, ``sigEdited`` and ``sigInvalid``."""

    sigEdited = Signal(object)  # the new value
    sigInvalid = Signal(str)  # why the typed text is not a valid value

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self._shown = ""  # text editors: the text of the value shown

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_inherited(self, inherited: bool) -> None:
        """Grey the shown value when it is inherited rather than set on this node."""
        app = QApplication.palette()
        color = app.color(QPalette.ColorGroup.Disabled if inherited else QPalette.ColorGroup.Active,
                          QPalette.ColorRole.Text)
        for child in self.findChildren(QWidget):
            palette = child.palette()
            palette.setColor(QPalette.ColorRole.Text, color)
            palette.setColor(QPalette.ColorRole.ButtonText, color)
            child.setPalette(palette)

    def _emit(self, value: Any) -> None:
        message = None if is_reference(value) else self.param.check(value)
        if message:
            self.sigInvalid.emit(message)
        else:
            self.sigEdited.emit(value)

    def _emit_text(self, text: str) -> None:
        """Parse typed ``text`` and emit it, unless it is what is shown already."""
        text = text.strip()
        if text == self._shown:
            return
        try:
            value = parse_text(self.param, text)
        except ValueError as exc:
            self.sigInvalid.emit(str(exc))
            return
        self._shown = text
        self._emit(value)


def _spin(param: Param) -> QSpinBox:
    box = QSpinBox()
    box.setRange(int(param.minimum) if param.minimum is not None else -INT_LIMIT,
                 int(param.maximum) if param.maximum is not None else INT_LIMIT)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    box.setMinimumWidth(MIN_WIDTH)  # not as wide as the largest allowed number
    return box


class IntEditor(ArgEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.box = _spin(param)
        self.box.valueChanged.connect(self._emit)
        self.layout_.addWidget(self.box)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setValue(int(value) if isinstance(value, int | float) else 0)
        self.box.blockSignals(False)


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows ``1e-05`` rather than ``0.00001000``."""

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class FloatEditor(ArgEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.box = FloatSpinBox()
        self.box.setMinimumWidth(MIN_WIDTH)
        self.box.setDecimals(12)
        self.box.setRange(param.minimum if param.minimum is not None else -1e12,
                          param.maximum if param.maximum is not None else 1e12)
        self.box.setSingleStep(0.1 if param.maximum is not None and param.maximum <= 1 else 1.0)
        self.box.setKeyboardTracking(False)
        self.box.valueChanged.connect(lambda value: self._emit(float(value)))
        self.layout_.addWidget(self.box)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setValue(float(value) if isinstance(value, int | float) else 0.0)
        self.box.blockSignals(False)


class BoolEditor(ArgEditor):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.box = QCheckBox()
        self.box.toggled.connect(self._emit)
        self.layout_.addWidget(self.box)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)


class ChoiceEditor(ArgEditor):
    def __init__(self, param: Param, parent: QWidget | None = None, choices: tuple[str, ...] = ()) -> None:
        super().__init__(param, parent)
        self.box = QComboBox()
        self.box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.box.setMinimumContentsLength(6)
        self.box.addItems(list(choices or param.choices))
        self.box.activated.connect(lambda index: self._emit(self.box.itemText(index)))
        self.layout_.addWidget(self.box)

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        if self.box.findText(str(value)) < 0:
            self.box.addItem(str(value))
        self.box.setCurrentText(str(value))
        self.box.blockSignals(False)


class PairEditor(ArgEditor):
    """Two linked spin boxes for an ``ints`` parameter of length 2 (kernel size, stride)."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.boxes = [_spin(param), _spin(param)]
        self.layout_.addWidget(self.boxes[0])
        self.layout_.addWidget(QLabel("×"))
        self.layout_.addWidget(self.boxes[1])
        for box in self.boxes:
            box.valueChanged.connect(self._changed)

    def _changed(self) -> None:
        first, second = (box.value() for box in self.boxes)
        self._emit(first if first == second else [first, second])

    def set_value(self, value: Any) -> None:
        items = value if isinstance(value, list | tuple) else [value, value]
        for box, item in zip(self.boxes, [items[0], items[-1]], strict=True):
            box.blockSignals(True)
            box.setValue(int(item) if isinstance(item, int) else 0)
            box.blockSignals(False)


class TextEditor(ArgEditor):
    """Typed text parsed into the parameter's type: lists (``1, 28, 28``), padding, optional values
    (empty = automatic), block parameters (JSON)."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.line = QLineEdit()
        if param.optional:
            self.line.setPlaceholderText("auto")
        self.line.editingFinished.connect(lambda: self._emit_text(self.line.text()))
        self.layout_.addWidget(self.line)

    def set_value(self, value: Any) -> None:
        self._shown = format_text(value)
        self.line.setText(self._shown)


class PaddingEditor(ArgEditor):
    """'same', 'valid' or pixels per side ("1" or "1, 2") in an editable combo box."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.box = QComboBox()
        self.box.setEditable(True)
        self.box.addItems(["same", "valid"])
        self.box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.box.activated.connect(lambda index: self._emit_text(self.box.currentText()))
        self.box.lineEdit().editingFinished.connect(lambda: self._emit_text(self.box.currentText()))
        self.layout_.addWidget(self.box)

    def set_value(self, value: Any) -> None:
        self._shown = format_text(value)
        self.box.blockSignals(True)
        self.box.setCurrentText(self._shown)
        self.box.blockSignals(False)


def is_reference(value: Any) -> bool:
    """Whether ``value`` refers to a block parameter (``"$channels"``)."""
    return isinstance(value, str) and value.startswith("$") and len(value) > 1


def format_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def parse_text(param: Param, text: str) -> Any:
    """Turn typed text into a value for ``param`` (raises ValueError with a message)."""
    if not text:
        if param.optional:
            return None
        raise ValueError(f"'{param.name}' needs a value")
    if param.kind == "str" or is_reference(text):
        return text
    if param.kind == "padding" and text in ("same", "valid"):
        return text
    if param.kind in ("ints", "padding"):
        try:
            parts = text.replace("×", ",").replace("x", ",").split(",")
            items = [int(part) for part in parts if part.strip()]
        except ValueError:
            raise ValueError(f"'{param.name}' takes whole numbers separated by commas") from None
        return items[0] if len(items) == 1 and param.length else items
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return text  # a bare word, e.g. a block parameter holding a name
    except (RecursionError, ValueError):
        pass  # JSON, but too deep or a number too long: parse_json says which
    try:
        return parse_json(text, f"'{param.name}'", error=SpecError)
    except SpecError as exc:
        raise ValueError(str(exc)) from None


def make_editor(param: Param, parent: QWidget | None = None) -> ArgEditor:
    """The editor for ``param``'s kind."""
    if param.kind == "padding":
        return PaddingEditor(param, parent)
    if param.optional or param.kind == "str" or (param.kind == "ints" and param.length != 2):
        return TextEditor(param, parent)
    return {"int": IntEditor, "float": FloatEditor, "bool": BoolEditor, "choice": ChoiceEditor,
            "ints": PairEditor}.get(param.kind, TextEditor)(param, parent)


def param_for_value(name: str, value: Any) -> Param:
    """A schema for a block parameter, guessed from its default value."""
    if isinstance(value, bool):
        return Param(name, "bool", value)
    if isinstance(value, int):
        return Param(name, "int", value)
    if isinstance(value, float):
        return Param(name, "float", value)
    if isinstance(value, list):
        return Param(name, "ints", value)
    return Param(name, "str", value)
