"""One writer per run folder: a second training into the same folder is refused at once with one line
naming the owner, before it writes anything; a lock left by a process that died is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from studio.engine.runs import RunReader
from studio.engine.runs.lock import LOCK, RunLock, RunLocked, read_owner
from studio.engine.training import Trainer
from tests.engine.faults import REPO, make_training_folder, newest_step, train_command
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config

HOLDER = """
import sys, time
from studio.engine.runs.lock import RunLock
lock = RunLock.acquire(sys.argv[1])
print("held", flush=True)
time.sleep(600)
"""


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def snapshot(folder):
    return {p.relative_to(folder): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_a_second_lock_is_refused_naming_the_owner_and_released_locks_are_gone(tmp_path):
    run = tmp_path / "run"
    with RunLock.acquire(run) as lock:
        assert lock.held and read_owner(run)["pid"] == os.getpid()
        with pytest.raises(RunLocked) as refused:  # even from this process (two trainers in one window)
            RunLock.acquire(run)
        message = str(refused.value)
        assert "\n" not in message and str(run) in message
        assert f"pid {os.getpid()} on host {socket.gethostname()} since " in message
    assert not (run / LOCK).exists() and not run.exists()  # nothing else was written: the folder goes too
    (run / "checkpoints").mkdir(parents=True)
    RunLock.acquire(run).release()
    assert run.is_dir() and not (run / LOCK).exists()  # a folder that holds something stays


def test_a_lock_of_a_dead_process_is_taken_over(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK).write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(), "started": 1.0}))
    with RunLock.acquire(run):
        assert read_owner(run)["pid"] == os.getpid()


def test_a_lock_of_a_killed_process_is_taken_over_and_a_living_one_refuses(tmp_path):
    run = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)], cwd=REPO, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked, match=f"pid {holder.pid} on host"):
            RunLock.acquire(run)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    assert (run / LOCK).exists()  # a SIGKILL leaves the file; the kernel dropped the flock
    with RunLock.acquire(run):
        assert read_owner(run)["pid"] == os.getpid()


def test_a_trainer_into_a_locked_folder_fails_before_writing_anything(tmp_path):
    """The window's Train (and Resume) go through Trainer.prepare: refused the same way."""
    folder = make_image_folder(tmp_path / "images", classes=2, per_class=6, size=8)
    config = tiny_config(folder, steps=2)
    first = Trainer(tiny_cnn(2, 8), config, run_dir=tmp_path / "run")
    assert first.run().status == "finished"
    with RunLock.acquire(tmp_path / "run"):
        before = snapshot(tmp_path / "run")
        for trainer in (Trainer(tiny_cnn(2, 8), config, run_dir=tmp_path / "run"),
                        Trainer(tiny_cnn(2, 8), config, resume=tmp_path / "run")):
            result = trainer.run()
            assert result.status == "failed" and "is being written by pid" in result.reason
            assert snapshot(tmp_path / "run") == before  # no status, no log line, no leftovers cleaned
    assert RunReader(tmp_path / "run").status().state == "finished"


@pytest.mark.slow
def test_two_trainings_into_one_run_dir(tmp_path):
    files = make_training_folder(tmp_path)
    first = subprocess.Popen(train_command(files, resume=False), cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while newest_step(files["run"]) < 1:  # the first one trains
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        started = time.monotonic()
        second = subprocess.run(train_command(files, resume=False), cwd=REPO, capture_output=True, text=True,
                                timeout=300)
        assert time.monotonic() - started < 60  # refused at once: no data decoding, no model
        resumed = subprocess.run(train_command(files, resume=True), cwd=REPO, capture_output=True, text=True,
                                 timeout=300)
        assert first.poll() is None  # still training, undisturbed
        for refused in (second, resumed):
            assert refused.returncode == 1 and refused.stdout == ""
            lines = refused.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("studio: error: run folder ")
            assert f"is being written by pid {first.pid} on host {socket.gethostname()} since" in lines[0]
        newest = newest_step(files["run"])
        time.sleep(1.0)
        assert newest_step(files["run"]) > newest  # the first one goes on saving checkpoints
    finally:
        first.send_signal(signal.SIGTERM)  # stops with a checkpoint
        first.wait(timeout=120)
        first.stderr.close()
    assert RunReader(files["run"]).status().state == "finished" and not (files["run"] / LOCK).exists()
