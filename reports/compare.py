"""One Markdown table comparing eval runs side by side (mode x embedder x debiasing x k x seed).

    python -m reports.compare runs/eval-dev-*            # run folders with eval/metrics.json
    python -m reports.compare runs/eval-dev-* --group    # seeds of one variant pooled: mean, spread
    python -m reports.compare --mlflow [--uri URI] [--experiment clio-eval] [--group]   # from MLflow runs

Accuracy comes with its 95 % Wilson interval over the n conversations of the run (a single run) or,
with --group, the mean and the min-max over seeds. Aggregates only: it reads metrics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from reports.figures import wilson_interval

COLUMNS = ["mode", "embedding", "debias", "k", "assign", "n"]


def _row(path: Path) -> dict[str, Any] | None:
    metrics = path / "eval" / "metrics.json"
    if not metrics.exists():
        return None
    return row_of(json.loads(metrics.read_text(encoding="utf-8")), path.name, _seed(path))


def row_of(m: dict[str, Any], run: str, seed: int | None) -> dict[str, Any]:
    """One table row from an eval's metrics.json."""
    variant = m.get("variant") or {}
    sup = m["supervised"]
    groups = {g: v["accuracy"] for g, v in (sup.get("per_group") or {}).items() if v.get("n")}
    weakest = min(groups.items(), key=lambda kv: kv[1]) if groups else (None, None)
    return {
        "run": run,
        "mode": variant.get("mode", "?"),
        "embedding": variant.get("embedding", "?"),
        "debias": variant.get("debias", "?"),
        "k": m.get("n_base_clusters"),
        "assign": variant.get("assign", "?"),
        "n": m["n_conversations"],
        "seed": seed,
        "accuracy": sup["accuracy"],
        "correct": round(sup["accuracy"] * m["n_conversations"]),
        "macro_f1": sup.get("macro_f1"),
        "nmi": m["unsupervised"].get("nmi"),
        "purity": m["unsupervised"].get("purity"),
        "weakest": weakest,
        "requests_per_1k": (m.get("cost") or {}).get("model_requests_per_1k_conversations"),
        "seconds": m.get("eval_seconds"),
    }


def _seed(path: Path) -> int | None:
    manifest = path / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("config", {}).get("run", {}).get("seed")


def mlflow_rows(uri: str, experiment: str) -> list[dict[str, Any]]:
    """Rows from the MLflow store: each finished eval run's logged eval/metrics.json (sweep parents,
    which hold no metrics, are skipped)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file otherwise
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    rows = []
    for run in client.search_runs([found.experiment_id], filter_string="attributes.status = 'FINISHED'", max_results=5000):
        if run.data.tags.get("clio.sweep_parent") == "true":
            continue
        local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="eval/metrics.json"))
        seed = run.data.params.get("run.seed")
        rows.append(row_of(json.loads(local.read_text(encoding="utf-8")), run.info.run_name or run.info.run_id, int(seed) if seed not in (None, "None") else None))
    return rows


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def table(rows: list[dict[str, Any]], group: bool = False) -> str:
    head = "| mode | embedding | debias | k | assign | n | seeds | accuracy % (95 % CI or min-max) | macro F1 % | NMI | purity | weakest language % | model requests / 1k conv. |"
    lines = [head, "|" + "---|" * 13]
    if group:
        pooled: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            pooled[tuple(r[c] for c in COLUMNS)].append(r)
        for key, rs in sorted(pooled.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
            accs = [r["accuracy"] for r in rs]
            mean = sum(accs) / len(accs)
            spread = f"{_pct(mean)} ({_pct(min(accs))}-{_pct(max(accs))})" if len(rs) > 1 else _ci(rs[0])
            weakest = min((r["weakest"] for r in rs if r["weakest"][0]), key=lambda w: w[1], default=(None, None))
            lines.append(
                f"| {' | '.join(str(x) for x in key)} | {len(rs)} | {spread} | {_pct(_mean(rs, 'macro_f1'))} | {_mean(rs, 'nmi'):.2f} | "
                f"{_mean(rs, 'purity'):.2f} | {weakest[0]} {_pct(weakest[1])} | {_fmt(rs[0]['requests_per_1k'])} |"
            )
    else:
        for r in sorted(rows, key=lambda r: tuple(str(r[c]) for c in COLUMNS)):
            lines.append(
                f"| {' | '.join(str(r[c]) for c in COLUMNS)} | {r['seed']} | {_ci(r)} | {_pct(r['macro_f1'])} | {r['nmi']:.2f} | {r['purity']:.2f} | "
                f"{r['weakest'][0]} {_pct(r['weakest'][1])} | {_fmt(r['requests_per_1k'])} |"
            )
    return "\n".join(lines)


def _ci(r: dict[str, Any]) -> str:
    low, high = wilson_interval(r["correct"], r["n"])
    return f"{_pct(r['accuracy'])} [{_pct(low)}, {_pct(high)}]"


def _mean(rs: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rs if r[key] is not None]
    return sum(values) / len(values) if values else float("nan")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="*", help="eval run folders")
    parser.add_argument("--group", action="store_true", help="pool the seeds of each variant")
    parser.add_argument("--mlflow", action="store_true", help="read the runs from the MLflow store instead of folders")
    parser.add_argument("--uri", default=os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"), help="MLflow tracking URI (with --mlflow)")
    parser.add_argument("--experiment", default="clio-eval", help="MLflow experiment (with --mlflow)")
    args = parser.parse_args(argv)
    if args.mlflow:
        rows = mlflow_rows(args.uri, args.experiment)
    else:
        rows = [r for r in (_row(Path(p)) for p in args.runs) if r is not None]
    if not rows:
        print(f"no eval runs in {'experiment ' + args.experiment + ' of ' + args.uri if args.mlflow else 'the given folders'}", file=sys.stderr)
        return 1
    print(table(rows, group=args.group))
    return 0


if __name__ == "__main__":
    sys.exit(main())
