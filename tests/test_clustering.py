import numpy as np
import pytest

from clio.clustering import CLUSTERERS, choose_k, cluster_embeddings, nearest_non_members, register_clusterer, sample_members
from clio.errors import ConfigError


def blobs(n_per=30, centres=((0, 0), (10, 0), (0, 10)), seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 0.5, size=(n_per, 2)) for c in centres])
    truth = np.repeat(np.arange(len(centres)), n_per)
    return X, truth


def test_choose_k_rules():
    assert choose_k(200) == 10  # sqrt(200 / 2)
    assert choose_k(10_000, "per_cluster", per_cluster=100) == 100
    assert choose_k(100, k=7) == 7
    assert choose_k(4) == 2  # clamped up to min_k
    assert choose_k(1_000_000, max_k=300) == 300
    assert choose_k(3, min_k=10) == 3  # never more clusters than conversations


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=30, k=50), "k=50 is larger than the 30 conversations"),
        (dict(n=1), "at least 2 conversations"),
        (dict(n=100, rule="cubic"), "unknown k rule"),
        (dict(n=100, rule="per_cluster"), "per_cluster"),
        (dict(n=100, rule="fixed"), "needs clustering.k"),
    ],
)
def test_choose_k_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        choose_k(**kwargs)


@pytest.mark.parametrize("method", ["kmeans", "minibatch", "auto"])
def test_cluster_embeddings_recovers_blobs_deterministically(method):
    X, truth = blobs()
    a = cluster_embeddings(X, 3, method=method, random_state=0)
    b = cluster_embeddings(X, 3, method=method, random_state=0)
    assert a.labels.shape == (90,) and a.centroids.shape == (3, 2) and a.inertia > 0
    np.testing.assert_array_equal(a.labels, b.labels)
    # each true blob maps to exactly one cluster
    assert all(len(set(a.labels[truth == t])) == 1 for t in range(3))
    assert sorted(a.sizes()) == [30, 30, 30]


def test_cluster_embeddings_errors_and_registry():
    X, _ = blobs(n_per=2)
    with pytest.raises(ConfigError, match="k=10 is larger than the 6"):
        cluster_embeddings(X, 10)
    with pytest.raises(ConfigError, match="unknown clustering method"):
        cluster_embeddings(X, 2, method="nope")

    from clio.clustering import ClusterResult

    def first_k(X, k, random_state, **options):
        labels = np.arange(len(X)) % k
        return ClusterResult(labels, np.stack([X[labels == c].mean(0) for c in range(k)]), 0.0)

    register_clusterer("roundrobin", first_k)
    try:
        assert cluster_embeddings(X, 2, method="roundrobin").labels.tolist() == [0, 1, 0, 1, 0, 1]
    finally:
        CLUSTERERS.pop("roundrobin")


def test_nearest_non_members_known_answer():
    # cluster 0 around the origin; other points at known distances from its centroid (0, 0)
    X = np.array([[-1, 0], [1, 0], [0, 1], [0, -1], [5, 0], [0, 2.5], [-9, 0], [3, 3], [0, -4]], dtype=float)
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    centroids = np.array([[0, 0], [2.5, 1.25], [-2, -0.3]], dtype=float)
    # distances: idx5=2.5, idx7=4.24, idx8=4, idx4=5, idx6=9
    assert nearest_non_members(X, labels, centroids, 0, 3).tolist() == [5, 8, 7]
    assert nearest_non_members(X, labels, centroids, 0, 100).tolist() == [5, 8, 7, 4, 6]
    assert not {4, 5} & set(nearest_non_members(X, labels, centroids, 1, 9).tolist())


def test_sample_members():
    labels = np.array([0, 1] * 50)
    rng = np.random.default_rng(0)
    picked = sample_members(labels, 1, 10, rng)
    assert len(picked) == 10 and len(set(picked)) == 10 and all(labels[picked] == 1)
    np.testing.assert_array_equal(picked, sample_members(labels, 1, 10, np.random.default_rng(0)))
    assert sample_members(labels, 0, 500, 0).tolist() == list(range(0, 100, 2))  # small cluster: all members
