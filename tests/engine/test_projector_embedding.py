"""The Embedding value: validation, derived columns, subsets and .npz + JSON files without pickle."""

import json

import numpy as np
import pytest

from studio.engine.projector.embedding import Embedding
from studio.engine.projector.errors import ProjectorError


def sample():
    return Embedding(np.arange(12, dtype=np.float64).reshape(4, 3), [0, 1, -1, 1], ("ant", "bee"),
                     paths=["a.png", "b.png", "c.png", "d.png"], predictions=[0, 0, 1, 1],
                     confidence=[0.9, 0.6, 0.7, 0.99],
                     metadata={"split": ("val", "val", "val", "train"), "size": np.array([10, 20, 30, 40])},
                     layer="fc1", info={"checkpoint": "ckpt-000000010"})


def test_columns_name_labels_and_predictions():
    emb = sample()
    assert emb.features.dtype == np.float32 and emb.dim == 3 and len(emb) == 4
    assert emb.correct.tolist() == [True, False, False, True]  # an unknown label is never correct
    columns = emb.columns()
    assert list(columns) == ["label", "prediction", "correct", "confidence", "path", "split", "size"]
    assert columns["label"] == ["ant", "bee", "(unlabelled)", "bee"]
    assert columns["prediction"] == ["ant", "ant", "bee", "bee"]
    assert columns["confidence"][3] == "0.9900" and columns["size"][1] == "20"


def test_subset_keeps_every_column_aligned():
    part = sample().subset([3, 0])
    assert part.labels.tolist() == [1, 0] and part.paths == ("d.png", "a.png")
    assert part.metadata["split"] == ("train", "val") and part.metadata["size"].tolist() == [40, 10]
    np.testing.assert_array_equal(part.features[0], [9, 10, 11])


def test_save_and_load_round_trip_without_pickle(tmp_path):
    emb = sample()
    path = emb.save(tmp_path / "fc1")
    assert path.name == "fc1.npz" and (tmp_path / "fc1.json").exists()
    with np.load(path, allow_pickle=False) as data:  # plain arrays only
        assert all(data[name].dtype != object for name in data.files)
    loaded = Embedding.load(path)
    np.testing.assert_array_equal(loaded.features, emb.features)
    for name in ("labels", "predictions", "confidence"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(emb, name))
    assert loaded.class_names == emb.class_names and loaded.paths == emb.paths
    assert list(loaded.metadata) == ["split", "size"] and loaded.metadata["split"] == emb.metadata["split"]
    assert (loaded.layer, loaded.info) == ("fc1", {"checkpoint": "ckpt-000000010"})


def test_unlabelled_embedding_without_predictions(tmp_path):
    emb = Embedding(np.ones((2, 2)))
    assert emb.labels.tolist() == [-1, -1] and emb.correct is None
    assert list(emb.columns()) == ["label"]
    loaded = Embedding.load(emb.save(tmp_path / "x"))
    assert loaded.predictions is None and loaded.paths == ()


@pytest.mark.parametrize("kwargs, message", [
    ({"features": np.ones(3)}, "2-D"),
    ({"labels": [0, 1]}, "'labels' has 2 values for 3 points"),
    ({"paths": ["a"]}, "1 paths for 3 points"),
    ({"metadata": {"tag": ("x",)}}, "'tag' has 1 values for 3 points"),
])
def test_inconsistent_columns_are_refused(kwargs, message):
    args = {"features": np.ones((3, 2)), **kwargs}
    with pytest.raises(ProjectorError, match=message):
        Embedding(**args)


def test_damaged_files_are_clear_errors(tmp_path):
    path = sample().save(tmp_path / "e")
    data = json.loads((tmp_path / "e.json").read_text())
    (tmp_path / "e.json").write_text(json.dumps({**data, "points": 99}))
    with pytest.raises(ProjectorError, match="disagree"):
        Embedding.load(path)
    path.write_bytes(b"not a zip file")
    with pytest.raises(ProjectorError, match="cannot read"):
        Embedding.load(path)
    with pytest.raises(ProjectorError, match="nothing saved"):
        Embedding.load(tmp_path / "missing.npz")
