"""Regenerate an eval's figures and tables from a tracked run.

clio report runs/eval-dev-llm-k12-n48                 # from the run folder's eval/metrics.json
clio report --mlflow-run RUN_ID [--out DIR]           # from the MLflow store (tracking.uri)
clio report --mlflow-run RUN_ID --uri sqlite:///mlflow.db
clio report --mlflow-run PAPER_ID EMBED_FIRST_ID --out reports-modes   # several: one folder each + compare.md
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


def _from_mlflow(run_ids: list[str], uri: str, out: str | None) -> Path:
    import mlflow

    from reports.compare import row_of, table

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file otherwise
    mlflow.set_tracking_uri(uri)
    if len(run_ids) == 1:
        local = Path(mlflow.artifacts.download_artifacts(run_id=run_ids[0], artifact_path="eval"))
        return _from_folder(local, Path(out or f"reports-{run_ids[0][:8]}"))
    root = Path(out or "reports-" + "-".join(r[:8] for r in run_ids))
    rows, lines = [], ["# Eval runs side by side", ""]
    for run_id in run_ids:
        run = mlflow.get_run(run_id)
        local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="eval"))
        name = run.info.run_name or run_id
        index = _from_folder(local, root / name)
        seed = run.data.params.get("run.seed")
        rows.append(row_of(json.loads((local / "metrics.json").read_text(encoding="utf-8")), name, int(seed) if seed not in (None, "None") else None))
        lines.append(f"- [{name}]({index.relative_to(root)}) (MLflow run {run_id})")
    lines += ["", table(rows), ""]
    (root / "compare.md").write_text("\n".join(lines), encoding="utf-8")
    return root / "compare.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clio report", description="Regenerate the paper's figures and tables for an eval run.")
    parser.add_argument("run", nargs="?", help="run folder with eval/metrics.json")
    parser.add_argument("--mlflow-run", nargs="+", help="MLflow run id(s) to regenerate from instead (several: one folder each and a comparison table)")
    parser.add_argument("--uri", default=os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"), help="MLflow tracking URI")
    parser.add_argument("--out", help="output folder (default: <run>/eval, or reports-<run id>/)")
    args = parser.parse_args(argv)
    try:
        if args.mlflow_run:
            index = _from_mlflow(args.mlflow_run, args.uri, args.out)
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
