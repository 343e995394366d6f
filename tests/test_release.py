"""The one release policy (clio.release) and the explorer under it: planted one-account cells and
small cells that published totals would reveal."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from clio.errors import ConfigError
from clio.explorer.data import RunData
from clio.explorer.synthetic_run import write_synthetic_run
from clio.release import ReleasePolicy, table_groups, unique_pair_counts

K = 3
ONE_ACCOUNT = "acct-secret-the-one"


def test_allows_needs_both_thresholds_and_releases_zero():
    policy = ReleasePolicy(min_conversations=10, min_accounts=5)
    assert policy.allows(10, 5) and policy.allows(0, 0)
    assert not policy.allows(9, 9) and not policy.allows(50, 4)
    assert list(policy.allows(np.array([0, 3, 12, 12]), np.array([0, 3, 1, 6]))) == [True, False, False, True]
    assert ReleasePolicy(10, 5, restricted=True).allows(1, 1)
    with pytest.raises(ConfigError):
        ReleasePolicy(0, 5)


def test_complementary_suppression_in_a_row_with_a_known_total():
    policy = ReleasePolicy(min_conversations=10, min_accounts=1)
    counts = np.array([[40, 30, 4, 0]])
    hidden = policy.suppress(counts, counts, table_groups(1, 4))
    # The 4 alone would follow from the row total: the next smallest non-zero cell goes with it.
    assert hidden.tolist() == [[False, True, True, False]]


def test_two_hidden_ones_are_not_enough():
    policy = ReleasePolicy(min_conversations=10, min_accounts=1)
    counts = np.array([[40, 30, 4, 3]])
    assert policy.suppress(counts, counts, table_groups(1, 4)).tolist() == [[False, False, True, True]]
    counts = np.array([[40, 30, 1, 1]])  # hidden cells are never 0: 1 + 1 = 2 gives both back
    assert policy.suppress(counts, counts, table_groups(1, 4)).tolist() == [[False, True, True, True]]


def test_a_child_cell_is_not_left_derivable_from_its_parent():
    # Node 0 is the parent of nodes 1 and 2; one value column.
    policy = ReleasePolicy(min_conversations=10, min_accounts=1)
    counts = np.array([[25], [22], [3]])
    hidden = policy.suppress(counts, counts, table_groups(3, 1, rows=False, children={0: [1, 2]}))
    assert hidden[:, 0].tolist() == [False, True, True]
    # With no sibling to hide, the parent's cell goes.
    counts = np.array([[3], [0], [3]])
    hidden = policy.suppress(counts, counts, table_groups(3, 1, rows=False, children={0: [1, 2]}))
    assert hidden[0, 0] and hidden[2, 0]


def test_accounts_alone_hide_a_large_cell():
    policy = ReleasePolicy(min_conversations=10, min_accounts=5)
    counts, accounts = np.array([[50, 60, 70]]), np.array([[1, 30, 40]])
    assert policy.suppress(counts, accounts, table_groups(1, 3)).tolist() == [[True, True, False]]


def test_unique_pair_counts():
    assert unique_pair_counts(np.array([0, 0, 0, 2]), np.array([7, 7, 8, 7]), 3).tolist() == [2, 0, 1]


def test_policy_from_run_reads_layer_two(tmp_path):
    run = write_synthetic_run(tmp_path / "run", min_conversations=4)
    assert ReleasePolicy.from_run(run) == ReleasePolicy(4, 4)
    assert ReleasePolicy.from_run(tmp_path / "nothing") == ReleasePolicy()  # project defaults


# ---------------------------------------------------------------- explorer with a planted one-account cell


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A run whose base cluster 0 holds a block of German conversations that all come from one
    account: enough conversations to pass a conversation-only threshold, one account behind them."""
    run = write_synthetic_run(tmp_path_factory.mktemp("release") / "run", n_conversations=150, n_base=6, levels=3, min_conversations=K)
    facets = pd.read_parquet(run / "private" / "facets.parquet")
    assign = pd.read_parquet(run / "private" / "assignments.parquet")
    merged = facets.merge(assign, on="conversation_id")
    in_zero = merged.index[(merged["cluster_id"] == 0) & (merged["language"] != "German")][:8]
    facets.loc[in_zero, "language"] = "German"
    facets.loc[in_zero, "account_id"] = ONE_ACCOUNT
    # ... and on one day of their own, so the timeline has a one-account period cell too.
    facets.loc[in_zero, "timestamp"] = "2024-03-05T09:00:00+00:00"
    facets.to_parquet(run / "private" / "facets.parquet", index=False)
    # Drop other German conversations of cluster 0, so the cell is one account only.
    keep = ~((merged["cluster_id"] == 0) & (merged["language"] == "German") & ~merged.index.isin(in_zero))
    facets[keep.to_numpy()].to_parquet(run / "private" / "facets.parquet", index=False)
    return run


