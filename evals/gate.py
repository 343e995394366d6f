"""Regression gate: compare an eval's metrics with a stored baseline and fail on a drop.

    clio gate RUN_DIR_OR_METRICS_JSON --baseline evals/baselines/dev_embed_first.json
    clio gate RUN_DIR --baseline FILE --write-baseline      # store this run as the baseline
    clio gate CANDIDATE_RUN --baseline-run BASELINE_RUN       # two run folders (a prompt change)

A baseline holds the run's identity (dataset hash, n, the candidate categories and their hash,
seed, variant) and, per watched metric (dotted names as in `evals.metrics.flatten_scalars`), its
value, its 95 % bootstrap interval and a direction. The gate compares only like with like: when
dataset hash, n, categories or seed differ it refuses (exit 2, one line saying which). A metric
regresses when it falls below the baseline interval's lower end (direction "higher"; for "lower"
metrics such as leak rates, above value + tolerance), or is missing. Watched: overall accuracy,
macro F1, NMI, the auditor's accuracy, planted-PII survival in cluster texts, and the accuracy of
every language. Exit code 1 and a table when anything regressed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clio.errors import ConfigError
from evals.metrics import flatten_scalars

FORMAT = 2
DEFAULT_WATCHED = {
    "supervised.accuracy": ("higher", 0.03),
    "supervised.macro_f1": ("higher", 0.03),
    "unsupervised.nmi": ("higher", 0.03),
    "pii_survival.cluster_survival": ("lower", 0.0),
    "privacy_auditor.accuracy": ("higher", 0.01),
}
PER_GROUP = ("supervised.per_group.", ".accuracy")  # every language's accuracy is watched too
IDENTITY_KEYS = ("dataset_hash", "n", "categories", "categories_hash", "seed")


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "eval" / "metrics.json"
    if not path.exists():
        raise ConfigError(f"{path}: no metrics file (run `clio eval` first)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg})") from None


def load_metrics(path: str | Path) -> dict[str, float]:
    return flatten_scalars(load_results(path))


def load_baseline(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: baseline not found")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT or "identity" not in data or "metrics" not in data:
        raise ConfigError(f"{path}: not a format-{FORMAT} baseline (identity + metrics); write one with --write-baseline")
    for name, spec in data["metrics"].items():
        if not isinstance(spec, dict) or "value" not in spec or spec.get("direction", "higher") not in ("higher", "lower"):
            raise ConfigError(f"{path}: entry '{name}' needs value, direction higher|lower and an interval or tolerance")
    return data


def check_identity(current: dict[str, Any] | None, baseline: dict[str, Any]) -> None:
    """Refuse to compare runs that did not score the same conversations against the same choices."""
    if not current:
        raise ConfigError("the run's metrics.json has no identity (dataset hash, n, categories, seed): re-run `clio eval`")
    differ = [f"{k} {baseline.get(k)!r} vs {current.get(k)!r}" for k in IDENTITY_KEYS if baseline.get(k) != current.get(k)]
    if differ:
        raise ConfigError("not comparable with the baseline: " + "; ".join(differ))


def compare(current: dict[str, float], metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for name, spec in sorted(metrics.items()):
        value, direction = float(spec["value"]), spec.get("direction", "higher")
        tol = float(spec.get("tolerance", 0.0))
        floor = spec.get("ci_low") if spec.get("ci_low") is not None else value - tol
        got = current.get(name)
        if got is None:
            status = "missing"
        elif direction == "higher":
            status = "ok" if got >= floor else "regressed"
        else:
            status = "ok" if got <= value + tol else "regressed"
        rows.append({"metric": name, "baseline": value, "limit": floor if direction == "higher" else value + tol, "direction": direction, "current": got, "status": status})
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    head = f"{'metric':<46} {'baseline':>9} {'limit':>7} {'current':>9}  {'better':<7} status"
    lines = [head, "-" * len(head)]
    for r in rows:
        current = "-" if r["current"] is None else f"{r['current']:.4f}"
        lines.append(f"{r['metric']:<46} {r['baseline']:>9.4f} {r['limit']:>7.4f} {current:>9}  {r['direction']:<7} {r['status'].upper() if r['status'] != 'ok' else 'ok'}")
    return "\n".join(lines)


def baseline_from(results: dict[str, Any]) -> dict[str, Any]:
    """The run's identity and its watched metrics with their intervals."""
    if not results.get("identity"):
        raise ConfigError("the run's metrics.json has no identity: re-run `clio eval` before using it as a baseline")
    current = flatten_scalars(results)
    watched = dict(DEFAULT_WATCHED)
    watched.update({k: ("higher", 0.0) for k in current if k.startswith(PER_GROUP[0]) and k.endswith(PER_GROUP[1])})
    metrics = {}
    for name, (direction, tol) in watched.items():
        if name not in current:
            continue
        low = current.get(f"{name}_ci_low")
        entry: dict[str, Any] = {"value": current[name], "direction": direction, "tolerance": tol}
        if direction == "higher" and low is not None:
            entry["ci_low"] = low
        metrics[name] = entry
    return {"format": FORMAT, "identity": results["identity"], "metrics": metrics}


def write_baseline(results: dict[str, Any], path: Path) -> dict[str, Any]:
    baseline = baseline_from(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clio gate", description="Fail when an eval's metrics drop below a stored baseline's interval.")
    parser.add_argument("run", help="run folder (reads eval/metrics.json) or a metrics.json")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--baseline", help="baseline JSON (format 2: identity + metrics with intervals)")
    source.add_argument("--baseline-run", help="a baseline run folder instead (e.g. the same eval before a prompt change)")
    parser.add_argument("--write-baseline", action="store_true", help="store this run's metrics as the baseline instead of comparing")
    args = parser.parse_args(argv)
    try:
        results = load_results(args.run)
        if args.write_baseline:
            if not args.baseline:
                raise ConfigError("--write-baseline needs --baseline FILE")
            written = write_baseline(results, Path(args.baseline))
            print(f"wrote {len(written['metrics'])} metrics to {args.baseline}")
            return 0
        baseline = baseline_from(load_results(args.baseline_run)) if args.baseline_run else load_baseline(args.baseline)
        check_identity(results.get("identity"), baseline["identity"])
        rows = compare(flatten_scalars(results), baseline["metrics"])
    except ConfigError as exc:
        print(f"clio gate: error: {exc}", file=sys.stderr)
        return 2
    print(format_rows(rows))
    bad = [r for r in rows if r["status"] != "ok"]
    print(f"\n{len(bad)} of {len(rows)} metrics regressed or missing" if bad else f"\nall {len(rows)} metrics within the baseline's limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
