"""The OpenAI-compatible backend against a real server on loopback: llama-cpp-python's
OpenAI-compatible server (`python -m llama_cpp.server`) with the shipped GGUF, started here.
The facet questions go through the real gateway, parser and response cache."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from clio import model_assets
from clio.llm.backends import OpenAICompatibleBackend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway
from evals.reliability_sdk import facet_jobs

pytestmark = pytest.mark.local_llm

MODEL = "qwen2.5-coder-1.5b-instruct"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("sse_starlette", reason="the server extra of llama-cpp-python (pip install -e '.[openai_server]')")
    port, log = free_port(), tmp_path_factory.mktemp("server") / "server.log"
    args = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_assets.gguf_path(MODEL)),
        "--model_alias",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        "2",
        "--verbose",
        "false",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(url + "/models", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_facet_questions_through_a_real_openai_compatible_server(server, tmp_path):
    jobs = facet_jobs(1)  # request, task, concern about one conversation
    cache = ResponseCache(tmp_path / "cache.sqlite")
    gateway = LLMGateway(OpenAICompatibleBackend(MODEL, base_url=server, timeout=300), cache, show_progress=False)
    results = gateway.ask_many(jobs, stage="facets")
    assert all(r.ok for r in results), [r.error for r in results]
    by_facet = {job.stage: r.value for job, r in zip(jobs, results)}
    assert len(by_facet) == 3
    concern = [v for v in by_facet.values() if isinstance(v, int)]
    assert len(concern) == 1 and 1 <= concern[0] <= 5  # the concern facet parsed to a score
    assert all(isinstance(v, str) and v.strip() for v in by_facet.values() if not isinstance(v, int))
    usage = gateway.total_usage()
    assert usage.calls >= 3 and usage.input_tokens > 0 and usage.output_tokens > 0  # the server's own usage counts
    again = LLMGateway(OpenAICompatibleBackend(MODEL, base_url=server), cache, show_progress=False)
    assert [r.value for r in again.ask_many(jobs, stage="facets")] == [r.value for r in results]
    assert again.total_usage().calls == 0 and again.total_usage().cache_hits == usage.calls  # re-asks included
    cache.close()
