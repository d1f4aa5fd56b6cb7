"""Short human formats for shapes, counts and sizes shown on the canvas and in the status line."""

from __future__ import annotations

from typing import Any


def shape_text(shape: tuple[int, ...] | list[int] | None) -> str:
    """``(32, 28, 28)`` -> ``32×28×28``; None -> ``?``."""
    if shape is None:
        return "?"
    return "×".join(str(dim) for dim in shape) or "scalar"


def count_text(value: int) -> str:
    """``1234567`` -> ``1.23M``; small numbers stay exact."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return str(value)


def bytes_text(value: int) -> str:
    """``3_500_000`` -> ``3.3 MB`` (binary units)."""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.3g} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.3g} GB"


def value_text(value: Any) -> str:
    """An argument value as the canvas shows it: lists as ``3×3``, floats short."""
    if isinstance(value, list | tuple):
        return "×".join(value_text(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "auto"
    return str(value)
