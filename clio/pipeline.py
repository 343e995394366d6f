"""Stages wired together over a run folder: load -> sample -> facets -> embed.

Each stage is a plain function of typed records; this module only decides what to (re)compute
from fingerprints, writes outputs and keeps the manifest. Later stages (clusters, hierarchy,
projection) plug in the same way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from clio.errors import ClioError, ConfigError
from clio.estimate import start_estimate, with_actual
from clio.executors import EmbedWork, FacetsWork, LocalExecutor, add_usage, make_executor
from clio.facets import FacetSpec, TranscriptConfig, parse_facet_specs, screen
from clio.llm.backends import NoClient, make_backend
from clio.llm.batches import batch_config
from clio.llm.cache import ResponseCache
from clio.llm.faults import FaultInjectingBackend, fault_config
from clio.llm.gateway import LLMGateway, Prices
from clio.loaders import load_and_sample
from clio.prompts import load_prompt
from clio.records import Conversation, ConversationFacets
from clio.release import ReleasePolicy
from clio.schemas import checked
from clio.runfolder import RunFolder, atomic_write, data_hash, fingerprint, write_json


@dataclass
class RunContext:
    cfg: DictConfig
    folder: RunFolder
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _gateway: LLMGateway | None = None
    _auditor: Any = None
    executor: Any = None  # how the per-conversation stages run (clio/executors.py); in no fingerprint

    def __post_init__(self) -> None:
        if self.executor is None:  # validated before any stage runs; Ray starts on first use
            self.executor = make_executor(self.cfg.get("executor"))

    @property
    def gateway(self) -> LLMGateway:
        if self._gateway is None:
            self._gateway = build_gateway(self.cfg)
            self._gateway.batch_dir = self.folder.private / "batches"  # Message Batch ids, for resuming
        return self._gateway

    @property
    def used_gateway(self) -> LLMGateway | None:
        """The gateway if a stage made one (for usage totals), without building one."""
        return self._gateway

    @property
    def auditor(self) -> Any:
        """The configured privacy auditor (built once: loading its NER model takes seconds), or None."""
        p = self.cfg.privacy.auditor
        if p.enabled and self._auditor is None:
            from clio.privacy import make_auditor

            self._auditor = make_auditor(p.kind, gateway=self.gateway if p.kind in ("llm", "hybrid") else None, allow_degraded=bool(p.get("allow_degraded", False)))
        return self._auditor


def build_gateway(cfg: DictConfig) -> LLMGateway:
    llm = cfg.llm
    options = OmegaConf.to_container(llm.get("options", {}), resolve=True) or {}
    options = {k: v for k, v in options.items() if v is not None}
    replay = bool(llm.get("replay", False))
    if replay and llm.backend in ("anthropic", "openai"):
        options["client"] = NoClient()  # replies come from the cache: no key, no provider
    backend = make_backend(llm.backend, llm.model, **options)
    # Fault injection (tests and `python -m evals.reliability`): off unless llm.faults is set.
    if faults := fault_config(_cfg(llm.get("faults"))):
        backend = FaultInjectingBackend(backend, faults)
    return LLMGateway(
        backend,
        cache=ResponseCache(cfg.cache.llm),
        prices=Prices(**OmegaConf.to_container(llm.prices, resolve=True)),
        max_retries=llm.max_retries,
        max_reasks=llm.max_reasks,
        concurrency=llm.concurrency,
        # optional: fault-injection runs shorten the backoff (`+llm.backoff_base=0.001`)
        **{k: llm[k] for k in ("backoff_base", "backoff_max") if llm.get(k) is not None},
        show_progress=cfg.progress,
        batch=batch_config(_cfg(llm.get("batch"))),  # Message Batches for bulk stages (llm.batch)
        replay=replay,
    )


def _cfg(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


# --------------------------------------------------------------------------- stages


def stage_load(ctx: RunContext) -> list[Conversation]:
    data = ctx.cfg.data
    started = time.perf_counter()
    loaded, sampled = load_and_sample(data)
    ctx.timings["load"] = time.perf_counter() - started
    ctx.counts.update(
        loaded=loaded.n_loaded,
        skipped_on_load=loaded.n_skipped,
        sampled=len(sampled),
        sampling_strategy=data.sample.strategy,
        synthetic_account_ids=loaded.synthetic_account_ids,
    )
    if loaded.n_skipped:
        ctx.notes.append(f"{loaded.n_skipped} records skipped while loading {data.source} (first reasons in stages/load.json)")
    if loaded.synthetic_account_ids:
        ctx.notes.append("the dataset has no account ids: one synthetic account per conversation was assigned")
    ctx.folder.finish_stage("load", data_hash(sampled), {"counts": dict(ctx.counts), "skipped_examples": loaded.skipped[:20]})
    return sampled


def stage_screen(ctx: RunContext, conversations: list[Conversation]) -> list[Conversation]:
    """Optional screener (paper G.3): keep conversations for which `data.screen` answers Yes.
    Decisions are cached like every model call, so a rerun re-screens for free."""
    question = ctx.cfg.data.get("screen")
    if not question:
        return conversations
    started = time.perf_counter()
    transcript = TranscriptConfig(**_cfg(ctx.cfg.facets.transcript))
    kept, decisions = screen(conversations, question, ctx.gateway, transcript)
    ctx.timings["screen"] = time.perf_counter() - started
    errors = sum(1 for d in decisions.values() if d.startswith("error"))
    ctx.counts.update(screened_in=len(kept), screened_out=len(conversations) - len(kept) - errors, screen_errors=errors)
    if not kept:
        raise ClioError(f"no conversations left after screening {len(conversations)} with data.screen='{question}' ({errors} screener errors)")
    return kept


def facet_specs(cfg: DictConfig) -> list[FacetSpec]:
    """The facets extracted per conversation. With facets.per_conversation_llm false (embed-first
    mode) the LLM facets are skipped: language and computed facets only. A computed facet of the
    users' own text is extracted only when it is embedded or shown to the namer."""
    from clio.facets import TEXT_COMPUTED_FACETS

    specs = parse_facet_specs(_cfg(cfg.facets.specs))
    if not cfg.facets.get("per_conversation_llm", True):
        specs = [s for s in specs if not s.uses_llm]
    # The users' own words are copied into the run only where a stage reads them (data minimisation).
    used = {cfg.embedding.facet} | ({naming_settings(cfg).get("excerpt_facet") or "user_text"} if cfg.naming.source == "excerpts" else set())
    return [s for s in specs if s.function not in TEXT_COMPUTED_FACETS or s.name in used]


