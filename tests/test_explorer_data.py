"""Explorer aggregates: what leaves the run folder, and that thresholds hold (no browser)."""

import json

import numpy as np
import pandas as pd
import pytest

from clio.cli import main
from clio.explorer.data import RunData
from clio.explorer.export import render_html
from clio.explorer.synthetic_run import ACCOUNT_PREFIX, CANARY, write_synthetic_run

K = 3


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_synthetic_run(tmp_path_factory.mktemp("explorer") / "run", n_conversations=90, n_base=6, levels=3, min_conversations=K)


@pytest.fixture(scope="module")
def data(run_dir):
    return RunData(run_dir)


def _truth(run_dir):
    facets = pd.read_parquet(run_dir / "private" / "facets.parquet")
    assign = pd.read_parquet(run_dir / "private" / "assignments.parquet")
    return facets.merge(assign, on="conversation_id")


def test_reads_threshold_levels_and_facets(data, run_dir):
    assert data.min_count == K
    assert data.levels == 3
    names = {f.name for f in data.facets}
    assert {"language", "concern", "turns", "has_tool_use"} <= names
    # Per-conversation text and identifiers are never facets.
    assert not names & {"request", "account_id", "conversation_id", "timestamp"}
    # The removed base cluster (id 6) is not on the map and not in any count.
    truth = _truth(run_dir)
    assert data.total == int((truth["cluster_id"] < 6).sum())
    language = next(f for f in data.facets if f.name == "language")
    assert language.base.sum() == data.total


def test_breakdown_counts_match_the_private_data_and_hide_small_cells(data, run_dir):
    truth = _truth(run_dir)
    shown = hidden = 0
    for node in data.nodes:
        detail = data.cluster(node["id"])
        for b in detail["breakdowns"]:
            counts = [c["count"] for c in b["cells"]]
            # Nothing between 1 and k-1 ever leaves; and never exactly one hidden cell in a row.
            assert all(c is None or c == 0 or c >= K for c in counts)
            assert counts.count(None) != 1
            hidden += counts.count(None)
        if node["level"] == 0:
            cid = int(node["id"].split("-")[1])
            members = truth[truth["cluster_id"] == cid]
            lang = next(b for b in detail["breakdowns"] if b["facet"] == "language")
            for cell in lang["cells"]:
                if cell["count"] is not None and cell["value"] != "other":
                    assert cell["count"] == int((members["language"] == cell["value"]).sum())
                    shown += 1
    assert shown > 5 and hidden > 0


def test_overlay_ratio_against_base_rate(data, run_dir):
    overlay = data.overlay("language", "=", "Spanish")
    truth = _truth(run_dir)
    kept = truth[truth["cluster_id"] < 6]
    assert overlay["base_rate"] == pytest.approx((kept["language"] == "Spanish").mean(), abs=1e-3)
    # Base cluster 0 is planted at 80% Spanish.
    r0 = overlay["ratio"][data.index["0-0"]]
    assert r0 is not None and r0 > 2
    for node, ratio, prev in zip(data.nodes, overlay["ratio"], overlay["prevalence"]):
        if ratio is not None:
            n = (kept["cluster_id"].isin([int(b.split("-")[1]) for b in np.array(data.base_ids)[data.membership[data.index[node["id"]]] > 0]])).sum()
            assert prev * n >= K or prev == 0
    ge = data.overlay("concern", ">=", "3")
    assert ge["base_rate"] == pytest.approx((kept["concern"] >= 3).mean(), abs=1e-3)


def test_timeline_shares_by_week(data):
    t = data.cluster(data.nodes[0]["id"])["timeline"]
    assert t["period"] == "week"
    assert len(t["points"]) >= 3
    for p in t["points"]:
        assert p["share"] is None or 0 <= p["share"] <= 1
        assert p["count"] is None or p["count"] == 0 or p["count"] >= K


