"""Base-level clusters (paper B.2, G.5): k-means over the summary embeddings.

Numeric code only; naming the clusters with a model lives in `clio.naming`. Everything here follows
scikit-learn conventions: hyperparameters in, `random_state` passed through, no global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from clio.errors import ConfigError

K_RULES = ("fixed", "sqrt", "per_cluster")


def choose_k(
    n: int,
    rule: str = "sqrt",
    k: int | None = None,
    min_k: int = 2,
    max_k: int | None = None,
    per_cluster: int | None = None,
) -> int:
    """Number of base clusters for `n` conversations.

    The paper varies k with dataset size but does not publish its values (they would reveal the
    volume below which coordinated behaviour hides inside a larger cluster). Rules offered:
    - an explicit `k` (or rule "fixed"): used as given, after checking it fits the data;
    - "sqrt": about sqrt(n / 2), a common rule of thumb that grows slowly with n;
    - "per_cluster": n // per_cluster, i.e. a target average cluster size.
    The result is clamped to [min_k, max_k] and never exceeds n.
    """
    if n < 2:
        raise ConfigError(f"clustering needs at least 2 conversations, got {n}")
    if k is not None or rule == "fixed":
        if k is None:
            raise ConfigError("clustering.k_rule=fixed needs clustering.k")
        if k < 1:
            raise ConfigError(f"k={k} must be at least 1")
        if k > n:
            raise ConfigError(f"k={k} is larger than the {n} conversations to cluster; lower clustering.k or use more data")
        return int(k)
    if rule == "sqrt":
        chosen = round(math.sqrt(n / 2))
    elif rule == "per_cluster":
        if not per_cluster or per_cluster < 1:
            raise ConfigError("clustering.k_rule=per_cluster needs clustering.per_cluster >= 1")
        chosen = n // per_cluster
    else:
        raise ConfigError(f"unknown k rule '{rule}' (choose one of {', '.join(K_RULES)}, or give k)")
    if max_k is not None:
        chosen = min(chosen, max_k)
    chosen = max(chosen, min_k)
    return int(min(max(chosen, 1), n))


@dataclass
class ClusterResult:
    labels: np.ndarray  # (n,) int cluster id per row
    centroids: np.ndarray  # (k, d)
    inertia: float

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    def sizes(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.k)


Clusterer = Callable[..., ClusterResult]


def _kmeans(X: np.ndarray, k: int, random_state: Any, **options: Any) -> ClusterResult:
    from sklearn.cluster import KMeans

    options.setdefault("n_init", "auto")
    model = KMeans(n_clusters=k, random_state=random_state, **options).fit(X)
    return ClusterResult(model.labels_.astype(int), model.cluster_centers_, float(model.inertia_))


def _minibatch(X: np.ndarray, k: int, random_state: Any, **options: Any) -> ClusterResult:
    # Full KMeans' k-means++ start dominates at 1M x k=1000 (measured: does not finish in 10 min);
    # MiniBatchKMeans finishes in about 70 s there. It reads X (a memmap is fine) in random
    # batches and keeps only O(n) scalars besides: no copy of the (n, d) data.
    from sklearn.cluster import MiniBatchKMeans

    options.setdefault("n_init", "auto")
    options.setdefault("batch_size", 4096)
    options["compute_labels"] = True
    model = MiniBatchKMeans(n_clusters=k, random_state=random_state, **options).fit(X)
    # With compute_labels (forced above) sklearn assigns every row to the *final* centres after
    # the last step, so labels_ is the final assignment; no second predict pass is needed.
    return ClusterResult(model.labels_.astype(int), model.cluster_centers_, float(model.inertia_))


def faiss_available() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def _faiss(X: np.ndarray, k: int, random_state: Any, *, niter: int = 20, max_points_per_centroid: int = 256, chunk_rows: int = 65_536, **options: Any) -> ClusterResult:
    """faiss-cpu k-means: trained on a seeded sample of at most k * max_points_per_centroid rows
    (faiss' own default bound), then every row assigned in chunks, so a memmapped X is never
    loaded whole. Needs `pip install faiss-cpu`."""
    try:
        import faiss
    except ImportError:
        raise ConfigError("clustering method 'faiss' needs faiss-cpu (pip install faiss-cpu); or use method minibatch") from None
    n, d = X.shape
    seed = int(np.random.default_rng(random_state).integers(2**31 - 1)) if not isinstance(random_state, int) else random_state
    limit = k * max_points_per_centroid
    if n > limit:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
        train = np.ascontiguousarray(X[rows], dtype=np.float32)
    else:
        train = np.ascontiguousarray(X, dtype=np.float32)
    km = faiss.Kmeans(d, k, niter=niter, seed=seed, max_points_per_centroid=max_points_per_centroid, verbose=False, **options)
    km.train(train)
    del train
    labels = np.empty(n, dtype=np.int64)
    inertia = 0.0
    for start in range(0, n, chunk_rows):
        block = np.ascontiguousarray(X[start : start + chunk_rows], dtype=np.float32)
        dist, idx = km.index.search(block, 1)
        labels[start : start + len(block)] = idx[:, 0]
        inertia += float(dist.sum())
    return ClusterResult(labels.astype(int), np.asarray(km.centroids, dtype=np.float64), inertia)


# `auto`: exact k-means (Lloyd, k-means++ start) while it is affordable, a large-data method above.
# Measured on 2 cores, 384-d: sklearn KMeans 39 s at 100k/k=300 and no finish in 10 min at
# 1M/k=1000; MiniBatchKMeans 70 s and faiss 28 s there.
AUTO_FULL_MAX_N = 50_000
AUTO_MINIBATCH_ABOVE = AUTO_FULL_MAX_N  # old name, kept for callers
AUTO_LARGE_METHODS = ("minibatch", "faiss")


def resolve_method(n: int, method: str = "auto", *, full_max_n: int = AUTO_FULL_MAX_N, large: str = "minibatch") -> str:
    """The concrete clusterer `method` stands for at `n` rows: `auto` is "kmeans" up to
    `full_max_n` rows and `large` ("minibatch" or "faiss") above; other names are returned as
    given. conf/config.yaml sets both under `clustering.auto`."""
    if method != "auto":
        return method
    if large not in AUTO_LARGE_METHODS:
        raise ConfigError(f"clustering.auto.large must be one of {', '.join(AUTO_LARGE_METHODS)}, got '{large}'")
    if full_max_n is None or n <= full_max_n:
        return "kmeans"
    if large == "faiss" and not faiss_available():
        raise ConfigError("clustering.auto.large=faiss but faiss-cpu is not installed (pip install faiss-cpu), or set it to minibatch")
    return large


def _auto(X: np.ndarray, k: int, random_state: Any, *, full_max_n: int = AUTO_FULL_MAX_N, large: str = "minibatch", **options: Any) -> ClusterResult:
    method = resolve_method(len(X), "auto", full_max_n=full_max_n, large=large)
    return CLUSTERERS[method](X, k, random_state, **options)


# Config picks a clusterer by name; other packages can register theirs.
CLUSTERERS: dict[str, Clusterer] = {"kmeans": _kmeans, "minibatch": _minibatch, "faiss": _faiss, "auto": _auto}


def register_clusterer(name: str, fn: Clusterer) -> None:
    CLUSTERERS[name] = fn


def cluster_embeddings(X: np.ndarray, k: int, method: str = "kmeans", random_state: Any = None, **options: Any) -> ClusterResult:
    """Partition the rows of X into k clusters with the named method."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ConfigError(f"embeddings must be a 2-D array, got shape {X.shape}")
    if k > len(X):
        raise ConfigError(f"k={k} is larger than the {len(X)} conversations to cluster; lower clustering.k or use more data")
    if method not in CLUSTERERS:
        raise ConfigError(f"unknown clustering method '{method}' (choose one of {', '.join(sorted(CLUSTERERS))})")
    return CLUSTERERS[method](X, int(k), random_state, **options)


# --------------------------------------------------------------------------- examples for naming


def sample_members(labels: np.ndarray, cluster: int, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Up to n random member indices of `cluster` (all of them when it is smaller)."""
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    members = np.flatnonzero(np.asarray(labels) == cluster)
    if len(members) <= n:
        return members
    return np.sort(rng.choice(members, size=n, replace=False))


def central_members(X: np.ndarray, labels: np.ndarray, centroids: np.ndarray, cluster: int, n: int) -> np.ndarray:
    """Up to n member indices of `cluster` nearest its centroid, nearest first: the most typical
    members, for namers shown only a few examples (embed-first mode)."""
    members = np.flatnonzero(np.asarray(labels) == cluster)
    if len(members) == 0 or n <= 0:
        return np.empty(0, dtype=int)
    distances = np.linalg.norm(np.asarray(X[members]) - centroids[cluster], axis=1)
    return members[np.argsort(distances, kind="stable")[:n]]


def nearest_non_members(X: np.ndarray, labels: np.ndarray, centroids: np.ndarray, cluster: int, n: int) -> np.ndarray:
    """The n points closest to `cluster`'s centroid that belong to other clusters, nearest first.

    These are the paper's contrastive examples: what the name must *not* cover, taken from the
    boundary where a vague name would be most tempting."""
    X = np.asarray(X)
    outside = np.flatnonzero(np.asarray(labels) != cluster)
    if len(outside) == 0 or n <= 0:
        return np.empty(0, dtype=int)
    # Row by row the same arithmetic as one np.linalg.norm over X[outside], but in blocks: a
    # memmapped X is never copied whole (at 1M x 384 that copy would be 1.5 GB per cluster).
    distances = np.empty(len(outside))
    for start in range(0, len(outside), _DISTANCE_BLOCK):
        rows = outside[start : start + _DISTANCE_BLOCK]
        distances[start : start + len(rows)] = np.linalg.norm(X[rows] - centroids[cluster], axis=1)
    order = np.argsort(distances, kind="stable")[:n]
    return outside[order]


_DISTANCE_BLOCK = 65_536


def nearest_non_members_all(X: np.ndarray, labels: np.ndarray, centroids: np.ndarray, n: int, clusters: Any = None, *, block_rows: int = 8192) -> dict[int, np.ndarray]:
    """`nearest_non_members` for many clusters at once, with the same result for each: one pass
    over X instead of one per cluster (at 1M x 384 and k = 707: seconds instead of many minutes).

    Each block of rows is compared with all centroids by a matrix product (squared distances
    ||x||^2 - 2 x.c + ||c||^2); per cluster, the rows within a tolerance of its n-th nearest
    non-member so far are kept as candidates (the pool stays O(n * k), not O(rows)). The
    candidates' distances are then recomputed exactly as `nearest_non_members` computes them and
    ordered the same way (stable, by row index on ties). The tolerance is far above float32
    rounding, so no row that belongs in the answer is pruned. Small inputs use the per-cluster
    function directly."""
    labels = np.asarray(labels)
    centroids = np.asarray(centroids)
    clusters = list(range(len(centroids))) if clusters is None else [int(c) for c in clusters]
    if n <= 0 or not clusters:
        return {c: np.empty(0, dtype=int) for c in clusters}
    if len(X) <= _DISTANCE_BLOCK:
        return {c: nearest_non_members(X, labels, centroids, c, n) for c in clusters}
    ids = np.asarray(clusters)
    C = np.asarray(centroids[ids], dtype=np.float32)
    c_sq = np.einsum("ij,ij->i", C.astype(np.float64), C.astype(np.float64))
    pool_rows: list[np.ndarray] = []
    pool_cols: list[np.ndarray] = []
    pool_vals: list[np.ndarray] = []
    threshold = np.full(len(ids), np.inf)
    tol = 0.0
    pooled = 0

    def prune() -> None:
        nonlocal pooled
        rows, cols, vals = (np.concatenate(a) for a in (pool_rows, pool_cols, pool_vals))
        order = np.lexsort((vals, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        starts = np.searchsorted(cols, np.arange(len(ids)))
        counts = np.bincount(cols, minlength=len(ids))
        has_n = counts >= n
        threshold[has_n] = np.minimum(threshold[has_n], vals[starts[has_n] + n - 1])
        keep = vals <= threshold[cols] + tol
        pool_rows[:], pool_cols[:], pool_vals[:] = [rows[keep]], [cols[keep]], [vals[keep]]
        pooled = int(keep.sum())

    for start in range(0, len(X), block_rows):
        B = np.asarray(X[start : start + block_rows], dtype=np.float32)
        b_sq = np.einsum("ij,ij->i", B.astype(np.float64), B.astype(np.float64))
        scale = float(b_sq.max(initial=0.0) + c_sq.max(initial=0.0))
        tol = max(tol, 1e-3 * scale + 1e-12)
        # (clusters, rows): each cluster's distances contiguous for the partition below
        D = c_sq[:, None] - 2.0 * (C @ B.T).astype(np.float64) + b_sq[None, :]
        outside = ids[:, None] != labels[None, start : start + len(B)]
        D[~outside] = np.inf
        m = min(n, len(B))
        kth = np.partition(D, m - 1, axis=1)[:, m - 1]
        keep = outside & (np.minimum(kth, threshold)[:, None] + tol >= D)
        c, r = np.nonzero(keep)
        pool_rows.append(r + start)
        pool_cols.append(c)
        pool_vals.append(D[c, r])
        pooled += len(r)
        if pooled > 4 * n * len(ids) + 4 * block_rows:
            prune()
    prune()

    out: dict[int, np.ndarray] = {}
    rows, cols = pool_rows[0], pool_cols[0]
    order = np.argsort(cols, kind="stable")
    rows, cols = rows[order], cols[order]
    bounds = np.searchsorted(cols, np.arange(len(ids) + 1))
    for j, cluster in enumerate(clusters):
        cand = np.unique(rows[bounds[j] : bounds[j + 1]])
        if len(cand) == 0:
            out[cluster] = np.empty(0, dtype=int)
            continue
        distances = np.linalg.norm(np.asarray(X[cand]) - centroids[cluster], axis=1)
        out[cluster] = cand[np.argsort(distances, kind="stable")[:n]]
    return out
