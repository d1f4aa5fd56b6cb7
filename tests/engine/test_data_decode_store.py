"""The persistent decode cache: a second run on the same folder reuses the decoded images; any change
to the files, the shape or the settings decodes again; entries are complete or ignored; a size cap."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from studio.engine.data import DataConfig, prepare_image_data
from studio.engine.data.decode_store import ENV_DIR, DecodeStore, default_dir
from studio.engine.data.errors import DataError
from studio.engine.runs import RunReader
from studio.engine.training import Trainer
from tests.engine.image_folders import make_image_folder, tiny_cnn
from tests.engine.train_helpers import tiny_config


def _prepare(root, store, shape=(1, 8, 8), **options):
    config = DataConfig(str(root), keep_decoded_dir=str(store), **options)
    data = prepare_image_data(config, shape)
    data.close()
    return data


def _entries(store):
    return sorted(p.name for p in store.iterdir())


def test_a_second_run_reuses_everything_the_first_decoded(tmp_path):
    root = make_image_folder(tmp_path / "images", classes=2, per_class=5, size=10, mode="RGB")
    (root / "c0" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    first = _prepare(root, tmp_path / "store", shape=(3, 8, 8))
    assert not first.report.reused_decode and len(first.report.skipped) == 1
    assert len(_entries(tmp_path / "store")) == 2  # <key>.npy and <key>.json
    second = _prepare(root, tmp_path / "store", shape=(3, 8, 8))
    assert second.report.reused_decode
    np.testing.assert_array_equal(second.train.cache.images, first.train.cache.images)
    assert second.train.cache.failures == first.train.cache.failures
    np.testing.assert_array_equal(second.train.cache.ok, first.train.cache.ok)
    np.testing.assert_array_equal(second.train.cache.source_sizes, first.train.cache.source_sizes)
    a, b = first.report.to_dict(), second.report.to_dict()
    for changing in ("decode_seconds", "reused_decode"):
        a.pop(changing), b.pop(changing)
    assert a == b  # the same report: skipped files, sizes, modes, normalisation


def test_a_changed_added_or_removed_file_or_another_shape_decodes_again(tmp_path):
    root = make_image_folder(tmp_path / "images", classes=2, per_class=4, size=8)
    store = tmp_path / "store"
    _prepare(root, store)
    target = root / "c1" / "0.png"
    Image.fromarray(np.full((8, 8), 7, np.uint8), "L").save(target)  # new content, same name
    changed = _prepare(root, store)
    assert not changed.report.reused_decode
    index = [str(p) for p in sorted((root / "c1").iterdir())].index(str(target)) + 4
    assert (changed.train.cache.images[index] == 7).all()  # the new pixels, not the cached ones
    assert _prepare(root, store).report.reused_decode
    Image.fromarray(np.zeros((8, 8), np.uint8), "L").save(root / "c1" / "new.png")
    assert not _prepare(root, store).report.reused_decode
    (root / "c1" / "new.png").unlink()
    assert _prepare(root, store).report.reused_decode  # back to the first file list
    assert not _prepare(root, store, shape=(1, 6, 6)).report.reused_decode
    assert not _prepare(root, store, resize="stretch").report.reused_decode


def test_turned_off_writes_nothing_and_the_cap_must_be_positive(tmp_path):
    root = make_image_folder(tmp_path / "images", classes=2, per_class=3, size=8)
    data = _prepare(root, tmp_path / "store", keep_decoded=False)
    assert not data.report.reused_decode and not (tmp_path / "store").exists()
    with pytest.raises(DataError, match="keep_decoded_max_mb"):
        DataConfig(str(root), keep_decoded_max_mb=0)


def test_incomplete_or_damaged_entries_are_decoded_again(tmp_path):
    root = make_image_folder(tmp_path / "images", classes=2, per_class=3, size=8)
    store = tmp_path / "store"
    _prepare(root, store)
    (meta,) = store.glob("*.json")
    array = meta.with_suffix(".npy")
    array.write_bytes(array.read_bytes()[:-20])  # truncated array
    assert not _prepare(root, store).report.reused_decode
    assert _prepare(root, store).report.reused_decode  # rewritten whole
    meta.unlink()  # an array without its metadata: a write that never finished
    assert not _prepare(root, store).report.reused_decode
    meta.write_text(json.dumps({"version": 999}))
    assert not _prepare(root, store).report.reused_decode


def test_the_least_recently_used_entries_go_beyond_the_cap(tmp_path):
    store = DecodeStore(tmp_path / "store", max_bytes=3500)
    images = np.zeros((1, 1, 30, 30), np.uint8)  # ~1,120 bytes per entry with headers and metadata
    args = (np.ones(1, bool), {}, np.zeros((1, 2), np.int64), ["L"])
    for i, key in enumerate(("a", "b", "c")):
        assert store.save(key, images + i, *args)
        os.utime(store.root / f"{key}.json", (1000 + i, 1000 + i))  # a, then b, then c
    assert store.load("a", images.shape, mmap=False) is not None  # a is used again: now the newest
    assert store.save("d", images, *args)
    assert store.load("b", images.shape, mmap=False) is None  # the least recently used went
    assert all(store.load(key, images.shape, mmap=False) is not None for key in "acd")
    assert not store.save("huge", np.zeros((4, 1, 30, 30), np.uint8), *args)  # alone over the cap
    assert not (store.root / "huge.npy").exists()


def test_a_memmapped_entry_can_be_written_in_memory_only(tmp_path):
    store = DecodeStore(tmp_path / "store", max_bytes=1 << 20)
    images = np.arange(2 * 3 * 4 * 4, dtype=np.uint8).reshape(2, 3, 4, 4)
    store.save("k", images, np.ones(2, bool), {}, np.zeros((2, 2), np.int64), ["RGB", "RGB"])
    entry = store.load("k", images.shape, mmap=True)
    entry.images[0] = 0  # copy-on-write: the stored entry is untouched
    np.testing.assert_array_equal(store.load("k", images.shape, mmap=False).images, images)


def test_training_twice_reuses_the_decode_from_the_user_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_DIR, str(tmp_path / "user_cache"))
    assert default_dir() == tmp_path / "user_cache"
    root = make_image_folder(tmp_path / "images", classes=2, per_class=6, size=8)
    for run, reused in (("one", False), ("two", True)):
        result = Trainer(tiny_cnn(2, 8), tiny_config(root, steps=1), run_dir=tmp_path / run).run()
        assert result.status == "finished", result.reason
        assert RunReader(tmp_path / run).data_report()["reused_decode"] is reused
    assert len(list((tmp_path / "user_cache").glob("*.json"))) == 1
