"""The shipped demo dataset and model: present, small, and learnable by the small CNN."""

from __future__ import annotations

import pytest

from studio.engine.demo import DEMO_CLASSES, demo_config, demo_data_dir, demo_spec, demo_val_dir
from studio.engine.training import Trainer


def test_demo_folders_and_spec():
    for folder, per_class in ((demo_data_dir(), 500), (demo_val_dir(), 100)):
        classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
        assert tuple(classes) == DEMO_CLASSES
        assert all(len(list((folder / name).glob("*.png"))) == per_class for name in classes)
    size = sum(p.stat().st_size for p in demo_data_dir().parent.rglob("*.png"))
    assert size < 5_000_000
    spec = demo_spec()
    assert spec.input_nodes()[0].args["shape"] == [1, 28, 28] and spec.meta["template"] == "small_cnn"


@pytest.mark.slow
def test_small_cnn_learns_the_demo(tmp_path):
    config = demo_config(epochs=2, device="cpu", threads=1)
    assert config.data.val_root == str(demo_val_dir())
    result = Trainer(demo_spec(), config, run_dir=tmp_path / "run").run()
    assert result.status == "finished", result.reason
    assert result.metrics["val/accuracy"] > 0.75  # 10 classes: chance is 0.1; ~0.88 after 8 epochs
