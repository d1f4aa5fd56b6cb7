"""Sprite atlas: paging past one page, the point -> cell index, level-of-detail copies, files."""

import numpy as np
import pytest
from PIL import Image

from studio.engine.projector.errors import Cancelled, ProjectorError
from studio.engine.projector.sprites import SpriteAtlas, build_atlas, thumbnails


def images(n, channels=3, size=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, channels, size, size), dtype=np.uint8)


def test_points_page_into_several_atlases_and_each_cell_holds_its_image():
    pixels = images(41)
    progress = []
    atlas = build_atlas(pixels, cell=8, max_page=32, progress=lambda done, total: progress.append(done))
    assert (atlas.columns, atlas.per_page) == (4, 16)
    assert len(atlas.pages) == 3 and progress == [16, 32, 41]
    assert atlas.pages[0].shape == (32, 32, 3)
    assert atlas.pages[2].shape == (24, 32, 3)  # 9 thumbnails: 3 rows, trimmed
    assert atlas.cell_of(21) == (1, 8, 8)  # 21 = page 1, cell 5 = row 1, column 1
    for i in (0, 5, 17, 40):
        np.testing.assert_array_equal(atlas.thumbnail(i), pixels[i].transpose(1, 2, 0))
    page, origin = atlas.page, atlas.origin
    assert page.tolist() == [i // 16 for i in range(41)]
    np.testing.assert_array_equal(origin[21], [8, 8])


def test_level_of_detail_copies_are_box_filtered_halves():
    pixels = images(5, channels=1)
    atlas = build_atlas(pixels, cell=8, max_page=64)
    full, half, quarter = (level[0] for level in atlas.levels)
    assert full.shape == (8, 40, 1) and half.shape == (4, 20, 1) and quarter.shape == (2, 10, 1)
    block = full[:2, :2, 0].astype(int)
    assert half[0, 0, 0] == (block.sum() + 2) // 4
    assert len(build_atlas(pixels, cell=6, max_page=64).levels) == 2  # 6 px halves once


def test_thumbnails_resize_larger_images_smoothly():
    pixels = np.zeros((2, 3, 16, 16), np.uint8)
    pixels[0] = 200
    pixels[1, :, :, 8:] = 255
    thumbs = thumbnails(pixels, 4)
    assert thumbs.shape == (2, 4, 4, 3)
    assert (thumbs[0] == 200).all()
    row = thumbs[1][0, :, 0].astype(int)
    assert row[0] == 0 and row[3] == 255 and (np.diff(row) >= 0).all()  # a soft edge, no ringing
    with pytest.raises(ProjectorError, match="uint8 images"):
        thumbnails(np.zeros((2, 3, 8, 8), np.float32), 4)


def test_atlas_round_trips_through_png_files(tmp_path):
    atlas = build_atlas(images(20, channels=1), cell=8, max_page=16)
    path = atlas.save(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.png"))[:3] == ["sprites-000-half.png",
                                                                 "sprites-000-quarter.png", "sprites-000.png"]
    with Image.open(tmp_path / "sprites-000.png") as image:
        assert image.size == (16, 16) and image.mode == "L"
    loaded = SpriteAtlas.load(path)
    assert (loaded.count, loaded.cell, loaded.columns, len(loaded.pages)) == (20, 8, 2, 5)
    for ours, theirs in zip(atlas.levels, loaded.levels, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)


def test_cancel_and_bad_sizes():
    with pytest.raises(Cancelled):
        build_atlas(images(40), cell=8, max_page=16, should_stop=lambda: True)
    with pytest.raises(ProjectorError, match="between 4 and 16"):
        build_atlas(images(4), cell=32, max_page=16)
    with pytest.raises(ProjectorError, match="no images"):
        build_atlas(images(0), cell=8)
