import pytest

from clio.errors import ConfigError
from clio.llm.backends import Completion, FakeBackend, SamplingParams, TransientLLMError
from clio.llm.cache import ResponseCache, cache_key
from clio.llm.gateway import LLMGateway, LLMJob, Prices
from clio.prompts import load_prompt


def _prompt(transcript="<user>Fix my bike</user>", question="What is the request?"):
    return load_prompt("facet_open").render(transcript=transcript, question=question, prefill="The user")


PARAMS = SamplingParams(max_tokens=50, temperature=0.2, stop=("</answer>",))


def test_cache_key_changes_with_everything_that_can_change_an_output():
    ident = {"backend": "fake", "model": "m"}
    base = cache_key(ident, _prompt(), PARAMS, 0)
    assert base == cache_key(ident, _prompt(), PARAMS, 0)
    assert base != cache_key({"backend": "fake", "model": "other"}, _prompt(), PARAMS, 0)
    assert base != cache_key(ident, _prompt(question="Other?"), PARAMS, 0)
    assert base != cache_key(ident, _prompt(), SamplingParams(max_tokens=50, temperature=0.9, stop=("</answer>",)), 0)
    assert base != cache_key(ident, _prompt(), PARAMS, 1)
    edited = _prompt().model_copy(update={"content_hash": "0" * 64})  # same text, edited prompt file
    assert base != cache_key(ident, edited, PARAMS, 0)
    bumped = _prompt().model_copy(update={"version": 2})
    assert base != cache_key(ident, bumped, PARAMS, 0)


def test_second_run_makes_zero_model_calls(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    backend = FakeBackend(lambda p: " wants a repair.</answer>")
    gateway = LLMGateway(backend, cache, show_progress=False)
    jobs = [LLMJob(_prompt(f"<user>chat {i}</user>"), PARAMS) for i in range(5)]
    first = gateway.ask_many(jobs, stage="facets")
    assert [r.value for r in first] == ["The user wants a repair."] * 5
    assert len(backend.calls) == 5

    gateway2 = LLMGateway(backend, ResponseCache(tmp_path / "c.sqlite"), show_progress=False)
    second = gateway2.ask_many(jobs, stage="facets")
    assert [r.value for r in second] == [r.value for r in first]
    assert len(backend.calls) == 5  # unchanged
    assert gateway2.usage["facets"].calls == 0 and gateway2.usage["facets"].cache_hits == 5


def test_replay_answers_from_the_cache_and_refuses_a_miss(tmp_path):
    backend = FakeBackend(lambda p: " wants a repair.</answer>")
    LLMGateway(backend, ResponseCache(tmp_path / "c.sqlite"), show_progress=False).ask(_prompt(), PARAMS, stage="facets")
    replay = LLMGateway(backend, ResponseCache(tmp_path / "c.sqlite"), show_progress=False, replay=True)
    assert replay.ask(_prompt(), PARAMS, stage="facets").value == "The user wants a repair."
    with pytest.raises(ConfigError, match=r"replay: no cached reply for prompt facet_open@v\d+ \(stage facets\)"):
        replay.ask(_prompt(question="Another question?"), PARAMS, stage="facets")
    assert len(backend.calls) == 1
    with pytest.raises(ConfigError, match="needs the response cache"):
        LLMGateway(backend, None, replay=True)


def test_replay_builds_an_api_backend_without_a_key(monkeypatch, tmp_path):
    from hydra import compose, initialize_config_dir

    from clio.cli import CONF_DIR
    from clio.pipeline import build_gateway

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["llm=anthropic", f"cache.dir={tmp_path}"])
        with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY is not set"):
            build_gateway(cfg)
        gateway = build_gateway(compose("config", overrides=["llm=anthropic", f"cache.dir={tmp_path}", "llm.replay=true"]))
    assert gateway.replay and gateway.batch is None
    with pytest.raises(ConfigError, match="replay: no cached reply"):
        gateway.ask(_prompt(), PARAMS, stage="facets")


def test_reask_on_malformed_reply_then_success():
    backend = FakeBackend(["   </answer>", " wants help.</answer>"])  # first reply is empty
    gateway = LLMGateway(backend, None, max_reasks=2, show_progress=False)
    result = gateway.ask(_prompt(), PARAMS, stage="s")
    assert result.ok and result.value == "The user wants help." and result.attempts == 2
    # the re-ask shows the model its bad reply and what was wrong
    reask = backend.calls[1].messages
    assert reask[-2].role == "assistant" and reask[-2].content.startswith("<answer>The user")
    assert "could not be used: the answer is empty" in reask[-1].content and "<answer>" in reask[-1].content
    assert gateway.usage["s"].reasks == 1


