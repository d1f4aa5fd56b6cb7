"""Fine-tuning end to end: train on K classes of image files, restore all but the head into a
model with M classes, train on, and check what was restored, frozen and fresh."""

from __future__ import annotations

import torch

from studio.engine.checkpoints import CheckpointStore
from studio.engine.checkpoints.restore import restore, unfreeze
from studio.engine.checkpoints.selection import Selection
from studio.engine.training import TrainConfig, Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn


def config(root, steps: int) -> TrainConfig:
    return TrainConfig.from_dict({"data": {"root": str(root), "val_split": 0.25}, "steps": steps,
                                  "batch_size": 8, "device": "cpu", "threads": 1, "log_every": 5,
                                  "optimizer": {"name": "adam", "lr": 0.01}})


def test_finetune_k_to_m_classes_restores_all_but_the_head(tmp_path):
    old_task = make_image_folder(tmp_path / "old", classes=2, per_class=12, seed=1)
    first = Trainer(tiny_cnn(classes=2), config(old_task, steps=12), run_dir=tmp_path / "run_old").run()
    assert first.status == "finished", first.reason
    store = CheckpointStore(tmp_path / "run_old" / "checkpoints")
    checkpoint = store.load_weights(store.latest())
    assert checkpoint["fc.weight"].shape[0] == 2

    new_task = make_image_folder(tmp_path / "new", classes=4, per_class=10, seed=2)
    trainer = Trainer(tiny_cnn(classes=4), config(new_task, steps=10), run_dir=tmp_path / "run_new")
    assert trainer.prepare()
    model = trainer.session.model
    fresh_head = {name: value.detach().clone() for name, value in model.state_dict().items()
                  if name.startswith("fc.")}

    result = restore(model, store.latest().path, Selection(exclude=("fc",)), freeze=True)
    assert {e.name: e.status for e in result.plan.model} == {
        "conv1.weight": "restore", "conv1.bias": "restore", "fc.weight": "excluded", "fc.bias": "excluded"}
    assert set(result.frozen) == {"conv1.weight", "conv1.bias"}
    for name in ("conv1.weight", "conv1.bias"):
        assert torch.equal(model.state_dict()[name].cpu(), checkpoint[name])
    for name, value in fresh_head.items():
        assert torch.equal(model.state_dict()[name], value)  # the head keeps its fresh initialisation

    second = trainer.run()
    assert second.status == "finished", second.reason
    trained = model.state_dict()
    for name in ("conv1.weight", "conv1.bias"):  # frozen: still exactly the old task's features
        assert torch.equal(trained[name].cpu(), checkpoint[name])
    assert not torch.equal(trained["fc.weight"], fresh_head["fc.weight"])  # the new head learned
    assert trained["fc.weight"].shape[0] == 4
    assert unfreeze(model) == ["conv1.weight", "conv1.bias"]
