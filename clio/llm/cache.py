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
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from clio.errors import ConfigError, CorruptRow, StorageError, sqlite_failure
from clio.llm.backends import Completion, SamplingParams
from clio.prompts import OutputSpec, RenderedPrompt, load_prompt

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


@dataclass
class ReplyStats:
    """What the cached replies of one prompt name measure (the estimator's expected outputs and re-asks)."""

    tokens: list[int] = field(default_factory=list)  # output tokens per reply
    chars: list[int] = field(default_factory=list)
    failed: int = 0  # replies the parser rejects: each one was re-asked (or became a failure)
    names: list[int] = field(default_factory=list)  # list prompts: names per reply
    name_chars: list[int] = field(default_factory=list)  # "...</summary><name>...</name>" replies
    description_chars: list[int] = field(default_factory=list)


@lru_cache(maxsize=64)
def _parse_setup(prompt_name: str) -> tuple[str, OutputSpec] | None:
    """(prefill up to its first variable, output spec) of a prompt file, or None."""
    try:
        template = load_prompt(prompt_name)
    except ConfigError:
        return None
    output = template.output
    if prompt_name == "facet_open":  # summary facets keep the whole sentences that fit (FacetSpec.overflow)
        output = output.model_copy(update={"overflow": "cut_sentence"})
    return template.prefill.split("{{", 1)[0].split("{%", 1)[0], output


def parses(prompt_name: str, text: str) -> bool:
    """Whether the parser accepts a stored reply under its prompt file's output spec (a rejected
    reply was re-asked, or became a failure)."""
    from clio.llm.parsing import ParseError, parse_reply

    try:
        if setup := _parse_setup(prompt_name):
            parse_reply(setup[0], text, setup[1])
    except ParseError:
        return False
    return True


def reply_stats(path: str | Path, *, exclude: set[str] | frozenset[str] = frozenset(), per_prompt: int = 5000, count_names: dict[str, Callable[[str], int]] | None = None) -> dict[str, ReplyStats]:
    """Per prompt name (all versions pooled; replies of every backend that filled the cache), from
    the newest `per_prompt` replies of each prompt version, read-only (a big cache holds millions).
    `count_names[prompt name]` counts the names of a list reply. Empty when the file cannot be
    read; rows that do not decode are skipped; keys in `exclude` are left out."""
    count_names = count_names or {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            query = "SELECT key, prompt, completion FROM (SELECT key, prompt, completion, ROW_NUMBER() OVER (PARTITION BY prompt ORDER BY created DESC) AS n FROM responses) WHERE n <= ?"
            rows = db.execute(query, (per_prompt,)).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return {}
    stats: dict[str, ReplyStats] = {}
    for key, ref, raw in rows:
        if key in exclude:
            continue
        try:
            completion = dict(json.loads(raw))
        except (ValueError, TypeError):
            continue
        name, text = (ref or "").split("@", 1)[0], str(completion.get("text") or "")
        m = stats.setdefault(name, ReplyStats())
        m.failed += int(not parses(name, text))
        m.tokens.append(int(completion.get("output_tokens") or 0))
        m.chars.append(len(text.strip()))
        if name in count_names:
            m.names.append(count_names[name](text))
        if match := re.match(r"(.*?)</summary>\s*<name>(.*?)(?:</name>|$)", text, re.S):
            m.description_chars.append(len(re.sub(r"\s+", " ", match.group(1)).strip()))
            m.name_chars.append(len(re.sub(r"\s+", " ", match.group(2)).strip()))
    return stats


class CachedReplies:
    """Statistics of the replies in a response cache per prompt name (`reply_stats`), for the
    estimator (clio/estimate.py); a figure is given only from at least `min_samples` replies."""

    def __init__(self, path: str | Path | None = None, *, min_samples: int = 3, **read: Any):
        self.min_samples = min_samples
        self.stats = reply_stats(path, **read) if path and Path(path).is_file() else {}

    def measured(self, prompt_name: str, values: str = "tokens") -> ReplyStats | None:
        m = self.stats.get(prompt_name)
        return m if m is not None and len(getattr(m, values)) >= self.min_samples else None

    def rejected(self, prompt_name: str) -> tuple[float, int] | None:
        """(share of the prompt's replies that the parser rejects, replies)."""
        m = self.measured(prompt_name)
        return None if m is None else (m.failed / len(m.tokens), len(m.tokens))

    def listed(self, prompts: Sequence[str]) -> list[tuple[int, int, int]]:
        """(output tokens, characters, names) of the list replies of `prompts` that hold a name."""
        return [row for p in prompts if p in self.stats for row in zip(self.stats[p].tokens, self.stats[p].chars, self.stats[p].names) if row[2] > 0]

    def names_per_reply(self, prompts: Sequence[str]) -> float | None:
        """Mean names in the list replies of `prompts` that hold one."""
        listed = self.listed(prompts)
        return sum(k for _, _, k in listed) / len(listed) if len(listed) >= self.min_samples else None

    def chars_per_name(self, prompts: Sequence[str]) -> float | None:
        """Characters per listed name over all list replies of `prompts`."""
        names = sum(sum(self.stats[p].names) for p in prompts if p in self.stats)
        return sum(sum(self.stats[p].chars) for p in prompts if p in self.stats) / names if names >= self.min_samples else None
