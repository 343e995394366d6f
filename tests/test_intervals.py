"""Bootstrap intervals (evals/intervals.py): the vectorised scores equal scikit-learn's on the same
resamples, intervals hold the point estimate and narrow with n, and they reach the reports."""

import numpy as np
import pytest
from sklearn import metrics as skm

from evals import intervals as I
from evals.metrics import supervised_reconstruction


def _labels(n, seed=0, accuracy=0.7, classes=6):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, classes, n)
    pred = np.where(rng.random(n) < accuracy, true, rng.integers(0, classes, n))
    return [f"c{t}" for t in true], [f"c{p}" for p in pred]


def test_vectorised_scores_match_sklearn_on_each_resample():
    true, pred = _labels(300)
    weights = I.resample_weights(len(true), 5, seed=3)
    t, p = np.array(true), np.array(pred)
    for w in weights:
        idx = np.repeat(np.arange(len(true)), w.astype(int))
        labels = sorted(set(t[idx]))
        one = I.classification_intervals(true, pred, w[None, :])  # one resample: low == high == the score
        assert one["accuracy_ci_low"] == pytest.approx(skm.accuracy_score(t[idx], p[idx]))
        assert one["macro_f1_ci_low"] == pytest.approx(skm.f1_score(t[idx], p[idx], labels=labels, average="macro", zero_division=0))
        assert one["weighted_f1_ci_low"] == pytest.approx(skm.f1_score(t[idx], p[idx], labels=labels, average="weighted", zero_division=0))


def test_intervals_hold_the_estimate_and_narrow_with_n():
    widths = []
    for n in (60, 600):
        true, pred = _labels(n, seed=1)
        block = I.add_supervised_intervals(supervised_reconstruction(true, pred), true, pred, None, None, resamples=500, seed=0)
        assert block["accuracy_ci_low"] <= block["accuracy"] <= block["accuracy_ci_high"]
        assert block["macro_f1_ci_low"] <= block["macro_f1"] <= block["macro_f1_ci_high"]
        widths.append(block["accuracy_ci_high"] - block["accuracy_ci_low"])
    assert widths[1] < widths[0] / 2  # ~ 1/sqrt(n): 600 vs 60 conversations
    # Binomial check: the width at n=600, p~0.75 is about 2 * 1.96 * sqrt(p(1-p)/n) = 0.069
    assert 0.05 < widths[1] < 0.09


def test_groups_concerning_partition_and_auditor_intervals_are_seeded():
    true, pred = _labels(200, seed=2)
    groups = ["en" if i % 3 else "de" for i in range(200)]
    concerning = [t == "c0" for t in true]
    a = I.add_supervised_intervals(supervised_reconstruction(true, pred, groups=groups, concerning=concerning), true, pred, groups, concerning, resamples=200, seed=7)
    b = I.add_supervised_intervals(supervised_reconstruction(true, pred, groups=groups, concerning=concerning), true, pred, groups, concerning, resamples=200, seed=7)
    assert a == b and a["bootstrap"]["resamples"] == 200
    assert a["per_group"]["de"]["accuracy_ci_low"] <= a["per_group"]["de"]["accuracy"] <= a["per_group"]["de"]["accuracy_ci_high"]
    assert a["concerning_accuracy_ci_low"] <= a["concerning_accuracy"] <= a["concerning_accuracy_ci_high"]
    gold = [True] * 50 + [False] * 50
    scores = [1] * 45 + [4] * 5 + [5] * 50  # 95 of 100 right
    audit = I.add_auditor_intervals({}, gold, scores, resamples=1000, seed=0)
    assert audit["accuracy_ci_low"] < 0.95 < audit["accuracy_ci_high"] <= 1.0
    assert 0.88 < audit["accuracy_ci_low"] < 0.93  # binomial: 0.95 - 1.96 * sqrt(0.95 * 0.05 / 100) = 0.907


def test_report_tables_show_intervals_and_n():
    from reports.figures import table_per_language

    true, pred = _labels(120, seed=4)
    groups = ["en" if i % 2 else "de" for i in range(120)]
    block = I.add_supervised_intervals(supervised_reconstruction(true, pred, groups=groups), true, pred, groups, None, resamples=200, seed=0)
    table = table_per_language(block)
    assert "[95% CI]" in table and f"| de | 60 | {100 * block['per_group']['de']['accuracy']:.1f} [" in table
    assert "200 resamples" in table


def _partition(n, seed):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 8, n)
    cluster = np.where(rng.random(n) < 0.6, true * 2 + rng.integers(0, 2, n), rng.integers(0, 16, n))
    return true.astype(str), cluster.astype(str)


def test_partition_intervals_hold_the_estimate_and_match_the_sampling_spread():
    """Drawing with replacement inflates NMI (a duplicate agrees with itself); the half-sample
    interval is centred on the estimate and about as wide as NMI really varies between samples."""
    true, cluster = _partition(400, seed=0)
    nmi = skm.normalized_mutual_info_score(true, cluster)
    block = I.add_partition_intervals({"nmi": nmi, "ari": skm.adjusted_rand_score(true, cluster)}, true, cluster, resamples=300, seed=0)
    assert block["nmi_ci_low"] < nmi < block["nmi_ci_high"] and block["ari_ci_low"] < block["ari"] < block["ari_ci_high"]
    spread = np.std([skm.normalized_mutual_info_score(*_partition(400, seed=s)) for s in range(1, 101)])
    width = block["nmi_ci_high"] - block["nmi_ci_low"]
    assert 0.6 * (2 * 1.96 * spread) < width < 1.6 * (2 * 1.96 * spread)


def test_spearman_progression_and_survival_intervals():
    from evals import metrics as M

    rng = np.random.default_rng(0)
    expected = rng.integers(1, 6, 200)
    predicted = np.clip(expected + rng.integers(-1, 2, 200), 1, 5)
    c = M.concern_agreement(expected.tolist(), predicted.tolist())
    assert c["spearman_ci_low"] < c["spearman"] < c["spearman_ci_high"] and c["spearman_ci_high"] - c["spearman_ci_low"] < 0.15
    p = M.privacy_progression({"raw": [1, 2, 5, 5, 4, 3], "cluster": [5] * 10})
    assert p["raw_private_share_ci_low"] < 1 / 3 < p["raw_private_share_ci_high"] and p["cluster_private_share_ci_low"] == 0.0
    s = M.pii_survival([["Ann Lee"], ["Bo Li"], []], ["summary naming Ann Lee", "nothing", None], ["cluster text"])
    assert s["summary_survival"] == 0.5 and s["summary_survival_ci_low"] < 0.5 < s["summary_survival_ci_high"]
