"""`clio eval`: score one pipeline variant on a labelled benchmark (paper appendix C and D).

    clio eval experiment=eval_dev                      # offline default, LLM naming + assignment
    clio eval experiment=eval_dev_embedding_only       # the no-LLM baseline on the same sample
    clio eval -m experiment=eval_dev clustering.k=8,12  # a sweep: grouped runs in MLflow

Steps (each model call goes through the cached gateway, each pipeline stage is resumable):
load + sample the benchmark -> facets -> embed -> base clusters -> [names] -> map clusters onto the
ground-truth categories -> metrics -> figures and tables -> MLflow run. Outputs: `<run>/eval/`
(metrics.json, predictions, tables, figures, index.md). Per-conversation predictions stay in
`<run>/private/`: they carry conversation ids.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from clio.errors import ConfigError
from clio.runfolder import RunFolder, data_hash, write_json
from evals import metrics as M
from evals import reconstruction

REQUIRED_LABELS = ("category", "language")


def labels_frame(conversations: list[Any]) -> pd.DataFrame:
    rows = []
    for conv in conversations:
        meta = conv.metadata or {}
        rows.append(
            {
                "conversation_id": conv.id,
                "category": meta.get("category"),
                "subcategory": meta.get("subcategory"),
                "language": meta.get("language"),
                "expected_concern": meta.get("expected_concern"),
                "has_pii": bool(meta.get("has_pii", False)),
                "pii": list(meta.get("pii") or []),
                "user_text": " ".join(m.content for m in conv.messages if m.role == "user")[:1000],
            }
        )
    frame = pd.DataFrame(rows)
    missing = [c for c in REQUIRED_LABELS if frame[c].isna().all()]
    if missing:
        raise ConfigError(f"clio eval needs a labelled dataset: '{', '.join(missing)}' missing in every record of the sample (data.source)")
    return frame


def _concerning_categories(labels: pd.DataFrame) -> set[str]:
    """A category counts as concerning when its conversations' expected concern averages 3 or more."""
    if labels["expected_concern"].isna().all():
        return set()
    mean = labels.groupby("category")["expected_concern"].mean()
    return set(mean[mean >= 3].index)


def candidate_categories(cfg: DictConfig) -> tuple[list[str], str]:
    """The categories a cluster can be mapped onto: the declared taxonomy file (eval.taxonomy), or
    every category label in the whole dataset file. Never the sample's labels: on a small sample
    some categories are absent, and dropping them from the choices leaks the labels into the
    prediction. Returns (sorted categories, where they came from)."""
    import json

    from clio.loaders import iter_conversations

    path = cfg.eval.get("taxonomy")
    if path:
        file = Path(str(path))
        if not file.exists():
            raise ConfigError(f"eval.taxonomy: {file} does not exist")
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".json":
            names = json.loads(text)
        elif file.suffix in (".yaml", ".yml"):
            import yaml

            names = yaml.safe_load(text)
        else:
            names = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names) or not names:
            raise ConfigError(f"eval.taxonomy: {file} must hold a non-empty list of category names")
        return sorted({n.strip() for n in names}), f"taxonomy {file.name}"
    data = cfg.data
    found = {str((c.metadata or {}).get("category")) for c in iter_conversations(data.source, format=data.format, on_error="skip") if (c.metadata or {}).get("category") is not None}
    return sorted(found), "dataset"


def split_of(conversation_id: str, seed: int, test_share: float) -> str:
    """'dev' or 'test' from a seeded hash of the id: stable across samples, machines and runs."""
    import hashlib

    digest = hashlib.sha256(f"{seed}:{conversation_id}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_share else "dev"


def _test_ledger(cfg: DictConfig) -> tuple[Path, str]:
    """Where test-split looks are recorded, and this config's key (its resolved config without the
    run name and folder, which say nothing about the variant)."""
    import hashlib
    import json

    from omegaconf import OmegaConf

    plain = OmegaConf.to_container(cfg, resolve=True)
    plain.pop("run", None)
    plain.get("eval", {}).pop("allow_test_rerun", None)
    key = hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]
    return Path(cfg.run.root) / ".test-split-ledger.json", key


def _apply_split(cfg: DictConfig, conversations: list[Any]) -> list[Any]:
    """eval.split=dev|test keeps that part of the labelled set; test is scored once per config."""
    import json

    e = cfg.eval
    split = e.get("split", "all")
    if split == "all":
        return conversations
    if split not in ("dev", "test"):
        raise ConfigError(f"eval.split must be all, dev or test, not '{split}'")
    if split == "test":
        ledger, key = _test_ledger(cfg)
        seen = json.loads(ledger.read_text(encoding="utf-8")) if ledger.exists() else {}
        if key in seen and not e.get("allow_test_rerun", False):
            raise ConfigError(
                f"this config was already scored on the test split ({seen[key]}); a second look turns test into dev. Set eval.allow_test_rerun=true to do it anyway (and say so when you report it)"
            )
        ledger.parent.mkdir(parents=True, exist_ok=True)
        seen[key] = f"run {cfg.run.name}, {time.strftime('%Y-%m-%d %H:%M')}"
        ledger.write_text(json.dumps(seen, indent=1), encoding="utf-8")
    kept = [c for c in conversations if split_of(c.id, int(e.get("split_seed", 0)), float(e.get("test_share", 0.5))) == split]
    if not kept:
        raise ConfigError(f"eval.split={split}: no conversation of the sample falls in it")
    return kept


