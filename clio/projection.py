"""The projector (paper G.6): a 2D map position for every conversation and cluster.

UMAP with n_neighbors=15, min_dist=0 and the cosine metric, as in the paper. For large inputs
UMAP is fitted on a seeded sample and the rest is placed with `transform` (memory and time grow
with the sample, not the data). Inputs too small for UMAP's neighbour graph fall back to a
linear projection, and the result says so.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.preprocessing import normalize

from clio.errors import ConfigError

log = logging.getLogger(__name__)

# umap's transform runs 100 epochs for inputs up to 10,000 rows and 30 above; near-equal blocks of
# at least half this size stay on one side of that line.
MIN_TRANSFORM_CHUNK = 25_000


@dataclass
class Projection:
    coords: np.ndarray  # (n, 2)
    method: str  # "umap", "umap+transform", "pca" or "trivial"
    fitted_on: int  # rows the projector was fitted on
    notes: list[str] = field(default_factory=list)


def _linear_2d(X: np.ndarray, metric: str) -> np.ndarray:
    """PCA to 2D (rows normalised first for cosine, so angles are what counts), padded with zeros
    when the data has fewer than 2 usable dimensions."""
    from sklearn.decomposition import PCA

    data = normalize(X) if metric == "cosine" else X
    out = np.zeros((len(X), 2))
    n_components = min(2, len(X), X.shape[1])
    if len(X) >= 2 and n_components >= 1:
        out[:, :n_components] = PCA(n_components=n_components, svd_solver="full").fit_transform(data)
    return out


def fit_projection(
    X: np.ndarray,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.0,
    metric: str = "cosine",
    random_state: Any = None,
    fit_sample: int | None = 50_000,
    transform_chunk: int | None = 50_000,
    **umap_options: Any,
) -> Projection:
    """Project the rows of X to 2D.

    UMAP is fitted on a seeded sample of `fit_sample` rows when n is larger (None: fit on all),
    and the rest is transformed in near-equal blocks of at most `transform_chunk` rows (None: in
    one call), so a memmapped X is read block by block and memory follows the sample and the
    block, not n. Each block is placed against the fixed fitted map with the same transform seed;
    blocks are kept above UMAP's 10,000-row line where transform switches from 30 to 100 epochs,
    unless the whole rest is smaller. With fewer than n_neighbors + 2 rows, PCA is used instead.
    Extra keyword options go to `umap.UMAP`."""
    X = np.asarray(X, dtype=np.float32)  # no copy for a float32 array or memmap
    if X.ndim != 2:
        raise ConfigError(f"projection input must be a 2-D array, got shape {X.shape}")
    n = len(X)
    if n < n_neighbors + 2:
        note = f"{n} points are too few for UMAP with n_neighbors={n_neighbors}; used PCA to 2D instead"
        log.info(note)
        return Projection(_linear_2d(X, metric), "pca" if n >= 2 else "trivial", n, [note])

    if fit_sample is not None and fit_sample < n_neighbors + 2:
        raise ConfigError(f"projection.fit_sample={fit_sample} must be larger than n_neighbors+1 ({n_neighbors + 1})")
    if transform_chunk is not None and transform_chunk < MIN_TRANSFORM_CHUNK:
        raise ConfigError(f"projection.transform_chunk={transform_chunk} must be at least {MIN_TRANSFORM_CHUNK} (or null), so blocks stay above 10,000 rows")

    import umap  # imported late: it takes seconds and compiles on first use

    seed = random_state if not isinstance(random_state, np.random.Generator) else int(random_state.integers(2**31 - 1))
    reducer = umap.UMAP(n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, random_state=seed, **umap_options)
    with warnings.catch_warnings():
        # A fixed random_state makes UMAP single-threaded and it warns about it; that is intended.
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        if fit_sample is None or n <= fit_sample:
            return Projection(reducer.fit_transform(X).astype(np.float64), "umap", n)
        rng = np.random.default_rng(random_state)
        sample = np.sort(rng.choice(n, size=fit_sample, replace=False))
        rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
        coords = np.empty((n, 2))
        coords[sample] = reducer.fit_transform(X[sample])
        blocks = 1 if transform_chunk is None else -(-len(rest) // transform_chunk)
        for block in np.array_split(rest, blocks):
            coords[block] = reducer.transform(X[block])
    note = f"UMAP fitted on a seeded sample of {fit_sample} of {n} points, the rest transformed" + (f" in {blocks} blocks" if blocks > 1 else "")
    return Projection(coords, "umap+transform", fit_sample, [note])


def project(X: np.ndarray, **options: Any) -> np.ndarray:
    """(n, 2) map coordinates for the rows of X; options as for `fit_projection`."""
    return fit_projection(X, **options).coords


def project_clusters(coords: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, how: str = "mean") -> np.ndarray:
    """Map position of each cluster from its members' positions: their mean, or their
    coordinate-wise median (robust to a few far-flung members). Empty clusters get NaN."""
    coords, labels = np.asarray(coords, dtype=np.float64), np.asarray(labels)
    if len(coords) != len(labels):
        raise ValueError(f"{len(coords)} coordinates but {len(labels)} labels")
    k = int(n_clusters if n_clusters is not None else (labels.max() + 1 if len(labels) else 0))
    if how not in ("mean", "median"):
        raise ConfigError(f"unknown cluster position '{how}' (choose mean or median)")
    reduce = np.mean if how == "mean" else np.median
    out = np.full((k, coords.shape[1]), np.nan)
    for cluster in range(k):
        members = labels == cluster
        if members.any():
            out[cluster] = reduce(coords[members], axis=0)
    return out
