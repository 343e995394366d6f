"""The privacy layers that work on whole clusters and on summaries (paper section 2.3, appendix D).

* `Rating` and the `PrivacyAuditor` protocol: what every auditor returns and must provide.
* `apply_thresholds`: layer 2, the aggregation thresholds (conversations and unique accounts).
* `quoted_details` and `redact_quoting_sentences`: layer 2 on text, cluster descriptions that
  copy a detail of fewer than min_accounts accounts.
* `generalise_summaries`: layer 1 made measurable, private details in summaries replaced by
  placeholders (with a `RuleAuditor`, see `clio.privacy.rules`).
* `cluster_text` and `audit_clusters`: layer 4, the privacy audit of each cluster's
  "name: description".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel, Field, field_validator

from clio.errors import ConfigError

if TYPE_CHECKING:
    from clio.privacy.rules import RuleAuditor

Stage = Literal["raw", "summary", "cluster"]
STAGES: tuple[str, ...] = ("raw", "summary", "cluster")
MIN_PRIVATE_OK = 3  # scores >= this are privacy-preserving (paper, appendix D)


class Rating(BaseModel):
    """One audit result. `score` is on the 1-5 privacy scale; `reasons` say what drove it;
    `source` names the auditor ("rules", "llm", "llm-error", "hybrid"); `certain` is False when the
    auditor itself knows its evidence was thin (used by HybridAuditor to decide when to ask the LLM)."""

    score: int
    reasons: list[str] = Field(default_factory=list)
    source: str = "rules"
    certain: bool = True

    @field_validator("score")
    @classmethod
    def _on_scale(cls, score: int) -> int:
        if not 1 <= score <= 5:
            raise ValueError(f"privacy score {score} is outside 1-5")
        return score

    @property
    def preserving(self) -> bool:
        return self.score >= MIN_PRIVATE_OK


@runtime_checkable
class PrivacyAuditor(Protocol):
    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]: ...


def check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ConfigError(f"privacy audit stage must be one of {', '.join(STAGES)}, not '{stage}'")


# =========================================================================== thresholds (layer 2)


def expected_kept_share(n: int, k: int, privacy: Any) -> float:
    """The thresholds' plan for `clio estimate`: the expected share of base clusters that reach
    them, cluster sizes taken as geometric on 1, 2, ... of mean n/k (as naming's `expected_min`). A cluster
    needs min_accounts conversations to have that many accounts, so the larger threshold counts.
    The auditor's removals are not modelled (it rates texts that do not exist yet)."""
    if privacy.get("safety_mode"):
        return 1.0
    need = max(int(privacy.min_conversations), int(privacy.min_accounts), 1)
    mean = n / max(1, k)
    if mean <= 1:
        return 1.0 if need <= 1 else 0.0
    return (1.0 - 1.0 / mean) ** (need - 1)  # P(X >= need)


def apply_thresholds(cluster_sizes: Mapping[Any, tuple[int, int]], min_conversations: int, min_accounts: int) -> tuple[list[Any], dict[Any, str]]:
    """Keep clusters with at least `min_conversations` conversations and `min_accounts` unique
    accounts. Returns (kept ids in input order, {removed id: reason})."""
    if min_conversations < 0 or min_accounts < 0:
        raise ConfigError("privacy thresholds must not be negative")
    kept: list[Any] = []
    removed: dict[Any, str] = {}
    for cluster_id, (n_conversations, n_accounts) in cluster_sizes.items():
        problems = []
        if n_conversations < min_conversations:
            problems.append(f"{n_conversations} conversations < min_conversations {min_conversations}")
        if n_accounts < min_accounts:
            problems.append(f"{n_accounts} unique accounts < min_accounts {min_accounts}")
        if problems:
            removed[cluster_id] = "; ".join(problems)
        else:
            kept.append(cluster_id)
    return kept, removed


# =========================================================================== quoted details (layer 2, on text)

QUOTE_CHECK_VERSION = "quotes-6"  # 6: also single rare words (a detail of few accounts, quoted or not)
RARE_WORD_ZIPF = 3.0  # a single word this rare (wordfreq zipf, English) is a detail, e.g. a diagnosis
_WORD = re.compile(r"[^\W_]+(?:['’.@+-][^\W_]+)*")


def _word_grams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def quoted_details(texts: Sequence[str], sources: Iterable[tuple[str, str]], min_accounts: int, n: int = 5, rare_word_zipf: float | None = RARE_WORD_ZIPF) -> list[list[tuple[str, int]]]:
    """For each text (a cluster's "name: description"), the runs of `n` words it copies verbatim
    from `sources` ((account id, summary) pairs) that carry an uncommon word found in the
    summaries of at least one but fewer than `min_accounts` accounts, with that word's count.

    The aggregation threshold counts the accounts in a cluster, not behind each detail of its
    name: a name that quotes one person's summary carries that person's detail (an unusual
    phrase, a made-up name) into analyst outputs even when no pattern or NER recognises it.
    Quotes made only of words many accounts used ("fix a python keyerror") pass, and so do a
    model's own words; a quote shorter than `n` words is not caught, except a single word rarer
    than `rare_word_zipf` that the summaries of fewer than min_accounts accounts contain: a name
    that says "hereditary angioedema" carries one user's diagnosis however it phrases the rest
    (the poisoning attack in evals/attacks.py). None switches that part off."""
    from wordfreq import zipf_frequency

    sources = list(sources)
    per_text = [_word_grams(t, n) for t in texts]
    wanted = set().union(*per_text) if per_text else set()
    wanted_words = {w for g in wanted for w in g}
    quoted: set[tuple[str, ...]] = set()
    word_accounts: dict[str, set[str]] = {w: set() for w in wanted_words}
    for account, text in sources:
        grams = _word_grams(text, n)
        quoted |= grams & wanted
        for word in set(_WORD.findall(text.lower())) & wanted_words:
            word_accounts[word].add(account)

    @functools.cache
    def rare(word: str) -> int:
        """Accounts that used the word, when that is 1..min_accounts-1 and the word is uncommon; else 0."""
        count = len(word_accounts[word])
        return count if 0 < count < min_accounts and zipf_frequency(word, "en") < 4.5 else 0

    out = []
    for grams in per_text:
        found = []
        for g in sorted(grams & quoted):
            counts = [rare(w) for w in g if rare(w)]
            if counts:
                found.append((" ".join(g), min(counts)))
        out.append(found)
    if rare_word_zipf is not None and n > 1:
        for found, single in zip(out, quoted_details(texts, sources, min_accounts, n=1, rare_word_zipf=None)):
            found += [(w, c) for w, c in single if len(w) >= 4 and zipf_frequency(w, "en") < rare_word_zipf and not any(w in g.split() for g, _ in found)]
    return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


WITHHELD_DESCRIPTION = "The generated description was withheld because it quoted details of individual conversations."
"""What a description says when every one of its sentences quoted a rare detail: the cluster (which
passed the thresholds) stays, the analyst sees why its description is missing. It does not repeat
the name: a quoted name reads to the auditor as a named group."""


def redact_quoting_sentences(clusters: Any, sources: Sequence[tuple[str, str]], min_accounts: int, rare_word_zipf: float | None = RARE_WORD_ZIPF) -> tuple[Any, int]:
    """Drop from each cluster description (a DataFrame with `name` and `description`) the sentences
    that quote a detail of fewer than min_accounts accounts (see `quoted_details`); a description
    left empty becomes WITHHELD_DESCRIPTION. Returns the clusters and how many descriptions changed."""
    clusters = clusters.copy()
    changed = 0
    for index, description in clusters["description"].items():
        sentences = [x for x in _SENTENCE.split(str(description or "")) if x.strip()]
        if not sentences:
            continue
        flags = quoted_details(sentences, sources, min_accounts, rare_word_zipf=rare_word_zipf)
        if any(flags):
            kept = " ".join(x for x, f in zip(sentences, flags) if not f)
            clusters.at[index, "description"] = kept or WITHHELD_DESCRIPTION
            changed += 1
    return clusters, changed


# =========================================================================== cluster audit (layer 4)


def generalise_summaries(frame: Any, columns: Sequence[str], auditor: RuleAuditor, min_score: int = 3) -> dict[str, Any]:
    """Layer 1 made measurable: in each summary column of `frame` (in place), details that rate below
    `min_score` are replaced by placeholders. Returns the counts for the privacy report."""
    checked, generalised, still_below = 0, 0, 0
    replaced: dict[str, int] = {}
    for column in columns:
        if column not in frame.columns:
            continue
        mask = frame[column].notna()
        values = frame.loc[mask, column].astype(str).tolist()
        results = auditor.generalise(values, min_score)
        checked += len(values)
        generalised += sum(1 for g in results if g.kinds)
        for g in results:
            for kind in g.kinds:
                replaced[kind] = replaced.get(kind, 0) + 1
        still_below += sum(g.still_below for g in results)
        frame.loc[mask, column] = [g.text for g in results]
    return {"min_score": min_score, "summaries_checked": checked, "summaries_generalised": generalised, "details_replaced": dict(sorted(replaced.items())), "still_rated_below_min": still_below}


class RemovedCluster(NamedTuple):
    cluster: Any
    rating: Rating


def _field(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def cluster_text(cluster: Any) -> str:
    """What the auditor reads for a cluster: "name: description", as in the paper (G.8)."""
    name = str(_field(cluster, "name") or "").strip()
    description = str(_field(cluster, "description") or "").strip()
    return f"{name}: {description}" if description else name


def audit_clusters(clusters: Sequence[Any], auditor: PrivacyAuditor, min_score: int = MIN_PRIVATE_OK) -> tuple[list[Any], list[RemovedCluster]]:
    """Rate each cluster's "name: description" and drop those scoring below `min_score`.
    Clusters are any objects (or mappings) with `id`, `name` and `description`.
    Returns (kept clusters, removed (cluster, rating) pairs), both in input order."""
    if not 1 <= min_score <= 5:
        raise ConfigError(f"privacy min_score must be 1-5, not {min_score}")
    clusters = list(clusters)
    ratings = auditor.rate([cluster_text(c) for c in clusters], stage="cluster")
    if len(ratings) != len(clusters):
        raise AssertionError(f"auditor returned {len(ratings)} ratings for {len(clusters)} clusters")
    kept: list[Any] = []
    removed: list[RemovedCluster] = []
    for cluster, rating in zip(clusters, ratings):
        if rating.score >= min_score:
            kept.append(cluster)
        else:
            removed.append(RemovedCluster(cluster, rating))
    return kept, removed
