"""Message Batches and prompt caching against a fake Anthropic HTTP API (httpx2.MockTransport):
the real SDK builds and parses every request, nothing leaves the machine."""

import json
import re
import threading

import anthropic
import httpx2 as httpx  # the SDK (2.12) speaks httpx2; same MockTransport API as httpx
import numpy as np
import pytest

from clio.errors import ConfigError
from clio.hierarchy import Hierarchizer
from clio.llm.backends import AnthropicBackend, BatchRequest, Completion, FakeBackend, SamplingParams
from clio.llm.batches import BatchConfig, BatchTimeout, batch_config, split_requests
from clio.llm.cache import ResponseCache, cache_key
from clio.llm.gateway import LLMGateway, LLMJob, Prices
from clio.prompts import load_prompt

MODEL = "claude-test"
PARAMS = SamplingParams(max_tokens=50, temperature=0.2, stop=("</answer>",))
PRICES = Prices(input=1.0, output=4.0, cache_read=0.1, cache_write=1.25, batch_discount=0.5)


def _message(text, *, input_tokens=100, output_tokens=10, cache_read=0, cache_write=0):
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "stop_sequence",
        "stop_sequence": "</answer>",
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens, "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write},
    }


class FakeAnthropicAPI:
    """The Messages and Message Batches endpoints, enough for the SDK. `reply(body)` answers a
    request body; `item_result(custom_id, body)` may return a non-success batch result."""

    def __init__(self, reply, *, polls_until_end=2, item_result=None, usage=None):
        self.reply, self.polls_until_end, self.item_result = reply, polls_until_end, item_result
        self.usage = usage or {}
        self.log: list[tuple[str, str]] = []  # (method, path) of every HTTP call
        self.online_bodies: list[dict] = []
        self.batches: dict[str, dict] = {}
        self._lock = threading.Lock()

    def client(self):
        transport = httpx.MockTransport(self.handle)
        return anthropic.Anthropic(api_key="test", base_url="https://api.test", http_client=httpx.Client(transport=transport), max_retries=0)

    def backend(self, **kw):
        return AnthropicBackend(MODEL, client=self.client(), **kw)

    def creates(self):
        return [p for m, p in self.log if m == "POST" and p == "/v1/messages/batches"]

    def online_calls(self):
        return [p for m, p in self.log if m == "POST" and p == "/v1/messages"]

    def _batch_json(self, batch):
        ended = batch["polls"] >= self.polls_until_end
        n = len(batch["requests"])
        counts = {"processing": 0 if ended else n, "succeeded": n if ended else 0, "errored": 0, "canceled": 0, "expired": 0}
        return {
            "id": batch["id"],
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": "2025-01-02T00:00:00Z",
            "ended_at": "2025-01-01T01:00:00Z" if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"https://api.test/v1/messages/batches/{batch['id']}/results" if ended else None,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self._lock:
            self.log.append((request.method, path))
            if request.method == "POST" and path == "/v1/messages":
                body = json.loads(request.content)
                self.online_bodies.append(body)
                return httpx.Response(200, json=_message(self.reply(body), **self.usage))
            if request.method == "POST" and path == "/v1/messages/batches":
                body = json.loads(request.content)
                batch = {"id": f"msgbatch_{len(self.batches) + 1:02d}", "requests": body["requests"], "polls": 0}
                self.batches[batch["id"]] = batch
                return httpx.Response(200, json=self._batch_json(batch))
            m = re.fullmatch(r"/v1/messages/batches/([^/]+)(/results)?", path)
            if m and request.method == "GET":
                batch = self.batches.get(m.group(1))
                if batch is None:
                    return httpx.Response(404, json={"type": "error", "error": {"type": "not_found_error", "message": "no such batch"}})
                if not m.group(2):
                    batch["polls"] += 1
                    return httpx.Response(200, json=self._batch_json(batch))
                lines = []
                for r in batch["requests"]:
                    result = self.item_result(r["custom_id"], r["params"]) if self.item_result else None
                    result = result or {"type": "succeeded", "message": _message(self.reply(r["params"]), **self.usage)}
                    lines.append(json.dumps({"custom_id": r["custom_id"], "result": result}))
                return httpx.Response(200, content=("\n".join(lines) + "\n").encode(), headers={"content-type": "application/binary"})
        return httpx.Response(500, json={"type": "error", "error": {"type": "api_error", "message": f"unexpected {request.method} {path}"}})


def _user_text(body):
    """The last user turn's text (blocks joined), as the model would read it."""
    turn = [t for t in body["messages"] if t["role"] == "user"][-1]
    return "".join(b["text"] for b in turn["content"])


def summary_reply(body):
    chat = re.search(r"<user>(.*?)</user>", "".join(b["text"] for b in body["messages"][0]["content"]))
    return f" wants help with {chat.group(1)}.</answer>"


def _job(i):
    prompt = load_prompt("facet_open").render(transcript=f"<user>chat {i}</user>", question="What is the request?", prefill="The user")
    return LLMJob(prompt, PARAMS)


def _gateway(api, tmp_path, backend=None, **batch):
    cfg = BatchConfig(**{"enabled": True, "poll_interval_s": 0, "min_jobs": 1, **batch})
    return LLMGateway(backend or api.backend(), ResponseCache(tmp_path / "c.sqlite"), PRICES, batch=cfg, batch_dir=tmp_path / "batches", show_progress=False, backoff_base=0.001)


# --------------------------------------------------------------------------- batches


def test_batch_for_uncached_jobs_only_then_cached(tmp_path):
    api = FakeAnthropicAPI(summary_reply, polls_until_end=3)
    gw = _gateway(api, tmp_path)
    jobs = [_job(i) for i in range(5)]
    done = Completion(text=" wants help with chat 0.</answer>", input_tokens=7)
    gw.cache.put(cache_key(gw.backend.identity(), jobs[0].prompt, PARAMS, 0), "facet_open@v4", done)

    results = gw.ask_many(jobs + [jobs[3]], stage="facets")  # a duplicate job shares one request

    assert [r.value for r in results] == [f"The user wants help with chat {i}." for i in (0, 1, 2, 3, 4, 3)]
    assert [r.from_cache for r in results] == [True, False, False, False, False, False]
    (batch,) = api.batches.values()
    keys = [cache_key(gw.backend.identity(), j.prompt, PARAMS, 0) for j in jobs]
    assert [r["custom_id"] for r in batch["requests"]] == keys[1:]  # the cached job is not sent
    assert batch["polls"] >= 3 and not api.online_calls()  # polled until ended, no online call
    # state file: the batch id and custom_id -> [job index, prompt] mapping
    state = json.loads((tmp_path / "batches" / "facets.json").read_text())
    assert state["batches"][0]["id"] == "msgbatch_01" and state["batches"][0]["status"] == "collected"
    assert state["batches"][0]["requests"][keys[2]] == [2, "facet_open@v4"]
    usage = gw.usage["facets"]
    assert (usage.calls, usage.batch_calls, usage.cache_hits, usage.batch_fallbacks) == (4, 4, 1, 0)  # the duplicate shares a reply
    assert usage.cost_usd == pytest.approx(4 * (100 * 1.0 + 10 * 4.0) / 1e6 * 0.5)  # batch discount

    # every reply was cached: a second run makes no HTTP call at all
    before = len(api.log)
    again = LLMGateway(api.backend(), ResponseCache(tmp_path / "c.sqlite"), PRICES, batch=gw.batch, batch_dir=tmp_path / "batches", show_progress=False)
    assert [r.value for r in again.ask_many(jobs, stage="facets")] == [r.value for r in results[:5]]
    assert len(api.log) == before and again.usage["facets"].cache_hits == 5


def test_errored_and_expired_items_fall_back_to_online_calls(tmp_path):
    def item_result(custom_id, params):
        if "chat 1<" in _user_text({"messages": params["messages"][:1]}):
            return {"type": "errored", "error": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}}
        if "chat 2<" in _user_text({"messages": params["messages"][:1]}):
            return {"type": "expired"}
        return None

    api = FakeAnthropicAPI(summary_reply, item_result=item_result)
    gw = _gateway(api, tmp_path)
    results = gw.ask_many([_job(i) for i in range(4)], stage="facets")
    assert all(r.ok for r in results) and results[1].value == "The user wants help with chat 1."
    assert len(api.online_calls()) == 2 and len(api.creates()) == 1
    usage = gw.usage["facets"]
    assert (usage.calls, usage.batch_calls, usage.batch_fallbacks) == (4, 2, 2)
    # online calls at full price, batch replies at half
    assert usage.cost_usd == pytest.approx((2 * 0.5 + 2) * (100 + 40) / 1e6)


