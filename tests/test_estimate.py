"""`clio estimate`: call counts and tokens against what the stages really do with a fake model,
the expected-output model read from a response cache, the manifest hook, and the CLI."""

import itertools
import json
import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from hydra import compose, initialize_config_dir

from clio import estimate
from clio.cli import CONF_DIR, main
from clio.facets import TranscriptConfig, extract_facets, parse_facet_specs, screen
from clio.hierarchy import Hierarchizer, build_hierarchy, parse_name_list
from clio.llm.backends import Completion, FakeBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway
from clio.naming import ClusterName, NamingCall, expected_min
from evals.reliability import write_topic_dataset

FIXTURE = Path(__file__).parent / "fixtures" / "own.jsonl"


def make_cfg(tmp_path, data, *overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(
            "config",
            overrides=[
                f"run.root={tmp_path}/runs",
                "run.name=t",
                f"cache.dir={tmp_path}/cache",
                "data=file",
                f"data.source={data}",
                "progress=false",
                "pipeline.mode=paper",
                *(() if any(o.startswith("llm=") for o in overrides) else ("llm.backend=fake",)),
                *overrides,
            ],
        )


# --------------------------------------------------------------------------- facets


def test_screener_and_facet_prompts_are_the_stages_own(tmp_path):
    """The estimator renders the stages' own jobs (`screen_job`, `render_job`): its input tokens
    equal what a fake run of `screen` and `extract_facets` used, prompt for prompt."""
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=2)
    cfg = make_cfg(tmp_path, data, "data.screen='Is this about cooking?'")
    est = estimate.estimate_run(cfg, upto="facets")
    conversations = estimate.load_sample(cfg)
    transcript = TranscriptConfig(**estimate._cfg(cfg.facets.transcript))
    gateway = LLMGateway(FakeBackend(lambda p: "Yes</answer>" if p.name == "screener" else "1</answer>" if p.name == "facet_rating" else " do a thing.</answer>"), None, show_progress=False)
    kept, _ = screen(conversations, cfg.data.screen, gateway, transcript)
    assert len(kept) == len(conversations)  # the estimate's default screen_pass_share is 1
    extract_facets(kept, parse_facet_specs(estimate._cfg(cfg.facets.specs)), gateway, transcript)
    for stage, used in gateway.usage.items():
        assert (est["stages"][stage]["calls"], est["stages"][stage]["input_tokens"]) == (used.calls, used.input_tokens), stage


def test_facet_calls_and_tokens_match_a_fake_run(tmp_path):
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=3)
    cfg = make_cfg(tmp_path, data)
    est = estimate.estimate_run(cfg, upto="facets")
    conversations = estimate.load_sample(cfg)
    specs = parse_facet_specs(estimate._cfg(cfg.facets.specs))
    llm_specs = [s for s in specs if s.uses_llm]
    assert {f"facets.{s.name}" for s in llm_specs} == set(est["stages"])

    gateway = LLMGateway(FakeBackend(lambda p: "1</answer>" if p.name == "facet_rating" else " do a thing.</answer>"), None, show_progress=False)
    extract_facets(conversations, specs, gateway, TranscriptConfig(**estimate._cfg(cfg.facets.transcript)))
    for spec in llm_specs:
        stage, used = est["stages"][f"facets.{spec.name}"], gateway.usage[f"facets.{spec.name}"]
        assert stage["calls"] == used.calls == len(conversations)
        assert stage["input_tokens"] == used.input_tokens  # the fake backend counts words; so does the estimator for it
    assert est["total"]["calls"] == len(llm_specs) * len(conversations)


def test_screener_calls_and_pass_share(tmp_path):
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=2)
    cfg = make_cfg(tmp_path, data, "data.screen='Is this about cooking?'", "estimate.screen_pass_share=0.5")
    est = estimate.estimate_run(cfg, upto="facets")
    assert est["stages"]["screen"]["calls"] == 12
    assert est["stages"]["facets.request"]["calls"] == 6


# --------------------------------------------------------------------------- hierarchy


def embed(texts):
    out = np.zeros((len(texts), 32))
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):  # numbers too: every cluster distinct
            out[row] += np.random.default_rng(zlib.crc32(word.encode())).normal(size=32)
    return out + 1e-6


