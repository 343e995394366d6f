"""The paper's evaluation metrics (appendix C and D) as plain functions of labelled arrays.

Every metric is registered by name in `METRICS`, takes plain Python/numpy inputs (no run folder,
no model) and returns a JSON-serialisable dict, so it can be tested on hand-made inputs with known
answers and logged to MLflow as is. Scalars that a regression gate should watch are the top-level
float values; nested tables (per language, confusion matrices) ride along.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from clio.stats import wilson_interval

MetricFn = Callable[..., dict[str, Any]]
METRICS: dict[str, MetricFn] = {}


def metric(name: str) -> Callable[[MetricFn], MetricFn]:
    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = fn
        return fn

    return register


def _f(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _scores(true: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(true))  # F1 over the ground-truth classes: a wrong guess still costs recall
    return {
        "n": len(true),
        "accuracy": _f(skm.accuracy_score(true, pred)) if len(true) else None,
        "macro_f1": _f(skm.f1_score(true, pred, labels=labels, average="macro", zero_division=0)) if len(true) else None,
        "weighted_f1": _f(skm.f1_score(true, pred, labels=labels, average="weighted", zero_division=0)) if len(true) else None,
    }


@metric("supervised_reconstruction")
def supervised_reconstruction(true: Sequence[str], pred: Sequence[str | None], groups: Sequence[str] | None = None, concerning: Sequence[bool] | None = None) -> dict[str, Any]:
    """Paper C.2.2 / Table 5: each conversation's ground-truth category against the category its
    base cluster was assigned to. A conversation with no prediction (its cluster was not assigned)
    counts as wrong. `groups` (e.g. language) gives the per-group rows; `concerning` splits the
    regular and concerning categories like the paper's 94% / 84%."""
    true = [str(t) for t in true]
    pred = [str(p) if p is not None else "(unassigned)" for p in pred]
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} labels but {len(pred)} predictions")
    out = _scores(true, pred)
    if groups is not None:
        frame = pd.DataFrame({"t": true, "p": pred, "g": list(groups)})
        out["per_group"] = {str(g): _scores(list(part["t"]), list(part["p"])) for g, part in frame.groupby("g", sort=True)}
    if concerning is not None:
        flags = np.asarray(concerning, dtype=bool)
        for key, mask in (("regular", ~flags), ("concerning", flags)):
            sel = np.flatnonzero(mask)
            out[f"{key}_accuracy"] = _scores([true[i] for i in sel], [pred[i] for i in sel])["accuracy"]
            out[f"{key}_n"] = int(len(sel))
    return out


@metric("unsupervised_reconstruction")
def unsupervised_reconstruction(true: Sequence[str], cluster: Sequence[Any]) -> dict[str, Any]:
    """Ground truth against a found partition (paper Figure 11 plus standard partition scores).
    Purity: each cluster counts its majority true label; 1.0 means no cluster mixes categories."""
    true = [str(t) for t in true]
    cluster = [str(c) for c in cluster]
    table = pd.crosstab(pd.Series(true, name="true"), pd.Series(cluster, name="cluster"))
    n = len(true)
    homogeneity, completeness, v = skm.homogeneity_completeness_v_measure(true, cluster) if n else (None, None, None)
    return {
        "n": n,
        "ari": _f(skm.adjusted_rand_score(true, cluster)) if n else None,
        "nmi": _f(skm.normalized_mutual_info_score(true, cluster)) if n else None,
        "v_measure": _f(v),
        "homogeneity": _f(homogeneity),
        "completeness": _f(completeness),
        "purity": _f(table.max(axis=0).sum() / n) if n else None,
        "n_clusters": int(table.shape[1]),
        "n_classes": int(table.shape[0]),
        "confusion": {"rows": list(table.index), "columns": list(table.columns), "counts": table.to_numpy().tolist()},
    }


