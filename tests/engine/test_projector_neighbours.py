"""Exact nearest neighbours (cosine, euclidean) against brute force, and k-NN label agreement."""

import numpy as np
import pytest
import torch

from studio.engine.projector import neighbours as nb
from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.neighbours import NeighbourIndex, label_agreement


def brute_force(points, queries, metric, k):
    if metric == "cosine":
        p = points / np.linalg.norm(points, axis=1, keepdims=True)
        q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        dist = 1 - q @ p.T
    else:
        dist = np.linalg.norm(queries[:, None, :] - points[None], axis=-1)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(dist, order, 1)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_queries_match_brute_force(metric, monkeypatch):
    monkeypatch.setattr(nb, "MAX_SCORES", 700)  # force several query chunks
    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 16)).astype(np.float64) + 3
    queries = rng.normal(size=(25, 16)) + 3
    index = NeighbourIndex(points, metric)
    found = index.query(queries, k=7)
    expected, distances = brute_force(points, queries, metric, 7)
    np.testing.assert_array_equal(found.indices, expected)
    np.testing.assert_allclose(found.distances, distances, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_point_queries_leave_the_point_itself_out(metric):
    rng = np.random.default_rng(1)
    points = rng.normal(size=(120, 8))
    found = NeighbourIndex(points, metric).query_points([0, 5, 119], k=4)
    for row, point in zip(found.indices, [0, 5, 119], strict=True):
        assert point not in row
    everyone = np.delete(points, 5, axis=0)
    expected, _ = brute_force(everyone, points[[5]], metric, 4)
    expected = np.where(expected >= 5, expected + 1, expected)
    np.testing.assert_array_equal(found.indices[1], expected[0])


def test_bad_arguments_are_clear_errors():
    index = NeighbourIndex(np.eye(5), "euclidean")
    with pytest.raises(ProjectorError, match="k must be between 1 and 4"):
        index.query_points([0], k=5)
    with pytest.raises(ProjectorError, match="queries have 3 values"):
        index.query(np.ones((1, 3)))
    with pytest.raises(ProjectorError, match="point indices"):
        index.query_points([9])
    with pytest.raises(ProjectorError, match="unknown distance 'manhattan'"):
        NeighbourIndex(np.eye(3), "manhattan")


def test_label_agreement_beats_chance_on_clusters_and_not_on_noise():
    rng = np.random.default_rng(2)
    labels = np.arange(400) % 4
    centres = rng.normal(size=(4, 10)) * 5
    clustered = label_agreement(NeighbourIndex(centres[labels] + rng.normal(size=(400, 10))), labels, k=5)
    noise = label_agreement(NeighbourIndex(rng.normal(size=(400, 10))), labels, k=5)
    assert clustered.chance == pytest.approx(0.25)
    assert clustered.agreement > 0.95 and clustered.points == 400
    assert noise.agreement < 0.4
    sampled = label_agreement(NeighbourIndex(centres[labels] + rng.normal(size=(400, 10))), labels, k=5,
                              sample=50)
    assert sampled.points == 50 and sampled.agreement > 0.9


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_the_index_on_a_gpu_gives_the_cpu_answer(metric):
    rng = np.random.default_rng(3)
    points = rng.normal(size=(2000, 32)).astype(np.float32)
    cpu = NeighbourIndex(points, metric).query_points(np.arange(50), k=8)
    gpu = NeighbourIndex(points, metric, device="cuda").query_points(np.arange(50), k=8)
    np.testing.assert_array_equal(gpu.indices, cpu.indices)
    np.testing.assert_allclose(gpu.distances, cpu.distances, rtol=1e-4, atol=1e-5)
