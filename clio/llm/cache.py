"""SQLite response cache. A key covers everything that can change an output (see `cache_key`),
so a changed prompt, parameter, model or sample index can never reuse a stale reply, and a rerun
of the same work makes zero model calls."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from clio.llm.backends import Completion, SamplingParams
from clio.prompts import RenderedPrompt


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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, prompt TEXT, completion TEXT, created REAL DEFAULT (julianday('now')))"
        )
        self._db.commit()

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute("SELECT completion FROM responses WHERE key = ?", (key,)).fetchone()
        return Completion(**json.loads(row[0])) if row else None

    def put(self, key: str, prompt_ref: str, completion: Completion) -> None:
        # Committed per call: a run killed mid-stage keeps every reply it already paid for.
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, prompt, completion) VALUES (?, ?, ?)",
                (key, prompt_ref, json.dumps(asdict(completion))),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
