"""Batches from the cache: epoch order and shards, normalisation, augmentation, disk cache."""

from __future__ import annotations

import numpy as np
import torch

from studio.engine.data import (
    AugmentConfig,
    Augmenter,
    BatchLoader,
    DataConfig,
    batch_bounds,
    epoch_order,
    load_images,
    prepare_image_data,
)
from tests.engine.image_folders import make_image_folder

CPU = torch.device("cpu")


def test_shards_cover_the_epoch_like_distributed_sampler():
    full = epoch_order(11, epoch=2, seed=5)
    shards = [epoch_order(11, 2, 5, rank=r, world=3) for r in range(3)]
    assert all(len(s) == 4 for s in shards)
    seen = np.concatenate(shards)
    assert set(seen.tolist()) == set(range(11))
    assert sorted(seen.tolist()) == sorted(full.tolist() + full[:1].tolist())
    assert not np.array_equal(epoch_order(11, 3, 5), full)
    assert np.array_equal(epoch_order(11, 2, 5), full)


def test_batch_bounds_never_leave_a_single_image():
    assert batch_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert batch_bounds(9, 4) == [(0, 4), (4, 9)]
    assert batch_bounds(1, 4) == [(0, 1)]


def _data(tmp_path, **config):
    root = make_image_folder(tmp_path / "d", classes=2, per_class=8, size=8)
    return prepare_image_data(DataConfig(str(root), val_split=0.25, **config), (1, 8, 8))


def test_batches_are_normalised_pixels_with_their_labels(tmp_path):
    data = _data(tmp_path)
    loader = BatchLoader(data.train, 5, CPU, data.normalization, seed=1)
    mean, std = data.normalization.mean[0], data.normalization.std[0]
    positions = loader.epoch_positions(0)
    seen = []
    for i, (x, y) in enumerate(loader.batches(0)):
        lo, hi = loader.bounds[i]
        rows = data.train.rows[positions[lo:hi]]
        expected = (data.train.cache.images[rows].astype(np.float32) / 255 - mean) / std
        np.testing.assert_allclose(x.numpy(), expected, rtol=1e-5, atol=1e-5)
        assert y.tolist() == data.train.labels[positions[lo:hi]].tolist()
        seen += rows.tolist()
    assert sorted(seen) == sorted(data.train.rows.tolist())
    assert abs(np.mean(np.concatenate([x.numpy().ravel() for x, _ in loader.batches(0)]))) < 1e-4


def test_disk_cache_gives_the_same_batches(tmp_path):
    memory = _data(tmp_path, cache="memory")
    disk = _data(tmp_path, cache="disk", cache_dir=str(tmp_path))
    assert disk.train.cache.storage == "disk" and isinstance(disk.train.cache.images, np.memmap)
    a = list(BatchLoader(memory.train, 4, CPU, memory.normalization, seed=3).batches(1))
    b = list(BatchLoader(disk.train, 4, CPU, disk.normalization, seed=3).batches(1))
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        order_a, order_b = torch.argsort(xa.flatten(1).sum(1)), torch.argsort(xb.flatten(1).sum(1))
        assert torch.equal(xa[order_a], xb[order_b]) and torch.equal(ya[order_a], yb[order_b])
    disk.close()
    assert not list(tmp_path.glob("studio-cache-*"))


def test_augmentation_is_seeded_by_step_and_stays_in_range():
    config = AugmentConfig(hflip=True, brightness=0.2, contrast=0.3, saturation=0.3, crop_scale=0.5,
                           rotation=15)
    x = torch.rand(6, 3, 8, 8)
    augment = Augmenter(config, seed=4, device=CPU)
    first = augment(x, step=10)
    assert torch.equal(first, Augmenter(config, seed=4, device=CPU)(x, step=10))
    assert not torch.equal(first, augment(x, step=11))
    assert first.shape == x.shape and first.min() >= 0 and first.max() <= 1


def test_flip_only_flips():
    x = torch.rand(16, 1, 4, 4)
    out = Augmenter(AugmentConfig(hflip=True), seed=0, device=CPU)(x, step=0)
    flipped = [torch.equal(o, xi.flip(2)) for o, xi in zip(out, x, strict=True)]
    same = [torch.equal(o, xi) for o, xi in zip(out, x, strict=True)]
    assert all(f or s for f, s in zip(flipped, same, strict=True)) and any(flipped) and any(same)


def test_load_images_reports_failures_without_raising(tmp_path):
    make_image_folder(tmp_path, classes=1, per_class=2, size=8)
    (tmp_path / "bad.png").write_bytes(b"junk")
    paths = [tmp_path / "c0" / "0.png", tmp_path / "bad.png", tmp_path / "c0" / "1.png"]
    cache = load_images(paths, (1, 8, 8))
    assert cache.ok.tolist() == [True, False, True] and 1 in cache.failures
    assert cache.images.shape == (3, 1, 8, 8) and cache.images.dtype == np.uint8
    assert cache.images[1].max() == 0
