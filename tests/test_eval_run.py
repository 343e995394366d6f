"""`clio eval` end to end on a small labelled dataset: fake LLM (the model's quality is not the point
here), real embedding model, real k-means, real rule auditor, real MLflow store (SQLite)."""

import json
import re
import zlib

import mlflow
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from mlflow.tracking import MlflowClient

from clio import pipeline
from clio.cli import CONF_DIR
from clio.errors import ConfigError
from clio.llm.backends import FakeBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway
from evals.run import run_eval
from evals.tracking import log_eval_run

CANARY = "Quillon Vantabrook"
# category -> (English topic words the fake model "translates" to, user prompts in two languages)
CATEGORIES = {
    "Cooking and recipes": ("cook a vegetable soup recipe", ["Wie koche ich eine Gemüsesuppe?", "How do I cook a vegetable soup?"]),
    "Software debugging": ("fix a Python KeyError bug", ["Warum wirft mein Python-Skript einen KeyError?", "Why does my Python script raise KeyError?"]),
    "Travel planning": ("plan a hiking trip itinerary", ["Plane eine dreitägige Wanderreise.", "Plan a three-day hiking trip."]),
}


def write_benchmark(path, per_cell=6):
    rows = []
    for c, (category, (_, prompts)) in enumerate(CATEGORIES.items()):
        for lang, prompt in zip(("German", "English"), prompts):
            for i in range(per_cell):
                pii = [CANARY] if (c == 0 and i == 0) else []
                text = f"{prompt} Ich bin {CANARY}." if pii else f"{prompt} ({i})"
                rows.append(
                    {
                        "id": f"{c}-{lang}-{i}",
                        "category": category,
                        "subcategory": "x",
                        "language": lang,
                        "expected_concern": 1 + (i % 3),
                        "has_pii": bool(pii),
                        "pii": pii,
                        "account_id": f"acct-{c}-{i}",
                        "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "Gern."}],
                    }
                )
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")


def fake_model(prompt):
    last = prompt.messages[-1].content
    if prompt.name == "facet_open":
        user = prompt.messages[1].content
        for _, (topic, prompts) in CATEGORIES.items():
            if any(p.split("?")[0].split(".")[0] in user for p in prompts):
                return f" {topic}.</answer>"
        raise AssertionError(user)
    if prompt.name == "facet_rating":
        user = prompt.messages[1].content
        digit = int(re.search(r"\((\d)\)", user).group(1)) if re.search(r"\((\d)\)", user) else 0
        return f"{1 + digit % 3}</answer>"
    if prompt.name == "cluster_name":
        first = re.search(r"<answers>(.*?)</answers>", last, re.S).group(1).strip().splitlines()[0][2:]
        return f" Users asked to {first}.</summary>\n<name>{first[:60]}</name>"
    if prompt.name == "cluster_name_excerpts":  # embed-first: the users' own words, in either language
        first = re.search(r"<answers>(.*?)</answers>", last, re.S).group(1).strip().splitlines()[0][2:]
        # by a verb or an error name: the scrubber turns capitalised German nouns into [name]
        for topic, words in (("cook a vegetable soup recipe", ("koche", "cook")), ("fix a Python KeyError bug", ("KeyError",)), ("plan a hiking trip itinerary", ("Plane", "Plan"))):
            if any(w in first for w in words):
                return f" Users asked to {topic}.</summary>\n<name>{topic}</name>"
        raise AssertionError(first)
    if prompt.name == "hierarchy_assign":
        parents = re.findall(r"^- (.*)$", re.search(r"<higher_level_clusters>(.*?)</higher_level_clusters>", last, re.S).group(1), re.M)
        name = re.search(r"Name: (.*)", last).group(1).lower()
        for parent, (topic, _) in CATEGORIES.items():
            if topic.split()[-1] in name and parent in parents:
                return parent + "</answer>"
        return parents[zlib.crc32(name.encode()) % len(parents)] + "</answer>"
    raise AssertionError(prompt.name)


@pytest.fixture
def fake_llm(monkeypatch):
    backend = FakeBackend(fake_model)
    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(backend, ResponseCache(cfg.cache.llm), show_progress=False))
    return backend


