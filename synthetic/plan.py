"""The ground truth, drawn before any model call: which conversation gets which category,
language, number of turns, planted details, account and timestamp.

Counts per category, language and turn count follow the configured weights exactly (largest
remainder), then are shuffled, so the dataset's distribution is known rather than sampled. Each
aspect draws from its own random stream, so changing, say, pii_rate leaves the categories and
languages of every conversation where they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from clio.records import stable_id
from synthetic.config import Category, SynthConfig
from synthetic.pii import plant_details

# One stream per aspect (the second seed word); the numbers are arbitrary but fixed.
_CATEGORY, _LANGUAGE, _TURNS, _PII, _ACCOUNT, _TIME, _STYLE = range(7)


@dataclass
class ConversationPlan:
    index: int
    id: str
    category: Category
    language: str
    turns: int  # user turns; each gets an assistant reply
    length: str
    tone: str
    pii: list[tuple[str, str]]  # (kind, text) to plant; empty for most conversations
    account_id: str
    timestamp: datetime
    subcategory_slot: int  # which of the category's subcategories (balanced within a category)
    sampling_seed: int
    follow_up_styles: list[tuple[str, str]] = field(default_factory=list)  # (length, tone) per later turn


def allocate(n: int, weights: list[float]) -> list[int]:
    """Split n into integer counts proportional to weights (largest remainder; ties to the
    earlier entry), so the counts sum to n and each is within 1 of its exact share."""
    w = np.asarray(weights, dtype=float)
    exact = n * w / w.sum()
    counts = np.floor(exact).astype(int)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def _shuffled_labels(n: int, weights: list[float], rng: np.random.Generator) -> np.ndarray:
    labels = np.repeat(np.arange(len(weights)), allocate(n, weights))
    return rng.permutation(labels)


def _zipf_weights(size: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, size + 1) ** s
    return w / w.sum()


def make_plan(cfg: SynthConfig) -> list[ConversationPlan]:
    n = cfg.n
    rng = {aspect: np.random.default_rng([cfg.seed, aspect]) for aspect in range(7)}

    categories = _shuffled_labels(n, [c.weight for c in cfg.categories], rng[_CATEGORY])
    languages = _shuffled_labels(n, cfg.language_weights or [1.0] * len(cfg.languages), rng[_LANGUAGE])
    turns = _shuffled_labels(n, cfg.turn_weights, rng[_TURNS]) + 1
    with_pii = set(rng[_PII].choice(n, size=round(n * cfg.pii_rate), replace=False).tolist())

    pool = cfg.accounts.pool_size or max(1, n // 2)
    accounts = rng[_ACCOUNT].choice(pool, size=n, p=_zipf_weights(pool, cfg.accounts.zipf_s))
    span = (cfg.window.end - cfg.window.start).total_seconds()
    offsets = rng[_TIME].uniform(0, span, size=n)

    lengths, style_rng = list(cfg.lengths), rng[_STYLE]
    width = len(str(pool - 1))
    seen_in_category: dict[int, int] = {}
    plans = []
    for i in range(n):
        cat = int(categories[i])
        slot = seen_in_category.get(cat, 0)
        seen_in_category[cat] = slot + 1
        language = cfg.languages[int(languages[i])]
        styles = [(lengths[int(style_rng.integers(len(lengths)))], cfg.tones[int(style_rng.integers(len(cfg.tones)))]) for _ in range(int(turns[i]))]
        plans.append(
            ConversationPlan(
                index=i,
                id="syn_" + stable_id(cfg.name, cfg.seed, i, length=12),
                category=cfg.categories[cat],
                language=language,
                turns=int(turns[i]),
                length=styles[0][0],
                tone=styles[0][1],
                follow_up_styles=styles[1:],
                pii=plant_details(language, rng[_PII]) if i in with_pii else [],
                account_id=f"acct_{int(accounts[i]):0{max(4, width)}d}",
                timestamp=(cfg.window.start + timedelta(seconds=int(offsets[i]))).replace(microsecond=0),
                subcategory_slot=slot,
                # Distinct per conversation: otherwise two conversations with the same prompt would
                # get the same reply from a seeded local model (and the same cache entry).
                sampling_seed=(cfg.seed * 1_000_003 + i) % (2**31 - 1),
            )
        )
    return plans


def fresh_seed(*parts) -> int:
    """A sampling seed for a retry, derived from what is retried and the attempt number, so a
    rerun with the same config asks the same questions again (and finds them in the cache)."""
    return int(stable_id(*parts, length=12), 16) % (2**31 - 1)


def retry_plan(plan: ConversationPlan, seed: int, attempt: int) -> ConversationPlan:
    """The same conversation (category, language, subcategory, turns, details, account, time:
    its cell of the quotas) with a fresh sampling seed: a regeneration."""
    return replace(plan, sampling_seed=fresh_seed(seed, "conversation", plan.index, attempt))