def obedient_model():
    """Lists exactly the number of names asked for, and spreads the children over the parents so
    that each parent gets one (the estimator's assumptions); names are unique."""
    counter = itertools.count()

    def reply(prompt):
        text = prompt.messages[-1].content
        if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
            desired = int(re.search(r"about\s+(\d+)", text).group(1))
            return "\n" + "\n".join(f"{i}. Category number {next(counter)}" for i in range(1, desired + 1)) + "\n</answer>"
        if prompt.name == "hierarchy_assign":
            parents = sorted(line[2:].strip() for line in re.search(r"<higher_level_clusters>(.*?)</higher_level_clusters>", text, re.S).group(1).strip().splitlines())
            number = int(re.search(r"Name: \D*(\d+)", text).group(1))
            return parents[number % len(parents)] + "</answer>"
        if prompt.name == "hierarchy_rename":
            return f" Users asked for related things.</summary>\n<name>Group {next(counter)}</name>"
        raise AssertionError(prompt.name)

    return reply


@pytest.mark.parametrize(
    "n_base, top_k, levels, neighbourhood_size",
    [(12, 3, None, 40), (30, 3, 3, 40), (9, 2, 3, 40), (60, 4, 3, 20), (100, 10, None, 40), (5, 10, None, 40)],
)
def test_hierarchy_call_counts_match_build_hierarchy(n_base, top_k, levels, neighbourhood_size):
    base = [ClusterName(cluster_id=i, name=f"Cluster {i} about topic {i % 7}", description=f"Users asked about topic {i % 7}.", size=3) for i in range(n_base)]
    backend = FakeBackend(obedient_model())
    build_hierarchy(base, embed, LLMGateway(backend, None, show_progress=False), top_k=top_k, levels=levels, neighbourhood_size=neighbourhood_size, random_state=0)
    made = {step: sum(1 for p in backend.calls if p.name == f"hierarchy_{step}") for step in ("propose", "dedupe", "assign", "rename")}
    plan = Hierarchizer(None, None, top_k=top_k, levels=levels, neighbourhood_size=neighbourhood_size).plan(n_base)
    planned = {
        "propose": sum(len(lv.neighbourhoods) for lv in plan),
        "dedupe": sum(len(lv.dedupe) for lv in plan),
        "assign": sum(lv.assign_calls for lv in plan),
        "rename": sum(lv.rename_calls for lv in plan),
    }
    assert planned == made


def test_a_model_that_lists_fewer_names_makes_the_plan_dedupe_and_fit():
    hz = Hierarchizer(None, None, top_k=2, levels=3)
    obedient, terse = hz.plan(4), hz.plan(4, names_per_reply=1.0)
    assert sum(len(lv.dedupe) for lv in obedient) == 0
    assert len(terse[0].dedupe) == 1 and terse[0].parents == terse[0].low  # too few names: filled up to the minimum


def test_estimate_run_counts_naming_auditor_and_hierarchy(tmp_path):
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=4)  # 24 conversations
    cfg = make_cfg(tmp_path, data, "clustering.k=6", "hierarchy.top_k=2", "hierarchy.levels=3", "privacy.auditor.kind=llm", "estimate.privacy_keep_share=1.0")
    est = estimate.estimate_run(cfg)
    s = est["stages"]
    assert s["naming"]["calls"] == 6 and est["base_clusters"] == 6
    plan = Hierarchizer(None, None, top_k=2, levels=3, neighbourhood_size=40).plan(6)
    assert s["hierarchy.assign"]["calls"] == sum(lv.assign_calls for lv in plan) > 0
    assert s["hierarchy.rename"]["calls"] == sum(lv.rename_calls for lv in plan) > 0
    assert s["hierarchy.propose"]["calls"] == sum(len(lv.neighbourhoods) for lv in plan)
    assert s["privacy_audit"]["calls"] == 6 + sum(lv.kept for lv in plan)  # base clusters + parent names
    assert est["hierarchy_plan"] == [6] + [lv.kept for lv in plan]
    assert est["total"]["input_tokens"] == sum(x["input_tokens"] for x in s.values())

    # By default the clusters kept follow the thresholds: 24 conversations in 6 clusters, 3 needed.
    from clio.privacy import expected_kept_share

    auto = make_cfg(tmp_path, data, "clustering.k=6", "hierarchy.top_k=2", "hierarchy.levels=3", "privacy.min_conversations=3", "privacy.min_accounts=3")
    assert estimate.estimate_run(auto)["hierarchy_plan"][0] == round(6 * expected_kept_share(24, 6, auto.privacy)) == 3

    rules = estimate.estimate_run(make_cfg(tmp_path, data, "clustering.k=6", "privacy.auditor.kind=rules"))
    assert "privacy_audit" not in rules["stages"]
    facets_only = estimate.estimate_run(cfg, upto="facets")
    assert set(facets_only["stages"]) == {"facets.request", "facets.task", "facets.concern"}


