"""Crash and resume: runs killed with SIGKILL at random moments resume to the same outputs without
paying for a completed model call twice; damaged output files are recomputed, never trusted."""

import json

import numpy as np
import pandas as pd
import pytest

from clio import pipeline
from evals.reliability import LeakyModel, compose_cfg, crash_resume_trials, diff_outputs, fake_backend, run_overrides, write_topic_dataset


def check_trials(result):
    assert result["clean_calls"] > 200
    for trial in result["trials"]:
        assert trial["differing_outputs"] == [], trial
        assert trial["same_calls_as_clean"], trial  # the same model work, no more, no less
        # paid twice only for a call the kill caught between the reply and the cache commit
        assert trial["paid_twice_unexplained"] == 0 and trial["paid_twice"] <= sum(k["killed"] for k in trial["kills"])
        assert trial["paid_calls"] == result["clean_calls"] + trial["paid_twice"]
        assert trial["items"]["unaccounted"] == 0 and trial["passed"]
    assert any(k["killed"] for t in result["trials"] for k in t["kills"])  # at least one kill landed mid-run


@pytest.mark.integration
def test_sigkill_at_a_random_moment_then_resume_equals_an_uninterrupted_run(tmp_path):
    check_trials(crash_resume_trials(tmp_path, trials=1, kills=1, seed=8))


@pytest.mark.slow
def test_sigkill_three_trials_two_kills_each(tmp_path):
    """The reliability report's setting and more (make test-all): kills at more moments."""
    check_trials(crash_resume_trials(tmp_path, trials=3, kills=2, seed=9))


def _stage_finished(run, stage):
    return json.loads((run / "stages" / f"{stage}.json").read_text())["finished"]


@pytest.mark.integration
def test_damaged_outputs_are_detected_and_recomputed(tmp_path):
    data = write_topic_dataset(tmp_path / "topics.jsonl")
    cfg = compose_cfg(run_overrides(tmp_path, data, name="run"))
    reference = tmp_path / "reference"
    with fake_backend(LeakyModel()) as gateways:
        pipeline.run_all(cfg)
        run = tmp_path / "run"
        import shutil

        shutil.copytree(run, reference)
        record = json.loads((run / "stages" / "embed.json").read_text())
        assert set(record["output_sha256"]) == {"private/embeddings.npy", "private/embedding_index.parquet"}

        # a parquet cut in half, a JSON cut short, and a flipped byte inside the embeddings that
        # still loads as a valid array (only the recorded checksum can tell)
        clusters = run / "analyst" / "clusters.parquet"
        clusters.write_bytes(clusters.read_bytes()[: clusters.stat().st_size // 2])
        hierarchy = run / "analyst" / "hierarchy.json"
        hierarchy.write_text(hierarchy.read_text()[:100])
        emb = run / "private" / "embeddings.npy"
        raw = bytearray(emb.read_bytes())
        raw[-7] ^= 0xFF
        emb.write_bytes(bytes(raw))
        assert np.load(emb).shape == np.load(reference / "private" / "embeddings.npy").shape  # still "readable"
        before = {s: _stage_finished(run, s) for s in ("facets", "embed", "hierarchy", "name")}

        manifest = pipeline.run_all(cfg)
    after = {s: _stage_finished(run, s) for s in before}
    assert after["embed"] != before["embed"] and after["hierarchy"] != before["hierarchy"]  # recomputed
    assert after["facets"] == before["facets"] and after["name"] == before["name"]  # intact: reused
    assert manifest["llm_usage"]["total"]["calls"] == 0  # recomputed from the response cache
    assert diff_outputs(reference, run) == []
    assert len(gateways) == 2


def test_stage_with_a_tampered_output_is_not_fresh(tmp_path):
    from clio.runfolder import RunFolder

    folder = RunFolder(tmp_path)
    out = folder.private / "x.parquet"
    folder.is_fresh("s", "fp", [out])
    folder.write_parquet(out, pd.DataFrame({"a": [1, 2, 3]}))
    folder.finish_stage("s", "fp", {})
    assert RunFolder(tmp_path).is_fresh("s", "fp", [out])
    folder.write_parquet(out, pd.DataFrame({"a": [1, 2, 4]}))  # valid parquet, other content
    assert not RunFolder(tmp_path).is_fresh("s", "fp", [out])
