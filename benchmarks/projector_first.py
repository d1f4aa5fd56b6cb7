"""The first projection of a session against a repeat, through the real window's projector.

    .venv/bin/python benchmarks/projector_first.py [--run RUN_DIR] [--delay 3] [--rounds 2]

A run is trained first (the demo's small CNN on the demo folder, 40 steps: its 1,000 validation
images are the points) unless ``--run`` names one. Each round starts a fresh process that builds the
main window as ``studio gui`` does, waits ``--delay`` seconds (a user opening the Projector tab),
projects the run's best checkpoint with t-SNE (the projector's default), then presses Project again
(a repeat: the features are reused, only t-SNE runs again). It reports both times, their ratio
(target: first <= 2x repeat) and the longest stretch the progress bar stood still with a fraction
(target: none over 1 s; a busy indicator moves on its own, so it does not count).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from figures import Figures, add_json_option  # noqa: E402


def make_run(root: Path) -> Path:
    from studio.engine.demo import demo_data_dir, demo_spec
    from studio.engine.training import TrainConfig, Trainer

    config = TrainConfig.from_dict({"data": {"root": str(demo_data_dir()), "val_split": 0.2}, "steps": 40,
                                    "batch_size": 64, "eval_every_steps": 40})
    run_dir = root / "run"
    result = Trainer(demo_spec(), config, run_dir=run_dir).run()
    if result.status != "finished":
        raise SystemExit(f"training the benchmark run failed: {result.reason}")
    return run_dir


def child(run_dir: str, delay: float) -> dict:
    """In a fresh process: the window, a first projection and a repeat; timings as a dict."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    start = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from studio.ui.app import create_app
    from studio.ui.main_window import MainWindow

    app = create_app()
    window = MainWindow(restore_layout=False)
    window.show()
    window_seconds = time.perf_counter() - start
    end = time.monotonic() + delay
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    panel = window.panels["projector"]
    window.show_panel("projector")
    timings = []
    for attempt in ("first", "repeat"):
        marks: list[tuple[float, str, float | None]] = []
        original = panel.form.show_progress

        def recording(text, fraction, original=original, marks=marks, t0=time.perf_counter()):
            marks.append((time.perf_counter() - t0, text, fraction))
            original(text, fraction)

        panel.form.show_progress = recording
        t0 = time.perf_counter()
        if attempt == "first":
            panel.open_run(run_dir)
        else:
            panel.project()
        panel.wait_idle()
        seconds = time.perf_counter() - t0
        panel.form.show_progress = original
        timings.append({"seconds": seconds, "still": longest_still(marks, seconds), "stages": phases(marks)})
    window.ask_save = lambda: "discard"
    window.close()
    QApplication.processEvents()
    return {"window": window_seconds, "first": timings[0], "repeat": timings[1],
            "pynndescent_imported": "pynndescent" in sys.modules}


def phases(marks: list[tuple[float, str, float | None]]) -> list[tuple[float, str, float | None]]:
    """The first mark of each phase (its text without the numbers)."""
    kept, last = [], None
    for t, text, fraction in marks:
        kind = "".join(c for c in text if not c.isdigit())
        if kind != last:
            kept.append((round(t, 2), text, fraction))
        last = kind
    return kept


def longest_still(marks: list[tuple[float, str, float | None]], end: float) -> tuple[float, str]:
    """The longest time the bar showed one fraction (not a busy indicator), with its text."""
    longest, text = 0.0, ""
    for t, label, fraction in marks:
        if fraction is None:
            continue
        moved = next((m[0] for m in marks if m[0] > t and m[2] != fraction), end)
        if moved - t > longest:
            longest, text = moved - t, label
    return longest, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="an existing run folder (default: train a small one first)")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds between the window and Project")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes to measure")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.delay)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(args.run) if args.run else make_run(Path(tmp))
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
               "XDG_DATA_HOME": str(Path(tmp) / "data")}
        rounds = []
        for _ in range(args.rounds):
            command = [sys.executable, __file__, "--child", str(run_dir), "--delay", str(args.delay)]
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
            rounds.append(json.loads(out.strip().splitlines()[-1]))
    for i, r in enumerate(rounds, 1):
        first, repeat = r["first"], r["repeat"]
        print(f"round {i}: window {r['window']:.2f} s; first projection {first['seconds']:.2f} s, repeat "
              f"{repeat['seconds']:.2f} s (x{first['seconds'] / repeat['seconds']:.2f}); bar still at most "
              f"{first['still'][0]:.2f} s ('{first['still'][1]}'); pynndescent imported: "
              f"{r['pynndescent_imported']}")
        for t, text, fraction in first["stages"]:
            print(f"    {t:6.2f} s  {text}" + ("  [busy]" if fraction is None else f"  [{fraction:.0%}]"))
    first = statistics.median(r["first"]["seconds"] for r in rounds)
    repeat = statistics.median(r["repeat"]["seconds"] for r in rounds)
    still = max(r["first"]["still"][0] for r in rounds)
    print(f"median: first {first:.2f} s, repeat {repeat:.2f} s, ratio {first / repeat:.2f} "
          f"(target <= 2); bar still at most {still:.2f} s (target <= 1 s)")
    figures = Figures("projector_first")
    figures.add("first t-SNE projection of 1,000 images (fresh process)", first, "s", baseline=repeat,
                baseline_name="the same projection repeated", target="<= 2x", passed=first <= 2 * repeat)
    figures.add("longest still progress bar, first projection", still, "s", target="<= 1 s",
                passed=still <= 1)
    figures.write(args.json)


if __name__ == "__main__":
    main()
