"""The trainer end to end on real image files: learning, events, run files, failures."""

from __future__ import annotations

import json
import math

import pytest
import torch

from studio.engine.checkpoints import CheckpointStore
from studio.engine.runs import RunReader
from studio.engine.spec.builder import SpecBuilder
from studio.engine.training import (
    CheckpointEvent,
    DataReportEvent,
    EpochEvent,
    EvalEvent,
    FailedEvent,
    FinishedEvent,
    StateEvent,
    StepEvent,
    Trainer,
)
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import Recorder, tiny_config


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("data") / "images", classes=3, per_class=16, size=12)


def test_learns_better_than_chance_and_writes_the_run(folder, tmp_path):
    events = Recorder()
    config = tiny_config(folder, epochs=4, log_every=2)
    result = Trainer(tiny_cnn(3, 12), config, run_dir=tmp_path / "run", callbacks=events).run()
    assert result.status == "finished" and result.reason == "completed"
    assert result.step == 4 * 5  # 36 training images, batches of 8 (the last one of 4)
    assert result.metrics["val/accuracy"] > 0.6  # chance is 1/3
    kinds = [type(e) for e in events.events]
    assert kinds.index(DataReportEvent) < kinds.index(StepEvent) < kinds.index(EvalEvent)
    assert kinds[-1] is FinishedEvent and len(events.of(EpochEvent)) == 4
    assert [e.state for e in events.of(StateEvent)] == ["preparing", "running", "finished"]
    steps = events.of(StepEvent)
    assert [e.step for e in steps][:3] == [2, 4, 5] and all(e.images_per_s > 0 for e in steps)
    assert steps[0].losses == {"cross_entropy": pytest.approx(steps[0].loss)}
    reader = RunReader(tmp_path / "run")
    status = reader.status()
    assert status.state == "finished" and status.step == 20 and status.reason == "completed"
    assert reader.config()["batch_size"] == 8 and reader.spec().name == "tiny"
    assert reader.data_report()["class_names"] == ["c0", "c1", "c2"]
    records, _ = reader.read_metrics()
    assert {r["kind"] for r in records} == {"step", "eval", "epoch"}
    assert [c.step for c in reader.checkpoints()] == [5, 10, 15, 20]  # one per evaluation
    best = CheckpointStore(tmp_path / "run" / "checkpoints").best()
    assert best is not None and result.best_checkpoint == str(best.path)
    assert "device: cpu" in (tmp_path / "run" / "log.txt").read_text()


def test_losses_per_output_are_weighted_and_logged(folder, tmp_path):
    b = SpecBuilder("two_heads")
    x = b.input("image", [1, 12, 12])
    x = b.layer("flatten", "flatten", x)
    x = b.layer("hidden", "fully_connected", x, out_features=16, activation="relu", l2=0.01)
    b.output("main", b.layer("head_a", "fully_connected", x, out_features=3))
    b.output("aux", b.layer("head_b", "fully_connected", x, out_features=3))
    spec = b.build()
    losses = [{"output": "main", "kind": "cross_entropy", "label_smoothing": 0.1},
              {"output": "aux", "kind": "mse", "weight": 0.5}]
    events = Recorder()
    result = Trainer(spec, tiny_config(folder, epochs=1, losses=losses), callbacks=events).run()
    assert result.status == "finished", result.reason
    step = events.of(StepEvent)[0]
    parts = step.losses
    assert set(parts) == {"main/cross_entropy", "aux/mse", "regularization"}
    assert step.loss == pytest.approx(parts["main/cross_entropy"] + 0.5 * parts["aux/mse"]
                                      + parts["regularization"], rel=1e-5)
    metrics = events.of(EvalEvent)[-1].metrics
    assert {"val/main/accuracy", "val/aux/mae", "val/aux/mse", "val/main/cross_entropy"} <= set(metrics)


def test_pause_resume_and_stop_from_another_thread(folder, tmp_path):
    import threading

    reached, paused = threading.Event(), threading.Event()

    def watch(event):
        if isinstance(event, StepEvent) and event.step >= 3:
            reached.set()
        if isinstance(event, StateEvent) and event.state == "paused":
            paused.set()

    events = Recorder()
    trainer = Trainer(tiny_cnn(3, 12), tiny_config(folder, steps=100_000, eval_every_steps=None),
                      run_dir=tmp_path / "run", callbacks=[events, watch])
    assert trainer.prepare()
    worker = threading.Thread(target=trainer.run)
    worker.start()
    try:
        assert reached.wait(300)
        trainer.pause()
        assert paused.wait(300)
        frozen = trainer.step
        assert RunReader(tmp_path / "run").status().state == "paused"
        worker.join(0.3)
        assert trainer.step == frozen and trainer.paused
        trainer.resume()
        while trainer.step < frozen + 3 and worker.is_alive():  # progress after resuming
            worker.join(0.01)
        trainer.stop()
    finally:
        trainer.stop()
        worker.join(300)
    assert not worker.is_alive()
    result = trainer.result
    assert result.status == "finished" and result.reason == "stopped" and result.step > frozen
    saved = events.of(CheckpointEvent)[-1]  # "scheduled" when the stop came right after an epoch's save
    assert saved.step == result.step and saved.reason in ("stopped", "scheduled")
    assert RunReader(tmp_path / "run").status().state == "finished"
    states = [e.state for e in events.of(StateEvent)]
    assert states[-3:] == ["paused", "running", "finished"]


