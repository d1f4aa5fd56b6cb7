"""Resuming from a checkpoint continues exactly: the same losses on CPU as an uninterrupted run."""

from __future__ import annotations

import torch

from studio.engine.checkpoints import CheckpointStore
from studio.engine.runs import RunReader
from studio.engine.training import StepEvent, Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import Recorder, tiny_config

AUGMENT = {"hflip": True, "crop_scale": 0.6, "rotation": 10.0, "brightness": 0.1, "contrast": 0.2}


def test_resume_mid_epoch_matches_an_uninterrupted_run(tmp_path):
    folder = make_image_folder(tmp_path / "images", classes=3, per_class=14, size=12)
    config = tiny_config(folder, epochs=3, augment=AUGMENT, optimizer={"name": "adamw", "weight_decay": 0.01},
                         schedule={"name": "cosine", "warmup_steps": 2})
    spec = tiny_cnn(3, 12, dropout=0.3)  # dropout draws from the global generator
    straight = Recorder()
    total = Trainer(spec, config, run_dir=tmp_path / "straight", callbacks=straight).run().step
    assert total == 12  # 30 training images in batches of 8: 4 steps per epoch

    def stop_at_6(event):
        if isinstance(event, StepEvent) and event.step == 6:
            trainer.stop()

    first = Recorder()
    trainer = Trainer(spec, config, run_dir=tmp_path / "interrupted", callbacks=[first, stop_at_6])
    stopped = trainer.run()
    assert stopped.reason == "stopped" and stopped.step == 6  # in the middle of epoch 2
    state = CheckpointStore(tmp_path / "interrupted" / "checkpoints").latest()
    assert state.step == 6 and state.reason == "stopped"

    second = Recorder()
    resumed = Trainer(spec, config, callbacks=second, resume=tmp_path / "interrupted").run()
    assert resumed.status == "finished" and resumed.step == total
    expected = straight.losses()
    continued = second.losses()
    assert sorted(continued) == list(range(7, total + 1))
    assert all(continued[step] == expected[step] for step in continued), (continued, expected)
    assert all(first.losses()[step] == expected[step] for step in range(1, 7))
    final_a = CheckpointStore(tmp_path / "straight" / "checkpoints").latest()
    final_b = CheckpointStore(tmp_path / "interrupted" / "checkpoints").latest()
    assert final_b.step == total
    a = CheckpointStore(final_a.path.parent).load_weights(final_a)
    b = CheckpointStore(final_b.path.parent).load_weights(final_b)
    assert all(torch.equal(a[k], b[k]) for k in a)
    records, _ = RunReader(tmp_path / "interrupted").read_metrics()
    assert [r["step"] for r in records if r["kind"] == "resume"] == [6]


def test_training_state_loads_with_weights_only(tmp_path):
    folder = make_image_folder(tmp_path / "images", classes=2, per_class=6, size=8)
    Trainer(tiny_cnn(2, 8), tiny_config(folder, steps=2), run_dir=tmp_path / "run").run()
    info = CheckpointStore(tmp_path / "run" / "checkpoints").latest()
    state = torch.load(info.state_path, weights_only=True)
    assert state["step"] == 2 and set(state) >= {"optimizer", "scheduler", "rng", "early_stopping"}
    assert isinstance(state["rng"][0]["torch"], torch.Tensor)


def test_resume_from_a_missing_checkpoint_is_a_clear_failure(tmp_path):
    folder = make_image_folder(tmp_path / "images", classes=2, per_class=6, size=8)
    result = Trainer(tiny_cnn(2, 8), tiny_config(folder), resume=tmp_path / "nowhere.safetensors").run()
    assert result.status == "failed" and "does not exist" in result.reason
