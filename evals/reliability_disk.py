"""Reliability report, part 5 (issue 21): a full disk, damaged caches, truncated outputs, two
processes on one cache, and a run folder from another layout version, measured by running the
pipeline.

    python -m evals.reliability ...      # the whole report (--no-disk skips this part)

How each fault is made:
  full disk        `clio run` in a subprocess that ignores SIGXFSZ and sets RLIMIT_FSIZE when a
                   given stage starts: from then on a write past the limit fails with EFBIG, as a
                   write on a full disk fails with ENOSPC (real kernel behaviour, no mock). Which
                   file hits the limit is chosen by what is warm: a fresh response cache fills up
                   in the facets stage, a fresh embedding cache in the embed stage, and so on.
  damaged file     bytes of a cache or output overwritten with junk, or the file cut in half.
  two processes    two `clio run` jobs at once over overlapping data, one response cache and one
                   embedding cache between them.
  version skew     a finished run folder whose stage record says another run-folder schema.

Every trial then does what the message says (or nothing, where the run coped) and resumes without
the fault; its outputs must equal an uninterrupted run's (`diff_outputs`) and every input record
must be accounted for. The model is the deterministic fake of evals/reliability.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.reliability import LeakyModel, compose_cfg, diff_outputs, fake_backend, md_table, run_overrides, write_topic_dataset

REPO = Path(__file__).resolve().parent.parent
LIMIT = 40_000  # bytes per file: above SQLite's 32 KiB -shm index, below the files each trial fills
FAST = ["facets.privacy_check.enabled=false", "privacy.auditor.enabled=false"]  # tests: no spaCy; the faults are elsewhere


# --------------------------------------------------------------------------- a limited `clio run`


def worker_main(argv: list[str]) -> int:
    """`python -m evals.reliability_disk worker LIMIT STAGE LEDGER OVERRIDES...`: `clio run` (the
    CLI, so the user's view is measured) on the fake backend, each file limited to LIMIT bytes from
    the start of STAGE on (0: no limit). LEDGER gets a line per paid model call."""
    import resource

    from clio import pipeline
    from clio.cli import main as cli_main

    limit, stage, ledger, overrides = int(argv[0]), argv[1], Path(argv[2]), argv[3:]
    if limit:
        # py3langid unpacks its model into a temp file on first use: load it now, so the limit hits
        # the run's own files (cache, outputs) as a full data disk would, not a full $TMPDIR
        import py3langid

        py3langid.classify("warm up")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process at the limit
        original = getattr(pipeline, f"stage_{stage}")

        def limited(*args: Any, **kwargs: Any) -> Any:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
            return original(*args, **kwargs)

        setattr(pipeline, f"stage_{stage}", limited)
    with fake_backend(LeakyModel(), ledger=ledger):
        return cli_main(["run", *overrides])


def spawn(workdir: Path, tag: str, overrides: list[str], *, limit: int = 0, stage: str = "load") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    args = [sys.executable, "-m", "evals.reliability_disk", "worker", str(limit), stage, str(workdir / f"{tag}.ledger"), *overrides]
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, workdir: Path, tag: str, timeout: float = 600) -> dict[str, Any]:
    """Exit code, the one line shown (an error, else a warning) and the paid calls of a worker."""
    out, err = proc.communicate(timeout=timeout)
    errors = [line for line in err.splitlines() if line.startswith("clio run: error:")]
    warnings = [line for line in (out + err).splitlines() if "WARNING" in line and "clio." in line]
    return {
        "exit": proc.returncode,
        "errors": errors,
        "warnings": warnings,
        "traceback": "Traceback (most recent call last)" in err,
        "shown": (errors or warnings or [""])[0],
        "paid": ledger(workdir / f"{tag}.ledger"),
        "stderr_tail": err[-1500:],
    }


def ledger(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


# --------------------------------------------------------------------------- setup shared by the trials


@dataclass
class DiskEnv:
    workdir: Path
    data: Path
    extra: list[str]
    reference: Path  # an uninterrupted run's folder
    cache: Path  # its caches (warm): llm_responses.sqlite, embeddings/embeddings.sqlite
    calls: int  # model calls it made

    def overrides(self, name: str) -> list[str]:
        return run_overrides(self.workdir / "runs", self.data, name=name, cache=self.workdir / f"cache-{name}") + self.extra

    def caches(self, name: str, *, llm: bool, embeddings: bool) -> tuple[Path, Path]:
        """The trial's cache files, copies of the reference's where warm (`llm`, `embeddings`)."""
        llm_file, emb_file = self.workdir / f"cache-{name}" / "llm_responses.sqlite", self.workdir / f"cache-{name}" / "embeddings" / "embeddings.sqlite"
        for warm, source, target in ((llm, self.cache / "llm_responses.sqlite", llm_file), (embeddings, self.cache / "embeddings" / "embeddings.sqlite", emb_file)):
            if warm:
                copy_sqlite(source, target)
        return llm_file, emb_file


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy, WAL included (a file copy could miss what is still in the -wal file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def prepare(workdir: Path, *, per_topic: int = 12, extra: list[str] | tuple[str, ...] = ()) -> DiskEnv:
    """The uninterrupted reference run (in this process) every trial is compared with."""
    from clio import pipeline

    workdir.mkdir(parents=True, exist_ok=True)
    data = write_topic_dataset(workdir / "topics.jsonl", per_topic)
    env = DiskEnv(workdir, data, list(extra), workdir / "runs" / "reference", workdir / "cache-reference", 0)
    with fake_backend(LeakyModel()):
        manifest = pipeline.run_all(compose_cfg(env.overrides("reference")))
    env.calls = manifest["llm_usage"]["total"]["calls"]
    return env


def resume(env: DiskEnv, name: str) -> dict[str, Any]:
    """The same run again, without the fault (in this process): did it finish, like the reference?"""
    from clio import pipeline
    from clio.errors import ClioError

    paid = env.workdir / f"{name}.resume.ledger"
    try:
        with fake_backend(LeakyModel(), ledger=paid):
            manifest = pipeline.run_all(compose_cfg(env.overrides(name)))
    except ClioError as exc:
        return {"resumed": False, "error": str(exc), "calls": len(ledger(paid)), "differing": ["(no run)"], "unaccounted": None}
    items = manifest["counts"]["items"]
    return {"resumed": True, "calls": len(ledger(paid)), "differing": diff_outputs(env.reference, env.workdir / "runs" / name), "unaccounted": items["unaccounted"], "ok": items["ok"]}


def integrity(path: Path) -> str:
    """SQLite's own check of a cache file ('ok'), or what is wrong."""
    if not path.exists():
        return "absent"
    try:
        with sqlite3.connect(path) as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)


