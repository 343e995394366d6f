"""`clio run` end to end with a deliberately leaky fake model: its summaries and names copy the
user's words, so planted canaries reach cluster names unless the privacy layers stop them.
The embedding model, k-means, UMAP and the rule-based privacy auditor are real."""

import json
import re
import zlib
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from clio import pipeline
from clio.cli import CONF_DIR, main
from clio.errors import ClioError, ConfigError
from clio.llm.backends import FakeBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway

CANARIES = ["Zyxquv Canarysson", "zyxquv.canarysson@example.com", "555-0199", "purple walrus sings at dawn"]

# The same six everyday topics the reliability report uses.
from evals.reliability import TOPICS  # noqa: E402


def write_dataset(path: Path, per_topic: int = 12) -> None:
    rows = []
    for t, (topic, question) in enumerate(TOPICS.items()):
        for i in range(per_topic):
            text = f"{question} (variant {i})"
            if topic == "resume":  # every resume chat carries the canaries, so their cluster passes thresholds
                text = f"I am {CANARIES[0]}, write to {CANARIES[1]} or call {CANARIES[2]}. {CANARIES[3]}. {question}"
            rows.append({"id": f"{topic}-{i}", "account_id": f"acct-{t}-{i}", "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "Sure."}]})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def section(prompt, tag):
    body = re.search(rf"<{tag}>(.*?)</{tag}>", prompt.messages[-1].content, re.S)
    return [line[2:].strip() for line in body.group(1).strip().splitlines() if line.strip()] if body else []


def leaky_model(prompt):
    last = prompt.messages[-1].content
    if prompt.name == "facet_rating":
        return "1</answer>"
    if prompt.name == "facet_open":  # copies the user's words, like a small model that keeps proper nouns
        user = re.search(r"<user>(.*?)</user>", prompt.messages[1].content, re.S).group(1)
        return " " + " ".join(user.split()[:20]) + "</answer>"
    if prompt.name in ("cluster_name", "cluster_name_excerpts"):  # copies a member's words into the name
        first = section(prompt, "answers")[0]
        return f" Users asked: {first}. They wanted help.</summary>\n<name>{first[:80]}</name>"
    if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
        desired = int(re.search(r"about\s+(\d+)|(\d+) distinct", last).group(1) or re.search(r"(\d+) distinct", last).group(1))
        return "\n" + "\n".join(f"{i}. Help with everyday topic group {i}" for i in range(1, desired + 1)) + "\n</answer>"
    if prompt.name == "hierarchy_assign":  # spread children over parents, deterministically
        parents = sorted(section(prompt, "higher_level_clusters"))
        child = re.search(r"Name: (.*)", last).group(1)
        return parents[zlib.crc32(child.encode()) % len(parents)] + "</answer>"
    if prompt.name == "hierarchy_rename":
        return " Users asked for help with related topics. They wanted answers.</summary>\n<name>Help with a group of everyday topics</name>"
    if prompt.name == "privacy_audit":
        return "5</answer>"
    if prompt.name == "screener":
        about_baking = "baking" in prompt.messages[-1].content and "sourdough" in prompt.messages[0].content
        return ("Yes" if about_baking else "No") + "</answer>"
    raise AssertionError(prompt.name)


@pytest.fixture
def leaky_llm(monkeypatch):
    backend = FakeBackend(leaky_model)
    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(backend, ResponseCache(cfg.cache.llm), show_progress=False))
    return backend


def overrides(tmp_path, data):
    return [
        f"run.root={tmp_path}/runs",
        "run.name=e2e",
        f"cache.dir={tmp_path}/cache",
        "data=file",
        f"data.source={data}",
        "progress=false",
        "clustering.k=6",
        "privacy.min_conversations=5",
        "privacy.min_accounts=5",
        "privacy.auditor.kind=rules",
        "hierarchy.top_k=2",
        "hierarchy.levels=3",
        "pipeline.mode=paper",  # tests choose embed_first where they mean it
    ]


def make_cfg(tmp_path, data, *extra):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("config", overrides=overrides(tmp_path, data) + list(extra))


def analyst_text(run: Path) -> str:
    parts = [(run / "manifest.json").read_text()]
    for path in (run / "analyst").rglob("*"):
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).to_json())
        elif path.is_file():
            parts.append(path.read_text())
    return "\n".join(parts)


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["paper", "embed_first"])
def test_run_end_to_end_keeps_canaries_out_of_analyst_outputs(tmp_path, leaky_llm, mode):
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    # Layer 1's detectors off (in embed-first mode they also scrub the namer's excerpts): this test
    # is about the layers after it catching a leaky model that copies what it is shown.
    manifest = pipeline.run_all(make_cfg(tmp_path, data, "facets.privacy_check.enabled=false", f"pipeline.mode={mode}"))
    run = tmp_path / "runs" / "e2e"

    # the leaky model really did put canaries into the private per-conversation summaries
    private = pd.read_parquet(run / "private" / "facets.parquet").to_json()
    assert CANARIES[1] in private
    # ...and into a base cluster name, which the auditor then removed
    removed = pd.read_parquet(run / "private" / "clusters_removed.parquet")
    assert (removed["layer"] == "auditor").sum() >= 1
    assert manifest["privacy"]["layers"]["4_privacy_auditor"]["clusters_removed"] >= 1

    text = analyst_text(run)
    for canary in CANARIES:
        assert canary.lower() not in text.lower(), canary

    clusters = pd.read_parquet(run / "analyst" / "clusters.parquet")
    assert clusters["level"].nunique() >= 3
    for _, group in clusters.groupby("level"):
        assert group["size"].sum() == clusters[clusters["level"] == 0]["size"].sum()
    points = pd.read_parquet(run / "analyst" / "map_points.parquet")
    assert list(points.columns) == ["x", "y", "node_id"] and len(points) == manifest["privacy"]["conversations_in_kept_clusters"]
    assert manifest["llm_usage"]["total"]["calls"] > 0

    if mode == "embed_first":  # the model was called per cluster only
        assert {p.name for p in leaky_llm.calls}.isdisjoint({"facet_open", "facet_rating"})
    # rerun: every stage reused, no model call
    calls = len(leaky_llm.calls)
    again = pipeline.run_all(make_cfg(tmp_path, data, "facets.privacy_check.enabled=false", f"pipeline.mode={mode}"))
    assert len(leaky_llm.calls) == calls and again["llm_usage"]["total"]["calls"] == 0


