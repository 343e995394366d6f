"""Where does supervised reconstruction lose accuracy? Probe the assignment step one conversation at
a time, on a finished `clio eval` run (its summaries are reused; no facet call is made).

    python benchmarks/assignment_probe.py runs/eval-dev-embedding-k48-n144 [--shortlist 4] [--no-llm]

Each conversation is treated as a base cluster of one, its summary as the cluster's name, so
clustering errors are out of the picture and what is left is the assignment itself:
  embedding top-1   the category whose name embedding is nearest to the summary (what
                    `eval.assign=embedding` does with a cluster centroid);
  shortlist recall  how often the true category is among the N nearest category names;
  LLM pick          the hierarchizer's assignment prompt (hierarchy_assign) choosing among those N,
                    i.e. whether the run's LLM adds accuracy on top of the embedding.
Embedding top-1 is the ceiling of embedding assignment at k = n. Results go to stdout and, with
--mlflow, to the run's tracking store (experiment of `tracking.experiment`, tag clio.probe).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import numpy as np
    import pandas as pd
    from omegaconf import OmegaConf

    from clio import pipeline as P
    from clio.embeddings import Embedder
    from clio.hierarchy import _answer_text, resolve_choice
    from clio.llm.backends import SamplingParams
    from clio.llm.gateway import LLMJob
    from clio.prompts import load_prompt
    from clio.runfolder import RunFolder
    from sklearn.preprocessing import normalize

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--shortlist", type=int, default=4)
    ap.add_argument("--no-llm", action="store_true", help="skip the LLM pick (no model call)")
    ap.add_argument("--mlflow", action="store_true", help="log the figures as an MLflow run")
    args = ap.parse_args()

    cfg = OmegaConf.load(args.run / ".hydra" / "config.yaml")
    predictions = pd.read_parquet(args.run / "private" / "eval_predictions.parquet")
    facets = pd.read_parquet(args.run / "private" / "facets.parquet")
    table = predictions.merge(facets[["conversation_id", cfg.embedding.facet]], on="conversation_id")
    summaries = P.summary_texts(cfg, table[cfg.embedding.facet].fillna(""))
    truth = table["category"].to_numpy()
    categories = sorted(table["category"].unique())

    embedder = Embedder(cfg.embedding.model, show_progress=False)
    similarity = normalize(embedder.embed(summaries)) @ normalize(embedder.embed(categories)).T
    names = np.array(categories)
    top1 = names[similarity.argmax(axis=1)]
    rng = np.random.default_rng(cfg.run.seed)
    shortlists = [rng.permutation(np.argsort(-row)[: args.shortlist]) for row in similarity]
    recall = np.mean([t in names[s] for t, s in zip(truth, shortlists)])
    figures = {"n": len(truth), "embedding_top1": float(np.mean(top1 == truth)), f"shortlist{args.shortlist}_recall": float(recall)}

    if not args.no_llm:
        ctx = P.RunContext(cfg=cfg, folder=RunFolder(tempfile.mkdtemp(prefix="clio-probe-")))
        template = load_prompt("hierarchy_assign")
        jobs = [
            LLMJob(prompt=template.render(parents=list(names[s]), name=text, description="(none)"), params=SamplingParams(max_tokens=80, temperature=0.0, stop=("</answer>",)))
            for text, s in zip(summaries, shortlists)
        ]
        picks = []
        for row, result, s in zip(similarity, ctx.gateway.ask_many(jobs, stage="probe.assign", desc="LLM picks"), shortlists):
            index, _ = resolve_choice(_answer_text(result), list(names[s])) if result.ok else (None, "failed")
            # an unusable reply falls back to the nearest name, as the hierarchizer does
            picks.append(names[s][index if index is not None else int(np.argmax(row[s]))])
        figures[f"llm_pick_of_{args.shortlist}"] = float(np.mean(np.array(picks) == truth))

    for key, value in figures.items():
        print(f"{key:24s} {value:.3f}" if isinstance(value, float) else f"{key:24s} {value}")
    if args.mlflow:
        import mlflow

        mlflow.set_tracking_uri(cfg.tracking.uri)
        mlflow.set_experiment(cfg.tracking.experiment)
        with mlflow.start_run(run_name=f"assignment-probe-{args.run.name}", tags={"clio.probe": "assignment", "clio.source_run": str(args.run)}):
            mlflow.log_params({"shortlist": args.shortlist, "llm": cfg.llm.get("model", ""), "embedding": cfg.embedding.model, "prompt": "" if args.no_llm else template.ref})
            mlflow.log_metrics({k: float(v) for k, v in figures.items()})


if __name__ == "__main__":
    main()
