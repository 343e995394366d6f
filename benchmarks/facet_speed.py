"""Facet extraction speed and quality of the local backend, for one or more GGUF models.

    python benchmarks/facet_speed.py [--models qwen2.5-coder-1.5b-instruct qwen2.5-coder-0.5b-instruct]
                                     [--n 10] [--source sharegpt] [--facets request task concern]
                                     [--quality-n 40]

Speed: real ShareGPT conversations (seeded sample), every LLM facet of the default config, with a
fresh response cache so every call is paid; prints seconds per conversation and per call, and
prompt/generation token counts.

Quality proxy (--quality-n > 0): request summaries of conversations from the labelled multilingual
benchmark (CLIO_BENCHMARK or ../shared/data/synthetic_multilingual_dev.jsonl), embedded with
MiniLM; the leave-one-out nearest-neighbour category accuracy of those embeddings says how well the
summaries keep the topic (higher is better). The same score for the raw first user message is
printed as a baseline (it is multilingual, so an English-only embedder struggles with it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hydra import compose, initialize_config_dir  # noqa: E402

from clio.cli import CONF_DIR  # noqa: E402
from clio.embeddings import Embedder  # noqa: E402
from clio.facets import TranscriptConfig, extract_facets  # noqa: E402
from clio.llm.backends import LocalLlamaBackend  # noqa: E402
from clio.llm.cache import ResponseCache  # noqa: E402
from clio.llm.gateway import LLMGateway  # noqa: E402
from clio.loaders import load_conversations  # noqa: E402
from clio.pipeline import facet_specs  # noqa: E402
from clio.sampling import sample  # noqa: E402


def loo_knn_accuracy(vectors: np.ndarray, labels: list[str]) -> float:
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    return float(np.mean([labels[i] == labels[j] for i, j in enumerate(nearest)]))


def run_model(model: str, convs, specs, transcript: TranscriptConfig) -> tuple[list, LLMGateway, float]:
    with tempfile.TemporaryDirectory() as tmp:
        gateway = LLMGateway(LocalLlamaBackend(model), ResponseCache(Path(tmp) / "c.sqlite"), show_progress=True)
        gateway.backend._load()  # loading the weights is not part of the per-conversation figure
        started = time.perf_counter()
        rows = extract_facets(convs, specs, gateway, transcript)
        return rows, gateway, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-0.5b-instruct"])
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--source", default="sharegpt")
    parser.add_argument("--facets", nargs="+", default=["request", "task", "concern"])
    parser.add_argument("--quality-n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config")
    specs = [s for s in facet_specs(cfg) if s.name in args.facets]
    transcript = TranscriptConfig(max_chars=cfg.llm.transcript_max_chars)
    convs = sample(load_conversations(args.source).conversations, "conversations", args.n, args.seed)
    print(f"machine: {os.cpu_count()} cores; {args.n} conversations from {args.source}; facets {[s.name for s in specs]}; transcript max {transcript.max_chars} chars")

    bench_path = os.environ.get("CLIO_BENCHMARK", str(Path(__file__).resolve().parents[2] / "shared/data/synthetic_multilingual_dev.jsonl"))
    quality_convs = []
    if args.quality_n and Path(bench_path).exists():
        quality_convs = sample(load_conversations(bench_path).conversations, "conversations", args.quality_n, args.seed)
    embedder = Embedder("all-MiniLM-L6-v2", show_progress=False)

    summary_rows = []
    for model in args.models:
        rows, gateway, seconds = run_model(model, convs, specs, transcript)
        usage = gateway.total_usage()
        per_conv = seconds / len(convs)
        line = (
            f"{model}: {per_conv:.1f} s/conversation, {seconds / max(usage.calls, 1):.1f} s/call, "
            f"{usage.calls} calls, {usage.input_tokens} prompt tok, {usage.output_tokens} gen tok, "
            f"{usage.failures} failures, {usage.reasks} re-asks"
        )
        quality = None
        if quality_convs:
            request = [s for s in specs if s.name == "request"]
            qrows, _, _ = run_model(model, quality_convs, request, transcript)
            texts = [r.values.get("request") or "" for r in qrows]
            labels = [c.metadata.get("category") for c in quality_convs]
            quality = loo_knn_accuracy(embedder.embed(texts), labels)
            line += f"; summary 1-NN category accuracy {quality:.2f} on {len(quality_convs)} labelled conversations"
        print(line, flush=True)
        summary_rows.append((model, rows))

    if quality_convs:
        first_user = [next((m.content for m in c.messages if m.role == "user"), "") for c in quality_convs]
        labels = [c.metadata.get("category") for c in quality_convs]
        print(f"baseline (raw first user message, MiniLM): 1-NN category accuracy {loo_knn_accuracy(embedder.embed(first_user), labels):.2f}")

    print("\nrequest summaries side by side:")
    for i, conv in enumerate(convs):
        print(f"- {conv.id}")
        for model, rows in summary_rows:
            print(f"    {model}: {rows[i].values.get('request')}  | concern={rows[i].values.get('concern')}")


if __name__ == "__main__":
    main()
