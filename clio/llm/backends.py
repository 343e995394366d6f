"""Model providers. Only the gateway calls these; stages never do.

Each backend turns a RenderedPrompt (messages + an assistant prefill) into a Completion and maps
its provider's errors onto two kinds: TransientLLMError (retry with backoff) and ConfigError (stop
at once with one line: bad key, unknown model, missing package).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from clio.errors import ConfigError
from clio.prompts import OutputSpec, RenderedPrompt


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int = 200
    temperature: float = 0.2
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int = 0


@dataclass
class Completion:
    """One reply. `input_tokens` counts every prompt token, cached ones included; the cache_*
    fields say how many of them were read from / written to a provider's prompt cache."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    finish_reason: str | None = None


class TransientLLMError(Exception):
    """Worth retrying: timeouts, rate limits (429), server errors (5xx), dropped connections."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class BatchRequest:
    custom_id: str
    prompt: RenderedPrompt
    params: SamplingParams


def rule_of_thumb_tokens(text: str) -> int:
    """Four characters a token, at least one: the prompt budgets of backends without an offline
    tokenizer (`Backend.count_tokens`), and the estimator's budgets for them."""
    return max(1, -(-len(text) // 4))


class Backend(ABC):
    name: str = "abstract"
    model: str = ""
    max_concurrency: int = 4
    supports_batch: bool = False

    @abstractmethod
    def complete(self, prompt: RenderedPrompt, params: SamplingParams) -> Completion: ...

    def identity(self) -> dict[str, Any]:
        """Everything about the backend that can change an output; part of every cache key."""
        return {"backend": self.name, "model": self.model}

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model, to budget prompts. Backends without an offline
        tokenizer use the common rule of thumb of four characters a token."""
        return rule_of_thumb_tokens(text)

    # Bulk APIs (Anthropic Message Batches), used by the gateway only when `supports_batch`;
    # otherwise it makes online calls. Limits per batch, for the gateway to split by:
    max_batch_requests: int = 0
    max_batch_bytes: int = 0

    def batch_request_bytes(self, request: BatchRequest) -> int:
        """Size of one request in a batch's body, to keep each batch under `max_batch_bytes`."""
        raise NotImplementedError(f"{self.name} has no batch API")

    def submit_batch(self, requests: list[BatchRequest]) -> str:
        raise NotImplementedError(f"{self.name} has no batch API")

    def batch_status(self, batch_id: str) -> BatchStatus:
        raise NotImplementedError(f"{self.name} has no batch API")

    def batch_done(self, batch_id: str) -> bool:
        return self.batch_status(batch_id).ended

    def batch_results(self, batch_id: str) -> Iterator[tuple[str, Completion | Exception]]:
        """(custom_id, reply or the reason it has none), streamed as the provider sends them."""
        raise NotImplementedError(f"{self.name} has no batch API")


@dataclass
class BatchStatus:
    ended: bool
    counts: dict[str, int] = field(default_factory=dict)  # processing / succeeded / errored / canceled / expired


class BatchItemError(Exception):
    """A batch item without a reply (errored, expired, canceled): the gateway asks it online."""


class BatchLost(Exception):
    """The provider does not know a recorded batch (other key or workspace, results deleted)."""


# --------------------------------------------------------------------------- fake (tests only)


class FakeBackend(Backend):
    """Deterministic stand-in for unit tests of logic. Never a default of anything a user runs."""

    name = "fake"

    def __init__(self, responder: Callable[[RenderedPrompt], str] | list[str] | None = None, model: str = "fake-1"):
        self.model = model
        self._responder = responder
        self._queue = list(responder) if isinstance(responder, list) else None
        self.calls: list[RenderedPrompt] = []
        self._lock = threading.Lock()

    def complete(self, prompt: RenderedPrompt, params: SamplingParams) -> Completion:
        with self._lock:
            self.calls.append(prompt)
            if self._queue is not None:
                if not self._queue:
                    raise AssertionError("FakeBackend ran out of scripted replies")
                text = self._queue.pop(0)
            elif callable(self._responder):
                text = self._responder(prompt)
            else:
                text = " a fake answer.</answer>"
        return Completion(text=text, input_tokens=self.prompt_tokens(prompt), output_tokens=len(text.split()), finish_reason="stop")

    @staticmethod
    def prompt_tokens(prompt: RenderedPrompt) -> int:
        """Input tokens as the fake counts them (whitespace-separated words); the estimator uses it too."""
        return sum(len(m.content.split()) for m in prompt.messages)


# --------------------------------------------------------------------------- local (llama.cpp)


def _gbnf_for(spec: OutputSpec, integer_range: tuple[int, int], prefill: str = "") -> str:
    """A grammar that only admits a well-formed answer: shorter, faster and always parseable.
    It describes the continuation after the prefill (which may already open the first tag)."""
    close = f'"</{spec.tag}>"'
    if spec.kind == "integer":
        low, high = integer_range
        options = " | ".join(f'"{i}"' for i in range(low, high + 1))
        return f"root ::= ({options}) {close}"
    if spec.kind == "choice":
        options = " | ".join(f'"{o}"' for o in spec.options)
        return f"root ::= ({options}) {close}"
    if spec.kind == "tagged":
        parts = [f'"<{t}>" [^<\\n]+ "</{t}>" "\\n"?' for t in spec.tags]
        if prefill.rstrip().endswith(f"<{spec.tags[0]}>"):
            parts[0] = f'[^<\\n]+ "</{spec.tags[0]}>" "\\n"?'
        return "root ::= " + " ".join(parts)
    return f"root ::= [^<\\n]+ {close}"


def gguf_chat_formatter(llm: Any, path: str) -> tuple[Any, str]:
    """The chat formatter of a loaded GGUF model (its own template, BOS/EOS texts) and its EOS text;
    shared by the backend and the token estimator so both render prompts identically."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise ConfigError(f"{path}: GGUF has no chat template")

    def text_of(token: int) -> str:
        return llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    eos = text_of(llm.token_eos())
    bos = text_of(llm.token_bos()) if llm.token_bos() >= 0 else ""
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos), eos


def load_llama(owner: object, model_path: str, **kwargs: Any):
    """A llama.cpp model freed when `owner` goes, or at exit while llama_cpp's module is still intact
    (left to its own __del__ at interpreter teardown, it prints a TypeError wall)."""
    from llama_cpp import Llama

    quiet = contextlib.nullcontext()
    if kwargs.get("vocab_only"):  # the tokenizer alone (token counts before any call): llama.cpp still prints its header
        with contextlib.suppress(ImportError):  # a helper of llama-cpp-python, absent in some versions
            from llama_cpp._utils import suppress_stdout_stderr

            quiet = suppress_stdout_stderr(disable=False)
    with quiet:
        llm = Llama(model_path=model_path, verbose=False, **kwargs)
    weakref.finalize(owner, llm.close)
    return llm


class LocalLlamaBackend(Backend):
    """llama-cpp-python with a GGUF model shipped by a PyPI package: the offline default.

    One model instance on all cores, so calls are serialised. llama.cpp keeps the evaluated tokens
    of the previous call and reuses their longest common prefix, which is why the gateway orders
    facet calls by conversation and prompts put the conversation before the question."""

    name = "local"
    max_concurrency = 1

    def __init__(self, model: str, *, n_ctx: int = 4096, n_threads: int | None = None, seed: int = 0, use_grammar: bool = True, model_path: str | None = None):
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise ConfigError("local backend needs llama-cpp-python: run `make install` or `pip install -e '.[local]'`") from None
        from clio import model_assets

        self.model = model
        self.model_path = str(model_path or model_assets.gguf_path(model))
        self.n_ctx, self.n_threads, self.seed, self.use_grammar = n_ctx, n_threads or os.cpu_count() or 2, seed, use_grammar
        self._llm = None
        self._vocab = None  # tokenizer only (vocab_only=True), for count_tokens before any call
        self._formatter = None
        self._lock = threading.Lock()
        self._grammars: dict[str, Any] = {}

    def identity(self) -> dict[str, Any]:
        from clio import model_assets

        return {"backend": self.name, "model": model_assets.model_identity(self.model), "grammar": self.use_grammar, "n_ctx": self.n_ctx}

    def _load(self):
        if self._llm is None:
            self._llm = load_llama(self, self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads, seed=self.seed)
            self._formatter, self._eos_text = gguf_chat_formatter(self._llm, self.model_path)
        return self._llm

    def _tokenizer(self):
        """The loaded model, else its tokenizer alone (vocab_only=True: no weights), with the chat formatter."""
        if self._vocab is None:
            self._vocab = self._llm or load_llama(self, self.model_path, vocab_only=True)
        if self._formatter is None:
            self._formatter, self._eos_text = gguf_chat_formatter(self._vocab, self.model_path)
        return self._vocab

    def count_tokens(self, text: str) -> int:
        """The model's own token count: non-Latin scripts take several tokens a character, so a
        character budget would let a Georgian prompt cost four times an English one."""
        with self._lock:
            return len(self._tokenizer().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, prompt: RenderedPrompt) -> int:
        """Tokens of the chat-templated prompt plus its prefill, as `complete` counts them (llama.cpp
        reports the same); needs only the tokenizer, so the estimator counts with it before any call."""
        with self._lock:
            return self._count_prompt(self._tokenizer(), self.render(prompt))

    @staticmethod
    def _count_prompt(llm: Any, text: str) -> int:
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def render(self, prompt: RenderedPrompt) -> str:
        if self._formatter is None:
            self._load()
        messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
        formatted = self._formatter(messages=messages)
        return formatted.prompt + prompt.prefill

    def _grammar(self, prompt: RenderedPrompt):
        from llama_cpp import LlamaGrammar

        source = _gbnf_for(prompt.output, prompt.integer_range, prompt.prefill)
        if source not in self._grammars:
            self._grammars[source] = LlamaGrammar.from_string(source, verbose=False)
        return self._grammars[source]

    def complete(self, prompt: RenderedPrompt, params: SamplingParams) -> Completion:
        with self._lock:
            llm = self._load()
            text_prompt = self.render(prompt)
            n_prompt = self._count_prompt(llm, text_prompt)
            if n_prompt + params.max_tokens > self.n_ctx:
                raise ConfigError(f"prompt {prompt.name} has {n_prompt} tokens, too many for n_ctx={self.n_ctx}; lower transcript.max_chars")
            out = llm.create_completion(
                text_prompt,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p if params.top_p is not None else 0.95,
                stop=list(params.stop) + [self._eos_text],
                seed=params.seed,
                grammar=self._grammar(prompt) if self.use_grammar else None,
            )
        usage = out.get("usage", {})
        choice = out["choices"][0]
        return Completion(
            text=choice["text"],
            input_tokens=usage.get("prompt_tokens", n_prompt),
            output_tokens=usage.get("completion_tokens", 0),
            finish_reason=choice.get("finish_reason"),
        )


# --------------------------------------------------------------------------- openai-compatible


class OpenAICompatibleBackend(Backend):
    """OpenAI itself or any server speaking its API: vLLM, Ollama, llama.cpp's server."""

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY", max_concurrency: int = 8, timeout: float = 120.0, client: Any = None):
        import openai

        if client is None:
            key = os.environ.get(api_key_env)
            if not key and base_url is None:
                raise ConfigError(f"openai backend selected but {api_key_env} is not set (or set llm.base_url for a local server)")
            client = openai.OpenAI(api_key=key or "not-needed", base_url=base_url, timeout=timeout, max_retries=0)
        self.model, self.base_url, self.max_concurrency, self._key_env = model, base_url, max_concurrency, api_key_env
        self._openai = openai
        self._client = client

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "base_url": self.base_url}

    def complete(self, prompt: RenderedPrompt, params: SamplingParams) -> Completion:
        messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
        if prompt.prefill:
            # Chat APIs here cannot continue an assistant turn, so the prefill becomes an instruction.
            messages[-1] = {**messages[-1], "content": messages[-1]["content"] + f"\n\nBegin your reply with exactly: {prompt.prefill}"}
        o = self._openai
        try:
            # Unset parameters are left out, not sent as null: some servers speaking this API
            # (llama-cpp-python's) reject `"top_p": null` with a 500.
            optional = {"top_p": params.top_p, "stop": list(params.stop) or None, "seed": params.seed}
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                **{k: v for k, v in optional.items() if v is not None},
            )
        except (o.AuthenticationError, o.PermissionDeniedError, o.NotFoundError, o.BadRequestError) as exc:
            raise ConfigError(f"openai backend: {type(exc).__name__}: {exc.message if hasattr(exc, 'message') else exc}{_hint(exc, self._key_env)}") from None
        except o.RateLimitError as exc:
            raise TransientLLMError(f"rate limited (429){_where(exc)}", _retry_after(exc)) from exc
        except (o.APITimeoutError, o.APIConnectionError, o.InternalServerError) as exc:
            raise TransientLLMError(_describe(exc)) from exc
        except json.JSONDecodeError as exc:
            raise _not_json(exc) from exc
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage, "completion_tokens", 0) or 0,
            finish_reason=choice.finish_reason,
        )


