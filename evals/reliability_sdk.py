"""SDK fault trials (issue 21): the project's real `AnthropicBackend` and `OpenAICompatibleBackend`,
through the real LLM gateway (retries, re-asks, response cache, Message Batches), against the local
fault server (evals/fault_server.py), which plays the model and misbehaves on a script.

    python -m evals.reliability ...      # the whole report (--no-sdk skips this part)

Each trial asks the real facet questions of the default config about a few conversations, once
with the fault script and once more (the rerun must be answered by the response cache), and
accounts for every item: items in = items out + items recorded as failed; an item out must carry
the answer a fault-free model gives (the same responder behind a FakeBackend); the server says how
many requests were answered twice (paid twice). `pipeline_trial` runs a small `clio run` on the
Anthropic backend with batches on and mixed faults: the server is the only model.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evals.fault_server import ONLINE_FAULTS, FaultScript, FaultServer

API_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
TIMEOUT_S = 1.0  # the client's timeout; slow replies take twice as long


@contextmanager
def dummy_keys() -> Iterator[None]:
    """Dummy API keys for the SDKs, only while a trial runs (the server only checks one is sent)."""
    saved = {env: os.environ.get(env) for env in API_KEY_ENV.values()}
    os.environ.update({env: "sk-fault-server-dummy" for env in API_KEY_ENV.values()})
    try:
        yield
    finally:
        for env, value in saved.items():
            if value is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = value


def sdk_backend(api: str, server: FaultServer, timeout: float = TIMEOUT_S) -> Any:
    from clio.llm.backends import AnthropicBackend, OpenAICompatibleBackend

    if api == "anthropic":
        return AnthropicBackend("claude-fault-test", base_url=server.url, timeout=timeout)
    return OpenAICompatibleBackend("gpt-fault-test", base_url=server.url + "/v1", timeout=timeout)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


# --------------------------------------------------------------------------- items


def facet_jobs(n_conversations: int = 8) -> list[Any]:
    """The LLM facet questions of conf/facets/default.yaml about the reliability report's topic
    conversations, rendered as the pipeline renders them."""
    import yaml

    from clio.facets import parse_facet_specs, render_job
    from clio.loaders import load_conversations
    from clio.transcript import render_transcript
    from evals.reliability import REPO, write_topic_dataset

    raw = yaml.safe_load((REPO / "conf" / "facets" / "default.yaml").read_text(encoding="utf-8"))["specs"]
    specs = [s for s in parse_facet_specs(raw) if s.uses_llm]
    with tempfile.TemporaryDirectory() as tmp:
        data = write_topic_dataset(Path(tmp) / "topics.jsonl", per_topic=-(-n_conversations // 6))
        conversations = load_conversations(data).conversations[:n_conversations]
    return [render_job(spec, render_transcript(conv, max_chars=4000)) for conv in conversations for spec in specs]


def expected_values(jobs: list[Any]) -> list[Any]:
    """What a fault-free model answers: the server's responder behind a FakeBackend."""
    from clio.llm.backends import FakeBackend
    from clio.llm.gateway import LLMGateway
    from evals.reliability import LeakyModel

    gateway = LLMGateway(FakeBackend(LeakyModel()), None, show_progress=False)
    return [r.value for r in gateway.ask_many(jobs, stage="facets")]


# --------------------------------------------------------------------------- trials


def sdk_trial(api: str, script: FaultScript, jobs: list[Any], expected: list[Any], workdir: Path, *, batch: bool = False, label: str | None = None) -> dict[str, Any]:
    """One fault script against one SDK backend; see the module docstring."""
    from clio.llm.batches import BatchConfig
    from clio.llm.cache import ResponseCache
    from clio.llm.gateway import LLMGateway

    label = label or (f"batch {script.batch}" if batch else "+".join(script.kinds) or "none")
    workdir.mkdir(parents=True, exist_ok=True)
    row: dict[str, Any] = {"api": api, "fault": label, "items_in": len(jobs)}
    with dummy_keys(), FaultServer(script) as server:
        cache = ResponseCache(workdir / f"{api}-{label.replace(' ', '_')}.sqlite")
        gateway = LLMGateway(
            sdk_backend(api, server),
            cache,
            max_retries=3,
            max_reasks=1,
            backoff_base=0.001,
            backoff_max=0.05,
            show_progress=False,
            batch=BatchConfig(enabled=True, poll_interval_s=0, min_jobs=1, stages=None) if batch else None,
        )
        started = time.perf_counter()
        try:
            results, row["error"] = gateway.ask_many(jobs, stage="facets"), None
        except Exception as exc:  # what a run would die of: the report shows its one line
            results, row["error"] = [], one_line(exc)
        row["seconds"] = round(time.perf_counter() - started, 2)
        first = server.stats()
        if row["error"] is None:  # everything answered or recorded must now come from the cache
            gateway.ask_many(jobs, stage="facets")
        cache.close()
        row["rerun_requests"] = server.stats()["requests"] - first["requests"]  # failed items are asked again
        row["paid_twice"] = server.paid_twice  # over both runs: an answered item must never be asked again
    ok = [r.ok for r in results]
    usage = gateway.total_usage()
    row.update(
        items_out=sum(ok),
        failed=sum(1 for r in results if not r.ok and r.error),
        wrong=sum(1 for r, want in zip(results, expected) if r.ok and r.value != want),
        requests=first["requests"],
        faults=sum(first["faults"].values()),
        retries=usage.retries,
        reasks=usage.reasks,
        batch_calls=usage.batch_calls,
        first_failure=next((r.error for r in results if not r.ok), None),
    )
    row["unaccounted"] = row["items_in"] - row["items_out"] - row["failed"]
    row["passed"] = row["error"] is None and row["unaccounted"] == 0 and row["wrong"] == 0 and row["paid_twice"] == 0
    return row


