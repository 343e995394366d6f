"""How close `clio estimate` comes to the tokens a finished run actually used, per stage.

    python benchmarks/estimate_accuracy.py runs/sharegpt-100 runs/demo [--given-counts] [--no-leave-out]

For each run folder: the estimate is made from the run's own config (manifest.json) and the same
sampled conversations, as `clio estimate` would have made it before the run; the actual tokens
per stage are

- the manifest's usage, for stages the run computed without a cache hit;
- otherwise a replay from the SQLite response cache: facets (and the screener) are re-asked with
  the run's conversations, naming with the run's private files (facets, embeddings, assignments,
  centroids), through a gateway whose backend answers nothing: every reply is a cache hit whose
  stored token counts are summed (re-asks included, since a cached reply that fails to parse is
  re-asked exactly as in the run). Misses are reported.

Leave-out (default): the estimator's expected-output model reads the response cache, which holds
the run's own replies; they are left out (the keys the replay touched, and the entries written
while the run's naming, privacy and hierarchy stages ran), as is the run's manifest from the
measured re-ask rate, so the estimate sees only other runs' data. `--given-counts` also gives the estimator the
run's actual number of clusters kept by the privacy layers, separating the count model (how many
clusters survive) from the per-call token model.

Prints, per stage: calls, input and output tokens estimated vs actual, and the error in percent.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from omegaconf import OmegaConf  # noqa: E402

from clio.estimate import OutputModel, estimate_run, load_sample, options_for, pct_error  # noqa: E402
from clio.llm.backends import Backend, Completion, make_backend  # noqa: E402
from clio.llm.gateway import LLMGateway  # noqa: E402


class ReplayCache:
    """Read-only view of the response cache that records every key asked and every hit."""

    def __init__(self, path: str | Path):
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        self.asked: set[str] = set()
        self.hits: list[Completion] = []
        self.misses = 0

    def get(self, key: str) -> Completion | None:
        self.asked.add(key)
        row = self._db.execute("SELECT completion FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        completion = Completion(**json.loads(row[0]))
        self.hits.append(completion)
        return completion

    def put(self, key: str, prompt_ref: str, completion: Completion) -> None:  # never writes
        pass

    def tokens(self) -> dict[str, int]:
        return {"calls": len(self.hits), "input_tokens": sum(c.input_tokens for c in self.hits), "output_tokens": sum(c.output_tokens for c in self.hits), "misses": self.misses}


class SilentBackend(Backend):
    """Has the configured backend's identity (so cache keys match) but answers nothing: a miss
    gets an empty reply, which the gateway records as a failure."""

    name = "replay"
    max_concurrency = 1

    def __init__(self, identity: dict[str, Any]):
        self._identity = identity

    def identity(self) -> dict[str, Any]:
        return self._identity

    def complete(self, prompt, params) -> Completion:
        return Completion(text="")


def _gateway(cfg, identity, cache: ReplayCache) -> LLMGateway:
    return LLMGateway(SilentBackend(identity), cache=cache, max_retries=0, max_reasks=int(cfg.llm.max_reasks), concurrency=1, show_progress=False)  # type: ignore[arg-type]


def _identity(cfg) -> dict[str, Any]:
    options = OmegaConf.to_container(cfg.llm.get("options", {}), resolve=True) or {}
    if cfg.llm.backend in ("anthropic", "openai"):  # identity without constructing a client (no key needed)
        return {"backend": cfg.llm.backend, "model": cfg.llm.model, **({"base_url": options.get("base_url")} if cfg.llm.backend == "openai" else {})}
    return make_backend(cfg.llm.backend, cfg.llm.model, **{k: v for k, v in options.items() if v is not None}).identity()


def replay_facets(cfg, conversations, identity) -> tuple[dict[str, dict[str, int]], set[str]]:
    from clio.facets import TranscriptConfig, extract_facets, screen
    from clio.pipeline import facet_specs

    transcript = TranscriptConfig(**OmegaConf.to_container(cfg.facets.transcript, resolve=True))
    out: dict[str, dict[str, int]] = {}
    asked: set[str] = set()
    if cfg.data.get("screen"):
        cache = ReplayCache(cfg.cache.llm)
        conversations, _ = screen(conversations, cfg.data.screen, _gateway(cfg, identity, cache), transcript)
        out["screen"], asked = cache.tokens(), asked | cache.asked
    for spec in [s for s in facet_specs(cfg) if s.uses_llm]:
        cache = ReplayCache(cfg.cache.llm)
        extract_facets(conversations, [spec], _gateway(cfg, identity, cache), transcript)
        out[f"facets.{spec.name}"], asked = cache.tokens(), asked | cache.asked
    return out, asked


def replay_naming(cfg, run: Path, identity) -> tuple[dict[str, int] | None, set[str]]:
    import numpy as np
    import pandas as pd

    from clio.naming import name_clusters
    from clio.pipeline import summary_texts

    private = run / "private"
    needed = [private / f for f in ("facets.parquet", "embeddings.npy", "assignments.parquet", "centroids.npy")]
    if not all(p.exists() for p in needed):
        return None, set()
    facets, vectors = pd.read_parquet(needed[0]), np.load(needed[1])
    assignments, centroids = pd.read_parquet(needed[2]), np.load(needed[3])
    n, facet = cfg.naming, cfg.embedding.facet
    summaries = assignments.merge(facets[["conversation_id", facet, "account_id"]], on="conversation_id", how="left")
    cache = ReplayCache(cfg.cache.llm)
    name_clusters(
        summary_texts(cfg, summaries[facet]),
        vectors,
        assignments["cluster_id"].to_numpy(),
        centroids,
        _gateway(cfg, identity, cache),
        criteria=n.criteria.get(facet) or n.criteria.request,
        n_members=n.n_members,
        n_contrast=n.n_contrast,
        random_state=cfg.run.seed,
        temperature=n.temperature,
        max_tokens=n.max_tokens,
        max_chars=n.max_chars,
        max_item_chars=n.max_item_chars,
    )
    return cache.tokens(), cache.asked


def window_keys(cache_path: str, run: Path, after: str = "cluster", until: str = "hierarchy") -> set[str]:
    """Cache entries written while the run's naming, privacy and hierarchy stages ran: between the
    finish of stage `after` and the finish of stage `until` (stages/<stage>.json), one minute of
    slack each side. Covers the stages without a timing in the manifest (privacy) and naming
    sources the replay cannot repeat (excerpts)."""
    stamps = []
    for stage in (after, until):
        path = run / "stages" / f"{stage}.json"
        if not path.exists():
            return set()
        stamps.append(datetime.fromisoformat(json.loads(path.read_text())["finished"]).timestamp() / 86400.0 + 2440587.5)  # julian day, as the cache stores `created`
    slack = 60 / 86400.0
    db = sqlite3.connect(f"file:{cache_path}?mode=ro", uri=True, timeout=30)
    keys = {k for (k,) in db.execute("SELECT key FROM responses WHERE created BETWEEN ? AND ?", (stamps[0] - slack, stamps[1] + slack))}
    db.close()
    return keys


def check(run: Path, *, leave_out: bool = True, given_counts: bool = False) -> dict[str, Any]:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    cfg = OmegaConf.create(manifest["config"])
    conversations = load_sample(cfg)
    identity = _identity(cfg)
    per_stage = manifest.get("llm_usage", {}).get("per_stage", {})

    actual: dict[str, dict[str, Any]] = {}
    for stage, usage in per_stage.items():  # stages computed in this run, with nothing from the cache
        if usage.get("calls") and not usage.get("cache_hits"):
            actual[stage] = {"calls": usage["calls"], "input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"], "from": "manifest"}
    replayed, asked = replay_facets(cfg, conversations, identity)
    for stage, tokens in replayed.items():
        actual.setdefault(stage, {**tokens, "from": "cache replay"})
    if "name" in manifest.get("stages", []):
        tokens, keys = replay_naming(cfg, run, identity)
        asked |= keys
        if tokens is not None and "naming" not in actual:
            actual["naming"] = {**tokens, "from": "cache replay"}
    exclude = asked | window_keys(cfg.cache.llm, run) if leave_out else set()

    options = options_for(cfg)
    counts = manifest.get("counts", {})
    if given_counts and counts.get("base_clusters") and counts.get("clusters_after_privacy") is not None:
        options["privacy_keep_share"] = counts["clusters_after_privacy"] / counts["base_clusters"]
    outputs = OutputModel(cfg.cache.llm, exclude_keys=exclude, share=float(options["output_share"]), min_samples=int(options["min_samples"]))
    upto = "facets" if manifest.get("command") == "facets" else "run"
    est = estimate_run(cfg, conversations, upto=upto, outputs=outputs, options=options, exclude_runs=[run] if leave_out else [])

    rows = {}
    skipped = sorted(stage for stage in actual if stage.split(".")[0] == "eval")  # `clio eval`'s own steps
    for stage, act in actual.items():
        if stage in skipped:
            continue
        e = est["stages"].get(stage, {"calls": 0, "input_tokens": 0, "output_tokens": 0})
        rows[stage] = {
            "estimated": {k: e[k] for k in ("calls", "input_tokens", "output_tokens")},
            "actual": {k: act.get(k, 0) for k in ("calls", "input_tokens", "output_tokens")},
            "actual_from": act["from"] + (f", {act['misses']} cache misses" if act.get("misses") else ""),
            "error_pct": {k: pct_error(e[k], act.get(k, 0)) for k in ("calls", "input_tokens", "output_tokens")},
        }
    total_e = {k: sum(r["estimated"][k] for r in rows.values()) for k in ("input_tokens", "output_tokens")}
    total_a = {k: sum(r["actual"][k] for r in rows.values()) for k in ("input_tokens", "output_tokens")}
    return {
        "run": str(run),
        "leave_out": leave_out,
        "given_counts": given_counts,
        "rows": rows,
        "not_compared": sorted(set(est["stages"]) - set(rows)),
        "not_estimated": skipped,
        "total": {"estimated": total_e, "actual": total_a, "error_pct": {k: pct_error(total_e[k], total_a[k]) for k in total_e}},
        "estimate_notes": {
            "output_model": est["output_model"],
            "reasks": {k: v.get("reasks_from") for k, v in est["stages"].items()},
            "summary_chars": est.get("summary_chars"),
            "plan": est.get("hierarchy_plan"),
        },
    }


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:+.1f}"


def print_report(r: dict[str, Any]) -> None:
    print(f"\n{r['run']}  (leave-out {'on' if r['leave_out'] else 'off'}{', given cluster counts' if r['given_counts'] else ''})")
    print(f"{'stage':<20} {'calls e/a':>10} {'in est':>9} {'in act':>9} {'in %':>7} {'out est':>8} {'out act':>8} {'out %':>7}  actual from")
    for stage, row in r["rows"].items():
        e, a, err = row["estimated"], row["actual"], row["error_pct"]
        print(
            f"{stage:<20} {str(round(e['calls'], 1)) + '/' + str(a['calls']):>10} {e['input_tokens']:>9,} {a['input_tokens']:>9,} {_fmt(err['input_tokens']):>7} "
            f"{e['output_tokens']:>8,} {a['output_tokens']:>8,} {_fmt(err['output_tokens']):>7}  {row['actual_from']}"
        )
    t = r["total"]
    print(
        f"{'total (compared)':<20} {'':>10} {t['estimated']['input_tokens']:>9,} {t['actual']['input_tokens']:>9,} {_fmt(t['error_pct']['input_tokens']):>7} "
        f"{t['estimated']['output_tokens']:>8,} {t['actual']['output_tokens']:>8,} {_fmt(t['error_pct']['output_tokens']):>7}"
    )
    if r["not_compared"]:
        print(f"estimated but no actual in this run: {', '.join(r['not_compared'])}")
    if r["not_estimated"]:
        print(f"not a `clio run` stage, not estimated: {', '.join(r['not_estimated'])}")
    notes = r["estimate_notes"]
    print(f"summaries: {notes['summary_chars']}; hierarchy plan: {notes['plan']}")
    print("re-asks: " + "; ".join(f"{k}: {v}" for k, v in notes["reasks"].items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--no-leave-out", action="store_true", help="let the estimate see the run's own cached replies")
    parser.add_argument("--given-counts", action="store_true", help="give the estimator the run's number of clusters kept by the privacy layers")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = []
    for run in args.runs:
        if not (run / "manifest.json").exists():
            print(f"{run}: no manifest.json", file=sys.stderr)
            return 2
        results.append(check(run, leave_out=not args.no_leave_out, given_counts=args.given_counts))
        print_report(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
