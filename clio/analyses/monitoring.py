"""Monitoring over time (paper section 4.2): compare two windows (or two runs) and say which clusters
are new, which grew or shrank significantly.

Input: two conversation frames, `before` and `after`, whose `cluster` labels are comparable. For
two time windows of one run they are (same clusters); for two different runs, `match_clusters` maps
the second run's cluster names onto the first's by embedding similarity (cosine >= threshold), and
anything unmatched is a candidate new cluster.

Per cluster: share before and after, two-proportion z-test on the shares, Benjamini-Hochberg
adjusted p-values over all clusters (false discovery rate `alpha`). Status:
new (absent before, releasable after), gone (the reverse), grew / shrank (adjusted p < alpha),
stable. Counts are released under the run's `ReleasePolicy` per window (conversations and accounts):
clusters below it in both windows are pooled into one row (a cluster is shown when it reaches the
thresholds in at least one window); a window's count below it is withheld, with the share, change
and test statistics that would give it back (the status stays: a direction, not a count), and with
another row's count of the same window where the window's total would give it back. A Markdown
report lists the emerging patterns first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from clio.analyses.common import SUPPRESSED_LABEL, OutputWriter, benjamini_hochberg, short
from clio.release import ReleasePolicy


def split_by_time(frame: pd.DataFrame, at: str | pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Two windows of one frame: before / after `at` (default: the median timestamp)."""
    ts = frame["timestamp"]
    if ts.notna().sum() < 2:
        raise ValueError("no timestamps to split on: compare two runs instead")
    cut = pd.Timestamp(at, tz="UTC") if at is not None and pd.Timestamp(at).tzinfo is None else (pd.Timestamp(at) if at is not None else ts.dropna().median())
    return frame[ts < cut], frame[ts >= cut], cut


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    if n1 == 0 or n2 == 0:
        return (np.nan, np.nan)
    p = (k1 + k2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return (0.0, 1.0)
    z = (k2 / n2 - k1 / n1) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def compare_windows(before: pd.DataFrame, after: pd.DataFrame, *, cluster_col: str = "cluster", min_conversations: int = 5, alpha: float = 0.05, policy: ReleasePolicy | None = None) -> pd.DataFrame:
    policy = policy or ReleasePolicy(max(1, min_conversations), 1)
    nb, na = len(before), len(after)
    cb, ca = before[cluster_col].value_counts(), after[cluster_col].value_counts()
    ab, aa = before.groupby(cluster_col)["account_id"].nunique(), after.groupby(cluster_col)["account_id"].nunique()
    labels = sorted(set(cb.index) | set(ca.index), key=str)
    rows = []
    pooled_labels = []
    for lab in labels:
        kb, ka = int(cb.get(lab, 0)), int(ca.get(lab, 0))
        if not policy.allows(kb, int(ab.get(lab, 0))) and not policy.allows(ka, int(aa.get(lab, 0))):
            pooled_labels.append(lab)
            continue
        rows.append({"cluster": str(lab), "n_before": kb, "n_after": ka, "_acc_b": int(ab.get(lab, 0)), "_acc_a": int(aa.get(lab, 0))})
    if pooled_labels:
        pb, pa = before[before[cluster_col].isin(pooled_labels)], after[after[cluster_col].isin(pooled_labels)]
        rows.append({"cluster": SUPPRESSED_LABEL, "n_before": len(pb), "n_after": len(pa), "_acc_b": pb["account_id"].nunique(), "_acc_a": pa["account_id"].nunique()})
    t = pd.DataFrame(rows, columns=["cluster", "n_before", "n_after", "_acc_b", "_acc_a"])
    if t.empty:
        return t
    t["share_before"] = t["n_before"] / nb if nb else np.nan
    t["share_after"] = t["n_after"] / na if na else np.nan
    t["change_pp"] = 100 * (t["share_after"] - t["share_before"])
    t["ratio"] = (t["share_after"] + 0.5 / max(na, 1)) / (t["share_before"] + 0.5 / max(nb, 1))  # continuity-corrected
    zp = [two_proportion_z(b, nb, a, na) for b, a in zip(t["n_before"], t["n_after"])]
    t["z"] = [x[0] for x in zp]
    t["p"] = [x[1] for x in zp]
    real = t["cluster"] != SUPPRESSED_LABEL
    t["p_adj"] = np.nan
    t.loc[real, "p_adj"] = benjamini_hochberg(t.loc[real, "p"])
    status = np.where(t["p_adj"] < alpha, np.where(t["z"] > 0, "grew", "shrank"), "stable")
    kb_num, ka_num = t["n_before"], t["n_after"]
    status = np.where((kb_num == 0) & np.asarray(policy.allows(ka_num, t["_acc_a"]), dtype=bool) & (ka_num > 0), "new", status)
    status = np.where((ka_num == 0) & np.asarray(policy.allows(kb_num, t["_acc_b"]), dtype=bool) & (kb_num > 0), "gone", status)
    t["status"] = np.where(~real, "pooled", status)
    # Release: each window's column sums to its published total.
    counts = t[["n_before", "n_after"]].to_numpy(dtype=float)
    hidden = policy.suppress(counts, t[["_acc_b", "_acc_a"]].to_numpy(dtype=float), [(range(0, 2 * len(t), 2), None), (range(1, 2 * len(t), 2), None)])
    for col, h in (("n_before", hidden[:, 0]), ("n_after", hidden[:, 1])):
        t[col] = t[col].astype(float).where(~h, np.nan)
    either = hidden.any(axis=1)
    t.loc[hidden[:, 0], "share_before"] = np.nan
    t.loc[hidden[:, 1], "share_after"] = np.nan
    t.loc[either, ["change_pp", "ratio", "z", "p", "p_adj"]] = np.nan
    order = {"new": 0, "grew": 1, "shrank": 2, "gone": 3, "stable": 4, "pooled": 5}
    t["_o"] = t["status"].map(order)
    return t.sort_values(["_o", "p"]).drop(columns=["_o", "_acc_b", "_acc_a"]).reset_index(drop=True)


def match_clusters(labels_a: list[str], labels_b: list[str], embed, threshold: float = 0.75) -> dict[str, str]:
    """Map each label of run B onto its most similar label of run A (cosine of embedded names >=
    threshold); unmatched labels map to themselves (they are new unless A has the same text)."""
    a, b = list(labels_a), list(labels_b)
    if not a or not b:
        return {x: x for x in b}
    ea, eb = embed(a), embed(b)
    sims = eb @ ea.T
    out = {}
    for i, lab in enumerate(b):
        j = int(np.argmax(sims[i]))
        out[lab] = a[j] if sims[i, j] >= threshold else lab
    return out


def plot_monitoring(table: pd.DataFrame, title: str, top: int = 20):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table[table["status"] != "pooled"].head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(t), 1) + 1.6))
    y = np.arange(len(t))
    colours = t["status"].map({"new": "crimson", "grew": "darkorange", "shrank": "#4C72B0", "gone": "navy"}).fillna("#bbbbbb")
    ax.barh(y, t["change_pp"], color=colours)
    ax.axvline(0, color="black", lw=0.8)
    for yi, row in zip(y, t.itertuples()):
        known = row.change_pp == row.change_pp
        ax.text(
            row.change_pp if known else 0.0, yi, f" {row.status} (q={row.p_adj:.3f})" if row.p_adj == row.p_adj else f" {row.status}" + ("" if known else " (count withheld)"), va="center", fontsize=7
        )
    ax.set_yticks(y, [short(c, 55) for c in t["cluster"]], fontsize=8)
    ax.set_xlabel("change in share of conversations (percentage points), after - before")
    ax.set_title(title + "\n(two-proportion z-test, Benjamini-Hochberg q-values)", fontsize=9)
    fig.tight_layout()
    return fig


