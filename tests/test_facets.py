import pytest

from clio.errors import ConfigError
from clio.facets import (
    detect_languages,
    extract_facets,
    language_name,
    parse_facet_specs,
    parse_language_answer,
    screen,
)
from clio.llm.backends import FakeBackend
from clio.llm.gateway import LLMGateway
from clio.records import Conversation, Message


def conv(cid, *turns, account="a1"):
    roles = ["user", "assistant"] * len(turns)
    return Conversation(id=cid, account_id=account, messages=[Message(role=r, content=t) for r, t in zip(roles, turns)])


SPECS = parse_facet_specs(
    {
        "request": {"kind": "summary", "question": "What is the user's overall request?", "prefill": "The user's overall request is to"},
        "concern": {"kind": "rating", "question": "How concerning?", "low": 1, "high": 5},
        "language": {"kind": "language", "method": "langid"},
        "turns": {"kind": "computed", "function": "user_turns"},
        "user_chars": {"kind": "computed", "function": "user_chars"},
    }
)


def responder(prompt):
    question = prompt.messages[-1].content
    if "How concerning" in question:
        return "2</answer>"
    return " fix a flat bicycle tyre.</answer>"


def test_extract_all_facet_kinds():
    convs = [conv("c1", "How do I fix a flat tyre on my bicycle?", "Remove the wheel...", "Thanks, and the chain?", "Oil it.")]
    gateway = LLMGateway(FakeBackend(responder), None, show_progress=False)
    (row,) = extract_facets(convs, SPECS, gateway)
    assert row.values["request"] == "The user's overall request is to fix a flat bicycle tyre."
    assert row.values["concern"] == 2
    assert row.values["language"] == ["English"]
    assert row.values["turns"] == 2
    assert row.values["user_chars"] == len("How do I fix a flat tyre on my bicycle?") + len("Thanks, and the chain?")
    assert row.errors == {}
    assert set(gateway.usage) == {"facets.request", "facets.concern"}


def test_llm_jobs_are_grouped_by_conversation_for_prefix_reuse():
    convs = [conv(f"c{i}", f"question number {i} about cooking pasta", "answer") for i in range(3)]
    backend = FakeBackend(responder)
    # One worker, as the local backend has: the backend then sees calls in submission order.
    extract_facets(convs, SPECS, LLMGateway(backend, None, show_progress=False, concurrency=1))
    transcripts = [p.messages[1].content for p in backend.calls]
    assert len(transcripts) == 6
    # both facet calls of one conversation run back to back: c0, c0, c1, c1, c2, c2
    assert [t.count("number 0") > 0 for t in transcripts] == [True, True, False, False, False, False]
    assert transcripts[0] == transcripts[1] and transcripts[2] == transcripts[3] and transcripts[4] == transcripts[5]
    assert len(set(transcripts)) == 3


def test_failed_facet_is_recorded_not_dropped():
    def bad_rating(prompt):
        return "very</answer>" if "How concerning" in prompt.messages[-1].content else " do x.</answer>"

    gateway = LLMGateway(FakeBackend(bad_rating), None, max_reasks=1, show_progress=False)
    (row,) = extract_facets([conv("c1", "hello there, how are you today?", "fine")], SPECS, gateway)
    assert row.values["concern"] is None
    assert "unparseable" in row.errors["concern"]
    assert row.values["request"] == "The user's overall request is to do x."


def test_overlong_summary_is_cut_at_a_sentence_not_failed():
    long_reply = " fix a flat tyre. " + "They also describe at length every tool they own and why. " * 10 + "</answer>"
    backend = FakeBackend(lambda p: "2</answer>" if "How concerning" in p.messages[-1].content else long_reply)
    (row,) = extract_facets([conv("c1", "my tyre is flat, help", "ok")], SPECS, LLMGateway(backend, None, max_reasks=1, show_progress=False))
    assert row.errors == {}
    assert row.values["request"].startswith("The user's overall request is to fix a flat tyre. They also")
    assert row.values["request"].endswith("why.") and len(row.values["request"]) <= 400
    assert len(backend.calls) == 2  # no re-ask was needed