def test_points_are_compact_and_anonymous(data):
    import base64

    p = data.points()
    assert set(p) == {"n", "x", "y", "base", "base_dtype", "base_ids"}
    assert len(base64.b64decode(p["x"])) == 4 * p["n"] == 4 * data.total
    assert np.frombuffer(base64.b64decode(p["base"]), "<u2").max() < len(data.base_ids)


def test_nothing_per_conversation_in_any_default_answer(data, run_dir):
    everything = json.dumps(data.bundle()) + json.dumps(data.meta())
    assert CANARY not in everything and "CANARY" not in everything
    assert ACCOUNT_PREFIX not in everything
    assert "conv-0" not in everything  # conversation ids
    # The summary text exists privately, and only traces() reads it.
    assert any(CANARY in t["request"] for t in data.traces("0-0", limit=100)["traces"])
    assert not any(ACCOUNT_PREFIX in json.dumps(t) for t in data.traces("0-0", limit=100)["traces"])


def test_export_is_self_contained_and_escaped(run_dir, tmp_path):
    # A cluster description that tries to end the inline JSON block early.
    clusters = pd.read_parquet(run_dir / "analyst" / "clusters.parquet")
    copy = tmp_path / "run"
    import shutil

    shutil.copytree(run_dir, copy)
    clusters.loc[0, "description"] = "</script><script>document.body.dataset.pwned=1</script>"
    clusters.to_parquet(copy / "analyst" / "clusters.parquet", index=False)
    html = render_html(RunData(copy))
    assert "</script><script>document.body" not in html
    assert CANARY not in html and ACCOUNT_PREFIX not in html
    assert 'http-equiv="Content-Security-Policy"' in html
    assert 'src="http' not in html and 'href="http' not in html and 'src="static/' not in html


def test_cli_export_and_errors(run_dir, tmp_path, capsys):
    out = tmp_path / "x.html"
    assert main(["export", str(run_dir), "--out", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 10_000
    assert main(["export", str(tmp_path / "missing")]) == 2
    assert "not a finished" in capsys.readouterr().err
    assert main(["explore", str(run_dir), "--token", "x" * 20]) == 2
    assert main(["explore", str(run_dir), "--privileged", "--token", "short"]) == 2
    err = capsys.readouterr().err
    assert "--token only applies with --privileged" in err and "at least 16" in err


def test_values_no_conversation_has_are_not_offered(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    facets = pd.read_parquet(copy / "private" / "facets.parquet")
    facets["has_tool_use"] = False
    facets.to_parquet(copy / "private" / "facets.parquet", index=False)
    data = RunData(copy)
    assert next(f for f in data.facets if f.name == "has_tool_use").values == ["no"]
    with pytest.raises(KeyError):
        data.overlay("has_tool_use", "=", "yes")


def test_users_own_words_are_never_a_breakdown_or_a_trace(tmp_path):
    """Embed-first runs keep the users' own words (computed facet user_text) in private/facets.parquet.
    Short, repeated messages look like a categorical facet by shape; they must still never be offered
    as a breakdown, an overlay or a privileged trace."""
    run = write_synthetic_run(tmp_path / "run", n_conversations=90, n_base=6, levels=3, min_conversations=K)
    facets = pd.read_parquet(run / "private" / "facets.parquet")
    facets["user_text"] = [["hi", "help me", "thanks"][i % 3] for i in range(len(facets))]  # few distinct, short
    facets.to_parquet(run / "private" / "facets.parquet")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.setdefault("config", {}).setdefault("facets", {}).setdefault("specs", {})["user_text"] = {"kind": "computed", "function": "user_text"}
    (run / "manifest.json").write_text(json.dumps(manifest))
    data = RunData(run)
    assert "user_text" not in {f.name for f in data.facets}
    assert not any(facet == "user_text" for facet, _, _ in data.overlay_keys())
    traces = data.traces(data.nodes[0]["id"])
    assert all("user_text" not in t for t in traces["traces"]) and "user_text" not in traces["text_facets"]