def test_embed_first_estimate_has_no_per_conversation_calls_as_the_run_makes_none(tmp_path):
    from clio import pipeline

    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=4)
    cfg = make_cfg(tmp_path, data, "pipeline.mode=embed_first", "clustering.k=4", "privacy.auditor.kind=rules", "privacy.min_conversations=2", "privacy.min_accounts=2")
    est = estimate.estimate_run(cfg)
    assert not [s for s in est["stages"] if s.startswith(("facets.", "screen"))] and est["stages"]["naming"]["calls"] == 4
    manifest = pipeline.run_all(cfg)
    made = {stage for stage, u in manifest["llm_usage"]["per_stage"].items() if u.get("calls")}
    assert not [s for s in made if s.startswith("facets")]


def test_expected_members_shown_follow_skewed_cluster_sizes():
    assert expected_min(5, 1.0) == 1.0
    assert expected_min(50, 1000.0) == pytest.approx(50, rel=0.03)  # big clusters: the cap
    assert expected_min(5, 4.8) < min(5, 4.8)  # small clusters show fewer than the mean
    namer = NamingCall(max_chars=None)
    texts = [f"users asked about topic {i}" for i in range(8)]
    plan = namer.plan(texts, 30, 6, n_members=8, n_contrast=3)  # mean size 5: 4.16 members expected
    assert sum(times for _, times in plan) == pytest.approx(6)  # one call per cluster
    shown = [sum(m.content.count("users asked about topic") for m in job.prompt.messages) - 3 for job, _ in plan]  # less the 3 contrast texts
    assert shown == [4, 5] and sum(s * t for s, (_, t) in zip(shown, plan)) / 6 == pytest.approx(expected_min(8, 5.0))


# --------------------------------------------------------------------------- output model, prices


def fill_cache(path, replies):
    cache = ResponseCache(path)
    for i, (ref, text, out_tokens) in enumerate(replies):
        cache.put(f"k{i}", ref, Completion(text=text, input_tokens=100, output_tokens=out_tokens))
    cache.close()


def test_output_model_reads_means_names_and_reasks_from_the_cache(tmp_path):
    path = tmp_path / "cache.sqlite"
    fill_cache(
        path,
        [
            ("facet_open@v4", " write a short poem about autumn.", 10),
            ("facet_open@v4", " fix a bug in a parser.", 8),
            ("facet_open@v3", " plan a trip.", 6),
            ("cluster_name@v5", " Users asked for poems.</summary>\n<name>Write poems</name>", 20),
            ("cluster_name@v5", " " + "x" * 700 + "</summary>\n<name>Too long</name>", 200),  # rejected: re-asked
            ("cluster_name@v5", " Users fixed code.</summary>\n<name>Fix code</name>", 16),
            ("hierarchy_propose@v3", "\n1. Write poems\n2. Fix code\n</answer>", 12),
            ("hierarchy_propose@v3", "\n1. Plan trips\n</answer>", 6),
            ("hierarchy_dedupe@v3", "\n1. Creative writing\n2. Programming\n3. Travel\n</answer>", 18),
        ],
    )
    model = estimate.OutputModel(path)
    counter = estimate.make_counter(OmegaConf.create({"backend": "fake"}))
    from clio.prompts import load_prompt

    open_prompt = load_prompt("facet_open").render(transcript="t", question="q", prefill="p")
    tokens, source = model.expected(open_prompt, 60, counter)
    assert tokens == pytest.approx(8.0) and "cache" in source
    assert model.summary_chars("facet_open", 30)[0] == pytest.approx(np.mean([len("write a short poem about autumn."), len("fix a bug in a parser."), len("plan a trip.")]))
    assert model.rejected("cluster_name") == (pytest.approx(1 / 3), 3)
    assert model.rejected("facet_open") == (0.0, 3)
    assert model.names_per_reply(estimate.LIST_PROMPTS) == pytest.approx(2.0)
    propose = load_prompt("hierarchy_propose").render(criteria="c", clusters=[], outside=[], desired=5, low=2, high=7)
    per_name = (12 + 6 + 18) / 6
    assert model.expected(propose, 235, counter, names=5)[0] == pytest.approx(per_name * 2.0)  # lists 2 on average, not 5
    assert model.expected(propose, 235, counter, names=1)[0] == pytest.approx(per_name)
    name_chars, description_chars, _ = model.name_lengths("cluster_name")
    assert name_chars == pytest.approx(np.mean([len("Write poems"), len("Too long"), len("Fix code")]))
    excluded = estimate.OutputModel(path, exclude_keys={"k0", "k1", "k2"})
    assert excluded.expected(open_prompt, 60, counter)[1] == "0.5 x max_tokens"  # nothing measured: a share of max_tokens


