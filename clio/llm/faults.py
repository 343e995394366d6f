"""Fault injection for the LLM gateway: a backend wrapper that makes some calls fail the way real
providers fail, so tests and `python -m evals.reliability` can show that a run survives them.

Selected from config (off by default):

    llm.faults: {rate: 0.3, seed: 0, kinds: [timeout, rate_limit, server_error, truncated, malformed, refusal, empty]}

Kinds
  timeout       TransientLLMError, as a client timeout                  -> the gateway retries
  rate_limit    TransientLLMError with retry_after (a 429)               -> retried after the hint
  server_error  TransientLLMError, as a 5xx                              -> retried with backoff
  truncated     the real reply cut in half, finish_reason "length"       -> parsed if usable, else re-asked
  malformed     junk (control/replacement characters, no tags)            -> re-asked
  refusal       "I'm sorry, but I can't help with that."                -> re-asked (parsing rejects refusals)
  empty         an empty reply                                            -> re-asked

The schedule is deterministic: whether a call is faulted, and how, depends only on the seed, the
call's content and how many times this wrapper has seen that same call. So a run is reproducible
whatever the thread interleaving, and a retried call draws again (a fault is not permanent unless
the rate is 1). The wrapper's identity includes the fault settings, so faulted replies are cached
apart from clean ones and can never be reused by a run without faults.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from clio.errors import ConfigError
from clio.llm.backends import Backend, Completion, SamplingParams, TransientLLMError
from clio.prompts import RenderedPrompt

TRANSIENT_KINDS = ("timeout", "rate_limit", "server_error")
REPLY_KINDS = ("truncated", "malformed", "refusal", "empty")
FAULT_KINDS = TRANSIENT_KINDS + REPLY_KINDS

# Junk a broken connection or decoder produces. (A fluent reply without tags is not injected: after
# a prefill that opens the answer tag, the parser accepts any continuation by design.)
MALFORMED_REPLIES = (
    '\ufffd\ufffd{"error": \x00',
    "<<<>>> ]]}}{{ \x00\ufffd",
    "\x1b[0m\x00\x00",
)
REFUSAL = "I'm sorry, but I can't help with that."


class FaultConfig(BaseModel):
    rate: float = Field(0.0, ge=0.0, le=1.0)  # share of backend calls that get a fault
    seed: int = 0
    kinds: list[str] = Field(default_factory=lambda: list(FAULT_KINDS))
    retry_after: float = 0.01  # seconds, sent with injected 429s (kept small: tests wait on it)
    limit: int | None = None  # stop after this many faults (1: exactly one fault, on the first call drawn)

    @field_validator("kinds")
    @classmethod
    def _known(cls, kinds: list[str]) -> list[str]:
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown or not kinds:
            raise ValueError(f"unknown fault kinds {unknown or kinds}; choose from {', '.join(FAULT_KINDS)}")
        return kinds


def fault_config(raw: Any) -> FaultConfig | None:
    """`llm.faults` from config -> FaultConfig, or None when off (null, {} or rate 0)."""
    if not raw:
        return None
    try:
        cfg = FaultConfig(**dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"llm.faults.{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return cfg if cfg.rate > 0 else None


class FaultInjectingBackend(Backend):
    """Wraps a backend; see the module docstring."""

    def __init__(self, inner: Backend, config: FaultConfig):
        self.inner, self.config = inner, config
        self.name, self.model = f"{inner.name}+faults", inner.model
        self.max_concurrency, self.supports_batch = inner.max_concurrency, False
        self.injected: Counter[str] = Counter()  # kind -> faults injected
        self.calls = 0  # calls received (faulted or not)
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def identity(self) -> dict[str, Any]:
        return {**self.inner.identity(), "faults": self.config.model_dump()}

    def _draw(self, prompt: RenderedPrompt, params: SamplingParams) -> str | None:
        call = json.dumps([[(m.role, m.content) for m in prompt.messages], prompt.prefill, repr(params)], ensure_ascii=False)
        with self._lock:
            self.calls += 1
            self._seen[call] += 1
            nth = self._seen[call]
        digest = hashlib.sha256(f"{self.config.seed}\x00{nth}\x00{call}".encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        if u >= self.config.rate:
            return None
        kind = self.config.kinds[digest[8] % len(self.config.kinds)]
        with self._lock:
            if self.config.limit is not None and sum(self.injected.values()) >= self.config.limit:
                return None
            self.injected[kind] += 1
        return kind

    def complete(self, prompt: RenderedPrompt, params: SamplingParams) -> Completion:
        kind = self._draw(prompt, params)
        if kind == "timeout":
            raise TransientLLMError("injected fault: request timed out")
        if kind == "rate_limit":
            raise TransientLLMError("injected fault: rate limited (429)", retry_after=self.config.retry_after)
        if kind == "server_error":
            raise TransientLLMError("injected fault: server error 503")
        if kind == "malformed":
            return Completion(text=MALFORMED_REPLIES[self.injected[kind] % len(MALFORMED_REPLIES)], finish_reason="stop")
        if kind == "refusal":
            return Completion(text=REFUSAL, finish_reason="stop")
        if kind == "empty":
            return Completion(text="", finish_reason="stop")
        completion = self.inner.complete(prompt, params)
        if kind == "truncated":
            cut = completion.text[: len(completion.text) // 2]
            return Completion(text=cut, input_tokens=completion.input_tokens, output_tokens=len(cut.split()), finish_reason="length")
        return completion
