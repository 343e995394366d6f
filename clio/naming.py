"""Contrastive naming of base clusters (paper G.5).

For each cluster the model sees a random sample of member summaries and the summaries nearest to
the cluster's centroid that belong to other clusters, and writes a two-sentence description and a
short name. The contrast is what keeps names specific: a name must cover the members and exclude
the neighbours. A naming that fails is recorded with its error and a placeholder name; the run
goes on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from clio.clustering import central_members, nearest_non_members_all, sample_members
from clio.llm.backends import SamplingParams
from clio.llm.gateway import LLMGateway, LLMJob
from clio.prompts import load_prompt

# Criteria for the request facet (paper G.5: names are imperative sentences stating the request).
REQUEST_CRITERIA = "The name is a short imperative sentence that starts with a verb and states what the users asked for. (No example names here: small local models copy examples verbatim.)"


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


def fit_examples(texts: Sequence[str], max_chars: int | None, max_item_chars: int | None = 300, length: Callable[[str], int] = len) -> list[str]:
    """Keep examples in order until their total length reaches `max_chars`.

    Prompt processing dominates on small local models (about 37 tokens/s), so callers bound the
    prompt with a budget: characters by default, or any `length` (a model's token count, with
    `max_chars` then a token budget); each item is first cut to `max_item_chars` characters. At
    least one example is always kept."""
    kept: list[str] = []
    total = 0
    for text in texts:
        text = re.sub(r"\s+", " ", str(text)).strip()
        if max_item_chars and len(text) > max_item_chars:
            text = text[: max_item_chars - 1].rstrip() + "…"
        size = length(text)
        if max_chars is not None and kept and total + size > max_chars:
            break
        kept.append(text)
        total += size + (3 if length is len else 2)  # "- " and the newline
    return kept


def clean_name(name: str) -> str:
    """Names are labels: no surrounding quotes, list markers or trailing full stop."""
    name = re.sub(r"\s+", " ", name).strip()
    name = re.sub(r"^(?:\d+[.)]|[-*•])\s+", "", name)
    name = re.sub(r"\s*</?[a-z_]*>?$", "", name)  # a closing tag the model began inside the name ("... errors</name")
    return name.strip().strip("\"'`").rstrip(".").strip()


class NamingCall:
    """The naming call of one cluster, for `name_clusters` and the estimator (clio/estimate.py):
    how many member and contrast texts the per-list budget shows (`fit_examples`), the rendered
    prompt and its sampling parameters. The budget is `max_tokens_per_list` in the backend's own
    tokens (`count_tokens`) when set, else `max_chars` characters."""

    def __init__(
        self,
        prompt: str = "cluster_name",
        *,
        criteria: str = REQUEST_CRITERIA,
        temperature: float = 1.0,
        max_tokens: int = 200,
        max_chars: int | None = 6000,
        max_item_chars: int | None = 300,
        max_tokens_per_list: int | None = None,
        count_tokens: Callable[[str], int] = len,
    ):
        self.template, self.criteria, self.max_item_chars = load_prompt(prompt), criteria, max_item_chars
        self.params = SamplingParams(max_tokens=max_tokens, temperature=temperature, stop=("</name>",))
        self.budget, self.length = (max_tokens_per_list, count_tokens) if max_tokens_per_list else (max_chars, len)

    def shown(self, texts: Sequence[str]) -> list[str]:
        """The texts of one example list that the budget shows, cut as they are shown."""
        return fit_examples(texts, self.budget, self.max_item_chars, self.length)

    def job(self, members: Sequence[str], contrast: Sequence[str]) -> LLMJob:
        return LLMJob(prompt=self.template.render(criteria=self.criteria, answers=self.shown(members), contrastive_answers=self.shown(contrast)), params=self.params)

    def plan(self, texts: Sequence[str], n_rows: int, k: int, n_members: int, n_contrast: int) -> list[tuple[LLMJob, float]]:
        """The k naming calls over `n_rows` rows as (job, expected calls), on placeholder `texts`. A
        cluster shows min(n_members, its size, what the budget shows) members, with sizes taken as
        geometric with mean n_rows / k (k-means sizes are skewed: small clusters show fewer), and
        min(n_contrast, rows outside it) contrast texts. A prompt holds whole texts, so the
        expected count is split between the two whole counts around it."""
        size = n_rows / k
        members = expected_min(len(self.shown(texts[:n_members])), size)
        contrast = texts[: int(min(n_contrast, max(0, n_rows - round(size))))]
        low = max(1, math.floor(members))
        counts = [(low, 1.0)] if members - low <= 1e-9 else [(low, 1.0 - (members - low)), (low + 1, members - low)]
        return [(self.job(texts[:count], contrast), k * weight) for count, weight in counts]


def expected_min(cap: int, mean_size: float) -> float:
    """E[min(cap, X)] for cluster sizes X geometric on 1, 2, ... with the given mean."""
    if cap <= 0:
        return 0.0
    if mean_size <= 1:
        return 1.0
    q = 1.0 - 1.0 / mean_size  # P(X > x) = q^x
    return (1.0 - q**cap) / (1.0 - q)


Examples = dict[int, tuple[np.ndarray, np.ndarray]]  # cluster -> (member rows, nearest non-member rows)


def naming_examples(
    X: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    *,
    n_members: int,
    n_contrast: int,
    members: Literal["random", "central"] = "random",
    random_state: Any = None,
) -> Examples:
    """Which rows each non-empty cluster's namer sees: members (a random sample, as in the paper, or
    the ones nearest the centroid) and the nearest non-members (the contrast)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(random_state)  # one stream, drawn in cluster order: reproducible
    sizes = np.bincount(labels, minlength=len(centroids))
    clusters = np.flatnonzero(sizes)
    # every cluster's nearest non-members in one pass over X (same rows as nearest_non_members)
    contrast_sets = nearest_non_members_all(X, labels, centroids, n_contrast, clusters=clusters)
    pick = (lambda c: central_members(X, labels, centroids, c, n_members)) if members == "central" else (lambda c: sample_members(labels, c, n_members, rng))
    return {int(c): (pick(int(c)), contrast_sets[int(c)]) for c in clusters}


