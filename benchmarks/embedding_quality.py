"""Embedding quality proxy: does a text's nearest neighbour share its labelled topic?

    python benchmarks/embedding_quality.py [--models all-MiniLM-L6-v2 all-MiniLM-L6-v2-static] [--file F]

Texts: the first user message (first 500 characters) of every conversation in the labelled dev
benchmark (CLIO_BENCHMARK or ../shared/data/synthetic_multilingual_dev.jsonl). Score: leave-one-out
1-nearest-neighbour accuracy of the category by cosine similarity, over all rows and over the
English rows alone (both models are English models; the other languages show how much survives).
Also prints texts per second of each model on those texts (cache off, after a warm-up).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def loo_accuracy(X: np.ndarray, labels: np.ndarray) -> float:
    X = normalize(X)
    sims = X @ X.T
    np.fill_diagonal(sims, -np.inf)
    return float((labels[sims.argmax(axis=1)] == labels).mean())


def main() -> None:
    from clio.embeddings import Embedder

    default = os.environ.get("CLIO_BENCHMARK", str(ROOT.parent / "shared" / "data" / "synthetic_multilingual_dev.jsonl"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["all-MiniLM-L6-v2", "all-MiniLM-L6-v2-static"])
    ap.add_argument("--file", default=default)
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.file).read_text().splitlines() if line.strip()]
    texts = [next(m["content"] for m in r["messages"] if m["role"] == "user")[:500] for r in rows]
    labels = np.array([r["category"] for r in rows])
    english = np.array([r.get("language") == "English" for r in rows])
    print(f"{len(rows)} conversations ({english.sum()} English), {len(set(labels))} categories; file {args.file}")
    print(f"{'model':<28} {'1-NN all':>9} {'1-NN en':>8} {'texts/s':>8}")
    for name in args.models:
        emb = Embedder(name, cache=False, show_progress=False)
        emb.embed(texts[:8])  # load (or distil) and warm up outside the timing
        start = time.perf_counter()
        X = emb.embed(texts)
        rate = len(texts) / (time.perf_counter() - start)
        print(f"{name:<28} {loo_accuracy(X, labels):>9.3f} {loo_accuracy(X[english], labels[english]):>8.3f} {rate:>8.0f}")


if __name__ == "__main__":
    main()
