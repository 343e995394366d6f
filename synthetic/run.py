"""`run(cfg)`: plan -> subcategories -> conversations -> validate, regenerate or drop -> JSONL +
manifest + quality report. Plain function; the Hydra shell is in `synthetic/__main__.py`, and
tests call `generate_dataset` with a gateway (and a stand-in embedder)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from clio.llm.gateway import LLMGateway
from clio.prompts import load_prompt
from clio.runfolder import write_json
from synthetic.config import SynthConfig, parse_config
from synthetic.generate import distribution, generate, propose_subcategories, unplanned_contacts, write_jsonl
from synthetic.plan import ConversationPlan, make_plan, retry_plan
from synthetic.quality import GENERATION, Outcome, build_report, outcomes_of, write_report
from synthetic.validate import Embed, Validator, Verdict, default_embed

MAX_LISTED_ERRORS = 20


@dataclass
class Rounds:
    """What the rounds of generation and validation left: the accepted rows by plan index (with
    the planted details the model left out), every attempt's outcome, and the calls retries took."""

    accepted: dict[int, tuple[dict[str, Any], int]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    last_error: dict[int, str] = field(default_factory=dict)
    retry_calls: int = 0


def generate_validated(cfg: SynthConfig, gateway: LLMGateway, plans: list[ConversationPlan], subcategories: dict[str, list[str]], validator: Validator, *, chunk_size: int, progress: bool) -> Rounds:
    """Round 0 generates every planned conversation; each later round regenerates, with a fresh
    seed, those whose model calls failed or that failed a check. A regeneration keeps its plan
    (category, language, subcategory, turns, details: its cell of the quotas), so the quotas stay
    exact unless a conversation still fails after max_regenerations; then it is dropped."""
    out = Rounds()
    pending, calls_at_first_retry = plans, None
    for attempt in range(cfg.validation.max_regenerations + 1):
        if not pending:
            break
        if attempt == 1:
            calls_at_first_retry = gateway.total_usage().calls
        batch = pending if attempt == 0 else [retry_plan(p, cfg.seed, attempt) for p in pending]
        drafts = [d for _, d in generate(cfg, gateway, batch, subcategories, chunk_size=chunk_size, progress=progress)]
        good = [d for d in drafts if d.error is None]
        rows = [d.row() for d in good]
        if not validator.fitted:  # the language means and per-language typical scores come from the first rows
            validator.fit(rows, subcategories)
        verdicts = dict(zip((d.plan.index for d in good), validator.check(rows)))
        pending = []
        for d in drafts:
            row = d.row()
            v = verdicts.get(d.plan.index) or {GENERATION: Verdict(False, d.error or "unknown error")}
            out.outcomes.extend(outcomes_of([row], [v], [d.plan.index], attempt))
            if all(x.ok for x in v.values()):
                out.accepted[d.plan.index] = (row, d.pii_appended)
            else:
                out.last_error[d.plan.index] = f"{d.plan.id}: " + "; ".join(f"{k}: {x.reason}" for k, x in v.items() if not x.ok)
                pending.append(d.plan)
    if calls_at_first_retry is not None:
        out.retry_calls = gateway.total_usage().calls - calls_at_first_retry
    return out


def generate_dataset(cfg: SynthConfig, gateway: LLMGateway, *, progress: bool = True, embed: Embed | None = None, embedding_cache: str | None = None) -> dict[str, Any]:
    """Write the dataset to cfg.output, its manifest and its quality report next to it; return
    the manifest. `embed` (texts -> unit vectors) serves the embedding checks; by default the
    configured model with its disk cache (`embedding_cache`, default $CLIO_CACHE_DIR/embeddings)."""
    started = time.perf_counter()
    output = Path(cfg.output)
    plans = make_plan(cfg)
    subcategories, notes = propose_subcategories(cfg, gateway)
    validator = Validator(cfg.validation, embed if embed is not None else default_embed(cfg.validation, embedding_cache))
    rounds = generate_validated(cfg, gateway, plans, subcategories, validator, chunk_size=cfg.chunk_size or 4 * gateway.concurrency, progress=progress)
    accepted = rounds.accepted
    rows = [accepted[i][0] for i in sorted(accepted)]
    written = write_jsonl(iter(rows), output)
    dropped = [p for p in plans if p.index not in accepted]
    total_calls = gateway.total_usage().calls
    calls = {"total": total_calls, "regenerations": rounds.retry_calls, "per_kept_conversation": round(total_calls / written, 2) if written else None}
    report = build_report(rounds.outcomes, validator.checks, dataset=str(output), planned=len(plans), settings=cfg.validation.model_dump(), model_calls=calls)
    quality_json, quality_md = write_report(report, output)
    usage = {stage: u.model_dump() for stage, u in sorted(gateway.usage.items())}
    manifest = {
        "output": str(output),
        "config": cfg.model_dump(mode="json"),
        "prompts": [load_prompt(name).ref for name in cfg.prompts.model_dump().values()],
        "backend": gateway.backend.identity(),
        "counts": {
            "planned": len(plans),
            "written": written,
            "failed": len(dropped),  # dropped after max_regenerations (model errors or failed checks)
            "regenerations": report["regenerations"],
            "with_pii": sum(r["has_pii"] for r in rows),
            "pii_details_appended": sum(n for _, n in accepted.values()),  # planted details the model left out (added as a signature)
            "unplanned_contact_details": sum(unplanned_contacts(r) for r in rows),
        },
        # The ground truth of what was written (dropped conversations are not in it).
        "distribution": {key: distribution(rows, key) for key in ("category", "language", "expected_concern", "has_pii")}
        | {"turns": distribution([{"t": len(r["messages"]) // 2} for r in rows], "t")},
        # By how much the planned quotas were missed (all empty when nothing was dropped).
        "quota_missed": {
            "category": distribution([{"k": p.category.name} for p in dropped], "k"),
            "language": distribution([{"k": p.language} for p in dropped], "k"),
            "cell": distribution([{"k": f"{p.category.name} | {p.language}"} for p in dropped], "k"),
        },
        "quality": {"report": str(quality_json), "table": str(quality_md), "first_pass_rate": report["first_pass_rate"], "acceptance_rate": report["acceptance_rate"]},
        "subcategories": subcategories,
        "notes": notes,
        "errors": [rounds.last_error[p.index] for p in dropped][:MAX_LISTED_ERRORS],
        "llm_usage": {"per_stage": usage, "total": gateway.total_usage().model_dump()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(output.with_name(output.stem + ".manifest.json"), manifest)
    return manifest


def run(cfg: DictConfig) -> dict[str, Any]:
    """Entry for Hydra configs: the `synthetic` node plus the pipeline's llm / cache settings."""
    from clio.pipeline import build_gateway  # one place builds gateways from config

    synth = parse_config(OmegaConf.to_container(cfg.synthetic, resolve=True))
    gateway = build_gateway(cfg)
    gateway.show_progress = False  # one bar for the whole dataset instead of one per round
    return generate_dataset(synth, gateway, progress=bool(cfg.progress), embedding_cache=cfg.cache.embeddings)