def test_nan_loss_stops_naming_the_step_and_last_good_checkpoint(folder, tmp_path):
    events = Recorder()
    config = tiny_config(folder, steps=200, optimizer={"name": "sgd", "lr": 1e12, "momentum": 0.0},
                         checkpoint={"every_steps": 1})
    result = Trainer(tiny_cnn(3, 12), config, run_dir=tmp_path / "run", callbacks=events).run()
    assert result.status == "failed"
    failed = events.of(FailedEvent)[-1]
    assert f"NaN or infinite at step {failed.step}" in failed.reason and failed.step == result.step > 1
    assert failed.kind == result.kind == "nan"
    store = CheckpointStore(tmp_path / "run" / "checkpoints")
    assert failed.last_checkpoint == str(store.latest().path) and failed.last_checkpoint in failed.reason
    assert store.latest().step == failed.step - 1
    assert all(torch.isfinite(w).all() for w in store.load_weights(store.latest()).values())
    status = RunReader(tmp_path / "run").status()
    assert status.state == "failed" and "NaN" in status.reason
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert all(math.isfinite(r["loss"]) and r["step"] < failed.step for r in records if r["kind"] == "step")


def test_a_spec_that_does_not_fit_the_data_is_reported(folder):
    events = Recorder()
    result = Trainer(tiny_cnn(2, 12), tiny_config(folder), callbacks=events).run()
    assert result.status == "failed" and "3 classes" in result.reason
    assert "gives 2 values but the data has 3 classes: set fc to 3 outputs" in result.reason
    assert isinstance(events.events[-1], FailedEvent) and events.events[-1].kind == result.kind == "fit"
    b = SpecBuilder("broken")
    x = b.input("image", [1, 12, 12])
    x = b.layer("conv", "conv2d", x, out_channels=4, kernel_size=30, padding="valid")  # larger than 12x12
    b.output("logits", b.layer("fc", "fully_connected", b.layer("flat", "flatten", x), out_features=3))
    result = Trainer(b.build(), tiny_config(folder)).run()
    assert result.status == "failed" and "does not compile" in result.reason and "conv" in result.reason
    assert result.kind == "spec"
    b = SpecBuilder("unflattened")
    x = b.input("image", [1, 12, 12])
    b.output("logits", b.layer("fc", "fully_connected", x, out_features=3))
    result = Trainer(b.build(), tiny_config(folder)).run()
    assert result.status == "failed" and "one value per class" in result.reason and result.kind == "fit"


def test_bad_data_folder_is_reported_before_training(tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    events = Recorder()
    trainer = Trainer(tiny_cnn(3, 12), tiny_config(tmp_path / "empty"), callbacks=events)
    assert not trainer.prepare()
    assert "no usable images" in trainer.result.reason and not events.of(StepEvent)
    assert trainer.result.kind == events.of(FailedEvent)[-1].kind == "data"


def test_running_out_of_memory_is_reported_and_the_process_survives(folder):
    b = SpecBuilder("huge")
    x = b.input("image", [1, 12, 12])
    x = b.layer("up", "conv2d_transpose", x, out_channels=1, kernel_size=1, stride=200_000, padding="valid")
    x = b.layer("gap", "global_avg_pool", x)  # (the head fits the classes: it is the memory that fails)
    b.output("logits", b.layer("fc", "fully_connected", x, out_features=3))
    result = Trainer(b.build(), tiny_config(folder, steps=2)).run()
    assert result.status == "failed"
    assert "out of memory" in result.reason and "--batch-size 4" in result.reason
    assert result.kind == "out_of_memory"
    assert Trainer(tiny_cnn(3, 12), tiny_config(folder, steps=2)).run().status == "finished"


def test_early_stopping_and_step_budget(folder):
    config = tiny_config(folder, steps=400, eval_every_steps=2, optimizer={"lr": 1e-9},
                         early_stopping={"metric": "val/loss", "mode": "min", "patience": 2,
                                         "min_delta": 0.5})
    result = Trainer(tiny_cnn(3, 12), config).run()
    assert result.status == "finished" and result.reason == "early stopping" and result.step == 6


def test_mixed_precision_and_channels_last_path_on_cpu(folder, tmp_path):
    """The CUDA defaults (autocast + channels_last), forced on for the CPU so the path always runs."""
    config = tiny_config(folder, epochs=2, amp="on", channels_last="on")
    result = Trainer(tiny_cnn(3, 12), config, run_dir=tmp_path / "run").run()
    assert result.status == "finished" and math.isfinite(result.metrics["val/loss"])
    assert "mixed precision bfloat16, channels_last" in RunReader(tmp_path / "run").status().device
    weights = CheckpointStore(tmp_path / "run" / "checkpoints").load_weights(result.last_checkpoint)
    assert weights["conv1.weight"].dtype == torch.float32 and weights["conv1.weight"].is_contiguous()


def test_checkpoints_by_time_keep_the_last_k_and_the_best(folder, tmp_path):
    events = Recorder()
    config = tiny_config(folder, epochs=2, checkpoint={"every_seconds": 0.0, "keep_last": 2})
    trainer = Trainer(tiny_cnn(3, 12), config, run_dir=tmp_path / "run", callbacks=events)
    result = trainer.run()
    assert [e.step for e in events.of(CheckpointEvent)] == list(range(1, result.step + 1))
    kept = CheckpointStore(tmp_path / "run" / "checkpoints").list()
    best = [info.step for info in kept if info.is_best]
    assert [info.step for info in kept if not info.is_best][-2:] == [result.step - 1, result.step]
    assert len(kept) <= 3 and len(best) == 1 and best[0] % 5 == 0  # the best has evaluation metrics
    assert trainer.run() is result  # a trainer runs once