def prompt_refs(specs: list[FacetSpec]) -> list[str]:
    return sorted({load_prompt(s.prompt_name()).ref for s in specs if s.uses_llm})


def facets_to_frame(rows: list[ConversationFacets]) -> pd.DataFrame:
    records = []
    for row in rows:
        record = {"conversation_id": row.conversation_id, "account_id": row.account_id, "timestamp": row.timestamp}
        for name, value in row.values.items():
            # Lists (languages) are stored as '; '-joined strings so every column has one type.
            record[name] = "; ".join(value) if isinstance(value, list) else value
        record["facet_errors"] = json.dumps(row.errors) if row.errors else None
        records.append(record)
    return pd.DataFrame.from_records(records)


def stage_facets(ctx: RunContext, conversations: list[Conversation], upstream: str) -> tuple[pd.DataFrame, str]:
    specs = facet_specs(ctx.cfg)
    needs_llm = any(s.uses_llm for s in specs)
    fp = fingerprint("facets", _cfg(ctx.cfg.facets), [s.model_dump() for s in specs], prompt_refs(specs), ctx.gateway.backend.identity() if needs_llm else None, upstream)
    out = ctx.folder.private / "facets.parquet"
    if ctx.folder.is_fresh("facets", fp, [out]):
        ctx.notes.append("facets: reused from a previous run (fingerprint unchanged)")
        return checked(pd.read_parquet(out), "facets", out), fp
    started = time.perf_counter()
    transcript = TranscriptConfig(**_cfg(ctx.cfg.facets.transcript))
    # Workers elsewhere build their own gateway from this recipe; their usage is added to ours.
    recipe = {"llm": _cfg(ctx.cfg.llm), "cache": _cfg(ctx.cfg.cache), "progress": False}
    work = FacetsWork(specs, transcript, ctx.gateway if needs_llm else None, build_gateway if needs_llm else None, recipe)
    # Message Batches run at the provider and resume from this run folder: with them, facets run here.
    executor = LocalExecutor() if needs_llm and ctx.gateway.uses_batches("facets") else ctx.executor
    rows, stats = executor.map(work, conversations)
    if needs_llm:
        add_usage(ctx.gateway, stats)
    frame = facets_to_frame(rows)
    check = ctx.cfg.facets.get("privacy_check")
    summary_privacy: dict[str, Any] = {"enabled": False}
    if check is not None and check.enabled:
        from clio.privacy import RuleAuditor, generalise_summaries

        columns = [s.name for s in specs if s.kind == "summary"]
        summary_privacy = {"enabled": True, **generalise_summaries(frame, columns, RuleAuditor(), int(check.min_score))}
    frame = checked(frame, "facets", out)
    ctx.folder.write_parquet(out, frame)
    ctx.timings["facets"] = time.perf_counter() - started
    failures = {s.name: int(sum(1 for r in rows if s.name in r.errors)) for s in specs}
    ctx.folder.finish_stage("facets", fp, {"facets": [s.name for s in specs], "failures": failures, "rows": len(rows), "executor": executor.describe(), "summary_privacy": summary_privacy})
    return frame, fp


def summary_texts(cfg: DictConfig, values: pd.Series) -> list[str]:
    """Summaries without their facet's constant prefill ("The user's overall request for the
    assistant is to"): the shared opening carries no information, dominates small embedding
    models' vectors, and costs prompt tokens in every naming call."""
    spec = next((s for s in facet_specs(cfg) if s.name == cfg.embedding.facet), None)
    prefill = (spec.prefill if spec else "").strip()
    texts = []
    for value in values.astype(str):
        if prefill and value.startswith(prefill):
            value = value[len(prefill) :].strip()
        texts.append(value)
    return texts


