"""Cost estimate before a run: `clio estimate` (a dry run) and the estimate a run stores in its
manifest next to the tokens it actually used.

Nothing is sent to a model. Per stage the estimator counts calls and input/output tokens:

- screen, facets: the real prompts of every sampled conversation, rendered exactly as the stages
  render them (`clio.facets.render_job`, transcripts from `clio.transcript`). Above
  `estimate.max_render` conversations a seeded random subset is rendered and scaled.
- naming, privacy auditor, hierarchy: their prompts hold summaries and names that do not exist
  before the facets run. The estimator follows the stages' own logic for the number of calls
  (k from `clustering`, the hierarchizer's geometric level plan, neighbourhoods, dedupe rule,
  one assignment per child, one rename per parent) and renders the real templates with
  placeholder texts of the expected length (the mean measured in the response cache, else a
  stated fallback), cut by the same per-list budgets (`fit_examples`, `max_chars`).

Input tokens are counted with the configured model's tokenizer where one exists offline: for the
local backend, llama.cpp's tokenizer loaded with `vocab_only=True` (no weights) on the
chat-templated text, exactly as `LocalLlamaBackend` counts. The API providers have no offline
tokenizer, so their counts use the providers' documented characters-per-token rules of thumb
(`CHARS_PER_TOKEN`) plus a few tokens of framing per message; non-English text and code take more
tokens per character, so treat those figures as approximate.

Output tokens come from an expected-output model per prompt name: the mean of the replies stored
in the response cache (per listed name for the hierarchy's list prompts), else a share of the
call's max_tokens; the table says which was used. Re-asks add `estimate.reask_rate` extra calls per
call (measured in earlier manifests of the same backend and model when not set, else 0).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from clio import resources
from clio.errors import ClioError, ConfigError
from clio.prompts import RenderedPrompt, load_prompt

CONF_DIR = resources.CONF_DIR

# Documented rules of thumb (no offline tokenizer for these providers):
# Anthropic glossary: "for Claude, a token approximately represents 3.5 English characters";
# OpenAI help centre ("What are tokens and how to count them"): "1 token ~= 4 chars in English".
CHARS_PER_TOKEN = {"anthropic": 3.5, "openai": 4.0}
RATIO_SOURCES = {
    "anthropic": "3.5 characters per token (Anthropic's documented rule of thumb for English)",
    "openai": "4 characters per token (OpenAI's documented rule of thumb for English)",
}
# Chat framing per message (role markers), and priming of the reply: OpenAI's cookbook counts 3 + 3.
MESSAGE_OVERHEAD_TOKENS = 3
# Neutral English prose for placeholder summaries and names of a given length.
FILLER = (
    "Users asked for help writing and debugging a short program that reads a data file, checks each "
    "record and reports the errors it finds in plain language, then asked how to explain the results "
    "to colleagues and which steps to automate next. "
)
# When the cache has no replies to measure (stated in the output).
FALLBACK_NAME_CHARS = 60
FALLBACK_DESCRIPTION_CHARS = 240
LIST_PROMPTS = ("hierarchy_propose", "hierarchy_dedupe")


# =========================================================================== options


def default_config() -> DictConfig:
    """The root config with no overrides, composed through Hydra."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config")