def _not_json(exc: json.JSONDecodeError) -> TransientLLMError:
    # A 200 whose body is not JSON (a proxy's error page, a garbled reply): the SDKs let the
    # decoder's error through, which would end the run; it is worth a retry like a dropped connection.
    return TransientLLMError(f"reply body was not valid JSON ({exc.msg})")


def _where(exc: Exception) -> str:
    """' on POST /v1/messages': which call failed, for the one-line error a failed item records."""
    request = getattr(exc, "request", None)
    return f" on {request.method} {request.url.path}" if request is not None else ""


def _describe(exc: Exception) -> str:
    """An SDK error in one line: class, HTTP status, endpoint, and the transport's reason."""
    status = getattr(exc, "status_code", None)
    cause = exc.__cause__
    return f"{type(exc).__name__}{f' {status}' if status else ''}{_where(exc)}" + (f" ({type(cause).__name__})" if cause is not None else "")


def _hint(exc: Exception, key_env: str) -> str:
    """What to do about a configuration error."""
    if getattr(exc, "status_code", None) in (401, 403):
        return f"; check {key_env} (and llm.options.base_url)"
    if getattr(exc, "status_code", None) == 404:
        return "; check llm.model (and llm.options.base_url)"
    return ""


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- anthropic


class AnthropicBackend(Backend):
    """Production backend.

    Prompt caching: the system prompt and the shared start of the messages are marked with
    `cache_control`, so calls that repeat them pay 0.1x for the cached part (plus 1.25x once to
    write it). The shared start is the first user turn (the transcript, shared by every facet
    question about a conversation), or, when the prompt declares `cache_split`, the first user
    turn up to that text (e.g. the parent list in hierarchy_assign). Anthropic allows at most 4
    breakpoints per request (we use 2) and caches nothing below a minimum prefix length: 1024
    tokens for Sonnet 4/4.5 and Opus 4/4.1, 2048 for Haiku 3/3.5, 4096 for Haiku 4.5 and Opus
    4.5. Shorter prefixes are simply not cached (no error, no write charge).

    Message Batches (half price, results within 24 h) are driven by the gateway through
    submit_batch / batch_status / batch_results."""

    name = "anthropic"
    supports_batch = True
    max_batch_requests = 100_000
    max_batch_bytes = 256_000_000
    MAX_CACHE_BREAKPOINTS = 4

    def __init__(
        self, model: str, *, base_url: str | None = None, api_key_env: str = "ANTHROPIC_API_KEY", max_concurrency: int = 8, timeout: float = 120.0, prompt_caching: bool = True, client: Any = None
    ):
        import anthropic

        self._anthropic = anthropic
        if client is None:
            key = os.environ.get(api_key_env)
            if not key:
                raise ConfigError(f"anthropic backend selected but {api_key_env} is not set")
            # base_url: a gateway or proxy speaking the same API (None: the SDK's default, api.anthropic.com)
            client = anthropic.Anthropic(api_key=key, base_url=base_url, timeout=timeout, max_retries=0)
        self._client = client
        self.model, self.base_url, self.max_concurrency, self.prompt_caching, self._key_env = model, base_url, max_concurrency, prompt_caching, api_key_env

    def identity(self) -> dict[str, Any]:
        # No prompt_caching here: caching changes cost, never the reply. base_url only when set, so
        # the cache keys of runs against the default endpoint stay as they were.
        return {"backend": self.name, "model": self.model, **({"base_url": self.base_url} if self.base_url else {})}

    def request_params(self, prompt: RenderedPrompt, params: SamplingParams) -> dict[str, Any]:
        """The JSON body of one Messages API request (online and in batches alike)."""
        cache = {"type": "ephemeral"}
        system = [m.content for m in prompt.messages if m.role == "system"]
        turns: list[dict[str, Any]] = []
        for m in prompt.messages:
            if m.role != "system":
                turns.append({"role": m.role, "content": [{"type": "text", "text": m.content}]})
        if self.prompt_caching and turns:
            first = turns[0]["content"]
            head, marker, tail = first[0]["text"].partition(prompt.cache_split) if prompt.cache_split else ("", "", "")
            if marker and tail:
                # Two text blocks, the same text: the shared head is cached, the per-call tail is not.
                first[:] = [{"type": "text", "text": head + marker, "cache_control": cache}, {"type": "text", "text": tail}]
            else:
                # The whole first user turn (the transcript), shared by every facet of a conversation.
                first[-1]["cache_control"] = cache
        if prompt.prefill:
            turns.append({"role": "assistant", "content": prompt.prefill})
        body: dict[str, Any] = {"model": self.model, "max_tokens": params.max_tokens, "messages": turns, "temperature": params.temperature}
        if system:
            body["system"] = [{"type": "text", "text": "\n\n".join(system)}]
            if self.prompt_caching:
                # Only pays off where the system prompt alone passes the minimum length, but costs
                # nothing otherwise, and keeps the system prompt cached when the turns differ.
                body["system"][0]["cache_control"] = cache
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop_sequences"] = list(params.stop)
        assert _count_breakpoints(body) <= self.MAX_CACHE_BREAKPOINTS
        return body

    def _map_error(self, exc: Exception) -> Exception:
        a = self._anthropic
        if isinstance(exc, (a.AuthenticationError, a.PermissionDeniedError, a.NotFoundError, a.BadRequestError)):
            return ConfigError(f"anthropic backend: {type(exc).__name__}: {getattr(exc, 'message', exc)}{_hint(exc, self._key_env)}")
        if isinstance(exc, a.RateLimitError):
            return TransientLLMError(f"rate limited (429){_where(exc)}", _retry_after(exc))
        if isinstance(exc, (a.APITimeoutError, a.APIConnectionError, a.InternalServerError)):
            return TransientLLMError(_describe(exc))
        if isinstance(exc, a.APIStatusError) and getattr(exc, "status_code", 0) >= 500:
            return TransientLLMError(_describe(exc))
        if isinstance(exc, json.JSONDecodeError):
            return _not_json(exc)
        if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore"):
            # The SDK wraps transport errors only until the reply starts; one raised while a
            # streamed body (batch results) is read comes through raw, and would end the run.
            return TransientLLMError(f"connection dropped while reading the reply ({type(exc).__name__})")
        return exc

    @staticmethod
    def _completion(message: Any) -> Completion:
        text = "".join(getattr(block, "text", "") for block in message.content)
        usage = message.usage
        read = getattr(usage, "cache_read_input_tokens", 0) or 0
        written = getattr(usage, "cache_creation_input_tokens", 0) or 0
        return Completion(
            text=text,
            # Anthropic's input_tokens leaves out the cached part; ours counts the whole prompt.
            input_tokens=(getattr(usage, "input_tokens", 0) or 0) + read + written,
            output_tokens=getattr(usage, "output_tokens", 0) or 0,
            cache_read_tokens=read,
            cache_write_tokens=written,
            finish_reason=getattr(message, "stop_reason", None),
        )

    def complete(self, prompt: RenderedPrompt, params: SamplingParams) -> Completion:
        body = self.request_params(prompt, params)
        # SDK 2.12's messages.create has no temperature/top_p arguments: they go as extra body.
        extra = {k: body.pop(k) for k in ("temperature", "top_p") if k in body}
        try:
            message = self._client.messages.create(**body, extra_body=extra or None)
        except Exception as exc:  # mapped to our two kinds; anything else propagates unchanged
            raise self._map_error(exc) from exc
        return self._completion(message)

    # ------------------------------------------------------------------ Message Batches
    def _entry(self, r: BatchRequest) -> dict[str, Any]:
        return {"custom_id": r.custom_id, "params": self.request_params(r.prompt, r.params)}

    def batch_request_bytes(self, request: BatchRequest) -> int:
        return len(json.dumps(self._entry(request), ensure_ascii=False).encode("utf-8")) + 1

    def submit_batch(self, requests: list[BatchRequest]) -> str:
        try:
            batch = self._client.messages.batches.create(requests=[self._entry(r) for r in requests])
        except Exception as exc:
            raise self._map_error(exc) from exc
        return batch.id

    def batch_status(self, batch_id: str) -> BatchStatus:
        try:
            batch = self._client.messages.batches.retrieve(batch_id)
        except self._anthropic.NotFoundError as exc:
            raise BatchLost(f"batch {batch_id} not found") from exc
        except Exception as exc:
            raise self._map_error(exc) from exc
        counts = batch.request_counts.model_dump() if batch.request_counts is not None else {}
        return BatchStatus(ended=batch.processing_status == "ended", counts={k: int(v or 0) for k, v in counts.items()})

    def batch_results(self, batch_id: str) -> Iterator[tuple[str, Completion | Exception]]:
        try:
            # JSONL from the batch's results_url, one line per request, in no particular order.
            for entry in self._client.messages.batches.results(batch_id):
                yield entry.custom_id, self._outcome(entry.result)
        except self._anthropic.NotFoundError as exc:
            raise BatchLost(f"results of batch {batch_id} not found") from exc
        except Exception as exc:  # a dropped stream is transient: the gateway fetches it again
            raise self._map_error(exc) from exc

    def _outcome(self, result: Any) -> Completion | Exception:
        if result.type == "succeeded":
            return self._completion(result.message)
        if result.type == "errored":
            error = getattr(getattr(result, "error", None), "error", None)
            return BatchItemError(f"batch item errored: {getattr(error, 'type', '?')}: {getattr(error, 'message', '')}")
        return BatchItemError(f"batch item {result.type}")  # expired (not run within 24 h) or canceled


def _count_breakpoints(body: dict[str, Any]) -> int:
    blocks = list(body.get("system") or [])
    for turn in body["messages"]:
        if isinstance(turn["content"], list):
            blocks += turn["content"]
    return sum("cache_control" in b for b in blocks)


class NoClient:
    """The SDK client of an API backend in replay mode (llm.replay): replies come from the response
    cache only, so no key is needed and any use of the client is a bug."""

    def __getattr__(self, name: str) -> Any:
        raise ConfigError("replay mode (llm.replay=true) never calls the provider")


def make_backend(backend: str, model: str, **options: Any) -> Backend:
    if backend == "local":
        return LocalLlamaBackend(model, **options)
    if backend == "anthropic":
        return AnthropicBackend(model, **options)
    if backend == "openai":
        return OpenAICompatibleBackend(model, **options)
    if backend == "fake":
        return FakeBackend(model=model)
    raise ConfigError(f"unknown llm backend '{backend}' (choose local, anthropic, openai or fake)")
