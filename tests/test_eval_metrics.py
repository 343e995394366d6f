"""Eval metrics on hand-made inputs with answers worked out by hand."""

import json

import pytest

from evals import gate
from evals import metrics as M
from reports.figures import wilson_interval


def test_registry_names_every_metric():
    assert {"supervised_reconstruction", "unsupervised_reconstruction", "privacy_auditor", "privacy_progression", "pii_survival", "concern_agreement", "cost"} <= set(M.METRICS)


def test_supervised_accuracy_f1_and_groups():
    true = ["a", "a", "b", "b", "c", "c"]
    pred = ["a", "b", "b", "b", "c", None]  # one wrong, one unassigned
    langs = ["en", "en", "en", "fr", "fr", "fr"]
    r = M.supervised_reconstruction(true, pred, groups=langs, concerning=[False, False, False, False, True, True])
    assert r["accuracy"] == pytest.approx(4 / 6)
    # per class F1: a: p=1 r=.5 -> 2/3; b: p=2/3 r=1 -> .8; c: p=1 r=.5 -> 2/3
    assert r["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 2 / 3) / 3)
    assert r["weighted_f1"] == pytest.approx((2 / 3 + 0.8 + 2 / 3) / 3)  # equal supports
    assert r["per_group"]["en"]["accuracy"] == pytest.approx(2 / 3) and r["per_group"]["en"]["n"] == 3
    assert r["per_group"]["fr"]["accuracy"] == pytest.approx(2 / 3)
    assert r["regular_accuracy"] == pytest.approx(3 / 4) and r["concerning_accuracy"] == pytest.approx(1 / 2)
    assert r["concerning_n"] == 2


def test_unsupervised_perfect_and_mixed_partitions():
    perfect = M.unsupervised_reconstruction(["a", "a", "b", "b"], [7, 7, 3, 3])
    assert perfect["ari"] == pytest.approx(1.0) and perfect["nmi"] == pytest.approx(1.0) and perfect["purity"] == 1.0
    mixed = M.unsupervised_reconstruction(["a", "a", "b", "b"], [1, 2, 1, 2])
    assert mixed["purity"] == pytest.approx(0.5) and mixed["nmi"] == pytest.approx(0.0, abs=1e-9)
    assert mixed["ari"] < 0
    assert mixed["confusion"]["counts"] == [[1, 1], [1, 1]]
    # Splitting a class into two pure clusters keeps homogeneity and purity at 1 but costs completeness.
    split = M.unsupervised_reconstruction(["a", "a", "b", "b"], [1, 2, 3, 3])
    assert split["homogeneity"] == pytest.approx(1.0) and split["purity"] == 1.0 and split["completeness"] < 1


def test_privacy_auditor_binary_and_per_stage():
    gold = [True, True, False, False]
    pred = [1, 4, 3, 2]  # caught, leaked, kept, over-removed
    r = M.privacy_auditor(gold, pred, ["raw", "raw", "summary", "summary"])
    assert r["accuracy"] == 0.5
    assert r["confusion"] == {"private_as_private": 1, "private_as_preserving": 1, "preserving_as_preserving": 1, "preserving_as_private": 1}
    assert r["per_stage"]["raw"]["accuracy"] == 0.5 and r["per_stage"]["summary"]["private_recall"] is None


def test_progression_and_pii_survival():
    p = M.privacy_progression({"raw": [1, 2, 5, 5], "summary": [2, 5, 5, 5], "cluster": [5, 5]})
    assert (p["raw_private_share"], p["summary_private_share"], p["cluster_private_share"]) == (0.5, 0.25, 0.0)
    s = M.pii_survival([["Ana Ruiz", "555-0101"], [], ["bob@example.com"]], ["Help ANA RUIZ with a letter", "x", "write an email"], ["Letters for named people"])
    assert s["n_with_pii"] == 2 and s["summary_survival"] == 0.5 and s["cluster_survival"] == 0.0


def test_concern_agreement_and_constant_column():
    r = M.concern_agreement([1, 2, 3, 4, 5], [1, 1, 2, 4, 5])
    assert r["spearman"] == pytest.approx(0.9746794, abs=1e-6) and r["n"] == 5
    flat = M.concern_agreement([1, 2, 3], [3, 3, 3])
    assert flat["spearman"] is None and "constant" in flat["note"]


def test_cost_per_thousand():
    usage = {
        "facets": {"calls": 10, "cache_hits": 0, "input_tokens": 1000, "output_tokens": 100, "cost_usd": 0.5, "seconds": 3.0},
        "name": {"calls": 2, "cache_hits": 1, "input_tokens": 500, "output_tokens": 50, "cost_usd": 0.25, "seconds": 1.0},
    }
    c = M.cost(usage, n_conversations=10)
    assert c["total_cost_usd"] == 0.75 and c["cost_per_1k_conversations_usd"] == pytest.approx(75.0)
    assert c["tokens_per_1k_conversations"] == pytest.approx(165_000)


def test_flatten_scalars_skips_lists_and_none():
    flat = M.flatten_scalars({"a": {"b": 1, "c": None, "d": [1, 2], "e": {"f": 0.5}}, "g": True})
    assert flat == {"a.b": 1.0, "a.e.f": 0.5}


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0


IDENTITY = {"dataset_hash": "abc123", "n": 720, "categories": 24, "categories_hash": "f00d", "seed": 0}


def _metrics_file(tmp_path, accuracy, leaks, *, german=0.6, identity=None, low=None):
    path = tmp_path / f"m{accuracy}-{leaks}-{german}-{low}.json"
    low = accuracy - 0.035 if low is None else low
    path.write_text(
        json.dumps(
            {
                "identity": identity or IDENTITY,
                "supervised": {
                    "accuracy": accuracy,
                    "accuracy_ci_low": low,
                    "accuracy_ci_high": accuracy + 0.035,
                    "per_group": {"German": {"accuracy": german, "accuracy_ci_low": german - 0.12, "n": 48}},
                },
                "pii_survival": {"cluster_survival": leaks},
            }
        )
    )
    return path


def test_gate_passes_within_the_interval_and_fails_below_it(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    assert gate.main([str(_metrics_file(tmp_path, 0.80, 0.0)), "--baseline", str(baseline), "--write-baseline"]) == 0
    stored = json.loads(baseline.read_text())
    assert stored["identity"]["dataset_hash"] == "abc123" and stored["format"] == 2
    assert stored["metrics"]["supervised.accuracy"]["ci_low"] == pytest.approx(0.765)
    assert stored["metrics"]["supervised.per_group.German.accuracy"]["ci_low"] == pytest.approx(0.48)  # every language watched
    assert stored["metrics"]["pii_survival.cluster_survival"]["direction"] == "lower"
    assert gate.main([str(_metrics_file(tmp_path, 0.80, 0.0)), "--baseline", str(baseline)]) == 0
    assert gate.main([str(_metrics_file(tmp_path, 0.77, 0.0)), "--baseline", str(baseline)]) == 0  # inside the interval
    capsys.readouterr()
    assert gate.main([str(_metrics_file(tmp_path, 0.75, 0.0)), "--baseline", str(baseline)]) == 1  # below its low end
    out = capsys.readouterr().out
    assert "REGRESSED" in out and "supervised.accuracy" in out
    assert gate.main([str(_metrics_file(tmp_path, 0.80, 0.1)), "--baseline", str(baseline)]) == 1  # a leak is a regression
    capsys.readouterr()
    assert gate.main([str(_metrics_file(tmp_path, 0.80, 0.0, german=0.4)), "--baseline", str(baseline)]) == 1  # one language dropped
    assert "supervised.per_group.German.accuracy" in capsys.readouterr().out


def test_gate_refuses_runs_that_are_not_comparable(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    gate.main([str(_metrics_file(tmp_path, 0.80, 0.0)), "--baseline", str(baseline), "--write-baseline"])
    for key, value in (("dataset_hash", "other"), ("n", 48), ("categories", 21), ("categories_hash", "beef"), ("seed", 1)):
        (tmp_path / key).mkdir()
        other = _metrics_file(tmp_path / key, 0.9, 0.0, identity={**IDENTITY, key: value})
        assert gate.main([str(other), "--baseline", str(baseline)]) == 2
        err = capsys.readouterr().err
        assert "not comparable" in err and key in err and "\n" not in err.strip()
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"supervised.accuracy": {"value": 0.5, "tolerance": 0.03, "direction": "higher"}}))
    assert gate.main([str(_metrics_file(tmp_path, 0.9, 0.0)), "--baseline", str(legacy)]) == 2
    assert "format-2" in capsys.readouterr().err
    no_identity = tmp_path / "old-metrics.json"
    no_identity.write_text(json.dumps({"supervised": {"accuracy": 0.9}}))
    assert gate.main([str(no_identity), "--baseline", str(baseline)]) == 2
    assert "no identity" in capsys.readouterr().err


def test_gate_missing_metric_and_bad_files(tmp_path, capsys):
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps({"format": 2, "identity": IDENTITY, "metrics": {"unsupervised.nmi": {"value": 0.5, "tolerance": 0.0, "direction": "higher"}}}))
    assert gate.main([str(_metrics_file(tmp_path, 0.9, 0.0)), "--baseline", str(baseline)]) == 1
    assert "MISSING" in capsys.readouterr().out
    assert gate.main([str(tmp_path / "nope"), "--baseline", str(baseline)]) == 2
    assert "no metrics file" in capsys.readouterr().err
