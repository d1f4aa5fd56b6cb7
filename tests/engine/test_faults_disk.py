"""A full disk: a write that fails for lack of space stops the run with one sentence that says so and
names the last good checkpoint, status.json says failed (or, when even it cannot be written, readers
see the writer is gone), nothing half-written stays, and the run resumes once there is room.

The disks are real: small tmpfs mounts (the tests skip where mounting is not permitted), filled up by
the run itself or by a filler. Where no mount is possible, the same failures are injected at the
atomic-write layer (an fsync that reports ENOSPC, as delayed allocation can)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time

import pytest
import torch

from studio.engine.checkpoints import CheckpointStore
from studio.engine.runs import RunReader, RunWriter
from studio.engine.training import FailedEvent, Trainer
from tests.engine.faults import (
    REPO,
    DiskHog,
    check_checkpoints_load,
    fill_disk,
    leftovers,
    make_training_folder,
    mount_tmpfs,
    newest_step,
    resize_tmpfs,
    train_command,
    unfinished_writes,
    unmount,
)
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import Recorder, tiny_config

FILES = (".state.pt", ".safetensors", ".json")  # a checkpoint's files, in the order they are written
PAGE = 4096


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs (resizable with resize_tmpfs)."""
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "1m"):
        pytest.skip("mounting a tmpfs is not permitted here (needs root)")
    yield disk
    unmount(disk)


def save(store: CheckpointStore, step: int) -> None:
    store.save(step, {"w": torch.full((3000,), float(step))},
               training_state={"m": torch.full((6000,), float(step)), "step": step}, metrics={"step": step})


def pages(path) -> int:
    return os.stat(path).st_blocks * 512 // PAGE


def assert_only_complete(store: CheckpointStore, steps: list[int]) -> None:
    assert [info.step for info in store.list()] == steps
    assert sorted(p.name for p in store.directory.iterdir()) == sorted(
        f"ckpt-{step:09d}{suffix}" for step in steps for suffix in FILES)
    for info in store.list():
        assert bool((store.load_weights(info)["w"] == info.step).all())
        assert store.load_training_state(info)["step"] == info.step


def test_disk_full_at_each_file_of_a_checkpoint(tiny_disk):
    store = CheckpointStore(tiny_disk / "ckpt", keep_last=None)
    save(store, 1)
    first = {suffix: pages(tiny_disk / "ckpt" / f"ckpt-000000001{suffix}") for suffix in FILES}
    needed = 0
    for suffix in FILES:  # room for the files before this one and for all but a page of it
        filler = fill_disk(tiny_disk, leave=(needed + first[suffix] - 1) * PAGE)
        with pytest.raises(OSError) as failed:
            save(store, 2)
        assert failed.value.errno == errno.ENOSPC
        assert failed.value.filename == str(tiny_disk / "ckpt" / f"ckpt-000000002{suffix}")
        assert_only_complete(store, [1])  # the files written before it were removed too
        filler.unlink()
        needed += first[suffix]
    filler = fill_disk(tiny_disk, leave=needed * PAGE)  # exactly enough
    save(store, 2)
    assert_only_complete(store, [1, 2])
    filler.unlink()


def test_disk_full_injected_at_fsync_of_each_file(tmp_path, monkeypatch):
    """The same without a mount: fsync of the chosen file's temp file reports ENOSPC."""
    store = CheckpointStore(tmp_path / "ckpt", keep_last=None)
    save(store, 1)
    real_fsync = os.fsync
    for suffix in FILES:
        def full_at(fd, suffix=suffix):
            name = os.readlink(f"/proc/self/fd/{fd}")
            if name.endswith(".tmp") and f"{suffix}." in os.path.basename(name):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", full_at)
        with pytest.raises(OSError) as failed:
            save(store, 2)
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert failed.value.errno == errno.ENOSPC and failed.value.filename.endswith(f"000002{suffix}")
        assert_only_complete(store, [1])


def test_run_writer_on_a_full_disk_leaves_no_half_record(tiny_disk):
    writer = RunWriter(tiny_disk / "run")
    writer.log_metrics({"kind": "step", "step": 1})
    writer.update_status(state="running", step=1)
    metrics = tiny_disk / "run" / "metrics.jsonl"
    filler = fill_disk(tiny_disk)
    with pytest.raises(OSError) as failed:  # bigger than what is left of the file's last page
        writer.log_metrics({"kind": "step", "step": 2, "padding": "x" * 2 * PAGE})
    assert failed.value.errno == errno.ENOSPC and failed.value.filename == str(metrics)
    assert [json.loads(line) for line in metrics.read_text().splitlines()] == [{"kind": "step", "step": 1}]
    with pytest.raises(OSError):
        writer.update_status(state="running", step=2, padding="x" * 2 * PAGE)
    assert RunReader(tiny_disk / "run").status().step == 1
    names = sorted(p.name for p in (tiny_disk / "run").iterdir())
    assert names == ["log.txt", "metrics.jsonl", "status.json"]
    with pytest.raises(OSError):
        writer.log_text("y" * 2 * PAGE)
    writer.close()  # nothing buffered: closing raises nothing
    filler.unlink()
    assert (tiny_disk / "run" / "log.txt").read_text() == ""