def make_cfg(tmp_path, data, *extra):
    privacy_dev = tmp_path / "privacy_dev.jsonl"
    privacy_dev.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"text": "Users asked for soup recipes.", "stage": "cluster", "rating": 5},
                {"text": f"Help {CANARY} at 12 Elm Street, phone 555-0142, with his divorce.", "stage": "raw", "rating": 1},
            ]
        )
        + "\n"
    )
    overrides = [
        "experiment=eval_dev",
        f"data.source={data}",
        "data.sample.n=1000",
        "clustering.k=3",
        f"run.root={tmp_path}/runs",
        f"cache.dir={tmp_path}/cache",
        "progress=false",
        f"tracking.uri=sqlite:///{tmp_path}/mlflow.db",
        f"eval.privacy_dev={privacy_dev}",
    ]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("config", overrides=overrides + list(extra))


@pytest.mark.integration
def test_eval_end_to_end_llm_and_embedding_baseline(tmp_path, fake_llm):
    data = tmp_path / "bench.jsonl"
    write_benchmark(data)
    results = run_eval(make_cfg(tmp_path, data))
    assert results["n_conversations"] == 36 and results["n_categories"] == 3
    assert results["supervised"]["accuracy"] == pytest.approx(1.0)  # the fake model translates perfectly
    assert set(results["supervised"]["per_group"]) == {"German", "English"}
    assert results["unsupervised"]["ari"] == pytest.approx(1.0)
    assert results["concern"]["n"] == 36 and results["concern"]["spearman"] == pytest.approx(1.0)
    assert results["privacy_auditor"]["n"] == 2 and results["privacy_auditor"]["accuracy"] == 1.0
    progression = results["privacy_progression"]
    assert progression["raw_private_share_on_pii"] == 1.0  # the planted name is caught in the raw text
    assert progression["summary_private_share"] == 0.0 and results["pii_survival"]["summary_survival"] == 0.0

    run = tmp_path / "runs" / "eval-dev-llm-k3-n1000"
    eval_dir = run / "eval"
    for name in ("metrics.json", "index.md", "fig4_distribution.png", "fig6_top_categories.png", "fig11_confusion.png", "fig5_privacy_progression.png", "table5_per_language.md", "table2_cost.md"):
        assert (eval_dir / name).stat().st_size > 0, name
    # Eval outputs are aggregate: no conversation ids, no raw text, no planted names.
    shared = "\n".join(p.read_text(encoding="utf-8") for p in eval_dir.iterdir() if p.suffix in (".json", ".md", ".csv"))
    assert CANARY not in shared and "0-German-0" not in shared and "Gemüsesuppe" not in shared

    # The MLflow run carries params, metrics, tags and the artifacts.
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    logged = MlflowClient().get_run(results["mlflow_run_id"])
    assert logged.data.metrics["supervised.accuracy"] == pytest.approx(1.0)
    assert logged.data.params["clustering.k"] == "3" and logged.data.tags["prompt.facet_open"].startswith("facet_open@")
    assert {"git_commit", "dataset_hash", "llm", "embedding"} <= set(logged.data.tags)
    assert "eval/metrics.json" in {a.path for a in MlflowClient().list_artifacts(logged.info.run_id, "eval")}

    # A rerun is free: every model call comes from the cache.
    calls = len(fake_llm.calls)
    run_eval(make_cfg(tmp_path, data))
    assert len(fake_llm.calls) == calls

    # The no-LLM baseline on the same data makes no model call at all.
    baseline = run_eval(make_cfg(tmp_path, data, "experiment=eval_dev_embedding_only"))
    assert len(fake_llm.calls) == calls
    assert baseline["n_conversations"] == 36 and 0 <= baseline["supervised"]["accuracy"] <= 1
    assert baseline["privacy_progression"]["layers"] == ["raw"]  # no summary layer: the raw text is what gets embedded
    assert baseline["pii_survival"]["summary_survival"] is None

    # Both variants' figures and one comparison table, regenerated from the MLflow store alone.
    from reports.__main__ import main as report_main

    out = tmp_path / "report"
    assert report_main(["--mlflow-run", results["mlflow_run_id"], baseline["mlflow_run_id"], "--uri", f"sqlite:///{tmp_path}/mlflow.db", "--out", str(out)]) == 0
    compare_md = (out / "compare.md").read_text(encoding="utf-8")
    assert compare_md.count("\n| paper") == 2 and "100.0 [" in compare_md  # two rows, each with its interval
    for run_dir in (p for p in out.iterdir() if p.is_dir()):
        assert (run_dir / "fig11_confusion.png").stat().st_size > 0 and (run_dir / "table5_per_language.md").exists()
    assert CANARY not in compare_md


