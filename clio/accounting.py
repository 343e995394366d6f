"""Where every input record went: no item is silently dropped.

Each record read from the input ends in exactly one outcome, and the manifest says how many:

  skipped_bad_record  unreadable or invalid record, skipped by on_error=skip (reasons in stages/load.json)
  not_sampled         valid, but not drawn by the sampler
  screened_out        the screener answered No
  screen_failed       the screener call failed for good (after retries and re-asks)
  facet_failed        the summary facet could not be extracted, so the conversation is not embedded
  ok                  has a summary and goes on to clustering

`unaccounted` is records_read minus the sum of the outcomes; it is 0 unless something was lost.
Counts of model work come from the gateway: items retried (a transient retry or a re-ask) and
calls that failed for good. Per-item reasons stay in the private area (facets.parquet's
`facet_errors`), because they belong to single conversations.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from clio.records import LLMUsage


def item_accounting(counts: dict[str, Any], facets: pd.DataFrame, summary_facet: str, usage: LLMUsage | None) -> dict[str, Any]:
    loaded, skipped = int(counts.get("loaded", 0)), int(counts.get("skipped_on_load", 0))
    sampled = int(counts.get("sampled", loaded))
    has_summary = facets[summary_facet].notna() if summary_facet in facets.columns else pd.Series(False, index=facets.index)
    outcomes = {
        "skipped_bad_record": skipped,
        "not_sampled": loaded - sampled,
        "screened_out": int(counts.get("screened_out", 0)),
        "screen_failed": int(counts.get("screen_errors", 0)),
        "facet_failed": int((~has_summary).sum()),
        "ok": int(has_summary.sum()),
    }
    failures: dict[str, int] = {}
    for errors in facets.get("facet_errors", pd.Series(dtype=object)).dropna():
        for facet in json.loads(errors):
            failures[facet] = failures.get(facet, 0) + 1
    usage = usage or LLMUsage()
    return {
        "records_read": loaded + skipped,
        **outcomes,
        "unaccounted": loaded + skipped - sum(outcomes.values()),
        "facet_failures": dict(sorted(failures.items())),  # conversations with that facet missing
        "llm_items_retried": usage.retried_items,
        "llm_retries": usage.retries,
        "llm_reasks": usage.reasks,
        "llm_calls_failed": usage.failures,
    }
