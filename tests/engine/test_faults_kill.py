"""`studio train` killed with SIGKILL at random moments and in the middle of checkpoint writes: the
newest listed checkpoint always loads, and ``--resume`` continues from it to the end of the run.
(``benchmarks/faults.py`` does the same 20 times.)"""

from __future__ import annotations

import random

import pytest

from studio.engine.runs import RunReader
from studio.engine.runs.writer import RunWriter
from tests.engine.faults import (
    check_checkpoints_load,
    kill_once,
    make_training_folder,
    resume_to_the_end,
    steps_after_last_resume,
    tear_last_line,
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
