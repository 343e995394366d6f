"""Two `clio run` processes at once over overlapping data, sharing one response cache and one
embedding cache: nothing lost, nothing corrupted, and a second pass pays for nothing."""

import sqlite3

import pytest

from clio.embeddings import EmbeddingCache
from clio.llm.cache import ResponseCache
from evals.reliability_disk import FAST, concurrent_runs


@pytest.mark.integration
def test_two_jobs_sharing_the_caches_lose_and_corrupt_nothing(tmp_path):
    result = concurrent_runs(tmp_path, per_topic=6, extra=[*FAST, "clustering.k=4"])
    assert all(job["exit"] == 0 for job in result["jobs"].values()), result["jobs"]
    assert result["responses"] == "ok" and result["embeddings"] == "ok"  # SQLite integrity_check
    # every distinct call either job paid for has its reply in the cache (none lost to a race)
    assert result["cached_replies"] == result["distinct_calls_paid"] > 0
    for job in result["again"].values():  # the same work again: every key was there
        assert job == {"calls": 0, "embeddings_computed": 0, "differing": []}
    assert result["passed"]


def test_both_caches_use_wal_and_wait_for_a_lock(tmp_path):
    responses, vectors = ResponseCache(tmp_path / "r.sqlite"), EmbeddingCache(tmp_path / "e.sqlite")
    for db in (responses._db, vectors._conn):  # noqa: SLF001 (the settings themselves are the subject)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 60_000


def test_a_write_waits_for_another_process_lock_instead_of_failing(tmp_path):
    from clio.llm.backends import Completion

    cache = ResponseCache(tmp_path / "r.sqlite")
    other = sqlite3.connect(tmp_path / "r.sqlite", timeout=60, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock ...
    import threading

    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()  # ... for a moment
    cache.put("k", "p@v1", Completion(text="hello"))
    assert cache.get("k").text == "hello" and len(cache) == 1
