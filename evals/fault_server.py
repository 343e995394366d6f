"""A local fault server (issue 21): enough of the Anthropic and OpenAI wire formats for the project's
real SDK backends to talk to it, with scripted faults, so the reliability report can show what the
real `anthropic` / `openai` clients do when a provider misbehaves.

    with FaultServer(FaultScript(kinds=("rate_limit",), share=0.5)) as server:
        backend = AnthropicBackend("claude-test", base_url=server.url)        # or
        backend = OpenAICompatibleBackend("gpt-test", base_url=server.url + "/v1")

It listens on 127.0.0.1 on an ephemeral port, in a thread, started and stopped by its user.

Endpoints (replies shaped as the real APIs send them, so the SDKs parse them):
  POST /v1/messages                            Anthropic Messages
  POST /v1/messages/batches                    Anthropic Message Batches: create
  GET  /v1/messages/batches/{id}               retrieve (in_progress for `polls` calls, then ended)
  GET  /v1/messages/batches/{id}/results       the results JSONL
  POST /v1/chat/completions                    OpenAI chat completions

The model is a deterministic responder: `evals.reliability.LeakyModel` (the fake model of the
reliability report), given the prompt name recovered from the request's text (`identify_prompt`).

Online faults (`FaultScript.kinds`), on the first `times` attempts of a `share` of distinct requests:
  rate_limit    429 with a `retry-after` header
  server_error  500
  overloaded    529 (Anthropic's overloaded_error; 503 "engine overloaded" on the OpenAI API)
  slow          the reply comes only after `slow_s`, past the client's timeout
  reset         headers and half the body, then a TCP reset
  malformed     200 with a body that is not JSON
  truncated     Content-Length larger than the body sent, then the connection is closed
  auth          401 (always: a configuration error, never worth a retry)
Batch modes (`FaultScript.batch`): ok, expired (every request expires), half_failed (every other
request errors), results_truncated (the first read of the results JSONL is cut off mid-body).

Accounting, per distinct request (the JSON body, so a retry is the same request and a re-ask a new
one): requests received and clean replies delivered. A request delivered more than once was paid
twice. Faulted replies are not counted as delivered (a provider may still bill the slow one).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

ONLINE_FAULTS = ("rate_limit", "server_error", "overloaded", "slow", "reset", "malformed", "truncated")
BATCH_MODES = ("ok", "expired", "half_failed", "results_truncated")


@dataclass(frozen=True)
class FaultScript:
    kinds: tuple[str, ...] = ()  # online faults, drawn per request from its digest
    share: float = 0.0  # share of distinct requests that get a fault
    times: int = 1  # attempts of such a request that fail before it is answered (large: never)
    batch: str = "ok"  # see BATCH_MODES
    polls: int = 1  # retrieves of a batch that answer in_progress before it ends
    retry_after: float = 1.0  # seconds, sent with each 429
    slow_s: float = 3.0  # delay of a slow reply (more than the client's timeout)
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in (*ONLINE_FAULTS, "auth")]
        if unknown or self.batch not in BATCH_MODES:
            raise ValueError(f"unknown fault kinds {unknown or self.batch}")

    def fault_for(self, digest: str, attempt: int) -> str | None:
        """The fault of the `attempt`-th request with this digest (1-based), or None."""
        if not self.kinds or attempt > self.times:
            return None
        h = hashlib.sha256(f"{self.seed}\x00{digest}".encode()).digest()
        if int.from_bytes(h[:8], "big") / 2**64 >= self.share:
            return None
        return self.kinds[h[8] % len(self.kinds)]


# --------------------------------------------------------------------------- the model


@cache
def _prompt_lines() -> dict[str, tuple[str, ...]]:
    """Each prompt's fixed text (its template lines outside Jinja tags), to recognise it by."""
    from clio.prompts import available_prompts, load_prompt

    lines = {}
    for name in available_prompts():
        template = load_prompt(name)
        fixed = [piece for m in template.messages for piece in re.split(r"{[{%].*?[}%]}", m.content, flags=re.S)]
        lines[name] = tuple(line.strip() for piece in fixed for line in piece.splitlines() if len(line.strip()) >= 12)
    return lines


