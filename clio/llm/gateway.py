"""The LLM gateway: the one place that talks to model providers.

Every call goes through `LLMGateway.ask`: cache lookup, bounded concurrency, retries with backoff
on transient errors, parsing of the tagged answer with a re-ask on malformed replies, and token /
cost accounting per stage. With `llm.batch` on, `ask_many` first gets the uncached replies from
the provider's Message Batches API at the batch discount (clio/llm/batches.py), then parses them
the same way. A call that still fails after its retries and re-asks becomes an
`LLMResult` with `error` set: the caller records it, nothing crashes and nothing is dropped.
Configuration problems (missing key, unknown model) raise ConfigError at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tqdm.auto import tqdm

from clio.errors import ConfigError
from clio.llm.backends import Backend, Completion, SamplingParams, TransientLLMError
from clio.llm.batches import BatchConfig, run_batches, state_path_for
from clio.llm.cache import ResponseCache, cache_key
from clio.llm.parsing import ParseError, parse_reply
from clio.prompts import ChatMessage, RenderedPrompt
from clio.records import LLMUsage


class Prices(BaseModel):
    """USD per million tokens. Local models cost nothing but are still counted in tokens."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0
    batch_discount: float = 0.5

    def cost(self, c: Completion, batch: bool = False) -> float:
        """`input_tokens` includes the cached ones, which are billed at their own prices; the batch
        discount applies to everything (Anthropic: it stacks with prompt-caching prices)."""
        uncached_input = max(c.input_tokens - c.cache_read_tokens - c.cache_write_tokens, 0)
        usd = (uncached_input * self.input + c.output_tokens * self.output + c.cache_read_tokens * self.cache_read + c.cache_write_tokens * self.cache_write) / 1e6
        return usd * (self.batch_discount if batch else 1.0)


@dataclass
class LLMJob:
    prompt: RenderedPrompt
    params: SamplingParams
    sample_index: int = 0
    stage: str | None = None  # overrides ask_many's stage, for finer accounting


@dataclass
class LLMResult:
    value: Any = None
    raw: str = ""
    error: str | None = None
    attempts: int = 0
    from_cache: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None


REASK_TEMPLATE = "Your reply could not be used: {error}. Answer the same question again, inside <{tag}></{tag}> tags, following the required format exactly."


