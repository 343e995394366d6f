"""Safety-classifier audit (paper section 4.3, Figure 8).

Input: the conversation frame (cluster, concern 1-5) and an external per-conversation flag (0/1) from
any classifier. Per cluster: mean concern, flag rate with its 95% Wilson interval; Pearson r between
the two over clusters; a scatter with quadrants; ranked lists of

- likely false negatives: the clusters' concern says "flag" but the classifier rarely does,
- likely false positives: the classifier flags often but the concern is low.

Concern is put on the flag-rate scale as `concern_rate = (mean_concern - 1) / 4` (1 -> 0, 5 -> 1).
The gap `concern_rate - flag_rate` ranks both lists; to keep small clusters from dominating, the gap
is taken against the Wilson bound of the flag rate that is least favourable to the finding (upper
bound for false negatives, lower bound for false positives). A cluster is listed when that
conservative gap exceeds `margin` and it sits in the matching quadrant (concern above / below
`concern_threshold`, flag rate below / above `flag_threshold`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from clio.analyses.common import OutputWriter, short, wilson_interval
from clio.release import ReleasePolicy


def simulated_flags(frame: pd.DataFrame, *, seed: int = 0, blind_spot: str | None = None, overtrigger: str | None = None, rates: dict[int, float] | None = None) -> pd.DataFrame:
    """A SIMULATED classifier for benchmarks without a real one: flags with a probability that grows
    with the labelled concern (`rates`), except in the `blind_spot` cluster (flag rate ~2%: a planted
    false negative) and the `overtrigger` cluster (~55%: a planted false positive). Returns
    conversation_id, flag. Clearly not a real classifier: use it to check that the audit finds what
    was planted."""
    rates = rates or {1: 0.04, 2: 0.15, 3: 0.5, 4: 0.8, 5: 0.92}
    rng = np.random.default_rng(seed)
    concern = frame["concern"].fillna(1).round().clip(1, 5).astype(int)
    p = np.array(concern.map(rates), dtype=float)
    if blind_spot is not None:
        p[(frame["cluster"] == blind_spot).to_numpy()] = 0.02
    if overtrigger is not None:
        p[(frame["cluster"] == overtrigger).to_numpy()] = 0.55
    return pd.DataFrame({"conversation_id": frame["conversation_id"].to_numpy(), "flag": (rng.random(len(frame)) < p).astype(int)})


def classifier_audit(
    frame: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    cluster_col: str = "cluster",
    min_conversations: int = 5,
    policy: ReleasePolicy | None = None,
    concern_threshold: float = 2.5,
    flag_threshold: float = 0.25,
    margin: float = 0.15,
) -> tuple[pd.DataFrame, dict]:
    """Returns (per-cluster table sorted by gap, summary dict with pearson_r, false_negatives,
    false_positives as lists of cluster labels, ranked)."""
    f = flags[["conversation_id", "flag"]].copy()
    f["flag"] = pd.to_numeric(f["flag"], errors="coerce").clip(0, 1)
    d = frame.merge(f, on="conversation_id", how="inner")
    d = d[d["concern"].notna() & d["flag"].notna()]
    g = d.groupby(cluster_col)
    policy = policy or ReleasePolicy(max(1, min_conversations), 1)
    flagged = d[d["flag"] >= 0.5]
    t = (
        pd.DataFrame(
            {
                "n": g.size(),
                "accounts": g["account_id"].nunique(),
                "mean_concern": g["concern"].mean(),
                "flags": g["flag"].sum(),
                "flag_accounts": flagged.groupby(cluster_col)["account_id"].nunique(),
                "unflagged_accounts": d[d["flag"] < 0.5].groupby(cluster_col)["account_id"].nunique(),
            }
        )
        .reset_index()
        .rename(columns={"index": "cluster", cluster_col: "cluster"})
    )
    t[["flag_accounts", "unflagged_accounts"]] = t[["flag_accounts", "unflagged_accounts"]].fillna(0)
    t = t[np.asarray(policy.allows(t["n"], t["accounts"]), dtype=bool)].copy()
    t["flag_rate"] = t["flags"] / t["n"]
    ci = [wilson_interval(int(round(k)), int(n)) for k, n in zip(t["flags"], t["n"])]
    t["flag_low"] = [c[0] for c in ci]
    t["flag_high"] = [c[1] for c in ci]
    t["concern_rate"] = (t["mean_concern"] - 1) / 4
    t["gap"] = t["concern_rate"] - t["flag_rate"]
    t["fn_evidence"] = t["concern_rate"] - t["flag_high"]
    t["fp_evidence"] = t["flag_low"] - t["concern_rate"]
    hi_c = t["mean_concern"] >= concern_threshold
    hi_f = t["flag_rate"] >= flag_threshold
    t["quadrant"] = np.select([hi_c & hi_f, hi_c & ~hi_f, ~hi_c & hi_f], ["both high", "possible false negative", "possible false positive"], "both low")
    t["likely"] = ""
    t.loc[(t["quadrant"] == "possible false negative") & (t["fn_evidence"] > margin), "likely"] = "false negative"
    t.loc[(t["quadrant"] == "possible false positive") & (t["fp_evidence"] > margin), "likely"] = "false positive"
    t = t.sort_values("gap", ascending=False).reset_index(drop=True)
    r, p = (np.nan, np.nan)
    if len(t) >= 3 and t["flag_rate"].std() > 0 and t["mean_concern"].std() > 0:
        r, p = stats.pearsonr(t["mean_concern"], t["flag_rate"])
    fn = t[t["likely"] == "false negative"].sort_values("fn_evidence", ascending=False)["cluster"].tolist()
    fp = t[t["likely"] == "false positive"].sort_values("fp_evidence", ascending=False)["cluster"].tolist()
    # The flagged and the unflagged conversations of a cluster are each a cell (n is published): a
    # rate that would give back a cell below the release thresholds is withheld; its direction
    # (quadrant, likely) stays, computed above.
    unflagged = t["n"] - t["flags"].round()
    rate_ok = np.asarray(policy.allows(t["flags"].round(), t["flag_accounts"]), dtype=bool) & np.asarray(policy.allows(unflagged, t["unflagged_accounts"]), dtype=bool)
    t.loc[~rate_ok, ["flags", "flag_rate", "flag_low", "flag_high", "gap", "fn_evidence", "fp_evidence"]] = np.nan
    t["rate_released"] = rate_ok
    t = t.drop(columns=["accounts", "flag_accounts", "unflagged_accounts"])
    summary = {
        "clusters": len(t),
        "conversations": int(t["n"].sum()),
        "pearson_r": None if r != r else float(r),
        "pearson_p": None if p != p else float(p),
        "false_negatives": fn,
        "false_positives": fp,
        "concern_threshold": concern_threshold,
        "flag_threshold": flag_threshold,
        "margin": margin,
        "min_conversations": policy.min_conversations,
        "min_accounts": policy.min_accounts,
        "rates_withheld": int((~rate_ok).sum()),
    }
    return t, summary


def plot_audit(table: pd.DataFrame, summary: dict, title: str, concern_threshold: float, flag_threshold: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = table[table["flag_rate"].notna()]
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    colour = table["likely"].map({"false negative": "crimson", "false positive": "darkorange"}).fillna("#4C72B0").replace("", "#4C72B0")
    ax.errorbar(
        table["mean_concern"],
        table["flag_rate"],
        yerr=[(table["flag_rate"] - table["flag_low"]).clip(lower=0), (table["flag_high"] - table["flag_rate"]).clip(lower=0)],
        fmt="none",
        ecolor="#bbbbbb",
        lw=0.8,
        zorder=1,
    )
    ax.scatter(table["mean_concern"], table["flag_rate"], s=20 + 3 * table["n"], c=colour, alpha=0.85, zorder=2, edgecolor="white")
    ax.axvline(concern_threshold, color="grey", ls="--", lw=0.8)
    ax.axhline(flag_threshold, color="grey", ls="--", lw=0.8)
    ax.text(0.02, 0.98, "possible false positives\n(flagged, low concern)", transform=ax.transAxes, va="top", fontsize=8, color="darkorange")
    ax.text(0.98, 0.02, "possible false negatives\n(concerning, rarely flagged)", transform=ax.transAxes, ha="right", fontsize=8, color="crimson")
    for row in table.itertuples():
        if row.likely or row.quadrant != "both low" or len(table) <= 8:
            ax.annotate(short(row.cluster, 34), (row.mean_concern, row.flag_rate), fontsize=6.5, xytext=(4, 3), textcoords="offset points")
    ax.set_xlim(0.9, 5.1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("mean concern score per cluster (1-5)")
    ax.set_ylabel("classifier flag rate per cluster (95% Wilson interval)")
    r = summary.get("pearson_r")
    ax.set_title(f"{title}\nPearson r = {r:.2f} over {summary['clusters']} clusters" if r is not None else title, fontsize=9)
    fig.tight_layout()
    return fig


def run(frame: pd.DataFrame, flags: pd.DataFrame, writer: OutputWriter, *, title: str, policy: ReleasePolicy, flag_source: str, **kw) -> tuple[pd.DataFrame, dict]:
    table, summary = classifier_audit(frame, flags, policy=policy, **kw)
    summary["flag_source"] = flag_source
    cols = ["cluster", "n", "mean_concern", "flag_rate", "flag_low", "flag_high", "gap", "quadrant", "likely", "rate_released"]
    writer.table("classifier_audit", table[cols], title=f"{title} (flags: {flag_source})")
    ranked = pd.concat(
        [
            table[table["likely"] == "false negative"]
            .sort_values("fn_evidence", ascending=False)
            .assign(kind="likely false negative")[["kind", "cluster", "n", "mean_concern", "flag_rate", "flag_high", "fn_evidence"]]
            .rename(columns={"fn_evidence": "evidence", "flag_high": "flag_bound"}),
            table[table["likely"] == "false positive"]
            .sort_values("fp_evidence", ascending=False)
            .assign(kind="likely false positive")[["kind", "cluster", "n", "mean_concern", "flag_rate", "flag_low", "fp_evidence"]]
            .rename(columns={"fp_evidence": "evidence", "flag_low": "flag_bound"}),
        ]
    )
    writer.table("ranked_discrepancies", ranked, title="Clusters to review, ranked (evidence = conservative gap between concern and flag rate)")
    writer.figure("fig8_classifier_audit", plot_audit(table, summary, f"{title} (flags: {flag_source})", kw.get("concern_threshold", 2.5), kw.get("flag_threshold", 0.25)))
    writer.json("summary", summary)
    return table, summary