def stage_embed(ctx: RunContext, facets: pd.DataFrame, upstream: str) -> tuple[np.ndarray, str]:
    from clio.embeddings import Embedder, embed_to_npy

    emb = ctx.cfg.embedding
    if emb.facet not in facets.columns:
        raise ConfigError(f"embedding.facet '{emb.facet}' is not an extracted facet ({', '.join(facets.columns)})")
    fp = fingerprint("embed", _cfg(emb), upstream)
    out, index_out = ctx.folder.private / "embeddings.npy", ctx.folder.private / "embedding_index.parquet"
    if ctx.folder.is_fresh("embed", fp, [out, index_out]):
        return np.load(out, mmap_mode="r"), fp
    started = time.perf_counter()
    usable = facets[facets[emb.facet].notna()]
    embedder = Embedder(emb.model, batch_size=emb.batch_size, cache_dir=ctx.cfg.cache.embeddings, show_progress=False)
    work, stats = EmbedWork(emb.model, emb.batch_size, str(ctx.cfg.cache.embeddings), embedder), []
    # Chunk by chunk into a memmapped .npy (resumable after a kill), each chunk one executor call
    # (local: this embedder, as Embedder.embed_to_file does; ray: workers with their own model).
    vectors = embed_to_npy(
        lambda texts: ctx.executor.map_array(work, texts, stats),
        summary_texts(ctx.cfg, usable[emb.facet]),
        out,
        key=embedder.space,
        chunk_size=ctx.executor.job_size(4096),
        progress=ctx.cfg.progress,
        desc=f"embed {emb.model}",
    )
    ctx.folder.write_parquet(index_out, usable[["conversation_id"]].reset_index(drop=True))
    ctx.timings["embed"] = time.perf_counter() - started
    ctx.counts.update(embedded=len(usable), not_embedded_missing_summary=int(len(facets) - len(usable)))
    ctx.folder.finish_stage(
        "embed",
        fp,
        {
            "model": emb.model,
            "dim": int(vectors.shape[1]) if len(vectors) else 0,
            "rows": len(usable),
            "computed": sum(s["computed"] for s in stats),
            "cached": sum(s["cached"] for s in stats),
            "executor": ctx.executor.describe(),
        },
    )
    return vectors, fp


def stage_debias(ctx: RunContext, vectors: np.ndarray, facets: pd.DataFrame, upstream: str) -> tuple[np.ndarray, Any, str]:
    """Language debiasing (clio/debias.py) of the embedded vectors: what clustering, naming's
    nearest non-members, the map and the eval's nearest category name all see. With
    debias.method none the vectors pass through and the fingerprint is unchanged."""
    from clio.debias import METHODS, LanguageCentering, NoDebias, primary_language

    d = ctx.cfg.debias
    if d.method not in METHODS:
        raise ConfigError(f"debias.method must be one of {', '.join(METHODS)}, not '{d.method}'")
    if d.method == "none":
        return vectors, NoDebias(), upstream
    language_facet = next((s.name for s in facet_specs(ctx.cfg) if s.kind == "language"), None)
    if language_facet is None:
        raise ConfigError("debias.method=language_mean needs a language facet (facets.specs.language)")
    fp = fingerprint("debias", _cfg(d), upstream)
    out, means_out = ctx.folder.private / "vectors_debiased.npy", ctx.folder.private / "debias_means.npz"
    if ctx.folder.is_fresh("debias", fp, [out, means_out]):
        return np.load(out, mmap_mode="r"), LanguageCentering.load(means_out), fp
    started = time.perf_counter()
    index = pd.read_parquet(ctx.folder.private / "embedding_index.parquet")
    by_id = facets.set_index("conversation_id")[language_facet]
    languages = [primary_language(by_id.get(cid)) for cid in index["conversation_id"]]
    centring = LanguageCentering(d.min_count).fit(np.asarray(vectors), languages)
    centred = centring.transform(np.asarray(vectors), languages)
    ctx.folder.write_array(out, centred)
    atomic_write(means_out, centring.save)
    ctx.timings["debias"] = time.perf_counter() - started
    # Counts per language can be small: the stage record says only how many languages went which way.
    summary = centring.summary()
    ctx.folder.finish_stage(
        "debias", fp, {"method": d.method, "min_count": d.min_count, "languages_own_mean": len(summary["languages_own_mean"]), "languages_global_mean": len(summary["languages_global_mean"])}
    )
    return np.load(out, mmap_mode="r"), centring, fp


# --------------------------------------------------------------------------- manifest


def write_manifest(ctx: RunContext, stages_done: list[str]) -> dict[str, Any]:
    specs = facet_specs(ctx.cfg)
    usage = {stage: u.model_dump() for stage, u in (ctx.used_gateway.usage.items() if ctx.used_gateway else [])}
    total = ctx.used_gateway.total_usage().model_dump() if ctx.used_gateway else {}
    manifest = {
        "command": ctx.cfg.command,
        "stages": stages_done,
        "config": OmegaConf.to_container(ctx.cfg, resolve=True),
        "prompts": prompt_refs(specs),
        "models": {"llm": {"backend": ctx.cfg.llm.backend, "model": ctx.cfg.llm.model}, "embedding": ctx.cfg.embedding.model},
        "counts": ctx.counts,
        "llm_usage": {"per_stage": usage, "total": total},
        "timings_s": {k: round(v, 2) for k, v in ctx.timings.items()},
        "notes": ctx.notes,
    }
    ctx.folder.write_manifest(manifest)
    return manifest