def test_a_full_disk_stops_studio_train_with_one_line_and_resume_continues(tiny_disk, tmp_path):
    files = make_training_folder(tmp_path)
    config = json.loads(files["config"].read_text())
    config["checkpoint"]["keep_last"] = 1000  # the run fills the disk itself
    files["config"].write_text(json.dumps(config))
    files["run"] = tiny_disk / "run"
    done = subprocess.run(train_command(files, resume=False), cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    last = CheckpointStore(files["run"] / "checkpoints").latest()
    assert len(lines) == 1 and lines[0].startswith("studio: error: the disk is full: cannot write "), lines
    assert f"Last good checkpoint: {last.path}." in lines[0]
    status = RunReader(files["run"]).status()
    assert status.state == "failed" and status.reason == lines[0].removeprefix("studio: error: ")
    assert unfinished_writes(files["run"]) == [] and not (files["run"] / ".lock").exists()
    assert (files["run"] / "metrics.jsonl").read_bytes().endswith(b"\n")
    check_checkpoints_load(files["run"])

    resize_tmpfs(tiny_disk, "8m")
    more = subprocess.run(train_command(files, True, "--steps", str(last.step + 3)), cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert more.returncode == 0, more.stderr
    assert RunReader(files["run"]).status().state == "finished" and newest_step(files["run"]) == last.step + 3


@pytest.mark.slow
def test_a_disk_that_stays_full_even_for_the_status(tiny_disk, tmp_path):
    """Whatever is freed is taken at once: the failure cannot be written anywhere, the command still
    ends with one line, and readers see a writer that is gone."""
    files = make_training_folder(tmp_path)
    files["run"] = tiny_disk / "run"
    resize_tmpfs(tiny_disk, "4m")
    proc = subprocess.Popen(train_command(files, resume=False), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while newest_step(files["run"]) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    hog = DiskHog(tiny_disk)
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        hog.stop()
    assert proc.returncode == 1 and out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error: the disk is full: cannot write "), lines
    last = CheckpointStore(files["run"] / "checkpoints").latest()
    assert f"Last good checkpoint: {last.path}." in lines[0]
    reader = RunReader(files["run"])
    assert reader.status().state == "failed" or not reader.is_alive()
    assert unfinished_writes(files["run"]) == []
    assert (files["run"] / "metrics.jsonl").read_bytes().endswith(b"\n")
    check_checkpoints_load(files["run"])
    more = subprocess.run(train_command(files, True, "--steps", str(last.step + 2)), cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert more.returncode == 0, more.stderr


def test_status_that_cannot_be_written_does_not_raise(tmp_path, monkeypatch):
    """The window's trainer (in-process): the failure is reported through the result and the event."""
    folder = make_image_folder(tmp_path / "images", classes=2, per_class=6, size=8)
    trainer = Trainer(tiny_cnn(2, 8), tiny_config(folder, steps=50), run_dir=tmp_path / "run",
                      callbacks=(recorder := Recorder()))
    assert trainer.prepare()
    real = RunWriter.update_status

    def full_after_step_3(self, **fields):
        if trainer.step >= 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.directory / "status.json"))
        real(self, **fields)

    monkeypatch.setattr(RunWriter, "update_status", full_after_step_3)
    result = trainer.run()
    assert result.status == "failed" and result.reason.startswith("the disk is full: cannot write ")
    assert result.kind == "disk_full"
    assert "status.json" in result.reason and "Last good checkpoint: " in result.reason
    assert recorder.of(FailedEvent)[-1].reason == result.reason
    assert RunReader(tmp_path / "run").status().state == "running"  # what it could write last ...
    assert not (tmp_path / "run" / ".lock").exists()  # ... but the writer is gone from the folder


def test_leftovers_of_killed_saves_are_removed_when_a_writer_opens_the_run(tmp_path):
    folder = make_image_folder(tmp_path / "images", classes=2, per_class=6, size=8)
    config = tiny_config(folder, steps=2)
    assert Trainer(tiny_cnn(2, 8), config, run_dir=tmp_path / "run").run().status == "finished"
    checkpoints = tmp_path / "run" / "checkpoints"
    planted = ["ckpt-000000007.safetensors", "ckpt-000000007.state.pt", ".ckpt-000000008.state.pt.x1.tmp",
               ".ckpt-000000008.safetensors.x2.tmp", ".ckpt-000000008.json.x3.tmp"]
    for name in planted:
        (checkpoints / name).write_bytes(b"half")
    assert len(leftovers(tmp_path / "run")) == 5
    trainer = Trainer(tiny_cnn(2, 8), config.replace(steps=3), resume=tmp_path / "run")
    assert trainer.prepare()  # before the first step, not at the first save
    assert leftovers(tmp_path / "run") == []
    assert trainer.run().step == 3
