"""Real training runs for the checkpoint panel tests: a tiny CNN trained for a few steps on image
files written with PIL (a couple of seconds), leaving a run folder with several checkpoints."""

from __future__ import annotations

from pathlib import Path

from studio.engine.spec.model import ModelSpec
from studio.engine.training import TrainConfig, Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn


def train_config(data: Path, steps: int) -> TrainConfig:
    return TrainConfig.from_dict({
        "data": {"root": str(data), "val_split": 0.25}, "steps": steps, "batch_size": 8, "device": "cpu",
        "threads": 1, "log_every": 4, "eval_every_steps": 4, "checkpoint": {"every_steps": 4},
        "optimizer": {"name": "adam", "lr": 0.01}})


def short_run(root: Path, classes: int = 2, steps: int = 12, spec: ModelSpec | None = None) -> Path:
    """Train ``spec`` (default: the tiny CNN) on ``classes`` classes; returns the run folder."""
    data = make_image_folder(root / "data", classes=classes, per_class=12, seed=1)
    result = Trainer(spec or tiny_cnn(classes), train_config(data, steps), run_dir=root / "run").run()
    assert result.status == "finished", result.reason
    return root / "run"