@pytest.mark.integration
def test_summary_detectors_generalise_leaked_details_and_report_them(tmp_path, leaky_llm):
    """Layer 1 with its detectors on (the default): the leaky model's summaries lose the name, e-mail
    and phone number before anything downstream sees them, and the privacy report counts it."""
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    manifest = pipeline.run_all(make_cfg(tmp_path, data))
    run = tmp_path / "runs" / "e2e"
    private = pd.read_parquet(run / "private" / "facets.parquet")
    for canary in CANARIES[:3]:
        assert canary.lower() not in private.to_json().lower(), canary
    resume = private[private["conversation_id"].str.startswith("resume")]["request"]
    assert len(resume) == 12 and resume.str.contains(r"\[email\]").all() and resume.str.contains(r"\[phone number\]").all()
    detectors = manifest["privacy"]["layers"]["1_pii_free_summaries"]["detectors"]
    assert detectors["enabled"] and detectors["summaries_checked"] == int(private[["request", "task"]].notna().sum().sum())
    assert detectors["summaries_generalised"] >= 12 and detectors["details_replaced"]["email"] >= 12
    # The private details are nowhere for the analyst. (The fourth canary, a phrase all 12 accounts
    # share, can now reach a name of the leaky model: the auditor no longer removes that cluster for
    # its e-mail address; phrases shared by min_accounts accounts are left to the aggregation rule.)
    text = analyst_text(run)
    for canary in CANARIES[:3]:
        assert canary.lower() not in text.lower(), canary


