"""Insight and safety analyses on hand-made frames: planted findings, privacy of outputs, safety mode."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clio.analyses import classifier_audit, languages, monitoring, usage
from clio.analyses.__main__ import main
from clio.analyses.common import RESTRICTED_PREFIX, OutputWriter, PrivacyViolation, benjamini_hochberg, forbidden_ids


def make_frame(seed: int = 0) -> pd.DataFrame:
    """12 clusters x 40 conversations, accounts from a pool of 150, 3 languages, concern by cluster."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(12):
        for i in range(40):
            rows.append(
                {
                    "conversation_id": f"conv_{c:02d}_{i:03d}",
                    "account_id": f"acct_{int(rng.integers(0, 150)):04d}",
                    "timestamp": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=int(rng.integers(0, 24 * 60))),
                    "language": rng.choice(["English", "Spanish", "Japanese"], p=[0.6, 0.25, 0.15]),
                    "cluster": f"topic {c}",
                    "concern": float(np.clip(rng.normal(1 + 4 * (c / 11), 0.4), 1, 5)),
                    "text": f"question {i} about topic {c}",
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- audit


def test_audit_recovers_planted_false_negative():
    frame = make_frame()
    rng = np.random.default_rng(1)
    # classifier agrees with concern (flag prob = (concern-1)/4) except a blind spot on the most concerning cluster
    p = (frame["concern"] - 1) / 4
    p[frame["cluster"] == "topic 10"] = 0.0
    flags = pd.DataFrame({"conversation_id": frame["conversation_id"], "flag": (rng.random(len(frame)) < p).astype(int)})
    table, summary = classifier_audit.classifier_audit(frame, flags, min_conversations=10)
    assert summary["false_negatives"] == ["topic 10"]
    assert summary["false_positives"] == []
    assert summary["pearson_r"] > 0.5
    row = table.set_index("cluster").loc["topic 10"]
    assert row["quadrant"] == "possible false negative" and row["flag_rate"] == 0


def test_audit_recovers_planted_false_positive_and_simulated_flags():
    frame = make_frame()
    flags = classifier_audit.simulated_flags(frame, seed=3, blind_spot="topic 9", overtrigger="topic 1")
    table, summary = classifier_audit.classifier_audit(frame, flags, min_conversations=10)
    assert "topic 9" in summary["false_negatives"]
    assert "topic 1" in summary["false_positives"]


def test_audit_small_cluster_is_not_a_finding():
    frame = make_frame()
    small = frame[frame["cluster"] == "topic 11"].head(3).assign(cluster="tiny")  # 3 high-concern, 0 flags
    frame = pd.concat([frame[frame["cluster"] != "topic 11"], small])
    p = np.array((frame["concern"] - 1) / 4, dtype=float)
    p[(frame["cluster"] == "tiny").to_numpy()] = 0
    p[(frame["cluster"] == "topic 10").to_numpy()] = 0
    flags = pd.DataFrame({"conversation_id": frame["conversation_id"], "flag": (np.random.default_rng(0).random(len(frame)) < p).astype(int)})
    table, summary = classifier_audit.classifier_audit(frame, flags, min_conversations=5)
    assert "tiny" not in set(table["cluster"])  # below minimum support: not scored at all
    table, summary = classifier_audit.classifier_audit(frame, flags, min_conversations=2)
    # scored, but 0/3 is weaker evidence than 0/40 at the same concern: the Wilson bound ranks it lower
    assert summary["false_negatives"][0] == "topic 10"
    t = table.set_index("cluster")
    assert t.loc["tiny", "fn_evidence"] < t.loc["topic 10", "fn_evidence"]


# ---------------------------------------------------------------- languages, usage, monitoring


def test_language_patterns_planted_overrepresentation_and_support_rule():
    frame = make_frame()
    idx = frame.index[frame["cluster"] == "topic 3"]
    frame.loc[idx[:30], "language"] = "Japanese"  # 75%+ Japanese vs ~15-20% base
    frame.loc[frame.index[frame["cluster"] == "topic 5"][:1], "language"] = "Welsh"  # one conversation: below support
    t = languages.language_patterns(frame, min_conversations=10, min_cell=5)
    row = t[(t["cluster"] == "topic 3") & (t["language"] == "Japanese")].iloc[0]
    assert row["verdict"] == "over" and row["ratio"] > 3 and row["ratio_low"] > 1
    welsh = t[t["language"] == "Welsh"]
    assert (welsh["verdict"] == "insufficient").all() and welsh["ratio"].isna().all()
    over = t[t["verdict"] == "over"]
    assert set(zip(over["cluster"], over["language"])) == {("topic 3", "Japanese")}


def test_language_patterns_count_each_listed_language():
    frame = pd.DataFrame({"conversation_id": list("abcd"), "account_id": list("abcd"), "language": ["Welsh; English", "English", "English", "Welsh"], "cluster": ["x", "x", "y", "y"]})
    t = languages.language_patterns(frame, min_conversations=1, min_cell=1)
    assert t[(t["cluster"] == "x") & (t["language"] == "English")]["n_cell"].iloc[0] == 2
    assert t[(t["cluster"] == "x") & (t["language"] == "Welsh")]["n_cell"].iloc[0] == 1


def test_usage_overview_shares_intervals_and_threshold():
    frame = make_frame()
    frame = pd.concat([frame, frame.head(3).assign(cluster="rare", conversation_id=["r1", "r2", "r3"])])
    t = usage.usage_overview(frame, min_conversations=10, min_accounts=5)
    assert "rare" not in set(t["category"])
    # The pool (3 conversations) is itself below the thresholds: withheld, and with it the smallest
    # other row, since the total minus the rows shown would give it back.
    pooled = t[t["category"] == "(below aggregation threshold)"].iloc[0]
    assert np.isnan(pooled["n"]) and np.isnan(pooled["share"])
    assert t["n"].isna().sum() == 2 and len(frame) - t["n"].sum() == 3 + 40
    shown = t[t["n"].notna()]
    assert np.isclose(shown["share"].sum(), shown["n"].sum() / len(frame))
    assert ((shown["ci_low"] <= shown["share"]) & (shown["share"] <= shown["ci_high"])).all()
    # Large enough, the pool is shown.
    frame = pd.concat([frame, make_frame(3).head(12).assign(cluster="rare2", conversation_id=[f"s{i}" for i in range(12)])])
    t = usage.usage_overview(frame, min_conversations=13, min_accounts=5)
    assert t.loc[t["category"] == "(below aggregation threshold)", "n"].iloc[0] == 15 and t["n"].notna().all()


def test_monitoring_new_grew_and_null():
    before = make_frame(0)
    after = make_frame(1)
    # after: topic 2 triples, a new cluster appears
    extra = after[after["cluster"] == "topic 2"].assign(conversation_id=lambda d: d["conversation_id"] + "_x")
    extra2 = extra.assign(conversation_id=lambda d: d["conversation_id"] + "y")
    new = after.head(25).assign(cluster="election misinformation", conversation_id=lambda d: d["conversation_id"] + "_n")
    after = pd.concat([after, extra, extra2, new])
    t = monitoring.compare_windows(before, after, min_conversations=10).set_index("cluster")
    assert t.loc["election misinformation", "status"] == "new"
    assert t.loc["topic 2", "status"] == "grew"
    stable = t[t["status"] == "stable"]
    assert len(stable) >= 9  # the untouched clusters (their shares dip a little as others grow)
    # null: two draws of the same process show no significant changes after BH
    t0 = monitoring.compare_windows(make_frame(0), make_frame(2), min_conversations=10)
    assert set(t0["status"]) <= {"stable", "pooled"}


def test_benjamini_hochberg_known_values():
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    assert np.allclose(q, [0.02, 0.04, 0.04, 0.02])


# ---------------------------------------------------------------- privacy: default vs safety mode


def _all_text(folder) -> str:
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix in (".csv", ".md", ".json"):
            out.append(p.read_text(encoding="utf-8"))
    return "\n".join(out)


def test_writer_refuses_account_ids_in_default_mode(tmp_path):
    frame = make_frame()
    w = OutputWriter(tmp_path, forbidden=forbidden_ids(frame))
    with pytest.raises(PrivacyViolation):
        w.table("leak", pd.DataFrame({"cluster": ["topic 1"], "who": [frame["account_id"].iloc[0]]}))
    with pytest.raises(PrivacyViolation):
        w.table("leak2", pd.DataFrame({"cluster": ["topic 1"], "account_id": ["x"]}))
    with pytest.raises(PrivacyViolation):
        w.markdown("leak3", f"see {frame['conversation_id'].iloc[5]}")
    assert not list(tmp_path.iterdir())


def write_bench_file(frame, path):
    """`frame` (make_frame's columns) as a labelled file in the benchmark's own schema."""
    with path.open("w", encoding="utf-8") as fh:
        for r in frame.itertuples():
            fh.write(
                json.dumps(
                    {
                        "id": r.conversation_id,
                        "account_id": r.account_id,
                        "timestamp": r.timestamp.isoformat(),
                        "category": r.cluster,
                        "language": r.language,
                        "expected_concern": round(r.concern),
                        "messages": [{"role": "user", "content": r.text}, {"role": "assistant", "content": "ok"}],
                    }
                )
                + "\n"
            )
    return path


@pytest.fixture
def bench_file(tmp_path):
    """A small labelled file in the benchmark's own schema."""
    frame = make_frame()
    path = write_bench_file(frame, tmp_path / "bench.jsonl")
    return path, frame


@pytest.mark.parametrize("name,extra", [("usage", []), ("languages", []), ("audit", ["--simulate-flags", "--blind-spot", "topic 10"]), ("monitor", []), ("coordination", ["--no-embeddings"])])
def test_default_outputs_carry_no_account_ids_and_safety_mode_is_marked(tmp_path, bench_file, name, extra):
    path, frame = bench_file
    out = tmp_path / "default"
    assert main([name, "--benchmark", str(path), "--out", str(out), *extra]) == 0
    files = [p for p in out.iterdir()]
    assert any(p.suffix == ".png" for p in files) and any(p.suffix == ".csv" for p in files) and any(p.suffix == ".md" for p in files)
    assert not any(p.name.startswith(RESTRICTED_PREFIX) for p in files)
    text = _all_text(out)
    for acc in frame["account_id"].unique():
        assert acc not in text
    for cid in frame["conversation_id"].unique():
        assert cid not in text
    assert json.loads((out / "summary.json").read_text())["restricted"] is False

    # safety mode needs both flags
    assert main([name, "--benchmark", str(path), "--out", str(tmp_path / "x"), "--safety-mode", *extra]) == 2
    assert not (tmp_path / "x").exists()
    rout = tmp_path / "restricted"
    assert main([name, "--benchmark", str(path), "--out", str(rout), "--safety-mode", "--i-understand-restricted", *extra]) == 0
    rfiles = list(rout.iterdir())
    assert rfiles and all(p.name.startswith(RESTRICTED_PREFIX) for p in rfiles)
    for p in rfiles:
        if p.suffix == ".csv":
            lines = p.read_text(encoding="utf-8").splitlines()
            assert lines[0].startswith("# RESTRICTED") and lines[1].startswith("restricted,")
        elif p.suffix == ".md":
            assert p.read_text(encoding="utf-8").startswith("> **RESTRICTED")
        elif p.suffix == ".json":
            assert json.loads(p.read_text(encoding="utf-8"))["restricted"] is True
    accounts = pd.read_csv(rout / "RESTRICTED_cluster_accounts.csv", comment="#")
    assert set(accounts["account_id"]) == set(frame["account_id"])  # links clusters to accounts


def test_run_folder_default_and_restricted_locations(tmp_path):
    """On a run folder: default outputs under <run>/analyses, restricted ones under <run>/private/restricted."""
    frame = make_frame()
    run = tmp_path / "run"
    (run / "private").mkdir(parents=True)
    facets = frame[["conversation_id", "account_id", "timestamp", "language", "concern"]]
    facets.to_parquet(run / "private" / "facets.parquet")
    assign = pd.DataFrame({"conversation_id": frame["conversation_id"], "cluster_id": frame["cluster"].str.split().str[1].astype(int)})
    assign.to_parquet(run / "private" / "assignments.parquet")
    (run / "manifest.json").write_text(json.dumps({"config": {"privacy": {"min_conversations": 10, "min_accounts": 5}}, "counts": {}}))
    assert main(["usage", "--run", str(run)]) == 0
    assert (run / "analyses" / "usage" / "usage_overview.csv").exists()
    text = _all_text(run / "analyses")
    assert not any(a in text for a in frame["account_id"].unique())
    assert main(["usage", "--run", str(run), "--safety-mode", "--i-understand-restricted"]) == 0
    r = run / "private" / "restricted" / "analyses" / "usage"
    assert (r / "RESTRICTED_cluster_accounts.csv").exists() and (r / "RESTRICTED_usage_overview.csv").exists()


def _write_run(root, clusters: dict[int, tuple[str, int]], prefix: str) -> None:
    """A minimal run folder: private facets, assignments and base-cluster names (no hierarchy)."""
    rows, names = [], []
    for cid, (name, n) in clusters.items():
        names.append({"cluster_id": cid, "name": name})
        rows += [{"conversation_id": f"{prefix}_{cid}_{i}", "account_id": f"{prefix}_acct_{cid}_{i}", "cluster_id": cid} for i in range(n)]
    frame = pd.DataFrame(rows)
    (root / "private").mkdir(parents=True)
    frame.assign(timestamp=pd.NaT, language="English", concern=1.0)[["conversation_id", "account_id", "timestamp", "language", "concern"]].to_parquet(root / "private" / "facets.parquet")
    frame[["conversation_id", "cluster_id"]].to_parquet(root / "private" / "assignments.parquet")
    pd.DataFrame(names).to_parquet(root / "private" / "base_clusters.parquet")
    # The privacy stage ran: its audited names are what default-mode analyses may show.
    (root / "analyst").mkdir()
    pd.DataFrame([{"id": f"0-{cid}", "level": 0, "name": name, "parent_id": None, "size": n} for cid, (name, n) in clusters.items()]).to_parquet(root / "analyst" / "clusters.parquet")
    (root / "manifest.json").write_text(json.dumps({"config": {"privacy": {"min_conversations": 10, "min_accounts": 5}}, "counts": {}}))


@pytest.mark.integration
def test_monitor_two_runs_matches_renamed_clusters_and_finds_the_new_one(tmp_path):
    """Two runs cluster independently (other ids, reworded names): clusters are matched by name
    embeddings (the real MiniLM model), so only the genuinely new topic is reported as new."""
    before, after = tmp_path / "week1", tmp_path / "week2"
    _write_run(before, {0: ("Debug Python code", 60), 1: ("Write cover letters", 60), 2: ("Plan travel itineraries", 60)}, "a")
    _write_run(after, {7: ("Debugging Python code", 60), 3: ("Writing cover letters", 60), 5: ("Planning travel itineraries", 20), 9: ("Generate fake election news articles", 40)}, "b")
    assert main(["monitor", "--run", str(before), "--compare-run", str(after), "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "monitoring.csv", comment="#").set_index("cluster")
    new = table[table["status"] == "new"].index.tolist()
    assert len(new) == 1 and "election" in new[0]
    assert table.loc[table.index.str.contains("travel"), "status"].tolist() == ["shrank"]
    assert len(table) == 4  # the three reworded clusters were matched, not counted as new + gone
    assert not any("acct" in p.read_text(errors="ignore") for p in (tmp_path / "out").rglob("*") if p.is_file() and p.suffix in (".csv", ".md", ".json"))


def test_keyword_classifier_matches_whole_words_only():
    from clio.analyses.keyword_flags import compile_patterns, keyword_flags

    texts = pd.Series(["How do I kill a stuck process?", "skills for a CV", "my gunicorn config", None, "Is this a drug interaction?"])
    assert keyword_flags(texts, compile_patterns()).tolist() == [1, 0, 0, 0, 1]  # benign uses flagged: what the audit finds
