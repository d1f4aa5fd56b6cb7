"""End to end: train a tiny model on real image files, embed its penultimate layer with
`studio embed`, check the neighbour label agreement, and read the export back with TensorBoard's code."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from PIL import Image

from studio.cli import main
from studio.engine.projector import Embedding, NeighbourIndex, Projection, SpriteAtlas, label_agreement
from studio.engine.projector.pipeline import embed_source
from studio.engine.projector.source import open_source
from studio.engine.spec.builder import SpecBuilder
from studio.engine.training import TrainConfig, Trainer
from tests.engine.image_folders import make_image_folder


def spec(classes: int = 4):
    b = SpecBuilder("tiny_embed")
    x = b.input("image", [1, 12, 12])
    x = b.layer("conv1", "conv2d", x, out_channels=8, kernel_size=3, padding="same", activation="relu")
    x = b.layer("pool1", "max_pool2d", x, kernel_size=2)
    x = b.layer("flatten", "flatten", x)
    x = b.layer("fc1", "fully_connected", x, out_features=16, activation="relu")
    x = b.layer("fc2", "fully_connected", x, out_features=classes)
    b.output("logits", x)
    return b.build()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("embed")
    data = make_image_folder(root / "data", classes=4, per_class=16, size=12, seed=3)
    config = TrainConfig.from_dict({"data": {"root": str(data), "val_split": 0.25}, "steps": 40,
                                    "batch_size": 8, "device": "cpu", "threads": 1, "log_every": 10,
                                    "optimizer": {"name": "adam", "lr": 0.01}})
    result = Trainer(spec(), config, run_dir=root / "run").run()
    assert result.status == "finished", result.reason
    return root / "run", data


def test_embed_cli_on_a_trained_model_separates_the_classes(trained, tmp_path, capsys):
    run, data = trained
    out = tmp_path / "out"
    code = main(["embed", str(run), "--data", str(data), "--out", str(out), "--tensorboard",
                 "--neighbours", "5", "--sprite-size", "16", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["points"] == 64 and summary["accuracy"] > 0.8
    (layer,) = summary["layers"]
    assert layer["layer"] == "fc1" and layer["dim"] == 16  # the layer before the output layer
    agreement = layer["agreement"]
    assert agreement["chance"] == pytest.approx(0.25)
    assert agreement["agreement"] > 0.8  # the penultimate features separate the classes

    emb = Embedding.load(out / "fc1.npz")
    assert emb.class_names == ("c0", "c1", "c2", "c3") and len(emb) == 64
    assert emb.paths[0].startswith(str(data))
    assert summary["checkpoint"].endswith(f"ckpt-{emb.info['step']:09d}.safetensors")  # the run's best
    again = label_agreement(NeighbourIndex(emb.features), emb.labels, k=5)
    assert again.agreement == pytest.approx(agreement["agreement"])
    layout = Projection.load(out / "fc1-pca-2d.npz")
    assert layout.coords.shape == (64, 2) and len(layout.explained_variance) == 2
    atlas = SpriteAtlas.load(out / "sprites.json")
    assert atlas.count == 64 and atlas.cell == 16
    with Image.open(data / "c2" / "0.png") as image:  # sharp sprites: decoded again at 16 px
        expected = np.asarray(image.resize((16, 16), Image.Resampling.BILINEAR))
    index = emb.paths.index(str(data / "c2" / "0.png"))
    assert np.abs(atlas.thumbnail(index)[:, :, 0].astype(int) - expected).mean() < 12

    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_plugin
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    board = out / "tensorboard"
    config = ProjectorConfig()
    text_format.Parse((board / "projector_config.pbtxt").read_text(), config)
    assert [e.tensor_name for e in config.embeddings] == ["fc1", "pca 2d"]
    first = config.embeddings[0]
    tensor = projector_plugin._read_tensor_binary_file(str(board / first.tensor_path), first.tensor_shape)
    np.testing.assert_array_equal(tensor, emb.features)
    rows = (board / "metadata.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:3] == ["label", "prediction", "correct"] and len(rows) == 65
    assert summary["tensorboard"]["points"] == 64 and summary["tensorboard"]["note"] == ""


def test_embed_the_runs_validation_split_with_tsne_in_3d(trained, tmp_path):
    run, _ = trained
    source = open_source(run)
    try:
        assert source.source == "validation split" and len(source.labels) == 16
        layers = embed_source(source, ["fc1", "conv1", "fc1"])
    finally:
        source.close()
    assert layers["conv1"].dim == 8 and layers["fc1"].predictions is not None
    from studio.engine.projector import project

    layout = project(layers["fc1"].features, "tsne", 3, iterations=30, early_iterations=20, n_jobs=1)
    assert layout.coords.shape == (16, 3) and layout.complete


def test_cli_errors_are_messages_not_tracebacks(trained, tmp_path, capsys):
    run, data = trained
    assert main(["embed", str(tmp_path / "nowhere"), "--data", str(data), "--out", str(tmp_path / "o")]) == 1
    assert "studio: error:" in capsys.readouterr().err
    assert main(["embed", str(run), "--data", str(data), "--layer", "fc9", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no node 'fc9'" in err and "fc1" in err
    assert main(["embed", str(run), "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert "no usable images" in capsys.readouterr().err


def test_umap_without_the_extra_is_a_message(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # as if umap-learn were not installed
    run, _ = trained
    assert main(["embed", str(run), "--method", "umap", "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert "pip install studio[umap]" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("umap") is None, reason="umap-learn is not installed")
def test_embed_cli_with_umap_in_3d_for_tensorboard(trained, tmp_path, capsys):
    run, data = trained
    out = tmp_path / "out"
    assert main(["embed", str(run), "--data", str(data), "--method", "umap", "--dims", "3", "--seed", "3",
                 "--out", str(out), "--tensorboard", "--no-sprites", "--json"]) == 0
    captured = capsys.readouterr()
    assert "Warning" not in captured.err
    (layer,) = json.loads(captured.out)["layers"]
    assert layer["projection"] == str(out / "fc1-umap-3d.npz")
    layout = Projection.load(out / "fc1-umap-3d.npz")
    assert layout.method == "umap" and layout.seed == 3 and layout.coords.shape == (64, 3)
    assert np.isfinite(layout.coords).all()
    assert 'tensor_name: "umap 3d"' in (out / "tensorboard" / "projector_config.pbtxt").read_text()


@pytest.mark.slow
def test_demo_model_on_real_fashion_images_separates_the_classes(tmp_path, capsys):
    import shutil

    from studio.engine.demo import demo_data_dir, demo_spec, demo_val_dir

    train, val = tmp_path / "train", tmp_path / "val"
    for source, target, count in ((demo_data_dir(), train, 30), (demo_val_dir(), val, 10)):
        for folder in sorted(p for p in source.iterdir() if p.is_dir()):
            (target / folder.name).mkdir(parents=True)
            for image in sorted(folder.iterdir())[:count]:
                shutil.copy(image, target / folder.name / image.name)
    config = TrainConfig.from_dict({"data": {"root": str(train), "val_root": str(val)}, "steps": 60,
                                    "batch_size": 32, "device": "cpu", "log_every": 20,
                                    "optimizer": {"name": "adam", "lr": 0.002}})
    result = Trainer(demo_spec(), config, run_dir=tmp_path / "run").run()
    assert result.status == "finished", result.reason
    code = main(["embed", str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--neighbours", "5",
                 "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    (layer,) = summary["layers"]
    assert summary["points"] == 100 and summary["images"] == "validation split"
    assert layer["layer"] == "fc1" and layer["dim"] == 128  # before dropout and the output layer
    agreement = layer["agreement"]
    print(f"demo model, penultimate layer: 5-NN label agreement {agreement['agreement']:.2f} "
          f"(chance {agreement['chance']:.2f})")
    assert agreement["chance"] == pytest.approx(0.1)
    assert agreement["agreement"] > 3 * agreement["chance"]
    assert Projection.load(tmp_path / "out" / "fc1-pca-2d.npz").coords.shape == (100, 2)