def run_eval(cfg: DictConfig) -> dict[str, Any]:
    from clio import pipeline as P
    from clio.embeddings import Embedder

    e = cfg.eval
    if e.assign not in ("llm", "embedding"):
        raise ConfigError(f"eval.assign must be 'llm' or 'embedding', not '{e.assign}'")
    started = time.perf_counter()
    ctx = P.RunContext(cfg=cfg, folder=RunFolder(cfg.run.dir))
    conversations = _apply_split(cfg, P.stage_screen(ctx, P.stage_load(ctx)))
    labels = labels_frame(conversations)
    facets, fp = P.stage_facets(ctx, conversations, data_hash(conversations))
    vectors, fp = P.stage_embed(ctx, facets, fp)
    vectors, debias, fp = P.stage_debias(ctx, vectors, facets, fp)
    assignments, _, fp = P.stage_cluster(ctx, vectors, fp)
    embedder = Embedder(cfg.embedding.model, cache_dir=cfg.cache.embeddings, show_progress=False)

    # Ground-truth top level: the whole label set, sorted (the order is shuffled per call anyway).
    categories, categories_source = candidate_categories(cfg)
    unknown = sorted(set(labels["category"].dropna()) - set(categories))
    if unknown:
        raise ConfigError(f"eval.taxonomy: the sample has categories the taxonomy lacks: {', '.join(unknown[:5])}")
    cluster_ids = sorted(int(c) for c in assignments["cluster_id"].unique())
    base = None
    if e.assign == "llm":
        base, _, fp = P.stage_name(ctx, facets, vectors, assignments, np.load(ctx.folder.private / "centroids.npy"), fp, conversations)
        base = base.set_index("cluster_id").loc[cluster_ids].reset_index()
        chosen, how = reconstruction.assign_by_llm(
            base, categories, embedder.embed, ctx.gateway, random_state=cfg.run.seed, max_chars=cfg.hierarchy.max_chars, assign_orders=cfg.hierarchy.get("assign_orders")
        )
    else:
        centroids = reconstruction.member_centroids(np.asarray(vectors), assignments["cluster_id"].to_numpy(), cluster_ids)
        # Category names have no language of their own: centred like every query (debias.transform_queries).
        chosen = reconstruction.assign_by_embedding(centroids, categories, lambda texts: debias.transform_queries(embedder.embed(texts)))
        how = ["embedding-nearest"] * len(cluster_ids)
    predicted = reconstruction.conversation_predictions(assignments, cluster_ids, chosen, categories)

    table = labels.merge(facets.rename(columns={"language": "detected_language", "user_text": "_user_text"}), on="conversation_id", how="left")
    table = table.merge(assignments, on="conversation_id", how="left")
    table["predicted_category"] = table["conversation_id"].map(predicted)
    concerning = _concerning_categories(labels)

    results: dict[str, Any] = {
        "supervised": M.supervised_reconstruction(table["category"], table["predicted_category"], groups=table["language"], concerning=table["category"].isin(concerning)),
        "unsupervised": M.unsupervised_reconstruction(table["category"], table["cluster_id"].fillna(-1).astype(int)),
        "assignment_methods": {m: how.count(m) for m in sorted(set(how))},
    }
    boot = e.get("bootstrap") or {}
    if int(boot.get("resamples", 0) or 0) > 0:
        from evals.intervals import add_partition_intervals, add_supervised_intervals

        resamples, seed = int(boot.resamples), int(boot.seed)
        add_supervised_intervals(results["supervised"], table["category"], table["predicted_category"], table["language"], table["category"].isin(concerning), resamples=resamples, seed=seed)
        add_partition_intervals(results["unsupervised"], table["category"], table["cluster_id"].fillna(-1).astype(int), resamples=resamples, seed=seed)
    if "concern" in facets.columns and not labels["expected_concern"].isna().all():
        results["concern"] = M.concern_agreement(table["expected_concern"].tolist(), table["concern"].tolist())

    # The summary layer exists only when what was embedded is a model-written summary (not the
    # no-LLM baseline, which embeds the users' own words).
    summary_spec = next((s for s in P.facet_specs(cfg) if s.name == cfg.embedding.facet and s.kind == "summary"), None)
    summaries = P.summary_texts(cfg, table[cfg.embedding.facet].fillna("")) if summary_spec else None
    cluster_texts = [f"{r.name}. {r.description}" for r in base.itertuples()] if base is not None else []
    results["pii_survival"] = M.pii_survival(table["pii"].tolist(), summaries or [None] * len(table), cluster_texts)
    if summaries is None:
        results["pii_survival"]["summary_survival"] = None  # no summary layer to measure
    if not cluster_texts:
        results["pii_survival"]["cluster_survival"] = None  # no cluster names were written
    if e.auditor:
        results["privacy_progression"] = _progression(ctx, e.auditor, table, summaries, cluster_texts)
    if e.privacy_dev:
        results["privacy_auditor"] = _auditor_accuracy(ctx, e.auditor or cfg.privacy.auditor.kind, e.privacy_dev)
    if e.auditor or e.privacy_dev:
        results["auditor_components"] = _auditor(ctx, e.auditor or cfg.privacy.auditor.kind).components()
    usage = {stage: u.model_dump() for stage, u in (ctx.used_gateway.usage.items() if ctx.used_gateway else [])}
    results["cost"] = M.cost(usage, len(table))
    results["variant"] = {
        "mode": cfg.pipeline.mode,
        "embedding": cfg.embedding.model,
        "debias": cfg.debias.method,
        "k": len(cluster_ids),
        "naming_source": cfg.naming.source if e.assign == "llm" else None,
        "assign": e.assign,
    }
    results["n_conversations"] = len(table)
    results["n_base_clusters"] = len(cluster_ids)
    results["n_categories"] = len(categories)
    # What the regression gate checks before comparing two runs (evals/gate.py).
    import hashlib

    results["split"] = {"split": cfg.eval.get("split", "all"), "seed": int(cfg.eval.get("split_seed", 0)), "test_share": float(cfg.eval.get("test_share", 0.5))}
    results["identity"] = {
        "dataset_hash": data_hash(conversations),
        "n": len(table),
        "categories": len(categories),
        "categories_hash": hashlib.sha256("\n".join(categories).encode("utf-8")).hexdigest()[:16],
        "seed": int(cfg.run.seed),
        "variant": results["variant"],
    }
    results["candidates"] = {"source": categories_source, "n": len(categories), "absent_from_sample": len(set(categories) - set(labels["category"].dropna()))}
    results["eval_seconds"] = round(time.perf_counter() - started, 1)

    out_dir = Path(cfg.run.dir) / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "metrics.json", results)
    # Category-level predictions are aggregate-safe; the per-conversation table stays private.
    ctx.folder.write_parquet(ctx.folder.private / "eval_predictions.parquet", table[["conversation_id", "category", "language", "cluster_id", "predicted_category"]])
    distribution = pd.DataFrame({"truth": table["category"].value_counts(), "reconstructed": table["predicted_category"].value_counts()})
    distribution = distribution.fillna(0).astype(int).rename_axis("category").reset_index()
    distribution.to_csv(out_dir / "distribution.csv", index=False)

    from reports.figures import write_report

    write_report(results, distribution, out_dir, title=f"{cfg.run.name}: {e.assign} assignment")
    stages = ["load", "facets", "embed"] + (["debias"] if cfg.debias.method != "none" else []) + ["cluster"]
    P.write_manifest(ctx, stages + (["name"] if e.assign == "llm" else []) + ["eval"])
    if cfg.tracking.enabled:
        from evals.tracking import log_eval_run

        results["mlflow_run_id"] = log_eval_run(cfg, results, out_dir, dataset_hash=data_hash(conversations))
        write_json(out_dir / "metrics.json", results)
    return results