def test_api_backends_count_by_documented_ratio_and_price_batches(tmp_path):
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=2)
    cfg = make_cfg(tmp_path, data, "llm=anthropic")
    est = estimate.estimate_run(cfg)
    assert est["token_counter"].startswith("3.5 characters per token")
    assert est["batch_supported"]
    total = est["total"]
    expected = (total["input_tokens"] * 0.80 + total["output_tokens"] * 4.00) / 1e6
    assert total["cost_usd"] == pytest.approx(expected, rel=1e-3)
    assert total["cost_usd_batch"] == pytest.approx(expected * 0.5, rel=1e-3)
    openai = estimate.estimate_run(make_cfg(tmp_path, data, "llm=openai"))
    assert openai["token_counter"].startswith("4 characters per token") and openai["total"]["cost_usd_batch"] is None


def test_price_tables_cover_every_llm_config(tmp_path):
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=2)
    cfg = make_cfg(tmp_path, data)
    tables = estimate.price_tables(cfg, estimate.load_sample(cfg), estimate.OutputModel(None), estimate.options_for(cfg))
    assert set(tables) == {p.stem for p in (Path(CONF_DIR) / "llm").glob("*.yaml")}
    assert tables["anthropic"]["cost_usd"] > 0 and tables["anthropic"]["cost_usd_batch"] == pytest.approx(tables["anthropic"]["cost_usd"] / 2, rel=1e-3)
    assert tables["local"]["cost_usd"] == 0


def test_measured_reask_rate_from_earlier_manifests(tmp_path):
    run = tmp_path / "runs" / "old"
    run.mkdir(parents=True)
    usage = {"naming": {"calls": 10, "reasks": 2}, "facets.request": {"calls": 30, "reasks": 0}}
    (run / "manifest.json").write_text(json.dumps({"config": {"llm": {"backend": "local", "model": "m"}}, "llm_usage": {"per_stage": usage}}))
    assert estimate.measured_reask_rate(tmp_path / "runs", "local", "m")[0] == pytest.approx(2 / 40)
    assert estimate.measured_reask_rate(tmp_path / "runs", "local", "other")[0] == 0.0
    assert estimate.measured_reask_rate(tmp_path / "runs", "local", "m", exclude=[run])[0] == 0.0


# --------------------------------------------------------------------------- manifest hook


def test_actual_next_to_estimate():
    est = {"stages": {"facets.request": {"calls": 10, "input_tokens": 1000, "output_tokens": 200}, "naming": {"calls": 2, "input_tokens": 500, "output_tokens": 50}}}
    per_stage = {"facets.request": {"calls": 10, "cache_hits": 0, "input_tokens": 1100, "output_tokens": 180}, "naming": {"calls": 0, "cache_hits": 2, "input_tokens": 0, "output_tokens": 0}}
    out = estimate.with_actual(est, per_stage)["vs_actual"]
    assert out["facets.request"]["error_pct"] == {"input_tokens": pytest.approx(-9.1), "output_tokens": pytest.approx(11.1)}
    assert "cache" in out["naming"]["note"] and "error_pct" not in out["naming"]
    assert estimate.with_actual({"error": "x"}, per_stage) == {"error": "x"}
    assert "error" in estimate.start_estimate(None, [])  # a failed estimate never stops the run
    assert estimate.start_estimate(OmegaConf.create({"run": {"estimate": False}}), [object()]) is None  # switched off


@pytest.mark.integration
def test_facets_run_stores_estimate_and_actual(tmp_path, monkeypatch):
    from clio import pipeline

    backend = FakeBackend(lambda p: "1</answer>" if p.name == "facet_rating" else " get help with a task.</answer>")
    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(backend, ResponseCache(cfg.cache.llm), show_progress=False))
    manifest = pipeline.run_facets(make_cfg(tmp_path, FIXTURE))
    rows = manifest["estimate"]["vs_actual"]
    assert rows["facets.request"]["estimated"]["calls"] == rows["facets.request"]["actual"]["calls"] == manifest["counts"]["sampled"]
    assert rows["facets.request"]["error_pct"]["input_tokens"] == 0.0  # words, as the fake backend counts them
    stored = json.loads((tmp_path / "runs" / "t" / "manifest.json").read_text())
    assert stored["estimate"]["vs_actual"] == json.loads(json.dumps(rows))


# --------------------------------------------------------------------------- CLI


def cli_args(tmp_path, data, *extra):
    return ["estimate", f"run.root={tmp_path}/runs", f"cache.dir={tmp_path}/cache", "data=file", f"data.source={data}", "progress=false", *extra]


