"""A full disk (a file-size limit set mid-run: writes fail with EFBIG as they fail with ENOSPC on
a full disk), damaged caches and truncated outputs: each ends in one line naming the file, nothing
half-written is taken as done, and a resume equals an uninterrupted run (evals/reliability_disk.py)."""

import errno
import json

import numpy as np
import pytest

from clio.errors import StorageError
from evals.reliability_disk import FAST, FULL_DISK, damaged_cache_trial, full_disk_trial, passed, prepare, resume_file_trial, truncated_output_trial

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("disk"), per_topic=6, extra=FAST)


# which file each limited run must name, and what it says survives
NAMED = {
    "response cache": ("llm_responses.sqlite", "every reply already cached is kept"),
    "embedding cache": ("embeddings.sqlite", "vectors already cached are kept"),
    "embeddings.npy": ("embeddings.partial.npy", "the rerun starts this file over"),
    "stage output": ("private/base_clusters.parquet", "finished stages"),
}


@pytest.mark.parametrize("target", list(FULL_DISK))
def test_full_disk_stops_with_one_line_and_resumes_to_the_same_outputs(env, target):
    row = full_disk_trial(env, target)
    assert row["exit"] == 2 and not row["traceback"], row["stderr_tail"]
    [line] = row["errors"]
    name, keeps = NAMED[target]
    assert name in line and "Free disk space" in line and keeps in line, line
    assert row["stage"] not in row["stages"] and row["leftovers"] == []  # the failed stage is not done
    assert row["caches"] == {"responses": "ok", "embeddings": "ok"}  # a failed write left both caches whole
    assert row["resumed"] and row["differing"] == [] and row["unaccounted"] == 0
    # at most the one reply the full cache could not keep is paid again
    assert row["paid_twice"] == (1 if target == "response cache" else 0)
    assert passed(row)


@pytest.mark.parametrize("how", ["corrupted", "truncated"])
def test_damaged_response_cache_is_refused_naming_the_file(env, how):
    row = damaged_cache_trial(env, "response", how)
    assert row["exit"] == 2 and not row["traceback"]
    [line] = row["errors"]
    assert "llm_responses.sqlite: the response cache is damaged" in line and "move it aside" in line
    assert row["stages"] == ["load"] and row["paid"] == []  # stopped before paying for anything
    assert row["resumed"] and row["differing"] == [] and row["unaccounted"] == 0  # after moving it aside
    assert passed(row)


@pytest.mark.parametrize("how", ["corrupted", "truncated"])
def test_damaged_embedding_cache_is_set_aside_and_rebuilt_with_a_warning(env, how):
    row = damaged_cache_trial(env, "embedding", how)
    assert row["exit"] == 0 and row["errors"] == [] and not row["traceback"]
    [line] = row["warnings"]
    assert "embeddings.sqlite: the embedding cache was damaged" in line and "moved it aside" in line
    assert row["set_aside"] and row["set_aside"][0].startswith("embeddings.sqlite.damaged-")
    assert row["calls"] == 0 and row["differing"] == [] and row["caches"]["embeddings"] == "ok"
    assert passed(row)


@pytest.mark.parametrize("how, recomputed", [("intact", 16), ("truncated", 40), ("marker", 40)])
def test_embedding_resume_file_is_resumed_only_when_whole(tmp_path, how, recomputed):
    row = resume_file_trial(tmp_path, how)
    assert row["rows_recomputed"] == recomputed and row["differing"] == [] and row["leftovers"] == []


def test_truncated_stage_output_and_record_are_recomputed_from_the_caches(env):
    row = truncated_output_trial(env)
    assert row["recomputed"] == ["facets"] and row["calls"] == 0
    assert row["differing"] == [] and row["unaccounted"] == 0


def test_no_space_while_reserving_the_array_is_one_error_and_no_partial_file(tmp_path, monkeypatch):
    """ENOSPC where a real full disk reports it for a memory map: at posix_fallocate (without
    it, writing into the sparse map on a full disk kills the process with SIGBUS)."""
    from clio import embeddings

    def no_space(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(embeddings.os, "posix_fallocate", no_space)
    path = tmp_path / "e.npy"
    with pytest.raises(StorageError, match=r"cannot write .*e\.partial\.npy: No space left on device"):
        embeddings.embed_to_npy(lambda texts: np.ones((len(texts), 4), np.float32), ["a", "b"], path)
    assert list(tmp_path.iterdir()) == []  # nothing left that could look like progress


def test_a_stage_write_that_fails_leaves_no_temp_file(tmp_path):
    from clio.runfolder import write_json

    target = tmp_path / "out.json"

    class Unwritable:
        def __str__(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(StorageError, match="out.json: No space left on device"):
        write_json(target, {"x": Unwritable()})
    assert list(tmp_path.iterdir()) == []
    write_json(target, {"x": 1})
    assert json.loads(target.read_text()) == {"x": 1}
