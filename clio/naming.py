"""Contrastive naming of base clusters (paper G.5).

For each cluster the model sees a random sample of member summaries and the summaries nearest to
the cluster's centroid that belong to other clusters, and writes a two-sentence description and a
short name. The contrast is what keeps names specific: a name must cover the members and exclude
the neighbours. A naming that fails is recorded with its error and a placeholder name; the run
goes on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

from clio.clustering import nearest_non_members_all, sample_members
from clio.llm.backends import SamplingParams
from clio.llm.gateway import LLMGateway, LLMJob
from clio.prompts import load_prompt

# Criteria for the request facet (paper G.5: names are imperative sentences stating the request).
REQUEST_CRITERIA = (
    "The name is a short imperative sentence that starts with a verb and states what the users "
    "asked for. (No example names here: small local models copy examples verbatim.)"
)


class ClusterName(BaseModel):
    cluster_id: int
    name: str
    description: str
    size: int
    error: str | None = None

    @property
    def id(self) -> int:  # lets the hierarchizer take these as base records
        return self.cluster_id


def placeholder_name(cluster_id: int) -> str:
    return f"Unnamed cluster {cluster_id}"


def fit_examples(texts: Sequence[str], max_chars: int | None, max_item_chars: int | None = 300) -> list[str]:
    """Keep examples in order until their total length reaches `max_chars`.

    Prompt processing dominates on small local models (about 37 tokens/s), so callers bound the
    prompt with a character budget; each item is first cut to `max_item_chars`. At least one
    example is always kept."""
    kept: list[str] = []
    total = 0
    for text in texts:
        text = re.sub(r"\s+", " ", str(text)).strip()
        if max_item_chars and len(text) > max_item_chars:
            text = text[: max_item_chars - 1].rstrip() + "…"
        if max_chars is not None and kept and total + len(text) > max_chars:
            break
        kept.append(text)
        total += len(text) + 3  # "- " and the newline
    return kept


def clean_name(name: str) -> str:
    """Names are labels: no surrounding quotes, list markers or trailing full stop."""
    name = re.sub(r"\s+", " ", name).strip()
    name = re.sub(r"^(?:\d+[.)]|[-*•])\s+", "", name)
    return name.strip().strip("\"'`").rstrip(".").strip()


def name_clusters(
    summaries: Sequence[str],
    X: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    gateway: LLMGateway,
    *,
    criteria: str = REQUEST_CRITERIA,
    n_members: int = 50,
    n_contrast: int = 50,
    random_state: Any = None,
    temperature: float = 1.0,
    max_tokens: int = 200,
    max_chars: int | None = 6000,
    max_item_chars: int | None = 300,
    prompt: str = "cluster_name",
    stage: str = "naming",
) -> list[ClusterName]:
    """Name every cluster 0..k-1 (k = len(centroids)); results in cluster order.

    `max_chars` bounds each of the two example lists (members, contrast) separately; None keeps
    all sampled examples, as the paper does with a large-context model."""
    labels = np.asarray(labels)
    if len(summaries) != len(labels):
        raise ValueError(f"{len(summaries)} summaries but {len(labels)} labels")
    rng = np.random.default_rng(random_state)  # one stream, drawn in cluster order: reproducible
    template = load_prompt(prompt)
    params = SamplingParams(max_tokens=max_tokens, temperature=temperature, stop=("</name>",))
    sizes = np.bincount(labels, minlength=len(centroids))
    # every cluster's nearest non-members in one pass over X (same rows as nearest_non_members)
    contrast_sets = nearest_non_members_all(X, labels, centroids, n_contrast, clusters=np.flatnonzero(sizes))

    jobs: list[LLMJob] = []
    asked: list[int] = []
    for cluster in range(len(centroids)):
        if sizes[cluster] == 0:
            continue
        members = sample_members(labels, cluster, n_members, rng)
        contrast = contrast_sets[cluster]
        rendered = template.render(
            criteria=criteria,
            answers=fit_examples([summaries[i] for i in members], max_chars, max_item_chars),
            contrastive_answers=fit_examples([summaries[i] for i in contrast], max_chars, max_item_chars),
        )
        jobs.append(LLMJob(prompt=rendered, params=params))
        asked.append(cluster)
    results = dict(zip(asked, gateway.ask_many(jobs, stage=stage, desc="name clusters")))

    names: list[ClusterName] = []
    for cluster in range(len(centroids)):
        size = int(sizes[cluster])
        result = results.get(cluster)
        if result is None:
            names.append(ClusterName(cluster_id=cluster, name=placeholder_name(cluster), description="", size=0, error="empty cluster"))
            continue
        name = clean_name(result.value["name"]) if result.ok else ""
        if not result.ok or not name:
            names.append(
                ClusterName(cluster_id=cluster, name=placeholder_name(cluster), description="", size=size, error=result.error or "empty name")
            )
            continue
        names.append(ClusterName(cluster_id=cluster, name=name, description=result.value["summary"].strip(), size=size))
    return names
