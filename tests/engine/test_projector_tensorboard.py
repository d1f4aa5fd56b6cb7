"""TensorBoard projector export, read back by the tensorboard package's own code and server."""

import json
import re
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from studio.engine.projector.embedding import Embedding
from studio.engine.projector.events import crc32c
from studio.engine.projector.pca import pca
from studio.engine.projector.tensorboard_export import export_tensorboard, write_metadata, write_tensor

tensorboard = pytest.importorskip("tensorboard")
from google.protobuf import text_format  # noqa: E402  (comes with tensorboard)
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.projector import projector_plugin  # noqa: E402
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig  # noqa: E402


def embedding(n=30, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    wrong = np.arange(n) % 5 == 0
    return Embedding(rng.normal(size=(n, dim)), labels, ("cat", "dog\tdog", "line\nbreak"),
                     paths=[f"img/{i}.png" for i in range(n)], predictions=(labels + wrong) % 3,
                     confidence=rng.uniform(0.3, 1.0, n), layer="fc1")


def images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 3, 10, 10), dtype=np.uint8)


def read_config(directory):
    config = ProjectorConfig()
    text_format.Parse((directory / "projector_config.pbtxt").read_text(), config)
    return config


def metadata_rows(path):
    """TensorBoard's reading: skip blank lines; the first line is a header when it has a tab."""
    lines = [line for line in path.read_text().split("\n") if line]
    header = lines[0].split("\t") if "\t" in lines[0] else None
    return header, [line.split("\t") for line in (lines[1:] if header else lines)]


def test_export_reads_back_with_the_projector_plugin_code(tmp_path):
    emb = embedding()
    layout = pca(emb.features, 2)
    result = export_tensorboard(emb, tmp_path, images=images(30), cell=8, projections=[layout])
    assert (result.points, result.total, result.note, result.sprite) == (30, 30, "", True)
    config = read_config(tmp_path)
    assert [e.tensor_name for e in config.embeddings] == ["fc1", "pca 2d"]
    first = config.embeddings[0]
    tensor = projector_plugin._read_tensor_binary_file(str(tmp_path / first.tensor_path), first.tensor_shape)
    np.testing.assert_array_equal(tensor, emb.features)
    second = config.embeddings[1]
    np.testing.assert_array_equal(
        projector_plugin._read_tensor_binary_file(str(tmp_path / second.tensor_path), second.tensor_shape),
        layout.coords)
    header, rows = metadata_rows(tmp_path / first.metadata_path)
    assert header == ["label", "prediction", "correct", "confidence", "path"]
    assert len(rows) == 30 and all(len(r) == 5 for r in rows)
    assert rows[1][0] == "dog\\tdog" and rows[2][0] == "line\\nbreak" and rows[0][4] == "img/0.png"
    assert list(first.sprite.single_image_dim) == [8, 8]
    with Image.open(tmp_path / first.sprite.image_path) as sprite:
        assert sprite.size == (48, 48)  # ceil(sqrt(30)) = 6 cells a side
    events = list(tmp_path.glob("events.out.tfevents.*"))
    assert len(events) == 1
    assert [e.file_version for e in EventFileLoader(str(events[0])).Load()] == ["brain.Event:2"]


def test_sprite_cells_hold_the_thumbnails(tmp_path):
    pixels = images(5)
    export_tensorboard(embedding(5), tmp_path, images=pixels, cell=10)
    with Image.open(tmp_path / "sprite.png") as sprite:
        grid = np.asarray(sprite)
    assert grid.shape == (30, 30, 3)  # 3 x 3 cells
    np.testing.assert_array_equal(grid[10:20, 0:10], pixels[3].transpose(1, 2, 0))
    assert (grid[10:20, 20:30] == 0).all()  # unused cell


def test_a_sprite_too_large_exports_a_subset_and_says_so(tmp_path, monkeypatch):
    from studio.engine.projector import tensorboard_export

    monkeypatch.setattr(tensorboard_export, "MAX_SPRITE", 40)  # 4 x 4 cells of 10 px
    emb = embedding(30)
    result = export_tensorboard(emb, tmp_path, images=images(30), cell=10)
    assert result.points == 16 and result.total == 30
    assert "16 of 30" in result.note and "40 px sprite holds 16" in result.note
    config = read_config(tmp_path)
    assert list(config.embeddings[0].tensor_shape) == [16, 6]
    header, rows = metadata_rows(tmp_path / "metadata.tsv")
    assert header[-1] == "index"
    chosen = [int(r[-1]) for r in rows]
    assert len(set(chosen)) == 16 and chosen == sorted(chosen)
    tensor = projector_plugin._read_tensor_binary_file(str(tmp_path / config.embeddings[0].tensor_path),
                                                       config.embeddings[0].tensor_shape)
    np.testing.assert_array_equal(tensor, emb.features[chosen])
    with Image.open(tmp_path / "sprite.png") as sprite:
        assert sprite.size == (40, 40)


def test_single_column_metadata_has_no_header_and_no_blank_lines(tmp_path):
    write_metadata(tmp_path / "m.tsv", {"label": ["a", "", "b\tc"]})
    assert (tmp_path / "m.tsv").read_text() == "a\n(empty)\nb\\tc\n"


def test_tensors_whose_bytes_look_like_text_are_written_as_tsv(tmp_path):
    zeros = write_tensor(tmp_path, "zeros", np.zeros((3, 2)))  # all-zero bytes decode as UTF-8
    assert zeros.suffix == ".tsv"
    np.testing.assert_array_equal(projector_plugin._read_tensor_tsv_file(str(zeros)), np.zeros((3, 2)))
    values = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    text = write_tensor(tmp_path, "text", values, binary=False)
    np.testing.assert_array_equal(projector_plugin._read_tensor_tsv_file(str(text)), values)


def test_crc32c_matches_the_standard_check_value():
    assert crc32c(b"123456789") == 0xE3069283


def test_a_running_tensorboard_serves_the_export(tmp_path):
    emb = embedding(12, 4)
    export_tensorboard(emb, tmp_path / "layer_run", images=images(12), cell=8)
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path), "--host", "127.0.0.1",
         "--port", "0", "--reload_interval", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = _server_url(server)
        base = f"{url}data/plugin/projector"
        runs = _poll_json(f"{base}/runs", lambda value: "layer_run" in value)
        assert runs == ["layer_run"]
        info = json.loads(_get(f"{base}/info?run=layer_run"))
        assert info["embeddings"][0]["tensorName"] == "fc1"
        tensor = np.frombuffer(_get(f"{base}/tensor?run=layer_run&name=fc1", text=False), dtype=np.float32)
        np.testing.assert_array_equal(tensor.reshape(12, 4), emb.features)
        lines = _get(f"{base}/metadata?run=layer_run&name=fc1").splitlines()
        assert len(lines) == 13 and lines[0].startswith("label\tprediction")
        assert _get(f"{base}/sprite_image?run=layer_run&name=fc1", text=False)[:4] == b"\x89PNG"
    finally:
        server.kill()
        server.wait(timeout=30)


def _server_url(server, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if match:
            return match.group(1)
        if not line and server.poll() is not None:
            break
    pytest.fail("tensorboard did not start")


def _get(url, text=True):
    with urllib.request.urlopen(url, timeout=30) as response:
        data = response.read()
    return data.decode() if text else data


def _poll_json(url, ready, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = json.loads(_get(url))
        if ready(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)