@pytest.mark.integration
def test_changed_naming_prompt_invalidates_only_downstream(tmp_path, leaky_llm, monkeypatch):
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    pipeline.run_all(make_cfg(tmp_path, data))
    run = tmp_path / "runs" / "e2e"
    before = {s: json.loads((run / "stages" / f"{s}.json").read_text())["fingerprint"] for s in ("facets", "embed", "cluster", "name", "hierarchy")}

    from clio import prompts

    original = prompts.load_prompt("cluster_name")
    edited = original.model_copy(update={"content_hash": "edited" + original.content_hash[6:]})
    monkeypatch.setattr(pipeline, "load_prompt", lambda name: edited if name == "cluster_name" else prompts.load_prompt(name))
    pipeline.run_all(make_cfg(tmp_path, data))
    after = {s: json.loads((run / "stages" / f"{s}.json").read_text())["fingerprint"] for s in before}
    assert after["facets"] == before["facets"] and after["embed"] == before["embed"] and after["cluster"] == before["cluster"]
    assert after["name"] != before["name"] and after["hierarchy"] != before["hierarchy"]


def test_k_larger_than_data_is_one_line_error(tmp_path, leaky_llm, capsys):
    data = tmp_path / "chats.jsonl"
    write_dataset(data, per_topic=2)
    with pytest.raises(ConfigError, match="k=50 is larger"):
        pipeline.run_all(make_cfg(tmp_path, data, "clustering.k=50"))


def test_unknown_facet_for_embedding_is_one_line_error(tmp_path, leaky_llm):
    data = tmp_path / "chats.jsonl"
    write_dataset(data, per_topic=2)
    with pytest.raises(ConfigError, match="embedding.facet 'mood' is not an extracted facet"):
        pipeline.run_all(make_cfg(tmp_path, data, "embedding.facet=mood"))


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "messages": [{"role": "user", "content": "hi"}]}\n{not json\n')
    code = main(["facets", f"run.root={tmp_path}/runs", f"cache.dir={tmp_path}/c", "data=file", f"data.source={bad}", "progress=false"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "bad.jsonl:2" in err[0] and "Traceback" not in err[0]


def test_screener_keeps_matching_conversations_and_empty_result_is_one_line_error(tmp_path, leaky_llm):
    data = tmp_path / "chats.jsonl"
    write_dataset(data, per_topic=3)
    manifest = pipeline.run_facets(make_cfg(tmp_path, data, "data.screen='Is this about baking?'"))
    assert manifest["counts"]["screened_in"] == 3 and manifest["counts"]["screened_out"] == 15
    with pytest.raises(ClioError, match="no conversations left after screening 18"):
        pipeline.run_facets(make_cfg(tmp_path, data, "data.screen='Is this about space travel?'", "run.name=other", "data.sample.n=18"))


class Interrupted(BaseException):
    """Stands in for a kill (KeyboardInterrupt/SIGTERM): not an Exception, so nothing catches it."""


@pytest.mark.integration
def test_interrupted_stage_resumes_without_paying_twice(tmp_path, monkeypatch):
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    paid: list[str] = []

    def flaky(prompt):
        if prompt.name == "hierarchy_assign" and sum(p == "hierarchy_assign" for p in paid) == 3:
            raise Interrupted()  # killed in the middle of the hierarchy stage
        paid.append(prompt.name)
        return leaky_model(prompt)

    backend = FakeBackend(flaky)
    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(backend, ResponseCache(cfg.cache.llm), show_progress=False))
    with pytest.raises(Interrupted):
        pipeline.run_all(make_cfg(tmp_path, data))
    run = tmp_path / "runs" / "e2e"
    assert (run / "stages" / "name.json").exists() and not (run / "stages" / "hierarchy.json").exists()
    before = list(paid)

    resumed = FakeBackend(leaky_model)
    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(resumed, ResponseCache(cfg.cache.llm), show_progress=False))
    manifest = pipeline.run_all(make_cfg(tmp_path, data))
    # nothing before the interruption is asked again: no facet, naming or earlier hierarchy call
    assert not any(p.name in ("facet_open", "facet_rating", "cluster_name") for p in resumed.calls)
    assert sum(p.name == "hierarchy_assign" for p in resumed.calls) >= 1
    assign_hits = sum(u["cache_hits"] for stage, u in manifest["llm_usage"]["per_stage"].items() if stage.endswith("assign"))
    assert assign_hits >= 3  # the three assignments made before the kill came from the cache
    assert (run / "analyst" / "clusters.parquet").exists()
    assert len(before) > len(resumed.calls)


@pytest.mark.integration
def test_leaky_parent_names_are_withheld(tmp_path, monkeypatch):
    data = tmp_path / "chats.jsonl"
    write_dataset(data)

    def leaky_parents(prompt):
        if prompt.name == "hierarchy_rename":
            return " Users wrote to quentin.blorp@example.org about topics.</summary>\n<name>Email quentin.blorp@example.org for help</name>"
        return leaky_model(prompt)

    backend = FakeBackend(leaky_parents)
    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(backend, ResponseCache(cfg.cache.llm), show_progress=False))
    pipeline.run_all(make_cfg(tmp_path, data))
    run = tmp_path / "runs" / "e2e"
    assert "quentin.blorp" not in analyst_text(run)
    clusters = pd.read_parquet(run / "analyst" / "clusters.parquet")
    assert clusters[clusters["level"] > 0]["name"].str.startswith("Withheld category").all()
    assert json.loads((run / "stages" / "hierarchy.json").read_text())["names_withheld"] == (clusters["level"] > 0).sum()
    # what was withheld, and why, stays in the private area for whoever runs the pipeline
    withheld = pd.read_parquet(run / "private" / "names_withheld.parquet")
    assert len(withheld) == (clusters["level"] > 0).sum()
    assert withheld["name"].str.contains("quentin.blorp").all() and (withheld["score"] < 3).all()
    assert withheld["reason"].str.contains("e-mail|email", case=False).all()
    # the same run with the auditor off (never a default): nothing withheld, and no earlier list left behind
    pipeline.run_all(make_cfg(tmp_path, data, "privacy.auditor.enabled=false"))
    assert pd.read_parquet(run / "private" / "names_withheld.parquet").empty


