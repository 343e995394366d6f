"""Map quality and time of the projector: UMAP fitted on all rows vs on a seeded sample + transform.

    python benchmarks/projection_quality.py --n 10000 --samples 1000 2500 5000 --model all-MiniLM-L6-v2-static

Texts: the first n distinct ShareGPT user texts (benchmarks/scale.py's builder), embedded once with
`--model` (the static student by default: seconds, so the run measures the projector, not the
embedder). For each variant it prints fit + transform wall time and two measures of the map,
computed on the same seeded 2,000-row subsample:
  trustworthiness   sklearn.manifold.trustworthiness (k=10): are a point's map neighbours its
                    neighbours in the embedding space? (1 = always)
  cluster agreement share of each point's 10 nearest map neighbours that sit in its own k-means
                    cluster (k = sqrt(n/2), on the embeddings): what an analyst sees as "the same
                    colour stays together"
Compare variants within one run (same machine); absolute times only as context.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def map_quality(X: np.ndarray, coords: np.ndarray, labels: np.ndarray, n_eval: int = 2000, k: int = 10, seed: int = 0) -> dict[str, float]:
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), size=min(n_eval, len(X)), replace=False)
    trust = float(trustworthiness(X[idx], coords[idx], n_neighbors=k, metric="cosine"))
    nn = NearestNeighbors(n_neighbors=k + 1).fit(coords)
    _, neighbours = nn.kneighbors(coords[idx])
    agree = float((labels[neighbours[:, 1:]] == labels[idx, None]).mean())
    return {"trustworthiness": round(trust, 4), "cluster_agreement": round(agree, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--samples", type=int, nargs="+", default=[1000, 2500, 5000])
    parser.add_argument("--model", default="all-MiniLM-L6-v2-static")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)

    from scale import build_texts
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.preprocessing import normalize

    from clio.embeddings import Embedder
    from clio.projection import fit_projection

    texts, _, _ = build_texts(args.n)
    X = normalize(np.asarray(Embedder(args.model, cache=False, show_progress=False).embed(texts), dtype=np.float32))
    k = max(2, int(round(np.sqrt(len(X) / 2))))
    labels = MiniBatchKMeans(n_clusters=k, random_state=args.seed, n_init=3).fit_predict(X)
    rows = []
    for sample in [None, *sorted(args.samples)]:
        started = time.perf_counter()
        projection = fit_projection(X, random_state=args.seed, fit_sample=sample if sample is not None else len(X) + 1)
        seconds = time.perf_counter() - started
        row = {"fit_on": projection.fitted_on, "method": projection.method, "seconds": round(seconds, 1), **map_quality(X, projection.coords, labels, seed=args.seed)}
        rows.append(row)
        print(f"fit on {row['fit_on']:>6} ({row['method']:<15}) {row['seconds']:>7.1f} s   trustworthiness {row['trustworthiness']:.4f}   cluster agreement {row['cluster_agreement']:.4f}", flush=True)
    full = rows[0]
    print(f"\nn={len(X)}, {args.model}, k-means k={k}, seed {args.seed}; ratios against the full fit:")
    for row in rows[1:]:
        print(
            f"  sample {row['fit_on']:>6}: {full['seconds'] / max(row['seconds'], 1e-9):.2f}x faster, trustworthiness {row['trustworthiness'] - full['trustworthiness']:+.4f}, "
            f"cluster agreement {row['cluster_agreement'] - full['cluster_agreement']:+.4f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"n": len(X), "model": args.model, "k": k, "seed": args.seed, "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