def _raw_texts(table: pd.DataFrame) -> list[str]:
    return table["user_text"].fillna("").tolist()


def _progression(ctx: Any, auditor_kind: str, table: pd.DataFrame, summaries: list[str] | None, cluster_texts: list[str]) -> dict[str, Any]:
    """Figure 5: the same auditor on raw conversations, their summaries and the cluster texts."""
    auditor = _auditor(ctx, auditor_kind)
    layers = {"raw": [r.score for r in auditor.rate(_raw_texts(table), stage="raw")]}
    if summaries is not None:
        layers["summary"] = [r.score for r in auditor.rate(summaries, stage="summary")]
    if cluster_texts:
        layers["cluster"] = [r.score for r in auditor.rate(cluster_texts, stage="cluster")]
    out = M.privacy_progression(layers)
    # Split by the benchmark's has_pii label: the share that should be private vs what was caught.
    has = table["has_pii"].to_numpy(dtype=bool)
    for layer in [name for name in ("raw", "summary") if name in layers]:
        scores = np.asarray(layers[layer])
        out[f"{layer}_private_share_on_pii"] = float((scores[has] <= 2).mean()) if has.any() else None
        out[f"{layer}_private_share_on_clean"] = float((scores[~has] <= 2).mean()) if (~has).any() else None
    return out


def _auditor(ctx: Any, kind: str) -> Any:
    from clio.privacy import make_auditor

    return make_auditor(kind, gateway=ctx.gateway if kind in ("llm", "hybrid") else None, allow_degraded=bool(ctx.cfg.privacy.auditor.get("allow_degraded", False)))


def _auditor_accuracy(ctx: Any, kind: str, path: str) -> dict[str, Any]:
    from evals.privacy_auditor import evaluate_auditor

    result = evaluate_auditor(_auditor(ctx, kind), path)
    result.pop("errors", None)
    result["auditor"] = kind
    return result
