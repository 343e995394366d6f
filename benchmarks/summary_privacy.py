"""Privacy layer 1, measured: planted private details in facet summaries before and after the
summary detectors (clio.privacy.generalise_summaries), on a finished run over the labelled benchmark.

    python benchmarks/summary_privacy.py runs/eval-dev-llm-k12-n48 [--file ../shared/data/synthetic_multilingual_dev.jsonl]

Reads the run's private facets (the summaries as the model wrote them, if the run was made with the
detectors off or before they existed) and the benchmark's planted details (`pii` per conversation).
A detail "survives" when it appears in the summary (case-insensitive). Also prints the rule auditor's
rating share below 3 before and after, and how long the detectors took.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import pandas as pd

    from clio.privacy import RuleAuditor, generalise_summaries

    default = os.environ.get("CLIO_BENCHMARK", str(ROOT.parent / "shared" / "data" / "synthetic_multilingual_dev.jsonl"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("--file", default=default)
    ap.add_argument("--columns", nargs="+", default=["request", "task"])
    args = ap.parse_args()
    planted = {r["id"]: r.get("pii") or [] for r in map(json.loads, Path(args.file).read_text().splitlines()) if r}
    facets = pd.read_parquet(Path(args.run) / "private" / "facets.parquet")
    columns = [c for c in args.columns if c in facets.columns]
    before = facets.copy()
    auditor = RuleAuditor()
    auditor.rate(["Warm-up for Ada Smith in Paris."])  # loads spaCy and the gazetteer outside the timing
    started = time.perf_counter()
    report = generalise_summaries(facets, columns, auditor)
    seconds = time.perf_counter() - started

    def surviving(frame) -> tuple[int, int]:
        with_pii = survived = 0
        for _, row in frame.iterrows():
            details = planted.get(row["conversation_id"], [])
            if not details:
                continue
            with_pii += 1
            text = " ".join(str(row[c]) for c in columns if pd.notna(row[c])).lower()
            survived += any(d.lower() in text for d in details)
        return survived, with_pii

    def below(frame) -> int:
        texts = [str(v) for c in columns for v in frame[c].dropna()]
        return sum(r.score < 3 for r in auditor.rate(texts, stage="summary")), len(texts)

    (s0, n), (s1, _) = surviving(before), surviving(facets)
    (b0, t), (b1, _) = below(before), below(facets)
    print(f"run {args.run}: {len(facets)} conversations, summary columns {columns}")
    print(f"conversations with planted details whose summaries keep one: before {s0}/{n}, after {s1}/{n}")
    print(f"summaries the rule auditor rates below 3: before {b0}/{t}, after {b1}/{t}")
    print("detectors:", json.dumps(report))
    print(f"detector time: {seconds:.2f} s for {report['summaries_checked']} summaries ({report['summaries_checked'] / max(seconds, 1e-9):.0f}/s)")


if __name__ == "__main__":
    main()
