import pytest

from clio.errors import ConfigError
from clio.llm.parsing import ParseError, extract_tag, parse_reply
from clio.prompts import OutputSpec, available_prompts, load_prompt


def test_every_prompt_file_loads_and_has_a_version_and_hash():
    names = available_prompts()
    assert {"facet_open", "facet_rating", "facet_categorical", "screener"} <= set(names)
    for name in names:
        template = load_prompt(name)
        assert template.version >= 1
        assert len(template.content_hash) == 64
        assert template.ref.startswith(f"{name}@v{template.version}#")


def test_render_fills_variables_and_prefill():
    prompt = load_prompt("facet_open").render(transcript="<user>hi</user>", question="What?", prefill="The user wants")
    assert "<user>hi</user>" in prompt.messages[1].content
    assert "What?" in prompt.messages[-1].content
    assert prompt.prefill == "<answer>The user wants"


def test_render_fails_loudly_on_missing_variable():
    with pytest.raises(ConfigError, match="missing variable.*prefill"):
        load_prompt("facet_open").render(transcript="x", question="q")


def test_unknown_prompt_is_a_config_error():
    with pytest.raises(ConfigError, match="not found"):
        load_prompt("no_such_prompt")


def test_extract_tag_closed_unclosed_and_missing():
    assert extract_tag("bla <answer> yes </answer> tail", "answer") == "yes"
    assert extract_tag("<answer>cut off by max tokens", "answer") == "cut off by max tokens"
    assert extract_tag("<answer>first<other>second", "answer") == "first"
    with pytest.raises(ParseError, match="no <answer> tag"):
        extract_tag("just words", "answer")


def test_parse_text_glues_prefill_and_reply():
    spec = OutputSpec(kind="text", tag="answer")
    assert parse_reply("<answer>The user asked to", " fix a bug.</answer>", spec) == "The user asked to fix a bug."


def test_parse_text_rejects_empty_and_too_long():
    with pytest.raises(ParseError, match="empty"):
        parse_reply("<answer>", "  </answer>", OutputSpec(kind="text"))
    with pytest.raises(ParseError, match="too long"):
        parse_reply("<answer>", "x" * 50 + "</answer>", OutputSpec(kind="text", max_chars=10))


def test_overlong_prose_keeps_whole_sentences_when_asked():
    spec = OutputSpec(kind="text", max_chars=60, overflow="cut_sentence")
    reply = "fix a bug in a parser. It fails on empty lines. Then they ask about the tests too.</answer>"
    assert parse_reply("<answer>The user wants to", " " + reply, spec) == "The user wants to fix a bug in a parser."
    # a first sentence that alone is too long cannot be cut: re-ask as before
    with pytest.raises(ParseError, match="too long"):
        parse_reply("<answer>", "word " * 30 + "</answer>", spec)
    # a cut that would keep less than a quarter of the room is no answer either
    with pytest.raises(ParseError, match="too long"):
        parse_reply("<answer>", "Hi. " + "word " * 30 + "</answer>", spec)
    # the cut is a parsing rule only: the cache key (model_dump) does not see it
    assert "overflow" not in spec.model_dump()


def test_parse_integer_in_range_only():
    spec = OutputSpec(kind="integer")
    assert parse_reply("<answer>", "4</answer>", spec, (1, 5)) == 4
    with pytest.raises(ParseError, match="outside the scale"):
        parse_reply("<answer>", "7</answer>", spec, (1, 5))
    with pytest.raises(ParseError, match="whole number"):
        parse_reply("<answer>", "high</answer>", spec, (1, 5))


def test_parse_choice_and_tagged():
    assert parse_reply("<answer>", "yes.</answer>", OutputSpec(kind="choice", options=["Yes", "No"])) == "Yes"
    with pytest.raises(ParseError, match="Yes, No"):
        parse_reply("<answer>", "maybe</answer>", OutputSpec(kind="choice", options=["Yes", "No"]))
    spec = OutputSpec(kind="tagged", tags=["summary", "name"])
    assert parse_reply("<summary>", "Two sentences.</summary> <name>Fix code</name>", spec) == {"summary": "Two sentences.", "name": "Fix code"}


def test_included_snippets_are_rendered_and_count_in_the_hash(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "sys.txt").write_text("Shared rules v1.")
    (tmp_path / "p.yaml").write_text("name: p\nversion: 1\nvariables: [x]\nmessages:\n  - role: system\n    content: \"{% include 'shared/sys.txt' %}\"\n  - role: user\n    content: '{{ x }}'\n")
    first = load_prompt("p", str(tmp_path))
    assert first.render(x="hi").messages[0].content == "Shared rules v1."
    load_prompt.cache_clear()
    (tmp_path / "shared" / "sys.txt").write_text("Shared rules v2.")
    second = load_prompt("p", str(tmp_path))
    load_prompt.cache_clear()
    assert first.content_hash != second.content_hash  # editing a snippet invalidates caches


def test_facet_prompts_share_one_system_prompt_for_prefix_reuse():
    rendered = [
        load_prompt("facet_open").render(transcript="t", question="q", prefill="p"),
        load_prompt("facet_rating").render(transcript="t", question="q", low=1, high=5),
        load_prompt("facet_categorical").render(transcript="t", question="q"),
    ]
    assert len({r.messages[0].content for r in rendered}) == 1
    assert len({r.messages[1].content for r in rendered}) == 1  # the transcript turn too


def test_local_grammar_continues_after_a_prefill_that_opens_the_first_tag():
    from clio.llm.backends import _gbnf_for

    spec = OutputSpec(kind="tagged", tags=["summary", "name"])
    after_prefill = _gbnf_for(spec, (1, 5), "<summary>")
    assert after_prefill.startswith('root ::= [^<\\n]+ "</summary>"') and '"<name>"' in after_prefill
    assert _gbnf_for(spec, (1, 5), "").startswith('root ::= "<summary>"')
    assert _gbnf_for(OutputSpec(kind="integer"), (1, 3), "<answer>") == 'root ::= ("1" | "2" | "3") "</answer>"'
