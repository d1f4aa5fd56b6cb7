"""Closing the window while work runs in the background: the run stops with a checkpoint, every job's
thread is joined before the process ends, and `studio gui` exits 0 with nothing on stderr (a thread
still inside torch at interpreter exit aborted it: "terminate called without an active exception")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

from PySide6.QtCore import Qt

from studio.engine.demo import demo_data_dir
from studio.engine.runs import RunReader
from studio.engine.training import StepEvent
from studio.ui.workers import Job, join_jobs
from tests.ui.test_first_hour import demo_subset
from tests.ui.training_helpers import wait_for

OFFSCREEN_NOTICE = "This plugin does not support propagateSizeHints()"  # Qt's offscreen platform, not ours

# `studio gui --demo` as the command line runs it, with a user's actions scheduled on its event loop:
# DATA is a small image folder; ACTIONS the code run on the shown window.
DRIVER = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from studio.cli import main
    from studio.ui.app import create_app
    from studio.ui.main_window import MainWindow

    def act():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        window.ask_save = lambda: "discard"
    {actions}

    create_app()
    QTimer.singleShot(0, act)
    code = main(["gui", "--demo"])
    import threading
    print("threads at exit:", sorted(t.name for t in threading.enumerate()))
    sys.exit(code)
""")

TRAIN_AND_CLOSE = """
    panel = window.panels["training"]
    panel.ask_stop_on_close = lambda: True  # the question "Stop it (saving a checkpoint) and close?": Yes
    panel.data_page.form.folder.setText(sys.argv[1])
    panel.settings_form.epochs.setValue(50)
    panel.settings_form.batch_size.setValue(8)
    window.show_panel("training")
    panel.train_button.click()
    def stepped(events):
        if any(type(e).__name__ == "StepEvent" for e in events):
            print("closing at step", panel.run.trainer.step, flush=True)
            QTimer.singleShot(0, window.close)
    panel.run.sigEvents.connect(stepped)
"""

TORCH_JOB_AND_CLOSE = """
    import torch
    from studio.ui.workers import Job
    def work(report):  # a background job busy in torch for a few seconds after the window closed
        a = torch.randn(600, 600)
        for _ in range(400):
            a = torch.tanh(a @ a)
    Job(work, name="busy", parent=window).start()
    QTimer.singleShot(100, window.close)
"""


def run_driver(actions: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    script = DRIVER.format(actions=textwrap.indent(textwrap.dedent(actions), "    "))
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                          timeout=600)


def our_stderr(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line != OFFSCREEN_NOTICE]


def test_closing_during_training_exits_0_with_nothing_on_stderr(tmp_path):
    data = demo_subset(tmp_path / "images", demo_data_dir(), per_class=8)
    result = run_driver(TRAIN_AND_CLOSE, tmp_path, str(data))
    assert "closing at step" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0 and our_stderr(result) == [], result.stderr
    assert "threads at exit: ['MainThread']" in result.stdout


def test_a_job_still_in_torch_when_the_window_closes_is_waited_for(tmp_path):
    result = run_driver(TORCH_JOB_AND_CLOSE, tmp_path)
    assert result.returncode == 0 and our_stderr(result) == [], result.stderr
    assert "threads at exit: ['MainThread']" in result.stdout


def test_closing_the_window_stops_the_run_and_ends_every_job(demo, qtbot, tmp_path):
    window = demo
    panel = window.panels["training"]
    panel.ask_stop_on_close = lambda: True
    panel.data_page.form.folder.setText(str(demo_subset(tmp_path / "images", demo_data_dir(), per_class=8)))
    panel.settings_form.epochs.setValue(50)
    panel.settings_form.batch_size.setValue(8)
    window.show_panel("training")
    steps = []
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    panel.run.sigEvents.connect(lambda events: steps.extend(e for e in events if isinstance(e, StepEvent)))
    wait_for(qtbot, lambda: steps, message="the first step")
    run = panel.run
    assert window.close()
    assert run.state == "finished" and run.result.reason == "stopped" and not run.job.running
    assert RunReader(run.run_dir).checkpoints()  # Stop saved one
    assert join_jobs(120) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("studio-")]


def test_join_jobs_names_what_is_still_running():
    release = threading.Event()
    job = Job(lambda report: release.wait(60), name="slow")
    job.start()
    assert join_jobs(0.05) == ["studio-slow"]
    release.set()
    assert join_jobs(60) == []
    job.flush()
