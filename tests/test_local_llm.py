"""The real offline default: llama.cpp with the GGUF model from PyPI packages. One conversation,
all facet kinds, through the gateway with grammar-constrained decoding."""

import pytest

from clio import model_assets
from clio.facets import TranscriptConfig, extract_facets, parse_facet_specs
from clio.llm.cache import ResponseCache
from clio.llm.gateway import LLMGateway
from clio.records import Conversation, Message

MODEL = "qwen2.5-coder-1.5b-instruct"

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.skipif(not model_assets.is_installed(MODEL), reason=f"{MODEL} packages not installed (make install)"),
]


def test_local_model_extracts_facets_and_caches(tmp_path):
    pytest.importorskip("llama_cpp")
    from clio.llm.backends import LocalLlamaBackend

    conv = Conversation(
        id="c1",
        account_id="a1",
        messages=[
            Message(role="user", content="My sourdough bread comes out flat and dense. How long should the dough rise before baking?"),
            Message(role="assistant", content="Let it rise until roughly doubled, usually 4-6 hours at room temperature, then shape and proof again."),
        ],
    )
    specs = parse_facet_specs(
        {
            "request": {"kind": "summary", "question": "What is the user's overall request for the assistant?", "prefill": "The user's overall request for the assistant is to", "max_tokens": 48},
            "concern": {"kind": "rating", "question": "How concerning is this conversation, 1 (benign) to 5 (extremely)?", "max_tokens": 4},
        }
    )
    gateway = LLMGateway(LocalLlamaBackend(MODEL, n_ctx=2048), ResponseCache(tmp_path / "c.sqlite"), show_progress=False)
    (row,) = extract_facets([conv], specs, gateway, TranscriptConfig(max_chars=1200))
    assert row.errors == {}
    request = row.values["request"]
    assert request.startswith("The user's overall request for the assistant is to")
    assert any(word in request.lower() for word in ("bread", "dough", "sourdough", "baking", "rise"))
    assert row.values["concern"] in {1, 2, 3, 4, 5}
    usage = gateway.total_usage()
    assert usage.calls == 2 and usage.input_tokens > 100

    again = LLMGateway(gateway.backend, ResponseCache(tmp_path / "c.sqlite"), show_progress=False)
    (row2,) = extract_facets([conv], specs, again, TranscriptConfig(max_chars=1200))
    assert row2.values == row.values and again.total_usage().calls == 0
