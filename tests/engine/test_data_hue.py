"""Hue augmentation: torchvision's hue shift on whole batches, seeded, RGB only, never on validation."""

from __future__ import annotations

import pytest
import torch
import torchvision.transforms.functional as TF

from studio.engine.data import AugmentConfig, Augmenter
from studio.engine.data.color import rgb_to_hsv, shift_hue
from studio.engine.data.errors import DataError
from studio.engine.runs import RunReader
from studio.engine.training import Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config

CPU = torch.device("cpu")


def _colour_batch(n: int = 8) -> torch.Tensor:
    torch.manual_seed(1)
    x = torch.rand(n, 3, 10, 10)
    x[0] = 0.4  # gray: has no hue to turn
    x[1, :, :4] = x[1, 1:2, :4]  # gray rows inside a colour image
    x[2] = (x[2] * 4).round() / 4  # ties between channels
    return x


@pytest.mark.parametrize("shift", [0.0, 0.1, -0.25, 0.5])
def test_shift_hue_equals_torchvision_adjust_hue(shift):
    x = _colour_batch()
    want = torch.stack([TF.adjust_hue(image, shift) for image in x])
    torch.testing.assert_close(shift_hue(x, torch.full((len(x),), shift)), want, atol=2e-6, rtol=0)


def test_hue_turns_colours_keeps_brightness_and_is_seeded():
    x = _colour_batch()
    config = AugmentConfig(hue=0.3)
    out = Augmenter(config, seed=7, device=CPU)(x, step=3)
    assert torch.equal(out, Augmenter(config, seed=7, device=CPU)(x, step=3))  # same seed and step
    assert not torch.equal(out, Augmenter(config, seed=8, device=CPU)(x, step=3))
    assert not torch.equal(out, Augmenter(config, seed=7, device=CPU)(x, step=4))
    before, after = rgb_to_hsv(x), rgb_to_hsv(out)
    torch.testing.assert_close(after[:, 2], before[:, 2], atol=1e-5, rtol=0)  # HSV value kept
    torch.testing.assert_close(after[:, 1], before[:, 1], atol=1e-4, rtol=0)  # and saturation
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    assert ((out * luma).sum(1).mean() - (x * luma).sum(1).mean()).abs() < 0.1  # brightness roughly
    assert torch.equal(out[0], x[0])  # a gray image has no hue
    turn = (after[1:, 0] - before[1:, 0]).remainder(1.0)
    turn = torch.minimum(turn, 1.0 - turn)[before[1:, 1] > 0.05]  # coloured pixels only
    assert turn.max() <= 0.3 + 1e-4 and turn.mean() > 0.02  # hues moved, by at most the setting


def test_hue_leaves_gray_inputs_alone_and_is_limited():
    x = torch.rand(4, 1, 6, 6)
    assert torch.equal(Augmenter(AugmentConfig(hue=0.5), seed=0, device=CPU)(x, step=0), x)
    with pytest.raises(DataError, match="at most 0.5"):
        AugmentConfig(hue=0.6)
    with pytest.raises(DataError, match="must not be negative"):
        AugmentConfig(hue=-0.1)


def test_training_with_hue_on_gray_images_says_so_in_the_data_report(tmp_path):
    make_image_folder(tmp_path / "gray", classes=2, per_class=6, size=8)
    config = tiny_config(tmp_path / "gray", steps=1, augment={"hue": 0.2})
    assert config.augment.hue == 0.2 and config.to_dict()["augment"]["hue"] == 0.2
    result = Trainer(tiny_cnn(2, 8), config, run_dir=tmp_path / "run").run()
    assert result.status == "finished", result.reason
    warnings = RunReader(tmp_path / "run").data_report()["warnings"]
    assert "hue augmentation has no effect: the model's input has 1 channel(s), not RGB" in warnings
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "hue augmentation has no effect" in log


def test_training_with_hue_on_colour_images_shifts_training_batches_only(tmp_path):
    make_image_folder(tmp_path / "rgb", classes=2, per_class=6, size=8, mode="RGB")
    config = tiny_config(tmp_path / "rgb", steps=1, augment={"hue": 0.2})
    trainer = Trainer(tiny_cnn(2, 8, channels=3), config, run_dir=tmp_path / "run")
    assert trainer.prepare()
    session = trainer.session
    assert session.train_loader.augmenter is not None and session.val_loader.augmenter is None
    assert not RunReader(tmp_path / "run").data_report()["warnings"]
    session.close()
