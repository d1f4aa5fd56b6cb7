"""The window's followers of a live run while its trainer rotates checkpoints (keep last 2): the
checkpoint panel's run tree and the training panel's run watcher skip what vanished and go on."""

from __future__ import annotations

import subprocess
import sys
import time

from studio.ui.checkpoints.runs import RunBrowser
from studio.ui.run_watch import RunsWatcher
from tests.engine.faults import REPO
from tests.engine.test_faults_readers import ROTATING_WRITER


def test_run_tree_and_run_watcher_follow_a_rotating_run(qtbot, tmp_path):
    run = tmp_path / "run"
    writer = subprocess.Popen([sys.executable, "-c", ROTATING_WRITER, str(run / "checkpoints")], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    browser = RunBrowser()
    qtbot.addWidget(browser)
    watcher = RunsWatcher(poll_ms=10_000)
    watcher.add(run)
    refreshes = 0
    try:
        assert writer.stdout.readline().strip() == "saving"
        browser.add_run(run)
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            browser.refresh()
            watcher.read_now()
            refreshes += 1
            shown = browser.runs[run.resolve()].childCount()
            assert 0 <= shown <= 4  # keep last 2 (+ the one being written, + a pruned one listed)
            browser.select_best_or_last(run)
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    assert refreshes > 20
