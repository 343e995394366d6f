"""Embedding throughput (texts/s) of the packaged sentence-transformers models, cache off.

    python benchmarks/embedding_throughput.py [--n 500] [--threads N] [--batch-size 64] [--models ...]

The texts are short request summaries of the kind the pipeline embeds ("The user asked for help
with ..."), generated from templates so the benchmark needs no data set. Model loading and a
small warm-up are excluded from the timing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OPENERS = [
    "The user asked for help with",
    "The user's overall request for the assistant is to help with",
    "The user wants assistance with",
    "The user requested guidance on",
    "The user sought advice about",
]
TASKS = [
    "debugging a Python script that fails when reading a CSV file",
    "writing a cover letter for a junior data analyst position",
    "planning a two-week vegetarian meal plan on a budget",
    "explaining the difference between TCP and UDP",
    "translating a short business email from Spanish to English",
    "drafting a polite complaint to a landlord about repairs",
    "optimising a slow SQL query with several joins",
    "summarising a research paper on protein folding",
    "creating a workout routine for a beginner runner",
    "understanding compound interest for a savings account",
    "setting up a React project with TypeScript",
    "writing a short fantasy story about a lost dragon",
    "preparing for a job interview in software engineering",
    "configuring nginx as a reverse proxy",
    "solving a calculus problem involving integrals",
    "choosing between two laptops for video editing",
    "writing unit tests for a Go HTTP handler",
    "composing a wedding toast for a sibling",
    "learning basic Japanese phrases for travel",
    "analysing sales data in a spreadsheet",
    "fixing a memory leak in a C++ application",
    "outlining a marketing plan for a small bakery",
    "understanding the causes of the French Revolution",
    "writing a haiku about autumn leaves",
    "deploying a Docker container to a cloud provider",
]
TAILS = [
    "",
    " and asked for step-by-step instructions",
    ", with examples",
    " in a concise format",
    " and wanted to know common pitfalls",
]


def make_texts(n: int, seed: int = 0) -> list[str]:
    combos = [f"{o} {t}{tail}." for o, t, tail in itertools.product(OPENERS, TASKS, TAILS)]
    random.Random(seed).shuffle(combos)
    return (combos * (n // len(combos) + 1))[:n] if n > len(combos) else combos[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--models", nargs="*", default=["all-MiniLM-L6-v2", "all-mpnet-base-v2"])
    args = parser.parse_args(argv)

    import torch

    from clio import model_assets
    from clio.embeddings import Embedder

    texts = make_texts(args.n)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} texts ({len(set(texts))} unique, {words:.1f} words avg), batch {args.batch_size}, cpu count {os.cpu_count()}, {platform.processor() or platform.machine()}")
    for name in args.models:
        if not model_assets.is_installed(name):
            print(f"{name}: skipped (packages not installed; see requirements-models.txt)")
            continue
        emb = Embedder(name, batch_size=args.batch_size, cache=False, show_progress=False, threads=args.threads)
        t0 = time.perf_counter()
        emb.embed(texts[:16])  # load + warm up
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        vecs = emb.embed(texts)
        secs = time.perf_counter() - t0
        print(f"{name}: {len(texts) / secs:.1f} texts/s ({secs:.2f} s for {len(texts)}), dim {vecs.shape[1]}, torch threads {torch.get_num_threads()}, load+warm-up {load_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