def identify_prompt(text: str) -> str:
    """The project prompt whose fixed text best covers `text` (characters found minus missing:
    several prompts share a system prompt, and `{% if %}` blocks may be left out)."""
    scores = {name: sum(len(line) if line in text else -len(line) for line in lines) for name, lines in _prompt_lines().items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else "unknown"


def default_responder(name: str, messages: list[dict[str, str]], prefill: str) -> str:
    """The reliability report's fake model, as the reply after the prefill."""
    from clio.prompts import ChatMessage
    from evals.reliability import LeakyModel

    turns = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
    return LeakyModel()(SimpleNamespace(name=name, messages=turns, prefill=prefill))


def _tokens(text: str) -> int:
    return max(1, -(-len(text) // 4))


def _finish(text: str, stop: list[str], max_tokens: int) -> tuple[str, str | None, str]:
    """What a real API returns of `text`: cut before the first stop sequence (which is left out)
    or at max_tokens. Returns (text, the stop sequence hit, why it ended)."""
    hits = [(text.find(s), s) for s in stop if s and s in text]
    if hits:
        at, seq = min(hits)
        return text[:at], seq, "stop_sequence"
    if _tokens(text) > max_tokens:
        return text[: max_tokens * 4], None, "max_tokens"
    return text, None, "end_turn"


def _text_of(content: Any) -> str:
    """A message's content: a string or a list of text blocks (one prompt may be split in two)."""
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def _digest(body: dict[str, Any]) -> str:
    # `stream` is how the SDK asks, not what it asks; a batch's params hash like the online body
    return hashlib.sha256(json.dumps({k: v for k, v in body.items() if k != "stream"}, sort_keys=True).encode()).hexdigest()[:24]


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- the server


class FaultServer:
    """See the module docstring. Use as a context manager, or call start() / stop()."""

    def __init__(self, script: FaultScript | None = None, responder: Callable[[str, list[dict[str, str]], str], str] | None = None):
        self.script = script or FaultScript()
        self.responder = responder or default_responder
        self.requests: Counter[str] = Counter()  # digest -> requests received (online and in batches)
        self.attempts: Counter[str] = Counter()  # digest -> online requests: what a fault script counts
        self.delivered: Counter[str] = Counter()  # digest -> clean replies sent (or, for batches, billed)
        self.faults: Counter[str] = Counter()  # fault kind -> injected
        self.paths: Counter[str] = Counter()  # "POST /v1/messages" -> calls
        self.prompts: Counter[str] = Counter()  # prompt name (as recognised) -> replies written
        self.batches: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # a batch's replies are written while it is held
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ life cycle
    def start(self) -> FaultServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, name="fault-server", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # ------------------------------------------------------------------ accounting
    @property
    def paid_twice(self) -> int:
        """Clean replies delivered for a request that had already been answered."""
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(self.requests.values()),
                "distinct_requests": len(self.requests),
                "delivered": sum(self.delivered.values()),
                "paid_twice": self.paid_twice,
                "faults": dict(self.faults),
                "paths": dict(self.paths),
                "prompts": dict(self.prompts),
                "batches": len(self.batches),
            }

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):024d}"

    # ------------------------------------------------------------------ replies
    def _respond(self, messages: list[dict[str, str]], prefill: str) -> str:
        name = identify_prompt("\n".join(m["content"] for m in messages))
        with self._lock:
            self.prompts[name] += 1
        return self.responder(name, messages, prefill)

    def message(self, body: dict[str, Any]) -> dict[str, Any]:
        """An Anthropic Messages reply to a request body."""
        turns = [{"role": t["role"], "content": _text_of(t["content"])} for t in body["messages"]]
        prefill = turns.pop()["content"] if turns and turns[-1]["role"] == "assistant" else ""
        system = _text_of(body.get("system") or "")
        messages = ([{"role": "system", "content": system}] if system else []) + turns
        text, seq, reason = _finish(self._respond(messages, prefill), body.get("stop_sequences") or [], int(body["max_tokens"]))
        return {
            "id": self._next_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": reason,
            "stop_sequence": seq,
            "usage": {
                "input_tokens": sum(_tokens(m["content"]) for m in messages),
                "output_tokens": _tokens(text),
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "standard",
            },
        }

    def chat_completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """An OpenAI chat completion. The backend asks for the prefill in words ("Begin your reply
        with exactly: ..."); this model obeys, so its reply echoes the prefill."""
        messages = [{"role": m["role"], "content": _text_of(m["content"])} for m in body["messages"]]
        asked = re.search(r"\n\nBegin your reply with exactly: (.*)\Z", messages[-1]["content"], re.S)
        prefill = asked.group(1) if asked else ""
        stop = body.get("stop") or []
        text, _, reason = _finish(prefill + self._respond(messages, prefill), [stop] if isinstance(stop, str) else stop, int(body.get("max_tokens") or 4096))
        n_in, n_out = sum(_tokens(m["content"]) for m in messages), _tokens(text)
        return {
            "id": self._next_id("chatcmpl"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []}, "logprobs": None, "finish_reason": "length" if reason == "max_tokens" else "stop"}
            ],
            "usage": {
                "prompt_tokens": n_in,
                "completion_tokens": n_out,
                "total_tokens": n_in + n_out,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
            },
            "service_tier": "default",
            "system_fingerprint": "fp_faultserver",
        }

    # ------------------------------------------------------------------ batches
    def create_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        batch_id = self._next_id("msgbatch")
        with self._lock:
            for r in body["requests"]:
                self.requests[_digest(r["params"])] += 1
            self.batches[batch_id] = {"id": batch_id, "requests": body["requests"], "created": time.time(), "polls": 0, "results": None, "ended": None, "reads": 0}
        return self._batch_view(self.batches[batch_id])

    def retrieve_batch(self, batch_id: str) -> dict[str, Any] | None:
        batch = self.batches.get(batch_id)
        if batch is None:
            return None
        with self._lock:
            batch["polls"] += 1
            if batch["results"] is None and batch["polls"] > self.script.polls:
                batch["results"], batch["ended"] = [self._batch_result(i, r) for i, r in enumerate(batch["requests"])], time.time()
        return self._batch_view(batch)

    def _batch_result(self, index: int, request: dict[str, Any]) -> dict[str, Any]:
        """One request's outcome when its batch ends; succeeded ones are billed (delivered) here,
        once, however often the results are read. Called under the lock."""
        mode = self.script.batch
        if mode == "expired":
            result: dict[str, Any] = {"type": "expired"}
        elif mode == "half_failed" and index % 2:
            result = {"type": "errored", "error": {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}}
        else:
            result = {"type": "succeeded", "message": self.message(request["params"])}
            self.delivered[_digest(request["params"])] += 1
        if result["type"] != "succeeded":
            self.faults[f"batch_{result['type']}"] += 1
        return {"custom_id": request["custom_id"], "result": result}

    def _batch_view(self, batch: dict[str, Any]) -> dict[str, Any]:
        results, n = batch["results"], len(batch["requests"])
        counts = Counter(r["result"]["type"] for r in results or [])
        return {
            "id": batch["id"],
            "type": "message_batch",
            "processing_status": "ended" if results is not None else "in_progress",
            "request_counts": {
                "processing": 0 if results is not None else n,
                "succeeded": counts["succeeded"],
                "errored": counts["errored"],
                "canceled": counts["canceled"],
                "expired": counts["expired"],
            },
            "ended_at": _stamp(batch["ended"]) if batch["ended"] else None,
            "created_at": _stamp(batch["created"]),
            "expires_at": _stamp(batch["created"] + timedelta(hours=24).total_seconds()),
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch['id']}/results" if results is not None else None,
        }


