"""Pieces that make large runs fit: chunked memmapped embeddings (with resume), the `auto`
clusterer choice, chunked contrast distances, and UMAP fitted on a sample."""

import json
import zlib

import numpy as np
import pytest

from clio.clustering import CLUSTERERS, cluster_embeddings, faiss_available, nearest_non_members, resolve_method
from clio.embeddings import embed_to_npy, open_vectors, partial_paths
from clio.errors import ConfigError


def fake_embed(texts, dim=8):
    """Deterministic per text, independent of batch composition (like a real model's rows)."""
    out = np.empty((len(texts), dim), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i] = np.random.default_rng(zlib.crc32(t.encode())).normal(size=dim)
    return out


TEXTS = [f"request number {i} " + "x" * (i % 13) for i in range(103)]


class Counting:
    def __init__(self, fail_after=None):
        self.calls, self.rows, self.fail_after = 0, 0, fail_after

    def __call__(self, texts):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls += 1
        self.rows += len(texts)
        return fake_embed(texts)


def test_memmap_round_trip(tmp_path):
    path = tmp_path / "embeddings.npy"
    got = embed_to_npy(fake_embed, TEXTS, path, key="m", chunk_size=10)
    assert isinstance(got, np.memmap) and got.mode == "r" and got.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(got), fake_embed(TEXTS))  # rows at their original positions
    np.testing.assert_array_equal(np.load(path), fake_embed(TEXTS))  # a plain .npy for any reader
    np.testing.assert_array_equal(open_vectors(path), np.load(path))
    assert not any(p.exists() for p in partial_paths(path))
    with pytest.raises(ValueError):
        got[0, 0] = 1.0  # read-only


def test_chunked_writer_resumes_after_a_kill(tmp_path):
    path = tmp_path / "embeddings.npy"
    with pytest.raises(KeyboardInterrupt):
        embed_to_npy(Counting(fail_after=4), TEXTS, path, key="m", chunk_size=10)
    partial, marker = partial_paths(path)
    assert not path.exists() and partial.exists()
    assert json.loads(marker.read_text())["done"] == 40

    seen = []
    resumed = Counting()
    got = embed_to_npy(resumed, TEXTS, path, key="m", chunk_size=10, progress=seen.append)
    assert resumed.rows == len(TEXTS) - 40  # only the unfinished chunks
    assert seen[0].resumed_from == 40 and seen[-1].done == len(TEXTS) and seen[-1].eta_seconds == 0
    np.testing.assert_array_equal(np.asarray(got), fake_embed(TEXTS))
    assert not partial.exists() and not marker.exists()


@pytest.mark.parametrize("change", ["key", "texts", "chunk_size"])
def test_chunked_writer_starts_over_when_inputs_change(tmp_path, change):
    path = tmp_path / "embeddings.npy"
    with pytest.raises(KeyboardInterrupt):
        embed_to_npy(Counting(fail_after=2), TEXTS, path, key="m", chunk_size=10)
    texts = TEXTS[:-1] + ["another text"] if change == "texts" else TEXTS
    again = Counting()
    got = embed_to_npy(again, texts, path, key="other" if change == "key" else "m", chunk_size=7 if change == "chunk_size" else 10)
    assert again.rows == len(texts)
    np.testing.assert_array_equal(np.asarray(got), fake_embed(texts))


def test_chunked_writer_marker_never_ahead_of_data(tmp_path):
    """A damaged marker (unreadable) is ignored: start over rather than trust it."""
    path = tmp_path / "e.npy"
    with pytest.raises(KeyboardInterrupt):
        embed_to_npy(Counting(fail_after=3), TEXTS, path, key="m", chunk_size=10)
    partial_paths(path)[1].write_text("{not json")
    again = Counting()
    embed_to_npy(again, TEXTS, path, key="m", chunk_size=10)
    assert again.rows == len(TEXTS)


def test_empty_input(tmp_path):
    got = embed_to_npy(lambda texts: np.zeros((0, 8), dtype=np.float32), [], tmp_path / "e.npy")
    assert got.shape == (0, 8)


def test_embedder_embed_to_file_uses_the_cache(tmp_path):
    pytest.importorskip("sentence_transformers")
    from clio.embeddings import Embedder

    try:
        emb = Embedder("all-MiniLM-L6-v2", cache_dir=tmp_path / "cache", show_progress=False)
        _ = emb.dim  # loads the model: the skip below happens here
    except ConfigError as exc:
        pytest.skip(str(exc))
    texts = ["help with a cover letter", "fix a python error", "plan a trip", "help with a cover letter"]
    got = emb.embed_to_file(texts, tmp_path / "run" / "embeddings.npy", chunk_size=2)
    np.testing.assert_allclose(np.asarray(got), emb.embed(texts), atol=1e-6)
    assert emb.last.computed == 0  # everything came from the cache the file pass filled
    np.testing.assert_array_equal(got[0], got[3])


# --------------------------------------------------------------------------- clustering


def test_auto_clusterer_choice():
    assert resolve_method(50_000) == "kmeans"
    assert resolve_method(50_001) == "minibatch"
    assert resolve_method(1_000, full_max_n=500) == "minibatch"
    assert resolve_method(10**6, full_max_n=None) == "kmeans"
    assert resolve_method(10, "faiss") == "faiss"  # explicit methods pass through
    with pytest.raises(ConfigError, match="auto.large"):
        resolve_method(10**6, large="hdbscan")
    if faiss_available():
        assert resolve_method(10**6, large="faiss") == "faiss"