def report_markdown(table: pd.DataFrame, title: str, n_before: int, n_after: int, alpha: float, labels: tuple[str, str]) -> str:
    lines = [
        f"# {title}",
        "",
        f"- before ({labels[0]}): {n_before} conversations",
        f"- after ({labels[1]}): {n_after} conversations",
        f"- test: two-proportion z-test per cluster on its share, Benjamini-Hochberg at FDR {alpha}",
        "",
    ]
    for status, head in (("new", "New clusters"), ("grew", "Grew significantly"), ("shrank", "Shrank significantly"), ("gone", "Gone")):
        part = table[table["status"] == status]
        lines.append(f"## {head} ({len(part)})")
        lines.append("")
        if part.empty:
            lines.append("none")
        for r in part.itertuples():
            q = f", q = {r.p_adj:.3g}" if r.p_adj == r.p_adj else ""
            if r.change_pp == r.change_pp:
                lines.append(f"- **{r.cluster}**: {100 * r.share_before:.1f}% -> {100 * r.share_after:.1f}% ({r.change_pp:+.1f} pp{q})")
            else:
                lines.append(f"- **{r.cluster}**: one window's count is below the release thresholds (withheld)")
        lines.append("")
    stable = int((table["status"] == "stable").sum())
    lines.append(
        f"{stable} clusters stable. Emerging patterns are leads for review, not findings: read the cluster descriptions and, where authorised, the underlying conversations before acting (paper section 5)."
    )
    return "\n".join(lines) + "\n"


def run(before: pd.DataFrame, after: pd.DataFrame, writer: OutputWriter, *, title: str, policy: ReleasePolicy, alpha: float = 0.05, labels: tuple[str, str] = ("before", "after")) -> pd.DataFrame:
    table = compare_windows(before, after, policy=policy, alpha=alpha)
    min_conversations = policy.min_conversations
    writer.table("monitoring", table, title=title)
    writer.figure("fig_monitoring", plot_monitoring(table, title))
    writer.markdown("emerging_patterns", report_markdown(table, title, len(before), len(after), alpha, labels))
    writer.json(
        "summary",
        {
            "n_before": len(before),
            "n_after": len(after),
            "alpha": alpha,
            "min_conversations": min_conversations,
            "min_accounts": policy.min_accounts,
            "windows": list(labels),
            **{s: table.loc[table["status"] == s, "cluster"].tolist() for s in ("new", "grew", "shrank", "gone")},
        },
    )
    return table
