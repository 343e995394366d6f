"""The run folder: where each stage writes its output, keyed by a fingerprint.

Layout:
  <run>/manifest.json        analyst-facing: config, prompt versions, models, counts, tokens, cost, timings
  <run>/stages/<stage>.json  fingerprint + summary of each finished stage
  <run>/analyst/             analyst-facing outputs: named clusters, hierarchy, map, privacy report
  <run>/private/             per-conversation data (summaries, embeddings): never analyst-facing

A stage's fingerprint covers its config subtree, the prompts it uses (name, version, hash), the
fingerprint of its upstream stage and the hash of its input data. A rerun reuses a stage only if
its fingerprint is unchanged and its output files still read back with the SHA-256 recorded when
the stage finished; anything else is recomputed. Every write is atomic (temp file + rename), so a
killed run never leaves a half-written output that looks finished, and a file damaged or swapped
afterwards (truncated, a flipped byte in a data page that still parses) is not trusted. A write
that fails (a full disk, a file-size limit) removes its temp file and raises StorageError, one
line naming the file; the stage has no record then, so the rerun recomputes it.

Every stage record carries the clio version and `RUN_SCHEMA`, the version of this layout. A run
folder with a record of another schema is refused (RunFolderError) rather than reused: bump
RUN_SCHEMA when a change makes old outputs unreadable or wrong to reuse. Records without the
field predate it and have the schema-1 layout.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, UTC
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clio.errors import RunFolderError, cannot_write

RUN_SCHEMA = 1  # the run-folder layout: stage records, output names and formats


@cache
def clio_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clio-harness")
    except PackageNotFoundError:  # a checkout on PYTHONPATH, not installed
        return "unknown"


def fingerprint(*parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp_path)` then rename over `path`. A failed write (OSError: ENOSPC, EFBIG,
    a short write) leaves `path` as it was and raises StorageError naming it."""
    tmp_path = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
        os.close(fd)
        tmp_path = Path(tmp)
        write(tmp_path)
        os.replace(tmp_path, path)
    except OSError as exc:
        raise cannot_write(path, exc, "finished stages, earlier outputs and cached replies are kept") from None
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False), encoding="utf-8"))


class RunFolder:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.private = self.root / "private"
        self.analyst = self.root / "analyst"
        self.stages = self.root / "stages"
        for d in (self.root, self.private, self.analyst, self.stages):
            d.mkdir(parents=True, exist_ok=True)
        self._check_schema()
        self._declared: dict[str, list[Path]] = {}  # stage -> outputs named by its is_fresh call

    def _check_schema(self) -> None:
        """Refuse a folder that a clio with another run-folder layout wrote: reusing its outputs
        could read them wrong, and mixing two layouts in one folder would be worse."""
        for path in sorted(self.stages.glob("*.json")):
            record = self.stage_record(path.stem)
            schema = record.get("run_schema", 1) if isinstance(record, dict) else RUN_SCHEMA  # unreadable: not done anyway
            if schema != RUN_SCHEMA:
                by = f"clio {record.get('clio_version', 'unknown')}"
                fix = "use that clio to resume it" if isinstance(schema, int) and schema > RUN_SCHEMA else "its outputs are not reused"
                raise RunFolderError(
                    f"{self.root}: written by {by} with run-folder schema {schema} (stages/{path.name}); this clio {clio_version()} "
                    f"uses schema {RUN_SCHEMA}, so {fix}. Run into a new folder (run.name=...) or delete {self.root} to recompute; "
                    "cached model replies are kept, so nothing is paid twice"
                )

    # -- stage bookkeeping
    def stage_record(self, stage: str) -> dict[str, Any] | None:
        path = self.stages / f"{stage}.json"
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            return None  # corrupt record: treat the stage as not done

    def is_fresh(self, stage: str, fp: str, outputs: list[Path]) -> bool:
        """True if the stage finished with this fingerprint and every output still matches the
        checksum recorded then. The call also declares the stage's outputs: `finish_stage` records
        their checksums. (Records written before checksums existed fall back to a read check.)"""
        self._declared[stage] = list(outputs)
        record = self.stage_record(stage)
        if not record or record.get("fingerprint") != fp:
            return False
        sums = record.get("output_sha256") or {}
        for output in outputs:
            if not output.exists() or not _readable(output):
                return False
            expected = sums.get(self._relative(output))
            if expected is not None and expected != file_sha256(output):
                return False
        return True

    def finish_stage(self, stage: str, fp: str, summary: dict[str, Any]) -> None:
        sums = {self._relative(p): file_sha256(p) for p in self._declared.pop(stage, []) if p.exists()}
        write_json(
            self.stages / f"{stage}.json",
            {"stage": stage, "fingerprint": fp, "finished": datetime.now(UTC).isoformat(), "clio_version": clio_version(), "run_schema": RUN_SCHEMA, **summary, "output_sha256": sums},
        )

    def _relative(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    # -- outputs
    def write_parquet(self, path: Path, frame: pd.DataFrame) -> None:
        atomic_write(path, lambda p: frame.to_parquet(p, index=False))

    def write_array(self, path: Path, array: np.ndarray) -> None:
        # np.save appends .npy to names without it; the temp name keeps the suffix so it doesn't.
        atomic_write(path, lambda p: np.save(p, array))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.root / "manifest.json", manifest)

    def read_manifest(self) -> dict[str, Any]:
        path = self.root / "manifest.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _readable(path: Path) -> bool:
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.read_metadata(path)
        elif path.suffix == ".npy":
            np.load(path, mmap_mode="r")
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        return True
    except Exception:
        return False


def data_hash(conversations: list[Any]) -> str:
    """Hash of the input records' ids and contents, in a stable order."""
    digest = hashlib.sha256()
    for conv in sorted(conversations, key=lambda c: c.id):
        digest.update(conv.id.encode("utf-8"))
        for message in conv.messages:
            digest.update(f"\x00{message.role}\x00{message.content}".encode())
    return digest.hexdigest()[:20]
