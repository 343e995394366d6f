"""`clio` command line.

    clio run [hydra overrides...]      the whole pipeline: facets, clusters, names, privacy, hierarchy, map
    clio facets [hydra overrides...]   only load, sample, extract facets, embed  (Hydra; -m for sweeps)
    clio eval [hydra overrides...]     score a variant on a labelled benchmark, log it to MLflow (evals/run.py)
    clio estimate [hydra overrides...] dry run: expected calls, tokens and cost per stage of `clio run` (clio/estimate.py)
    clio gate RUN --baseline FILE      exit 1 when an eval's metrics dropped below a stored baseline
    clio gate RUN --baseline-run RUN   the same against another eval run (a prompt change)
    clio report RUN | --mlflow-run ID...  regenerate an eval's figures and tables (reports/), several side by side
    clio show RUN_DIR [--depth N]      a run's counts, usage, privacy report and cluster tree
    clio prompts                       list prompt files with versions and hashes
    clio explore RUN_DIR [--port N] [--privileged --token T]   the explorer on http://127.0.0.1
    clio export RUN_DIR [--out FILE]   the explorer as one self-contained HTML file

Hydra commands are a thin `@hydra.main` shell over plain `run_*` functions. Errors that a user
can fix (bad input, missing key, missing model package) print as one line, with exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from clio import resources
from clio.errors import ClioError

HYDRA_COMMANDS = {"facets", "run", "eval", "estimate"}
CONF_DIR = str(resources.CONF_DIR)


def _hydra_entry(command: str, argv: list[str]) -> int:
    import hydra
    from omegaconf import DictConfig

    from clio import estimate, pipeline
    from evals.run import run_eval

    runners = {"facets": pipeline.run_facets, "run": pipeline.run_all, "eval": run_eval, "estimate": estimate.run_estimate}
    outcome: dict[str, int] = {"code": 0}

    @hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
    def entry(cfg: DictConfig) -> None:
        try:
            result = runners[command](cfg)
        except ClioError as exc:
            print(f"clio {command}: error: {exc}", file=sys.stderr)
            outcome["code"] = 2
            return
        if command == "eval":
            _print_eval(result, cfg.run.dir)
        elif command == "estimate":
            estimate.print_estimate(result)
        else:
            _print_summary(result, cfg.run.dir)

    extra: list[str] = []
    scratch = None
    _check_config([*argv, f"command={command}"])
    if command == "estimate":
        # A dry run writes nothing: Hydra's output folder is a scratch one, removed afterwards.
        import tempfile

        scratch = tempfile.mkdtemp(prefix="clio-estimate-")
        # No log file either: Hydra's file handler would outlive the scratch folder in this process.
        extra = [f"hydra.run.dir={scratch}", "hydra.output_subdir=null", "hydra/job_logging=none"]
    sys.argv = [f"clio {command}", *extra, *argv, f"command={command}"]
    try:
        entry()
    finally:
        if scratch:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
    return outcome["code"]


def _check_config(args: list[str]) -> None:
    """Compose the config up front, so that a bad override (unknown group option, bad key) is one
    line instead of Hydra's report. A multirun (-m) is checked one composition per sweep value."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    flags = {a for a in args if a.startswith("-")}
    if flags - {"-m", "--multirun"}:
        return  # other Hydra flags (--cfg, --info, -cn ...) take values of their own: Hydra checks those runs
    try:
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            for overrides in _sweep_compositions([a for a in args if a not in flags and not a.lstrip("+~").startswith("hydra")]):
                compose("config", overrides=overrides)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        lines = str(exc).splitlines()
        options = []
        if any(line.startswith("Available options") for line in lines):
            start = next(i for i, line in enumerate(lines) if line.startswith("Available options"))
            for line in lines[start + 1 :]:
                if not line.startswith("\t"):
                    break
                options.append(line.strip())
        raise ClioError((lines[0] if lines else type(exc).__name__) + (f" (available: {', '.join(options)})" if options else "")) from None


