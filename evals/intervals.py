"""Bootstrap 95 % intervals for the eval's figures: resample conversations with replacement (seeded),
recompute the figure, take the 2.5th and 97.5th percentiles (the percentile bootstrap).

Accuracy and F1 are computed for all resamples at once from per-conversation weights (how often each
conversation was drawn), so 1,000 resamples of 720 conversations take well under a second. ARI and
NMI are biased by drawing with replacement, so they use half-samples instead (`half_sample_interval`). Intervals are written beside each figure as
`<name>_ci_low` / `<name>_ci_high`, so MLflow logs them as metrics and the gate can read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 1000
LEVEL = 0.95


def resample_weights(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) counts: how often each of n items is drawn in each bootstrap resample."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    offsets = (np.arange(resamples) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def _percentiles(values: np.ndarray) -> tuple[float | None, float | None]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None
    lo, hi = np.percentile(values, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return float(lo), float(hi)


def classification_intervals(true: Sequence[str], pred: Sequence[str], weights: np.ndarray) -> dict[str, float | None]:
    """Accuracy, macro F1 and weighted F1 intervals over the resamples in `weights` (resamples, n).
    F1 is over the ground-truth classes present in each resample (as sklearn's labels=set(true))."""
    true, pred = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    if len(true) == 0:
        return {}
    classes = sorted(set(true.tolist()))
    index = {c: i for i, c in enumerate(classes)}
    t = np.array([index[x] for x in true])
    p = np.array([index.get(x, -1) for x in pred])  # a prediction outside the classes is never right
    T = np.eye(len(classes))[t]
    P = np.zeros_like(T)
    P[p >= 0, p[p >= 0]] = 1
    totals = weights.sum(axis=1)
    accuracy = weights @ (t == p).astype(float) / totals
    true_counts, pred_counts, tp = weights @ T, weights @ P, weights @ (T * P)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(true_counts + pred_counts > 0, 2 * tp / (true_counts + pred_counts), 0.0)
    present = true_counts > 0
    macro = (f1 * present).sum(axis=1) / present.sum(axis=1)
    weighted = (f1 * true_counts).sum(axis=1) / true_counts.sum(axis=1)
    out: dict[str, float | None] = {}
    for name, values in (("accuracy", accuracy), ("macro_f1", macro), ("weighted_f1", weighted)):
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = _percentiles(values)
    return out


def add_supervised_intervals(
    block: dict[str, Any], true: Sequence[str], pred: Sequence[str | None], groups: Sequence[str] | None, concerning: Sequence[bool] | None, *, resamples: int, seed: int
) -> dict[str, Any]:
    """Intervals for the supervised block of `evals.metrics.supervised_reconstruction`: overall,
    per group (each group resampled within itself) and for regular / concerning conversations."""
    true = [str(t) for t in true]
    pred = [str(p) if p is not None else "(unassigned)" for p in pred]
    block.update(classification_intervals(true, pred, resample_weights(len(true), resamples, seed)))
    block["bootstrap"] = {"resamples": resamples, "seed": seed, "level": LEVEL, "method": "percentile, conversations resampled"}
    if groups is not None and "per_group" in block:
        groups = list(groups)
        for g, row in block["per_group"].items():
            sel = [i for i, x in enumerate(groups) if str(x) == g]
            row.update(classification_intervals([true[i] for i in sel], [pred[i] for i in sel], resample_weights(len(sel), resamples, seed)))
    if concerning is not None:
        flags = np.asarray(concerning, dtype=bool)
        for key, mask in (("regular", ~flags), ("concerning", flags)):
            sel = np.flatnonzero(mask)
            if len(sel):
                ci = classification_intervals([true[i] for i in sel], [pred[i] for i in sel], resample_weights(len(sel), resamples, seed))
                block[f"{key}_accuracy_ci_low"], block[f"{key}_accuracy_ci_high"] = ci["accuracy_ci_low"], ci["accuracy_ci_high"]
    return block


def half_sample_interval(stat: Callable[[np.ndarray], float], n: int, resamples: int, seed: int, estimate: float) -> tuple[float | None, float | None]:
    """Interval for a statistic that drawing with replacement biases: ARI and NMI count a drawn-twice
    conversation as a pair that agrees with itself, so their bootstrap values sit above the
    estimate (seen on the dev set: NMI 0.690, every resample 0.70-0.74). Half-samples without
    replacement have no duplicates and, with the finite-population correction (1/m - 1/n = 1/n for
    m = n/2), spread like the full-sample statistic; the interval is the estimate plus the
    percentiles of their deviations from their own mean (delete-n/2 jackknife)."""
    if n < 4:
        return None, None
    rng = np.random.default_rng(seed)
    values = np.array([stat(rng.choice(n, size=n // 2, replace=False)) for _ in range(resamples)], dtype=float)
    lo, hi = _percentiles(values - np.nanmean(values))
    return (None, None) if lo is None else (float(estimate + lo), float(estimate + hi))


def add_partition_intervals(block: dict[str, Any], true: Sequence[str], cluster: Sequence[Any], *, resamples: int, seed: int) -> dict[str, Any]:
    """ARI and NMI intervals for the unsupervised block (half-sampling, see `half_sample_interval`)."""
    from sklearn import metrics as skm

    t, c = np.asarray([str(x) for x in true]), np.asarray([str(x) for x in cluster])
    for name, fn in (("ari", skm.adjusted_rand_score), ("nmi", skm.normalized_mutual_info_score)):
        estimate = block.get(name)
        if estimate is None:
            estimate = float(fn(t, c))
        block[f"{name}_ci_low"], block[f"{name}_ci_high"] = half_sample_interval(lambda idx, fn=fn: fn(t[idx], c[idx]), len(t), resamples, seed, estimate)
    block["interval_method"] = "delete-n/2 jackknife (half-samples without replacement), centred on the estimate"
    return block


def add_auditor_intervals(block: dict[str, Any], gold_private: Sequence[bool], predicted_score: Sequence[int], *, resamples: int, seed: int) -> dict[str, Any]:
    """Binary accuracy interval of a privacy auditor (score >= 3 = preserving)."""
    correct = np.array([(bool(g) and int(s) <= 2) or (not g and int(s) >= 3) for g, s in zip(gold_private, predicted_score)], dtype=float)
    if correct.size:
        w = resample_weights(len(correct), resamples, seed)
        block["accuracy_ci_low"], block["accuracy_ci_high"] = _percentiles(w @ correct / w.sum(axis=1))
    return block
