"""Sizes, shapes and counts as text, one way for the window and the command line.

Sizes are decimal (SI): 1 kB = 1,000 bytes, 1 MB = 1,000,000 bytes, 1 GB = 10⁹ bytes, as disks and
file managers count them, shown with three significant digits (``3.5 MB``, ``12.3 kB``, ``512 B``).
"""

from __future__ import annotations

import math
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


def rate_text(per_second: float | None, unit: str = "it") -> str:
    """A rate with at most four significant digits: ``2,450 img/s``, ``3.1 step/s``, ``24.5k img/s``,
    ``9.94M img/s``; under one a second it is the time per unit (``2.5 s/step``); None -> ``? it/s``."""
    if per_second is None or not math.isfinite(per_second) or per_second <= 0:
        return f"? {unit}/s"
    if per_second < 1:
        return f"{_number(1 / per_second)} s/{unit}"
    return f"{_number(per_second)} {unit}/s"


def _number(value: float) -> str:
    """``3.14`` -> ``3.1``, ``2449.7`` -> ``2,450``, ``24_512`` -> ``24.5k``: at most four digits."""
    if value < 99.95:
        return f"{value:.1f}"
    if value < 9999.5:
        return f"{value:,.0f}"
    for suffix in ("k", "M", "G", "T"):
        value /= 1000
        if value < 999.5 or suffix == "T":
            return f"{value:.{2 if value < 9.995 else 1 if value < 99.95 else 0}f}{suffix}"
    raise AssertionError("unreachable")
