"""Readers of a live run: a checkpoint the trainer prunes (keep last K) while it is listed, opened or
scored is skipped (CheckpointVanished), never an error that stops the reader; `studio eval --watch`
goes on with the next one, the projector picks again."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from studio.engine.checkpoints import CheckpointError, CheckpointStore
from studio.engine.checkpoints.inspector import list_run
from studio.engine.checkpoints.store import CheckpointVanished, _delete
from studio.engine.projector.source import open_source
from studio.engine.training import Trainer
from studio.engine.training.scoring import evaluate_checkpoint, evaluation_loop
from tests.engine.faults import REPO, make_training_folder, newest_step, train_command
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config

ROTATING_WRITER = """
import sys, torch
from studio.engine.checkpoints import CheckpointStore
store = CheckpointStore(sys.argv[1], keep_last=2)
step = 0
while True:
    store.save(step, {"w": torch.full((20000,), float(step))}, metrics={"step": step},
               training_state={"step": step, "m": torch.full((5000,), float(step))})
    if step == 0:
        print("saving", flush=True)
    step += 1
"""


def test_listing_and_opening_while_checkpoints_rotate(tmp_path):
    directory = tmp_path / "run" / "checkpoints"
    writer = subprocess.Popen([sys.executable, "-c", ROTATING_WRITER, str(directory)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    listings = loaded = vanished = 0
    try:
        assert writer.stdout.readline().strip() == "saving"
        store = CheckpointStore(directory, keep_last=None)
        deadline = time.monotonic() + 6.0
        while time.monotonic() < deadline or loaded < 20:
            infos = list_run(tmp_path / "run")  # what the checkpoint panel's run tree lists
            listings += 1
            assert [info.step for info in infos] == sorted(info.step for info in infos)
            for info in infos[:1]:  # the oldest: the next one pruned
                try:
                    weights = store.load_weights(info)
                    state = store.load_training_state(info)
                    store.load_spec(info)
                except CheckpointVanished:
                    vanished += 1
                    continue
                assert bool((weights["w"] == info.step).all()) and state["step"] == info.step
                loaded += 1
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    assert listings > 100 and loaded >= 20, (listings, loaded, vanished)


def test_a_vanished_checkpoint_is_named_as_such():
    from pathlib import Path

    from studio.engine.checkpoints import CheckpointInfo

    gone = CheckpointInfo(path=Path("/nowhere/ckpt-000000003.safetensors"), step=3,
                          state_path=Path("/nowhere/ckpt-000000003.state.pt"))
    store = CheckpointStore("/nowhere")
    for load in (store.load_weights, store.load_training_state):
        with pytest.raises(CheckpointVanished, match="ckpt-000000003 was removed while it was being read"):
            load(gone)
    with pytest.raises(CheckpointError, match="does not exist") as plain:  # a path is not a listing
        store.load_weights(gone.path)
    assert not isinstance(plain.value, CheckpointVanished)


@pytest.fixture(scope="module")
def run_with_checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("readers")
    folder = make_image_folder(root / "images", classes=2, per_class=8, size=8)
    config = tiny_config(folder, steps=4, checkpoint={"every_steps": 1, "keep_last": 10})
    assert Trainer(tiny_cnn(2, 8), config, run_dir=root / "run").run().status == "finished"
    return root


def copy_run(source, target):
    import shutil

    shutil.copytree(source, target)
    return target


def test_eval_watch_skips_a_checkpoint_pruned_before_it_was_scored(run_with_checkpoints, tmp_path):
    run = copy_run(run_with_checkpoints / "run", tmp_path / "run")
    checkpoints = run / "checkpoints"
    assert [info.step for info in CheckpointStore(checkpoints).list()] == [1, 2, 3, 4]

    def trainer_prunes_the_next(report):  # as keep-last-K does while the loop scores step 1
        if report.step == 1:
            _delete("ckpt-000000002", checkpoints)

    reports = evaluation_loop(run, run_with_checkpoints / "images", poll_seconds=0.01, timeout=0,
                              callback=trainer_prunes_the_next, device="cpu")
    assert [report.step for report in reports] == [1, 3, 4]


def test_eval_of_a_run_takes_the_newest_when_its_pick_vanished(run_with_checkpoints, tmp_path, monkeypatch):
    from studio.engine.training import scoring

    run = copy_run(run_with_checkpoints / "run", tmp_path / "run")
    real_score = scoring.CheckpointScorer.score
    calls = []

    def pruned_first(self, info=None):
        calls.append(info)
        if len(calls) == 1:  # the newest was replaced (a save of the same step) while the data decoded
            _delete(self.first.name, self.first.path.parent)
        return real_score(self, info)

    monkeypatch.setattr(scoring.CheckpointScorer, "score", pruned_first)
    report = evaluate_checkpoint(run, run_with_checkpoints / "images", device="cpu")
    assert report.step == 3 and len(calls) == 2


def test_the_projector_keeps_the_checkpoint_it_picked(run_with_checkpoints, tmp_path):
    run = copy_run(run_with_checkpoints / "run", tmp_path / "run")
    other = make_image_folder(tmp_path / "photos", classes=2, per_class=3, size=8, seed=7)
    pruned = []

    def trainer_prunes_while_decoding(stage, done, total):
        if not pruned:
            for info in CheckpointStore(run / "checkpoints").list():
                _delete(info.name, run / "checkpoints")
            pruned.append(stage)

    source = open_source(run, data_root=other, device="cpu", progress=trainer_prunes_while_decoding)
    try:
        assert pruned and source.checkpoint.step in (1, 2, 3, 4) and len(source.labels) == 6
    finally:
        source.close()


@pytest.mark.slow
def test_studio_eval_watch_follows_a_run_that_prunes_fast(tmp_path):
    files = make_training_folder(tmp_path)
    config = files["config"].read_text().replace('"keep_last": 3', '"keep_last": 1')
    files["config"].write_text(config)
    trainer = subprocess.Popen(train_command(files, resume=False), cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while newest_step(files["run"]) < 1:
            assert trainer.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        command = [sys.executable, "-m", "studio", "eval", str(files["run"]), "--watch", "--data",
                   str(files["data"]), "--device", "cpu", "--timeout", "10", "--json"]
        watch = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        trainer.kill()
        trainer.wait()
        trainer.stderr.close()
    assert watch.returncode == 0 and watch.stderr == "", watch.stderr
    scored = (files["run"] / "eval" / "metrics.jsonl").read_text().splitlines()
    assert len(scored) >= 3