def leftovers(run: Path) -> list[str]:
    """Temp files of interrupted atomic writes (".name.xxxx") and partial arrays without a marker."""
    found = [p.name for p in run.rglob(".*") if p.is_file()]
    found += [p.name for p in run.rglob("*.partial.npy") if not p.with_name(p.name.replace(".partial.npy", ".partial.json")).exists()]
    return sorted(found)


def stages_recorded(run: Path) -> list[str]:
    return sorted(p.stem for p in (run / "stages").glob("*.json")) if (run / "stages").exists() else []


def damage(path: Path, how: str) -> None:
    """'truncated': cut to half its size; 'corrupted': a 4 KiB page in the middle overwritten with junk."""
    raw = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(bytes(raw[: len(raw) // 2]))
        return
    start = (len(raw) // 2) // 4096 * 4096
    junk = np.random.default_rng(0).integers(0, 256, size=4096, dtype=np.uint8).tobytes()
    raw[start : start + 4096] = junk[: len(raw) - start]
    path.write_bytes(bytes(raw))


# --------------------------------------------------------------------------- the trials

# name -> (what, warm response cache, warm embedding cache, stage the limit starts at, limit)
FULL_DISK = {
    "response cache": ("the response cache fills up during facets (fresh cache)", False, True, "facets", LIMIT),
    "embedding cache": ("the embedding cache fills up during embed (fresh cache)", True, False, "embed", LIMIT),
    "embeddings.npy": ("private/embeddings.npy (memory-mapped, chunk by chunk) during embed", True, True, "embed", LIMIT),
    "stage output": ("a stage output: the name stage's parquet files", True, True, "name", 1_000),
}


def full_disk_trial(env: DiskEnv, target: str) -> dict[str, Any]:
    what, warm_llm, warm_emb, stage, limit = FULL_DISK[target]
    name = "full-" + target.replace(" ", "-").replace(".", "-")
    llm_file, emb_file = env.caches(name, llm=warm_llm, embeddings=warm_emb)
    faulted = finish(spawn(env.workdir, name, env.overrides(name), limit=limit, stage=stage), env.workdir, name)
    run = env.workdir / "runs" / name
    stored = _rows(llm_file)
    after = {"stages": stages_recorded(run), "leftovers": leftovers(run), "caches": {"responses": integrity(llm_file), "embeddings": integrity(emb_file)}}
    resumed = resume(env, name)
    return {
        "fault": f"full disk: {target}",
        "what": what,
        "limit": f"{limit:,} B per file from the {stage} stage on",
        "stage": stage,
        **faulted,
        **after,
        **resumed,
        # a call paid in the failed run whose reply could not be stored is paid again on resume
        "paid_twice": len(faulted["paid"]) + resumed["calls"] - (0 if warm_llm else env.calls),
        "stored_before": stored,
    }


def _rows(llm_file: Path) -> int | None:
    try:
        with sqlite3.connect(llm_file) as db:
            return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.Error:
        return None


def damaged_cache_trial(env: DiskEnv, cache: str, how: str) -> dict[str, Any]:
    """A damaged response cache is refused (its replies were paid: the user decides); a damaged
    embedding cache is set aside and rebuilt with a warning. Then the message's advice, and a rerun."""
    name = f"{how}-{cache}-cache"
    llm_file, emb_file = env.caches(name, llm=True, embeddings=True)
    target = llm_file if cache == "response" else emb_file
    damage(target, how)
    faulted = finish(spawn(env.workdir, name, env.overrides(name)), env.workdir, name)
    run = env.workdir / "runs" / name
    row: dict[str, Any] = {
        "fault": f"{cache} cache {how}",
        "what": f"{target.name} {'cut to half' if how == 'truncated' else 'with a 4 KiB page of junk'}",
        **faulted,
        "stages": stages_recorded(run),
        "leftovers": leftovers(run),
        "set_aside": sorted(p.name for p in target.parent.glob("*.damaged-*")),
    }
    if faulted["exit"] == 0:  # rebuilt: the run itself is the resume
        row.update(resumed=True, calls=len(faulted["paid"]), differing=diff_outputs(env.reference, run), unaccounted=json.loads((run / "manifest.json").read_text())["counts"]["items"]["unaccounted"])
    else:  # refused: do what it says (move the file aside), then rerun
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{target}{suffix}").exists():
                os.replace(f"{target}{suffix}", f"{target}.moved{suffix}")
        row.update(resume(env, name), advice_followed="moved the file aside")
    row["caches"] = {"responses": integrity(llm_file), "embeddings": integrity(emb_file)}
    row["paid_twice"] = len(faulted["paid"]) + row["calls"] - (env.calls if row["fault"].startswith("response") else 0)
    return row


def truncated_output_trial(env: DiskEnv) -> dict[str, Any]:
    """A finished run whose facets table and embed stage record were cut short: recomputed from
    the caches (no model call), never read as they are."""
    name = "truncated-output"
    shutil.copytree(env.reference, env.workdir / "runs" / name)
    run = env.workdir / "runs" / name
    env.caches(name, llm=True, embeddings=True)
    damage(run / "private" / "facets.parquet", "truncated")
    damage(run / "stages" / "embed.json", "truncated")
    before = {s: json.loads((run / "stages" / f"{s}.json").read_text())["finished"] for s in ("facets", "cluster")}
    row = {"fault": "stage output truncated", "what": "private/facets.parquet and stages/embed.json cut to half in a finished run", "exit": 0, "traceback": False, "errors": [], "paid": []}
    row.update(resume(env, name))
    after = {s: json.loads((run / "stages" / f"{s}.json").read_text())["finished"] for s in ("facets", "cluster")}
    # embed's record was unreadable (not done), facets' output failed its checksum; cluster is downstream, with an unchanged fingerprint
    row["recomputed"] = sorted(s for s in before if before[s] != after[s])
    row["shown"] = f"(none: {', '.join(row['recomputed']) or 'nothing'} recomputed from the caches, embed redone, later stages reused)"
    row["paid_twice"] = row["calls"]
    return row


def resume_file_trial(workdir: Path, how: str) -> dict[str, Any]:
    """The embed stage's resume file (<name>.partial.npy + marker) after a kill, then damaged:
    the rerun starts over rather than trusting it; intact, it resumes from the marker."""
    from clio.embeddings import embed_to_npy, partial_paths

    texts = [f"conversation summary {i} " + "x" * (i % 7) for i in range(40)]
    seen: list[int] = []

    def embed(batch: list[str], fail_after: int | None = None) -> np.ndarray:
        if fail_after is not None and len(seen) >= fail_after:
            raise KeyboardInterrupt("killed")
        seen.append(len(batch))
        return np.stack([np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in batch]).astype(np.float32)

    path = workdir / f"resume-file-{how}" / "embeddings.npy"
    try:
        embed_to_npy(lambda b: embed(b, fail_after=3), texts, path, key="m", chunk_size=8)
    except KeyboardInterrupt:
        pass
    partial, marker = partial_paths(path)
    if how != "intact":
        damage(partial if how == "truncated" else marker, "truncated")
    seen.clear()
    got = np.asarray(embed_to_npy(embed, texts, path, key="m", chunk_size=8))
    expected = np.stack([np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in texts]).astype(np.float32)
    return {
        "fault": f"embedding resume file {how}" if how == "intact" else f"embedding resume file ({'.partial.npy' if how == 'truncated' else '.partial.json'}) truncated",
        "what": f"killed after 24 of {len(texts)} rows, then {'left as it was' if how == 'intact' else 'cut to half'}",
        "rows_recomputed": sum(seen),
        "resumed": True,
        "differing": [] if np.array_equal(got, expected) else ["embeddings.npy"],
        "leftovers": [p.name for p in (partial, marker) if p.exists()],
    }


def version_skew_trial(env: DiskEnv, schema: int | None = None) -> dict[str, Any]:
    """A finished run folder whose facets record says another run-folder schema: refused with one
    line; the advice (a new run folder) then completes; the same schema resumes in place."""
    from clio import pipeline
    from clio.errors import ClioError
    from clio.runfolder import RUN_SCHEMA

    schema = RUN_SCHEMA - 1 if schema is None else schema
    name = f"schema-{schema}"
    run = env.workdir / "runs" / name
    shutil.copytree(env.reference, run)
    env.caches(name, llm=True, embeddings=True)
    record_path = run / "stages" / "facets.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "run_schema": schema}))
    try:
        with fake_backend(LeakyModel()):
            pipeline.run_all(compose_cfg(env.overrides(name)))
        shown, refused = "(none: reused)", False
    except ClioError as exc:
        shown, refused = str(exc), True
    untouched = json.loads(record_path.read_text())["run_schema"] == schema
    env.caches(f"{name}-new", llm=True, embeddings=True)  # the same cache.dir as the refused run
    fresh = resume(env, f"{name}-new")  # the advice: run into a new folder; cached replies are not paid again
    record_path.write_text(json.dumps(record))  # the same schema again: resumes in place
    same = resume(env, name)
    return {
        "fault": f"run folder of schema {schema} (this clio: {RUN_SCHEMA})",
        "shown": shown,
        "refused": refused,
        "folder_untouched": untouched,
        "new_folder": fresh,
        "same_schema": same,
        "resumed": fresh["resumed"] and same["resumed"],
        "calls": fresh["calls"] + same["calls"],
        "differing": fresh["differing"] + same["differing"],
        "unaccounted": fresh["unaccounted"],
    }


def concurrent_runs(workdir: Path, *, per_topic: int = 12, extra: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Two `clio run` jobs at once, over data that overlap by a third, writing one response cache
    and one embedding cache (both fresh). Afterwards: both finished, both caches pass SQLite's
    integrity check, the cache holds a reply for every distinct call either job paid, and the same
    runs again (new folders, same cache) pay nothing, compute no embedding and give equal outputs."""
    from clio import pipeline

    workdir.mkdir(parents=True, exist_ok=True)
    lines = write_topic_dataset(workdir / "topics.jsonl", per_topic).read_text().splitlines()
    third = len(lines) // 3
    data = {"a": lines[: 2 * third], "b": lines[third:]}  # four topics each, two shared
    cache = workdir / "cache"

    def overrides(job: str, name: str) -> list[str]:
        source = workdir / f"{job}.jsonl"
        return run_overrides(workdir / "runs", source, name=name, cache=cache) + list(extra)

    for job, rows in data.items():
        (workdir / f"{job}.jsonl").write_text("\n".join(rows) + "\n")
    started = time.perf_counter()
    procs = {job: spawn(workdir, job, overrides(job, job)) for job in data}  # both start now
    jobs = {job: finish(proc, workdir, job) for job, proc in procs.items()}
    seconds = time.perf_counter() - started
    paid = {job: set(j["paid"]) for job, j in jobs.items()}
    checks: dict[str, Any] = {
        "responses": integrity(cache / "llm_responses.sqlite"),
        "embeddings": integrity(cache / "embeddings" / "embeddings.sqlite"),
        "cached_replies": _rows(cache / "llm_responses.sqlite"),
        "distinct_calls_paid": len(paid["a"] | paid["b"]),
    }
    again = {}
    for job in data:
        rerun = workdir / f"{job}-again.ledger"
        with fake_backend(LeakyModel(), ledger=rerun):
            pipeline.run_all(compose_cfg(overrides(job, f"{job}-again")))
        record = json.loads((workdir / "runs" / f"{job}-again" / "stages" / "embed.json").read_text())
        again[job] = {"calls": len(ledger(rerun)), "embeddings_computed": record["computed"], "differing": diff_outputs(workdir / "runs" / job, workdir / "runs" / f"{job}-again")}
    return {
        "conversations": {job: len(rows) for job, rows in data.items()},
        "shared": third,
        "seconds": round(seconds, 1),
        "jobs": {job: {"exit": j["exit"], "shown": j["shown"], "paid": len(j["paid"])} for job, j in jobs.items()},
        "paid_by_both": len(paid["a"] & paid["b"]),
        **checks,
        "again": again,
        "passed": all(j["exit"] == 0 for j in jobs.values())
        and checks["responses"] == checks["embeddings"] == "ok"
        and checks["cached_replies"] == checks["distinct_calls_paid"]
        and all(a["calls"] == 0 and a["embeddings_computed"] == 0 and not a["differing"] for a in again.values()),
    }


def disk_trials(workdir: Path, *, per_topic: int = 12, extra: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything above, for the report."""
    started = time.perf_counter()
    env = prepare(workdir / "disk", per_topic=per_topic, extra=extra)
    rows = [full_disk_trial(env, target) for target in FULL_DISK]
    rows += [damaged_cache_trial(env, cache, how) for cache in ("response", "embedding") for how in ("corrupted", "truncated")]
    rows += [resume_file_trial(env.workdir, how) for how in ("intact", "truncated", "marker")]
    rows.append(truncated_output_trial(env))
    skew = version_skew_trial(env)
    concurrent = concurrent_runs(workdir / "concurrent", per_topic=per_topic, extra=extra)
    return {"reference_calls": env.calls, "conversations": 6 * per_topic, "rows": rows, "version_skew": skew, "concurrent": concurrent, "seconds": round(time.perf_counter() - started, 1)}


def passed(row: dict[str, Any]) -> bool:
    """One line shown where the run stopped, no traceback, nothing half-written taken as done,
    caches intact, and a resume equal to the uninterrupted run with every record accounted for."""
    clean_stop = not row.get("traceback") and (row.get("exit", 0) == 0 or len(row.get("errors", [])) == 1)
    intact = all(v in ("ok", "absent") for v in row.get("caches", {}).values())
    return clean_stop and intact and not row.get("leftovers") and row["resumed"] and not row["differing"] and row.get("unaccounted") in (0, None)


def all_passed(results: dict[str, Any]) -> bool:
    skew = results["version_skew"]
    return all(passed(r) for r in results["rows"]) and results["concurrent"]["passed"] and skew["refused"] and skew["folder_untouched"] and skew["resumed"] and not skew["differing"]


# --------------------------------------------------------------------------- the report section

CONCURRENCY_NOTE = (
    "**What is safe.** Several clio processes on one machine may share `cache.dir`: both caches are SQLite files in WAL "
    "mode (readers never block; writers take turns) with a 60 s busy timeout, and each reply or chunk of vectors is "
    "committed on its own, so concurrent jobs lose nothing and corrupt nothing. Two jobs that miss the same call at the "
    "same moment both pay for it (the second write replaces the first with an equal reply). Give each job its own run "
    "folder: a run folder has one writer. **What is not.** Do not put `cache.dir` on a network file system (NFS, SMB, "
    "most cloud-drive mounts): WAL needs shared memory between processes of one host, and SQLite's file locks over NFS "
    "are unreliable, so two machines writing one cache file can corrupt it. Give each machine a cache on a local disk "
    "and, if needed, merge them afterwards (`INSERT OR IGNORE INTO responses SELECT * FROM other.responses` after "
    "`ATTACH`). A run folder on a network disk is fine for one writer: its files are replaced by atomic renames."
)


def render_disk_section(results: dict[str, Any], number: int = 5) -> str:
    rows, skew, conc = results["rows"], results["version_skew"], results["concurrent"]

    def taken_as_done(r: dict[str, Any]) -> str:
        if "stage" in r:  # full disk: the stage that failed has no record, so it is not done
            return "no" if r["stage"] not in r["stages"] and not r["leftovers"] else f"**yes**: {r['stage'] in r['stages']}, {r['leftovers']}"
        return "no" if not r.get("leftovers") else f"**{r['leftovers']}**"

    table = md_table(
        [
            "fault",
            "made by",
            "message shown (stderr, one line)",
            "half-written file taken as done",
            "caches after",
            "resumed, outputs equal",
            "calls on resume (paid twice)",
            "records unaccounted",
            "passed",
        ],
        [
            [
                r["fault"],
                r["what"] + (f"; limit {r['limit']}" if "limit" in r else ""),
                (r.get("shown") or "(none)") + (" **+ traceback**" if r.get("traceback") else ""),
                taken_as_done(r),
                ", ".join(f"{k}: {v}" for k, v in r.get("caches", {}).items()) or "-",
                ("yes" if r["resumed"] and not r["differing"] else f"**NO** {r['differing']}") + (f" (after: {r['advice_followed']})" if r.get("advice_followed") else ""),
                f"{r['calls']} ({r['paid_twice']})" if "calls" in r else f"{r['rows_recomputed']} rows recomputed",
                r.get("unaccounted", "-"),
                "**yes**" if passed(r) else "**NO**",
            ]
            for r in rows
        ],
    )
    new, same = skew["new_folder"], skew["same_schema"]
    return "\n".join(
        [
            f"## {number}. Disk, cache, concurrency and version faults",
            "",
            f"`clio run` on {results['conversations']} conversations (reference: {results['reference_calls']} model calls), run as a subprocess through the CLI so the",
            "table shows what a user sees. A full disk is a file-size limit (`RLIMIT_FSIZE`, SIGXFSZ ignored) set when the named stage",
            "starts: writes past it fail with EFBIG exactly where a full disk fails with ENOSPC. Each run is then resumed without",
            "the fault (after doing what the message says) and compared with the uninterrupted run.",
            "",
            table,
            "",
            f'Version skew: {skew["fault"]}: {"refused" if skew["refused"] else "**reused**"}: "{skew["shown"]}"; the folder was left untouched: '
            f"{'yes' if skew['folder_untouched'] else 'no'}. Following the advice (a new run folder): {'completed' if new['resumed'] else 'failed'} with {new['calls']} model calls, "
            f"outputs equal: {'yes' if not new['differing'] else new['differing']}. The same folder with its schema restored: resumed in place with {same['calls']} calls.",
            "",
            f"Two processes, one cache: jobs of {conc['conversations']['a']} and {conc['conversations']['b']} conversations sharing {conc['shared']}, started at once on fresh caches ({conc['seconds']} s).",
            "",
            md_table(
                ["check", "result"],
                [
                    ["both finished", ", ".join(f"{k}: exit {v['exit']}, {v['paid']} calls paid" for k, v in conc["jobs"].items())],
                    ["same call paid by both (a race both saw as a miss)", conc["paid_by_both"]],
                    ["SQLite integrity_check (responses, embeddings)", f"{conc['responses']}, {conc['embeddings']}"],
                    ["replies cached / distinct calls paid", f"{conc['cached_replies']} / {conc['distinct_calls_paid']}"],
                    [
                        "each job again (new folder, same caches): calls, embeddings computed, outputs equal",
                        "; ".join(f"{k}: {v['calls']}, {v['embeddings_computed']}, {'yes' if not v['differing'] else v['differing']}" for k, v in conc["again"].items()),
                    ],
                    ["passed", "**yes**" if conc["passed"] else "**NO**"],
                ],
            ),
            "",
            CONCURRENCY_NOTE,
            "",
        ]
    )


if __name__ == "__main__":  # only the worker: the report itself is `python -m evals.reliability`
    if sys.argv[1:2] != ["worker"]:
        sys.exit("usage: python -m evals.reliability_disk worker ... (the report: python -m evals.reliability)")
    sys.exit(worker_main(sys.argv[2:]))