def test_auto_runs_the_chosen_method(monkeypatch):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.1, size=(40, 4)) for c in (0, 5, 10)]).astype(np.float32)
    used = []
    for name in ("kmeans", "minibatch"):
        real = CLUSTERERS[name]
        monkeypatch.setitem(CLUSTERERS, name, lambda X, k, rs, _real=real, _name=name, **o: used.append(_name) or _real(X, k, rs, **o))
    cluster_embeddings(X, 3, method="auto", random_state=0, full_max_n=200)
    cluster_embeddings(X, 3, method="auto", random_state=0, full_max_n=100)
    assert used == ["kmeans", "minibatch"]


def _blobs_on_disk(tmp_path, n_per=400, d=16):
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(5, d)) * 10
    X = np.vstack([rng.normal(c, 0.5, size=(n_per, d)) for c in centres]).astype(np.float32)
    truth = np.repeat(np.arange(5), n_per)
    np.save(tmp_path / "X.npy", X)
    return open_vectors(tmp_path / "X.npy"), truth


@pytest.mark.parametrize("method", ["minibatch", "faiss"])
def test_large_methods_on_a_memmap(tmp_path, method):
    if method == "faiss" and not faiss_available():
        pytest.skip("faiss-cpu not installed")
    X, truth = _blobs_on_disk(tmp_path)
    options = {"chunk_rows": 300, "max_points_per_centroid": 100} if method == "faiss" else {}
    a = cluster_embeddings(X, 5, method=method, random_state=0, **options)
    b = cluster_embeddings(X, 5, method=method, random_state=0, **options)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert all(len(set(a.labels[truth == t])) == 1 for t in range(5))
    assert sorted(a.sizes()) == [400] * 5 and a.centroids.shape == (5, 16)


def test_nearest_non_members_in_blocks_equals_one_pass(tmp_path, monkeypatch):
    import clio.clustering as clustering

    rng = np.random.default_rng(3)
    X = rng.normal(size=(1000, 8)).astype(np.float32)
    labels = rng.integers(0, 4, size=1000)
    centroids = np.vstack([X[labels == c].mean(axis=0) for c in range(4)])
    whole = nearest_non_members(X, labels, centroids, 2, 25)
    monkeypatch.setattr(clustering, "_DISTANCE_BLOCK", 64)
    np.testing.assert_array_equal(nearest_non_members(X, labels, centroids, 2, 25), whole)
    outside = np.flatnonzero(labels != 2)
    expect = outside[np.argsort(np.linalg.norm(X[outside] - centroids[2], axis=1), kind="stable")[:25]]
    np.testing.assert_array_equal(whole, expect)


# --------------------------------------------------------------------------- projection


def test_sample_fit_projection_covers_every_row(tmp_path, monkeypatch):
    import clio.projection as projection

    monkeypatch.setattr(projection, "MIN_TRANSFORM_CHUNK", 100)  # small blocks for a small test
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 12)) * 5
    X = np.vstack([rng.normal(c, 0.3, size=(1000, 12)) for c in centres]).astype(np.float32)
    truth = np.repeat(np.arange(3), 1000)
    np.save(tmp_path / "X.npy", X)
    mm = open_vectors(tmp_path / "X.npy")
    p = projection.fit_projection(mm, random_state=0, fit_sample=300, transform_chunk=1000, n_epochs=50)
    assert p.method == "umap+transform" and p.fitted_on == 300 and p.coords.shape == (3000, 2)
    assert np.isfinite(p.coords).all()
    assert "in 3 blocks" in p.notes[0]
    # transformed points land with their group: the nearest group mean is their own
    means = np.vstack([p.coords[truth == t].mean(axis=0) for t in range(3)])
    nearest = np.argmin(np.linalg.norm(p.coords[:, None, :] - means[None], axis=2), axis=1)
    assert (nearest == truth).mean() > 0.99
    again = projection.fit_projection(mm, random_state=0, fit_sample=300, transform_chunk=1000, n_epochs=50)
    np.testing.assert_array_equal(again.coords, p.coords)


def test_projection_chunk_must_stay_above_umaps_epoch_line():
    from clio.projection import fit_projection

    with pytest.raises(ConfigError, match="transform_chunk"):
        fit_projection(np.zeros((100, 4), dtype=np.float32), fit_sample=50, transform_chunk=1000)


@pytest.mark.parametrize("normalised", [True, False])
def test_nearest_non_members_all_equals_the_per_cluster_answer(monkeypatch, normalised):
    import clio.clustering as clustering
    from clio.clustering import nearest_non_members_all

    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 16)).astype(np.float32)
    X[100:140] = X[5]  # exact ties at the boundary: order must follow the row index
    if normalised:
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    labels = rng.integers(0, 12, size=len(X))
    centroids = np.vstack([X[labels == c].mean(axis=0) for c in range(12)]).astype(np.float64)
    expect = {c: nearest_non_members(X, labels, centroids, c, 30) for c in range(12)}
    monkeypatch.setattr(clustering, "_DISTANCE_BLOCK", 500)  # take the one-pass path
    got = nearest_non_members_all(X, labels, centroids, 30, block_rows=256)
    assert set(got) == set(range(12))
    for c in range(12):
        np.testing.assert_array_equal(got[c], expect[c])
    some = nearest_non_members_all(X, labels, centroids, 7, clusters=[3, 9], block_rows=128)
    assert set(some) == {3, 9} and all(np.array_equal(some[c], expect[c][:7]) for c in (3, 9))
