"""Regenerate an eval's figures and tables from a tracked run.

clio report runs/eval-dev-llm-k12-n48                 # from the run folder's eval/metrics.json
clio report --mlflow-run RUN_ID [--out DIR]           # from the MLflow store (tracking.uri)
clio report --mlflow-run RUN_ID --uri sqlite:///mlflow.db
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from clio.errors import ConfigError
from reports.figures import write_report


def _from_folder(eval_dir: Path, out: Path) -> Path:
    metrics, distribution = eval_dir / "metrics.json", eval_dir / "distribution.csv"
    for path in (metrics, distribution):
        if not path.exists():
            raise ConfigError(f"{path}: missing (run `clio eval` first)")
    results = json.loads(metrics.read_text(encoding="utf-8"))
    return write_report(results, pd.read_csv(distribution), out, title=eval_dir.parent.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clio report", description="Regenerate the paper's figures and tables for an eval run.")
    parser.add_argument("run", nargs="?", help="run folder with eval/metrics.json")
    parser.add_argument("--mlflow-run", help="MLflow run id to regenerate from instead")
    parser.add_argument("--uri", default=os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"), help="MLflow tracking URI")
    parser.add_argument("--out", help="output folder (default: <run>/eval, or reports-<run id>/)")
    args = parser.parse_args(argv)
    try:
        if args.mlflow_run:
            import mlflow

            mlflow.set_tracking_uri(args.uri)
            local = Path(mlflow.artifacts.download_artifacts(run_id=args.mlflow_run, artifact_path="eval"))
            index = _from_folder(local, Path(args.out or f"reports-{args.mlflow_run[:8]}"))
        elif args.run:
            eval_dir = Path(args.run) / "eval"
            index = _from_folder(eval_dir, Path(args.out) if args.out else eval_dir)
        else:
            raise ConfigError("give a run folder or --mlflow-run RUN_ID")
    except ConfigError as exc:
        print(f"clio report: error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