def name_clusters(
    summaries: Sequence[str] | Mapping[int, str],
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
    examples: Examples | None = None,
    max_tokens_per_list: int | None = None,
) -> list[ClusterName]:
    """Name every cluster 0..k-1 (k = len(centroids)); results in cluster order.

    `summaries[i]` is the text shown for row i: a sequence over all rows, or a mapping that holds
    only the rows in `examples` (from `naming_examples`; by default a random member sample and
    the nearest non-members). Rows missing from a mapping are not shown (e.g. an excerpt that
    could not be scrubbed). `max_chars` bounds each of the two example lists (members, contrast)
    separately; None keeps all sampled examples, as the paper does with a large-context model.
    `max_tokens_per_list` bounds each list in the backend's own tokens instead (for texts in
    scripts that cost several tokens a character)."""
    labels = np.asarray(labels)
    if not isinstance(summaries, Mapping) and len(summaries) != len(labels):
        raise ValueError(f"{len(summaries)} summaries but {len(labels)} labels")
    call = NamingCall(
        prompt,
        criteria=criteria,
        temperature=temperature,
        max_tokens=max_tokens,
        max_chars=max_chars,
        max_item_chars=max_item_chars,
        max_tokens_per_list=max_tokens_per_list,
        count_tokens=gateway.backend.count_tokens if max_tokens_per_list else len,
    )
    sizes = np.bincount(labels, minlength=len(centroids))
    if examples is None:
        examples = naming_examples(X, labels, centroids, n_members=n_members, n_contrast=n_contrast, random_state=random_state)

    def shown(rows: np.ndarray) -> list[str]:
        if isinstance(summaries, Mapping):
            return [summaries[int(i)] for i in rows if int(i) in summaries]
        return [summaries[i] for i in rows]

    jobs: list[LLMJob] = []
    asked: list[int] = []
    for cluster in range(len(centroids)):
        if sizes[cluster] == 0:
            continue
        members, contrast = examples[cluster]
        member_texts = shown(members)
        if not member_texts:
            continue  # nothing showable: recorded below as a naming failure
        jobs.append(call.job(member_texts, shown(contrast)))
        asked.append(cluster)
    results = dict(zip(asked, gateway.ask_many(jobs, stage=stage, desc="name clusters")))

    names: list[ClusterName] = []
    for cluster in range(len(centroids)):
        size = int(sizes[cluster])
        result = results.get(cluster)
        if result is None:
            error = "empty cluster" if size == 0 else "no member text could be shown to the namer"
            names.append(ClusterName(cluster_id=cluster, name=placeholder_name(cluster), description="", size=size, error=error))
            continue
        name = clean_name(result.value["name"]) if result.ok else ""
        if not result.ok or not name:
            names.append(ClusterName(cluster_id=cluster, name=placeholder_name(cluster), description="", size=size, error=result.error or "empty name"))
            continue
        names.append(ClusterName(cluster_id=cluster, name=name, description=result.value["summary"].strip(), size=size))
    return names
