"""Fault injection (clio/llm/faults.py): each kind of fault, handled by the gateway; a whole run
under faults finishes and accounts for every input record; reply parsers under random input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clio.errors import ConfigError
from clio.llm.backends import FakeBackend, SamplingParams
from clio.llm.faults import FAULT_KINDS, REPLY_KINDS, TRANSIENT_KINDS, FaultConfig, FaultInjectingBackend, fault_config
from clio.llm.gateway import LLMGateway, LLMJob, _wait_for
from clio.llm.parsing import ParseError, extract_tag, is_refusal, parse_reply
from clio.prompts import OutputSpec, load_prompt

PARAMS = SamplingParams(max_tokens=50, temperature=0.2, stop=("</answer>",))


def _summary_prompt(i=0):
    return load_prompt("facet_open").render(transcript=f"<user>Fix my bike {i}</user>", question="What is the request?", prefill="The user wants")


def _rating_prompt(i=0):
    return load_prompt("facet_rating").render(transcript=f"<user>hi {i}</user>", question="How concerning?", low=1, high=5)


def _gateway(kinds, rate=1.0, limit=None, reply=" to fix a bike.</answer>", **kw):
    inner = FakeBackend(lambda p: "2</answer>" if p.name == "facet_rating" else reply)
    backend = FaultInjectingBackend(inner, FaultConfig(rate=rate, kinds=kinds, limit=limit, seed=1))
    return LLMGateway(backend, None, max_retries=2, max_reasks=2, backoff_base=0.0001, show_progress=False, **kw), backend, inner


@pytest.mark.parametrize("kind", TRANSIENT_KINDS)
def test_one_transient_fault_is_retried_and_counted(kind):
    gateway, backend, inner = _gateway([kind], limit=1)
    result = gateway.ask(_summary_prompt(), PARAMS, stage="s")
    assert result.ok and result.value == "The user wants to fix a bike."
    assert backend.injected == {kind: 1} and len(inner.calls) == 1
    assert gateway.usage["s"].retries == 1 and gateway.usage["s"].retried_items == 1 and gateway.usage["s"].failures == 0


@pytest.mark.parametrize("kind", TRANSIENT_KINDS)
def test_persistent_transient_faults_become_a_recorded_failure(kind):
    gateway, backend, inner = _gateway([kind])
    result = gateway.ask(_summary_prompt(), PARAMS, stage="s")
    assert not result.ok and "gave up after 2 retries" in result.error and "injected fault" in result.error
    assert backend.injected[kind] == 3 and not inner.calls  # 1 try + 2 retries, never reached the model
    assert gateway.usage["s"].failures == 1 and gateway.usage["s"].retries == 2


@pytest.mark.parametrize("kind", REPLY_KINDS[1:])  # malformed, refusal, empty
@pytest.mark.parametrize("prompt", [_summary_prompt, _rating_prompt])
def test_one_bad_reply_is_reasked(kind, prompt):
    gateway, backend, _ = _gateway([kind], limit=1)
    result = gateway.ask(prompt(), PARAMS, stage="s")
    assert backend.injected == {kind: 1}
    assert result.ok and result.attempts == 2, result
    assert gateway.usage["s"].reasks == 1 and gateway.usage["s"].retried_items == 1 and gateway.usage["s"].failures == 0


def test_refusal_after_a_prefill_is_not_taken_as_a_summary():
    gateway, _, _ = _gateway(["refusal"])  # every reply refuses
    result = gateway.ask(_summary_prompt(), PARAMS, stage="s")
    assert not result.ok and "refusal" in result.error and result.attempts == 3
    assert gateway.usage["s"].failures == 1 and gateway.usage["s"].reasks == 2


def test_truncated_reply_is_used_if_it_parses_and_reasked_if_not():
    gateway, _, _ = _gateway(["truncated"], limit=1)
    result = gateway.ask(_summary_prompt(), PARAMS, stage="s")
    assert result.ok and result.attempts == 1 and "to fix" in result.value  # unclosed tag after the prefill: kept
    gateway, _, _ = _gateway(["truncated"], limit=1, reply="<summary>Users asked.</summary>\n<name>Bike repair</name>")
    named = gateway.ask(load_prompt("cluster_name").render(criteria="c", answers=["a"], contrastive_answers=["b"]), PARAMS, stage="s")
    assert named.ok and named.attempts == 2 and named.value["name"] == "Bike repair"


def test_schedule_is_seeded_and_reproducible():
    def run(seed):
        backend = FaultInjectingBackend(FakeBackend(lambda p: " ok.</answer>"), FaultConfig(rate=0.4, seed=seed))
        gateway = LLMGateway(backend, None, max_retries=3, backoff_base=0.0001, show_progress=False)
        results = gateway.ask_many([LLMJob(_summary_prompt(i), PARAMS) for i in range(40)], stage="s")
        return dict(backend.injected), [r.ok for r in results], gateway.usage["s"].model_dump(exclude={"seconds"})

    first, again, other = run(0), run(0), run(1)
    assert first == again
    assert first[0] != other[0]
    assert sum(first[0].values()) > 0 and set(first[0]) <= set(FAULT_KINDS)


def test_fault_config_from_yaml_values():
    assert fault_config(None) is None and fault_config({}) is None and fault_config({"rate": 0}) is None
    assert fault_config({"rate": 0.3, "kinds": ["timeout"]}).kinds == ["timeout"]
    with pytest.raises(ConfigError, match="unknown fault kinds"):
        fault_config({"rate": 0.3, "kinds": ["gremlins"]})
    with pytest.raises(ConfigError, match="llm.faults"):
        fault_config({"rate": 3})


def test_faulted_replies_are_cached_apart_from_clean_ones():
    inner = FakeBackend()
    assert FaultInjectingBackend(inner, FaultConfig(rate=0.3)).identity() != inner.identity()


def test_retry_after_hint_is_honoured_and_capped():
    class State:
        attempt_number = 3

        class outcome:  # noqa: N801
            @staticmethod
            def exception():
                from clio.llm.backends import TransientLLMError

                return TransientLLMError("429", retry_after=7.0)

    assert _wait_for(1.0, 60.0)(State()) == 7.0
    assert _wait_for(1.0, 5.0)(State()) == 5.0


@pytest.mark.integration
def test_whole_run_under_faults_finishes_and_accounts_for_every_record(tmp_path):
    from evals.reliability import fault_run

    result = fault_run(tmp_path, rate=0.3, seed=0)
    assert result["finished"], result["error"]
    injected, usage, items = result["injected"], result["usage"], result["items"]
    assert set(injected) == set(FAULT_KINDS)  # every kind happened
    # every injected transient fault was retried, or was the last try of an item that gave up
    assert usage["retries"] <= result["injected_transient"] <= usage["retries"] + usage["failures"]
    assert usage["reasks"] <= result["injected_reply"] and usage["retried_items"] > 0
    assert items["records_read"] == 72 and items["unaccounted"] == 0
    assert items["ok"] + items["facet_failed"] == 72
    # per-item failures are recorded with the item (private/facets.parquet) and counted in the manifest
    assert (result["conversations_with_recorded_failures"] > 0) == bool(items["facet_failures"])
    assert sum(items["facet_failures"].values()) >= result["conversations_with_recorded_failures"]
    assert result["clusters_after_privacy"] > 0


# --------------------------------------------------------------------------- parsers, property-based

SPEC_TEXT = OutputSpec(kind="text", tag="answer", max_chars=400)
SPEC_INT = OutputSpec(kind="integer", tag="answer")
SPEC_TAGGED = OutputSpec(kind="tagged", tags=["summary", "name"], max_chars=500)
SPEC_CHOICE = OutputSpec(kind="choice", tag="answer", options=["Yes", "No"])


@settings(max_examples=300, deadline=None)
@given(prefill=st.sampled_from(["", "<answer>", "<answer>The user wants", "<summary>"]), reply=st.text(max_size=200), spec=st.sampled_from([SPEC_TEXT, SPEC_INT, SPEC_TAGGED, SPEC_CHOICE]))
def test_parse_reply_returns_a_value_of_the_spec_or_raises_parse_error(prefill, reply, spec):
    try:
        value = parse_reply(prefill, reply, spec, (1, 5))
    except ParseError as exc:
        assert str(exc)  # the message is what the model is shown on a re-ask
        return
    if spec.kind == "integer":
        assert isinstance(value, int) and 1 <= value <= 5
    elif spec.kind == "choice":
        assert value in ("Yes", "No")
    elif spec.kind == "tagged":
        assert set(value) == {"summary", "name"} and all(v and len(v) <= 500 for v in value.values())
    else:
        assert isinstance(value, str) and value and len(value) <= 400 and "\x00" not in value
    assert not is_refusal(reply)


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), min_size=1, max_size=100), noise=st.text(max_size=30).filter(lambda s: "<" not in s))
def test_extract_tag_round_trips_closed_tags(body, noise):
    if not body.strip():
        return
    assert extract_tag(f"{noise}<answer>{body}</answer>{noise}", "answer") == body.strip()


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=-1000, max_value=1000), before=st.sampled_from(["", " ", "Score: "]))
def test_integer_replies_in_range_only(n, before):
    try:
        assert parse_reply("<answer>", f"{before}{n}</answer>", SPEC_INT, (1, 5)) == n and 1 <= n <= 5
    except ParseError:
        assert not 1 <= n <= 5


@pytest.mark.parametrize("reply", ["I'm sorry, but I can't help with that.", " I cannot answer this.", "<answer>As an AI, I can’t", "I am sorry, no."])
def test_refusals_are_rejected(reply):
    with pytest.raises(ParseError, match="refusal"):
        parse_reply("<answer>The user's request is to", reply, SPEC_TEXT)
