"""PCA, t-SNE (streamed, cancellable, seeded), UMAP (or its missing-extra message) and custom directions."""

import importlib.util
import sys
import threading

import numpy as np
import pytest

from studio.engine.projector.custom import class_direction, custom
from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.methods import project
from studio.engine.projector.pca import pca
from studio.engine.projector.projection import Projection
from studio.engine.projector.tsne import neighbour_index, tsne


def clusters(n=300, dim=20, classes=3, seed=0, spread=6.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * spread
    labels = np.arange(n) % classes
    return (centres[labels] + rng.normal(size=(n, dim))).astype(np.float32), labels


def reference_pca(x, dims):
    centred = x.astype(np.float64) - x.astype(np.float64).mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])
    return centred @ (vt[:dims] * signs[:dims, None]).T, (s ** 2 / (s ** 2).sum())[:dims]


def test_exact_pca_matches_numpy_svd_with_explained_variance():
    x, _ = clusters(400, 30)
    x += 50  # a large mean must not cost precision
    coords, ratio = reference_pca(x, 3)
    result = pca(x, 3)
    assert result.method == "pca" and result.dims == 3 and result.params["solver"] == "exact"
    np.testing.assert_allclose(result.coords, coords, atol=1e-3 * np.abs(coords).max())
    np.testing.assert_allclose(result.explained_variance, ratio, rtol=1e-4)


def test_randomized_pca_agrees_on_low_rank_data_and_records_its_seed():
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(500, 4)) * [9, 6, 4, 3]) @ rng.normal(size=(4, 300))
    x = (x + 0.01 * rng.normal(size=x.shape)).astype(np.float32)
    exact, fast = pca(x, 2), pca(x, 2, solver="randomized", seed=3)
    assert exact.params["solver"] == "exact" and fast.seed == 3
    assert pca(np.tile(x[:20], (1, 4)), 2).params["solver"] == "randomized"  # 1200 dims: auto picks it
    np.testing.assert_allclose(fast.coords, exact.coords, atol=1e-3 * np.abs(exact.coords).max())
    np.testing.assert_allclose(fast.explained_variance, exact.explained_variance, rtol=1e-3)


def test_pca_can_show_other_components():
    x, _ = clusters(200, 10)
    both = pca(x, 3)
    chosen = pca(x, 2, components=[2, 0])
    np.testing.assert_allclose(chosen.coords, both.coords[:, [2, 0]], atol=1e-4)
    np.testing.assert_allclose(chosen.explained_variance, both.explained_variance[[2, 0]])
    with pytest.raises(ProjectorError, match="component 11 does not exist"):
        pca(x, 2, components=[0, 10])


@pytest.mark.parametrize("bad, message", [
    (np.zeros((1, 4)), "at least 2 points"), (np.zeros(5), "2-D"), (np.full((4, 2), np.nan), "NaN"),
])
def test_bad_features_are_clear_errors(bad, message):
    with pytest.raises(ProjectorError, match=message):
        pca(bad, 2)


def test_tsne_streams_layouts_separates_clusters_and_is_reproducible():
    x, labels = clusters(240, 10)
    layouts: list[Projection] = []
    result = tsne(x, 2, iterations=60, early_iterations=40, every=20, n_jobs=1, on_layout=layouts.append)
    assert [p.iteration for p in layouts] == [0, 20, 40, 60, 80, 100]  # the PCA start, then every 20
    assert not any(p.complete for p in layouts)
    assert result.complete and result.iteration == 100 and result.seed == 0 and result.dims == 2
    assert result.params["perplexity"] == 30.0 and result.error is not None
    assert layouts[1].coords is not layouts[2].coords  # copies, safe to hand to another thread
    centres = np.stack([result.coords[labels == c].mean(0) for c in range(3)])
    spread = max(result.coords[labels == c].std(0).max() for c in range(3))
    assert min(np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a)) > 2 * spread
    again = tsne(x, 2, iterations=60, early_iterations=40, every=20, n_jobs=1)
    np.testing.assert_allclose(again.coords, result.coords, atol=1e-5)


