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
    # MiniBatchKMeans finishes in about 70 s there.
    from sklearn.cluster import MiniBatchKMeans

    options.setdefault("n_init", "auto")
    options.setdefault("batch_size", 4096)
    model = MiniBatchKMeans(n_clusters=k, random_state=random_state, **options).fit(X)
    # labels_ of MiniBatchKMeans come from the last pass; predict gives the final assignment.
    labels = model.predict(X).astype(int)
    return ClusterResult(labels, model.cluster_centers_, float(model.inertia_))


AUTO_MINIBATCH_ABOVE = 50_000


def _auto(X: np.ndarray, k: int, random_state: Any, **options: Any) -> ClusterResult:
    method = _minibatch if len(X) > AUTO_MINIBATCH_ABOVE else _kmeans
    return method(X, k, random_state, **options)


# Config picks a clusterer by name; other packages (e.g. a faiss wrapper) can register theirs.
CLUSTERERS: dict[str, Clusterer] = {"kmeans": _kmeans, "minibatch": _minibatch, "auto": _auto}


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


def nearest_non_members(X: np.ndarray, labels: np.ndarray, centroids: np.ndarray, cluster: int, n: int) -> np.ndarray:
    """The n points closest to `cluster`'s centroid that belong to other clusters, nearest first.

    These are the paper's contrastive examples: what the name must *not* cover, taken from the
    boundary where a vague name would be most tempting."""
    X = np.asarray(X)
    outside = np.flatnonzero(np.asarray(labels) != cluster)
    if len(outside) == 0 or n <= 0:
        return np.empty(0, dtype=int)
    distances = np.linalg.norm(X[outside] - centroids[cluster], axis=1)
    order = np.argsort(distances, kind="stable")[:n]
    return outside[order]
