"""User-facing errors: each prints as one line naming the file/record and what is wrong."""


class ClioError(Exception):
    """An error the CLI reports as a single line, without a traceback."""


class DataError(ClioError):
    """Bad input data. Carries where it happened so the message can point at it."""

    def __init__(self, what: str, source: str | None = None, line: int | None = None, record: str | None = None):
        self.what, self.source, self.line, self.record = what, source, line, record
        where = source or "<input>"
        if line is not None:
            where += f":{line}"
        if record is not None:
            where += f" (record {record})"
        super().__init__(f"{where}: {what}")


class ConfigError(ClioError):
    """A configuration problem (missing API key, unknown backend, missing model package)."""


class LLMError(ClioError):
    """A model call that failed for good (after retries and re-asks)."""


class StorageError(ClioError):
    """A file the run needs could not be written or used: a full disk, a file-size limit, a
    damaged cache. The message names the file and what to do."""


class RunFolderError(ClioError):
    """A run folder this clio will not reuse (written with an incompatible layout)."""


class CorruptRow(Exception):
    """A cache row SQLite read back fine but that fails its own check (SQLite has no page
    checksums, so junk inside a row reads back as data). The caches handle it as a damaged file."""


def cannot_write(path: object, exc: BaseException, keeps: str) -> StorageError:
    """One line for a failed write: which file, why (ENOSPC, EFBIG, EDQUOT, a short write...) and
    what to do; `keeps` says what survives, so the user knows a rerun resumes rather than restarts."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return StorageError(f"cannot write {path}: {reason}. Free disk space (or raise the file-size limit) and rerun; {keeps}")


def sqlite_failure(path: object, exc: BaseException, what: str, keeps: str) -> StorageError | None:
    """The one-line error for an SQLite error on `what` (a cache at `path`), or None when the
    file is damaged: the caller decides whether to refuse it or rebuild it."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return None
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageError(
            f"{path}: {what} stayed locked by another process ({exc}). Wait for the other clio job, or give each job its own "
            "cache.dir; on a network file system SQLite locking is unreliable: keep cache.dir on a local disk"
        )
    return cannot_write(f"{what} {path}", exc, keeps)  # SQLITE_FULL, SQLITE_IOERR_*: the disk
