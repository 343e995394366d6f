"""Language patterns (paper section 3.3, Figure 7): per cluster, how much more (or less) common each
language is than its base rate.

ratio = share of the language inside the cluster / share of the language in the whole sample.
A conversation with several languages ('Welsh; English') counts once under each. Uncertainty: the
95% Wilson interval of the in-cluster share divided by the base rate (the base rate comes from the
whole sample and is treated as fixed; that understates the width a little for rare languages).
Minimum support: a cell is reported only when the release policy allows the cluster, the cell and
the language's total (conversations and accounts), and the cell has at least `min_cell`
conversations (never fewer than the policy's); other cells are blank ("insufficient"), with more
blanked in complement where a cluster's size or a language's base rate would give one back.
A ratio is called over/under-represented only when its whole interval lies above/below 1; the
intervals are simultaneous (Bonferroni over the supported cells: z for alpha / (2 * cells)), so
testing many cluster x language cells does not by itself produce findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from clio.analyses.common import OutputWriter, short, split_languages, wilson_interval
from clio.release import ReleasePolicy, table_groups, unique_pair_counts


def language_patterns(
    frame: pd.DataFrame, *, cluster_col: str = "cluster", min_conversations: int = 5, min_cell: int | None = None, alpha: float = 0.05, policy: ReleasePolicy | None = None
) -> pd.DataFrame:
    """`policy` (default: `min_conversations` conversations, one account) decides which cluster rows,
    cells and base rates are released; `min_cell` can only ask for more conversations per cell."""
    policy = policy or ReleasePolicy(max(1, min_conversations), 1)
    min_cell = max(min_cell or 1, 1 if policy.restricted else policy.min_conversations)
    rows = frame[[cluster_col, "language", "account_id"]].copy()
    rows["language"] = rows["language"].map(split_languages)
    rows = rows.explode("language")
    total = len(frame)
    clusters = sorted(frame[cluster_col].unique(), key=str)
    langs = sorted(rows["language"].unique(), key=str)
    ci, li = {c: i for i, c in enumerate(clusters)}, {l: j for j, l in enumerate(langs)}
    r, c = rows[cluster_col].map(ci).to_numpy(), rows["language"].map(li).to_numpy()
    account = pd.factorize(rows["account_id"].astype(str))[0]
    shape = (len(clusters), len(langs))
    counts = np.bincount(r * shape[1] + c, minlength=shape[0] * shape[1]).reshape(shape).astype(float)
    cell_accounts = unique_pair_counts(r * shape[1] + c, account, shape[0] * shape[1]).reshape(shape)
    sizes = frame.groupby(cluster_col).size().reindex(clusters).to_numpy()
    size_accounts = frame.groupby(cluster_col)["account_id"].nunique().reindex(clusters).to_numpy()
    lang_total, lang_accounts = counts.sum(axis=0), unique_pair_counts(c, account, shape[1])
    cluster_ok = np.asarray(policy.allows(sizes, size_accounts), dtype=bool)
    lang_ok = np.asarray(policy.allows(lang_total, lang_accounts), dtype=bool)
    # Primary: cells the policy refuses, cells under min_cell, every cell of a withheld cluster or
    # language; complementary along each cluster's row (its size is published) and each language's
    # column (its base rate is).
    also = (counts < min_cell) | ~cluster_ok[:, None] | ~lang_ok[None, :]
    hidden = policy.suppress(counts, cell_accounts, table_groups(*shape, roots=range(shape[0])), also=also)
    supported = ~hidden & (counts > 0)
    z = float(stats.norm.isf(alpha / (2 * max(int(supported.sum()), 1))))
    out = []
    for i, cluster in enumerate(clusters):
        if not cluster_ok[i]:
            continue  # a cluster below the thresholds gets no row at all (its label would say it exists)
        n = int(sizes[i])
        for j, lang in enumerate(langs):
            if not lang_ok[j]:
                continue  # nor a language below them over the whole sample (as the explorer's "other")
            k = int(counts[i, j])
            rate = lang_total[j] / total
            rec = {"cluster": str(cluster), "language": lang, "n_cluster": n, "n_cell": np.nan if hidden[i, j] else k, "base_rate": float(rate)}
            if hidden[i, j] or not supported[i, j]:
                rec.update(share=np.nan, ratio=np.nan, ratio_low=np.nan, ratio_high=np.nan, verdict="insufficient")
            else:
                lo, hi = wilson_interval(k, n, z)
                rec.update(share=k / n, ratio=k / n / rate, ratio_low=lo / rate, ratio_high=hi / rate)
                rec["verdict"] = "over" if rec["ratio_low"] > 1 else "under" if rec["ratio_high"] < 1 else "as expected"
            out.append(rec)
    table = pd.DataFrame(out)
    if table.empty:
        return table
    table["n_cluster"] = table["n_cluster"].astype("Int64")
    table["n_cell"] = table["n_cell"].astype("Int64")
    order = {"over": 0, "under": 1, "as expected": 2, "insufficient": 3}
    table["_o"] = table["verdict"].map(order)
    return table.sort_values(["_o", "ratio_low"], ascending=[True, False]).drop(columns="_o").reset_index(drop=True)


def plot_languages(table: pd.DataFrame, title: str, max_clusters: int = 20, max_languages: int = 12):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sup = table[table["verdict"] != "insufficient"]
    if sup.empty:
        fig, ax = plt.subplots(figsize=(7, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no cluster x language cell meets the minimum support", ha="center", va="center")
        ax.set_title(title, fontsize=10)
        return fig
    langs = sup.groupby("language")["n_cell"].sum().sort_values(ascending=False).head(max_languages).index
    clusters = sup.groupby("cluster")["n_cell"].sum().sort_values(ascending=False).head(max_clusters).index
    piv = table.pivot(index="cluster", columns="language", values="ratio").reindex(index=clusters, columns=langs)
    ver = table.pivot(index="cluster", columns="language", values="verdict").reindex(index=clusters, columns=langs)
    logr = np.log2(piv.astype(float).to_numpy())
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(langs) + 3.5, 0.38 * len(clusters) + 2))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(logr), cmap=cmap, vmin=-2, vmax=2, aspect="auto")
    for i in range(len(clusters)):
        for j in range(len(langs)):
            v = piv.iat[i, j]
            if v == v:
                mark = "*" if ver.iat[i, j] in ("over", "under") else ""
                ax.text(j, i, f"{v:.1f}{mark}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(langs)), [short(x, 14) for x in langs], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(clusters)), [short(c, 50) for c in clusters], fontsize=8)
    fig.colorbar(im, ax=ax, label="log2(ratio to base rate)")
    ax.set_title(title + "\n(ratio; * = simultaneous 95% interval excludes 1; grey = below minimum support)", fontsize=9)
    fig.tight_layout()
    return fig


def run(frame: pd.DataFrame, writer: OutputWriter, *, title: str, policy: ReleasePolicy, min_cell: int | None = None) -> pd.DataFrame:
    table = language_patterns(frame, policy=policy, min_cell=min_cell)
    min_conversations, min_cell = policy.min_conversations, max(min_cell or 1, policy.min_conversations)
    writer.table("language_patterns", table, title=title)
    writer.figure("fig7_language_patterns", plot_languages(table, title))
    writer.json(
        "summary",
        {
            "conversations": len(frame),
            "cells": len(table),
            "cells_supported": int((table["verdict"] != "insufficient").sum()) if len(table) else 0,
            "over": int((table["verdict"] == "over").sum()) if len(table) else 0,
            "under": int((table["verdict"] == "under").sum()) if len(table) else 0,
            "min_conversations": min_conversations,
            "min_accounts": policy.min_accounts,
            "min_cell": min_cell,
        },
    )
    return table
