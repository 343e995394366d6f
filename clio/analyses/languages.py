"""Language patterns (paper section 3.3, Figure 7): per cluster, how much more (or less) common each
language is than its base rate.

ratio = share of the language inside the cluster / share of the language in the whole sample.
A conversation with several languages ('Welsh; English') counts once under each. Uncertainty: the
95% Wilson interval of the in-cluster share divided by the base rate (the base rate comes from the
whole sample and is treated as fixed; that understates the width a little for rare languages).
Minimum support: a cell is reported only when the cluster has at least `min_conversations`
conversations and the cell at least `min_cell` of them; other cells are blank ("insufficient").
A ratio is called over/under-represented only when its whole interval lies above/below 1; the
intervals are simultaneous (Bonferroni over the supported cells: z for alpha / (2 * cells)), so
testing many cluster x language cells does not by itself produce findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from clio.analyses.common import OutputWriter, short, split_languages, wilson_interval


def language_patterns(frame: pd.DataFrame, *, cluster_col: str = "cluster", min_conversations: int = 5, min_cell: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    rows = frame[[cluster_col, "language"]].copy()
    rows["language"] = rows["language"].map(split_languages)
    rows = rows.explode("language")
    total = len(frame)
    base = rows.groupby("language").size() / total
    sizes = frame.groupby(cluster_col).size()
    counts = rows.groupby([cluster_col, "language"]).size()
    cells = sum(1 for cluster, n in sizes.items() for lang in base.index if n >= min_conversations and counts.get((cluster, lang), 0) >= min_cell)
    z = float(stats.norm.isf(alpha / (2 * max(cells, 1))))
    out = []
    for cluster, n in sizes.items():
        for lang, rate in base.items():
            k = int(counts.get((cluster, lang), 0))
            rec = {"cluster": str(cluster), "language": lang, "n_cluster": int(n), "n_cell": k, "base_rate": float(rate), "share": k / n}
            supported = n >= min_conversations and k >= min_cell
            lo, hi = wilson_interval(k, n, z)
            rec.update(ratio=rec["share"] / rate, ratio_low=lo / rate, ratio_high=hi / rate)
            if not supported:
                rec.update(ratio=np.nan, ratio_low=np.nan, ratio_high=np.nan, share=np.nan, n_cell=np.nan if k < min_cell else k)
                rec["verdict"] = "insufficient"
            else:
                rec["verdict"] = "over" if rec["ratio_low"] > 1 else "under" if rec["ratio_high"] < 1 else "as expected"
            out.append(rec)
    table = pd.DataFrame(out)
    if table.empty:
        return table
    # a small cluster's cells are all blank; also blank its size so it cannot be read back from n_cell
    table.loc[table["n_cluster"] < min_conversations, "n_cluster"] = np.nan
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


def run(frame: pd.DataFrame, writer: OutputWriter, *, title: str, min_conversations: int, min_cell: int = 5) -> pd.DataFrame:
    table = language_patterns(frame, min_conversations=min_conversations, min_cell=min_cell)
    writer.table("language_patterns", table, title=title)
    writer.figure("fig7_language_patterns", plot_languages(table, title))
    writer.json("summary", {
        "conversations": len(frame),
        "cells": len(table),
        "cells_supported": int((table["verdict"] != "insufficient").sum()) if len(table) else 0,
        "over": int((table["verdict"] == "over").sum()) if len(table) else 0,
        "under": int((table["verdict"] == "under").sum()) if len(table) else 0,
        "min_conversations": min_conversations,
        "min_cell": min_cell,
    })
    return table