def trial_scripts() -> list[tuple[str, FaultScript, bool]]:
    """(api, script, batch) of the report: every online fault alone on both APIs (half the
    requests, first attempt only), a fault that never clears, all faults mixed, and the batch modes."""
    trials = []
    for api in ("anthropic", "openai"):
        trials += [(api, FaultScript(kinds=(kind,), share=0.5, slow_s=2 * TIMEOUT_S), False) for kind in ONLINE_FAULTS]
        trials.append((api, FaultScript(kinds=ONLINE_FAULTS, share=0.6, times=2, slow_s=2 * TIMEOUT_S, seed=1), False))
        trials.append((api, FaultScript(kinds=("server_error",), share=0.25, times=99), False))  # never clears: recorded failures
    trials += [("anthropic", FaultScript(batch=mode), True) for mode in ("ok", "expired", "half_failed", "results_truncated")]
    return trials


def sdk_trials(workdir: Path, *, n_conversations: int = 8, pipeline: bool = True) -> dict[str, Any]:
    jobs = facet_jobs(n_conversations)
    expected = expected_values(jobs)
    rows = []
    for api, script, batch in trial_scripts():
        label = "server_error, never clears" if script.times > 1 and script.kinds == ("server_error",) else ("all mixed" if len(script.kinds) > 1 else None)
        rows.append(sdk_trial(api, script, jobs, expected, workdir / "trials", batch=batch, label=label))
    out: dict[str, Any] = {"trials": rows, "auth": auth_trial()}
    if pipeline:
        out["pipeline"] = pipeline_trial(workdir / "pipeline")
    return out


def auth_trial() -> dict[str, str]:
    """A rejected key: a ConfigError of one line, at once, on each API (never retried)."""
    from clio.errors import ConfigError
    from clio.llm.backends import SamplingParams

    prompt = facet_jobs(1)[0].prompt
    out = {}
    with dummy_keys():
        for api in ("anthropic", "openai"):
            with FaultServer(FaultScript(kinds=("auth",))) as server:
                try:
                    sdk_backend(api, server).complete(prompt, SamplingParams())
                    out[api] = "no error"
                except ConfigError as exc:
                    out[api] = str(exc)
                except Exception as exc:
                    out[api] = "NOT a ConfigError: " + one_line(exc)
    return out


def pipeline_trial(workdir: Path, *, per_topic: int = 6) -> dict[str, Any]:
    """`pipeline.run_all` on the Anthropic backend, no fake anywhere: Message Batches for the bulk
    stages (half of each batch's requests error and go online) and mixed online faults on a
    third of the online requests. Then the same run again: it must pay for nothing."""
    from clio import pipeline
    from evals.reliability import compose_cfg, run_overrides, write_topic_dataset

    data = write_topic_dataset(workdir / "topics.jsonl", per_topic=per_topic)
    script = FaultScript(kinds=ONLINE_FAULTS, share=0.3, batch="half_failed", slow_s=2 * TIMEOUT_S, seed=2)
    row: dict[str, Any] = {"conversations": 6 * per_topic}
    with dummy_keys(), FaultServer(script) as server:
        overrides = [o for o in run_overrides(workdir, data, name="sdk") if not o.startswith(("llm.backend", "llm.model"))]
        overrides += [
            "llm=anthropic",
            "llm.model=claude-fault-test",
            f"llm.options.base_url={server.url}",
            f"+llm.options.timeout={TIMEOUT_S}",
            "llm.max_retries=3",
            "llm.batch={enabled: true, poll_interval_s: 0, min_jobs: 5}",
        ]
        cfg = compose_cfg(overrides)
        started = time.perf_counter()
        try:
            manifest, row["error"] = pipeline.run_all(cfg), None
        except Exception as exc:
            manifest, row["error"] = {}, one_line(exc)
        row["seconds"] = round(time.perf_counter() - started, 1)
        first = server.stats()
        if row["error"] is None:
            pipeline.run_all(cfg)
        row["rerun_requests"] = server.stats()["requests"] - first["requests"]
        row["paid_twice"] = server.paid_twice
    items = manifest.get("counts", {}).get("items", {})
    failed = sum(items.get(k) or 0 for k in ("skipped_bad_record", "screen_failed", "facet_failed"))
    row.update(
        items=items,
        items_in=items.get("records_read"),
        items_out=items.get("ok"),
        failed=failed,
        unaccounted=items.get("unaccounted"),
        requests=first["requests"],
        faults=first["faults"],
        paths=first["paths"],
        prompts=first["prompts"],
    )
    # "unknown": a request the server could not match to a project prompt (its reply was a guess)
    row["passed"] = row["error"] is None and row["unaccounted"] == 0 and row["paid_twice"] == 0 and "unknown" not in row["prompts"]
    return row


