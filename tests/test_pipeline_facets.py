"""The `facets` pipeline over a run folder: outputs, manifest, resume and invalidation.
The LLM is faked (the pipeline logic is the point); the embedding model is real."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from clio import pipeline
from clio.cli import CONF_DIR
from clio.llm.backends import FakeBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway

FIXTURE = Path(__file__).parent / "fixtures" / "own.jsonl"


def responder(prompt):
    if "concerning" in prompt.messages[-1].content:
        return "1</answer>"
    return " get help with a task.</answer>"


@pytest.fixture
def fake_llm(monkeypatch):
    backend = FakeBackend(responder)

    def build(cfg):
        return LLMGateway(backend, ResponseCache(cfg.cache.llm), show_progress=False)

    monkeypatch.setattr(pipeline, "build_gateway", build)
    return backend


def make_cfg(tmp_path, *overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(
            "config",
            overrides=[
                f"run.root={tmp_path}/runs",
                "run.name=t",
                f"cache.dir={tmp_path}/cache",
                "data=file",
                f"data.source={FIXTURE}",
                "progress=false",
                "pipeline.mode=paper",  # these tests are about the per-conversation LLM facets
                *overrides,
            ],
        )


@pytest.mark.integration
def test_facets_run_writes_outputs_and_resumes_without_calls(tmp_path, fake_llm):
    manifest = pipeline.run_facets(make_cfg(tmp_path))
    run = tmp_path / "runs" / "t"
    facets = pd.read_parquet(run / "private" / "facets.parquet")
    n = manifest["counts"]["sampled"]
    assert len(facets) == n > 0
    for column in ["request", "task", "concern", "turns", "user_chars"]:
        assert facets[column].notna().all(), column
    # "2+2?" has no human language: recorded as a facet error, not guessed
    missing = facets[facets["language"].isna()]
    assert missing["facet_errors"].str.contains("language").all()
    assert facets["language"].notna().sum() >= len(facets) - 1
    vectors = np.load(run / "private" / "embeddings.npy")
    assert vectors.shape == (n, 384)
    calls_first = len(fake_llm.calls)
    assert calls_first == 3 * n  # request, task, concern
    assert manifest["llm_usage"]["total"]["calls"] == calls_first
    assert any(p.startswith("facet_open@v") for p in manifest["prompts"])

    second = pipeline.run_facets(make_cfg(tmp_path))
    assert len(fake_llm.calls) == calls_first  # nothing recomputed, nothing paid twice
    assert second["llm_usage"]["total"]["calls"] == 0
    assert "facets: reused" in " ".join(second["notes"])


@pytest.mark.integration
def test_changed_question_invalidates_facets_and_embeddings(tmp_path, fake_llm):
    pipeline.run_facets(make_cfg(tmp_path))
    run = tmp_path / "runs" / "t"
    before = json.loads((run / "stages" / "embed.json").read_text())
    calls = len(fake_llm.calls)
    pipeline.run_facets(make_cfg(tmp_path, "facets.specs.request.question='What does the user want?'"))
    after = json.loads((run / "stages" / "embed.json").read_text())
    n = len(pd.read_parquet(run / "private" / "facets.parquet"))
    assert len(fake_llm.calls) == calls + n  # only the changed facet was asked again
    assert after["fingerprint"] != before["fingerprint"]


@pytest.mark.integration
def test_corrupt_output_is_recomputed_not_trusted(tmp_path, fake_llm):
    pipeline.run_facets(make_cfg(tmp_path))
    out = tmp_path / "runs" / "t" / "private" / "facets.parquet"
    out.write_bytes(b"not parquet")
    manifest = pipeline.run_facets(make_cfg(tmp_path))
    assert "facets: reused" not in " ".join(manifest["notes"])
    assert len(pd.read_parquet(out)) == manifest["counts"]["sampled"]
    assert manifest["llm_usage"]["total"]["calls"] == 0  # recomputed from the response cache


def test_manifest_has_no_conversation_text(tmp_path, fake_llm, monkeypatch):
    monkeypatch.setattr(pipeline, "stage_embed", lambda ctx, facets, fp: (None, "x"))
    pipeline.run_facets(make_cfg(tmp_path))
    manifest_text = (tmp_path / "runs" / "t" / "manifest.json").read_text()
    for line in FIXTURE.read_text().splitlines():
        for message in json.loads(line)["messages"]:
            if len(message["content"]) >= 20:  # short ones ("4") occur by chance in any JSON
                assert message["content"] not in manifest_text