@pytest.mark.integration
def test_embed_first_model_calls_depend_on_k_not_on_n(tmp_path, leaky_llm):
    """Twice the conversations at the same k: the same number of naming calls, and no call made for
    any single conversation (language and computed facets only)."""
    counts = {}
    for per_topic in (12, 24):
        data = tmp_path / f"chats-{per_topic}.jsonl"
        write_dataset(data, per_topic=per_topic)
        before = len(leaky_llm.calls)
        manifest = pipeline.run_all(make_cfg(tmp_path, data, "pipeline.mode=embed_first", f"run.name=ef-{per_topic}"))
        made = leaky_llm.calls[before:]
        assert {p.name for p in made}.isdisjoint({"facet_open", "facet_rating", "facet_categorical"})
        counts[per_topic] = sum(p.name == "cluster_name_excerpts" for p in made)
        assert manifest["counts"]["sampled"] == 6 * per_topic
        assert "debias" in manifest["stages"]
    assert counts == {12: 6, 24: 6}


@pytest.mark.integration
def test_embed_first_naming_from_sampled_summaries_summarises_only_the_shown_conversations(tmp_path, leaky_llm):
    """naming.source=sample_summaries: the request facet is asked only for the members nearest each
    centroid and the nearest non-members, and those summaries pass the detectors before the namer."""
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    overrides = ("pipeline.mode=embed_first", "naming.source=sample_summaries", "naming.sources.sample_summaries.n_members=3", "naming.sources.sample_summaries.n_contrast=2", "run.name=ef-sample")
    manifest = pipeline.run_all(make_cfg(tmp_path, data, *overrides))
    summaries = [p for p in leaky_llm.calls if p.name == "facet_open"]
    names = [p for p in leaky_llm.calls if p.name == "cluster_name"]
    assert len(names) == 6 and 0 < len(summaries) <= 6 * (3 + 2) < manifest["counts"]["sampled"]
    shown = "\n".join(p.messages[-1].content for p in names)
    assert CANARIES[1] not in shown and CANARIES[2] not in shown  # the leaky summaries were scrubbed first
    assert "[email]" in shown
    text = analyst_text(tmp_path / "runs" / "ef-sample")
    for canary in CANARIES[:3]:
        assert canary.lower() not in text.lower(), canary
