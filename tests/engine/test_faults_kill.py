"""`studio train` killed with SIGKILL at random moments and in the middle of checkpoint writes: the
newest listed checkpoint always loads, and ``--resume`` continues from it to the end of the run, its
metrics read back with one record per step and the losses of a run never interrupted.
(``benchmarks/faults.py`` does the same 20 times.)"""

from __future__ import annotations

import json
import random
import subprocess
import time

import pytest

from studio.engine.runs import RunReader
from studio.engine.runs.writer import RunWriter
from tests.engine.faults import (
    REPO,
    START_TIMEOUT,
    check_checkpoints_load,
    kill_once,
    make_training_folder,
    newest_step,
    resume_to_the_end,
    steps_after_last_resume,
    tear_last_line,
    train_command,
)


@pytest.mark.slow
def test_killed_training_always_leaves_a_loadable_checkpoint_and_resumes(tmp_path):
    files = make_training_folder(tmp_path)
    rng = random.Random(10)
    rounds = [kill_once(files, rng, mode) for mode in ("write", "random")]  # each resumes the one before
    newest = -1
    for kill in rounds:
        assert kill.newest_after > kill.newest_before  # each resumed process made progress
        assert kill.newest_before >= newest  # and never lost a checkpoint an earlier one listed
        newest = kill.newest_after
    assert rounds[0].interrupted_write  # the second process resumed after a torn checkpoint write
    last = check_checkpoints_load(files["run"])
    assert last.step == newest

    tear_last_line(files["run"] / "metrics.jsonl")  # as a power cut could leave the log
    result = resume_to_the_end(files, extra_steps=3)
    assert result["status"] == "finished" and result["step"] == last.step + 3
    assert RunReader(files["run"]).status().state == "finished"
    resumed_at, steps = steps_after_last_resume(files["run"])
    assert resumed_at == last.step and steps == [last.step + 1, last.step + 2, last.step + 3]
    assert check_checkpoints_load(files["run"]).step == last.step + 3


def test_a_torn_metrics_line_does_not_swallow_the_next_record(tmp_path):
    writer = RunWriter(tmp_path)
    writer.log_metrics({"kind": "step", "step": 1})
    writer.log_metrics({"kind": "step", "step": 2})
    writer.close()
    tear_last_line(tmp_path / "metrics.jsonl")
    writer = RunWriter(tmp_path)  # a resumed run appends to the torn file
    writer.log_metrics({"kind": "resume", "step": 1})
    writer.close()
    records, _ = RunReader(tmp_path).read_metrics()
    assert records == [{"kind": "step", "step": 1}, {"kind": "resume", "step": 1}]


def kill_after_a_redone_step(files: dict, every: int) -> int:
    """Start or resume the run and SIGKILL it once it has logged a step past its newest checkpoint
    (a step the next resume redoes); returns the newest checkpoint step after the kill."""
    run = files["run"]
    before = newest_step(run)
    proc = subprocess.Popen(train_command(files, resume=before >= 0), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "studio train made no progress in time"
            newest = newest_step(run)
            logged = [r["step"] for r in RunReader(run).read_metrics()[0] if r.get("kind") == "step"]
            if newest > before and logged and logged[-1] > newest and logged[-1] % every:
                break
            time.sleep(0.002)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    return newest_step(run)


@pytest.mark.slow
def test_resumed_metrics_hold_each_step_once_with_the_losses_of_an_uninterrupted_run(tmp_path):
    files = make_training_folder(tmp_path)
    config = json.loads(files["config"].read_text())
    config["checkpoint"]["every_steps"] = 3  # steps logged after a checkpoint are redone on resume
    files["config"].write_text(json.dumps(config))
    for _ in range(3):
        kill_after_a_redone_step(files, every=3)
    raw = [r["step"] for r in RunReader(files["run"]).read_metrics()[0] if r["kind"] == "step"]
    result = resume_to_the_end(files, extra_steps=4)
    total = result["step"]
    reader = RunReader(files["run"])
    records = reader.records()
    steps = [r["step"] for r in records if r["kind"] == "step"]
    assert steps == list(range(1, total + 1))  # exactly one record per step, in order
    assert len(reader.read_metrics()[0]) > len(records) and len(raw) > len(set(raw))  # the file repeats
    assert [r["step"] for r in records if r["kind"] == "resume"] == sorted(
        r["step"] for r in records if r["kind"] == "resume")

    straight = dict(files, run=tmp_path / "straight")
    done = subprocess.run(train_command(straight, False, "--steps", str(total)), cwd=REPO,
                          capture_output=True, text=True, timeout=START_TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = {r["step"]: r["loss"] for r in RunReader(straight["run"]).records() if r["kind"] == "step"}
    assert {r["step"]: r["loss"] for r in records if r["kind"] == "step"} == expected