@pytest.mark.integration
def test_eval_embed_first_calls_the_model_per_cluster_and_never_shows_it_a_planted_name(tmp_path, fake_llm):
    """Embed-first mode on two languages: the users' words embedded with multilingual-e5-small,
    language means removed, k-means; no per-conversation model call; the namer sees scrubbed
    excerpts only (the planted name is a placeholder by then)."""
    data = tmp_path / "bench.jsonl"
    write_benchmark(data)
    base = ["experiment=eval_dev_embed_first", "data.sample.n=1000", "clustering.k=3", "tracking.enabled=false"]
    by_embedding = run_eval(make_cfg(tmp_path, data, *base))
    assert fake_llm.calls == []  # eval.assign=embedding: no model call at all
    assert by_embedding["variant"] == {"mode": "embed_first", "embedding": "multilingual-e5-small", "debias": "language_mean", "k": 3, "naming_source": None, "assign": "embedding"}
    assert by_embedding["supervised"]["accuracy"] == pytest.approx(1.0)  # German and English chats meet by topic
    run = tmp_path / "runs" / "eval-dev-embed_first-multilingual-e5-small-language_mean-embedding-k3-n1000-s0"
    assert (run / "private" / "vectors_debiased.npy").exists() and json.loads((run / "stages" / "debias.json").read_text())["languages_own_mean"] == 2

    by_llm = run_eval(make_cfg(tmp_path, data, *base, "eval.assign=llm"))
    names = {p.name for p in fake_llm.calls}
    assert names == {"cluster_name_excerpts", "hierarchy_assign"}  # per cluster, never per conversation
    assert sum(p.name == "cluster_name_excerpts" for p in fake_llm.calls) == 3
    assert by_llm["supervised"]["accuracy"] == pytest.approx(1.0)
    shown = "\n".join(m.content for p in fake_llm.calls for m in p.messages)
    assert CANARY not in shown and "Quillon" not in shown and "Ich bin [person]" in shown  # shown, as a placeholder
    assert by_llm["cost"]["model_requests"] == 6 and by_llm["pii_survival"]["cluster_survival"] == 0.0


def test_eval_needs_labels(tmp_path, fake_llm):
    data = tmp_path / "plain.jsonl"
    data.write_text(json.dumps({"id": "1", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}) + "\n")
    with pytest.raises(ConfigError, match="labelled dataset"):
        run_eval(make_cfg(tmp_path, data))


def test_sweep_runs_share_a_parent(tmp_path):
    data = tmp_path / "bench.jsonl"
    write_benchmark(data)
    cfg = make_cfg(tmp_path, data)
    results = {"supervised": {"accuracy": 0.5}}
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "metrics.json").write_text("{}")
    ids = [log_eval_run(cfg, results, tmp_path / "art", dataset_hash="abc", sweep="runs/sweeps/x") for _ in range(2)]
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    parents = {client.get_run(i).data.tags["mlflow.parentRunId"] for i in ids}
    assert len(parents) == 1
    assert client.get_run(parents.pop()).data.tags["clio.sweep_parent"] == "true"


def _benchmark_with_a_rare_category(tmp_path):
    """The test benchmark plus one record of a category no other record has."""
    data = tmp_path / "bench.jsonl"
    write_benchmark(data)
    lines = data.read_text(encoding="utf-8").splitlines()
    rare = json.loads(lines[0]) | {"id": "rare-1", "category": "A category only one record has"}
    data.write_text("\n".join(lines + [json.dumps(rare)]) + "\n", encoding="utf-8")
    return data


def test_candidates_are_the_whole_label_set_not_the_samples(tmp_path):
    """A sample that misses a category must still offer it as a choice (else the labels leak)."""
    from evals.run import candidate_categories

    data = _benchmark_with_a_rare_category(tmp_path)
    cfg = make_cfg(tmp_path, data, "data.sample.n=6")  # 6 of 37: the one-record category is almost surely out
    categories, source = candidate_categories(cfg)
    assert source == "dataset" and len(categories) == 4 and "A category only one record has" in categories

    taxonomy = tmp_path / "taxonomy.txt"
    taxonomy.write_text("\n".join(categories + ["A fifth category nobody used"]) + "\n", encoding="utf-8")
    categories, source = candidate_categories(make_cfg(tmp_path, data, f"eval.taxonomy={taxonomy}"))
    assert source == "taxonomy taxonomy.txt" and len(categories) == 5
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="non-empty list"):
        candidate_categories(make_cfg(tmp_path, data, f"eval.taxonomy={tmp_path / 'bad.json'}"))


