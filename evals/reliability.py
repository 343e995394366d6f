"""Reliability report (issue 8): faults, crash/resume, bad input and privacy canaries, measured by
running the pipeline, never written by hand.

    python -m evals.reliability --out runs/reliability/report.md [--trials 3] [--kills 2]

What it runs (each part is also a function the tests call):
  1. fault_run            the whole pipeline with `llm.faults` injecting timeouts, 429s, 5xx,
                          truncated, malformed, refused and empty replies; every input record
                          must be accounted for (manifest counts.items)
  2. crash_resume_trials  subprocess runs killed with SIGKILL at random moments, then resumed;
                          outputs must equal an uninterrupted run and no completed model call
                          may be paid twice (a ledger written by the fake backend proves it)
  3. bad_input_trials     every file of tests/fixtures/bad_inputs plus generated big ones
                          (a 1 MB message, a 10,000-turn conversation) under on_error=fail and skip
  4. canary_run           real ShareGPT conversations with planted canaries (name, email, phone,
                          an unusual phrase), a fake model that copies them into summaries and
                          names (the worst case), counted through every layer of the pipeline
  5. reliability_disk     a full disk (a file-size limit), damaged caches and outputs, two
                          processes on one cache, a run folder of another layout version
  6. reliability_sdk      the real anthropic/openai SDK backends against a local fault server
                          (evals/fault_server.py) that speaks their wire formats

The model is a deterministic fake (`FakeBackend`, or the fault server's responder) everywhere: this is about fault handling and
privacy plumbing, not model quality. Embeddings, k-means, the rule auditor and the run folder
are real. The map uses the PCA path (projection.n_neighbors above the data size) to keep the
runtime short; the projection carries no text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BAD_INPUTS = REPO / "tests" / "fixtures" / "bad_inputs"
STAGES = ["load", "facets", "embed", "cluster", "name", "privacy", "hierarchy", "project"]

# --------------------------------------------------------------------------- a leaky fake model


def _user_text(prompt: Any) -> str:
    # all user turns: after a re-ask the last one is the gateway's correction, not the question
    return "\n".join(m.content for m in prompt.messages if m.role == "user")


def _section(prompt: Any, tag: str) -> list[str]:
    body = re.search(rf"<{tag}>(.*?)</{tag}>", _user_text(prompt), re.S)
    return [line[2:].strip() for line in body.group(1).strip().splitlines() if line.strip()] if body else []


class LeakyModel:
    """A deterministic stand-in for every prompt of the pipeline that leaks as much as it can:
    summaries copy the first `words` words of the first user turn (like a small model that keeps
    proper nouns); a cluster or parent name copies any member carrying a canary verbatim, and is
    otherwise built from the words its members share; the LLM privacy auditor approves everything."""

    def __init__(self, canaries: tuple[str, ...] = (), words: int = 20):
        self.canaries = tuple(c.lower() for c in canaries)
        self.words = words

    def _leaky(self, items: list[str]) -> str | None:
        return next((i for i in items if any(c in i.lower() for c in self.canaries)), None)

    @staticmethod
    def _common_words(items: list[str], k: int = 3) -> list[str]:
        """Words that most items share: what an honest namer would build a name from."""
        counts = Counter(w for item in items for w in {w.lower() for w in re.findall(r"[A-Za-z]{4,}", item)})
        # ties broken by the word, not by set order (which changes with each process's hash seed)
        return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]] or ["everyday", "topics"]

    def _name(self, items: list[str]) -> tuple[str, str]:
        """(description, name): a copy of a canary-carrying item when there is one (the leak),
        else an aggregate of the words the items share."""
        leak = self._leaky(items)
        if leak is not None:
            return f"Users asked: {leak}. They wanted help.", leak[:80]
        words = self._common_words(items)
        return f"Users asked for help with {', '.join(words)}.", f"Help with {' and '.join(words)}"

    def __call__(self, prompt: Any) -> str:
        name, last = prompt.name, _user_text(prompt)
        if name == "facet_rating":
            return "1</answer>"
        if name == "facet_categorical":
            return " English</answer>"
        if name == "facet_open":
            user = re.search(r"<user>(.*?)(?:</user>|$)", prompt.messages[1].content, re.S)  # may be cut by truncation
            return " " + " ".join((user.group(1) if user else "something").split()[: self.words]) + "</answer>"
        if name in ("cluster_name", "hierarchy_rename"):
            description, title = self._name(_section(prompt, "answers"))
            return f" {description}</summary>\n<name>{title}</name>"
        if name in ("hierarchy_propose", "hierarchy_dedupe"):
            found = re.search(r"about\s+(\d+)|(\d+) distinct", last)
            desired = int(next(g for g in found.groups() if g)) if found else 3
            return "\n" + "\n".join(f"{i}. Help with everyday topic group {i}" for i in range(1, desired + 1)) + "\n</answer>"
        if name == "hierarchy_assign":  # spread children over parents, deterministically
            parents = sorted(_section(prompt, "higher_level_clusters"))
            child = re.search(r"Name: (.*)", last)
            return parents[zlib.crc32((child.group(1) if child else "").encode()) % len(parents)] + "</answer>"
        if name == "privacy_audit":
            return "5</answer>"
        if name == "screener":
            return "Yes</answer>"
        return "something</answer>"


def call_digest(prompt: Any, params: Any) -> str:
    """Identifies one model call (same content -> same digest), like the response cache's key."""
    payload = json.dumps([[(m.role, m.content) for m in prompt.messages], prompt.prefill, repr(params)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def _ledger_backend(responder: Any, delay: float, ledger: Path | None) -> Any:
    """A FakeBackend that takes `delay` seconds per call (so kills land mid-stage) and appends
    the digest of every completed call to `ledger`: what was paid, even if the process is killed."""
    from clio.llm.backends import FakeBackend

    class LedgerBackend(FakeBackend):
        def __init__(self) -> None:
            super().__init__(responder)
            self._ledger = open(ledger, "a", encoding="utf-8") if ledger else None  # noqa: SIM115

        def complete(self, prompt: Any, params: Any) -> Any:
            if delay:
                time.sleep(delay)  # the call is in flight
            completion = super().complete(prompt, params)
            if self._ledger:
                self._ledger.write(call_digest(prompt, params) + "\n")
                self._ledger.flush()  # in the OS page cache: survives SIGKILL of this process
            return completion

    return LedgerBackend()


@contextmanager
def fake_backend(responder: Any, *, delay: float = 0.0, ledger: Path | None = None) -> Iterator[list[Any]]:
    """Within the block, `llm.backend=fake` builds a fake backend answering with `responder`
    (config, cache, retries and fault injection still go through the real `build_gateway`).
    Yields the list of gateways built, for their counters."""
    from clio import pipeline

    built: list[Any] = []
    original_make, original_build = pipeline.make_backend, pipeline.build_gateway

    def make(backend: str, model: str, **options: Any) -> Any:
        if backend == "fake":
            return _ledger_backend(responder, delay, ledger)
        return original_make(backend, model, **options)

    def build(cfg: Any) -> Any:
        gateway = original_build(cfg)
        built.append(gateway)
        return gateway

    pipeline.make_backend, pipeline.build_gateway = make, build
    try:
        yield built
    finally:
        pipeline.make_backend, pipeline.build_gateway = original_make, original_build


# --------------------------------------------------------------------------- datasets and config

TOPICS = {
    "bread": "How long should I let my sourdough bread dough rise before baking it?",
    "python": "Why does my Python script raise a KeyError when reading the dictionary?",
    "travel": "Can you plan a three day hiking trip itinerary in the mountains for me?",
    "resume": "Please help me rewrite my resume summary for a nursing job application.",
    "garden": "What vegetables grow well in a shady backyard garden in early spring?",
    "math": "How do I solve this quadratic equation by completing the square step by step?",
}


def write_topic_dataset(path: Path, per_topic: int = 12) -> Path:
    """Six everyday topics, `per_topic` conversations each, one account per conversation."""
    rows = []
    for t, (topic, question) in enumerate(TOPICS.items()):
        for i in range(per_topic):
            rows.append({"id": f"{topic}-{i}", "account_id": f"acct-{t}-{i}", "messages": [{"role": "user", "content": f"{question} (variant {i})"}, {"role": "assistant", "content": "Sure."}]})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def run_overrides(root: Path, data: Path, *, name: str = "r", cache: Path | None = None, embeddings: Path | None = None) -> list[str]:
    """A small, fast `clio run` on the fake backend. Privacy stays in its default mode (thresholds
    and auditor on, safety mode off); thresholds are scaled to a dataset of tens of conversations."""
    cache = cache or root / "cache"
    return [
        f"run.root={root}",
        f"run.name={name}",
        f"cache.dir={cache}",
        f"cache.embeddings={embeddings or cache / 'embeddings'}",
        "data=file",
        f"data.source={data}",
        "data.on_error=skip",
        "progress=false",
        "llm.backend=fake",
        "llm.model=fake-1",
        "+llm.backoff_base=0.001",
        "+llm.backoff_max=0.01",
        "pipeline.mode=paper",  # a model call per conversation: the mode with the most calls to fault
        "clustering.k=6",
        "privacy.min_conversations=5",
        "privacy.min_accounts=5",
        "privacy.auditor.kind=rules",
        "hierarchy.top_k=2",
        "hierarchy.levels=3",
        "projection.n_neighbors=200",
    ]


def compose_cfg(overrides: list[str]) -> Any:
    from hydra import compose, initialize_config_dir

    from clio.cli import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("config", overrides=overrides)


# --------------------------------------------------------------------------- 1. faults


def fault_run(workdir: Path, *, rate: float = 0.3, seed: int = 0, kinds: list[str] | None = None) -> dict[str, Any]:
    """The whole pipeline with injected faults; what was injected and how the run coped."""
    import pandas as pd

    from clio import pipeline
    from clio.llm.faults import FAULT_KINDS, REPLY_KINDS, TRANSIENT_KINDS

    kinds = kinds or list(FAULT_KINDS)
    data = write_topic_dataset(workdir / "topics.jsonl")
    faults = f"llm.faults={{rate: {rate}, seed: {seed}, kinds: [{', '.join(kinds)}]}}"
    cfg = compose_cfg(run_overrides(workdir, data, name="faults") + [faults])
    started = time.perf_counter()
    error = None
    with fake_backend(LeakyModel()) as gateways:
        try:
            manifest = pipeline.run_all(cfg)
        except Exception as exc:  # a crash is what this measures
            manifest, error = {}, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    gateway = gateways[0] if gateways else None
    injected = dict(gateway.backend.injected) if gateway is not None and hasattr(gateway.backend, "injected") else {}
    usage = gateway.total_usage() if gateway is not None else None
    facets_path = workdir / "faults" / "private" / "facets.parquet"
    recorded = 0
    if facets_path.exists():
        frame = pd.read_parquet(facets_path)
        recorded = int(frame["facet_errors"].notna().sum())
    return {
        "rate": rate,
        "seed": seed,
        "kinds": kinds,
        "seconds": round(seconds, 1),
        "finished": error is None,
        "error": error,
        "backend_calls": gateway.backend.calls if gateway is not None and hasattr(gateway.backend, "calls") and isinstance(gateway.backend.calls, int) else None,
        "injected": injected,
        "injected_transient": sum(injected.get(k, 0) for k in TRANSIENT_KINDS),
        "injected_reply": sum(injected.get(k, 0) for k in REPLY_KINDS),
        "usage": usage.model_dump() if usage else {},
        "items": manifest.get("counts", {}).get("items", {}),
        "conversations_with_recorded_failures": recorded,
        "clusters_after_privacy": manifest.get("counts", {}).get("clusters_after_privacy"),
    }


# --------------------------------------------------------------------------- 2. crash / resume

COMPARED_OUTPUTS = [
    "analyst/clusters.parquet",
    "analyst/map_points.parquet",
    "analyst/map_clusters.parquet",
    "analyst/hierarchy.json",
    "analyst/privacy_report.json",
    "analyst/tree.txt",
    "private/facets.parquet",
    "private/embeddings.npy",
    "private/assignments.parquet",
    "private/base_clusters.parquet",
    "private/clusters_kept.parquet",
    "private/coords.parquet",
]


def diff_outputs(a: Path, b: Path) -> list[str]:
    """Files that differ between two run folders (parquet compared as tables, others as bytes)."""
    import pandas as pd

    differing = []
    for rel in COMPARED_OUTPUTS:
        pa, pb = a / rel, b / rel
        if not pa.exists() or not pb.exists():
            differing.append(f"{rel} (missing)")
        elif rel.endswith(".parquet"):
            if not pd.read_parquet(pa).equals(pd.read_parquet(pb)):
                differing.append(rel)
        elif pa.read_bytes() != pb.read_bytes():
            differing.append(rel)
    return differing


def worker_main(argv: list[str]) -> int:
    """`python -m evals.reliability worker RESULT LEDGER DELAY OVERRIDES...`: one pipeline run in
    this process on the ledger-keeping fake backend (used by crash_resume_trials)."""
    result, ledger, delay, overrides = Path(argv[0]), Path(argv[1]), float(argv[2]), argv[3:]
    from clio import pipeline

    cfg = compose_cfg(overrides)
    Path(str(result) + ".started").write_text(str(time.time()))
    started = time.perf_counter()
    with fake_backend(LeakyModel(), delay=delay, ledger=ledger):
        manifest = pipeline.run_all(cfg)
    result.write_text(json.dumps({"seconds": time.perf_counter() - started, "counts": manifest["counts"]}, default=str))
    return 0


def _spawn(workdir: Path, tag: str, overrides: list[str], delay: float) -> tuple[subprocess.Popen, Path, Path]:
    result, ledger = workdir / f"{tag}.result.json", workdir / f"{tag}.ledger"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = open(workdir / f"{tag}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "evals.reliability", "worker", str(result), str(ledger), str(delay), *overrides], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, result, ledger


def _run_to_end(workdir: Path, tag: str, overrides: list[str], delay: float, timeout: float = 300) -> dict[str, Any]:
    proc, result, _ = _spawn(workdir, tag, overrides, delay)
    if proc.wait(timeout=timeout) != 0:
        raise RuntimeError(f"worker {tag} failed; see {workdir / (tag + '.log')}: {(workdir / (tag + '.log')).read_text()[-2000:]}")
    return json.loads(result.read_text())


def _ledger(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _stage_reached(run: Path) -> str:
    done = [s for s in STAGES if (run / "stages" / f"{s}.json").exists()]
    missing = [s for s in STAGES if s not in done]
    return f"during {missing[0]}" if missing else "after the last stage"


def _stage_durations(run: Path, started_at: float) -> dict[str, float]:
    """Seconds each stage took in a finished run, from its stage records' times."""
    durations, previous = {}, started_at
    for stage in STAGES:
        record = run / "stages" / f"{stage}.json"
        if record.exists():
            finished = record.stat().st_mtime
            durations[stage], previous = max(finished - previous, 0.0), finished
    return durations


def _wait_until(condition: Any, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def crash_resume_trials(workdir: Path, *, trials: int = 5, kills: int = 1, seed: int = 0, delay: float = 0.01, embeddings: Path | None = None) -> dict[str, Any]:
    """An uninterrupted reference run, then `trials` times: start the same run on a fresh response
    cache, SIGKILL it at a random moment (`kills` times), resume it to the end, and compare.

    A kill's moment is drawn in two steps so kills spread over all stages rather than piling up
    in the slowest one: a stage uniformly at random, then a uniform point of that stage's
    duration in the reference run, counted from when the stage starts in the killed run."""
    workdir.mkdir(parents=True, exist_ok=True)
    data = write_topic_dataset(workdir / "topics.jsonl")
    embeddings = embeddings or workdir / "embeddings"  # shared: embeddings are not paid model calls

    def overrides(name: str) -> list[str]:
        return run_overrides(workdir / "runs", data, name=name, cache=workdir / f"cache-{name}", embeddings=embeddings)

    reference = _run_to_end(workdir, "clean", overrides("clean"), delay)
    clean = workdir / "runs" / "clean"
    clean_ledger = _ledger(workdir / "clean.ledger")
    durations = _stage_durations(clean, float((workdir / "clean.result.json.started").read_text()))

    rng = random.Random(seed)
    results = []
    for t in range(trials):
        name = f"trial{t}"
        run = workdir / "runs" / name
        segments: list[list[str]] = []
        kill_points = []
        for k in range(kills):
            tag = f"{name}.kill{k}"
            target = rng.choice(STAGES)
            fraction = rng.uniform(0.05, 0.95)
            proc, _, ledger = _spawn(workdir, tag, overrides(name), delay)
            marker = workdir / f"{tag}.result.json.started"
            previous = STAGES[STAGES.index(target) - 1] if target != "load" else None
            _wait_until(lambda: marker.exists() and (previous is None or (run / "stages" / f"{previous}.json").exists()), proc)  # noqa: B023 (called at once, in this iteration)
            time.sleep(fraction * durations.get(target, 0.0))  # where the kill lands, not a check
            killed = proc.poll() is None
            if killed:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            segments.append(_ledger(ledger))
            kill_points.append(
                {"target": f"{target} at {fraction:.0%}", "stage": _stage_reached(run) if killed else "finished before the kill", "killed": killed, "paid_calls_before_kill": len(segments[-1])}
            )
        final = _run_to_end(workdir, f"{name}.resume", overrides(name), delay)
        resumed = _ledger(workdir / f"{name}.resume.ledger")
        paid = [key for seg in segments for key in seg] + resumed
        counts = Counter(paid)
        # A call can be paid twice only if the kill hit between the backend's reply and the
        # cache commit: at most the last call of each killed process.
        in_flight = Counter(seg[-1] for seg, kp in zip(segments, kill_points) if seg and kp["killed"])
        paid_twice = {key: n - 1 for key, n in counts.items() if n > 1}
        unexplained = {key: n for key, n in paid_twice.items() if n > in_flight.get(key, 0)}
        differing = diff_outputs(clean, run)
        same_calls = set(counts) == set(clean_ledger)
        results.append(
            {
                "trial": t,
                "kills": kill_points,
                "paid_calls": len(paid),
                "clean_calls": len(clean_ledger),
                "paid_twice": sum(paid_twice.values()),
                "paid_twice_unexplained": sum(unexplained.values()),
                "same_calls_as_clean": same_calls,
                "differing_outputs": differing,
                "items": final["counts"]["items"],
                "passed": not differing and not unexplained and same_calls and final["counts"]["items"]["unaccounted"] == 0,
            }
        )
    return {
        "trials": results,
        "clean_calls": len(clean_ledger),
        "run_seconds": round(reference["seconds"], 1),
        "stage_seconds": {k: round(v, 2) for k, v in durations.items()},
        "delay_per_call_s": delay,
    }


# --------------------------------------------------------------------------- 3. bad input

# name -> (file, one-line summary of what is wrong). Big cases are generated, not stored.
BAD_INPUT_CASES: dict[str, str] = {
    "empty.jsonl": "empty file",
    "blank_lines.jsonl": "only blank lines",
    "empty_array.json": "empty JSON array",
    "invalid_json.jsonl": "a line of invalid JSON between good ones",
    "truncated_array.json": "JSON array cut off mid-record",
    "latin1.jsonl": "Latin-1 encoded text",
    "utf16.jsonl": "UTF-16 encoded JSONL (with BOM)",
    "utf16.json": "UTF-16 encoded JSON array",
    "missing_role.jsonl": "a message without a role",
    "unknown_role.jsonl": "a message with an unknown role",
    "empty_messages.jsonl": "a conversation whose messages are all empty, and one with no messages",
    "duplicate_ids.jsonl": "the same id twice",
    "mixed_schemas.jsonl": "own, OpenAI, ShareGPT, WildChat and LMSYS records in one file",
    "not_objects.jsonl": "lines that are JSON but not objects (array, string, number, null)",
    "wrong_types.jsonl": "messages not a list, content a number, metadata a string",
    "deep_nesting.jsonl": "JSON nested 100,000 levels deep (generated)",
    "binary_junk.jsonl": "random binary bytes with NULs",
    "binary_junk.parquet": "random bytes named .parquet",
    "junk.txt": "an unsupported file type",
    "big_message.jsonl": "one 1 MB user message (generated)",
    "many_turns.jsonl": "one conversation of 10,000 turns (generated)",
}


def generate_big_inputs(directory: Path) -> dict[str, Path]:
    """The big cases, written at test time rather than stored in git."""
    directory.mkdir(parents=True, exist_ok=True)
    big = directory / "big_message.jsonl"
    text = ("lorem ipsum dolor sit amet " * 40_000)[: 1 << 20]
    big.write_text(json.dumps({"id": "big-1", "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]}) + "\n")
    many = directory / "many_turns.jsonl"
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(10_000)]
    many.write_text(json.dumps({"id": "many-1", "messages": turns}) + "\n")
    deep = directory / "deep_nesting.jsonl"
    deep.write_text(json.dumps({"id": "ok-1", "messages": [{"role": "user", "content": "fine"}]}) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    return {"big_message.jsonl": big, "many_turns.jsonl": many, "deep_nesting.jsonl": deep}


def try_input(path: Path) -> dict[str, Any]:
    """Load a file under both policies: what on_error=fail says, what on_error=skip keeps."""
    from clio.errors import ClioError
    from clio.loaders import load_conversations

    out: dict[str, Any] = {}
    try:
        loaded = load_conversations(path, on_error="fail")
        out["fail"] = f"loaded {loaded.n_loaded}"
    except ClioError as exc:
        out["fail"] = f"error: {exc}"
    except Exception as exc:  # anything else is a bug the report must show
        out["fail"] = f"CRASH {type(exc).__name__}: {exc}"
    try:
        loaded = load_conversations(path, on_error="skip")
        out["skip"] = {"loaded": loaded.n_loaded, "skipped": loaded.n_skipped, "first_reason": loaded.skipped[0] if loaded.skipped else None}
    except ClioError as exc:
        out["skip"] = {"error": str(exc)}
    except Exception as exc:
        out["skip"] = {"error": f"CRASH {type(exc).__name__}: {exc}"}
    return out


def bad_input_trials(workdir: Path) -> list[dict[str, Any]]:
    generated = generate_big_inputs(workdir / "generated")
    rows = []
    for name, what in BAD_INPUT_CASES.items():
        path = generated.get(name) or BAD_INPUTS / name
        started = time.perf_counter()
        outcome = try_input(path)
        rows.append({"file": name, "what": what, **outcome, "seconds": round(time.perf_counter() - started, 2)})
    return rows


# --------------------------------------------------------------------------- 4. canaries

CANARY_KINDS = ("name", "email", "phone", "phrase")


def canary_values(i: int) -> dict[str, str]:
    """Canaries for planted conversation i: unique per conversation, as private details are."""
    first = ["Zyxquv", "Quorabel", "Mirvane", "Tesholt", "Varkenby", "Ulfrida", "Brontisse", "Kelvorn"][i % 8]
    last = ["Canarysson", "Plimtoff", "Worbeckle", "Aszmundt", "Grellivan", "Opsterwick"][i % 6]
    return {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{i}@example.org",
        "phone": f"+1 415-555-{100 + i:04d}",
        "phrase": ["purple walrus sings at dawn", "seven copper kites over the fjord", "my grandmother's velvet accordion"][i % 3]
        + f" {['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'][i % 8]}",
    }


def plant_canaries(conversations: list[dict[str, Any]], share: float, seed: int) -> list[dict[str, Any]]:
    """Plant canaries into a share of ShareGPT records (in place). In a third of them one canary
    opens the first user turn (a leaky summary copies it); the rest of the canaries go to the end
    of the last user turn. Returns what was planted where."""
    rng = random.Random(seed)
    chosen = rng.sample(range(len(conversations)), max(1, round(share * len(conversations))))
    planted = []
    for n, index in enumerate(sorted(chosen)):
        values = canary_values(n)
        turns = conversations[index]["conversations"]
        users = [t for t in turns if t.get("from") in ("human", "user")]
        lead = CANARY_KINDS[(n // 3) % len(CANARY_KINDS)] if n % 3 == 0 else None
        if lead:
            users[0]["value"] = f"{values[lead]} here. " + users[0]["value"]
            tail = " ".join(f"{values[k]}." for k in CANARY_KINDS if k != lead)
        else:
            tail = f"By the way: I am {values['name']}, write to {values['email']} or call {values['phone']}. {values['phrase']}."
        users[-1]["value"] += "\n\n" + tail
        planted.append({"id": conversations[index]["id"], "lead": lead, "values": values})
    return planted


def _sharegpt_sample(n: int, seed: int) -> list[dict[str, Any]]:
    """n real ShareGPT records (English-looking, with a user turn of some length), as raw dicts."""
    from clio.loaders import load_conversations

    loaded = load_conversations("sharegpt", limit=600)
    pool = [c for c in loaded.conversations if any(m.role == "user" and 40 <= len(m.content) <= 4000 for m in c.messages[:1]) and c.messages[0].content.isascii()]
    picked = random.Random(seed).sample(pool, n)
    records = []
    for conv in picked:
        turns = [{"from": "human" if m.role == "user" else "gpt", "value": m.content} for m in conv.messages if m.role in ("user", "assistant")]
        records.append({"id": conv.id, "conversations": turns})
    return records


def _text_of(path: Path) -> str:
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_json()
    if path.suffix == ".npy":
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _count(text: str, canaries: list[str]) -> int:
    low = text.lower()
    return sum(1 for c in canaries if c.lower() in low)


def canary_run(workdir: Path, *, n: int = 80, share: float = 0.15, seed: int = 0, k: int = 5, extra: Sequence[str] = ()) -> dict[str, Any]:
    """Real ShareGPT conversations with planted canaries through `clio run` (the CLI, so Hydra's
    log and config copies are in the run folder too) with the leaky fake model; leak counts per layer.
    `extra`: more overrides, e.g. facets.privacy_check.enabled=false to test the later layers alone."""
    import pandas as pd

    from clio.cli import main as cli_main

    workdir.mkdir(parents=True, exist_ok=True)
    records = _sharegpt_sample(n, seed)
    planted = plant_canaries(records, share, seed)
    data = workdir / "sharegpt_canaries.json"
    data.write_text(json.dumps(records, indent=1), encoding="utf-8")
    all_canaries = [v for p in planted for v in p["values"].values()]
    overrides = [o for o in run_overrides(workdir, data, name="canaries") if not o.startswith(("clustering.k", "privacy.min_"))]
    overrides += [f"clustering.k={k}", *extra]  # privacy thresholds: the defaults (10 conversations, 5 accounts)
    with fake_backend(LeakyModel(tuple(all_canaries))):
        code = cli_main(["run", *overrides])
    run = workdir / "canaries"

    def leaks_in(paths: list[Path]) -> int:
        return sum(_count(_text_of(p), all_canaries) for p in paths if p.is_file())

    facets = pd.read_parquet(run / "private" / "facets.parquet")
    summary_cols = [c for c in ("request", "task") if c in facets.columns]
    summaries_with = int(sum(any(_count(str(v), all_canaries) for v in row) for row in facets[summary_cols].itertuples(index=False)))
    base = pd.read_parquet(run / "private" / "base_clusters.parquet")
    base_with = int(sum(bool(_count(f"{r.name} {r.description}", all_canaries)) for r in base.itertuples()))
    # What the rule auditor alone would have removed of the canary-carrying clusters (before the
    # quoted-details check existed, an unusual phrase passed it: no pattern or NER sees one).
    from clio.privacy import cluster_text, make_auditor

    leaky_texts = [cluster_text(r) for r in base.to_dict("records") if _count(f"{r['name']} {r['description']}", all_canaries)]
    auditor_alone = sum(r.score < 3 for r in make_auditor("rules").rate(leaky_texts)) if leaky_texts else 0
    layers = {
        "raw conversations (input)": {"items": len(records), "with_canary": len(planted), "canaries": len(all_canaries)},
        "summaries (private/facets.parquet)": {"items": len(facets), "with_canary": summaries_with},
        "base cluster names+descriptions (private/base_clusters.parquet)": {"items": len(base), "with_canary": base_with},
    }
    analyst: dict[str, int] = {}
    for path in sorted((run / "analyst").rglob("*")):
        if path.is_file():
            analyst[f"analyst/{path.relative_to(run / 'analyst')}"] = leaks_in([path])
    analyst["manifest.json"] = leaks_in([run / "manifest.json"])
    analyst["stages/*.json (stage records)"] = leaks_in(sorted((run / "stages").glob("*.json")))
    analyst["cli.log and .hydra/* (logs, config copies)"] = leaks_in([*run.glob("*.log"), *sorted((run / ".hydra").glob("*"))])
    kept = pd.read_parquet(run / "private" / "clusters_kept.parquet") if (run / "private" / "clusters_kept.parquet").exists() else pd.DataFrame()
    layers["clusters after the privacy layers (private/clusters_kept.parquet)"] = {
        "items": len(kept),
        "with_canary": int(sum(bool(_count(f"{r.name} {r.description}", all_canaries)) for r in kept.itertuples())),
    }
    return {
        "exit_code": code,
        "conversations": n,
        "planted_conversations": len(planted),
        "canaries": len(all_canaries),
        "layers": layers,
        "analyst_outputs": analyst,
        "analyst_total": sum(analyst.values()),
        "canary_clusters_auditor_alone_removes": auditor_alone,
        "privacy": json.loads((run / "analyst" / "privacy_report.json").read_text()) if (run / "analyst" / "privacy_report.json").exists() else {},
    }


# --------------------------------------------------------------------------- the report


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def render_report(faults: dict[str, Any], crash: dict[str, Any], bad: list[dict[str, Any]], canaries: dict[str, Any], seconds: float) -> str:
    u, items = faults["usage"], faults["items"]
    out = [
        "# Reliability report",
        "",
        f"Generated by `python -m evals.reliability` in {seconds:.0f} s. Every figure below was measured by running the",
        "pipeline now. The LLM is a deterministic fake (`FakeBackend`) throughout: this report is about fault",
        "handling, resume and privacy plumbing, not model quality. Embeddings, k-means, the rule privacy auditor",
        "and the run folder are real; the map uses the PCA path to keep the runtime short.",
        "",
        "## 1. Faults injected into the LLM gateway",
        "",
        f"`clio run` on 72 conversations with `llm.faults={{rate: {faults['rate']}, seed: {faults['seed']}}}` (all kinds).",
        f"Finished: **{'yes' if faults['finished'] else 'NO: ' + str(faults['error'])}** in {faults['seconds']} s; backend calls {faults['backend_calls']}.",
        "",
        md_table(
            ["fault kind", "injected", "how the gateway handles it"],
            [
                [k, faults["injected"].get(k, 0), how]
                for k, how in [
                    ("timeout", "retried with backoff"),
                    ("rate_limit", "retried after retry-after"),
                    ("server_error", "retried with backoff"),
                    ("truncated", "parsed if usable, else re-asked"),
                    ("malformed", "re-asked"),
                    ("refusal", "re-asked (refusals are rejected by the parser)"),
                    ("empty", "re-asked"),
                ]
            ]
            + [["**total**", sum(faults["injected"].values()), ""]],
        ),
        "",
        md_table(
            ["gateway counter", "value"],
            [
                ["transient retries", u.get("retries")],
                ["re-asks", u.get("reasks")],
                ["items that needed a retry or re-ask", u.get("retried_items")],
                ["calls failed for good (recorded, run continued)", u.get("failures")],
            ],
        ),
        "",
        "Where every input record went (manifest `counts.items`):",
        "",
        md_table(["outcome", "records"], [[k, items.get(k)] for k in ("records_read", "skipped_bad_record", "not_sampled", "screened_out", "screen_failed", "facet_failed", "ok", "unaccounted")]),
        "",
        f"Per-facet failures: {items.get('facet_failures')}; conversations with a recorded failure reason in private/facets.parquet: {faults['conversations_with_recorded_failures']}.",
        "",
        "## 2. Crash and resume",
        "",
        f"Each trial starts `clio run` (fake model, {crash['delay_per_call_s']} s per call, fresh response cache) in a subprocess, kills it",
        "with SIGKILL at a random moment, resumes it, and compares with an uninterrupted run. A ledger written by",
        "the fake backend after each completed call counts what was paid across all processes of a trial.",
        f"Reference run: {crash['clean_calls']} model calls, {crash['run_seconds']} s (stages: {crash['stage_seconds']}). A kill targets a random stage,",
        "then a random point of that stage's reference duration; the table shows where it landed.",
        "",
        md_table(
            ["trial", "killed", "calls paid (clean run)", "paid twice (in flight at the kill)", "outputs equal", "passed"],
            [
                [
                    t["trial"],
                    "; ".join(f"{k['stage']} (aimed at {k['target']}, {k['paid_calls_before_kill']} calls paid)" for k in t["kills"]),
                    f"{t['paid_calls']} ({t['clean_calls']})",
                    f"{t['paid_twice']} ({t['paid_twice'] - t['paid_twice_unexplained']})",
                    "yes" if not t["differing_outputs"] else ", ".join(t["differing_outputs"]),
                    "**yes**" if t["passed"] else "**NO**",
                ]
                for t in crash["trials"]
            ],
        ),
        "",
        f"Trials passed: **{sum(t['passed'] for t in crash['trials'])} / {len(crash['trials'])}**. Compared outputs: {', '.join(COMPARED_OUTPUTS)}.",
        "",
        "## 3. Bad input",
        "",
        "Each file is loaded with `on_error=fail` (the message shown) and `on_error=skip` (what is kept and counted).",
        "",
        md_table(
            ["file", "what is wrong", "on_error=fail", "on_error=skip"],
            [
                [
                    b["file"],
                    b["what"],
                    b["fail"],
                    (b["skip"].get("error") or f"{b['skip']['loaded']} loaded, {b['skip']['skipped']} skipped" + (f" (first: {b['skip']['first_reason']})" if b["skip"].get("first_reason") else "")),
                ]
                for b in bad
            ],
        ),
        "",
        "## 4. Privacy canaries",
        "",
        f"{canaries['conversations']} real ShareGPT conversations, {canaries['planted_conversations']} with planted canaries ({canaries['canaries']} distinct values:",
        "names, emails, phone numbers, unusual phrases). The fake model copies user words into summaries and copies a",
        "canary-carrying summary into a cluster name whenever one is in its sample: the worst case. Default privacy mode",
        "(thresholds 10 conversations / 5 accounts, rule auditor, no safety mode); run through the `clio run` CLI.",
        "",
        md_table(["layer", "items", "items with a canary"], [[k, v["items"], v["with_canary"]] for k, v in canaries["layers"].items()]),
        "",
        md_table(["analyst-facing output", "canaries found"], [[k, v] for k, v in canaries["analyst_outputs"].items()] + [["**total**", canaries["analyst_total"]]]),
        "",
        f"Of the {canaries['layers']['base cluster names+descriptions (private/base_clusters.parquet)']['with_canary']} base clusters whose name or description carries a canary, the rule auditor alone would remove "
        f"{canaries['canary_clusters_auditor_alone_removes']}; the quoted-details check of layer 2 removes every cluster whose text quotes the summaries of fewer than min_accounts accounts.",
        "",
        f"Privacy layers: {canaries['privacy'].get('base_clusters_in')} base clusters in, {canaries['privacy'].get('base_clusters_out')} out; {json.dumps(canaries['privacy'].get('layers', {}))}",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "worker":
        return worker_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m evals.reliability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/reliability/report.md")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: next to --out)")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--kills", type=int, default=1, help="kills per trial before it is resumed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--disk", action=argparse.BooleanOptionalAction, default=True, help="part 5: disk, cache, concurrency and version faults (evals/reliability_disk.py)")
    parser.add_argument("--sdk", action=argparse.BooleanOptionalAction, default=True, help="part 6: the real SDKs against a local fault server (evals/reliability_sdk.py)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out = Path(args.out)
    workdir = Path(args.workdir) if args.workdir else out.parent / "work"
    if workdir.exists():
        import shutil

        shutil.rmtree(workdir)
    started = time.perf_counter()
    print("1/6 fault injection ...", flush=True)
    faults = fault_run(workdir / "faults", seed=args.seed)
    print("2/6 crash and resume ...", flush=True)
    # The fault run embedded the same summaries: sharing its embedding cache saves a model load.
    crash = crash_resume_trials(workdir / "crash", trials=args.trials, kills=args.kills, seed=args.seed, embeddings=workdir / "faults" / "cache" / "embeddings")
    print("3/6 bad input ...", flush=True)
    bad = bad_input_trials(workdir / "bad")
    print("4/6 privacy canaries ...", flush=True)
    canaries = canary_run(workdir / "canaries", seed=args.seed)
    from evals import reliability_disk, reliability_sdk

    print("5/6 disk, cache, concurrency and version faults ..." if args.disk else "5/6 skipped (--no-disk)", flush=True)
    disk = reliability_disk.disk_trials(workdir / "disk") if args.disk else None
    print("6/6 the real SDKs against a fault server ..." if args.sdk else "6/6 skipped (--no-sdk)", flush=True)
    sdk = reliability_sdk.sdk_trials(workdir / "sdk") if args.sdk else None
    report = render_report(faults, crash, bad, canaries, time.perf_counter() - started)
    report += (reliability_disk.render_disk_section(disk) if disk else "") + ("\n" + reliability_sdk.render_section(sdk, number=6) if sdk else "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    results = {"faults": faults, "crash": crash, "bad_inputs": bad, "canaries": canaries, "disk": disk, "sdk": sdk}
    (out.with_suffix(".json")).write_text(json.dumps(results, indent=1, default=str))
    print(report)
    print(f"written: {out}")
    ok = faults["finished"] and not faults["items"].get("unaccounted") and all(t["passed"] for t in crash["trials"]) and canaries["analyst_total"] == 0
    ok = ok and (disk is None or reliability_disk.all_passed(disk)) and (sdk is None or reliability_sdk.passed(sdk))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