def options_for(cfg: DictConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """The config's `estimate` node (conf/config.yaml), then overrides. A config without one (a
    run folder's stored config from before it was there) gets the root config's defaults."""
    node = cfg.get("estimate") if cfg is not None else None
    if node is None:
        node = default_config().estimate
    out = OmegaConf.to_container(node, resolve=True)
    out.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("output_share", "screen_pass_share", "privacy_keep_share", "hybrid_llm_share"):
        if not 0 <= float(out[key]) <= 1:
            raise ConfigError(f"estimate.{key}={out[key]} must be between 0 and 1")
    if out["reask_rate"] is not None and float(out["reask_rate"]) < 0:
        raise ConfigError(f"estimate.reask_rate={out['reask_rate']} must be at least 0")
    if out["output"] not in ("cache", "max_tokens"):
        raise ConfigError(f"estimate.output must be 'cache' or 'max_tokens', not '{out['output']}'")
    return out


# =========================================================================== token counters


class TokenCounter:
    kind = "ratio"  # tokenizer | ratio | words
    description = ""
    short = ""

    def prompt_tokens(self, prompt: RenderedPrompt) -> int:
        raise NotImplementedError

    def text_tokens(self, text: str) -> int:
        raise NotImplementedError

    def chars_to_tokens(self, chars: float) -> float:
        return chars / 4.0


class RatioCounter(TokenCounter):
    kind = "ratio"

    def __init__(self, chars_per_token: float, description: str):
        self.chars_per_token, self.description = chars_per_token, description
        self.short = f"{chars_per_token:g} chars/token"

    def text_tokens(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token) if text else 0

    def chars_to_tokens(self, chars: float) -> float:
        return chars / self.chars_per_token

    def prompt_tokens(self, prompt: RenderedPrompt) -> int:
        body = sum(self.text_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in prompt.messages)
        return body + MESSAGE_OVERHEAD_TOKENS + self.text_tokens(prompt.prefill)


class WordCounter(TokenCounter):
    """The fake backend's own accounting (whitespace-separated words), for tests."""

    kind = "words"
    description = "words, as the fake backend counts"
    short = "words"

    def text_tokens(self, text: str) -> int:
        return len(text.split())

    def chars_to_tokens(self, chars: float) -> float:
        return chars / 6.0

    def prompt_tokens(self, prompt: RenderedPrompt) -> int:
        return sum(len(m.content.split()) for m in prompt.messages)


class LlamaVocabCounter(TokenCounter):
    """llama.cpp's tokenizer without the weights (`vocab_only=True`), on the chat-templated text
    plus the prefill: the same count `LocalLlamaBackend` reports as prompt tokens."""

    kind = "tokenizer"

    def __init__(self, model: str, model_path: str | None = None):
        from clio import model_assets
        from clio.llm.backends import gguf_chat_formatter, load_llama

        path = str(model_path or model_assets.gguf_path(model))
        try:
            from llama_cpp._utils import suppress_stdout_stderr
        except ImportError:  # pragma: no cover - older/newer llama-cpp-python
            suppress_stdout_stderr = None
        if suppress_stdout_stderr is not None:
            with suppress_stdout_stderr(disable=False):
                self._llm = load_llama(self, path, vocab_only=True)
        else:  # pragma: no cover
            self._llm = load_llama(self, path, vocab_only=True)
        self._formatter, _ = gguf_chat_formatter(self._llm, path)
        self.description = f"llama.cpp tokenizer of {model} (vocab only, chat template applied)"
        self.short = "model tokenizer"
        self._chars_per_token = 4.0

    def prompt_tokens(self, prompt: RenderedPrompt) -> int:
        text = self._formatter(messages=[{"role": m.role, "content": m.content} for m in prompt.messages]).prompt + prompt.prefill
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def text_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

    def chars_to_tokens(self, chars: float) -> float:
        return chars / self._chars_per_token


@lru_cache(maxsize=8)
def _llama_counter(model: str) -> LlamaVocabCounter:
    return LlamaVocabCounter(model)


def make_counter(llm: Any) -> TokenCounter:
    """The token counter for an `llm` config node: the local model's own tokenizer when it can be
    loaded, else (and for API backends) a documented characters-per-token ratio."""
    backend = str(llm.backend)
    if backend == "local":
        try:
            return _llama_counter(str(llm.model))
        except Exception as exc:  # no llama-cpp-python, or the model is not installed
            why = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return RatioCounter(4.0, f"4 characters per token (the local tokenizer could not be loaded: {why})")
    if backend in CHARS_PER_TOKEN:
        return RatioCounter(CHARS_PER_TOKEN[backend], RATIO_SOURCES[backend])
    if backend == "fake":
        return WordCounter()
    raise ConfigError(f"unknown llm backend '{backend}' (choose local, anthropic, openai or fake)")


def supports_batch(backend: str) -> bool:
    from clio.llm import backends

    classes = {"local": backends.LocalLlamaBackend, "anthropic": backends.AnthropicBackend, "openai": backends.OpenAICompatibleBackend, "fake": backends.FakeBackend}
    cls = classes.get(backend)
    return bool(cls and cls.supports_batch)


# =========================================================================== expected outputs


def _prompt_name(ref: str) -> str:
    return ref.split("@", 1)[0]


@dataclass
class _Measured:
    tokens: list[int] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    names: list[int] = field(default_factory=list)  # list prompts: names per reply
    failed: int = 0  # replies the parser rejects: each one was re-asked (or became a failure)
    name_chars: list[int] = field(default_factory=list)
    description_chars: list[int] = field(default_factory=list)


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


@lru_cache(maxsize=64)
def _parse_setup(prompt_name: str):
    """(prefill up to its first variable, output spec) of a prompt file, or None."""
    try:
        template = load_prompt(prompt_name)
    except ConfigError:
        return None
    output = template.output
    if prompt_name == "facet_open":  # summary facets keep the whole sentences that fit (FacetSpec.overflow)
        output = output.model_copy(update={"overflow": "cut_sentence"})
    return template.prefill.split("{{", 1)[0].split("{%", 1)[0], output


def _parses(prompt_name: str, text: str) -> bool:
    from clio.llm.parsing import ParseError, parse_reply

    setup = _parse_setup(prompt_name)
    if setup is None:
        return True
    prefill, output = setup
    try:
        parse_reply(prefill, text, output)
    except ParseError:
        return False
    return True


class OutputModel:
    """Expected output tokens per prompt name, from the replies in the response cache.

    The cache stores completions by key with their prompt's name and version; all versions of a
    prompt name are pooled, and replies from every backend that filled the cache count (the cache
    does not say which). `exclude_keys` leaves out given entries (the accuracy benchmark leaves
    out the run it checks, so the estimate does not see the answers)."""

    def __init__(self, cache_path: str | Path | None = None, *, exclude_keys: Iterable[str] = (), share: float = 0.5, use_cache: bool = True, min_samples: int = 3, per_prompt: int = 5000):
        self.share, self.min_samples, self.per_prompt = share, min_samples, per_prompt
        self.stats: dict[str, _Measured] = defaultdict(_Measured)
        self.source = "no response cache"
        if use_cache and cache_path and Path(cache_path).is_file():
            self._read(Path(cache_path), set(exclude_keys))
            self.source = f"response cache {cache_path}"
        elif not use_cache:
            self.source = "max_tokens share (estimate.output=max_tokens)"

    def _read(self, path: Path, exclude: set[str]) -> None:
        from clio.hierarchy import parse_name_list

        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            # the newest replies of each prompt version suffice (a big cache holds millions)
            rows = db.execute(
                "SELECT key, prompt, completion FROM (SELECT key, prompt, completion, ROW_NUMBER() OVER (PARTITION BY prompt ORDER BY created DESC) AS n FROM responses) WHERE n <= ?",
                (self.per_prompt,),
            ).fetchall()
            db.close()
        except sqlite3.Error:
            return
        for key, ref, raw in rows:
            if key in exclude:
                continue
            try:
                completion = json.loads(raw)
            except ValueError:
                continue
            name, text = _prompt_name(ref or ""), str(completion.get("text") or "")
            m = self.stats[name]
            m.failed += int(not _parses(name, text))
            m.tokens.append(int(completion.get("output_tokens") or 0))
            m.chars.append(len(text.strip()))
            if name in LIST_PROMPTS:
                m.names.append(len(parse_name_list(text.split("</answer>")[0])))
            match = re.match(r"(.*?)</summary>\s*<name>(.*?)(?:</name>|$)", text, re.S)
            if match:
                m.description_chars.append(len(re.sub(r"\s+", " ", match.group(1)).strip()))
                m.name_chars.append(len(re.sub(r"\s+", " ", match.group(2)).strip()))

    def _enough(self, values: Sequence[Any]) -> bool:
        return len(values) >= self.min_samples

    def reask_rate(self, prompt_name: str) -> tuple[float, int] | None:
        """(share of cached replies of this prompt the parser rejects, replies), when measured."""
        m = self.stats.get(prompt_name)
        if m is None or not self._enough(m.tokens):
            return None
        return m.failed / len(m.tokens), len(m.tokens)

    def names_per_reply(self) -> float | None:
        """Mean names in the cached replies of the hierarchy's list prompts (propose, dedupe)."""
        # replies with no readable name are left out: the hierarchizer then falls back to as many
        # cluster names as it asked for
        counts = [n for p in LIST_PROMPTS if p in self.stats for n in self.stats[p].names if n > 0]
        return float(np.mean(counts)) if len(counts) >= self.min_samples else None

    def expected(self, prompt: RenderedPrompt, max_tokens: int, counter: TokenCounter, names: int | None = None) -> tuple[float, str]:
        """(expected output tokens of one call, where the figure comes from)."""
        use_tokens = counter.kind in ("tokenizer", "words")
        if names is not None and prompt.name in LIST_PROMPTS:
            # The list prompts (propose, dedupe) share one reply format, a numbered list of names:
            # tokens per listed name x the names asked for, or fewer where their cached replies
            # held fewer names on average (a model that lists less than it is asked for).
            pooled = [(t, c, k) for p in LIST_PROMPTS if p in self.stats for t, c, k in zip(self.stats[p].tokens, self.stats[p].chars, self.stats[p].names) if k > 0]
            if len(pooled) >= self.min_samples:
                spent = sum(t for t, _, _ in pooled) if use_tokens else counter.chars_to_tokens(sum(c for _, c, _ in pooled))
                per_name = spent / sum(k for _, _, k in pooled)
                listed = min(float(names), self.names_per_reply() or float(names))
                return min(max_tokens, per_name * listed), f"cache: {per_name:.1f}/name x {listed:.1f} names"
        m = self.stats.get(prompt.name)
        if m is not None and self._enough(m.tokens):
            value = _mean(m.tokens) if use_tokens else counter.chars_to_tokens(_mean(m.chars) or 0.0)
            return min(max_tokens, value or 0.0), f"cache: mean of {len(m.tokens)}"
        kind = prompt.output.kind
        if kind == "integer":
            return float(counter.text_tokens(f"{prompt.output.high_var or 5}</{prompt.output.tag}>")), "one number"
        if kind == "choice" and prompt.output.options:
            longest = max(prompt.output.options, key=len)
            return float(counter.text_tokens(f"{longest}</{prompt.output.tag}>")), "one option"
        return self.share * max_tokens, f"{self.share:g} x max_tokens"

    # ---------------------------------------------------------------- texts in later prompts
    def summary_chars(self, prompt_name: str, fallback_tokens: float) -> tuple[float, str]:
        m = self.stats.get(prompt_name)
        if m is not None and self._enough(m.chars):
            return _mean(m.chars) or 0.0, f"mean of {len(m.chars)} cached {prompt_name} replies"
        return fallback_tokens * 4.0, f"{fallback_tokens:.0f} expected tokens x 4 characters"

    def name_lengths(self, prompt_name: str) -> tuple[float, float, str]:
        m = self.stats.get(prompt_name)
        if m is not None and self._enough(m.name_chars):
            return _mean(m.name_chars) or 0.0, _mean(m.description_chars) or 0.0, f"mean of {len(m.name_chars)} cached {prompt_name} replies"
        return FALLBACK_NAME_CHARS, FALLBACK_DESCRIPTION_CHARS, f"fallback {FALLBACK_NAME_CHARS}/{FALLBACK_DESCRIPTION_CHARS} characters"

    def list_name_chars(self) -> tuple[float, str]:
        names = sum(sum(self.stats[p].names) for p in LIST_PROMPTS if p in self.stats)
        chars = sum(sum(self.stats[p].chars) for p in LIST_PROMPTS if p in self.stats)
        if names >= self.min_samples:
            return chars / names, f"mean of {names} cached proposed names"
        return FALLBACK_NAME_CHARS, f"fallback {FALLBACK_NAME_CHARS} characters"


def _reask_rates(cfg: DictConfig, opts: dict[str, Any], outputs: OutputModel, exclude_runs: Iterable[str | Path]) -> Reask:
    """Expected re-asks per call of a prompt: estimate.reask_rate when set; else the share of the
    prompt's cached replies that the parser rejects (each of those was re-asked); else the rate
    in earlier manifests of the same backend and model; else 0."""
    if opts["reask_rate"] is not None:
        fixed = float(opts["reask_rate"])
        return lambda name: (fixed, f"{fixed:.1%} (estimate.reask_rate)")
    fallback: list[tuple[float, str]] = []

    def rate(name: str) -> tuple[float, str]:
        measured = outputs.reask_rate(name)
        if measured is not None:
            share, n = measured
            return share, f"{share:.1%} of {n} cached replies rejected"
        if not fallback:
            fallback.append(measured_reask_rate(cfg.run.root, str(cfg.llm.backend), str(cfg.llm.model), exclude_runs))
        return fallback[0][0], fallback[0][1]

    return rate


def measured_reask_rate(run_root: str | Path, backend: str, model: str, exclude: Iterable[str | Path] = ()) -> tuple[float, str]:
    """Re-asks per computed call in earlier runs' manifests with the same backend and model."""
    excluded = {Path(p).resolve() for p in exclude}
    calls = reasks = runs = 0
    for path in sorted(Path(run_root).glob("*/manifest.json")):
        if path.parent.resolve() in excluded:
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            llm = manifest["config"]["llm"]
            per_stage = manifest["llm_usage"]["per_stage"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if llm.get("backend") != backend or llm.get("model") != model:
            continue
        c = sum(int(u.get("calls", 0)) for u in per_stage.values())
        if c:
            calls, reasks, runs = calls + c, reasks + sum(int(u.get("reasks", 0)) for u in per_stage.values()), runs + 1
    if not calls:
        return 0.0, "0 (nothing measured)"
    return reasks / calls, f"{reasks / calls:.1%}: {reasks} re-asks in {calls} calls of {runs} earlier run(s)"


# =========================================================================== placeholders


def filler(chars: float, offset: int = 0) -> str:
    """Neutral English prose of about `chars` characters (placeholder summaries and names)."""
    n = max(1, int(round(chars)))
    start = (offset * 37) % len(FILLER)
    text = (FILLER * (n // len(FILLER) + 2))[start : start + n]
    return re.sub(r"\s+", " ", text).strip() or "x"


# =========================================================================== accumulation


@dataclass
class StageEstimate:
    calls: float = 0.0  # first attempts
    reasks: float = 0.0  # expected extra calls
    input_tokens: float = 0.0  # re-asks included
    output_tokens: float = 0.0
    output_from: set[str] = field(default_factory=set)
    reasks_from: set[str] = field(default_factory=set)


# The re-ask turn the gateway appends (clio.llm.gateway.REASK_TEMPLATE, about 40 tokens) plus the
# chat framing of the two added messages.
REASK_EXTRA_TOKENS = 50

Reask = Callable[[str], tuple[float, str]]


class _Tally:
    """Accumulates calls and tokens per stage. A re-ask is one more call whose prompt is the
    original one plus the rejected reply and the re-ask turn."""

    def __init__(self, counter: TokenCounter, outputs: OutputModel, reask: Reask):
        self.counter, self.outputs, self.reask = counter, outputs, reask
        self.stages: dict[str, StageEstimate] = {}

    def add(self, stage: str, prompt: RenderedPrompt, max_tokens: int, times: float = 1.0, names: int | None = None) -> None:
        if times <= 0:
            return
        out, source = self.outputs.expected(prompt, max_tokens, self.counter, names)
        n_in = self.counter.prompt_tokens(prompt)
        rate, rate_from = self.reask(prompt.name)
        extra = times * rate
        s = self.stages.setdefault(stage, StageEstimate())
        s.calls += times
        s.reasks += extra
        s.input_tokens += times * n_in + extra * (n_in + out + REASK_EXTRA_TOKENS)
        s.output_tokens += (times + extra) * out
        s.output_from.add(source)
        s.reasks_from.add(rate_from)


# =========================================================================== the hierarchy plan


@dataclass
class LevelPlan:
    level: int
    children: int
    target: int
    low: int
    high: int
    neighbourhoods: list[int]  # children per neighbourhood (one propose call each)
    desired: list[int]  # names asked of each propose call
    dedupe: list[tuple[int, int]]  # (names shown, names asked) per dedupe call
    parents: int  # after dedupe and the count fit
    renamed: int  # parents that receive a child (one rename call each)


def expected_min(cap: int, mean_size: float) -> float:
    """E[min(cap, X)] for cluster sizes X geometric on 1, 2, ... with the given mean."""
    if cap <= 0:
        return 0.0
    if mean_size <= 1:
        return 1.0
    q = 1.0 - 1.0 / mean_size  # P(X > x) = q^x
    return (1.0 - q**cap) / (1.0 - q)


def _bracket(x: float) -> list[tuple[int, float]]:
    """Integer counts around x with weights that average to x (prompts are rendered for whole
    numbers of examples; their tokens are interpolated)."""
    low = max(1, math.floor(x))
    frac = x - low
    return [(low, 1.0)] if frac <= 1e-9 else [(low, 1.0 - frac), (low + 1, frac)]


def _split(n: int, k: int) -> list[int]:
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def plan_hierarchy(
    n_base: int,
    top_k: int,
    levels: int | None = None,
    neighbourhood_size: int = 40,
    *,
    branching: float = 8.0,
    max_extra_levels: int = 5,
    always_dedupe: bool = False,
    dedupe_max_names: int = 120,
    names_per_reply: float | None = None,
) -> list[LevelPlan]:
    """The calls `Hierarchizer.fit` makes for `n_base` base clusters, assuming k-means
    neighbourhoods of equal size and a model that lists the number of names it is asked for, or
    at most `names_per_reply` (a model measured to list fewer). Follows the hierarchizer's own
    rules: plan_level_sizes, level_range, the one-neighbourhood dedupe skip, dedupe chunks of at
    most dedupe_max_names, the [low, high] count fit, and every parent receiving a child."""
    cap = float("inf") if names_per_reply is None else max(1.0, names_per_reply)
    from clio.hierarchy import level_range, plan_level_sizes

    plan = plan_level_sizes(n_base, top_k, levels, branching)
    top_high = max(1, int(1.5 * top_k))
    out: list[LevelPlan] = []
    n_now, level, extra = n_base, 0, 0
    while True:
        level += 1
        if level < len(plan):
            target = plan[level]
            if levels is None and n_now <= top_high:
                break
        elif levels is None and n_now > top_high and extra < max_extra_levels:
            target, extra = top_k, extra + 1
        else:
            break
        if n_now <= 1:
            break
        target = max(1, min(target, n_now - 1))
        low, high = level_range(target, n_now)
        if levels is not None and level < levels - 1:
            low = max(low, min(2, high))
        k = max(1, round(n_now / neighbourhood_size))
        sizes = _split(n_now, k)
        desired = [max(1, round(target * s / n_now)) for s in sizes]
        candidates = max(1, round(sum(min(d, cap) for d in desired)))
        dedupe: list[tuple[int, int]] = []
        if not (k == 1 and low <= candidates <= high and not always_dedupe):
            if candidates <= dedupe_max_names:
                dedupe = [(candidates, target)]
            else:
                chunks = _split(candidates, math.ceil(candidates / dedupe_max_names))
                dedupe = [(c, max(1, round(target * c / candidates))) for c in chunks]
        merged = round(sum(min(d, cap) for _, d in dedupe)) if dedupe else candidates
        parents = min(max(merged, low), high)
        renamed = min(parents, n_now)
        out.append(LevelPlan(level, n_now, target, low, high, sizes, desired, dedupe, parents, renamed))
        n_now = renamed
    return out


# =========================================================================== rendering

# Jinja compiles a template on every render (about 20 ms here); facet prompts differ only in the
# transcript, so each is rendered once with this sentinel and the transcript put in its place.
# Jinja inserts the variable verbatim (no autoescape), so the result is the same text
# (tests/test_estimate.py checks it against `render_job`).
_SENTINEL = "\x00clio-estimate-transcript\x00"


def _substitute(prompt: RenderedPrompt, text: str) -> RenderedPrompt:
    messages = [m.model_copy(update={"content": m.content.replace(_SENTINEL, text)}) for m in prompt.messages]
    return prompt.model_copy(update={"messages": messages, "prefill": prompt.prefill.replace(_SENTINEL, text)})


@lru_cache(maxsize=64)
def _facet_template_job(spec_json: str):
    from clio.facets import FacetSpec, render_job
    from clio.transcript import Transcript

    spec = FacetSpec.model_validate_json(spec_json)
    return render_job(spec, Transcript(text=_SENTINEL, truncated=False, original_chars=0, omitted_chars=0))


def render_facet_job(spec: Any, transcript: Any):
    """The facets stage's job for one transcript (`clio.facets.render_job`), rendered fast."""
    job = _facet_template_job(spec.model_dump_json())
    return type(job)(prompt=_substitute(job.prompt, transcript.text), params=job.params, sample_index=job.sample_index, stage=job.stage)


# =========================================================================== the estimate


def _cfg(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def load_sample(cfg: DictConfig):
    """The conversations `clio run` would load and sample (no run folder is touched)."""
    from clio.loaders import load_conversations
    from clio.sampling import sample

    data = cfg.data
    loaded = load_conversations(data.source, format=data.format, on_error=data.on_error)
    if not loaded.conversations:
        raise ClioError(f"{data.source}: no conversations could be loaded ({loaded.n_skipped} skipped)")
    return sample(loaded.conversations, data.sample.strategy, data.sample.n, data.sample.seed)


def estimate_run(
    cfg: DictConfig,
    conversations: Sequence[Any] | None = None,
    *,
    upto: str = "run",
    counter: TokenCounter | None = None,
    outputs: OutputModel | None = None,
    options: dict[str, Any] | None = None,
    exclude_runs: Iterable[str | Path] = (),
) -> dict[str, Any]:
    """Expected calls, tokens and cost per stage of `clio run` (upto="run") or `clio facets`
    (upto="facets") for this config. Conversations are loaded and sampled as the run would when
    not given."""
    from clio.facets import TranscriptConfig
    from clio.transcript import render_transcript

    opts = options or options_for(cfg)
    llm = cfg.llm
    counter = counter or make_counter(llm)
    outputs = outputs or OutputModel(cfg.cache.llm if opts["output"] == "cache" else None, share=float(opts["output_share"]), use_cache=opts["output"] == "cache", min_samples=int(opts["min_samples"]))
    if conversations is None:
        conversations = load_sample(cfg)
    conversations = list(conversations)
    tally = _Tally(counter, outputs, _reask_rates(cfg, opts, outputs, exclude_runs))
    notes: list[str] = []
    n_sampled = len(conversations)

    # ---------------------------------------------------------------- screen + facets (rendered)
    transcript_cfg = TranscriptConfig(**_cfg(cfg.facets.transcript))
    rendered = conversations
    if n_sampled > int(opts["max_render"]):
        rng = np.random.default_rng(0)
        rendered = [conversations[i] for i in sorted(rng.choice(n_sampled, size=int(opts["max_render"]), replace=False))]
        notes.append(f"facet prompts rendered for a random {len(rendered)} of {n_sampled} conversations and scaled")
    scale = n_sampled / max(1, len(rendered))
    transcripts = [render_transcript(c, max_chars=transcript_cfg.max_chars, head_share=transcript_cfg.head_share) for c in rendered]
    question = cfg.data.get("screen")
    kept_share = 1.0
    if question:
        screener = load_prompt("screener").render(transcript=_SENTINEL, question=question)
        for t in transcripts:
            tally.add("screen", _substitute(screener, t.text), 5, scale)
        kept_share = float(opts["screen_pass_share"])
        notes.append(f"screener keeps {kept_share:.0%} of conversations (estimate.screen_pass_share)")
    n_after = round(n_sampled * kept_share)
    from clio.pipeline import facet_specs

    specs = facet_specs(cfg)  # the facets the run extracts: in embed-first mode no LLM facet at all
    for spec in specs:
        if not spec.uses_llm:
            continue
        for t in transcripts:
            job = render_facet_job(spec, t)
            tally.add(job.stage or f"facets.{spec.name}", job.prompt, job.params.max_tokens, scale * kept_share)

    result: dict[str, Any] = {"conversations": n_sampled, "after_screen": n_after}
    if upto == "run" and n_after >= 2:
        _estimate_later_stages(cfg, tally, opts, specs, rendered, transcripts, n_after, result, notes)
    elif upto == "run":
        notes.append("fewer than 2 conversations: no clusters to name")

    # ---------------------------------------------------------------- totals, cost
    prices = _prices(llm)
    batch = supports_batch(str(llm.backend))
    stages: dict[str, dict[str, Any]] = {}
    for stage, s in tally.stages.items():
        stages[stage] = _priced(s.calls + s.reasks, s.input_tokens, s.output_tokens, prices, batch)
        stages[stage].update(reasks=round(s.reasks, 2), output_from="; ".join(sorted(s.output_from)), reasks_from="; ".join(sorted(s.reasks_from)))
    total = _priced(sum(s["calls"] for s in stages.values()), sum(s["input_tokens"] for s in stages.values()), sum(s["output_tokens"] for s in stages.values()), prices, batch)
    result.update(
        backend=str(llm.backend),
        model=str(llm.model),
        token_counter=counter.description,
        token_counter_short=counter.short,
        output_model=outputs.source,
        reask_model=(
            "estimate.reask_rate"
            if opts["reask_rate"] is not None
            else "per prompt: share of its cached replies that the parser rejects; else re-asks per call in earlier manifests of this backend and model; else 0"
        ),
        batch_supported=batch,
        stages=dict(sorted(stages.items(), key=lambda kv: _stage_order(kv[0]))),  # stable: facets as configured
        total=total,
        notes=notes,
        assumptions={k: opts[k] for k in ("screen_pass_share", "privacy_keep_share", "hybrid_llm_share", "output", "output_share")},
    )
    return result


def _estimate_later_stages(
    cfg: DictConfig, tally: _Tally, opts: dict[str, Any], specs: list[Any], rendered: list[Any], transcripts: list[Any], n_after: int, result: dict[str, Any], notes: list[str]
) -> None:
    """Naming, the privacy auditor's LLM calls and the hierarchy, from counts and expected lengths."""
    from clio.clustering import choose_k
    from clio.facets import COMPUTED_FACETS
    from clio.hierarchy import Hierarchizer, Node
    from clio.llm.backends import SamplingParams
    from clio.naming import fit_examples
    from clio.privacy import LLMAuditor, cluster_text

    # ---------------------------------------------------------------- base clusters + naming
    c = cfg.clustering
    k = choose_k(n_after, rule=c.rule, k=c.k, min_k=c.min_k, max_k=c.max_k, per_cluster=c.per_cluster)
    result["base_clusters"] = int(k)
    spec = next((s for s in specs if s.name == cfg.embedding.facet), None)
    if spec is not None and spec.kind == "computed":
        values = [str(COMPUTED_FACETS[spec.function](conv, t)) for conv, t in zip(rendered, transcripts)]  # type: ignore[index]
        summary_chars, summary_from = float(np.mean([len(v) for v in values])) if values else 0.0, f"computed facet {spec.name}"
    else:
        prompt_name = spec.prompt_name() if spec is not None else "facet_open"
        fallback = float(opts["output_share"]) * (spec.max_tokens if spec is not None else 100)
        summary_chars, summary_from = tally.outputs.summary_chars(prompt_name, fallback)
    result["summary_chars"] = {"value": round(summary_chars, 1), "from": summary_from}
    from clio.pipeline import naming_criteria, naming_prompt, naming_settings

    n = naming_settings(cfg)  # the naming source's own settings on top (embed-first: excerpts)
    criteria = naming_criteria(cfg)
    size = n_after / k
    examples = [filler(summary_chars, i) for i in range(max(int(n["n_members"]), int(n["n_contrast"]), 1))]
    # members shown: min(n_members, what fits the budget, the cluster's size), with cluster sizes
    # taken as geometric with mean n/k (k-means sizes are skewed; small clusters show fewer).
    # A token budget (max_tokens_per_list) is counted as 4 characters a token here.
    budget = int(n["max_tokens_per_list"]) * 4 if n.get("max_tokens_per_list") else n["max_chars"]
    shown = len(fit_examples(examples[: int(n["n_members"])], budget, n["max_item_chars"]))
    members = expected_min(shown, size)
    contrast = int(min(n["n_contrast"], max(0, n_after - round(size))))
    template = load_prompt(naming_prompt(cfg))
    for count, weight in _bracket(members):
        prompt = template.render(
            criteria=criteria,
            answers=fit_examples(examples[:count], budget, n["max_item_chars"]),
            contrastive_answers=fit_examples(examples[:contrast], budget, n["max_item_chars"]),
        )
        tally.add("naming", prompt, int(n["max_tokens"]), k * weight)
    result["naming_members_shown"] = round(members, 2)

    # ---------------------------------------------------------------- privacy auditor (LLM part)
    p = cfg.privacy
    kept = max(1, round(k * float(opts["privacy_keep_share"])))
    name_chars, description_chars, names_from = tally.outputs.name_lengths(naming_prompt(cfg))
    parent_name_chars, parent_description_chars, parents_from = tally.outputs.name_lengths("hierarchy_rename")
    result["cluster_text_chars"] = {"name": round(name_chars, 1), "description": round(description_chars, 1), "from": names_from}
    h = cfg.hierarchy
    levels = plan_hierarchy(kept, int(h.top_k), h.levels, int(h.neighbourhood_size), always_dedupe=bool(h.always_dedupe), names_per_reply=tally.outputs.names_per_reply())
    n_parents = sum(lv.renamed for lv in levels)
    llm_share = {"llm": 1.0, "hybrid": float(opts["hybrid_llm_share"])}.get(str(p.auditor.kind), 0.0) if p.auditor.enabled else 0.0
    if llm_share:
        auditor = LLMAuditor(None)
        params = SamplingParams(max_tokens=6)
        base_text = cluster_text({"name": filler(name_chars, 1), "description": filler(description_chars, 2)})
        parent_text = cluster_text({"name": filler(parent_name_chars, 3), "description": filler(parent_description_chars, 4)})
        tally.add("privacy_audit", auditor.template.render(content=auditor.fit_content(base_text)), params.max_tokens, kept * llm_share)
        tally.add("privacy_audit", auditor.template.render(content=auditor.fit_content(parent_text)), params.max_tokens, n_parents * llm_share)
        if p.auditor.kind == "hybrid":
            notes.append(f"hybrid privacy auditor: {llm_share:.1%} of cluster texts assumed to go to the LLM (estimate.hybrid_llm_share)")
    if float(opts["privacy_keep_share"]) < 1:
        notes.append(f"{kept} of {k} base clusters assumed to pass the aggregation thresholds (estimate.privacy_keep_share)")

    # ---------------------------------------------------------------- hierarchy
    hz = Hierarchizer(
        lambda texts: np.zeros((len(texts), 1)),
        None,
        top_k=int(h.top_k),
        levels=h.levels,
        neighbourhood_size=int(h.neighbourhood_size),  # type: ignore[arg-type]
        n_outside=int(h.n_outside),
        criteria=criteria,
        max_chars=h.max_chars,
        always_dedupe=bool(h.always_dedupe),
    )
    hz.notes = []
    list_chars, _ = tally.outputs.list_name_chars()
    children = [Node(id=f"0-{i}", level=0, name=filler(name_chars, i), description=filler(description_chars, i + 1), size=1) for i in range(kept)]
    result["hierarchy_plan"] = [kept] + [lv.renamed for lv in levels]
    for lv in levels:
        prompts = hz.prompts
        for members_g, desired in zip(lv.neighbourhoods, lv.desired):
            low_g, high_g = max(1, int(0.5 * desired)), max(1, int(1.5 * desired))
            outside = min(int(h.n_outside), lv.children - members_g) if len(lv.neighbourhoods) > 1 else 0
            prompt = prompts["propose"].render(
                criteria=criteria,
                clusters=hz.cluster_items(children[:members_g]),
                outside=[{"name": x} for x in fit_examples([c.name for c in children[:outside]], (h.max_chars or 10**9) // 4, 200)],
                desired=desired,
                low=low_g,
                high=high_g,
            )
            tally.add("hierarchy.propose", prompt, 60 + 25 * high_g, names=desired)
        for shown, asked in lv.dedupe:
            low_d, high_d = max(1, int(0.5 * asked)), max(1, int(1.5 * asked))
            prompt = prompts["dedupe"].render(criteria=criteria, names=[filler(list_chars, i) for i in range(shown)], desired=asked, low=low_d, high=high_d)
            tally.add("hierarchy.dedupe", prompt, 60 + 25 * high_d, names=asked)
        parents = [filler(list_chars, i) for i in range(lv.parents)]
        child = children[0]
        prompt = prompts["assign"].render(parents=parents, name=child.name, description=child.description or "(none)")
        tally.add("hierarchy.assign", prompt, 80, lv.children)
        per_parent = max(1, round(lv.children / max(1, lv.renamed)))
        prompt = prompts["rename"].render(criteria=criteria, children=fit_examples([c.name for c in children[:per_parent]], h.max_chars, 200))
        tally.add("hierarchy.rename", prompt, 200, lv.renamed)
        children = [Node(id=f"{lv.level}-{i}", level=lv.level, name=filler(parent_name_chars, i), description=filler(parent_description_chars, i + 1), size=1) for i in range(lv.renamed)]
    if not levels:
        notes.append("the hierarchy needs no level above the base clusters (top_k reached)")


_ORDER = ["screen", "facets", "naming", "privacy_audit", "hierarchy.propose", "hierarchy.dedupe", "hierarchy.assign", "hierarchy.rename"]


def _stage_order(stage: str) -> int:
    """Pipeline order; stages of one step keep their order (a stable sort): facets as configured."""
    for i, prefix in enumerate(_ORDER):
        if stage == prefix or stage.startswith(prefix + "."):
            return i
    return len(_ORDER)


def _prices(llm: Any):
    from clio.llm.gateway import Prices

    raw = _cfg(llm.get("prices")) or {}
    return Prices(**{k: v for k, v in raw.items() if k in Prices.model_fields})


def _priced(calls: float, input_tokens: float, output_tokens: float, prices, batch: bool) -> dict[str, Any]:
    from clio.llm.backends import Completion

    completion = Completion(text="", input_tokens=int(round(input_tokens)), output_tokens=int(round(output_tokens)))
    return {
        "calls": round(calls, 1) if abs(calls - round(calls)) > 0.05 else int(round(calls)),  # expected calls: may be fractional
        "input_tokens": int(round(input_tokens)),
        "output_tokens": int(round(output_tokens)),
        "cost_usd": round(prices.cost(completion), 6),
        "cost_usd_batch": round(prices.cost(completion, batch=True), 6) if batch else None,
    }


# =========================================================================== price tables


def llm_group(name: str) -> DictConfig:
    """conf/llm/<name>.yaml with its `defaults` (e.g. local_small extends local)."""
    path = CONF_DIR / "llm" / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"no llm config '{name}' in {path.parent}")
    node = OmegaConf.load(path)
    merged = OmegaConf.create()
    for entry in node.pop("defaults", None) or []:
        if entry != "_self_":
            merged = OmegaConf.merge(merged, llm_group(str(entry)))
    return OmegaConf.merge(merged, node)


def price_tables(cfg: DictConfig, conversations: Sequence[Any], outputs: OutputModel, options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same run estimated with every conf/llm/*.yaml (its model, prompt budgets, tokenizer or
    character ratio, and prices); every other setting as configured."""
    tables: dict[str, dict[str, Any]] = {}
    for path in sorted((CONF_DIR / "llm").glob("*.yaml")):
        alt = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        alt.llm = llm_group(path.stem)  # replaces the node; ${llm.*} budgets elsewhere follow it
        est = estimate_run(alt, conversations, outputs=outputs, options=options)
        tables[path.stem] = {
            "backend": est["backend"],
            "model": est["model"],
            "token_counter": est["token_counter"],
            "counted": est["token_counter_short"],
            **{k: est["total"][k] for k in ("calls", "input_tokens", "output_tokens", "cost_usd", "cost_usd_batch")},
        }
    return tables


# =========================================================================== the run's hook


def start_estimate(cfg: DictConfig, conversations: Sequence[Any], upto: str = "run") -> dict[str, Any] | None:
    """Called by the pipeline once the sample is loaded: the estimate the manifest stores next to
    the actual usage. Never stops a run: a failure becomes a note in the estimate. Off with
    run.estimate=false (the tokenizer pass costs about 1.5 min at 17.5k conversations)."""
    try:
        if not cfg.run.get("estimate", True):
            return None
        return estimate_run(cfg, conversations, upto=upto)
    except Exception as exc:  # the estimate is informative only
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]}


def with_actual(estimate: dict[str, Any] | None, per_stage: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The estimate plus, per stage, the tokens the run actually used and the error in percent.
    Stages answered from the response cache or reused from an earlier run spent no tokens here,
    so their error is left out (marked in `note`)."""
    if estimate is None or "stages" not in estimate:
        return estimate
    rows: dict[str, dict[str, Any]] = {}
    for stage in sorted([*estimate["stages"], *(s for s in per_stage if s not in estimate["stages"])], key=_stage_order):
        est = estimate["stages"].get(stage, {})
        act = per_stage.get(stage, {})
        row: dict[str, Any] = {
            "estimated": {k: est.get(k, 0) for k in ("calls", "input_tokens", "output_tokens")},
            "actual": {k: int(act.get(k, 0)) for k in ("calls", "cache_hits", "input_tokens", "output_tokens")},
        }
        if act.get("calls") and not act.get("cache_hits"):
            row["error_pct"] = {k: pct_error(est.get(k, 0), act.get(k, 0)) for k in ("input_tokens", "output_tokens")}
        elif act.get("cache_hits"):
            row["note"] = "answered (partly) from the response cache: actual tokens incomplete"
        else:
            row["note"] = "no calls in this run (stage reused, or not run)"
        rows[stage] = row
    return {**estimate, "vs_actual": rows}


def pct_error(estimated: float, actual: float) -> float | None:
    return round(100.0 * (estimated - actual) / actual, 1) if actual else None


# =========================================================================== CLI


def run_estimate(cfg: DictConfig) -> dict[str, Any]:
    """`clio estimate`: the estimate for the configured backend, and with every price table."""
    try:
        return _run_estimate(cfg)
    except (TypeError, ValueError) as exc:  # a config value of the wrong type or range: one line
        raise ConfigError(f"cannot estimate with this config: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None


def _run_estimate(cfg: DictConfig) -> dict[str, Any]:
    opts = options_for(cfg)
    conversations = load_sample(cfg)
    outputs = OutputModel(cfg.cache.llm if opts["output"] == "cache" else None, share=float(opts["output_share"]), use_cache=opts["output"] == "cache", min_samples=int(opts["min_samples"]))
    est = estimate_run(cfg, conversations, outputs=outputs, options=opts)
    if opts.get("price_tables", True):
        est["price_tables"] = price_tables(cfg, conversations, outputs, opts)
    return est


def _fmt_calls(calls: float) -> str:
    return f"{calls:,}" if float(calls).is_integer() else f"{calls:,.1f}"


def print_estimate(est: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    batch = est.get("batch_supported")
    table = Table(
        "stage",
        "calls",
        "in tok",
        "out tok",
        "cost $",
        *(["batch $"] if batch else []),
        "output tokens from",
        title=f"estimate: {est['backend']} / {est['model']}, {est['conversations']} conversations",
    )
    for stage, s in est["stages"].items():
        table.add_row(
            stage, _fmt_calls(s["calls"]), f"{s['input_tokens']:,}", f"{s['output_tokens']:,}", f"{s['cost_usd']:.4f}", *([f"{s['cost_usd_batch']:.4f}"] if batch else []), s.get("output_from", "")
        )
    t = est["total"]
    table.add_row("total", _fmt_calls(t["calls"]), f"{t['input_tokens']:,}", f"{t['output_tokens']:,}", f"{t['cost_usd']:.4f}", *([f"{t['cost_usd_batch']:.4f}"] if batch else []), "", style="bold")
    console.print(table)
    if est.get("price_tables"):
        prices = Table("llm=", "model", "in tok", "out tok", "cost $", "batch $", "counted", title="the same run with each conf/llm price table")
        for name, row in est["price_tables"].items():
            prices.add_row(
                name,
                row["model"],
                f"{row['input_tokens']:,}",
                f"{row['output_tokens']:,}",
                f"{row['cost_usd']:.4f}",
                f"{row['cost_usd_batch']:.4f}" if row["cost_usd_batch"] is not None else "-",
                row["counted"],
            )
        console.print(prices)
        for described in dict.fromkeys(row["token_counter"] for row in est["price_tables"].values()):
            console.print(f"  counted with: {described}")
    console.print(f"input tokens: {est['token_counter']}")
    console.print(f"output tokens: {est['output_model']}")
    console.print(f"re-asks: {est['reask_model']}")
    if "base_clusters" in est:
        console.print(
            f"plan: {est['after_screen']} conversations -> {est['base_clusters']} base clusters -> hierarchy levels {est['hierarchy_plan']}; "
            f"summaries {est['summary_chars']['value']:.0f} characters ({est['summary_chars']['from']}), "
            f"names/descriptions {est['cluster_text_chars']['name']:.0f}/{est['cluster_text_chars']['description']:.0f} ({est['cluster_text_chars']['from']})"
        )
    for note in est.get("notes", []):
        console.print(f"note: {note}")
    console.print("costs exclude prompt caching; nothing was sent to a model.")


def print_vs_actual(console: Any, estimate: dict[str, Any]) -> None:
    """`clio show`: the stored estimate next to the run's actual usage."""
    from rich.table import Table

    if "error" in estimate:
        console.print(f"estimate: failed ({estimate['error']})")
        return
    rows = estimate.get("vs_actual")
    if not rows:
        return
    table = Table("stage", "calls est/act", "in tok est", "in tok act", "in err %", "out tok est", "out tok act", "out err %", title="estimate vs actual")
    for stage, r in rows.items():
        e, a, err = r["estimated"], r["actual"], r.get("error_pct") or {}
        fmt = lambda v: "-" if v is None else f"{v:+.1f}"  # noqa: E731
        table.add_row(
            stage,
            f"{e['calls']}/{a['calls']}" + (f" (+{a['cache_hits']} cached)" if a["cache_hits"] else ""),
            f"{e['input_tokens']:,}",
            f"{a['input_tokens']:,}",
            fmt(err.get("input_tokens")),
            f"{e['output_tokens']:,}",
            f"{a['output_tokens']:,}",
            fmt(err.get("output_tokens")),
        )
    console.print(table)