def _wait_for(base: float, cap: float):
    """Exponential backoff that honours a server's retry-after when it gives one."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted:
            return min(float(hinted), cap)
        return min(base * 2 ** (state.attempt_number - 1), cap)

    return wait


class LLMGateway:
    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache | None = None,
        prices: Prices | None = None,
        *,
        max_retries: int = 4,
        max_reasks: int = 2,
        concurrency: int | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        show_progress: bool = True,
        batch: BatchConfig | None = None,
        batch_dir: str | Path | None = None,
        replay: bool = False,
    ):
        self.backend = backend
        self.cache = cache
        self.prices = prices or Prices()
        self.max_retries, self.max_reasks = max_retries, max_reasks
        self.concurrency = max(1, min(concurrency or backend.max_concurrency, backend.max_concurrency))
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self.show_progress = show_progress
        # Message Batches (off unless configured and the backend has them); batch_dir holds the
        # per-stage state files that let a rerun resume polling (the run folder's private area).
        self.batch = batch if batch is not None and batch.enabled and not replay else None
        self.batch_dir = Path(batch_dir) if batch_dir is not None else None
        # Replay (llm.replay): answer from the response cache only; a miss stops the run with one
        # line instead of calling the model, so re-scoring a stored run costs nothing and cannot
        # silently mix fresh replies into it.
        self.replay = replay
        if replay and cache is None:
            raise ConfigError("llm.replay needs the response cache (cache.llm): there is nothing to replay from")
        self.sleep: Callable[[float], None] = time.sleep  # tests poll without waiting
        self.usage: dict[str, LLMUsage] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ accounting
    def account(self, stage: str, **delta: float) -> None:
        with self._lock:
            usage = self.usage.setdefault(stage, LLMUsage())
            for name, value in delta.items():
                setattr(usage, name, getattr(usage, name) + value)

    def account_completion(self, stage: str, completion: Completion, *, batch: bool = False, seconds: float = 0.0) -> None:
        self.account(
            stage,
            calls=1,
            batch_calls=int(batch),
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            cache_read_tokens=completion.cache_read_tokens,
            cache_write_tokens=completion.cache_write_tokens,
            cost_usd=self.prices.cost(completion, batch=batch),
            seconds=seconds,
        )

    def total_usage(self) -> LLMUsage:
        total = LLMUsage()
        for usage in self.usage.values():
            total.add(usage)
        return total

    # ------------------------------------------------------------------ one completion
    def retrying(self, stage: str, retried: list[int] | None = None) -> Retrying:
        """Retries transient errors with backoff; each retry is counted in `retried[0]` and in the
        stage's `retries`, so a run can report them."""

        def count_retry(state: RetryCallState) -> None:
            if retried is not None:
                retried[0] += 1
            self.account(stage, retries=1)

        return Retrying(
            retry=retry_if_exception_type(TransientLLMError),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=_wait_for(self.backoff_base, self.backoff_max),
            before_sleep=count_retry,
            reraise=True,
        )

    def _complete(self, prompt: RenderedPrompt, params: SamplingParams, sample_index: int, stage: str, retried: list[int], batched: dict[str, Completion] | None = None) -> tuple[Completion, bool]:
        """One completion: a reply a batch already brought (accounted there), the cache, or the
        backend. Returns (completion, served from the response cache)."""
        key = cache_key(self.backend.identity(), prompt, params, sample_index)
        if batched and key in batched:
            return batched[key], False
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.account(stage, cache_hits=1)
            return hit, True
        if self.replay:
            raise ConfigError(
                f"replay: no cached reply for prompt {prompt.name}@v{prompt.version} (stage {stage}) in {self.cache.path if self.cache else 'the cache'}: "
                "this run differs from the one being replayed (prompt, config, model or data); run without llm.replay=true to call the model"
            )
        started = time.perf_counter()
        completion = self.retrying(stage, retried)(self.backend.complete, prompt, params)
        self.account_completion(stage, completion, seconds=time.perf_counter() - started)
        if self.cache is not None:
            self.cache.put(key, f"{prompt.name}@v{prompt.version}", completion)
        return completion, False

    # ------------------------------------------------------------------ one question, parsed
    def ask(self, prompt: RenderedPrompt, params: SamplingParams, *, stage: str, sample_index: int = 0) -> LLMResult:
        """Ask, parse, and re-ask on a malformed reply. Never raises for a bad reply or an
        exhausted retry budget; raises ConfigError for configuration problems. An item that
        needed a transient retry or a re-ask counts once in the stage's `retried_items`."""
        return self._ask_counted(prompt, params, stage, sample_index, None)

    def _ask_counted(self, prompt: RenderedPrompt, params: SamplingParams, stage: str, sample_index: int, batched: dict[str, Completion] | None) -> LLMResult:
        result = self._ask(prompt, params, stage, sample_index, retried := [0], batched)
        if retried[0] or result.attempts > 1:
            self.account(stage, retried_items=1)
        return result

    def _ask(self, prompt: RenderedPrompt, params: SamplingParams, stage: str, sample_index: int, retried: list[int], batched: dict[str, Completion] | None = None) -> LLMResult:
        current = prompt
        all_cached = True
        for attempt in range(self.max_reasks + 1):
            try:
                # Only the first attempt can come from a batch: re-asks are new prompts, asked online.
                completion, cached = self._complete(current, params, sample_index, stage, retried, batched)
            except ConfigError:
                raise
            except TransientLLMError as exc:
                self.account(stage, failures=1)
                return LLMResult(error=f"gave up after {self.max_retries} retries: {exc}", attempts=attempt + 1, from_cache=False)
            all_cached &= cached
            reply = completion.text
            # Some backends echo the prefill, others continue after it.
            prefill = "" if prompt.prefill and reply.lstrip().startswith(prompt.prefill.strip()) else prompt.prefill
            try:
                value = parse_reply(prefill, reply, prompt.output, prompt.integer_range)
                return LLMResult(value=value, raw=prefill + reply, attempts=attempt + 1, from_cache=all_cached)
            except ParseError as exc:
                if attempt == self.max_reasks:
                    self.account(stage, failures=1)
                    return LLMResult(raw=prefill + reply, error=f"unparseable reply after {attempt + 1} tries: {exc}", attempts=attempt + 1, from_cache=all_cached)
                self.account(stage, reasks=1)
                current = current.model_copy(
                    update={
                        "messages": current.messages
                        + [ChatMessage(role="assistant", content=prefill + reply), ChatMessage(role="user", content=REASK_TEMPLATE.format(error=exc, tag=prompt.output.tag))]
                    }
                )
        raise AssertionError("unreachable")

    def ask_many(self, jobs: Sequence[LLMJob], *, stage: str, desc: str | None = None, batch_state: str | Path | None = None) -> list[LLMResult]:
        """Run many jobs with bounded concurrency, results in job order. Jobs are submitted in the
        given order, so callers that group jobs by conversation keep local prefix caches warm.

        With batches on (see `uses_batches`), the uncached jobs first go through Message Batches;
        `batch_state` names the JSON state file that makes the wait resumable (default:
        `<batch_dir>/<stage>.json`; none: not resumable)."""
        batched: dict[str, Completion] = {}
        if self.uses_batches(stage):
            path = Path(batch_state) if batch_state is not None else state_path_for(self.batch_dir, stage)
            batched = run_batches(self, jobs, stage, desc, path)
        results: list[LLMResult | None] = [None] * len(jobs)
        bar = tqdm(total=len(jobs), desc=desc or stage, disable=not self.show_progress, unit="call")

        def run(index: int) -> None:
            job = jobs[index]
            results[index] = self._ask_counted(job.prompt, job.params, job.stage or stage, job.sample_index, batched)
            bar.update(1)

        try:
            if self.concurrency == 1:
                for i in range(len(jobs)):
                    run(i)
            else:
                with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                    for future in [pool.submit(run, i) for i in range(len(jobs))]:
                        future.result()
        finally:
            bar.close()
        return [r for r in results if r is not None]

    def uses_batches(self, stage: str) -> bool:
        b = self.batch
        return b is not None and self.backend.supports_batch and (b.stages is None or any(stage == p or stage.startswith(p + ".") for p in b.stages))
