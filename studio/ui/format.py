"""Short human formats for shapes, counts and sizes shown on the canvas and in the status line (the
sizes, shapes and counts are the engine's, which the command line prints too)."""

from __future__ import annotations

from typing import Any

from studio.engine.formatting import count_text, shape_text
from studio.engine.formatting import size_text as bytes_text

__all__ = ["bytes_text", "count_text", "shape_text", "value_text"]


def value_text(value: Any) -> str:
    """An argument value as the canvas shows it: lists as ``3×3``, floats short."""
    if isinstance(value, list | tuple):
        return "×".join(value_text(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "auto"
    return str(value)