@metric("privacy_auditor")
def privacy_auditor(gold_private: Sequence[bool], predicted_score: Sequence[int], stages: Sequence[str] | None = None) -> dict[str, Any]:
    """Binary accuracy of an auditor (paper D.1: a score of 3 or more is privacy-preserving),
    with the confusion matrix, overall and per stage (raw / summary / cluster)."""

    def block(gold: list[bool], pred: list[int]) -> dict[str, Any]:
        tp = sum(1 for g, p in zip(gold, pred) if g and p <= 2)
        fn = sum(1 for g, p in zip(gold, pred) if g and p >= 3)
        tn = sum(1 for g, p in zip(gold, pred) if not g and p >= 3)
        fp = sum(1 for g, p in zip(gold, pred) if not g and p <= 2)
        n = len(gold)
        return {
            "n": n,
            "accuracy": (tp + tn) / n if n else None,
            "private_recall": tp / (tp + fn) if tp + fn else None,
            "preserving_recall": tn / (tn + fp) if tn + fp else None,
            "confusion": {"private_as_private": tp, "private_as_preserving": fn, "preserving_as_preserving": tn, "preserving_as_private": fp},
        }

    gold, pred = [bool(g) for g in gold_private], [int(p) for p in predicted_score]
    out = block(gold, pred)
    if stages is not None:
        out["per_stage"] = {s: block([g for g, st in zip(gold, stages) if st == s], [p for p, st in zip(pred, stages) if st == s]) for s in dict.fromkeys(stages)}
    return out


