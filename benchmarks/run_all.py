"""Run every benchmark in benchmarks/ and write benchmarks/RESULTS.md: a table per benchmark (figure,
baseline measured in the same run, ratio, target, pass/fail) and a description of the machine.

    .venv/bin/python benchmarks/run_all.py                       # every benchmark, full size (~30 min)
    .venv/bin/python benchmarks/run_all.py --only restore_plan faults --output /tmp/RESULTS.md
    .venv/bin/python benchmarks/run_all.py --max-load 2.5        # wait for a quiet machine first

Each benchmark runs in its own process with ``--json PATH`` (see ``benchmarks/figures.py``); its
printed output is kept under the table. A benchmark that fails or writes no figures is listed as such.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NOT_BENCHMARKS = {"run_all.py", "figures.py"}
PACKAGES = ("torch", "torchvision", "numpy", "pillow", "PySide6-Essentials", "pyqtgraph", "safetensors",
            "openTSNE", "onnxruntime")


@dataclass
class Outcome:
    """One benchmark's run: its figures (from its JSON), output, exit code, time and load."""

    name: str
    summary: str
    figures: list[dict] = field(default_factory=list)
    output: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    load_before: float = 0.0
    error: str = ""


def benchmarks(only: list[str] | None) -> list[Path]:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS)
    if only:
        unknown = set(only) - {p.stem for p in scripts}
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(p.stem for p in scripts)})")
        scripts = [p for p in scripts if p.stem in only]
    return scripts


def first_line(script: Path) -> str:
    text = script.read_text(encoding="utf-8")
    start = text.find('"""')
    return text[start + 3:text.find("\n", start)].strip() if start >= 0 else ""


def wait_for_quiet(max_load: float | None, max_wait: float) -> None:
    """Wait (at most ``max_wait`` seconds) until the 1-minute load average drops below ``max_load``."""
    deadline = time.monotonic() + max_wait
    while max_load is not None and os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(15)


def run(script: Path, timeout: float, extra: list[str]) -> Outcome:
    outcome = Outcome(script.stem, first_line(script), load_before=os.getloadavg()[0])
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "figures.json"
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(script), "--json", str(result), *extra], cwd=REPO,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=timeout)
            outcome.output, outcome.returncode = done.stdout, done.returncode
        except subprocess.TimeoutExpired as exc:
            outcome.output = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (
                exc.stdout or "")
            outcome.error = f"timed out after {timeout:.0f} s"
        outcome.seconds = time.perf_counter() - start
        if outcome.returncode not in (0, None):
            outcome.error = f"exited with code {outcome.returncode}"
        if result.exists():
            outcome.figures = json.loads(result.read_text(encoding="utf-8"))["figures"]
        elif not outcome.error:
            outcome.error = "wrote no figures"
    return outcome


def machine(load: float) -> list[tuple[str, str]]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        info = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    probe = ("import torch; from PySide6.QtCore import qVersion; print(qVersion()); "
             "print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'); "
             "print(torch.get_num_threads())")
    qt, gpu, threads = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                      check=True).stdout.split("\n")[:3]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    return [("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
            ("commit", commit or "unknown"), ("CPU", cpu),
            ("cores", f"{os.cpu_count()} (torch uses {threads})"),
            ("memory", memory or "unknown"), ("GPU", gpu), ("OS", platform.platform()),
            ("Python", platform.python_version()), ("Qt", qt), ("packages", ", ".join(versions)),
            ("load average at start", f"{load:.2f} (1 min)")]


def number(value: float | None) -> str:
    if value is None:
        return "-"
    size = abs(value)
    if value == int(value) and size < 1e15:  # counts
        return f"{int(value):,}"
    if size >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if size >= 10 else f"{value:.2f}" if size >= 1 else f"{value:.3g}"


def verdict(passed: bool | None) -> str:
    return "-" if passed is None else "pass" if passed else "**FAIL**"


def markdown(outcomes: list[Outcome], about: list[tuple[str, str]]) -> str:
    lines = ["# Benchmark results", "",
             "Written by `benchmarks/run_all.py`; each benchmark measures its baseline in the same run, so "
             "the ratios hold better than the absolute figures on a shared machine. Ratio = figure / "
             "baseline (below 1 is faster for times, slower for rates).", "", "## Machine", "",
             "| | |", "|---|---|", *[f"| {key} | {value} |" for key, value in about], "", "## Summary", "",
             "| benchmark | figures | passed | failed | seconds | load before |", "|---|---|---|---|---|---|"]
    for o in outcomes:
        passed = sum(f["passed"] is True for f in o.figures)
        failed = sum(f["passed"] is False for f in o.figures)
        status = f" ({o.error})" if o.error else ""
        lines.append(f"| [{o.name}](#{o.name}){status} | {len(o.figures)} | {passed} | {failed} | "
                     f"{o.seconds:.0f} | {o.load_before:.1f} |")
    for o in outcomes:
        lines += ["", f"## {o.name}", "", f"`benchmarks/{o.name}.py`: {o.summary}", ""]
        if o.error:
            lines += [f"**{o.error}**", ""]
        if o.figures:
            lines += ["| figure | value | baseline | ratio | target | result |", "|---|---|---|---|---|---|"]
            for f in o.figures:
                baseline = "-" if f["baseline"] is None else (
                    f"{number(f['baseline'])} {f['unit']} ({f['baseline_name']})")
                lines.append(f"| {f['name']} | {number(f['value'])} {f['unit']} | {baseline} | "
                             f"{number(f['ratio'])} | {f['target'] or '-'} | {verdict(f['passed'])} |")
            lines.append("")
        lines += ["<details><summary>output</summary>", "", "```", o.output.strip()[-6000:], "```", "",
                  "</details>"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="benchmarks to run (file stems)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--timeout", type=float, default=2400, help="seconds per benchmark")
    parser.add_argument("--max-load", type=float, help="before each benchmark, wait for a lower load average")
    parser.add_argument("--max-wait", type=float, default=600, help="seconds to wait for --max-load")
    parser.add_argument("--quick", action="store_true", help="pass --quick to the benchmarks that take it")
    args = parser.parse_args()
    scripts = benchmarks(args.only)
    wait_for_quiet(args.max_load, args.max_wait)
    about = machine(os.getloadavg()[0])
    outcomes = []
    for script in scripts:
        wait_for_quiet(args.max_load, args.max_wait)
        extra = ["--quick"] if args.quick and "--quick" in script.read_text(encoding="utf-8") else []
        print(f"{script.stem}: running (load {os.getloadavg()[0]:.1f})...", flush=True)
        outcome = run(script, args.timeout, extra)
        outcomes.append(outcome)
        failed = sum(f["passed"] is False for f in outcome.figures)
        print(f"{script.stem}: {len(outcome.figures)} figures, {failed} missed their target, "
              f"{outcome.seconds:.0f} s{'; ' + outcome.error if outcome.error else ''}", flush=True)
        args.output.write_text(markdown(outcomes, about), encoding="utf-8")  # partial results survive
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