def test_llm_language_facet_is_validated_with_langcodes():
    specs = parse_facet_specs({"language": {"kind": "language", "method": "llm", "question": "Which languages?"}})
    gateway = LLMGateway(FakeBackend(["Spanish; english; JavaScript; Blorpish</answer>"]), None, show_progress=False)
    (row,) = extract_facets([conv("c1", "Hola, ¿cómo estás?", "Bien")], specs, gateway)
    assert row.values["language"] == ["Spanish", "English"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Hola, necesito ayuda para escribir una carta de presentación para un trabajo.", "Spanish"),
        ("Bonjour, pouvez-vous m'aider à rédiger une lettre de motivation pour un emploi ?", "French"),
        ("Привет, помоги мне написать сопроводительное письмо для работы.", "Russian"),
        ("こんにちは、仕事のためのカバーレターを書くのを手伝ってください。", "Japanese"),
        ("Please help me write a cover letter for a job application.", "English"),
    ],
)
def test_detect_languages_offline(text, expected):
    assert detect_languages(conv("c", text, "ok")) == [expected]


def test_code_blocks_do_not_count_as_language():
    text = "Warum funktioniert mein Code nicht? Ich bekomme immer einen Fehler beim Starten.\n```python\nfor item in items:\n    print(item.name)\n```"
    assert detect_languages(conv("c", text, "ok")) == ["German"]


def test_language_name_normalisation():
    assert language_name("es") == "Spanish"
    assert language_name("spanish") == "Spanish"
    assert language_name("zh") == "Chinese"
    assert language_name("Mandarin Chinese") == "Chinese"  # macrolanguage, same as langid's 'zh'
    assert language_name("JavaScript") is None and language_name("Python") is None
    assert language_name("not a language at all") is None
    valid, rejected = parse_language_answer("Arabic; Indonesian and French")
    assert valid == ["Arabic", "Indonesian", "French"] and rejected == []


def test_facet_config_errors_are_one_line():
    with pytest.raises(ConfigError, match="unknown computed function 'nope'"):
        parse_facet_specs({"x": {"kind": "computed", "function": "nope"}})
    with pytest.raises(ConfigError, match="needs a question"):
        parse_facet_specs({"x": {"kind": "summary"}})
    with pytest.raises(ConfigError, match="facet 'x'"):
        parse_facet_specs({"x": {"kind": "nonsense"}})


def test_adding_a_facet_is_config_only():
    specs = parse_facet_specs({"mood": {"kind": "categorical", "question": "What is the user's mood? One word."}})
    gateway = LLMGateway(FakeBackend(["Curious</answer>"]), None, show_progress=False)
    (row,) = extract_facets([conv("c1", "what is a black hole?", "...")], specs, gateway)
    assert row.values["mood"] == "Curious"


def test_llm_facets_without_a_gateway_is_a_config_error():
    with pytest.raises(ConfigError, match="need an LLM backend"):
        extract_facets([conv("c1", "hi", "hello")], SPECS, None)


def test_screener_keeps_yes_only_and_reports_every_decision():
    convs = [conv("c1", "Who should I vote for in the election?", "..."), conv("c2", "Bake a cake", "...")]
    gateway = LLMGateway(FakeBackend(lambda p: "Yes</answer>" if "vote" in p.messages[0].content else "No</answer>"), None, show_progress=False)
    kept, decisions = screen(convs, "Is this about politics?", gateway)
    assert [c.id for c in kept] == ["c1"]
    assert decisions == {"c1": "Yes", "c2": "No"}


def test_a_facet_set_to_null_is_switched_off():
    specs = parse_facet_specs({"request": {"kind": "summary", "question": "q"}, "concern": None})
    assert [s.name for s in specs] == ["request"]