def test_resumed_run_polls_the_recorded_batch_instead_of_resubmitting(tmp_path):
    api = FakeAnthropicAPI(summary_reply, polls_until_end=10**9)  # never ends during the first run
    jobs = [_job(i) for i in range(3)]
    first = _gateway(api, tmp_path, timeout_s=0.01)
    with pytest.raises(BatchTimeout, match="msgbatch_01 still running.*rerun to resume"):
        first.ask_many(jobs, stage="facets")
    state_file = tmp_path / "batches" / "facets.json"
    assert json.loads(state_file.read_text())["batches"][0]["status"] == "submitted"

    api.polls_until_end = 0  # the batch ends while nobody is watching
    resumed = _gateway(api, tmp_path)
    results = resumed.ask_many(jobs, stage="facets")
    assert [r.value for r in results] == [f"The user wants help with chat {i}." for i in range(3)]
    assert len(api.creates()) == 1 and not api.online_calls()  # no second batch, nothing online
    assert json.loads(state_file.read_text())["batches"][0]["status"] == "collected"
    assert resumed.usage["facets"].batch_calls == 3


def test_lost_batch_falls_back_online(tmp_path):
    api = FakeAnthropicAPI(summary_reply, polls_until_end=10**9)
    jobs = [_job(i) for i in range(2)]
    with pytest.raises(BatchTimeout):
        _gateway(api, tmp_path, timeout_s=0.01).ask_many(jobs, stage="facets")
    api.batches.clear()  # e.g. another API key: the provider no longer knows the batch
    gw = _gateway(api, tmp_path)
    assert all(r.ok for r in gw.ask_many(jobs, stage="facets"))
    assert len(api.online_calls()) == 2 and len(api.creates()) == 1
    assert json.loads((tmp_path / "batches" / "facets.json").read_text())["batches"][0]["status"] == "lost"