def test_cli_prints_the_estimate_and_price_tables(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    data = write_topic_dataset(tmp_path / "chats.jsonl", per_topic=2)
    assert main(cli_args(tmp_path, data, "clustering.k=4", "hierarchy.top_k=2", "hierarchy.levels=3", "estimate.reask_rate=0.1", "estimate.privacy_keep_share=1.0")) == 0
    out = capsys.readouterr().out
    for expected in ("estimate:", "naming", "hierarchy.assign", "total", "anthropic", "claude", "batch $", "re-asks: estimate.reask_rate"):
        assert expected in out, expected
    assert "facets.request" not in out  # the local default runs embed-first: no call per conversation
    assert not (tmp_path / "runs").exists()  # a dry run writes no run folder
    # ...and leaves no log handler behind that points into its removed scratch folder (later
    # logging in the same process would fail on it)
    import logging

    files = [
        h.baseFilename for lg in [logging.getLogger()] + [logging.getLogger(n) for n in logging.root.manager.loggerDict] for h in getattr(lg, "handlers", []) if isinstance(h, logging.FileHandler)
    ]
    assert not [f for f in files if "clio-estimate-" in f], files


@pytest.mark.parametrize(
    "args, message",
    [
        (["data=file", "data.source=/no/such/file.jsonl"], "file not found"),
        (["llm=nope"], "Could not find 'llm/nope'"),
        (["data=nope"], "Could not find 'data/nope'"),
        (["estimate.output_share=3"], "must be between 0 and 1"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, capsys, args, message):
    assert main(["estimate", f"run.root={tmp_path}/runs", f"cache.dir={tmp_path}/cache", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("clio estimate: error:")


@pytest.mark.parametrize(
    "command, args, message",
    [
        ("run", ["executor=foo"], "Could not find 'executor/foo' (available: local, ray)"),
        ("facets", ["clustering.kk=3"], "Could not override 'clustering.kk'"),
        ("eval", ["embedding=nope"], "Could not find 'embedding/nope'"),
        ("eval", ["-m", "clustering.k=2,3", "embedding=minilm,nope"], "Could not find 'embedding/nope'"),
    ],
)
def test_every_hydra_command_reports_a_bad_override_in_one_line(tmp_path, capsys, command, args, message):
    assert main([command, f"run.root={tmp_path}/runs", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith(f"clio {command}: error:")
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_a_multirun_passes_the_up_front_check_and_every_sweep_value_is_composed():
    from clio.cli import _check_config, _sweep_compositions

    _check_config(["-m", "clustering.k=2,3", "embedding=minilm,mpnet", "run.name=x-${clustering.k}", "command=eval"])  # no error
    assert _sweep_compositions(["a=1", "k=2,3", "e=x,y,z"]) == [
        ["a=1", "k=2", "e=x"],
        ["a=1", "k=3", "e=x"],
        ["a=1", "k=2", "e=y"],
        ["a=1", "k=2", "e=z"],
    ]


def test_parse_name_list_counts_used_by_the_output_model():
    assert len(parse_name_list("1. A 2. B 3. C")) == 3  # the one-line form of a grammar-constrained model


def test_show_prints_estimate_next_to_actual(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    est = {"stages": {"facets.request": {"calls": 10, "input_tokens": 1000, "output_tokens": 200}}}
    usage = {"facets.request": {"calls": 10, "cache_hits": 0, "input_tokens": 1100, "output_tokens": 180, "reasks": 0, "failures": 0, "cost_usd": 0.0, "seconds": 1.0}}
    manifest = {"counts": {}, "llm_usage": {"per_stage": usage}, "estimate": estimate.with_actual(est, usage)}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert main(["show", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "estimate vs actual" in out and "1,100" in out and "-9.1" in out


def test_the_share_of_clusters_kept_follows_the_thresholds():
    from omegaconf import OmegaConf

    from clio.privacy import expected_kept_share

    privacy = OmegaConf.create({"min_conversations": 20, "min_accounts": 20, "safety_mode": False})
    assert expected_kept_share(2000, 24, privacy) == pytest.approx((1 - 24 / 2000) ** 19)  # about 0.79: the demo
    assert expected_kept_share(2000, 24, privacy) > expected_kept_share(500, 24, privacy) > expected_kept_share(100, 24, privacy)
    assert expected_kept_share(100, 24, OmegaConf.create({"min_conversations": 1, "min_accounts": 1})) == 1.0
    assert expected_kept_share(10, 24, privacy) == 0.0  # clusters of under one conversation on average
    assert expected_kept_share(100, 24, OmegaConf.create({"min_conversations": 20, "min_accounts": 20, "safety_mode": True})) == 1.0
