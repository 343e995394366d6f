"""Supervised reconstruction (paper C.2.2): map base clusters onto fixed ground-truth categories.

Two ways, so the LLM's contribution can be measured:
  llm        the hierarchizer's own assignment step (G.7): each named base cluster is put under one
             of the ground-truth category names by the model, with the pipeline's fallbacks;
  embedding  no model: each cluster goes to the category whose name embedding is nearest to the
             cluster's centroid (mean of its members' embeddings).
Each conversation inherits its cluster's category.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

Embed = Callable[[list[str]], np.ndarray]


def assign_by_embedding(centroids: np.ndarray, categories: Sequence[str], embed: Embed) -> list[int]:
    """Nearest category name (cosine) for each cluster centroid."""
    C = normalize(np.asarray(embed(list(categories)), dtype=np.float64))
    return [int(i) for i in np.argmax(normalize(np.asarray(centroids, dtype=np.float64)) @ C.T, axis=1)]


def assign_by_llm(
    base: pd.DataFrame, categories: Sequence[str], embed: Embed, gateway: Any, *, random_state: Any, max_chars: int | None, assign_orders: int | None = None
) -> tuple[list[int], list[str]]:
    """The hierarchizer's assignment step with the categories as the fixed parent level (with
    `assign_orders`, a few shared category orders instead of one per cluster, as in the hierarchy)."""
    from clio.hierarchy import Hierarchizer

    hierarchizer = Hierarchizer(embed, gateway, random_state=random_state, max_chars=max_chars, assign_orders=assign_orders)
    records = base[["cluster_id", "name", "description", "size"]].to_dict("records")
    return hierarchizer.assign_to(records, categories, stage="eval.assign")


def member_centroids(vectors: np.ndarray, labels: np.ndarray, cluster_ids: Sequence[int]) -> np.ndarray:
    return np.stack([np.asarray(vectors)[labels == c].mean(axis=0) for c in cluster_ids])


def conversation_predictions(assignments: pd.DataFrame, cluster_ids: Sequence[int], chosen: Sequence[int], categories: Sequence[str]) -> pd.Series:
    """conversation_id -> predicted category name, through its base cluster."""
    by_cluster = {int(c): categories[i] for c, i in zip(cluster_ids, chosen)}
    return pd.Series(assignments["cluster_id"].map(by_cluster).to_numpy(), index=assignments["conversation_id"].to_numpy())
