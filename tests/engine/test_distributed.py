"""Two gloo processes under torchrun: the same data coverage as one process, one run written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from studio.cli import main
from studio.engine.checkpoints import CheckpointStore
from studio.engine.runs import RunReader
from studio.engine.spec.io import save_spec
from tests.engine.image_folders import make_image_folder, tiny_cnn


def _args(run):
    return ["train", "spec.json", "--data", "images", "--epochs", "2", "--batch-size", "4", "--threads", "1",
            "--device", "cpu", "--run-dir", run, "--quiet"]


@pytest.mark.slow
def test_two_gloo_processes_cover_the_data_and_write_one_run(tmp_path, monkeypatch):
    make_image_folder(tmp_path / "images", classes=3, per_class=11, size=8)  # 33 images: 27 train, 6 val
    save_spec(tiny_cnn(3, 8), tmp_path / "spec.json")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    env = {**os.environ, "STUDIO_RUNS": str(tmp_path / "default_runs")}
    done = subprocess.run([*torchrun, "-m", "studio", *_args("ddp")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    monkeypatch.chdir(tmp_path)
    assert main(_args("single")) == 0  # the same command in one process

    ddp, single = RunReader(tmp_path / "ddp"), RunReader(tmp_path / "single")
    assert ddp.status().state == "finished" and ddp.status().world_size == 2
    assert single.status().world_size == 1
    assert (tmp_path / "ddp" / "split.json").read_text() == (tmp_path / "single" / "split.json").read_text()
    split = json.loads((tmp_path / "ddp" / "split.json").read_text())
    assert len(split["train"]) == 27 and len(split["val"]) == 6

    def epochs(reader):
        return [r for r in reader.read_metrics()[0] if r["kind"] == "epoch"]

    # every training image once per epoch; two processes pad 27 to 28 like DistributedSampler
    assert [r["images"] for r in epochs(single)] == [27, 27]
    assert [r["images"] for r in epochs(ddp)] == [28, 28]
    # 14 images per process in batches of 4 -> 4 steps per epoch (the last batch of 2)
    assert ddp.status().step == 8 and single.status().step == 14
    evals = [r for r in ddp.read_metrics()[0] if r["kind"] == "eval"]
    assert sum(sum(row) for row in evals[-1]["details"]["val/confusion"]) == 6  # each val image once

    store = CheckpointStore(tmp_path / "ddp" / "checkpoints")
    assert [info.step for info in store.list()] == [4, 8]
    names = sorted(p.name for p in (tmp_path / "ddp" / "checkpoints").iterdir())
    suffixes = ("json", "safetensors", "state.pt")
    assert names == sorted(f"ckpt-{s:09d}.{ext}" for s in (4, 8) for ext in suffixes)
    state = store.load_training_state(store.latest())
    assert state["world_size"] == 2 and len(state["rng"]) == 2
    assert not (tmp_path / "default_runs").exists()  # rank 1 wrote no run of its own
