"""Seeded stratified splits, saved with the run and reused."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.data import (
    DataConfig,
    DataError,
    load_split,
    prepare_image_data,
    save_split,
    stratified_split,
)
from tests.engine.image_folders import make_image_folder


def test_stratified_split_per_class_and_seeded():
    labels = np.repeat(np.arange(3), [10, 20, 1])
    train, val = stratified_split(labels, 0.2, seed=7)
    assert np.bincount(labels[val], minlength=3).tolist() == [2, 4, 0]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(31))
    again = stratified_split(labels, 0.2, seed=7)
    assert np.array_equal(again[1], val)
    assert not np.array_equal(stratified_split(labels, 0.2, seed=8)[1], val)


def test_a_small_class_keeps_one_training_image():
    train, val = stratified_split(np.array([0, 0, 1, 1, 1]), 0.9, seed=0)
    assert np.bincount(np.array([0, 0, 1, 1, 1])[train]).tolist() == [1, 1]


@pytest.mark.parametrize("fraction", [-0.1, 1.0])
def test_bad_fractions(fraction):
    with pytest.raises(DataError):
        stratified_split(np.zeros(4, int), fraction, 0)


def test_split_saved_and_reused(tmp_path):
    root = make_image_folder(tmp_path / "data", classes=2, per_class=10, size=8)
    config = DataConfig(str(root), val_split=0.3, split_seed=3)
    first = prepare_image_data(config, (1, 8, 8))
    save_split(first.split, tmp_path / "split.json")
    assert first.report.val_counts == (3, 3)
    make_image_folder(tmp_path / "data", classes=2, per_class=14, size=8, seed=1)  # 4 new files per class
    (root / "c0" / "0.png").unlink()
    again = prepare_image_data(config, (1, 8, 8), saved_split=load_split(tmp_path / "split.json"))
    assert set(again.val.files) == set(first.val.files) - {"c0/0.png"}
    assert set(again.train.files) == set(first.train.files) - {"c0/0.png"}
    assert len(again.train) + len(again.val) == 19
    assert any("missing or unreadable" in w for w in again.report.warnings)
    fresh = prepare_image_data(config, (1, 8, 8))
    assert len(fresh.train) + len(fresh.val) == 27


def test_split_file_errors(tmp_path):
    with pytest.raises(DataError, match="cannot read split"):
        load_split(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(DataError, match="not a Studio split"):
        load_split(tmp_path / "bad.json")
