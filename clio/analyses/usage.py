"""Usage overview (paper section 3.1, Figure 6): categories with shares and 95% Wilson intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clio.analyses.common import SUPPRESSED_LABEL, OutputWriter, short, wilson_interval, withhold_rows
from clio.release import ReleasePolicy


def usage_overview(frame: pd.DataFrame, *, cluster_col: str = "cluster", min_conversations: int = 1, min_accounts: int = 1, policy: ReleasePolicy | None = None) -> pd.DataFrame:
    """One row per category: n, accounts, share of all conversations and its 95% Wilson interval.
    Categories under the aggregation threshold (fewer than `min_conversations` conversations or
    `min_accounts` accounts) are pooled into one SUPPRESSED_LABEL row; when that pool is itself
    below the thresholds its numbers are withheld, with the smallest other row's (the total is
    published). Sorted by n, descending."""
    policy = policy or ReleasePolicy(max(1, min_conversations), max(1, min_accounts))
    min_conversations, min_accounts = (1, 1) if policy.restricted else (policy.min_conversations, policy.min_accounts)
    total = len(frame)
    g = frame.groupby(cluster_col, dropna=False)
    table = pd.DataFrame({"n": g.size(), "n_accounts": g["account_id"].nunique()}).reset_index().rename(columns={cluster_col: "category"})
    small = (table["n"] < min_conversations) | (table["n_accounts"] < min_accounts)
    if small.any():
        pooled = frame[frame[cluster_col].isin(table.loc[small, "category"])]
        table = pd.concat([table[~small], pd.DataFrame([{"category": SUPPRESSED_LABEL, "n": len(pooled), "n_accounts": pooled["account_id"].nunique()}])], ignore_index=True)
    table["share"] = table["n"] / total if total else np.nan
    ci = [wilson_interval(k, total) for k in table["n"]]
    table["ci_low"] = [c[0] for c in ci]
    table["ci_high"] = [c[1] for c in ci]
    table["category"] = table["category"].astype(str)
    table = withhold_rows(table, policy, n="n", accounts="n_accounts", blank=["n", "n_accounts", "share", "ci_low", "ci_high"])
    return table.sort_values(["n", "category"], ascending=[False, True], na_position="last").reset_index(drop=True)


def plot_usage(table: pd.DataFrame, title: str, top: int = 15):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table[table["share"].notna()].head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8.5, 0.38 * len(t) + 1.4))
    y = np.arange(len(t))
    ax.barh(y, 100 * t["share"], color="#4C72B0")
    ax.errorbar(100 * t["share"], y, xerr=[100 * (t["share"] - t["ci_low"]).clip(lower=0), 100 * (t["ci_high"] - t["share"]).clip(lower=0)], fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_yticks(y, [short(c, 60) for c in t["category"]], fontsize=8)
    ax.set_xlabel("% of conversations (95% Wilson interval)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def run(frame: pd.DataFrame, writer: OutputWriter, *, title: str, policy: ReleasePolicy, top: int = 15) -> pd.DataFrame:
    table = usage_overview(frame, policy=policy)
    min_conversations, min_accounts = policy.min_conversations, policy.min_accounts
    writer.table("usage_overview", table, title=title)
    writer.figure("fig6_usage_overview", plot_usage(table, title, top=top))
    writer.json("summary", {"conversations": len(frame), "categories": int((table["category"] != SUPPRESSED_LABEL).sum()), "min_conversations": min_conversations, "min_accounts": min_accounts})
    return table