def test_tsne_matches_opentsne_and_never_loads_numba():
    """The neighbour index is the one openTSNE's "auto" picks (same affinities, same layout), chosen
    without importing pynndescent: with UMAP installed, that import cost a first projection 1-30 s of
    numba loading or compiling."""
    import subprocess

    code = ("import sys, numpy as np; from studio.engine.projector.tsne import neighbour_index, tsne; "
            "x = np.random.default_rng(0).normal(size=(1100, 8)).astype(np.float32); "
            "tsne(x, 2, iterations=10, early_iterations=10, n_jobs=1); "
            "print('pynndescent' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    from openTSNE import affinity

    for n in (240, 1100):  # the exact index, then Annoy
        x, _ = clusters(n, 10)
        theirs = affinity.MultiscaleMixture(x, 30.0, n_jobs=1, random_state=0)
        ours = affinity.MultiscaleMixture(perplexities=30.0, n_jobs=1, random_state=0,
                                          knn_index=neighbour_index(x, 30.0, 1, 0))
        assert abs(theirs.P - ours.P).max() == 0


def test_tsne_stops_when_asked_and_returns_the_last_layout():
    x, _ = clusters(150, 8)
    stop = threading.Event()
    seen = []

    def on_layout(layout):
        seen.append(layout.iteration)
        if layout.iteration >= 20:
            stop.set()

    result = tsne(x, 3, iterations=200, every=10, n_jobs=1, on_layout=on_layout, should_stop=stop.is_set)
    assert not result.complete and result.iteration == 20 and result.dims == 3
    assert result.params["negative_gradient_method"] == "bh"  # FFT gradients are 2-D only
    assert seen == [0, 10, 20]


def test_tiny_sets_lower_the_perplexity_and_narrow_features_start_at_random():
    x, _ = clusters(16, 4)
    assert tsne(x, 2, iterations=10, early_iterations=10, n_jobs=1).params["perplexity"] == 5.0
    narrow = tsne(x[:, :1], 2, iterations=10, early_iterations=10, n_jobs=1)
    assert narrow.coords.shape == (16, 2) and narrow.params["initialization"] == "random"


def test_umap_without_the_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # as if umap-learn were not installed
    with pytest.raises(ProjectorError, match=r"pip install studio\[umap\]"):
        project(clusters(20, 4)[0], "umap")


UMAP = pytest.mark.skipif(importlib.util.find_spec("umap") is None, reason="umap-learn is not installed")


@UMAP
def test_umap_projects_with_its_seed_and_keeps_clusters_apart(recwarn):
    x, labels = clusters(120, 6)
    result = project(x, "umap", 2, seed=4)
    assert result.coords.shape == (120, 2) and result.seed == 4 and result.method == "umap"
    assert result.params == {"dims": 2, "neighbours": 15, "min_dist": 0.1, "metric": "euclidean",
                             "initialization": "spectral"}
    np.testing.assert_array_equal(project(x, "umap", 2, seed=4).coords, result.coords)  # reproducible
    assert not np.array_equal(project(x, "umap", 2, seed=5).coords, result.coords)
    centres = np.stack([result.coords[labels == k].mean(0) for k in range(3)])
    nearest = np.linalg.norm(result.coords[:, None] - centres[None], axis=2).argmin(1)
    assert (nearest == labels).mean() > 0.95  # each point lies by its own cluster's centre
    assert not [w for w in recwarn if "n_jobs" in str(w.message)]  # no noise about threads


@UMAP
def test_umap_on_very_few_points_in_3d_starts_at_random():
    tiny = project(clusters(4, 5)[0], "umap", 3, seed=0)  # spectral start needs more points than dims
    assert tiny.coords.shape == (4, 3) and tiny.params["initialization"] == "random"
    assert np.isfinite(tiny.coords).all()
    with pytest.raises(ProjectorError, match="at least 4 points"):
        project(clusters(3, 5)[0], "umap", 2)


def test_project_dispatches_by_name_and_refuses_unknown_methods():
    x, _ = clusters(50, 5)
    np.testing.assert_array_equal(project(x, "pca", 2).coords, pca(x, 2).coords)
    with pytest.raises(ProjectorError, match="unknown projection method 'lda'"):
        project(x, "lda")


def test_custom_projection_along_class_means():
    x, labels = clusters(300, 12)
    first = class_direction(x, labels == 0, labels == 1)
    second = class_direction(x, labels == 0, labels == 2)
    result = custom(x, [first, second])
    assert result.method == "custom" and result.dims == 2
    axis = result.coords[:, 0]
    assert axis[labels == 1].mean() - axis[labels == 0].mean() > 5 * axis[labels == 0].std()
    directions = np.array(result.params["directions"])
    np.testing.assert_allclose(directions @ directions.T, np.eye(2), atol=1e-9)  # orthonormal axes
    raw = custom(x, [first, second], orthogonalize=False)
    np.testing.assert_allclose(raw.coords[:, 0], result.coords[:, 0], atol=1e-3)


def test_custom_projection_errors():
    x, labels = clusters(30, 4)
    with pytest.raises(ProjectorError, match="at least one point"):
        class_direction(x, labels == 7, labels == 1)
    with pytest.raises(ProjectorError, match="direction 2 is zero"):
        custom(x, [np.ones(4), 2 * np.ones(4)])
    with pytest.raises(ProjectorError, match="direction 1 has 3 values"):
        custom(x, [np.ones(3), np.ones(4)])


def test_projection_round_trips_through_files(tmp_path):
    x, _ = clusters(40, 6)
    result = pca(x, 2)
    path = result.save(tmp_path / "layout")
    loaded = Projection.load(path)
    np.testing.assert_array_equal(loaded.coords, result.coords)
    np.testing.assert_array_equal(loaded.explained_variance, result.explained_variance)
    assert (loaded.method, loaded.params, loaded.complete) == ("pca", result.params, True)
    (tmp_path / "layout.json").write_text("{}")
    with pytest.raises(ProjectorError, match="not a studio.projection"):
        Projection.load(path)
