"""Regression gate: compare an eval's metrics with a stored baseline and fail on a drop.

    clio gate RUN_DIR_OR_METRICS_JSON --baseline evals/baselines/dev_offline.json

A baseline file maps dotted metric names (as in `evals.metrics.flatten_scalars`) to
`{"value": 0.80, "tolerance": 0.03, "direction": "higher"}` (direction "lower" for costs and leak
rates). A metric regresses when it is worse than value -/+ tolerance, or missing. Exit code 1
and a table when anything regressed, 0 otherwise. `--write-baseline` stores the current metrics
(the ones named in an existing baseline, or a default set) as the new baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clio.errors import ConfigError
from evals.metrics import flatten_scalars

DEFAULT_WATCHED = {
    "supervised.accuracy": ("higher", 0.03),
    "supervised.macro_f1": ("higher", 0.03),
    "unsupervised.nmi": ("higher", 0.03),
    "pii_survival.cluster_survival": ("lower", 0.0),
    "privacy_auditor.accuracy": ("higher", 0.01),
}


def load_metrics(path: str | Path) -> dict[str, float]:
    path = Path(path)
    if path.is_dir():
        path = path / "eval" / "metrics.json"
    if not path.exists():
        raise ConfigError(f"{path}: no metrics file (run `clio eval` first)")
    try:
        return flatten_scalars(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg})") from None


def load_baseline(path: str | Path) -> dict[str, dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: baseline not found")
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, spec in data.items():
        if not isinstance(spec, dict) or "value" not in spec or spec.get("direction", "higher") not in ("higher", "lower"):
            raise ConfigError(f"{path}: entry '{name}' needs value, tolerance and direction higher|lower")
    return data


def compare(current: dict[str, float], baseline: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for name, spec in sorted(baseline.items()):
        value, tol, direction = float(spec["value"]), float(spec.get("tolerance", 0.0)), spec.get("direction", "higher")
        got = current.get(name)
        if got is None:
            status = "missing"
        elif direction == "higher":
            status = "ok" if got >= value - tol else "regressed"
        else:
            status = "ok" if got <= value + tol else "regressed"
        rows.append({"metric": name, "baseline": value, "tolerance": tol, "direction": direction, "current": got, "status": status})
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    head = f"{'metric':<44} {'baseline':>9} {'tol':>6} {'current':>9}  {'better':<7} status"
    lines = [head, "-" * len(head)]
    for r in rows:
        current = "-" if r["current"] is None else f"{r['current']:.4f}"
        lines.append(f"{r['metric']:<44} {r['baseline']:>9.4f} {r['tolerance']:>6.3f} {current:>9}  {r['direction']:<7} {r['status'].upper() if r['status'] != 'ok' else 'ok'}")
    return "\n".join(lines)


def write_baseline(current: dict[str, float], path: Path, existing: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    watched = {k: (v["direction"], v.get("tolerance", 0.0)) for k, v in (existing or {}).items()} or DEFAULT_WATCHED
    baseline = {k: {"value": current[k], "tolerance": tol, "direction": d} for k, (d, tol) in watched.items() if k in current}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    return baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clio gate", description="Fail when an eval's metrics drop below a stored baseline.")
    parser.add_argument("run", help="run folder (reads eval/metrics.json) or a metrics.json")
    parser.add_argument("--baseline", required=True, help="baseline JSON: metric -> {value, tolerance, direction}")
    parser.add_argument("--write-baseline", action="store_true", help="store this run's metrics as the baseline instead of comparing")
    args = parser.parse_args(argv)
    try:
        current = load_metrics(args.run)
        if args.write_baseline:
            existing = load_baseline(args.baseline) if Path(args.baseline).exists() else None
            written = write_baseline(current, Path(args.baseline), existing)
            print(f"wrote {len(written)} metrics to {args.baseline}")
            return 0
        rows = compare(current, load_baseline(args.baseline))
    except ConfigError as exc:
        print(f"clio gate: error: {exc}", file=sys.stderr)
        return 2
    print(format_rows(rows))
    bad = [r for r in rows if r["status"] != "ok"]
    print(f"\n{len(bad)} of {len(rows)} metrics regressed or missing" if bad else f"\nall {len(rows)} metrics within tolerance")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