def test_reasks_exhausted_is_a_recorded_failure_not_a_crash():
    backend = FakeBackend(["bad</answer>", "9</answer>", "very</answer>"])
    gateway = LLMGateway(backend, None, max_reasks=2, show_progress=False)
    rating = load_prompt("facet_rating").render(transcript="<user>hi</user>", question="How concerning?", low=1, high=5)
    result = gateway.ask(rating, PARAMS, stage="s")
    assert not result.ok and "unparseable" in result.error and result.attempts == 3
    assert gateway.usage["s"].failures == 1


class FlakyBackend(FakeBackend):
    def __init__(self, failures, error):
        super().__init__(lambda p: " ok.</answer>")
        self.failures, self.error, self.attempts = failures, error, 0

    def complete(self, prompt, params):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise self.error
        return super().complete(prompt, params)


def test_transient_errors_are_retried_with_backoff():
    backend = FlakyBackend(2, TransientLLMError("429", retry_after=0.01))
    gateway = LLMGateway(backend, None, max_retries=3, backoff_base=0.001, show_progress=False)
    result = gateway.ask(_prompt(), PARAMS, stage="s")
    assert result.ok and backend.attempts == 3


def test_retries_exhausted_is_a_recorded_failure():
    backend = FlakyBackend(10, TransientLLMError("503"))
    gateway = LLMGateway(backend, None, max_retries=2, backoff_base=0.001, show_progress=False)
    result = gateway.ask(_prompt(), PARAMS, stage="s")
    assert not result.ok and "gave up after 2 retries" in result.error and backend.attempts == 3


def test_config_errors_fail_fast_without_retry():
    backend = FlakyBackend(10, ConfigError("bad key"))
    gateway = LLMGateway(backend, None, max_retries=5, backoff_base=0.001, show_progress=False)
    with pytest.raises(ConfigError, match="bad key"):
        gateway.ask(_prompt(), PARAMS, stage="s")
    assert backend.attempts == 1


def test_cost_accounting_uses_the_price_table():
    class Priced(FakeBackend):
        def complete(self, prompt, params):
            return Completion(text=" x.</answer>", input_tokens=1_000_000, output_tokens=200_000)

    gateway = LLMGateway(Priced(), None, prices=Prices(input=1.0, output=5.0), show_progress=False)
    gateway.ask(_prompt(), PARAMS, stage="facets")
    usage = gateway.usage["facets"]
    assert usage.input_tokens == 1_000_000 and usage.output_tokens == 200_000
    assert usage.cost_usd == pytest.approx(1.0 + 1.0)


def test_cached_input_is_priced_at_the_cache_rate():
    prices = Prices(input=1.0, output=0.0, cache_read=0.1)
    assert prices.cost(Completion(text="", input_tokens=1_000_000, cache_read_tokens=1_000_000)) == pytest.approx(0.1)
    assert prices.cost(Completion(text="", input_tokens=1_000_000), batch=True) == pytest.approx(0.5)


def test_ask_many_keeps_job_order_under_concurrency():
    backend = FakeBackend(lambda p: f" {p.messages[1].content.split()[-1]}</answer>")
    backend.max_concurrency = 4
    gateway = LLMGateway(backend, None, concurrency=4, show_progress=False)
    jobs = [LLMJob(_prompt(f"<user>item{i}</user>"), PARAMS) for i in range(20)]
    values = [r.value for r in gateway.ask_many(jobs, stage="s")]
    assert values == [f"The user <user>item{i}</user>" for i in range(20)]


def test_echoed_prefill_is_not_doubled():
    backend = FakeBackend(["<answer>The user wants tea.</answer>"])
    result = LLMGateway(backend, None, show_progress=False).ask(_prompt(), PARAMS, stage="s")
    assert result.value == "The user wants tea."


def test_missing_api_keys_fail_with_one_line(monkeypatch):
    from clio.llm.backends import make_backend

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY is not set"):
        make_backend("anthropic", "claude-x")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        make_backend("openai", "gpt-x")
    with pytest.raises(ConfigError, match="unknown llm backend"):
        make_backend("nope", "m")
