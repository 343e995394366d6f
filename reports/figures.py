"""The paper's figures and tables from an eval's results (metrics.json + distribution.csv).

    Figure 4   ground-truth vs reconstructed category distribution      fig4_distribution.png
    Table 5    per-language accuracy, macro F1, weighted F1, n           table5_per_language.md
    Figure 5   privacy-layer progression                                 fig5_privacy_progression.png
    Figure 11  confusion of ground truth vs found clusters               fig11_confusion.png
    Table 2    tokens and cost per stage and per 1,000 conversations     table2_cost.md
    Figure 6   top categories with 95% confidence intervals              fig6_top_categories.png
Everything is aggregate (category names, counts, scores): safe to share. `index.md` links them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from clio.stats import wilson_interval  # noqa: E402,F401  (re-exported: reports.compare and the tests use it from here)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _pct_ci(block: dict[str, Any], name: str) -> str:
    """'65.8 [62.3, 69.2]' when the block carries a bootstrap interval for `name`, else '65.8'."""
    value, lo, hi = block.get(name), block.get(f"{name}_ci_low"), block.get(f"{name}_ci_high")
    return _pct(value) if lo is None or hi is None else f"{_pct(value)} [{_pct(lo)}, {_pct(hi)}]"


def _num_ci(block: dict[str, Any], name: str) -> str:
    value, lo, hi = block.get(name), block.get(f"{name}_ci_low"), block.get(f"{name}_ci_high")
    text = "-" if value is None else f"{value:.3f}"
    return text if lo is None or hi is None else f"{text} [{lo:.3f}, {hi:.3f}]"


def fig_distribution(distribution: pd.DataFrame, path: Path) -> None:
    d = distribution.set_index("category") if "category" in distribution else distribution
    shares = d / d.sum()
    shares = shares.sort_values("truth")
    y = np.arange(len(shares))
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(shares) + 1.5))
    ax.barh(y - 0.2, shares["truth"] * 100, height=0.4, label="ground truth", color="#7a9cc6")
    ax.barh(y + 0.2, shares["reconstructed"] * 100, height=0.4, label="reconstructed", color="#d9824b")
    ax.set_yticks(y, [str(c)[:48] for c in shares.index], fontsize=8)
    ax.set_xlabel("share of conversations (%)")
    ax.set_title("Ground truth vs reconstructed distribution (Figure 4)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fig_top_categories(distribution: pd.DataFrame, path: Path, top: int = 15) -> None:
    d = distribution.set_index("category") if "category" in distribution else distribution
    counts = d["reconstructed"][d["reconstructed"] > 0].sort_values(ascending=False).head(top)[::-1]  # found categories only
    n = int(d["reconstructed"].sum())
    shares = counts / n * 100
    lo_hi = np.array([wilson_interval(int(k), n) for k in counts]) * 100
    err = np.vstack([shares - lo_hi[:, 0], lo_hi[:, 1] - shares])
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(counts) + 1.5))
    ax.barh(np.arange(len(counts)), shares, xerr=err, color="#d9824b", capsize=2)
    ax.set_yticks(np.arange(len(counts)), [str(c)[:48] for c in counts.index], fontsize=8)
    ax.set_xlabel(f"share of conversations (%), 95% Wilson interval, n={n}")
    ax.set_title("Top categories (Figure 6)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fig_confusion(confusion: dict[str, Any], path: Path) -> None:
    counts = np.asarray(confusion["counts"], dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    normed = counts / np.where(rows == 0, 1, rows)
    # Columns ordered by the true category they mostly hold, so a good partition reads as a diagonal.
    order = np.lexsort((-counts.max(axis=0), counts.argmax(axis=0)))
    fig, ax = plt.subplots(figsize=(0.3 * len(order) + 4, 0.3 * len(confusion["rows"]) + 2))
    im = ax.imshow(normed[:, order], cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(confusion["rows"])), [str(r)[:40] for r in confusion["rows"]], fontsize=7)
    ax.set_xticks(range(len(order)), [str(confusion["columns"][i]) for i in order], fontsize=7, rotation=90)
    ax.set_xlabel("found cluster")
    ax.set_title("Ground truth vs found clusters, row-normalised (Figure 11)")
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fig_progression(progression: dict[str, Any], path: Path) -> None:
    layers = [layer for layer in progression["layers"] if progression.get(f"{layer}_private_share") is not None]
    shares = [progression[f"{layer}_private_share"] * 100 for layer in layers]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    bars = ax.bar(layers, shares, color=["#b64d4d", "#d9a24b", "#6a9f58"][: len(layers)])
    for bar, layer in zip(bars, layers):
        ax.annotate(f"{bar.get_height():.1f}%\nn={progression[f'{layer}_n']}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("rated private (1-2) by the auditor (%)")
    ax.set_ylim(0, max(shares + [10]) * 1.3)
    ax.set_title("Privacy through the layers (Figure 5)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fig_per_language(supervised: dict[str, Any], path: Path) -> None:
    """Accuracy per language with its bootstrap interval and n (Table 5 as a picture)."""
    rows = sorted(supervised.get("per_group", {}).items(), key=lambda kv: kv[1]["accuracy"] or 0)
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.4))
    y = np.arange(len(rows))
    acc = np.array([100 * (r["accuracy"] or 0) for _, r in rows])
    lo = np.array([100 * r.get("accuracy_ci_low", r["accuracy"] or 0) for _, r in rows])
    hi = np.array([100 * r.get("accuracy_ci_high", r["accuracy"] or 0) for _, r in rows])
    ax.barh(y, acc, color="#4C72B0")
    ax.errorbar(acc, y, xerr=[acc - lo, hi - acc], fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_yticks(y, [f"{g} (n={r['n']})" for g, r in rows], fontsize=8)
    if supervised.get("accuracy") is not None:
        ax.axvline(100 * supervised["accuracy"], color="crimson", ls="--", lw=1, label=f"all (n={supervised['n']})")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlim(0, 100)
    ax.set_xlabel("supervised reconstruction accuracy % (95% bootstrap interval)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table_per_language(supervised: dict[str, Any]) -> str:
    lines = ["| language | n | accuracy % [95% CI] | macro F1 % [95% CI] | weighted F1 % [95% CI] |", "|---|---:|---:|---:|---:|"]
    for group, s in sorted(supervised.get("per_group", {}).items(), key=lambda kv: -(kv[1]["accuracy"] or 0)):
        lines.append(f"| {group} | {s['n']} | {_pct_ci(s, 'accuracy')} | {_pct_ci(s, 'macro_f1')} | {_pct_ci(s, 'weighted_f1')} |")
    lines.append(f"| **all** | {supervised['n']} | {_pct_ci(supervised, 'accuracy')} | {_pct_ci(supervised, 'macro_f1')} | {_pct_ci(supervised, 'weighted_f1')} |")
    boot = supervised.get("bootstrap")
    if boot:
        lines.append(f"\nIntervals: {boot['method']}, {boot['resamples']} resamples, seed {boot['seed']}.")
    return "\n".join(lines)


def table_cost(cost: dict[str, Any]) -> str:
    lines = ["| stage | calls | cache hits | input tokens | output tokens | cost $ | model s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for stage, u in cost["per_stage"].items():
        lines.append(f"| {stage} | {u['calls']} | {u['cache_hits']} | {u['input_tokens']} | {u['output_tokens']} | {u['cost_usd']:.4f} | {u['seconds']:.1f} |")
    lines.append(
        f"| **per 1,000 conversations** | | | | | {cost['cost_per_1k_conversations_usd']:.4f} | |\n\n"
        f"Tokens per 1,000 conversations: {cost['tokens_per_1k_conversations']:,.0f}. Model seconds (calls made in this run): {cost['model_seconds']:.0f}."
    )
    return "\n".join(lines)


def headline_table(results: dict[str, Any]) -> str:
    """The few numbers to compare variants by, with the paper's figure beside each."""
    s, u = results["supervised"], results["unsupervised"]
    rows = [
        (f"supervised accuracy (n={s['n']})", _pct_ci(s, "accuracy"), "94 regular / 84 concerning"),
        (f"  regular (n={s.get('regular_n', '-')}) / concerning (n={s.get('concerning_n', '-')})", f"{_pct_ci(s, 'regular_accuracy')} / {_pct_ci(s, 'concerning_accuracy')}", ""),
        ("macro F1 / weighted F1", f"{_pct_ci(s, 'macro_f1')} / {_pct_ci(s, 'weighted_f1')}", ""),
        ("ARI / NMI", f"{_num_ci(u, 'ari')} / {_num_ci(u, 'nmi')}", ""),
        ("V-measure / purity", f"{u['v_measure']:.3f} / {u['purity']:.3f}", ""),
    ]
    if "concern" in results:
        rows.append((f"concern Spearman (n={results['concern'].get('n', '-')})", _num_ci(results["concern"], "spearman"), "0.84"))
    if "privacy_auditor" in results:
        rows.append((f"privacy auditor accuracy (n={results['privacy_auditor']['n']})", _pct_ci(results["privacy_auditor"], "accuracy"), "98"))
    if "privacy_progression" in results:
        p = results["privacy_progression"]
        rows.append(("rated private: raw / summary / cluster", " / ".join(_pct(p.get(f"{layer}_private_share")) for layer in p["layers"]), "10 / 1.5 / 0"))
    ps = results.get("pii_survival", {})
    if ps.get("n_with_pii"):
        rows.append(("planted PII verbatim in summaries / clusters", f"{_pct(ps.get('summary_survival'))} / {_pct(ps.get('cluster_survival'))} (of {ps['n_with_pii']})", "- / 0"))
    rows.append(("cost per 1,000 conversations $", f"{results['cost']['cost_per_1k_conversations_usd']:.4f}", "0.49"))
    lines = ["| metric | this run (%, [95% bootstrap interval]) | paper |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_report(results: dict[str, Any], distribution: pd.DataFrame, out_dir: Path, title: str = "eval") -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig_distribution(distribution, out_dir / "fig4_distribution.png")
    fig_top_categories(distribution, out_dir / "fig6_top_categories.png")
    fig_confusion(results["unsupervised"]["confusion"], out_dir / "fig11_confusion.png")
    sections = [
        f"# {title}",
        "",
        f"{results.get('n_conversations', '?')} conversations, {results.get('n_base_clusters', '?')} base clusters, {results.get('n_categories', '?')} ground-truth categories.",
        "",
        headline_table(results),
        "",
    ]
    sections += ["## Figure 4: distribution", "![](fig4_distribution.png)", "", "## Figure 6: top categories", "![](fig6_top_categories.png)", ""]
    per_language = table_per_language(results["supervised"])
    (out_dir / "table5_per_language.md").write_text(per_language + "\n", encoding="utf-8")
    sections += ["## Table 5: per language", per_language, ""]
    if results["supervised"].get("per_group"):
        fig_per_language(results["supervised"], out_dir / "fig_per_language.png")
        sections += ["![](fig_per_language.png)", ""]
    if "privacy_progression" in results:
        fig_progression(results["privacy_progression"], out_dir / "fig5_privacy_progression.png")
        sections += ["## Figure 5: privacy progression", "![](fig5_privacy_progression.png)", ""]
    sections += ["## Figure 11: confusion", "![](fig11_confusion.png)", ""]
    cost = table_cost(results["cost"])
    (out_dir / "table2_cost.md").write_text(cost + "\n", encoding="utf-8")
    sections += ["## Table 2: cost", cost, ""]
    index = out_dir / "index.md"
    index.write_text("\n".join(sections), encoding="utf-8")
    return index
