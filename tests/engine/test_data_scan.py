"""Scanning image folders: class folders, label rules, unicode names and unusable folders."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.engine.data import DataConfig, DataError, LabelRule, prepare_image_data, scan_image_folder
from tests.engine.image_folders import make_image_folder


def _png(path, value=128, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, value).save(path)


def test_class_folders_any_depth_natural_order(tmp_path):
    for name in ("class_10", "class_2", "class_1"):
        _png(tmp_path / name / "a.png")
    _png(tmp_path / "class_2" / "deep" / "er" / "b.png")
    _png(tmp_path / "loose.png")
    index = scan_image_folder(tmp_path)
    assert index.class_names == ("class_1", "class_2", "class_10")
    assert dict(zip(index.files, index.labels.tolist(), strict=True)) == {
        "class_1/a.png": 0, "class_2/a.png": 1, "class_2/deep/er/b.png": 1, "class_10/a.png": 2}
    assert [(s.path, s.reason) for s in index.skipped] == [("loose.png", "not inside a class folder")]


def test_index_rule_is_flowers17():
    rule = LabelRule.from_value("index:80")
    assert rule.label_of("image_0001.jpg") == "class_0"
    assert rule.label_of("image_0080.jpg") == "class_0"
    assert rule.label_of("image_0081.jpg") == "class_1"
    assert rule.label_of("image_1360.jpg") == "class_16"
    assert rule.label_of("readme.jpg") is None


def test_index_rule_on_a_flat_folder(tmp_path):
    for number in range(1, 10):
        _png(tmp_path / f"image_{number:04d}.png")
    _png(tmp_path / "cover.png")
    rule = LabelRule("index", per_class=3, class_names=("daffodil", "iris", "tulip"))
    index = scan_image_folder(tmp_path, rule)
    assert index.class_names == ("daffodil", "iris", "tulip")
    assert index.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert index.skipped[0].path == "cover.png"
    assert "label rule" in index.skipped[0].reason


def test_regex_rule_with_named_group(tmp_path):
    for name in ("cat_1.png", "dog_1.png", "cat_2.png", "x.png"):
        _png(tmp_path / name)
    rule = LabelRule.from_value({"kind": "regex", "pattern": r"^(?P<label>[a-z]+)_\d"})
    index = scan_image_folder(tmp_path, rule)
    assert index.class_names == ("cat", "dog")
    assert index.labels.tolist() == [0, 0, 1]


@pytest.mark.parametrize("value", ["nonsense", {"kind": "regex"}, "regex:([a-z", "regex:abc", {"kind": "x1"}])
def test_bad_label_rules_are_clear_errors(value):
    with pytest.raises(DataError):
        LabelRule.from_value(value)


def test_unicode_names(tmp_path):
    _png(tmp_path / "chiens é" / "щенок_猫.png")
    _png(tmp_path / "chats" / "😺.png")
    data = prepare_image_data(DataConfig(str(tmp_path), val_split=0.0), (1, 8, 8))
    assert data.class_names == ("chats", "chiens é")
    assert sorted(data.train.files) == ["chats/😺.png", "chiens é/щенок_猫.png"]


def test_missing_and_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        scan_image_folder(tmp_path / "nope")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(DataError, match="no usable images"):
        scan_image_folder(tmp_path)
    (tmp_path / "a" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="could be read"):
        prepare_image_data(DataConfig(str(tmp_path)), (1, 8, 8))


def test_validation_folder_uses_training_classes(tmp_path):
    make_image_folder(tmp_path / "train", classes=3, per_class=4, size=8)
    make_image_folder(tmp_path / "val", classes=2, per_class=2, size=8, names=("c2", "other"))
    data = prepare_image_data(DataConfig(str(tmp_path / "train"), val_root=str(tmp_path / "val")), (1, 8, 8))
    assert data.class_names == ("c0", "c1", "c2")
    assert np.all(data.val.labels == 2) and len(data.val) == 2
    assert any("not one of the model's classes" in reason for _, reason in data.report.skipped)
    assert data.report.val_counts == (0, 0, 2)
