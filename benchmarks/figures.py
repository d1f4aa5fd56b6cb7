"""Benchmark figures in one shape: each benchmark prints its figures and, given ``--json PATH``, also
writes them for ``benchmarks/run_all.py``, which tabulates them in ``benchmarks/RESULTS.md``.

    figures = Figures("restore_plan")
    figures.add("plan with the file open", 12.0, "ms", baseline=30.0, baseline_name="load_state_dict",
                target="< 50 ms", passed=True)      # ratio = value / baseline unless given
    figures.write(args.json)                          # no-op when args.json is None
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured value, the baseline measured in the same run, their ratio and the target."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None  # None: no target


class Figures:
    """The figures of one benchmark run."""

    def __init__(self, benchmark: str) -> None:
        self.benchmark = benchmark
        self.items: list[Figure] = []

    def add(self, name: str, value: float, unit: str, *, baseline: float | None = None,
            baseline_name: str = "", ratio: float | None = None, target: str = "",
            passed: bool | None = None) -> None:
        if ratio is None and baseline is not None and baseline != 0:
            ratio = value / baseline
        self.items.append(Figure(name, _number(value), unit, _number(baseline), baseline_name, _number(ratio),
                                 target, passed))

    def write(self, path: str | Path | None) -> None:
        """Write the figures as JSON to ``path`` (nothing when ``path`` is None)."""
        if path is None:
            return
        doc = {"benchmark": self.benchmark, "figures": [asdict(item) for item in self.items]}
        Path(path).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for run_all.py)")


def _number(value: float | None) -> float | None:
    """Plain float, with NaN/inf as None (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