def test_parse_failure_in_a_batch_reply_is_reasked_online(tmp_path):
    def reply(body):
        if "could not be used" in _user_text(body):
            return " wants a second try.</answer>"
        return "   </answer>" if "chat 1<" in "".join(b["text"] for b in body["messages"][0]["content"]) else summary_reply(body)

    api = FakeAnthropicAPI(reply)
    gw = _gateway(api, tmp_path)
    results = gw.ask_many([_job(i) for i in range(3)], stage="facets")
    assert results[1].ok and results[1].value == "The user wants a second try." and results[1].attempts == 2
    (reask,) = api.online_bodies
    assert "could not be used: the answer is empty" in _user_text(reask)
    assert gw.usage["facets"].reasks == 1 and gw.usage["facets"].batch_calls == 3


def test_batches_respect_request_and_size_limits(tmp_path):
    api = FakeAnthropicAPI(summary_reply)
    backend = api.backend()
    backend.max_batch_requests = 2
    gw = _gateway(api, tmp_path, backend=backend)
    assert all(r.ok for r in gw.ask_many([_job(i) for i in range(5)], stage="facets"))
    assert [len(b["requests"]) for b in api.batches.values()] == [2, 2, 1]
    assert len(json.loads((tmp_path / "batches" / "facets.json").read_text())["batches"]) == 3

    requests = [BatchRequest(str(i), _job(i).prompt, PARAMS) for i in range(4)]
    sizes = {"0": 40, "1": 40, "2": 150, "3": 30}
    chunks = list(split_requests(requests, 100, 100, lambda r: sizes[r.custom_id]))
    assert [[r.custom_id for r in c] for c in chunks] == [["0", "1"], ["3"]]  # "2" alone is too big: online


def test_batches_only_for_configured_stages_and_enough_jobs(tmp_path):
    api = FakeAnthropicAPI(summary_reply)
    gw = _gateway(api, tmp_path, min_jobs=3)
    gw.ask_many([_job(i) for i in range(2)], stage="facets")  # below min_jobs: online
    gw.ask_many([_job(i) for i in range(10, 14)], stage="privacy_audit")  # not a batch stage
    assert not api.creates() and len(api.online_calls()) == 6
    assert gw.uses_batches("hierarchy.assign") and not gw.uses_batches("hierarchy.propose") and gw.uses_batches("naming")
    # a backend without a batch API never batches
    assert not LLMGateway(FakeBackend(), None, batch=gw.batch, show_progress=False).uses_batches("facets")


def test_batch_config_forms():
    assert batch_config(None) is None and batch_config(False) is None
    assert batch_config({"enabled": False}) is None
    assert batch_config(True).enabled and batch_config(True).stages == ["facets", "naming", "hierarchy.assign"]
    assert batch_config({"poll_interval_s": 5, "stages": None}).stages is None
    with pytest.raises(ConfigError, match="llm.batch.min_jobs"):
        batch_config({"min_jobs": 0})


# --------------------------------------------------------------------------- prompt caching


def _assign_prompt(parents=("Cooking help", "Software bugs", "Travel plans")):
    return load_prompt("hierarchy_assign").render(parents=list(parents), name="Fix python errors", description="Users debug code.")


def test_hierarchy_assign_caches_the_parent_list_and_system_prompt():
    prompt = _assign_prompt()
    api = FakeAnthropicAPI(lambda body: "Software bugs</answer>")
    backend = api.backend()
    gw = LLMGateway(backend, None, PRICES, show_progress=False)
    assert gw.ask(prompt, PARAMS, stage="hierarchy.assign").value == "Software bugs"
    (body,) = api.online_bodies
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    head, tail = body["messages"][0]["content"]
    assert head["cache_control"] == {"type": "ephemeral"} and "cache_control" not in tail
    assert head["text"].endswith("</higher_level_clusters>") and "- Travel plans" in head["text"]
    assert "Fix python errors" in tail["text"] and "Fix python errors" not in head["text"]
    assert head["text"] + tail["text"] == prompt.messages[1].content  # the same text, only split
    assert body["temperature"] == 0.2 and body["messages"][-1] == {"role": "assistant", "content": "<answer>"}
    # two children with the same parent order share the cached part byte for byte
    other = backend.request_params(load_prompt("hierarchy_assign").render(parents=["Cooking help", "Software bugs", "Travel plans"], name="Bake bread", description="x"), PARAMS)
    assert other["messages"][0]["content"][0] == head and other["system"] == body["system"]