@pytest.mark.integration
def test_eval_scores_against_the_whole_label_set(tmp_path):
    data = _benchmark_with_a_rare_category(tmp_path)
    results = run_eval(make_cfg(tmp_path, data, "experiment=eval_dev_embedding_only", "data.sample.n=8", "clustering.k=2"))
    assert results["candidates"]["source"] == "dataset" and results["candidates"]["n"] == results["n_categories"] == 4
    run = next((tmp_path / "runs").iterdir())
    sampled = set(pd.read_parquet(run / "private" / "eval_predictions.parquet")["category"])
    assert results["candidates"]["absent_from_sample"] == 4 - len(sampled) >= 1


def test_split_is_a_stable_hash_and_test_is_scored_once(tmp_path):
    from evals.run import _apply_split, split_of

    ids = [f"conv-{i}" for i in range(2000)]
    shares = [sum(split_of(i, seed, 0.5) == "test" for i in ids) / len(ids) for seed in (0, 1)]
    assert all(0.45 < s < 0.55 for s in shares)
    assert [split_of(i, 0, 0.5) for i in ids[:50]] == [split_of(i, 0, 0.5) for i in ids[:50]]  # stable
    assert sum(split_of(i, 0, 0.5) != split_of(i, 1, 0.5) for i in ids) > 800  # the seed reshuffles

    data = tmp_path / "bench.jsonl"
    write_benchmark(data)
    from clio.loaders import load_conversations

    conversations = load_conversations(data).conversations
    dev = _apply_split(make_cfg(tmp_path, data, "eval.split=dev"), conversations)
    test = _apply_split(make_cfg(tmp_path, data, "eval.split=test"), conversations)
    assert {c.id for c in dev}.isdisjoint({c.id for c in test}) and len(dev) + len(test) == len(conversations)
    with pytest.raises(ConfigError, match="already scored on the test split"):
        _apply_split(make_cfg(tmp_path, data, "eval.split=test"), conversations)
    assert len(_apply_split(make_cfg(tmp_path, data, "eval.split=test", "eval.allow_test_rerun=true"), conversations)) == len(test)
    # another variant is a new config: its first look is allowed
    assert _apply_split(make_cfg(tmp_path, data, "eval.split=test", "clustering.k=4"), conversations)


@pytest.mark.integration
def test_prompt_change_is_gated_against_a_replayed_baseline(tmp_path, monkeypatch, capsys):
    """The workflow of README "Gating a prompt change": a baseline eval, its replay from the response
    cache (no model call; a changed prompt is refused in one line), a candidate with the changed
    prompt (fresh calls for that prompt only), and `clio gate --baseline-run` between the two. The
    real `build_gateway` runs here (only the backend is fake), so `llm.replay` is what is tested."""
    from evals import gate

    backend = FakeBackend(fake_model)
    monkeypatch.setattr(pipeline, "make_backend", lambda *args, **kwargs: backend)
    data = tmp_path / "bench.jsonl"
    write_benchmark(data)
    common = ["experiment=eval_dev_embed_first", "eval.assign=llm", "data.sample.n=1000", "clustering.k=3", "tracking.enabled=false"]
    base = run_eval(make_cfg(tmp_path, data, *common, "run.name=base"))
    paid = len(backend.calls)
    assert paid > 0

    replayed = run_eval(make_cfg(tmp_path, data, *common, "run.name=base-replay", "llm.replay=true"))
    assert len(backend.calls) == paid  # every reply from the cache
    assert replayed["supervised"] == base["supervised"] and replayed["identity"] == base["identity"]

    changed = "naming.criteria.request='The name is a short imperative sentence naming the shared goal of the users.'"
    with pytest.raises(ConfigError, match=r"replay: no cached reply for prompt cluster_name_excerpts@v\d+ \(stage naming\)"):
        run_eval(make_cfg(tmp_path, data, *common, "run.name=refused", "llm.replay=true", changed))
    assert len(backend.calls) == paid

    run_eval(make_cfg(tmp_path, data, *common, "run.name=candidate", changed))
    fresh = backend.calls[paid:]
    # Only the changed prompt is asked afresh; the assignment prompts read the names, which this fake
    # model writes alike under both criteria, so they are the same prompts and come from the cache.
    assert [p.name for p in fresh] == ["cluster_name_excerpts"] * 3

    runs = tmp_path / "runs"
    assert gate.main([str(runs / "candidate"), "--baseline-run", str(runs / "base")]) == 0
    assert "within the baseline's limits" in capsys.readouterr().out
    run_eval(make_cfg(tmp_path, data, *common, "run.name=other-seed", "run.seed=1"))
    assert gate.main([str(runs / "other-seed"), "--baseline-run", str(runs / "base")]) == 2
    assert "seed 0 vs 1" in capsys.readouterr().err