def run_facets(cfg: DictConfig) -> dict[str, Any]:
    """`clio facets`: load, sample, extract facets, embed the summary facet."""
    ctx = RunContext(cfg=cfg, folder=RunFolder(cfg.run.dir))
    sampled = stage_load(ctx)
    estimate = start_estimate(cfg, sampled, upto="facets")  # expected tokens per stage (clio/estimate.py)
    conversations = stage_screen(ctx, sampled)
    facets, facets_fp = stage_facets(ctx, conversations, data_hash(conversations))
    stage_embed(ctx, facets, facets_fp)
    _account_items(ctx, facets)
    manifest = write_manifest(ctx, ["load", "facets", "embed"])
    manifest["estimate"] = with_actual(estimate, manifest["llm_usage"]["per_stage"])  # estimate next to actual
    ctx.folder.write_manifest(manifest)
    return manifest


def _account_items(ctx: RunContext, facets: pd.DataFrame) -> None:
    """Where every input record went (clio/accounting.py); a non-zero `unaccounted` is noted."""
    from clio.accounting import item_accounting

    items = item_accounting(ctx.counts, facets, ctx.cfg.embedding.facet, ctx.used_gateway.total_usage() if ctx.used_gateway else None)
    ctx.counts["items"] = items
    if items["unaccounted"]:
        ctx.notes.append(f"{items['unaccounted']} input records are not accounted for (see counts.items)")


# --------------------------------------------------------------------------- clusters -> map


def stage_cluster(ctx: RunContext, vectors: np.ndarray, upstream: str) -> tuple[pd.DataFrame, np.ndarray, str]:
    from clio.clustering import choose_k, cluster_embeddings, resolve_method

    c = ctx.cfg.clustering
    fp = fingerprint("cluster", _cfg(c), ctx.cfg.run.seed, upstream)
    out, centroids_out = ctx.folder.private / "assignments.parquet", ctx.folder.private / "centroids.npy"
    index = pd.read_parquet(ctx.folder.private / "embedding_index.parquet")
    if ctx.folder.is_fresh("cluster", fp, [out, centroids_out]):
        return checked(pd.read_parquet(out), "assignments", out), np.load(centroids_out), fp
    started = time.perf_counter()
    k = choose_k(len(vectors), rule=c.rule, k=c.k, min_k=c.min_k, max_k=c.max_k, per_cluster=c.per_cluster)
    method = resolve_method(len(vectors), c.method, **_cfg(c.get("auto") or {}))  # auto: kmeans, or minibatch/faiss for large n
    result = cluster_embeddings(np.asarray(vectors), k, method=method, random_state=ctx.cfg.run.seed, **_cfg(c.options))
    assignments = checked(index.assign(cluster_id=result.labels.astype(int)), "assignments", out)
    ctx.folder.write_parquet(out, assignments)
    ctx.folder.write_array(centroids_out, result.centroids)
    ctx.timings["cluster"] = time.perf_counter() - started
    ctx.folder.finish_stage("cluster", fp, {"k": int(k), "method": method})
    return assignments, result.centroids, fp


NAMING_SOURCES = ("summaries", "excerpts", "sample_summaries")


def naming_settings(cfg: DictConfig) -> dict[str, Any]:
    """naming.* with the chosen source's own settings (naming.sources.<source>) on top."""
    n = _cfg(cfg.naming)
    if n["source"] not in NAMING_SOURCES:
        raise ConfigError(f"naming.source must be one of {', '.join(NAMING_SOURCES)}, not '{n['source']}'")
    return {**{k: v for k, v in n.items() if k != "sources"}, **((n.get("sources") or {}).get(n["source"]) or {})}


def naming_prompt(cfg: DictConfig) -> str:
    return "cluster_name_excerpts" if cfg.naming.source == "excerpts" else "cluster_name"


def naming_criteria(cfg: DictConfig) -> str:
    n = cfg.naming
    return n.criteria.get(cfg.embedding.facet) or n.criteria.request