def _sweep_compositions(overrides: list[str]) -> list[list[str]]:
    """Override lists that together use every value of every sweep (`k=2,3`, `choice(...)`,
    `range(...)`) once: the first values of all sweeps, then each further value on its own."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    values = [[f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()] if o.is_sweep_override() else [o.input_line] for o in parsed]
    first = [choices[0] for choices in values]
    return [first] + [first[:i] + [choice] + first[i + 1 :] for i, choices in enumerate(values) for choice in choices[1:]]


def _print_summary(manifest: dict, run_dir: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]run folder:[/bold] {run_dir}")
    from clio.release import ReleasePolicy, released_counts

    policy = ReleasePolicy.from_run(run_dir)
    privacy_report = manifest.get("privacy") or {}
    withheld = "conversations_total" in privacy_report and privacy_report["conversations_total"] is None
    counts = Table("count", "value", title=f"counts (released at {policy.describe()})")
    for key, value in released_counts(manifest.get("counts", {}), policy, totals_withheld=withheld).items():
        counts.add_row(key, value)
    console.print(counts)
    usage = Table("stage", "calls", "cache hits", "in tok", "out tok", "re-asks", "failures", "cost $", "model s", title="LLM usage")
    for stage, u in sorted(manifest.get("llm_usage", {}).get("per_stage", {}).items()):
        usage.add_row(
            stage, str(u["calls"]), str(u["cache_hits"]), str(u["input_tokens"]), str(u["output_tokens"]), str(u["reasks"]), str(u["failures"]), f"{u['cost_usd']:.4f}", f"{u['seconds']:.1f}"
        )
    console.print(usage)
    if manifest.get("estimate"):
        from clio.estimate import print_vs_actual

        print_vs_actual(console, manifest["estimate"])
    console.print("timings (s): " + ", ".join(f"{k}={v}" for k, v in manifest.get("timings_s", {}).items()))
    for note in manifest.get("notes", []):
        console.print(f"note: {note}")
    privacy = manifest.get("privacy")
    if privacy:
        console.print(f"[bold]privacy:[/bold] {privacy['base_clusters_in']} base clusters -> {privacy['base_clusters_out']} after the privacy layers")
        for layer, state in privacy["layers"].items():
            console.print(f"  {layer}: {state}")
    tree = Path(run_dir) / "analyst" / "tree.txt"
    if tree.exists():
        console.print(f"[bold]cluster tree[/bold] ({tree}):")
        console.print(tree.read_text(encoding="utf-8"), markup=False, highlight=False)
    console.print(f"[bold]analyst-facing outputs:[/bold] {Path(run_dir) / 'analyst'}   [bold]private:[/bold] {Path(run_dir) / 'private'}")


def _show(args: list[str]) -> int:
    if not args:
        raise ClioError("usage: clio show RUN_DIR")
    path = Path(args[0]) / "manifest.json"
    if not path.exists():
        raise ClioError(f"{args[0]}: no manifest.json (not a run folder, or the run has not finished a stage)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    _print_summary(manifest, args[0])
    return 0


def _print_eval(results: dict, run_dir: str) -> None:
    from reports.figures import headline_table, table_per_language

    print(headline_table(results))
    print()
    print(table_per_language(results["supervised"]))
    print(f"\nreport: {Path(run_dir) / 'eval' / 'index.md'}" + (f"   MLflow run: {results['mlflow_run_id']}" if results.get("mlflow_run_id") else ""))


def _prompts(args: list[str]) -> int:
    from clio.prompts import available_prompts, load_prompt

    for name in available_prompts():
        print(load_prompt(name).ref)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    try:
        if command in HYDRA_COMMANDS:
            return _hydra_entry(command, rest)
        if command == "show":
            return _show(rest)
        if command == "prompts":
            return _prompts(rest)
        if command in ("explore", "export"):
            from clio.explorer import commands

            return getattr(commands, command)(rest)
        if command == "gate":
            from evals.gate import main as gate

            return gate(rest)
        if command == "report":
            from reports.__main__ import main as report

            return report(rest)
        raise ClioError(f"unknown command '{command}' (try: {', '.join(sorted(HYDRA_COMMANDS | {'show', 'prompts', 'gate', 'report', 'explore', 'export'}))})")
    except ClioError as exc:
        print(f"clio {command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
