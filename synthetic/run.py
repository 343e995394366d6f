"""`run(cfg)`: plan -> subcategories -> conversations -> JSONL + manifest. Plain function; the
Hydra shell is in `synthetic/__main__.py`, and tests call `generate_dataset` with a gateway."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from clio.llm.gateway import LLMGateway
from clio.prompts import load_prompt
from clio.runfolder import write_json
from synthetic.config import SynthConfig, parse_config
from synthetic.generate import distribution, generate, propose_subcategories, unplanned_contacts, write_jsonl
from synthetic.plan import make_plan

MAX_LISTED_ERRORS = 20


def generate_dataset(cfg: SynthConfig, gateway: LLMGateway, *, progress: bool = True) -> dict[str, Any]:
    """Write the dataset to cfg.output and its manifest next to it; return the manifest."""
    started = time.perf_counter()
    output = Path(cfg.output)
    plans = make_plan(cfg)
    subcategories, notes = propose_subcategories(cfg, gateway)
    chunk_size = cfg.chunk_size or 4 * gateway.concurrency

    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    pii_appended = 0

    def kept_rows():
        nonlocal pii_appended
        for row, draft in generate(cfg, gateway, plans, subcategories, chunk_size=chunk_size, progress=progress):
            pii_appended += draft.pii_appended
            if row is None:
                errors.append(draft.error or "unknown error")
                continue
            rows.append(row)
            yield row

    written = write_jsonl(kept_rows(), output)
    usage = {stage: u.model_dump() for stage, u in sorted(gateway.usage.items())}
    manifest = {
        "output": str(output),
        "config": cfg.model_dump(mode="json"),
        "prompts": [load_prompt(name).ref for name in cfg.prompts.model_dump().values()],
        "backend": gateway.backend.identity(),
        "counts": {
            "planned": len(plans),
            "written": written,
            "failed": len(errors),
            "with_pii": sum(r["has_pii"] for r in rows),
            "pii_details_appended": pii_appended,  # planted details the model left out (added as a signature)
            "unplanned_contact_details": sum(unplanned_contacts(r) for r in rows),
        },
        # The ground truth of what was written (failed conversations are not in it).
        "distribution": {key: distribution(rows, key) for key in ("category", "language", "expected_concern", "has_pii")}
        | {"turns": distribution([{"t": len(r["messages"]) // 2} for r in rows], "t")},
        "subcategories": subcategories,
        "notes": notes,
        "errors": errors[:MAX_LISTED_ERRORS],
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
    return generate_dataset(synth, gateway, progress=bool(cfg.progress))
