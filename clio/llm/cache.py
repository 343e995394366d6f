"""SQLite response cache. A key covers everything that can change an output (see `cache_key`),
so a changed prompt, parameter, model or sample index can never reuse a stale reply, and a rerun
of the same work makes zero model calls.

Several processes on one machine may share the file: WAL mode (readers never block, writes are
serialised) and a 60 s busy timeout; each reply is committed on its own. Not on a network file
system, where SQLite's locks are unreliable (README, "Reliability report").

Failures end in one line (StorageError) naming the file. A write that fails (full disk, file-size
limit) stops the run: the cache then refuses every further lookup, so no more model calls are paid
for replies that could not be kept. A damaged file (not a database, truncated, a corrupt page) is
refused, never replaced: it holds paid replies, so the user decides whether to move it aside."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from clio.errors import CorruptRow, StorageError, sqlite_failure
from clio.llm.backends import Completion, SamplingParams
from clio.prompts import RenderedPrompt

T = TypeVar("T")


def cache_key(identity: dict[str, Any], prompt: RenderedPrompt, params: SamplingParams, sample_index: int) -> str:
    payload = {
        "backend": identity,
        "prompt": {"name": prompt.name, "version": prompt.version, "hash": prompt.content_hash},
        "messages": [(m.role, m.content) for m in prompt.messages],
        "prefill": prompt.prefill,
        "output": prompt.output.model_dump(),
        "params": asdict(params),
        "sample_index": sample_index,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._failed: str | None = None  # set by the first failure: every later call raises it
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the response cache folder {self.path.parent}: {exc.strerror or exc}") from None
        with self._guard():
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, prompt TEXT, completion TEXT, created REAL DEFAULT (julianday('now')))")
            self._db.commit()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turns an SQLite error into the cache's one-line StorageError, and remembers it."""
        if self._failed:
            raise StorageError(self._failed)
        try:
            yield
        except (sqlite3.Error, CorruptRow) as exc:
            keeps = "every reply already cached is kept, so the rerun does not pay for it again"
            error = sqlite_failure(self.path, exc, "the response cache", keeps) if isinstance(exc, sqlite3.Error) else None
            self._failed = (
                str(error)
                if error
                else (
                    f"{self.path}: the response cache is damaged ({exc}). It holds paid model replies, so clio does not replace it: "
                    "move it aside (with any -wal and -shm file next to it) to keep it for recovery, or delete them, then rerun "
                    "(replies it held are paid for again)"
                )
            )
            raise StorageError(self._failed) from None

    def _locked(self, query: Callable[[], T]) -> T:
        with self._lock, self._guard():
            return query()

    def get(self, key: str) -> Completion | None:
        def lookup() -> Completion | None:
            row = self._db.execute("SELECT completion FROM responses WHERE key = ?", (key,)).fetchone()
            try:
                return Completion(**json.loads(row[0])) if row else None
            except (ValueError, TypeError) as exc:  # SQLite has no page checksums: junk in a row reads back as text
                raise CorruptRow(f"the reply stored under {key[:12]}... does not decode: {exc}") from None

        return self._locked(lookup)

    def put(self, key: str, prompt_ref: str, completion: Completion) -> None:
        # Committed per call: a run killed mid-stage keeps every reply it already paid for.
        def insert() -> None:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO responses (key, prompt, completion) VALUES (?, ?, ?)",
                    (key, prompt_ref, json.dumps(asdict(completion))),
                )
                self._db.commit()
            except sqlite3.Error:
                with suppress(sqlite3.Error):  # leave no open transaction (its lock would block other processes)
                    self._db.rollback()
                raise

        self._locked(insert)

    def __len__(self) -> int:
        return self._locked(lambda: self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
