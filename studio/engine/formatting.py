"""Sizes, shapes and counts as text, one way for the window and the command line.

Sizes are decimal (SI): 1 kB = 1,000 bytes, 1 MB = 1,000,000 bytes, 1 GB = 10⁹ bytes, as disks and
file managers count them, shown with three significant digits (``3.5 MB``, ``12.3 kB``, ``512 B``).
"""

from __future__ import annotations

from collections.abc import Sequence

UNITS = ("kB", "MB", "GB", "TB")


def size_text(nbytes: int | float) -> str:
    """``3_500_000`` -> ``3.5 MB``; ``999_999`` -> ``1 MB`` (decimal units, see the module)."""
    if nbytes < 1000:
        return f"{int(nbytes)} B"
    value = float(nbytes)
    for unit in UNITS:
        value /= 1000
        shown = float(f"{value:.3g}")
        if shown < 1000 or unit == UNITS[-1]:
            return f"{shown:g} {unit}" if shown < 1000 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def shape_text(shape: Sequence[int] | None, times: str = "×") -> str:
    """``(32, 28, 28)`` -> ``32×28×28`` (``times="x"``: plain ASCII ``32x28x28``); ``()`` -> ``scalar``;
    None -> ``?``."""
    if shape is None:
        return "?"
    return times.join(str(dim) for dim in shape) or "scalar"


def count_text(value: int) -> str:
    """``1234567`` -> ``1.23M``; small numbers stay exact."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return str(value)
