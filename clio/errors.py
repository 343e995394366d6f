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