def test_facet_prompts_cache_the_transcript_turn_and_stay_within_four_breakpoints():
    backend = FakeAnthropicAPI(summary_reply).backend()
    body = backend.request_params(_job(0).prompt, PARAMS)
    flags = [("cache_control" in b) for t in body["messages"] if isinstance(t["content"], list) for b in t["content"]]
    assert flags == [True, False, False]  # transcript turn, acknowledgement, question
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    off = AnthropicBackend(MODEL, client=FakeAnthropicAPI(summary_reply).client(), prompt_caching=False).request_params(_assign_prompt(), PARAMS)
    assert "cache_control" not in json.dumps(off) and len(off["messages"][0]["content"]) == 1


def test_cache_split_does_not_change_cache_keys_or_other_backends():
    prompt = _assign_prompt()
    assert prompt.cache_split == "</higher_level_clusters>"
    ident = {"backend": "anthropic", "model": MODEL}
    assert cache_key(ident, prompt, PARAMS, 0) == cache_key(ident, prompt.model_copy(update={"cache_split": ""}), PARAMS, 0)
    assert len(prompt.messages) == 2  # other backends see one user message, as before


def test_usage_counts_cache_tokens_and_batch_discount(tmp_path):
    api = FakeAnthropicAPI(lambda body: "Software bugs</answer>", usage={"input_tokens": 40, "output_tokens": 5, "cache_read": 2000, "cache_write": 0})
    gw = LLMGateway(api.backend(), None, PRICES, show_progress=False)
    gw.ask(_assign_prompt(), PARAMS, stage="online")
    api.usage = {"input_tokens": 40, "output_tokens": 5, "cache_read": 0, "cache_write": 2000}
    gw.ask(_assign_prompt(("A", "B")), PARAMS, stage="online")
    u = gw.usage["online"]
    assert (u.input_tokens, u.cache_read_tokens, u.cache_write_tokens) == (4080, 2000, 2000)  # input counts the cached part
    assert u.cost_usd == pytest.approx((2 * 40 * 1.0 + 2000 * 0.1 + 2000 * 1.25 + 2 * 5 * 4.0) / 1e6)

    batch_api = FakeAnthropicAPI(summary_reply, usage={"input_tokens": 40, "output_tokens": 5, "cache_read": 2000, "cache_write": 0})
    bgw = _gateway(batch_api, tmp_path)
    bgw.ask_many([_job(i) for i in range(2)], stage="facets")
    b = bgw.usage["facets"]
    assert (b.batch_calls, b.cache_read_tokens, b.input_tokens) == (2, 4000, 4080)
    assert b.cost_usd == pytest.approx(2 * (40 * 1.0 + 2000 * 0.1 + 5 * 4.0) / 1e6 * 0.5)


# --------------------------------------------------------------------------- hierarchy orders


def test_assign_orders_share_parent_orders_and_keep_child_order():
    parents = ["Cooking help", "Software bugs", "Travel plans", "Music lessons"]
    children = [{"id": i, "name": f"{p.split()[0]} request {i}", "description": "", "size": 1} for i, p in enumerate(parents * 3)]

    def answer(prompt):
        child = re.search(r"Name: (\w+)", prompt.messages[-1].content).group(1)
        return next(p for p in parents if p.startswith(child)) + "</answer>"

    def embed(texts):
        return np.random.default_rng(len(texts)).normal(size=(len(texts), 8))

    backend = FakeBackend(answer)
    # One worker: the backend then sees calls in submission order (with several, threads interleave).
    h = Hierarchizer(embed, LLMGateway(backend, None, show_progress=False, concurrency=1), random_state=0, assign_orders=2)
    chosen, how = h.assign_to(children, parents)
    assert chosen == [i % 4 for i in range(12)] and set(how) == {"exact"}
    lists = [re.search(r"<higher_level_clusters>(.*?)</higher_level_clusters>", p.messages[-1].content, re.S).group(1) for p in backend.calls]
    assert len(set(lists)) == 2 and lists[:6] == [lists[0]] * 6  # two orders, asked grouped by order
    with pytest.raises(ConfigError, match="assign_orders"):
        Hierarchizer(embed, LLMGateway(backend, None, show_progress=False), assign_orders=0)