def stage_name(
    ctx: RunContext,
    facets: pd.DataFrame,
    vectors: np.ndarray,
    assignments: pd.DataFrame,
    centroids: np.ndarray,
    upstream: str,
    conversations: list[Conversation] | None = None,
) -> tuple[pd.DataFrame, list[tuple[str, str]], str]:
    """Contrastive names for the base clusters. Returns the clusters, the (account, text) pairs the
    namer was shown (for the quoted-details check of the privacy stage) and the fingerprint."""
    from clio.naming import name_clusters, naming_examples

    n, facet = naming_settings(ctx.cfg), ctx.cfg.embedding.facet
    criteria, template_ref = naming_criteria(ctx.cfg), load_prompt(naming_prompt(ctx.cfg)).ref
    scrub = _cfg(ctx.cfg.facets.get("privacy_check")) or {"enabled": False}
    summary_refs = prompt_refs([_summary_spec(ctx.cfg, n)]) if n["source"] == "sample_summaries" else None
    from clio.privacy.injection import INJECTION_FILTER_VERSION, strip_instructions

    strip = bool(ctx.cfg.naming.get("strip_instructions", True))
    fp = fingerprint(
        "name",
        n,
        criteria,
        template_ref,
        scrub if n["source"] != "summaries" else None,
        summary_refs,
        ctx.gateway.backend.identity(),
        ctx.cfg.run.seed,
        INJECTION_FILTER_VERSION if strip else None,
        upstream,
    )
    out, shown_out = ctx.folder.private / "base_clusters.parquet", ctx.folder.private / "naming_shown.parquet"
    if ctx.folder.is_fresh("name", fp, [out, shown_out]):
        shown = pd.read_parquet(shown_out)
        return checked(pd.read_parquet(out), "clusters", out), list(zip(shown["account_id"], shown["text"])), fp
    started = time.perf_counter()
    columns = {"conversation_id", "account_id", facet, n.get("excerpt_facet") or "user_text"} & set(facets.columns)
    rows = assignments.merge(facets[sorted(columns)], on="conversation_id", how="left")
    labels, X = assignments["cluster_id"].to_numpy(), np.asarray(vectors)
    members = "central" if n.get("members") == "central" else "random"
    examples = naming_examples(X, labels, centroids, n_members=n["n_members"], n_contrast=n["n_contrast"], members=members, random_state=ctx.cfg.run.seed)
    stripped = 0
    if n["source"] == "summaries":
        texts: Any = list(summary_texts(ctx.cfg, rows[facet]))
        shown_rows = sorted({int(i) for m, c in examples.values() for i in (*m, *c)})
        if strip:  # sentences addressed to the system are data, never instructions to the namer
            for i in shown_rows:
                texts[i], removed = strip_instructions(str(texts[i]))
                stripped += removed
        shown_texts = {i: texts[i] for i in shown_rows}
    else:
        wanted = sorted({int(i) for m, c in examples.values() for i in (*m, *c)})
        texts, stripped = _scrubbed_examples(ctx, n, rows, wanted, conversations, scrub, strip=strip)
        shown_texts = texts
    names = name_clusters(
        texts,
        X,
        labels,
        centroids,
        ctx.gateway,
        criteria=criteria,
        n_members=n["n_members"],
        n_contrast=n["n_contrast"],
        random_state=ctx.cfg.run.seed,
        temperature=n["temperature"],
        max_tokens=n["max_tokens"],
        max_chars=n["max_chars"],
        max_item_chars=n["max_item_chars"],
        prompt=naming_prompt(ctx.cfg),
        examples=examples,
        max_tokens_per_list=n.get("max_tokens_per_list"),
    )
    accounts = rows.groupby("cluster_id")["account_id"].nunique()
    frame = pd.DataFrame([{"cluster_id": c.cluster_id, "name": c.name, "description": c.description, "size": c.size, "accounts": int(accounts.get(c.cluster_id, 0)), "error": c.error} for c in names])
    frame = checked(frame, "clusters", out)
    shown = pd.DataFrame({"account_id": [str(rows["account_id"].iloc[i]) for i in shown_texts], "text": [str(t) for t in shown_texts.values()]})
    ctx.folder.write_parquet(out, frame)
    ctx.folder.write_parquet(shown_out, shown)
    ctx.timings["name"] = time.perf_counter() - started
    ctx.folder.finish_stage(
        "name", fp, {"clusters": len(frame), "naming_failures": int(frame["error"].notna().sum()), "source": n["source"], "texts_shown": len(shown), "instruction_sentences_stripped": int(stripped)}
    )
    return frame, list(zip(shown["account_id"], shown["text"])), fp


def _summary_spec(cfg: DictConfig, n: dict[str, Any]) -> FacetSpec:
    name = n.get("summary_facet") or "request"
    spec = next((s for s in parse_facet_specs(_cfg(cfg.facets.specs)) if s.name == name), None)
    if spec is None or spec.kind != "summary":
        raise ConfigError(f"naming.sources.sample_summaries.summary_facet '{name}' is not a summary facet in facets.specs")
    return spec


def _scrubbed_examples(
    ctx: RunContext, n: dict[str, Any], rows: pd.DataFrame, wanted: list[int], conversations: list[Conversation] | None, scrub: dict[str, Any], strip: bool = True
) -> tuple[dict[int, str], int]:
    """Texts for the rows the namer will see, each through the summary detectors: excerpts of the
    users' own words, or LLM summaries of just these conversations. Sentences addressed to the
    system go first (`strip`, clio/privacy/injection.py). Details that rate below min_score become
    placeholders; a text that still rates below is left out (not shown). Returns the texts by row
    and how many instruction sentences were stripped."""
    from clio.privacy.injection import strip_instructions
    from clio.privacy import RuleAuditor

    if n["source"] == "excerpts":
        source = n.get("excerpt_facet") or "user_text"
        if source not in rows.columns:
            raise ConfigError(f"naming.source=excerpts shows facet '{source}', which was not extracted (facets.specs)")
        raw = [str(rows[source].iloc[i] or "")[: n["max_item_chars"]] for i in wanted]
    else:
        if conversations is None:
            raise ConfigError("naming.source=sample_summaries needs the conversations (clio run / clio eval)")
        by_id = {c.id: c for c in conversations}
        spec = _summary_spec(ctx.cfg, n)
        transcript = TranscriptConfig(**_cfg(ctx.cfg.facets.transcript))
        from clio.facets import extract_facets

        picked = [by_id[rows["conversation_id"].iloc[i]] for i in wanted]
        facet_rows = extract_facets(picked, [spec], ctx.gateway, transcript)
        prefill = spec.prefill.strip()
        raw = []
        for r in facet_rows:
            value = str(r.values.get(spec.name) or "")
            raw.append(value[len(prefill) :].strip() if prefill and value.startswith(prefill) else value)
    stripped = 0
    if strip:
        cleaned = [strip_instructions(t) for t in raw]
        raw, stripped = [t for t, _ in cleaned], sum(k for _, k in cleaned)
    keep = [(i, t) for i, t in zip(wanted, raw) if t.strip()]
    if not scrub.get("enabled", True):
        return dict(keep), stripped
    results = RuleAuditor().generalise([t for _, t in keep], int(scrub.get("min_score", 3)))
    return {i: g.text for (i, _), g in zip(keep, results) if not g.still_below}, stripped


