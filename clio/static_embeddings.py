"""Static (Model2Vec) embeddings, distilled offline from a shipped sentence-transformers model.

A static model keeps one vector per vocabulary token (the teacher's output for that token alone,
Zipf-weighted) and embeds a text as the mean of its tokens' vectors: no transformer pass, so it
runs a hundred times faster than the teacher on a CPU, at lower quality. It is the embedder for
runs too large for the teacher on this kind of machine (one million texts: about 2 minutes instead
of about 5 hours for all-MiniLM-L6-v2 on 2 cores; benchmarks/README.md).

Names: "<teacher>-static", e.g. "all-MiniLM-L6-v2-static". Nothing is downloaded: the teacher
comes from its PyPI package (clio.model_assets) and the student is distilled from it once, with
the model2vec library, into the model cache directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Sequence

import numpy as np
from sklearn.preprocessing import normalize

from clio import model_assets
from clio.errors import ConfigError

SUFFIX = "-static"
# Distillation settings (PCA to the full 384 dims centres the vectors: without it unrelated texts
# scored 0.87 cosine, with it 0.54, measured); part of the model's identity, so changing them re-distils and re-keys caches.
DISTILL = {"pca_dims": 384, "sif_coefficient": 1e-4, "quantize_to": "float32"}  # PCA: centred, same 384 dims as MiniLM


def is_static(name: str) -> bool:
    return name.endswith(SUFFIX)


def teacher(name: str) -> str:
    return name[: -len(SUFFIX)]


def _model2vec():
    try:
        import model2vec
        from model2vec.distill import distill
    except ImportError as exc:
        raise ConfigError(f"static embeddings need model2vec ({exc}); install the 'static' extra: pip install -e '.[static]'") from None
    return model2vec, distill


def identity(name: str) -> str:
    model2vec, _ = _model2vec()
    settings = ",".join(f"{k}={v}" for k, v in sorted(DISTILL.items()))
    return f"{model_assets.model_identity(teacher(name))}|model2vec-{model2vec.__version__}|{settings}"


def model_path(name: str) -> Path:
    """The distilled model's directory, made on first use (about 40 s for MiniLM on 2 cores)."""
    model2vec, distill = _model2vec()
    key = hashlib.sha256(identity(name).encode()).hexdigest()[:12]
    target = model_assets.model_dir() / f"{name}-{key}"
    if (target / "model.safetensors").is_file():
        return target
    source = model_assets.sentence_transformer_path(teacher(name))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    student = distill(model_name=str(source), **DISTILL)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        student.save_pretrained(str(tmp))
        os.replace(tmp, target)  # atomic: a concurrent or killed distillation leaves no half model
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "model.safetensors").is_file():
            raise
    return target


class StaticEncoder:
    """The two calls Embedder makes on a SentenceTransformer, served by a model2vec StaticModel."""

    def __init__(self, path: Path):
        model2vec, _ = _model2vec()
        self._model = model2vec.StaticModel.from_pretrained(str(path))

    def get_embedding_dimension(self) -> int:
        return int(self._model.dim)

    def encode(self, texts: Sequence[str], *, batch_size: int = 1024, normalize_embeddings: bool = True, **_: Any) -> np.ndarray:
        # One process: the caller chunks and resumes, and 2 cores gain nothing from worker processes.
        vectors = self._model.encode(list(texts), batch_size=max(batch_size, 1024), use_multiprocessing=False, normalize=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        return normalize(vectors) if normalize_embeddings else vectors
