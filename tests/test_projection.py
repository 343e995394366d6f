import numpy as np
import pytest

from clio.errors import ConfigError
from clio.projection import fit_projection, project, project_clusters


def data(n=160, d=12, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, d)) * 5
    labels = np.arange(n) % 4
    return centres[labels] + rng.normal(size=(n, d)), labels


@pytest.fixture(scope="module")
def umap_runs():
    # One module-wide pair of runs: UMAP compiles its kernels on first use (tens of seconds).
    X, labels = data()
    first = fit_projection(X, random_state=7, fit_sample=120)
    second = fit_projection(X, random_state=7, fit_sample=120)
    return X, labels, first, second


def test_umap_shape_and_determinism(umap_runs):
    X, _, first, second = umap_runs
    assert first.coords.shape == (len(X), 2) and np.isfinite(first.coords).all()
    np.testing.assert_allclose(first.coords, second.coords)
    assert first.method == "umap+transform" and first.fitted_on == 120 and first.notes


def test_umap_keeps_groups_apart(umap_runs):
    _, labels, first, _ = umap_runs
    centres = project_clusters(first.coords, labels)
    spread = np.mean([np.linalg.norm(first.coords[labels == c] - centres[c], axis=1).mean() for c in range(4)])
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(4) for b in range(a + 1, 4)]
    assert min(gaps) > spread


def test_tiny_input_falls_back_to_pca_deterministically():
    X, _ = data(n=10)
    result = fit_projection(X, random_state=0)
    assert result.method == "pca" and "too few" in result.notes[0]
    assert result.coords.shape == (10, 2)
    np.testing.assert_allclose(project(X, random_state=0), project(X, random_state=0))
    assert project(X[:1]).shape == (1, 2)
    assert project(X[:, :1][:5]).shape == (5, 2)  # one input dimension: padded


def test_project_clusters_mean_median_and_empty():
    coords = np.array([[0, 0], [2, 2], [10, 10], [4, 4], [100, 100]], dtype=float)
    labels = np.array([0, 0, 1, 0, 1])
    means = project_clusters(coords, labels, n_clusters=3)
    np.testing.assert_allclose(means[:2], [[2, 2], [55, 55]])
    assert np.isnan(means[2]).all()
    np.testing.assert_allclose(project_clusters(coords, labels, how="median")[0], [2, 2])
    with pytest.raises(ConfigError):
        project_clusters(coords, labels, how="mode")


def test_bad_input():
    with pytest.raises(ConfigError, match="2-D"):
        project(np.zeros(5))
    with pytest.raises(ConfigError, match="fit_sample"):
        fit_projection(np.random.default_rng(0).normal(size=(40, 3)), fit_sample=5)