# --------------------------------------------------------------------------- the report section


def render_section(results: dict[str, Any], number: int = 5) -> str:
    from evals.reliability import md_table

    rows = results["trials"]
    out = [
        f"## {number}. The real SDKs against a fault server",
        "",
        "The project's `AnthropicBackend` (anthropic SDK) and `OpenAICompatibleBackend` (openai SDK), through the real",
        "gateway and response cache, talk to a local HTTP server (`evals/fault_server.py`) that speaks the Messages,",
        "Message Batches and chat-completions wire formats and misbehaves on a script: 429 with retry-after, 500,",
        f"529 (503 on the OpenAI API), a reply slower than the client's {TIMEOUT_S:g} s timeout, a reset mid-body, a body that",
        "is not JSON, a body shorter than its Content-Length; batches that expire, half fail, or whose results stream is",
        f"cut. Each trial asks {rows[0]['items_in'] if rows else 0} facet questions (the default facets about the topic conversations); a",
        "single fault hits half the distinct requests on their first attempt, the mixed one 60 % on their first two,",
        "the one that never clears a quarter on every attempt. *wrong*: answered, but not what a fault-free model says;",
        "*paid twice*: a request the server had already answered in full, over the trial and its rerun; *rerun*: requests",
        "made by the same work again (only the items recorded as failed may be asked again).",
        "",
        md_table(
            ["API", "fault", "items in", "out", "failed", "unaccounted", "wrong", "paid twice", "requests (faulted)", "rerun", "passed"],
            [
                [
                    r["api"],
                    r["fault"],
                    r["items_in"],
                    r["items_out"],
                    r["failed"],
                    r["unaccounted"],
                    r["wrong"],
                    r["paid_twice"],
                    f"{r['requests']} ({r['faults']})",
                    r["rerun_requests"],
                    "**yes**" if r["passed"] else "**NO**" + (f": {r['error']}" if r["error"] else ""),
                ]
                for r in rows
            ],
        ),
        "",
        f"Trials passed: **{sum(r['passed'] for r in rows)} / {len(rows)}**. Failures recorded per item read like: `{next((r['first_failure'] for r in rows if r['first_failure']), 'none')}`.",
        "",
        "A rejected API key (401) stops at once with one line: " + "; ".join(f"{api}: `{msg}`" for api, msg in results["auth"].items()),
    ]
    if p := results.get("pipeline"):
        out += [
            "",
            f"Whole pipeline (`pipeline.run_all`, Anthropic backend, {p['conversations']} conversations, Message Batches with half of each",
            "batch erroring, mixed online faults on 30 % of online requests; no fake model):",
            "",
            md_table(
                ["records in", "ok", "recorded as failed", "unaccounted", "paid twice", "requests", "faults injected", "rerun requests", "seconds", "passed"],
                [
                    [
                        p["items_in"],
                        p["items_out"],
                        p["failed"],
                        p["unaccounted"],
                        p["paid_twice"],
                        p["requests"],
                        ", ".join(f"{k} {v}" for k, v in sorted(p["faults"].items())),
                        p["rerun_requests"],
                        p["seconds"],
                        "**yes**" if p["passed"] else "**NO**" + (f": {p['error']}" if p["error"] else ""),
                    ]
                ],
            ),
        ]
    return "\n".join(out) + "\n"


def passed(results: dict[str, Any]) -> bool:
    return all(r["passed"] for r in results["trials"]) and results.get("pipeline", {"passed": True})["passed"] and all(not msg.startswith(("no error", "NOT")) for msg in results["auth"].values())