# --------------------------------------------------------------------------- HTTP


def _anthropic_error(status: int) -> dict[str, Any]:
    kind, message = {
        401: ("authentication_error", "invalid x-api-key"),
        404: ("not_found_error", "Not found"),
        429: ("rate_limit_error", "Number of requests has exceeded your rate limit"),
        500: ("api_error", "Internal server error"),
        529: ("overloaded_error", "Overloaded"),
    }[status]
    return {"type": "error", "error": {"type": kind, "message": message}}


def _openai_error(status: int) -> dict[str, Any]:
    message, kind, code = {
        401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
        404: ("Not found", "invalid_request_error", None),
        429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
        500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
        503: ("The engine is currently overloaded, please try again later", "server_error", None),
    }[status]
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            pass  # quiet: the tests and the report count instead

        # -------------------------------------------------------------- plumbing
        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, content_type: str = "application/json") -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", server._next_id("req"))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _partial(self, data: bytes, reset: bool) -> None:
            """Announce all of `data`, send half, then drop the connection: a reset or a plain close."""
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            if reset:  # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

        def _body(self) -> dict[str, Any]:
            return json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:
                pass  # the connection was reset on purpose, or the client gave up on a slow reply

        # -------------------------------------------------------------- routes
        def do_POST(self) -> None:
            openai = self.path.rstrip("/").endswith("/chat/completions")
            body = self._body()
            with server._lock:
                server.paths[f"POST {self.path}"] += 1
            if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
                return self._send(401, _openai_error(401) if openai else _anthropic_error(401))
            if self.path == "/v1/messages/batches":
                return self._send(200, server.create_batch(body))
            if self.path == "/v1/messages":
                return self._online(body, server.message, _anthropic_error, overloaded=529)
            if openai:
                return self._online(body, server.chat_completion, _openai_error, overloaded=503)
            self._send(404, _anthropic_error(404))

        def do_GET(self) -> None:
            with server._lock:
                server.paths["GET " + re.sub(r"msgbatch_\w+", "{id}", self.path)] += 1
            found = re.fullmatch(r"/v1/messages/batches/(msgbatch_\w+)(/results)?", self.path)
            batch = server.retrieve_batch(found.group(1)) if found else None
            if batch is None:
                return self._send(404, _anthropic_error(404))
            if not found.group(2):
                return self._send(200, batch)
            stored = server.batches[found.group(1)]
            if stored["results"] is None:
                return self._send(404, _anthropic_error(404))
            data = "".join(json.dumps(r) + "\n" for r in stored["results"]).encode()
            with server._lock:
                stored["reads"] += 1
                cut = server.script.batch == "results_truncated" and stored["reads"] == 1
                if cut:
                    server.faults["batch_results_truncated"] += 1
            if cut:
                return self._partial(data, reset=False)
            self._send(200, data, content_type="application/binary")

        def _online(self, body: dict[str, Any], reply: Callable[[dict[str, Any]], dict[str, Any]], error: Callable[[int], dict[str, Any]], overloaded: int) -> None:
            digest = _digest(body)
            with server._lock:
                server.requests[digest] += 1
                server.attempts[digest] += 1
                fault = "auth" if "auth" in server.script.kinds else server.script.fault_for(digest, server.attempts[digest])
                if fault:
                    server.faults[fault] += 1
            if fault in ("rate_limit", "server_error", "overloaded", "auth"):
                status = {"rate_limit": 429, "server_error": 500, "overloaded": overloaded, "auth": 401}[fault]
                return self._send(status, error(status), {"retry-after": f"{server.script.retry_after:g}"} if status == 429 else None)
            data = json.dumps(reply(body)).encode()
            if fault == "slow":
                server._stopping.wait(server.script.slow_s)
                try:
                    return self._send(200, data)  # to a client that has stopped waiting: not delivered
                except OSError:
                    return None
            if fault in ("reset", "truncated"):
                return self._partial(data, reset=fault == "reset")
            if fault == "malformed":
                return self._send(200, data[: len(data) // 3] + b"\x00<html>502 Bad Gateway</html>")
            self._send(200, data)
            with server._lock:
                server.delivered[digest] += 1

    return Handler
