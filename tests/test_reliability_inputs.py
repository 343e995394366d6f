"""The bad-input corpus (tests/fixtures/bad_inputs, plus big files generated here): every file gets
a one-line message naming the file, the line or record, and what is wrong; on_error=skip keeps the
good records and counts the bad ones; nothing crashes."""

import pytest

from clio.errors import DataError
from clio.loaders import load_conversations
from clio.transcript import render_transcript
from evals.reliability import BAD_INPUT_CASES, BAD_INPUTS, generate_big_inputs, try_input

# file -> (what on_error=fail must say: line or record, and the problem; (loaded, skipped) under skip, or None if the whole file is refused)
EXPECTED = {
    "invalid_json.jsonl": ([":2:", "invalid JSON"], (2, 1)),
    "truncated_array.json": ([":28:", "invalid JSON"], (2, 1)),
    "latin1.jsonl": ([":2:", "not UTF-8"], (2, 1)),
    "utf16.jsonl": (["utf16.jsonl:", "UTF-16", "convert it to UTF-8"], None),
    "utf16.json": (["utf16.json:", "UTF-16"], None),
    "missing_role.jsonl": ([":2 (record norole-2)", "missing 'role'"], (1, 1)),
    "unknown_role.jsonl": ([":2 (record wizard-2)", "unknown role"], (1, 1)),
    "empty_messages.jsonl": ([":2 (record blank-2)", "no messages with content"], (2, 2)),
    "duplicate_ids.jsonl": ([":3 (record ok-1)", "duplicate id (first seen at line 1)"], (2, 1)),
    "not_objects.jsonl": ([":2:", "expected a JSON object"], (1, 4)),
    "wrong_types.jsonl": ([":1 (record wt-1)", "must be a list"], (1, 3)),
    "binary_junk.jsonl": ([":1:", "not UTF-8"], (0, 5)),
    "binary_junk.parquet": (["binary_junk.parquet:", "not a readable Parquet file"], None),
    "junk.txt": (["junk.txt:", "unsupported file type"], None),
    "deep_nesting.jsonl": ([":2:", "nested too deeply"], (1, 1)),
}
LOADS_FINE = {"empty.jsonl": 0, "blank_lines.jsonl": 0, "empty_array.json": 0, "mixed_schemas.jsonl": 5, "big_message.jsonl": 1, "many_turns.jsonl": 1}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate_big_inputs(tmp_path_factory.mktemp("big"))


def _path(name, generated):
    return generated.get(name) or BAD_INPUTS / name


def test_corpus_is_complete(generated):
    assert set(EXPECTED) | set(LOADS_FINE) == set(BAD_INPUT_CASES)
    for name in BAD_INPUT_CASES:
        assert _path(name, generated).exists(), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gets_one_clear_line_and_the_policy_applies(name, generated):
    path = _path(name, generated)
    must_say, under_skip = EXPECTED[name]
    with pytest.raises(DataError) as err:
        load_conversations(path, on_error="fail")
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path)), message
    for piece in must_say:
        assert piece in message, (piece, message)
    if under_skip is None:  # the whole file is unusable: refused under both policies
        with pytest.raises(DataError):
            load_conversations(path, on_error="skip")
        return
    result = load_conversations(path, on_error="skip")
    assert (result.n_loaded, result.n_skipped) == under_skip
    assert result.skipped and all(r.startswith(str(path)) and "\n" not in r for r in result.skipped)


@pytest.mark.parametrize("name", sorted(LOADS_FINE))
def test_odd_but_valid_files_load(name, generated):
    path = _path(name, generated)
    for policy in ("fail", "skip"):
        result = load_conversations(path, on_error=policy)
        assert result.n_loaded == LOADS_FINE[name] and result.n_skipped == 0


def test_mixed_schemas_are_detected_per_record_and_a_forced_format_names_the_others():
    result = load_conversations(BAD_INPUTS / "mixed_schemas.jsonl")
    assert dict(result.formats) == {"own": 1, "openai": 1, "sharegpt": 1, "wildchat": 1, "lmsys": 1}
    forced = load_conversations(BAD_INPUTS / "mixed_schemas.jsonl", format="sharegpt", on_error="skip")
    assert forced.n_loaded == 1 and forced.n_skipped == 4 and "'conversations' must be a list" in forced.skipped[0]


def test_big_message_and_many_turns_are_truncated_for_the_model(generated):
    big = load_conversations(generated["big_message.jsonl"]).conversations[0]
    assert len(big.messages[0].content) == 1 << 20
    many = load_conversations(generated["many_turns.jsonl"]).conversations[0]
    assert len(many.messages) == 10_000
    for conv in (big, many):
        transcript = render_transcript(conv, max_chars=6000)
        assert transcript.truncated and len(transcript.text) <= 6000 + 500


def test_report_helper_never_crashes_on_the_corpus(generated):
    for name in BAD_INPUT_CASES:
        outcome = try_input(_path(name, generated))
        assert "CRASH" not in str(outcome), (name, outcome)


def test_empty_input_stops_the_run_with_one_line(tmp_path, capsys):
    from clio.cli import main

    code = main(["facets", f"run.root={tmp_path}/runs", f"cache.dir={tmp_path}/c", "data=file", f"data.source={BAD_INPUTS / 'empty.jsonl'}", "progress=false", "llm.backend=fake"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "empty.jsonl: no conversations could be loaded" in err[0]