@metric("privacy_progression")
def privacy_progression(scores_by_layer: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """Paper Figure 5: share of items an auditor rates 1-2 (private) at each layer, e.g. raw
    conversations -> summaries -> cluster summaries, on the same sample."""
    out: dict[str, Any] = {"layers": list(scores_by_layer)}
    for layer, scores in scores_by_layer.items():
        scores = [int(s) for s in scores]
        private = sum(1 for s in scores if s <= 2)
        out[f"{layer}_private_share"] = (private / len(scores)) if scores else None
        out[f"{layer}_n"] = len(scores)
        if scores:  # a share of items: its 95 % Wilson interval
            out[f"{layer}_private_share_ci_low"], out[f"{layer}_private_share_ci_high"] = wilson_interval(private, len(scores))
    return out


def _contains_any(text: str, needles: Sequence[str]) -> bool:
    low = text.casefold()
    return any(n.strip() and n.casefold() in low for n in needles)


@metric("pii_survival")
def pii_survival(planted: Sequence[Sequence[str]], summaries: Sequence[str | None], cluster_texts: Sequence[str]) -> dict[str, Any]:
    """Planted private strings (benchmark `pii` column) found verbatim (case-insensitive) in each
    conversation's summary, and in any analyst-facing cluster text. Only conversations that carry
    planted details count. A verbatim check is a lower bound on leaks (a translated or partial
    name is missed), so it complements, not replaces, the auditor-based progression."""
    carriers = [i for i, p in enumerate(planted) if p]
    in_summary = [i for i in carriers if summaries[i] and _contains_any(str(summaries[i]), planted[i])]
    joined = "\n".join(cluster_texts)
    in_clusters = [i for i in carriers if _contains_any(joined, planted[i])]
    n = len(carriers)
    out = {
        "n_with_pii": n,
        "summary_survival": len(in_summary) / n if n else None,
        "cluster_survival": len(in_clusters) / n if n else None,
        "summary_leaks": len(in_summary),
        "cluster_leaks": len(in_clusters),
    }
    if n:  # shares of the carriers: 95 % Wilson intervals
        for key, k in (("summary_survival", len(in_summary)), ("cluster_survival", len(in_clusters))):
            out[f"{key}_ci_low"], out[f"{key}_ci_high"] = wilson_interval(k, n)
    return out


@metric("concern_agreement")
def concern_agreement(expected: Sequence[float | None], predicted: Sequence[float | None], resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Spearman rank correlation of the concern facet against expected labels (paper: 0.84),
    on the pairs where both are present."""
    from scipy.stats import spearmanr

    pairs = [(float(e), float(p)) for e, p in zip(expected, predicted) if e is not None and p is not None and not (isinstance(p, float) and np.isnan(p))]
    if len(pairs) < 3 or len({p for _, p in pairs}) < 2 or len({e for e, _ in pairs}) < 2:
        # A constant column has no rank correlation; say so instead of returning NaN.
        return {"n": len(pairs), "spearman": None, "note": "fewer than 3 pairs or a constant column"}
    rho, p_value = spearmanr([e for e, _ in pairs], [p for _, p in pairs])
    predicted_values = [p for _, p in pairs]
    low, high = _spearman_interval(np.array([e for e, _ in pairs]), np.array(predicted_values), resamples, seed) if resamples else (None, None)
    return {
        "n": len(pairs),
        "spearman": _f(rho),
        "spearman_ci_low": low,
        "spearman_ci_high": high,
        "p_value": _f(p_value),
        "predicted_distribution": {str(int(v)): predicted_values.count(v) for v in sorted(set(predicted_values))},
    }


def _spearman_interval(expected: np.ndarray, predicted: np.ndarray, resamples: int, seed: int) -> tuple[float | None, float | None]:
    """Percentile bootstrap of Spearman's rho over resampled pairs (SciPy's paired bootstrap)."""
    from scipy import stats

    import warnings

    def rho(x: np.ndarray, y: np.ndarray) -> float:
        return float(stats.spearmanr(x, y).statistic)

    # a resample of few pairs can be constant: its rho is NaN and left out of the percentiles
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap((expected, predicted), rho, paired=True, vectorized=False, n_resamples=resamples, method="percentile", random_state=seed)
    low, high = res.confidence_interval
    return (None if np.isnan(low) else float(low)), (None if np.isnan(high) else float(high))


@metric("cost")
def cost(per_stage: Mapping[str, Mapping[str, Any]], n_conversations: int) -> dict[str, Any]:
    """Paper Table 2: tokens and dollars per stage and per 1,000 conversations, from the gateway's
    usage records (`manifest.llm_usage.per_stage`)."""
    rows = {}
    for stage, u in sorted(per_stage.items()):
        rows[stage] = {k: u.get(k, 0) for k in ("calls", "cache_hits", "input_tokens", "output_tokens", "cost_usd", "seconds")}
    total = {k: sum(r[k] for r in rows.values()) for k in ("calls", "input_tokens", "output_tokens", "cost_usd", "seconds")}
    scale = 1000 / n_conversations if n_conversations else 0.0
    # Requests the pipeline made, answered by the model or by the response cache: what a run on
    # an empty cache would pay for (embed-first mode: grows with k, not with n).
    requests = sum(r["calls"] + r["cache_hits"] for r in rows.values())
    return {
        "per_stage": rows,
        "model_requests": requests,
        "model_requests_per_1k_conversations": requests * scale,
        "total_input_tokens": total["input_tokens"],
        "total_output_tokens": total["output_tokens"],
        "total_cost_usd": total["cost_usd"],
        "model_seconds": total["seconds"],
        "tokens_per_1k_conversations": (total["input_tokens"] + total["output_tokens"]) * scale,
        "cost_per_1k_conversations_usd": total["cost_usd"] * scale,
    }


def flatten_scalars(results: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """`{"supervised": {"accuracy": 0.9, "per_group": {...}}}` -> `{"supervised.accuracy": 0.9, ...}`:
    numeric leaves only, for MLflow metrics and the regression gate. Lists are skipped."""
    out: dict[str, float] = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_scalars(value, f"{name}."))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, (int, float, np.integer, np.floating)) and value is not None and not np.isnan(float(value)):
            out[name] = float(value)
    return out