def _truth(run):
    facets = pd.read_parquet(run / "private" / "facets.parquet")
    assign = pd.read_parquet(run / "private" / "assignments.parquet")
    return facets.merge(assign, on="conversation_id")


def _members(data, truth, node_id):
    bases = [int(b.split("-")[1]) for b in np.array(data.base_ids)[data.membership[data.index[node_id]] > 0]]
    return truth[truth["cluster_id"].isin(bases)]


def test_planted_one_account_cell_is_withheld_by_the_explorer(planted):
    truth = _truth(planted)
    cell = truth[(truth["cluster_id"] == 0) & (truth["language"] == "German")]
    assert len(cell) >= K and cell["account_id"].nunique() == 1  # the plant: passes on conversations alone
    data = RunData(planted)
    detail = data.cluster("0-0")
    german = next(c for b in detail["breakdowns"] if b["facet"] == "language" for c in b["cells"] if c["value"] == "German")
    assert german["count"] is None and german["share"] is None
    assert data.overlay("language", "=", "German")["prevalence"][data.index["0-0"]] is None


def test_every_released_explorer_cell_meets_both_thresholds(planted):
    """Recompute each released cell's conversations and accounts from the private data."""
    truth = _truth(planted)
    data = RunData(planted)
    released = 0
    for node in data.nodes:
        members = _members(data, truth, node["id"])
        detail = data.cluster(node["id"])
        for b in detail["breakdowns"]:
            if b["facet"] != "language":
                continue
            for c in b["cells"]:
                if c["count"] is None or c["value"] == "other" or c["count"] == 0:
                    continue
                rows = members[members["language"] == c["value"]]
                assert c["count"] == len(rows)
                assert len(rows) >= K and rows["account_id"].nunique() >= K, (node["id"], c)
                released += 1
        ts = pd.to_datetime(members["timestamp"], utc=True, format="ISO8601").dt.tz_localize(None).dt.floor("D")
        week = (ts - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
        for p in detail["timeline"]["points"]:
            if p["count"]:
                rows = members[week.to_numpy() == p["t"]]
                assert p["count"] == len(rows) and rows["account_id"].nunique() >= K
    assert released > 10


def _hidden_is_derivable(values, hidden, total_known, k):
    h = [v for v, x in zip(values, hidden) if x]
    return total_known and (len(h) == 1 or (len(h) > 1 and sum(h) == len(h)))


def test_no_hidden_cell_follows_from_a_published_total(planted):
    data = RunData(planted)
    for f in data.facets:
        for i, node in enumerate(data.nodes):
            # a row: the node's size is published
            assert not _hidden_is_derivable(f.counts[i], f.hidden[i], True, K), (f.name, node["id"])
            kids = [data.index[c] for c in node["children"]]
            for j in range(len(f.values)):  # a parent's cell over its children's
                if kids:
                    assert not _hidden_is_derivable(f.counts[kids, j], f.hidden[kids, j], not f.hidden[i, j], K), (f.name, node["id"], j)
    t = data.timeline
    for i in range(len(data.nodes)):
        assert not _hidden_is_derivable(t["counts"][i], t["hidden"][i], True, K)


def test_static_export_carries_no_planted_account_cell(planted):
    from clio.explorer.export import render_html

    html = render_html(RunData(planted))
    assert ONE_ACCOUNT not in html
    bundle = RunData(planted).bundle()
    assert ONE_ACCOUNT not in json.dumps(bundle)
    cells = next(b for b in bundle["clusters"]["0-0"]["breakdowns"] if b["facet"] == "language")["cells"]
    assert next(c for c in cells if c["value"] == "German")["count"] is None


# ---------------------------------------------------------------- analyses with planted one-account clusters

SOLO = "solo topic"


@pytest.fixture
def planted_benchmark(tmp_path):
    """The analyses' test frame plus a cluster of 30 conversations from one account, and a block of
    15 Welsh conversations from one account inside a large cluster."""
    from tests.test_analyses import make_frame, write_bench_file

    frame = make_frame()
    solo = frame[frame["cluster"] == "topic 4"].head(30).assign(cluster=SOLO, account_id=ONE_ACCOUNT, conversation_id=[f"solo_{i}" for i in range(30)])
    frame = pd.concat([frame, solo], ignore_index=True)
    welsh = frame.index[frame["cluster"] == "topic 3"][:15]
    frame.loc[welsh, ["language", "account_id"]] = ["Welsh", ONE_ACCOUNT + "-2"]
    path = write_bench_file(frame, tmp_path / "bench.jsonl")
    return path


def _outputs(folder):
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.suffix in (".csv", ".md", ".json"))


@pytest.mark.parametrize("name,extra", [("usage", []), ("languages", []), ("audit", ["--simulate-flags"]), ("monitor", []), ("coordination", ["--no-embeddings"])])
def test_no_analysis_releases_a_one_account_cluster(tmp_path, planted_benchmark, name, extra):
    from clio.analyses.__main__ import main as analyses

    out = tmp_path / name
    assert analyses([name, "--benchmark", str(planted_benchmark), "--out", str(out), *extra]) == 0
    text = _outputs(out)
    assert SOLO not in text  # 30 conversations, one account: no row, no label, no statistic
    assert ONE_ACCOUNT not in text


