"""A folder seeded with every kind of bad or odd file: odd modes are used, bad files are skipped
and listed with reasons, and training data is still produced."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from studio.engine.data import DataConfig, decode_image, prepare_image_data
from tests.engine.image_folders import make_image_folder


@pytest.fixture
def seeded_folder(tmp_path):
    root = make_image_folder(tmp_path / "data", classes=2, per_class=6, size=10)
    odd = root / "c0"
    Image.new("L", (10, 10), 90).save(odd / "gray.png")
    Image.new("RGBA", (10, 10), (200, 10, 10, 128)).save(odd / "rgba.png")
    Image.new("P", (10, 10), 3).save(odd / "palette.png")
    Image.fromarray(np.full((10, 10), 65535, np.uint16)).save(odd / "sixteen.png")
    Image.new("CMYK", (10, 10), (0, 255, 255, 0)).save(odd / "cmyk.jpg")
    Image.new("RGB", (30, 10), (10, 200, 30)).save(odd / "wide.bmp")
    Image.new("L", (10, 10), 1).save(odd / "ünïcödé 猫.png")
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(buffer, "PNG")
    (odd / "truncated.png").write_bytes(buffer.getvalue()[:400])
    (odd / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (odd / "zero.png").write_bytes(b"")
    (odd / "notes.txt").write_text("not an image")
    (odd / "fake.png").write_text("<html>not an image</html>")
    Image.new("1", (12000, 12000)).save(odd / "bomb.png")  # 144 Mpixel, 17 kB on disk
    (root / "empty_class").mkdir()
    (root / "only_one").mkdir()
    Image.new("L", (10, 10), 7).save(root / "only_one" / "single.png")
    return root


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # pytest resets our filter
def test_seeded_folder_is_skipped_and_reported(seeded_folder):
    data = prepare_image_data(DataConfig(str(seeded_folder), val_split=0.25), (3, 10, 10))
    report = data.report
    reasons = {path.rsplit("/", 1)[1]: reason for path, reason in report.skipped}
    assert set(reasons) == {"truncated.png", "corrupt.jpg", "zero.png", "notes.txt", "fake.png", "bomb.png"}
    assert reasons["truncated.png"] == "truncated image file"
    assert reasons["zero.png"] == "empty file (0 bytes)"
    assert reasons["notes.txt"] == "not an image file (.txt)"
    assert "not a readable image" in reasons["fake.png"]
    assert "too large (12000x12000" in reasons["bomb.png"]
    assert report.class_names == ("c0", "c1", "only_one")
    assert sum(report.train_counts) + sum(report.val_counts) == 6 + 7 + 6 + 1
    assert report.train_counts[2] == 1 and report.val_counts[2] == 0  # the one image trains
    assert any("empty_class" in w for w in report.warnings)
    assert any("'only_one' has a single image" in w for w in report.warnings)
    assert {"L", "RGBA", "P", "I;16", "CMYK", "RGB"} <= set(report.modes)
    assert report.image_sizes["width"]["max"] == 30
    assert data.train.cache.images.shape[1:] == (3, 10, 10)
    assert report.to_dict()["skipped"][0].keys() == {"path", "reason"}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_odd_modes_convert_to_the_declared_channels(seeded_folder):
    odd = seeded_folder / "c0"
    gray, size, mode = decode_image(odd / "sixteen.png", 1, 10, 10)
    assert mode == "I;16" and size == (10, 10) and gray.shape == (1, 10, 10) and gray.max() == 255
    rgb, _, _ = decode_image(odd / "cmyk.jpg", 3, 10, 10)
    assert rgb.shape == (3, 10, 10) and rgb[0].mean() > 200 and rgb[1].mean() < 60  # CMYK red -> red
    rgb, _, _ = decode_image(odd / "rgba.png", 3, 10, 10)
    assert tuple(rgb[:, 0, 0]) == (200, 10, 10)
    one, _, _ = decode_image(odd / "gray.png", 3, 10, 10)
    assert np.all(one == 90)


def test_crop_resize_keeps_the_centre(tmp_path):
    image = np.zeros((10, 30), np.uint8)
    image[:, 10:20] = 255  # a white centre square in a wide image
    Image.fromarray(image).save(tmp_path / "wide.png")
    cropped, _, _ = decode_image(tmp_path / "wide.png", 1, 5, 5, "crop")
    assert cropped.min() > 200 and cropped[0, :, 1:4].min() == 255
    stretched, _, _ = decode_image(tmp_path / "wide.png", 1, 5, 5, "stretch")
    assert stretched[0, :, 0].max() < 50 and stretched[0, :, 2].min() > 200
