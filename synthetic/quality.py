"""The quality report beside a dataset: what the validators found, what was regenerated and
dropped, and what it cost. `<name>.quality.json` plus a short Markdown table `<name>.quality.md`.

The input is one Outcome per attempt at a conversation (a generated row's first try and each
regeneration; a checked file has one attempt per row). Pass rates are of the first attempt, so
they describe the generator (or the file) before anything was thrown away.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clio.runfolder import atomic_write, write_json
from synthetic.validate import PASS, Verdict

GENERATION = "generation"  # a pseudo-check: the model call itself failed (error or empty answer)
MAX_LISTED_FAILURES = 50


@dataclass
class Outcome:
    slot: int  # which planned conversation (a row's position in a checked file)
    id: str
    attempt: int  # 0: the first try; 1, 2, ...: regenerations
    language: str
    category: str
    verdicts: dict[str, Verdict]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts.values())


def outcomes_of(rows: list[dict[str, Any]], verdicts: list[dict[str, Verdict]], slots: list[int], attempt: int) -> list[Outcome]:
    return [Outcome(slot=s, id=str(r.get("id", s)), attempt=attempt, language=str(r["language"]), category=str(r["category"]), verdicts=v) for s, r, v in zip(slots, rows, verdicts)]


def _rate(passed: int, total: int) -> float | None:
    return round(passed / total, 4) if total else None


def _verdict(o: Outcome, check: str) -> Verdict | None:
    """The outcome's verdict of `check`; None when it did not run (its model call failed). Every
    attempt went through generation: no GENERATION entry means its calls succeeded."""
    if check == GENERATION:
        return o.verdicts.get(GENERATION, PASS)
    return o.verdicts.get(check)


def _group_rates(outcomes: list[Outcome], check: str, key: str) -> dict[str, float | None]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        v = _verdict(o, check)
        if v is not None:
            c = counts[getattr(o, key)]
            c[0] += v.ok
            c[1] += 1
    return {group: _rate(p, n) for group, (p, n) in sorted(counts.items())}


def build_report(outcomes: list[Outcome], checks: list[str], *, dataset: str, planned: int, settings: dict[str, Any], model_calls: dict[str, Any] | None = None) -> dict[str, Any]:
    """model_calls: what generating the dataset cost ({total, regenerations, ...}); None for a
    file that was only checked (then 'dropped' means 'would be dropped')."""
    first = [o for o in outcomes if o.attempt == 0]
    last: dict[int, Outcome] = {}
    for o in sorted(outcomes, key=lambda o: (o.slot, o.attempt)):
        last[o.slot] = o
    kept = sum(o.ok for o in last.values())
    retried = {(o.slot, o.attempt - 1) for o in outcomes if o.attempt > 0}  # attempts that were followed by another
    names = list(checks) + ([GENERATION] if any(GENERATION in o.verdicts for o in outcomes) else [])

    by_check = {}

    def failed(o: Outcome, name: str) -> bool:
        v = _verdict(o, name)
        return v is not None and not v.ok

    for name in names:
        seen = [v for v in (_verdict(o, name) for o in first) if v is not None]
        by_check[name] = {
            "first_pass_rate": _rate(sum(v.ok for v in seen), len(seen)),
            "checked": len(seen),
            # re-attempts caused (partly) by this check, and conversations it finally kept out
            "regenerations": sum(1 for o in outcomes if (o.slot, o.attempt) in retried and failed(o, name)),
            "drops": sum(1 for o in last.values() if failed(o, name)),
            "by_language": _group_rates(first, name, "language"),
            "by_category": _group_rates(first, name, "category"),
        }

    def groups(key: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for value in sorted({getattr(o, key) for o in first}):
            slots = [o for o in first if getattr(o, key) == value]
            kept_here = sum(last[o.slot].ok for o in slots)
            out[value] = {"planned": len(slots), "kept": kept_here, "dropped": len(slots) - kept_here, "first_pass_rate": _rate(sum(o.ok for o in slots), len(slots))}
        return out

    failures = [{"id": o.id, "attempt": o.attempt, "check": name, "reason": v.reason} for o in sorted(outcomes, key=lambda o: (o.attempt, o.slot)) for name, v in o.verdicts.items() if not v.ok]
    report = {
        "dataset": dataset,
        "kind": "checked" if model_calls is None else "generated",
        "checks": names,
        "settings": settings,
        "planned": planned,
        "attempts": len(outcomes),
        "regenerations": len(outcomes) - len(first),
        "kept": kept,
        "dropped": planned - kept,
        "first_pass_rate": _rate(sum(o.ok for o in first), len(first)),  # every check passed on the first try
        "acceptance_rate": _rate(kept, len(outcomes)),  # kept conversations per conversation generated
        "model_calls": model_calls,
        "by_check": by_check,
        "by_language": groups("language"),
        "by_category": groups("category"),
        "failures": failures[:MAX_LISTED_FAILURES],
        "failures_total": len(failures),
    }
    return report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def markdown(report: dict[str, Any]) -> str:
    checks = report["checks"]
    calls = report.get("model_calls") or {}
    if report.get("kind") == "checked":
        summary = (
            f"{report['planned']} conversations checked: {report['kept']} pass every check ({_pct(report['first_pass_rate'])}), {report['dropped']} fail at least one (the generator would drop them)."
        )
    else:
        summary = (
            f"{report['planned']} planned, {report['kept']} kept, {report['dropped']} dropped; {report['attempts']} conversations "
            f"validated ({report['regenerations']} regenerations). All checks passed on the first try: {_pct(report['first_pass_rate'])}; "
            f"acceptance rate (kept / validated): {_pct(report['acceptance_rate'])}." + (f" Model calls: {calls.get('total', 0)} ({calls.get('regenerations', 0)} for regenerations)." if calls else "")
        )
    lines = [
        f"# Quality report: {report['dataset']}",
        "",
        summary,
        "",
        "| check | first-try pass | regenerations | drops |",
        "|---|---|---|---|",
    ]
    for name in checks:
        c = report["by_check"][name]
        lines.append(f"| {name} | {_pct(c['first_pass_rate'])} ({c['checked']}) | {c['regenerations']} | {c['drops']} |")
    for key in ("language", "category"):
        lines += ["", f"First-try pass rate by labelled {key}:", "", "| label | n | " + " | ".join(checks) + " | all | kept |", "|---" * (len(checks) + 4) + "|"]
        for value, g in report[f"by_{key}"].items():
            cells = [_pct(report["by_check"][name][f"by_{key}"].get(value)) for name in checks]
            lines.append(f"| {value} | {g['planned']} | " + " | ".join(cells) + f" | {_pct(g['first_pass_rate'])} | {g['kept']} |")
    return "\n".join(lines) + "\n"


def quality_paths(dataset: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    """`<dir>/<stem>.quality.json` and `.quality.md` for a dataset file (dir: the dataset's own)."""
    folder = Path(out_dir) if out_dir is not None else dataset.parent
    return folder / f"{dataset.stem}.quality.json", folder / f"{dataset.stem}.quality.md"


def write_report(report: dict[str, Any], dataset: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    json_path, md_path = quality_paths(Path(dataset), out_dir)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    write_json(json_path, report)
    text = markdown(report)
    atomic_write(md_path, lambda p: p.write_text(text, encoding="utf-8"))
    return json_path, md_path
