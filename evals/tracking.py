"""MLflow tracking for eval runs: one MLflow run per `clio eval`, grouped per sweep.

What is logged: the flattened config as params, every numeric metric (dotted names, e.g.
`supervised.accuracy`, `supervised.per_group.Spanish.accuracy`), tags for prompts (name@version
#hash), models, dataset hash, git commit and sweep, and the eval folder (metrics.json, tables,
figures, index.md) as artifacts. The store is local by default (`tracking.uri`, a SQLite file);
`mlflow ui --backend-store-uri <uri>` shows the runs side by side.

Runs of one Hydra multirun share a parent run (tag `clio.sweep`), so the UI groups them.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from evals.metrics import flatten_scalars

MAX_PARAM_CHARS = 6000  # MLflow's limit on a param value


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def flat_params(cfg: DictConfig) -> dict[str, str]:
    container = OmegaConf.to_container(cfg, resolve=True)
    out: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        else:
            out[prefix[:-1]] = str(node)[:MAX_PARAM_CHARS]

    walk({k: v for k, v in container.items() if k != "hydra"}, "")
    return out


def _sweep_id(cfg: DictConfig) -> str | None:
    """The Hydra multirun folder when this job is part of a sweep, else None."""
    try:
        from hydra.core.hydra_config import HydraConfig

        hc = HydraConfig.get()
        return str(hc.sweep.dir) if hc.mode.name == "MULTIRUN" else None
    except Exception:  # not running under Hydra (tests, notebooks)
        return None


def _prompt_tags(cfg: DictConfig) -> dict[str, str]:
    from clio.pipeline import facet_specs, naming_prompt, prompt_refs
    from clio.prompts import load_prompt

    refs = list(prompt_refs(facet_specs(cfg)))
    refs += [load_prompt(n).ref for n in (naming_prompt(cfg), "hierarchy_assign")]
    return {f"prompt.{ref.split('@')[0]}": ref for ref in refs}


def _parent_run(client: Any, experiment_id: str, sweep: str) -> str:
    found = client.search_runs([experiment_id], filter_string=f"tags.`clio.sweep` = '{sweep}' and tags.`clio.sweep_parent` = 'true'", max_results=1)
    if found:
        return found[0].info.run_id
    run = client.create_run(experiment_id, run_name=f"sweep {Path(sweep).name}", tags={"clio.sweep": sweep, "clio.sweep_parent": "true"})
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def log_eval_run(cfg: DictConfig, results: dict[str, Any], artifacts: Path, *, dataset_hash: str, sweep: str | None = None) -> str:
    import mlflow
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    t = cfg.tracking
    mlflow.set_tracking_uri(t.uri)
    experiment = mlflow.set_experiment(t.experiment)
    sweep = sweep or _sweep_id(cfg)
    tags = {
        "git_commit": git_commit(),
        "dataset_hash": dataset_hash,
        "dataset": str(cfg.data.source),
        "llm": f"{cfg.llm.backend}:{cfg.llm.model}",
        "embedding": str(cfg.embedding.model),
        "eval.assign": str(cfg.eval.assign),
        "pipeline.mode": str(cfg.pipeline.mode),
        "debias": str(cfg.debias.method),
        **_prompt_tags(cfg),
        # what the privacy auditor was made of (NER model, gazetteer, rules version), when one ran
        **{f"auditor.{k}": str(v) for k, v in (results.get("auditor_components") or {}).items()},
    }
    if sweep:
        tags["clio.sweep"] = sweep
        tags["mlflow.parentRunId"] = _parent_run(MlflowClient(), experiment.experiment_id, sweep)
    with mlflow.start_run(run_name=cfg.run.name, tags=tags) as run:
        params = flat_params(cfg)
        keys = sorted(params)
        for i in range(0, len(keys), 100):  # MLflow takes at most 100 params per batch
            mlflow.log_params({k: params[k] for k in keys[i : i + 100]})
        mlflow.log_metrics({_metric_key(k): v for k, v in flatten_scalars(results).items()})
        mlflow.log_artifacts(str(artifacts), artifact_path="eval")
        return run.info.run_id


def _metric_key(name: str) -> str:
    # MLflow metric names allow letters, digits, _ - . space / ; language names with other characters are mapped.
    return "".join(ch if ch.isalnum() or ch in "_-. /" else "_" for ch in name)
