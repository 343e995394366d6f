"""`python -m clio.analyses NAME ...`: the insight and safety analyses of paper sections 3 and 4.

    usage         top-level (or --level N, or a label column) categories, shares, 95% Wilson CIs   (Figure 6)
    languages     per cluster x language: ratio to the language's base rate, with support rule  (Figure 7)
    audit         safety-classifier audit: concern vs external flag rate per cluster           (Figure 8)
    coordination  clusters with one prompt template across many accounts                       (section 4.1)
    monitor       two runs or two time windows: new / grown / shrunk clusters                  (section 4.2)

Input: `--run RUN_DIR` (a `clio run` / `clio eval` folder; reads its private area) or
`--benchmark [PATH]` (a labelled file; PATH defaults to $CLIO_BENCHMARK), whose `--cluster-col`
(default `category`) is the cluster and `expected_concern` the concern score.
Output: `<run>/analyses/<name>/` (benchmark: `--out`, default `runs/benchmark-analyses/<name>/`):
a figure PNG, tables as CSV + Markdown, summary.json. Aggregates only, under the run's aggregation
threshold (`min_conversations`, `min_accounts` from the manifest; `--min-conversations` overrides).

Safety mode (`--safety-mode --i-understand-restricted`, both required): no aggregation thresholds,
an extra table linking each cluster to its account ids, every file RESTRICTED_-prefixed and marked,
written under `<run>/private/restricted/analyses/<name>/` unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from clio.analyses import classifier_audit, coordination, languages, monitoring, usage
from clio.analyses.common import OutputWriter, forbidden_ids, frame_from_benchmark, frame_from_run, released_frame, run_thresholds
from clio.errors import ClioError
from clio.release import ReleasePolicy

NAMES = ("usage", "languages", "audit", "coordination", "monitor")
BENCHMARK_DEFAULT_THRESHOLDS = (10, 5)  # conf/config.yaml privacy: min_conversations, min_accounts


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m clio.analyses", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=NAMES)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="run folder")
    src.add_argument("--benchmark", nargs="?", const="", help="labelled benchmark file (default $CLIO_BENCHMARK)")
    p.add_argument("--cluster-col", default="category", help="benchmark label column used as the cluster (default category)")
    p.add_argument("--level", default=None, help="hierarchy level for run clusters: 0 = base clusters, N, or 'top' (default: top for usage, 0 otherwise)")
    p.add_argument("--out", help="output folder")
    p.add_argument("--min-conversations", type=int, help="aggregation threshold override (default: the run's)")
    p.add_argument("--min-accounts", type=int)
    p.add_argument("--data", help="data source to reread first user messages from (coordination; default: the run's)")
    p.add_argument("--title", help="figure/table title")
    p.add_argument("--safety-mode", action="store_true", help="restricted account-level outputs, no thresholds (also needs --i-understand-restricted)")
    p.add_argument("--i-understand-restricted", action="store_true")
    # languages
    p.add_argument("--min-cell", type=int, default=None, help="languages: minimum conversations per cluster x language cell (default and floor: the run's min_conversations)")
    # audit
    p.add_argument("--flags", help="audit: file with conversation_id and a 0/1 flag column (csv, parquet, jsonl)")
    p.add_argument("--flag-col", default="flag")
    p.add_argument("--concern-file", help="audit: file with conversation_id, concern (for runs without a concern facet)")
    p.add_argument("--simulate-flags", action="store_true", help="audit: SIMULATED classifier from the concern labels (benchmarks only; labelled as simulated)")
    p.add_argument("--blind-spot", help="audit, simulated: cluster the simulated classifier misses (planted false negative)")
    p.add_argument("--overtrigger", help="audit, simulated: cluster the simulated classifier over-flags (planted false positive)")
    p.add_argument("--seed", type=int, default=0)
    # coordination
    p.add_argument("--embedding-model", default="all-MiniLM-L6-v2")
    p.add_argument("--no-embeddings", action="store_true", help="coordination: string signal only")
    p.add_argument("--min-template-accounts", type=int, default=5)
    # monitor
    p.add_argument("--compare-run", help="monitor: the later run (clusters matched to --run by name embeddings)")
    p.add_argument("--split-at", default="median", help="monitor: split one input at this timestamp (default: median)")
    p.add_argument("--alpha", type=float, default=0.05)
    return p


def _read_table(path: str) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    if path.endswith((".jsonl", ".json")):
        return pd.read_json(path, lines=path.endswith(".jsonl"))
    return pd.read_csv(path)


def _load(args: argparse.Namespace, *, level_default: int | None, with_text: bool = False, run: str | None = None) -> tuple[pd.DataFrame, str, tuple[int, int], list[str]]:
    notes: list[str] = []
    if args.benchmark is not None:
        path = args.benchmark or os.environ.get("CLIO_BENCHMARK")
        if not path:
            raise ClioError("--benchmark needs a path or $CLIO_BENCHMARK")
        frame = frame_from_benchmark(path, cluster=args.cluster_col)
        return frame, f"benchmark {Path(path).name} by {args.cluster_col}", BENCHMARK_DEFAULT_THRESHOLDS, notes
    run = run or args.run
    level = level_default if args.level is None else (None if args.level == "top" else int(args.level))
    if level != 0 and not (Path(run) / "analyst" / "clusters.parquet").exists():
        notes.append(f"{run} has no hierarchy: using base clusters")
        level = 0
    frame = frame_from_run(run, level=level, with_text=with_text, data_source=args.data, private_names=bool(args.safety_mode))
    if not frame.attrs.get("names_audited", True):
        notes.append(f"{run} has no privacy stage: clusters are labelled by id (their names were never privacy-audited; safety mode shows them)")
    info = run_thresholds(run)
    notes += info.notes
    lvl = "top level" if level is None else f"level {level}"
    return frame, f"run {Path(run).name}, {lvl}", (info.min_conversations, info.min_accounts), notes


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.safety_mode and not args.i_understand_restricted:
        print("safety mode writes account-level, unthresholded, RESTRICTED outputs: add --i-understand-restricted to confirm", file=sys.stderr)
        return 2
    if args.i_understand_restricted and not args.safety_mode:
        print("--i-understand-restricted does nothing without --safety-mode", file=sys.stderr)
        return 2
    try:
        return _main(args)
    except (ClioError, ValueError, FileNotFoundError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    name = args.name
    frame, desc, (min_conv, min_acc), notes = _load(args, level_default=None if name == "usage" else 0, with_text=(name == "coordination"))
    if not args.safety_mode and ((args.min_conversations or min_conv) < min_conv or (args.min_accounts or min_acc) < min_acc):
        raise ClioError(f"--min-conversations/--min-accounts can raise the run's release thresholds ({min_conv} conversations, {min_acc} accounts), not lower them")
    min_conv = args.min_conversations or min_conv
    min_acc = args.min_accounts or min_acc
    restricted = bool(args.safety_mode)
    if restricted:
        min_conv = min_acc = 1
    policy = ReleasePolicy(max(1, min_conv), max(1, min_acc), restricted=restricted)
    frame = released_frame(frame, policy)
    if args.out:
        out = Path(args.out)
    elif args.run:
        out = Path(args.run) / ("private/restricted/analyses" if restricted else "analyses") / name
    else:
        out = Path("runs/benchmark-analyses") / (f"RESTRICTED_{name}" if restricted else name)
    writer = OutputWriter(out, restricted=restricted, forbidden=forbidden_ids(frame), analysis=name)
    title = args.title or f"{desc}"
    if name == "usage":
        usage.run(frame, writer, title=f"Usage overview: {title}", policy=policy)
    elif name == "languages":
        languages.run(frame, writer, title=f"Language patterns: {title}", policy=policy, min_cell=args.min_cell)
    elif name == "audit":
        if args.concern_file:
            c = _read_table(args.concern_file)[["conversation_id", "concern"]]
            frame = frame.drop(columns="concern").merge(c, on="conversation_id", how="left")
        if frame["concern"].notna().sum() == 0:
            raise ClioError("no concern scores in this input (the run extracted no concern facet): pass --concern-file or use a run with the concern facet")
        if args.simulate_flags:
            flags = classifier_audit.simulated_flags(frame, seed=args.seed, blind_spot=args.blind_spot, overtrigger=args.overtrigger)
            source = f"SIMULATED classifier (seed {args.seed}; blind spot: {args.blind_spot or 'none'}; over-trigger: {args.overtrigger or 'none'})"
        elif args.flags:
            flags = _read_table(args.flags).rename(columns={args.flag_col: "flag"})
            source = Path(args.flags).name
        else:
            raise ClioError("audit needs --flags FILE (conversation_id, flag) or --simulate-flags")
        classifier_audit.run(frame, flags, writer, title=f"Classifier audit: {title}", policy=policy, flag_source=source)
    elif name == "coordination":
        emb = None if args.no_embeddings else coordination.embed_texts(frame["text"].fillna("").tolist(), model=args.embedding_model)
        coordination.run(frame, writer, title=f"Coordinated behaviour: {title}", policy=policy, embeddings=emb, min_accounts=args.min_template_accounts)
    elif name == "monitor":
        if args.compare_run:
            after, desc_b, _, notes_b = _load(args, level_default=0, run=args.compare_run)
            after = released_frame(after, policy)
            notes += notes_b
            embed = lambda texts: coordination.embed_texts(list(texts), model=args.embedding_model)  # noqa: E731
            mapping = monitoring.match_clusters(sorted(frame["cluster"].unique()), sorted(after["cluster"].unique()), embed)
            after = after.assign(cluster=after["cluster"].map(mapping))
            writer.forbidden |= forbidden_ids(after)
            before, labels = frame, (desc, desc_b)
        else:
            before, after, cut = monitoring.split_by_time(frame, None if args.split_at == "median" else args.split_at)
            labels = (f"before {cut.isoformat()}", f"from {cut.isoformat()}")
        monitoring.run(before, after, writer, title=f"Monitoring: {title}", policy=policy, alpha=args.alpha, labels=labels)
    if restricted:
        _write_cluster_accounts(frame, writer)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for path in writer.written:
        print(path)
    return 0


def _write_cluster_accounts(frame: pd.DataFrame, writer: OutputWriter) -> None:
    """Safety mode only: which accounts each cluster's conversations come from."""
    g = frame.groupby(["cluster", "account_id"])
    table = pd.DataFrame({"conversations": g.size(), "first_seen": g["timestamp"].min(), "last_seen": g["timestamp"].max()}).reset_index()
    writer.table("cluster_accounts", table.sort_values(["cluster", "conversations"], ascending=[True, False]), title="Accounts per cluster")


if __name__ == "__main__":
    sys.exit(main())
