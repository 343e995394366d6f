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
from clio.facets import FacetSpec, TranscriptConfig, extract_facets, parse_facet_specs
from clio.llm.backends import make_backend
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway, Prices
from clio.loaders import load_conversations
from clio.prompts import load_prompt
from clio.records import Conversation, ConversationFacets
from clio.runfolder import RunFolder, data_hash, fingerprint
from clio.sampling import sample


@dataclass
class RunContext:
    cfg: DictConfig
    folder: RunFolder
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _gateway: LLMGateway | None = None

    @property
    def gateway(self) -> LLMGateway:
        if self._gateway is None:
            self._gateway = build_gateway(self.cfg)
        return self._gateway


def build_gateway(cfg: DictConfig) -> LLMGateway:
    llm = cfg.llm
    options = OmegaConf.to_container(llm.get("options", {}), resolve=True) or {}
    backend = make_backend(llm.backend, llm.model, **{k: v for k, v in options.items() if v is not None})
    return LLMGateway(
        backend,
        cache=ResponseCache(cfg.cache.llm),
        prices=Prices(**OmegaConf.to_container(llm.prices, resolve=True)),
        max_retries=llm.max_retries,
        max_reasks=llm.max_reasks,
        concurrency=llm.concurrency,
        show_progress=cfg.progress,
    )


def _cfg(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


# --------------------------------------------------------------------------- stages


def stage_load(ctx: RunContext) -> list[Conversation]:
    data = ctx.cfg.data
    started = time.perf_counter()
    loaded = load_conversations(data.source, format=data.format, on_error=data.on_error)
    if not loaded.conversations:
        raise ClioError(f"{data.source}: no conversations could be loaded ({loaded.n_skipped} skipped)")
    sampled = sample(loaded.conversations, data.sample.strategy, data.sample.n, data.sample.seed)
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


def facet_specs(cfg: DictConfig) -> list[FacetSpec]:
    return parse_facet_specs(_cfg(cfg.facets.specs))


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
    fp = fingerprint("facets", _cfg(ctx.cfg.facets), prompt_refs(specs), ctx.gateway.backend.identity() if needs_llm else None, upstream)
    out = ctx.folder.private / "facets.parquet"
    if ctx.folder.is_fresh("facets", fp, [out]):
        ctx.notes.append("facets: reused from a previous run (fingerprint unchanged)")
        return pd.read_parquet(out), fp
    started = time.perf_counter()
    transcript = TranscriptConfig(**_cfg(ctx.cfg.facets.transcript))
    rows = extract_facets(conversations, specs, ctx.gateway if needs_llm else None, transcript)
    frame = facets_to_frame(rows)
    ctx.folder.write_parquet(out, frame)
    ctx.timings["facets"] = time.perf_counter() - started
    failures = {s.name: int(sum(1 for r in rows if s.name in r.errors)) for s in specs}
    ctx.folder.finish_stage("facets", fp, {"facets": [s.name for s in specs], "failures": failures, "rows": len(rows)})
    return frame, fp


def stage_embed(ctx: RunContext, facets: pd.DataFrame, upstream: str) -> tuple[np.ndarray, str]:
    from clio.embeddings import Embedder

    emb = ctx.cfg.embedding
    if emb.facet not in facets.columns:
        raise ConfigError(f"embedding.facet '{emb.facet}' is not an extracted facet ({', '.join(facets.columns)})")
    fp = fingerprint("embed", _cfg(emb), upstream)
    out, index_out = ctx.folder.private / "embeddings.npy", ctx.folder.private / "embedding_index.parquet"
    if ctx.folder.is_fresh("embed", fp, [out, index_out]):
        return np.load(out, mmap_mode="r"), fp
    started = time.perf_counter()
    usable = facets[facets[emb.facet].notna()]
    embedder = Embedder(emb.model, batch_size=emb.batch_size, cache_dir=ctx.cfg.cache.embeddings, show_progress=ctx.cfg.progress)
    vectors = embedder.embed(usable[emb.facet].astype(str).tolist())
    ctx.folder.write_array(out, vectors)
    ctx.folder.write_parquet(index_out, usable[["conversation_id"]].reset_index(drop=True))
    ctx.timings["embed"] = time.perf_counter() - started
    ctx.counts.update(embedded=len(usable), not_embedded_missing_summary=int(len(facets) - len(usable)))
    ctx.folder.finish_stage(
        "embed", fp, {"model": emb.model, "dim": int(vectors.shape[1]) if len(vectors) else 0, "rows": len(usable), "computed": embedder.computed, "cached": embedder.cached}
    )
    return vectors, fp


# --------------------------------------------------------------------------- manifest


def write_manifest(ctx: RunContext, stages_done: list[str]) -> dict[str, Any]:
    specs = facet_specs(ctx.cfg)
    usage = {stage: u.model_dump() for stage, u in (ctx._gateway.usage.items() if ctx._gateway else [])}
    total = ctx._gateway.total_usage().model_dump() if ctx._gateway else {}
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
    conversations = stage_load(ctx)
    facets, facets_fp = stage_facets(ctx, conversations, data_hash(conversations))
    stage_embed(ctx, facets, facets_fp)
    return write_manifest(ctx, ["load", "facets", "embed"])
