"""The two sampling strategies of paper appendix G.1.

- "conversations": sample conversations uniformly; every conversation counts the same.
- "completions": sample assistant outputs uniformly, keep the most recent sampled output of each
  conversation, and cut the conversation after it. A conversation with more assistant turns is
  more likely to be picked, so long conversations weigh more.

Both are seeded through their own generator (no global RNG) and return conversations in input
order, so the same input and seed always give the same list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from clio.errors import ConfigError
from clio.records import Conversation

Strategy = Literal["conversations", "completions"]


def sample_conversations(convs: Sequence[Conversation], n: int, seed: int) -> list[Conversation]:
    """n conversations drawn uniformly without replacement (all of them when n >= len).
    Samples are nested: with the same seed, the sample of n is contained in the sample of m > n,
    so growing a study reuses the work (and cached model calls) already done on the smaller one."""
    _check_n(n)
    if n >= len(convs):
        return list(convs)
    picked = np.random.default_rng(seed).permutation(len(convs))[:n]
    return [convs[i] for i in sorted(picked.tolist())]


def sample_completions_dedup(convs: Sequence[Conversation], n: int, seed: int) -> list[Conversation]:
    """Sample n assistant outputs, keep the latest per conversation, and return each conversation
    up to and including that output (at most n conversations; those without an assistant
    output can never be drawn). metadata["sampling"] records where the conversation was cut."""
    _check_n(n)
    # Positions of assistant messages per conversation; a flat index over all of them is an output.
    outputs = [[i for i, m in enumerate(c.messages) if m.role == "assistant"] for c in convs]
    counts = np.fromiter((len(o) for o in outputs), dtype=np.int64, count=len(outputs))
    total = int(counts.sum())
    if total == 0:
        return []
    starts = np.cumsum(counts) - counts  # flat index of each conversation's first output
    drawn = np.random.default_rng(seed).choice(total, size=min(n, total), replace=False)
    conv_of = np.searchsorted(starts, drawn, side="right") - 1
    latest: dict[int, int] = {}  # conversation -> latest sampled output (ordinal among its outputs)
    for conv_index, flat in zip(conv_of.tolist(), drawn.tolist()):
        ordinal = flat - int(starts[conv_index])
        latest[conv_index] = max(ordinal, latest.get(conv_index, -1))

    sampled = []
    for conv_index in sorted(latest):
        conv, ordinal = convs[conv_index], latest[conv_index]
        cut = outputs[conv_index][ordinal]
        note = {
            "strategy": "completions",
            "assistant_output": ordinal,  # 0-based among the conversation's assistant messages
            "cut_after_message": cut,  # 0-based index of the kept last message
            "original_messages": len(conv.messages),
        }
        sampled.append(conv.model_copy(update={"messages": conv.messages[: cut + 1], "metadata": {**conv.metadata, "sampling": note}}))
    return sampled


def sample(convs: Sequence[Conversation], strategy: Strategy, n: int | None, seed: int) -> list[Conversation]:
    """n=None: every conversation (with completions: each one cut after its last assistant output)."""
    if n is None:
        n = len(convs) if strategy == "conversations" else sum(len(c.messages) for c in convs)  # >= every output
    if strategy == "conversations":
        return sample_conversations(convs, n, seed)
    if strategy == "completions":
        return sample_completions_dedup(convs, n, seed)
    raise ConfigError(f"unknown sampling strategy {strategy!r}; expected conversations or completions")


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ConfigError(f"sample size must be a whole number or null (all), got {n!r}")
    if n < 0:
        raise ConfigError(f"sample size must be >= 0, got {n}")
