"""Message Batches for bulk stages: the gateway's batch path (`llm.batch`).

`LLMGateway.ask_many` calls `run_batches` first when batches are on and the backend has a batch
API. It fills in replies for the jobs the response cache cannot answer, at the batch discount;
the gateway then runs its usual online path over all jobs, which parses each reply (re-asks go
online) and makes online calls for whatever the batches did not answer (errored, expired or
canceled items, lost batches, jobs below `min_jobs`).

Resumable: the batch ids and each request's custom_id -> job mapping are written to a small JSON
state file (in the run folder's private area) right after each submission, and each reply is
written to the response cache as it is read. A run killed while waiting polls the recorded
batches again on restart instead of paying for new ones; replies it had already read are cache
hits. The custom_id is the job's cache key (64 hex characters, the API's maximum), so a resumed
run matches results to jobs by content, not by position.

State file (one per stage, e.g. private/batches/facets.json):

    {"format": 1, "stage": "facets",
     "batches": [{"id": "msgbatch_...", "status": "submitted" | "collected" | "lost",
                  "submitted_at": "...", "requests": {"<custom_id>": [job_index, "facet_open@v4"]}}]}
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError
from tqdm.auto import tqdm

from clio.errors import ClioError, ConfigError
from clio.llm.backends import BatchLost, BatchRequest, Completion, TransientLLMError
from clio.llm.cache import cache_key
from clio.runfolder import write_json

if TYPE_CHECKING:
    from clio.llm.gateway import LLMGateway, LLMJob

log = logging.getLogger(__name__)


class BatchConfig(BaseModel):
    enabled: bool = False
    poll_interval_s: float = Field(30.0, ge=0)  # between status checks
    timeout_s: float = Field(86_400.0, gt=0)  # give up waiting (the batch keeps running; rerun to resume)
    min_jobs: int = Field(20, ge=1)  # fewer uncached jobs than this go online: a batch adds latency
    # Stage-name prefixes that may use batches (null: every stage). Hierarchy levels are built one
    # after another, so of the hierarchy only its bulk step (assignment) is batched by default.
    stages: list[str] | None = ["facets", "naming", "hierarchy.assign"]


def batch_config(raw: Any) -> BatchConfig | None:
    """`llm.batch` from config -> BatchConfig, or None when off. Accepts true/false or a mapping."""
    if isinstance(raw, bool) or raw is None:
        return BatchConfig(enabled=True) if raw else None
    try:
        cfg = BatchConfig(**{"enabled": True, **dict(raw)})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"llm.batch.{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return cfg if cfg.enabled else None


class BatchTimeout(ClioError):
    """Batches still running after `timeout_s`. Nothing is lost: a rerun resumes polling them."""


class BatchState:
    """The JSON state file (or an in-memory one when the caller gives no path)."""

    def __init__(self, path: Path | None, stage: str):
        self.path, self.stage = path, stage
        self.batches: list[dict[str, Any]] = []
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.batches = list(data.get("batches", []))

    def add(self, batch_id: str, requests: dict[str, list[Any]]) -> dict[str, Any]:
        entry = {"id": batch_id, "status": "submitted", "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"), "requests": requests}
        self.batches.append(entry)
        self.save()
        return entry

    def mark(self, entry: dict[str, Any], status: str) -> None:
        entry["status"] = status
        self.save()

    def save(self) -> None:
        if self.path is not None:
            write_json(self.path, {"format": 1, "stage": self.stage, "batches": self.batches})


def state_path_for(directory: Path | None, stage: str) -> Path | None:
    return None if directory is None else Path(directory) / (re.sub(r"[^A-Za-z0-9_.-]", "_", stage) + ".json")


def split_requests(requests: Sequence[BatchRequest], max_requests: int, max_bytes: int, size: Callable[[BatchRequest], int]) -> Iterator[list[BatchRequest]]:
    """Consecutive chunks within the API's limits (count and body size). A request that alone
    exceeds `max_bytes` is left out: it goes online."""
    chunk: list[BatchRequest] = []
    used = 0
    for request in requests:
        n = size(request)
        if n > max_bytes:
            continue
        if chunk and (len(chunk) >= max_requests or used + n > max_bytes):
            yield chunk
            chunk, used = [], 0
        chunk.append(request)
        used += n
    if chunk:
        yield chunk


def run_batches(gw: LLMGateway, jobs: Sequence[LLMJob], stage: str, desc: str | None, state_path: Path | None) -> dict[str, Completion]:
    """Replies from Message Batches for the jobs the response cache cannot answer, keyed by cache
    key. Each reply is cached and accounted (at the batch discount) as it is read."""
    cfg, backend = gw.batch, gw.backend
    assert cfg is not None
    identity = backend.identity()
    wanted: dict[str, int] = {}  # cache key -> first job index with it (duplicates share a reply)
    for i, job in enumerate(jobs):
        key = cache_key(identity, job.prompt, job.params, job.sample_index)
        if key not in wanted and (gw.cache is None or gw.cache.get(key) is None):
            wanted[key] = i
    state = BatchState(state_path, stage)
    # Resume: recorded batches that still owe replies for these jobs are polled, not resubmitted.
    pending = [b for b in state.batches if b["status"] == "submitted" and not wanted.keys().isdisjoint(b["requests"])]
    covered = {key for b in pending for key in b["requests"]}
    fresh = [key for key in wanted if key not in covered]
    if len(fresh) >= cfg.min_jobs:
        pending += _submit(gw, jobs, fresh, wanted, stage, state)
    if not pending:
        return {}
    return _poll(gw, jobs, wanted, pending, stage, desc, state, state_path)


def _submit(gw: LLMGateway, jobs: Sequence[LLMJob], keys: list[str], wanted: dict[str, int], stage: str, state: BatchState) -> list[dict[str, Any]]:
    backend = gw.backend
    requests = [BatchRequest(custom_id=key, prompt=jobs[wanted[key]].prompt, params=jobs[wanted[key]].params) for key in keys]
    submitted = []
    for chunk in split_requests(requests, backend.max_batch_requests, backend.max_batch_bytes, backend.batch_request_bytes):
        try:
            batch_id = gw.retrying(stage)(backend.submit_batch, chunk)
        except TransientLLMError as exc:
            # The rest goes online: slower and dearer, but the run goes on.
            log.warning("%s: could not submit a Message Batch (%s); %d requests go online", stage, exc, len(chunk))
            continue
        # Recorded at once: a run killed from here on finds the batch and does not pay twice.
        mapping = {r.custom_id: [wanted[r.custom_id], f"{r.prompt.name}@v{r.prompt.version}"] for r in chunk}
        submitted.append(state.add(batch_id, mapping))
    return submitted


def _poll(
    gw: LLMGateway, jobs: Sequence[LLMJob], wanted: dict[str, int], pending: list[dict[str, Any]], stage: str, desc: str | None, state: BatchState, state_path: Path | None
) -> dict[str, Completion]:
    cfg, backend = gw.batch, gw.backend
    assert cfg is not None
    replies: dict[str, Completion] = {}
    deadline = time.monotonic() + cfg.timeout_s
    total = sum(len(b["requests"]) for b in pending)
    bar = tqdm(total=total, desc=f"{desc or stage} (batch)", unit="req", disable=not gw.show_progress)
    collected = 0
    try:
        while pending:
            in_progress = 0
            for entry in list(pending):
                try:
                    status = gw.retrying(stage)(backend.batch_status, entry["id"])
                    if status.ended:
                        _collect(gw, jobs, wanted, entry, stage, replies)
                except BatchLost as exc:
                    log.warning("%s: %s; its requests go online", stage, exc)
                    status = None
                    state.mark(entry, "lost")
                except TransientLLMError as exc:  # retries spent: try again at the next poll
                    log.warning("%s: batch %s: %s", stage, entry["id"], exc)
                    continue
                if status is None or status.ended:
                    if status is not None:
                        state.mark(entry, "collected")
                    pending.remove(entry)
                    collected += len(entry["requests"])
                else:
                    in_progress += sum(v for k, v in status.counts.items() if k != "processing")
            bar.n = min(total, collected + in_progress)
            bar.set_postfix_str(f"{len(pending)} batch(es) running" if pending else "done")
            if pending:
                if time.monotonic() >= deadline:
                    ids = ", ".join(b["id"] for b in pending)
                    where = f" (state: {state_path})" if state_path else ""
                    raise BatchTimeout(f"{stage}: Message Batch {ids} still running after {cfg.timeout_s:g} s; rerun to resume polling{where}")
                gw.sleep(cfg.poll_interval_s)
    finally:
        bar.close()
    return replies


def _collect(gw: LLMGateway, jobs: Sequence[LLMJob], wanted: dict[str, int], entry: dict[str, Any], stage: str, replies: dict[str, Completion]) -> None:
    """Read one ended batch's results: cache and account each reply as it arrives."""
    for custom_id, outcome in gw.backend.batch_results(entry["id"]):
        if custom_id in replies:
            continue  # a re-read after a dropped results stream
        prompt_ref = entry["requests"].get(custom_id, [None, "batch"])[1]
        job_stage = (jobs[wanted[custom_id]].stage if custom_id in wanted else None) or stage
        if not isinstance(outcome, Completion):
            if custom_id in wanted:
                gw.account(job_stage, batch_fallbacks=1)  # asked online by the gateway
            continue
        if custom_id not in wanted and gw.cache is not None and gw.cache.get(custom_id) is not None:
            continue  # read (and paid for) by an earlier, interrupted run
        replies[custom_id] = outcome
        if gw.cache is not None:
            gw.cache.put(custom_id, prompt_ref, outcome)  # committed per reply: a killed run keeps it
        gw.account_completion(job_stage, outcome, batch=True)