def _quote_sources(cfg: DictConfig, facets: pd.DataFrame, shown: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(account, text) pairs a cluster name must not quote from fewer than min_accounts accounts:
    every conversation's summary in paper mode; in embed-first mode the texts the namer was shown
    plus every conversation's own words (a name can only quote what it saw, but checking the
    users' words as well costs little)."""
    facet = cfg.embedding.facet
    texts = summary_texts(cfg, facets[facet].fillna("")) if facet in facets.columns else []
    own = list(zip(facets["account_id"].astype(str), texts))
    return own if cfg.naming.source == "summaries" else own + [(str(a), str(t)) for a, t in shown]


def stage_privacy(ctx: RunContext, base: pd.DataFrame, upstream: str, summaries: list[tuple[str, str]] | None = None) -> tuple[pd.DataFrame, dict[str, Any], str]:
    """Layers 2 and 4 of the paper: aggregation thresholds, then the privacy auditor. Layers 1 and
    3 are the PII-free instructions in the facet and naming prompts. Removed clusters' names stay
    in the private area; the analyst-facing report only counts them. With `summaries` ((account,
    summary) pairs), layer 2 also removes clusters whose text quotes the summaries of fewer than
    min_accounts accounts (privacy.quoted_details)."""
    from clio.privacy import QUOTE_CHECK_VERSION, RARE_WORD_ZIPF, apply_thresholds, audit_clusters, cluster_text, quoted_details, redact_quoting_sentences

    p = ctx.cfg.privacy
    auditor_kind = p.auditor.kind if p.auditor.enabled else None
    auditor = ctx.auditor
    # The auditor's identity covers its rules version, NER model, prompt and backend.
    quote_check = QUOTE_CHECK_VERSION if summaries is not None and not p.safety_mode else None
    fp = fingerprint("privacy", _cfg(p), auditor.identity() if auditor else None, quote_check, upstream)
    out, report_out = ctx.folder.private / "clusters_kept.parquet", ctx.folder.analyst / "privacy_report.json"
    if ctx.folder.is_fresh("privacy", fp, [out, report_out]):
        return checked(pd.read_parquet(out), "clusters", out), json.loads(report_out.read_text()), fp
    removed_rows: list[dict[str, Any]] = []
    if p.safety_mode:
        kept = base.copy()
        threshold_removed: dict[Any, str] = {}
    else:
        sizes = {int(r.cluster_id): (int(r.size), int(r.accounts)) for r in base.itertuples()}
        kept_ids, threshold_removed = apply_thresholds(sizes, p.min_conversations, p.min_accounts)
        kept = base[base["cluster_id"].isin(kept_ids)]
        removed_rows += [{"cluster_id": cid, "layer": "thresholds", "reason": why} for cid, why in threshold_removed.items()]
    # Thresholds count accounts per cluster, not per phrase: a name can still quote one person's
    # summary (found by the canary test with a model that copies; no pattern or NER sees it).
    quoting: dict[int, list[tuple[str, int]]] = {}
    redacted = 0
    if quote_check and len(kept):
        # A description that quotes loses the quoting sentences (the rest of the cluster is fine);
        # a name that quotes, or a text that still quotes after that, removes the cluster.
        rare = p.get("rare_word_zipf", RARE_WORD_ZIPF)
        kept, redacted = redact_quoting_sentences(kept, summaries, p.min_accounts, rare_word_zipf=rare)
        quotes = quoted_details([cluster_text(r) for r in kept.to_dict("records")], summaries, p.min_accounts, rare_word_zipf=rare)
        quoting = {int(cid): q for cid, q in zip(kept["cluster_id"], quotes) if q}
        kept = kept[~kept["cluster_id"].isin(quoting)]
        removed_rows += [
            {"cluster_id": cid, "layer": "quoted_details", "reason": f"quotes a detail used by fewer than {p.min_accounts} accounts: " + "; ".join(f"'{g}' ({n})" for g, n in q[:3])}
            for cid, q in quoting.items()
        ]
    audit_removed = []
    if auditor is not None and len(kept):
        records = kept.to_dict("records")
        kept_records, audit_removed = audit_clusters(records, auditor, min_score=p.auditor.min_score)
        kept = pd.DataFrame(kept_records, columns=base.columns)
        removed_rows += [{"cluster_id": r.cluster["cluster_id"], "layer": "auditor", "reason": f"rated {r.rating.score}: {'; '.join(r.rating.reasons)}"} for r in audit_removed]
    removed = pd.DataFrame(removed_rows, columns=["cluster_id", "layer", "reason"]).merge(base, on="cluster_id", how="left")
    ctx.folder.write_parquet(ctx.folder.private / "clusters_removed.parquet", removed)
    ctx.folder.write_parquet(out, kept.reset_index(drop=True))
    report = {
        "safety_mode": bool(p.safety_mode),
        "layers": {
            "1_pii_free_summaries": {
                "prompt": "facet prompts instruct: no names, places, contact details, proper nouns",
                "detectors": (ctx.folder.stage_record("facets") or {}).get("summary_privacy", {"enabled": False}),
            },
            "2_aggregation_thresholds": "off (safety mode)"
            if p.safety_mode
            else {
                "min_conversations": p.min_conversations,
                "min_accounts": p.min_accounts,
                "clusters_removed": len(threshold_removed),
                "clusters_quoting_few_accounts_removed": len(quoting),
                "descriptions_redacted": redacted,
            },
            "3_pii_free_cluster_names": "on (naming and hierarchy prompts forbid identifying details)",
            "4_privacy_auditor": {"kind": auditor_kind, "min_score": p.auditor.min_score, "clusters_removed": len(audit_removed), "components": auditor.components()} if auditor_kind else "off",
        },
        "base_clusters_in": int(len(base)),
        "base_clusters_out": int(len(kept)),
        "conversations_in_kept_clusters": int(kept["size"].sum()) if len(kept) else 0,
        # total - kept = the removed clusters' conversations: published only when that pool could be released itself
        "conversations_total": int(base["size"].sum()) if removed_pool_releasable(base, kept, ReleasePolicy.from_config(p)) else None,
    }
    write_json(report_out, report)
    ctx.folder.finish_stage("privacy", fp, {"kept": int(len(kept)), "removed": len(removed_rows)})
    if not len(kept):
        raise ClioError(
            f"the privacy layers removed all {len(base)} clusters ({len(threshold_removed)} by thresholds, {len(quoting)} for quoting few accounts, {len(audit_removed)} by the auditor); "
            "use more data, fewer clusters (clustering.k) or lower privacy.min_conversations/min_accounts"
        )
    return checked(kept.reset_index(drop=True), "clusters", out), report, fp


def removed_pool_releasable(base: pd.DataFrame, kept: pd.DataFrame, policy: ReleasePolicy) -> bool:
    """Whether the conversations of all removed clusters together may be published as a count (it
    follows from the total and the kept sizes). Their union of accounts is at least the largest
    removed cluster's: a lower bound, so a pass is a pass."""
    removed = base[~base["cluster_id"].isin(kept["cluster_id"])]
    if removed.empty:
        return True
    return bool(policy.allows(int(removed["size"].sum()), int(removed["accounts"].max())))


def stage_hierarchy(ctx: RunContext, kept: pd.DataFrame, upstream: str):
    from clio.embeddings import Embedder
    from clio.hierarchy import Hierarchy, build_hierarchy

    h = ctx.cfg.hierarchy
    refs = [load_prompt(f"hierarchy_{s}").ref for s in ("propose", "dedupe", "assign", "rename")]
    criteria = naming_criteria(ctx.cfg)
    fp = fingerprint("hierarchy", _cfg(h), criteria, refs, ctx.gateway.backend.identity(), ctx.cfg.embedding.model, ctx.cfg.run.seed, upstream)
    out, frame_out = ctx.folder.analyst / "hierarchy.json", ctx.folder.analyst / "clusters.parquet"
    if ctx.folder.is_fresh("hierarchy", fp, [out, frame_out]):
        return Hierarchy.model_validate_json(out.read_text()), fp
    started = time.perf_counter()
    embedder = Embedder(ctx.cfg.embedding.model, cache_dir=ctx.cfg.cache.embeddings, show_progress=False)
    records = kept[["cluster_id", "name", "description", "size"]].to_dict("records")
    hierarchy = build_hierarchy(
        records,
        embedder.embed,
        ctx.gateway,
        top_k=h.top_k,
        levels=h.levels,
        neighbourhood_size=h.neighbourhood_size,
        random_state=ctx.cfg.run.seed,
        n_outside=h.n_outside,
        temperature=h.temperature,
        max_chars=h.max_chars,
        always_dedupe=h.always_dedupe,
        criteria=criteria,
        assign_orders=h.get("assign_orders"),
    )
    withheld = _audit_parent_names(ctx, hierarchy)
    atomic_write(out, lambda p: p.write_text(hierarchy.model_dump_json(indent=1), encoding="utf-8"))
    ctx.folder.write_parquet(frame_out, hierarchy.to_frame())
    atomic_write(ctx.folder.analyst / "tree.txt", lambda p: p.write_text(hierarchy.render_tree(), encoding="utf-8"))
    ctx.timings["hierarchy"] = time.perf_counter() - started
    ctx.folder.finish_stage(
        "hierarchy", fp, {"levels": [len(level) for level in hierarchy.levels()], "assignments": hierarchy.assignment_counts(), "names_withheld": withheld, "notes": hierarchy.notes}
    )
    return hierarchy, fp


def _audit_parent_names(ctx: RunContext, hierarchy) -> int:
    """Parent names are written by the model from already-audited children, but they are new
    text: the same auditor rates them, and a name rated below the threshold is withheld. What was
    withheld, and why, goes to the private area (names_withheld.parquet), like removed clusters."""
    from clio.privacy import cluster_text

    withheld = []
    if ctx.auditor is not None:  # written either way, so no earlier run's list is left behind
        parents = [n for n in hierarchy.nodes if n.level > 0]
        for node, rating in zip(parents, ctx.auditor.rate([cluster_text(n) for n in parents], stage="cluster")):
            if rating.score < ctx.cfg.privacy.auditor.min_score:
                withheld.append({"node_id": node.id, "level": node.level, "name": node.name, "description": node.description, "score": rating.score, "reason": "; ".join(rating.reasons)})
                node.name, node.description = f"Withheld category {node.id}", ""
    columns = ["node_id", "level", "name", "description", "score", "reason"]
    ctx.folder.write_parquet(ctx.folder.private / "names_withheld.parquet", pd.DataFrame(withheld, columns=columns))
    return len(withheld)


def stage_project(ctx: RunContext, vectors: np.ndarray, assignments: pd.DataFrame, kept: pd.DataFrame, hierarchy, upstream: str) -> str:
    from clio.hierarchy import base_node_id
    from clio.projection import fit_projection

    pr = ctx.cfg.projection
    fp = fingerprint("project", _cfg(pr), ctx.cfg.run.seed, upstream)
    outputs = [ctx.folder.private / "coords.parquet", ctx.folder.analyst / "map_points.parquet", ctx.folder.analyst / "map_clusters.parquet"]
    if ctx.folder.is_fresh("project", fp, outputs):
        return fp
    started = time.perf_counter()
    projection = fit_projection(np.asarray(vectors), n_neighbors=pr.n_neighbors, min_dist=pr.min_dist, metric=pr.metric, random_state=ctx.cfg.run.seed, fit_sample=pr.fit_sample)
    coords = assignments.assign(x=projection.coords[:, 0], y=projection.coords[:, 1])
    ctx.folder.write_parquet(outputs[0], coords)
    # Analyst-facing map: only points of clusters that passed the privacy layers, no conversation ids.
    visible = coords[coords["cluster_id"].isin(kept["cluster_id"])]
    points = pd.DataFrame({"x": visible["x"].to_numpy(), "y": visible["y"].to_numpy(), "node_id": [base_node_id(c) for c in visible["cluster_id"]]})
    ctx.folder.write_parquet(outputs[1], checked(points.sample(frac=1.0, random_state=ctx.cfg.run.seed).reset_index(drop=True), "map_points", outputs[1]))
    # Every node's position is the mean of its conversations' positions.
    rows = []
    for level in hierarchy.levels():
        for node in level:
            base_ids = _descendant_base_ids(hierarchy, node)
            member = points[points["node_id"].isin(base_ids)]
            rows.append({"node_id": node.id, "level": node.level, "x": float(member["x"].mean()), "y": float(member["y"].mean()), "size": node.size})
    ctx.folder.write_parquet(outputs[2], checked(pd.DataFrame(rows), "map_clusters", outputs[2]))
    ctx.timings["project"] = time.perf_counter() - started
    ctx.folder.finish_stage("project", fp, {"method": projection.method, "fitted_on": projection.fitted_on, "notes": projection.notes})
    return fp


def _descendant_base_ids(hierarchy, node) -> list[str]:
    if node.level == 0:
        return [node.id]
    out: list[str] = []
    for child in hierarchy.children(node.id):
        out += _descendant_base_ids(hierarchy, child)
    return out


def run_all(cfg: DictConfig) -> dict[str, Any]:
    """`clio run`: the whole pipeline, each stage reused when its fingerprint is unchanged."""
    ctx = RunContext(cfg=cfg, folder=RunFolder(cfg.run.dir))
    sampled = stage_load(ctx)
    estimate = start_estimate(cfg, sampled)  # expected tokens per stage (clio/estimate.py)
    conversations = stage_screen(ctx, sampled)
    facets, fp = stage_facets(ctx, conversations, data_hash(conversations))
    vectors, fp = stage_embed(ctx, facets, fp)
    vectors, _, fp = stage_debias(ctx, vectors, facets, fp)
    assignments, centroids, fp = stage_cluster(ctx, vectors, fp)
    base, shown, fp = stage_name(ctx, facets, vectors, assignments, centroids, fp, conversations)
    kept, report, fp = stage_privacy(ctx, base, fp, _quote_sources(cfg, facets, shown))
    hierarchy, fp = stage_hierarchy(ctx, kept, fp)
    stage_project(ctx, vectors, assignments, kept, hierarchy, fp)
    ctx.counts.update(base_clusters=int(len(base)), clusters_after_privacy=int(len(kept)), hierarchy_levels=[len(level) for level in hierarchy.levels()])
    _account_items(ctx, facets)
    manifest = write_manifest(ctx, ["load", "facets", "embed"] + (["debias"] if cfg.debias.method != "none" else []) + ["cluster", "name", "privacy", "hierarchy", "project"])
    manifest["privacy"] = report
    manifest["estimate"] = with_actual(estimate, manifest["llm_usage"]["per_stage"])  # estimate next to actual
    ctx.folder.write_manifest(manifest)
    return manifest
