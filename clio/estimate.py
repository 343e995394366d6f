"""Cost estimate before a run: `clio estimate` (a dry run) and the estimate a run stores in its
manifest next to the tokens it actually used. Nothing is sent to a model.

The calls are the stages' own, planned by their code on the sample and on placeholder texts (the
computed facet's values in embed-first mode, else neutral prose of the lengths measured in the
response cache): `clio.facets.screen_job` and `render_job` per conversation (a seeded subset above
estimate.max_render, scaled), `NamingCall.plan`, `LLMAuditor.job`, `Hierarchizer.plan` and
`plan_jobs` (the level loop, neighbourhoods, dedupe rule and count fit that `fit` runs). Input
tokens: the local model's tokenizer without weights (`LocalLlamaBackend.prompt_tokens`), the fake
backend's words, else the providers' documented characters per token plus framing per message.
Output tokens and re-asks per prompt: its cached replies (`clio.llm.cache.CachedReplies`), else a
share of max_tokens and the re-ask rate of earlier manifests of the same backend and model.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from clio import resources
from clio.errors import ConfigError
from clio.llm.cache import CachedReplies
from clio.prompts import RenderedPrompt

CONF_DIR = resources.CONF_DIR
# Documented rules of thumb: Anthropic's glossary, "a token approximately represents 3.5 English
# characters"; OpenAI's help centre, "1 token ~= 4 chars in English".
RATIOS = {
    "anthropic": (3.5, "3.5 characters per token (Anthropic's documented rule of thumb for English)"),
    "openai": (4.0, "4 characters per token (OpenAI's documented rule of thumb for English)"),
}
MESSAGE_OVERHEAD_TOKENS = 3  # chat framing per message, and priming of the reply (OpenAI's cookbook: 3 + 3)
REASK_EXTRA_TOKENS = 50  # the gateway's re-ask turn (about 40 tokens) plus the framing of the two added messages
FILLER = (  # neutral English prose for placeholder summaries and names of a given length
    "Users asked for help writing and debugging a short program that reads a data file, checks each "
    "record and reports the errors it finds in plain language, then asked how to explain the results "
    "to colleagues and which steps to automate next. "
)
FALLBACK_NAME_CHARS, FALLBACK_DESCRIPTION_CHARS = 60, 240  # when the cache has no replies to measure
LIST_PROMPTS = ("hierarchy_propose", "hierarchy_dedupe")
REASK_MODEL = "per prompt: share of its cached replies that the parser rejects; else re-asks per call in earlier manifests of this backend and model; else 0"
COUNTS = ("calls", "input_tokens", "output_tokens")


def default_config(*overrides: str) -> DictConfig:
    """The root config composed through Hydra (inside a running `clio` command, with its search
    path: a user's --config-dir too)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if GlobalHydra.instance().is_initialized():
        return compose("config", overrides=list(overrides))
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def options_for(cfg: DictConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """The config's `estimate` node (conf/config.yaml), then overrides. A config without one (a
    run folder's stored config from before it was there) gets the root config's defaults."""
    node = cfg.get("estimate") if cfg is not None else None
    out = OmegaConf.to_container(default_config().estimate if node is None else node, resolve=True)
    out.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("output_share", "screen_pass_share", "privacy_keep_share", "hybrid_llm_share"):
        if out[key] is not None and not 0 <= float(out[key]) <= 1:  # privacy_keep_share null: from the thresholds
            raise ConfigError(f"estimate.{key}={out[key]} must be between 0 and 1")
    if out["reask_rate"] is not None and float(out["reask_rate"]) < 0:
        raise ConfigError(f"estimate.reask_rate={out['reask_rate']} must be at least 0")
    if out["output"] not in ("cache", "max_tokens"):
        raise ConfigError(f"estimate.output must be 'cache' or 'max_tokens', not '{out['output']}'")
    return out


@dataclass
class TokenCounter:
    kind: str  # tokenizer | ratio | words
    description: str
    short: str
    prompt_tokens: Callable[[RenderedPrompt], int]
    text_tokens: Callable[[str], int]
    budget_tokens: Callable[[str], int]  # the backend's count_tokens: what the naming stage budgets lists with
    chars_per_token: float = 4.0  # API backends: output tokens from reply characters


def ratio_counter(chars_per_token: float, description: str) -> TokenCounter:
    from clio.llm.backends import rule_of_thumb_tokens

    text = lambda t: math.ceil(len(t) / chars_per_token) if t else 0  # noqa: E731
    prompt = lambda p: sum(text(m.content) + MESSAGE_OVERHEAD_TOKENS for m in p.messages) + MESSAGE_OVERHEAD_TOKENS + text(p.prefill)  # noqa: E731
    return TokenCounter("ratio", description, f"{chars_per_token:g} chars/token", prompt, text, rule_of_thumb_tokens, chars_per_token)


@lru_cache(maxsize=8)
def _local_counter(model: str) -> TokenCounter:
    from clio.llm.backends import LocalLlamaBackend

    backend = LocalLlamaBackend(model)
    backend.count_tokens("x")  # loads the tokenizer now: a missing model falls back to the ratio
    description = f"llama.cpp tokenizer of {model} (vocab only, chat template applied)"
    return TokenCounter("tokenizer", description, "model tokenizer", backend.prompt_tokens, backend.count_tokens, backend.count_tokens)


def make_counter(llm: Any) -> TokenCounter:
    """The token counter for an `llm` config node: the local model's own tokenizer when it can be
    loaded, else (and for API backends) a documented characters-per-token ratio."""
    from clio.llm.backends import FakeBackend, rule_of_thumb_tokens

    backend = str(llm.backend)
    if backend == "local":
        try:
            return _local_counter(str(llm.model))
        except Exception as exc:  # no llama-cpp-python, or the model is not installed
            why = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return ratio_counter(4.0, f"4 characters per token (the local tokenizer could not be loaded: {why})")
    if backend in RATIOS:
        return ratio_counter(*RATIOS[backend])
    if backend == "fake":
        return TokenCounter("words", "words, as the fake backend counts", "words", FakeBackend.prompt_tokens, lambda t: len(t.split()), rule_of_thumb_tokens, 6.0)
    raise ConfigError(f"unknown llm backend '{backend}' (choose local, anthropic, openai or fake)")


def supports_batch(backend: str) -> bool:
    from clio.llm import backends

    classes = {"local": backends.LocalLlamaBackend, "anthropic": backends.AnthropicBackend, "openai": backends.OpenAICompatibleBackend, "fake": backends.FakeBackend}
    return bool(backend in classes and classes[backend].supports_batch)


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


class OutputModel(CachedReplies):
    """Expected output tokens per prompt name, from the replies in the response cache.
    `exclude_keys` leaves out given entries (the accuracy benchmark leaves out the run it checks)."""

    def __init__(self, cache_path: str | Path | None = None, *, exclude_keys: Iterable[str] = (), share: float = 0.5, use_cache: bool = True, min_samples: int = 3, per_prompt: int = 5000):
        from clio.hierarchy import parse_name_list

        count = {p: lambda text: len(parse_name_list(text.split("</answer>")[0])) for p in LIST_PROMPTS}
        path = cache_path if use_cache else None
        super().__init__(path, min_samples=min_samples, exclude=set(exclude_keys), per_prompt=per_prompt, count_names=count)
        self.share = share
        self.source = f"response cache {cache_path}" if path and Path(path).is_file() else "no response cache" if use_cache else "max_tokens share (estimate.output=max_tokens)"

    def expected(self, prompt: RenderedPrompt, max_tokens: int, counter: TokenCounter, names: int | None = None) -> tuple[float, str]:
        """(expected output tokens of one call, where the figure comes from)."""
        use_tokens = counter.kind in ("tokenizer", "words")
        listed = self.listed(LIST_PROMPTS) if names is not None and prompt.name in LIST_PROMPTS else []
        if len(listed) >= self.min_samples:
            # One reply format, a numbered list: tokens per listed name x the names asked for, or
            # fewer where the cached replies held fewer (a model that lists less than asked).
            spent = sum(t for t, _, _ in listed) if use_tokens else sum(c for _, c, _ in listed) / counter.chars_per_token
            per_name, n_listed = spent / sum(k for _, _, k in listed), min(float(names), self.names_per_reply(LIST_PROMPTS) or float(names))
            return min(max_tokens, per_name * n_listed), f"cache: {per_name:.1f}/name x {n_listed:.1f} names"
        if m := self.measured(prompt.name):
            return min(max_tokens, _mean(m.tokens) if use_tokens else _mean(m.chars) / counter.chars_per_token), f"cache: mean of {len(m.tokens)}"
        if prompt.output.kind in ("integer", "choice") and (prompt.output.kind == "integer" or prompt.output.options):
            one = str(prompt.output.high_var or 5) if prompt.output.kind == "integer" else max(prompt.output.options, key=len)
            return float(counter.text_tokens(f"{one}</{prompt.output.tag}>")), "one number" if prompt.output.kind == "integer" else "one option"
        return self.share * max_tokens, f"{self.share:g} x max_tokens"

    def summary_chars(self, prompt_name: str, fallback_tokens: float) -> tuple[float, str]:
        if m := self.measured(prompt_name, "chars"):
            return _mean(m.chars), f"mean of {len(m.chars)} cached {prompt_name} replies"
        return fallback_tokens * 4.0, f"{fallback_tokens:.0f} expected tokens x 4 characters"

    def name_lengths(self, prompt_name: str) -> tuple[float, float, str]:
        if m := self.measured(prompt_name, "name_chars"):
            return _mean(m.name_chars), _mean(m.description_chars), f"mean of {len(m.name_chars)} cached {prompt_name} replies"
        return FALLBACK_NAME_CHARS, FALLBACK_DESCRIPTION_CHARS, f"fallback {FALLBACK_NAME_CHARS}/{FALLBACK_DESCRIPTION_CHARS} characters"


def output_model(cfg: DictConfig, opts: dict[str, Any]) -> OutputModel:
    use = opts["output"] == "cache"
    return OutputModel(cfg.cache.llm if use else None, share=float(opts["output_share"]), use_cache=use, min_samples=int(opts["min_samples"]))


def measured_reask_rate(run_root: str | Path, backend: str, model: str, exclude: Iterable[str | Path] = ()) -> tuple[float, str]:
    """Re-asks per computed call in earlier runs' manifests with the same backend and model."""
    excluded, calls, reasks, runs = {Path(p).resolve() for p in exclude}, 0, 0, 0
    for path in sorted(Path(run_root).glob("*/manifest.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            llm, per_stage = manifest["config"]["llm"], manifest["llm_usage"]["per_stage"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        c = sum(int(u.get("calls", 0)) for u in per_stage.values())
        if path.parent.resolve() not in excluded and llm.get("backend") == backend and llm.get("model") == model and c:
            calls, reasks, runs = calls + c, reasks + sum(int(u.get("reasks", 0)) for u in per_stage.values()), runs + 1
    if not calls:
        return 0.0, "0 (nothing measured)"
    return reasks / calls, f"{reasks / calls:.1%}: {reasks} re-asks in {calls} calls of {runs} earlier run(s)"


def filler(chars: float, offset: int = 0) -> str:
    """Neutral English prose of about `chars` characters (placeholder summaries and names)."""
    n, start = max(1, int(round(chars))), (offset * 37) % len(FILLER)
    return re.sub(r"\s+", " ", (FILLER * (n // len(FILLER) + 2))[start : start + n]).strip() or "x"


class _Tally:
    """Calls and tokens per stage. A re-ask is one more call whose prompt is the original one plus
    the rejected reply and the re-ask turn. Re-asks per call of a prompt: estimate.reask_rate when
    set; else the share of the prompt's cached replies that the parser rejects; else the rate in
    earlier manifests of the same backend and model (`measured_reask_rate`); else 0."""

    def __init__(self, counter: TokenCounter, outputs: OutputModel, fixed_rate: float | None, earlier: Callable[[], tuple[float, str]]):
        self.counter, self.outputs, self.fixed_rate, self.earlier = counter, outputs, fixed_rate, lru_cache(maxsize=1)(earlier)
        self.stages: dict[str, dict[str, Any]] = {}

    def rate(self, prompt_name: str) -> tuple[float, str]:
        if self.fixed_rate is not None:
            return self.fixed_rate, f"{self.fixed_rate:.1%} (estimate.reask_rate)"
        if measured := self.outputs.rejected(prompt_name):
            return measured[0], f"{measured[0]:.1%} of {measured[1]} cached replies rejected"
        return self.earlier()

    def add(self, stage: str, job: Any, times: float = 1.0, names: int | None = None) -> None:
        if times <= 0:
            return
        out, source = self.outputs.expected(job.prompt, job.params.max_tokens, self.counter, names)
        n_in, (rate, rate_from) = self.counter.prompt_tokens(job.prompt), self.rate(job.prompt.name)
        s = self.stages.setdefault(stage, {"calls": 0.0, "reasks": 0.0, "input_tokens": 0.0, "output_tokens": 0.0, "output_from": set(), "reasks_from": set()})
        s["calls"], s["reasks"] = s["calls"] + times, s["reasks"] + times * rate
        s["input_tokens"] += times * n_in + times * rate * (n_in + out + REASK_EXTRA_TOKENS)
        s["output_tokens"] += times * (1 + rate) * out
        s["output_from"].add(source)
        s["reasks_from"].add(rate_from)


def _cfg(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def load_sample(cfg: DictConfig):
    """The conversations `clio run` would load and sample (no run folder is touched)."""
    from clio.loaders import load_and_sample

    return load_and_sample(cfg.data)[1]


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
    from clio.facets import TranscriptConfig, render_job, screen_job
    from clio.pipeline import facet_specs
    from clio.transcript import render_transcript

    opts = options or options_for(cfg)
    counter = counter or make_counter(cfg.llm)
    outputs = outputs or output_model(cfg, opts)
    conversations = list(load_sample(cfg) if conversations is None else conversations)
    fixed_rate = None if opts["reask_rate"] is None else float(opts["reask_rate"])
    tally = _Tally(counter, outputs, fixed_rate, lambda: measured_reask_rate(cfg.run.root, str(cfg.llm.backend), str(cfg.llm.model), exclude_runs))
    notes, n_sampled = [], len(conversations)

    rendered = conversations
    if n_sampled > int(opts["max_render"]):
        rendered = [conversations[i] for i in sorted(np.random.default_rng(0).choice(n_sampled, size=int(opts["max_render"]), replace=False))]
        notes.append(f"facet prompts rendered for a random {len(rendered)} of {n_sampled} conversations and scaled")
    scale, tc = n_sampled / max(1, len(rendered)), TranscriptConfig(**_cfg(cfg.facets.transcript))
    transcripts = [render_transcript(c, max_chars=tc.max_chars, head_share=tc.head_share) for c in rendered]
    kept_share = float(opts["screen_pass_share"]) if cfg.data.get("screen") else 1.0
    if cfg.data.get("screen"):
        for t in transcripts:
            tally.add("screen", screen_job(cfg.data.screen, t), scale)
        notes.append(f"screener keeps {kept_share:.0%} of conversations (estimate.screen_pass_share)")
    n_after = round(n_sampled * kept_share)
    specs = facet_specs(cfg)  # the facets the run extracts: in embed-first mode no LLM facet at all
    for spec in (s for s in specs if s.uses_llm):
        for t in transcripts:
            job = render_job(spec, t)
            tally.add(job.stage, job, scale * kept_share)

    result: dict[str, Any] = {"conversations": n_sampled, "after_screen": n_after}
    if upto == "run" and n_after >= 2:
        _later_stages(cfg, tally, opts, specs, rendered, transcripts, n_after, result, notes)
    elif upto == "run":
        notes.append("fewer than 2 conversations: no clusters to name")

    prices, batch = _prices(cfg.llm), supports_batch(str(cfg.llm.backend))
    stages: dict[str, dict[str, Any]] = {}
    for stage, s in tally.stages.items():
        stages[stage] = _priced(s["calls"] + s["reasks"], s["input_tokens"], s["output_tokens"], prices, batch) | {"reasks": round(s["reasks"], 2)}
        stages[stage].update({k: "; ".join(sorted(s[k])) for k in ("output_from", "reasks_from")})
    total = _priced(*(sum(s[k] for s in stages.values()) for k in COUNTS), prices, batch)
    return {
        **result,
        "backend": str(cfg.llm.backend),
        "model": str(cfg.llm.model),
        "token_counter": counter.description,
        "token_counter_short": counter.short,
        "output_model": outputs.source,
        "reask_model": "estimate.reask_rate" if fixed_rate is not None else REASK_MODEL,
        "batch_supported": batch,
        "stages": dict(sorted(stages.items(), key=lambda kv: _stage_order(kv[0]))),  # stable: facets as configured
        "total": total,
        "notes": notes,
        "assumptions": {k: opts[k] for k in ("screen_pass_share", "privacy_keep_share", "hybrid_llm_share", "output", "output_share")},
    }


def _later_stages(cfg: DictConfig, tally: _Tally, opts: dict[str, Any], specs: list[Any], rendered: list[Any], transcripts: list[Any], n_after: int, result: dict[str, Any], notes: list[str]) -> None:
    """Naming, the privacy auditor's LLM calls and the hierarchy, through the stages' own calls on
    placeholder texts."""
    from clio.clustering import choose_k
    from clio.facets import computed_value
    from clio.hierarchy import Hierarchizer, Node
    from clio.naming import NamingCall
    from clio.pipeline import naming_criteria, naming_prompt, naming_settings
    from clio.privacy import LLMAuditor, cluster_text, expected_kept_share

    c, h, out = cfg.clustering, cfg.hierarchy, tally.outputs
    k = choose_k(n_after, rule=c.rule, k=c.k, min_k=c.min_k, max_k=c.max_k, per_cluster=c.per_cluster)
    n, criteria = naming_settings(cfg), naming_criteria(cfg)  # the naming source's own settings on top
    spec = next((s for s in specs if s.name == cfg.embedding.facet), None)
    if spec is not None and spec.kind == "computed":  # embed-first: the namer is shown the users' own words
        examples = [str(computed_value(spec, conv, t)) for conv, t in zip(rendered, transcripts)]
        summary_chars, summary_from = _mean([len(v) for v in examples]), f"computed facet {spec.name}"
    else:
        fallback = float(opts["output_share"]) * (spec.max_tokens if spec is not None else 100)
        summary_chars, summary_from = out.summary_chars(spec.prompt_name() if spec is not None else "facet_open", fallback)
        examples = [filler(summary_chars, i) for i in range(max(int(n["n_members"]), int(n["n_contrast"]), 1))]
    result.update(base_clusters=int(k), summary_chars={"value": round(summary_chars, 1), "from": summary_from})
    namer = NamingCall(naming_prompt(cfg), criteria=criteria, count_tokens=tally.counter.budget_tokens, **{x: n.get(x) for x in ("max_tokens", "max_chars", "max_item_chars", "max_tokens_per_list")})
    for job, times in namer.plan(examples, n_after, k, int(n["n_members"]), int(n["n_contrast"])):
        tally.add("naming", job, times)

    keep_share = opts["privacy_keep_share"]
    if keep_share is None:
        keep_share = expected_kept_share(n_after, k, cfg.privacy)
        notes.append(f"{keep_share:.0%} of base clusters assumed to reach the aggregation thresholds (cluster sizes geometric with mean n/k; estimate.privacy_keep_share)")
    kept = max(1, round(k * float(keep_share)))
    name_chars, description_chars, names_from = out.name_lengths(naming_prompt(cfg))
    parent_chars = out.name_lengths("hierarchy_rename")[:2]
    result["cluster_text_chars"] = {"name": round(name_chars, 1), "description": round(description_chars, 1), "from": names_from}
    hz = Hierarchizer(None, None, criteria=criteria, **{x: h[x] for x in ("top_k", "levels", "neighbourhood_size", "n_outside", "max_chars", "always_dedupe")})  # type: ignore[arg-type]
    levels = hz.plan(kept, out.names_per_reply(LIST_PROMPTS))
    p = cfg.privacy
    llm_share = {"llm": 1.0, "hybrid": float(opts["hybrid_llm_share"])}.get(str(p.auditor.kind), 0.0) if p.auditor.enabled else 0.0
    if llm_share:  # base clusters, then every parent name
        auditor = LLMAuditor(None)
        tally.add("privacy_audit", auditor.job(cluster_text({"name": filler(name_chars, 1), "description": filler(description_chars, 2)})), kept * llm_share)
        tally.add("privacy_audit", auditor.job(cluster_text({"name": filler(parent_chars[0], 3), "description": filler(parent_chars[1], 4)})), sum(lv.kept for lv in levels) * llm_share)
        if p.auditor.kind == "hybrid":
            notes.append(f"hybrid privacy auditor: {llm_share:.1%} of cluster texts assumed to go to the LLM (estimate.hybrid_llm_share)")
    if opts["privacy_keep_share"] is not None and float(opts["privacy_keep_share"]) < 1:
        notes.append(f"{kept} of {k} base clusters assumed to pass the aggregation thresholds (estimate.privacy_keep_share)")

    list_chars = out.chars_per_name(LIST_PROMPTS) or FALLBACK_NAME_CHARS
    base = [Node(id=f"0-{i}", level=0, name=filler(name_chars, i), description=filler(description_chars, i + 1), size=1) for i in range(kept)]
    parent = lambda level, i: Node(id=f"{level}-{i}", level=level, name=filler(parent_chars[0], i), description=filler(parent_chars[1], i + 1), size=1)  # noqa: E731
    for stage, job, times, names in hz.plan_jobs(levels, base, parent, lambda i: filler(list_chars, i)):
        tally.add(stage, job, times, names)
    result["hierarchy_plan"] = [kept] + [lv.kept for lv in levels]
    if not levels:
        notes.append("the hierarchy needs no level above the base clusters (top_k reached)")


_ORDER = ["screen", "facets", "naming", "privacy_audit", "hierarchy.propose", "hierarchy.dedupe", "hierarchy.assign", "hierarchy.rename"]


def _stage_order(stage: str) -> int:
    """Pipeline order; stages of one step keep their order (a stable sort): facets as configured."""
    return next((i for i, prefix in enumerate(_ORDER) if stage == prefix or stage.startswith(prefix + ".")), len(_ORDER))


def _prices(llm: Any):
    from clio.llm.gateway import Prices

    return Prices(**{k: v for k, v in (_cfg(llm.get("prices")) or {}).items() if k in Prices.model_fields})


def _priced(calls: float, input_tokens: float, output_tokens: float, prices, batch: bool) -> dict[str, Any]:
    from clio.llm.backends import Completion

    completion = Completion(text="", input_tokens=int(round(input_tokens)), output_tokens=int(round(output_tokens)))
    return {
        "calls": round(calls, 1) if abs(calls - round(calls)) > 0.05 else int(round(calls)),  # expected calls: may be fractional
        "input_tokens": completion.input_tokens,
        "output_tokens": completion.output_tokens,
        "cost_usd": round(prices.cost(completion), 6),
        "cost_usd_batch": round(prices.cost(completion, batch=True), 6) if batch else None,
    }


def llm_group(name: str) -> DictConfig:
    """The `llm` node as Hydra composes `llm=<name>` (its defaults: local_small extends local)."""
    from hydra.errors import MissingConfigException

    try:
        return default_config(f"llm={name}").llm
    except MissingConfigException:
        raise ConfigError(f"no llm config '{name}' in {CONF_DIR / 'llm'}") from None


def price_tables(cfg: DictConfig, conversations: Sequence[Any], outputs: OutputModel, options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same run estimated with every conf/llm/*.yaml (its model, prompt budgets, tokenizer or
    character ratio, and prices); every other setting as configured."""
    tables: dict[str, dict[str, Any]] = {}
    for path in sorted((CONF_DIR / "llm").glob("*.yaml")):
        alt = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        alt.llm = llm_group(path.stem)  # replaces the node; ${llm.*} budgets elsewhere follow it
        est = estimate_run(alt, conversations, outputs=outputs, options=options)
        keys = ("calls", "input_tokens", "output_tokens", "cost_usd", "cost_usd_batch")
        tables[path.stem] = {"backend": est["backend"], "model": est["model"], "token_counter": est["token_counter"], "counted": est["token_counter_short"], **{k: est["total"][k] for k in keys}}
    return tables


def start_estimate(cfg: DictConfig, conversations: Sequence[Any], upto: str = "run") -> dict[str, Any] | None:
    """Called by the pipeline once the sample is loaded: the estimate the manifest stores next to
    the actual usage. Never stops a run: a failure becomes a note in the estimate. Off with
    run.estimate=false (the tokenizer pass costs about 1.5 min at 17.5k conversations)."""
    try:
        return estimate_run(cfg, conversations, upto=upto) if cfg.run.get("estimate", True) else None
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
        est, act = estimate["stages"].get(stage, {}), per_stage.get(stage, {})
        rows[stage] = {"estimated": {k: est.get(k, 0) for k in COUNTS}, "actual": {k: int(act.get(k, 0)) for k in ("calls", "cache_hits", "input_tokens", "output_tokens")}}
        if act.get("calls") and not act.get("cache_hits"):
            rows[stage]["error_pct"] = {k: pct_error(est.get(k, 0), act.get(k, 0)) for k in ("input_tokens", "output_tokens")}
        else:
            rows[stage]["note"] = "answered (partly) from the response cache: actual tokens incomplete" if act.get("cache_hits") else "no calls in this run (stage reused, or not run)"
    return {**estimate, "vs_actual": rows}


def pct_error(estimated: float, actual: float) -> float | None:
    return round(100.0 * (estimated - actual) / actual, 1) if actual else None


def run_estimate(cfg: DictConfig) -> dict[str, Any]:
    """`clio estimate`: the estimate for the configured backend, and with every price table."""
    try:
        opts = options_for(cfg)
        conversations, outputs = load_sample(cfg), output_model(cfg, opts)
        est = estimate_run(cfg, conversations, outputs=outputs, options=opts)
        if opts.get("price_tables", True):
            est["price_tables"] = price_tables(cfg, conversations, outputs, opts)
        return est
    except (TypeError, ValueError) as exc:  # a config value of the wrong type or range: one line
        raise ConfigError(f"cannot estimate with this config: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None


def _num(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() else f"{value:,.1f}"


def print_estimate(est: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console, batch = Console(), est.get("batch_supported")
    title = f"estimate: {est['backend']} / {est['model']}, {est['conversations']} conversations"
    table = Table("stage", "calls", "in tok", "out tok", "cost $", *(["batch $"] if batch else []), "output tokens from", title=title)
    for stage, s in [*est["stages"].items(), ("total", {**est["total"], "output_from": ""})]:
        costs = [f"{s['cost_usd']:.4f}", *([f"{s['cost_usd_batch']:.4f}"] if batch else [])]
        table.add_row(stage, _num(s["calls"]), _num(s["input_tokens"]), _num(s["output_tokens"]), *costs, s.get("output_from", ""), style="bold" if stage == "total" else None)
    console.print(table)
    if tables := est.get("price_tables"):
        prices = Table("llm=", "model", "in tok", "out tok", "cost $", "batch $", "counted", title="the same run with each conf/llm price table")
        for name, r in tables.items():
            batch_cost = "-" if r["cost_usd_batch"] is None else f"{r['cost_usd_batch']:.4f}"
            prices.add_row(name, r["model"], _num(r["input_tokens"]), _num(r["output_tokens"]), f"{r['cost_usd']:.4f}", batch_cost, r["counted"])
        console.print(prices)
        console.print("\n".join(f"  counted with: {described}" for described in dict.fromkeys(r["token_counter"] for r in tables.values())))
    console.print(f"input tokens: {est['token_counter']}\noutput tokens: {est['output_model']}\nre-asks: {est['reask_model']}")
    if "base_clusters" in est:
        s, t = est["summary_chars"], est["cluster_text_chars"]
        console.print(
            f"plan: {est['after_screen']} conversations -> {est['base_clusters']} base clusters -> hierarchy levels {est['hierarchy_plan']}; "
            f"summaries {s['value']:.0f} characters ({s['from']}), names/descriptions {t['name']:.0f}/{t['description']:.0f} ({t['from']})"
        )
    console.print("".join(f"note: {note}\n" for note in est.get("notes", [])) + "costs exclude prompt caching; nothing was sent to a model.")


def print_vs_actual(console: Any, estimate: dict[str, Any]) -> None:
    """`clio show`: the stored estimate next to the run's actual usage."""
    from rich.table import Table

    if "error" in estimate:
        console.print(f"estimate: failed ({estimate['error']})")
        return
    if not (rows := estimate.get("vs_actual")):
        return
    table = Table("stage", "calls est/act", "in tok est", "in tok act", "in err %", "out tok est", "out tok act", "out err %", title="estimate vs actual")
    for stage, r in rows.items():
        e, a, err = r["estimated"], r["actual"], r.get("error_pct") or {}
        cached = f" (+{a['cache_hits']} cached)" if a["cache_hits"] else ""
        cells = [(_num(e[k]), _num(a[k]), "-" if err.get(k) is None else f"{err[k]:+.1f}") for k in ("input_tokens", "output_tokens")]
        table.add_row(stage, f"{e['calls']}/{a['calls']}{cached}", *cells[0], *cells[1])
    console.print(table)
