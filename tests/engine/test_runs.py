"""Run directories: followable while written, status with heartbeat, TensorBoard files."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from studio.engine.runs import RunReader, RunWriter, list_runs, new_run_dir
from studio.engine.training import Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config


def test_reader_never_returns_a_partial_line(tmp_path):
    writer = RunWriter(tmp_path)
    writer.log_metrics({"kind": "step", "step": 1})
    with open(tmp_path / "metrics.jsonl", "ab") as handle:  # a writer caught mid-line
        handle.write(b'{"kind": "step", "st')
    reader = RunReader(tmp_path)
    records, offset = reader.read_metrics()
    assert records == [{"kind": "step", "step": 1}]
    assert reader.read_metrics(offset) == ([], offset)
    with open(tmp_path / "metrics.jsonl", "ab") as handle:
        handle.write(b'ep": 2}\n')
    records, offset = reader.read_metrics(offset)
    assert records == [{"kind": "step", "step": 2}] and offset == (tmp_path / "metrics.jsonl").stat().st_size
    writer.close()


def test_following_a_run_while_it_trains(tmp_path):
    folder = make_image_folder(tmp_path / "images", classes=2, per_class=10, size=8)
    trainer = Trainer(tiny_cnn(2, 8), tiny_config(folder, epochs=10, batch_size=4), run_dir=tmp_path / "run")
    assert trainer.prepare()
    worker = threading.Thread(target=trainer.run)
    reader = RunReader(tmp_path / "run")
    followed, offset, states = [], 0, set()
    worker.start()
    while worker.is_alive():
        records, offset = reader.read_metrics(offset)
        followed += records
        status = reader.status()
        states.add(status.state if status else None)
        time.sleep(0.005)
    worker.join()
    records, offset = reader.read_metrics(offset)
    followed += records
    on_disk = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert followed == on_disk and len(on_disk) > 40
    assert [r["step"] for r in followed if r["kind"] == "step"] == list(range(1, trainer.step + 1))
    assert "running" in states and reader.status().state == "finished" and not reader.is_alive()


def test_status_heartbeat_and_liveness(tmp_path):
    writer = RunWriter(tmp_path)
    writer.update_status(state="running", step=3)
    reader = RunReader(tmp_path)
    status = reader.status()
    assert status.state == "running" and status.step == 3 and status.pid == os.getpid()
    assert status.seconds_since_heartbeat() < 5 and reader.is_alive()
    assert not reader.is_alive(stale_seconds=-1)
    writer.update_status(state="finished", reason="completed")
    assert not reader.is_alive() and reader.status().reason == "completed"
    assert RunReader(tmp_path / "nothing").status() is None
    writer.close()


def test_run_dirs_are_new_and_listed(tmp_path):
    first = new_run_dir(tmp_path, "small cnn/ü")
    first.mkdir()
    (first / "status.json").write_text("{}")
    second = new_run_dir(tmp_path, "small cnn/ü")
    assert second != first and first.name.startswith("small_cnn_ü-")
    (tmp_path / "not_a_run").mkdir()
    assert list_runs(tmp_path) == [first]


def test_tensorboard_files_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folder = make_image_folder(tmp_path / "images", classes=2, per_class=8, size=8)
    Trainer(tiny_cnn(2, 8), tiny_config(folder, epochs=2), run_dir=tmp_path / "run").run()
    events = EventAccumulator(str(tmp_path / "run"))
    events.Reload()
    tags = events.Tags()
    assert {"train/loss", "train/lr", "val/accuracy", "val/loss"} <= set(tags["scalars"])
    assert "train/batch" in tags["images"]
    losses = [e.value for e in events.Scalars("train/loss")]
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert losses == pytest.approx([r["loss"] for r in records if r["kind"] == "step"], rel=1e-6)


def test_records_keep_the_last_record_of_each_step_after_resumes(tmp_path):
    writer = RunWriter(tmp_path)
    log = [{"kind": "step", "step": s} for s in (1, 2, 3, 4)] + [{"kind": "eval", "step": 4}]
    log += [{"kind": "step", "step": 5}, {"kind": "resume", "step": 3}]  # killed at 5, checkpoint 3
    log += [{"kind": "step", "step": 4, "again": 1}, {"kind": "step", "step": 5, "again": 1},
            {"kind": "resume", "step": 4}, {"kind": "step", "step": 5, "again": 2}]
    for record in log:
        writer.log_metrics(record)
    writer.close()
    reader = RunReader(tmp_path)
    assert len(reader.read_metrics()[0]) == len(log)  # the raw file keeps everything (followers use it)
    assert reader.records() == [
        {"kind": "step", "step": 1}, {"kind": "step", "step": 2}, {"kind": "step", "step": 3},
        {"kind": "resume", "step": 3}, {"kind": "step", "step": 4, "again": 1},
        {"kind": "resume", "step": 4}, {"kind": "step", "step": 5, "again": 2}]


def test_hostile_metrics_lines_are_skipped(tmp_path):
    lines = [b"[" * 10_000, b'"text"', b"\x80\x81", b'{"kind": "step", "step": 1}']
    (tmp_path / "metrics.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "status.json").write_bytes(b"[" * 10_000)
    reader = RunReader(tmp_path)
    assert reader.records() == [{"kind": "step", "step": 1}] and reader.status() is None


def test_a_resumed_run_shows_each_step_once_in_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from studio.engine.checkpoints import CheckpointStore
    from studio.engine.checkpoints.store import _delete

    folder = make_image_folder(tmp_path / "images", classes=2, per_class=8, size=8)
    config = tiny_config(folder, steps=6, checkpoint={"every_steps": 2, "keep_last": 10})
    run = tmp_path / "run"
    Trainer(tiny_cnn(2, 8), config, run_dir=run).run()
    store = CheckpointStore(run / "checkpoints")
    _delete("ckpt-000000006", store.directory)  # as if killed after step 6 was logged, before its save
    time.sleep(1.1)  # TensorBoard orders event files by their names' timestamps
    Trainer(tiny_cnn(2, 8), config, resume=run).run()  # redoes steps 5 and 6
    steps = [r["step"] for r in RunReader(run).read_metrics()[0] if r["kind"] == "step"]
    assert steps == [1, 2, 3, 4, 5, 6, 5, 6]
    events = EventAccumulator(str(run))
    events.Reload()
    assert [e.step for e in events.Scalars("train/loss")] == [1, 2, 3, 4, 5, 6]
    records = RunReader(run).records()
    assert [e.value for e in events.Scalars("train/loss")] == pytest.approx(
        [r["loss"] for r in records if r["kind"] == "step"], rel=1e-6)