def test_languages_withholds_a_one_account_language(tmp_path, planted_benchmark):
    from clio.analyses.__main__ import main as analyses

    out = tmp_path / "languages"
    assert analyses(["languages", "--benchmark", str(planted_benchmark), "--out", str(out)]) == 0
    table = pd.read_csv(out / "language_patterns.csv")
    assert "Welsh" not in set(table["language"])  # 15 conversations, one account: not even named
    # every released cell is backed by the thresholds (10 conversations, 5 accounts: the benchmark defaults)
    cells = table["n_cell"].dropna()
    assert ((cells == 0) | (cells >= 10)).all() and (cells >= 10).sum() > 5


def test_analyses_refuse_to_lower_the_run_thresholds(tmp_path, planted_benchmark, capsys):
    from clio.analyses.__main__ import main as analyses

    run = write_synthetic_run(tmp_path / "run", min_conversations=K)
    assert analyses(["usage", "--run", str(run), "--min-conversations", "1"]) == 2
    assert "not lower them" in capsys.readouterr().err


def test_run_analyses_drop_removed_clusters_and_never_show_unaudited_names(tmp_path):
    """Level 0 on a run whose privacy layers removed a cluster: its conversations leave the frame.
    A run without a privacy stage: clusters are labelled by id, not by their (unaudited) names."""
    from clio.analyses.common import REMOVED_LABEL, frame_from_run, released_frame

    run = write_synthetic_run(tmp_path / "run", n_conversations=120, min_conversations=K)
    frame = frame_from_run(run, level=0)
    assert (frame["cluster"] == REMOVED_LABEL).any()
    released = released_frame(frame, ReleasePolicy(K, K))
    assert not (released["cluster"] == REMOVED_LABEL).any() and len(released) == (frame["cluster"] != REMOVED_LABEL).sum()
    from clio.analyses.__main__ import main as analyses

    assert analyses(["usage", "--run", str(run), "--level", "0", "--out", str(tmp_path / "u")]) == 0
    assert "removed" not in _outputs(tmp_path / "u")

    bare = tmp_path / "eval-run"
    (bare / "private").mkdir(parents=True)
    shutil.copy(run / "private" / "facets.parquet", bare / "private")
    shutil.copy(run / "private" / "assignments.parquet", bare / "private")
    pd.DataFrame({"cluster_id": range(7), "name": [f"Secret name {i}" for i in range(7)]}).to_parquet(bare / "private" / "base_clusters.parquet")
    (bare / "manifest.json").write_text(json.dumps({"config": {"privacy": {"min_conversations": K, "min_accounts": K}}, "counts": {}}))
    assert analyses(["usage", "--run", str(bare), "--out", str(tmp_path / "bare")]) == 0
    text = _outputs(tmp_path / "bare")
    assert "Secret name" not in text and "cluster 0" in text
    assert analyses(["usage", "--run", str(bare), "--out", str(tmp_path / "bare-r"), "--safety-mode", "--i-understand-restricted"]) == 0
    assert "Secret name" in _outputs(tmp_path / "bare-r")  # safety mode: the private names, marked RESTRICTED


# ---------------------------------------------------------------- clio show and the privacy report


def test_clio_show_withholds_small_counts_and_the_removed_pool(tmp_path, capsys):
    from clio.cli import main as clio_main

    run = write_synthetic_run(tmp_path / "run", min_conversations=K)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["counts"] = {"sampled": 96, "loaded": 100, "skipped_on_load": 2, "items": {"ok": 96, "facet_failed": 1, "unaccounted": 0}, "base_clusters": 7}
    manifest["privacy"]["conversations_total"] = None  # the privacy stage withheld it (see the next test)
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert clio_main(["show", str(run)]) == 0
    out = capsys.readouterr().out
    assert "withheld (< 3)" in out  # skipped_on_load 2, facet_failed 1
    assert "would give back" in out and " 96 " not in out and "100" not in out
    assert "base_clusters" in out and " 7 " in out  # counts of clusters are not counts of people


def test_privacy_report_withholds_the_total_when_the_removed_pool_is_small():
    from clio.pipeline import removed_pool_releasable

    base = pd.DataFrame({"cluster_id": [0, 1, 2], "size": [40, 30, 3], "accounts": [20, 15, 3]})
    policy = ReleasePolicy(10, 5)
    assert not removed_pool_releasable(base, base[base["cluster_id"] < 2], policy)  # total - kept = 3
    assert removed_pool_releasable(base, base, policy)
    big = pd.DataFrame({"cluster_id": [0, 1, 2, 3], "size": [40, 30, 8, 9], "accounts": [20, 15, 4, 6]})
    assert removed_pool_releasable(big, big[big["cluster_id"] < 2], policy)  # 17 conversations, >= 6 accounts
