"""Scale benchmark: the non-LLM stages at 10k / 100k / 1M real texts, each stage in its own process.

    nice -n 10 .venv/bin/python benchmarks/scale.py --n 10000 --compare   # + BERTopic and Kura, same embeddings
    nice -n 10 .venv/bin/python benchmarks/scale.py --n 100000
    nohup nice -n 10 .venv/bin/python benchmarks/scale.py --n 1000000 > benchmarks/results/scale-1000000.log 2>&1 &

Stages (in order; each one a subprocess of this script, so its peak memory is its own):
  texts      build N texts from the built-in ShareGPT dump (see `build_texts`), saved to texts.parquet
  embed      all-MiniLM-L6-v2 (the default model), cache off, into a memmapped embeddings.npy chunk by
             chunk: resumable, progress on stderr (clio.embeddings.Embedder.embed_to_file)
  cluster    k = sqrt(n/2), method `auto` (k-means up to 50k rows, MiniBatchKMeans above)
  cluster_faiss   the same with faiss-cpu, for comparison (n > 50k and faiss installed; not used later)
  name       contrastive naming with the fake LLM: the real prompt rendering, member sampling and
             nearest non-members, the LLM replaced by a word-count stub
  hierarchy  clio.hierarchy with the fake LLM (real MiniLM embeddings of the cluster names)
  project    UMAP 2D, fitted on a seeded sample of 50k rows and applied to the rest in blocks
With --compare (run at 10k): `bertopic` (BERTopic 0.17.4 fit_transform on the same embeddings, then
its hierarchical_topics) and `kura` (Kura 0.5.4's own clustering, meta-clustering and projection
code on the same embeddings, its three LLM calls replaced by the same kind of stub), run with
.venv-compare/bin/python.

Measured per stage: wall time of the stage's work (after imports and one-time warm-ups, which are
reported separately), the whole process' wall time, and memory: peak RSS from getrusage
(ru_maxrss, exact high-water mark; includes pages of memory-mapped files that were read), and
peak anonymous RSS (RssAnon from /proc/self/status sampled every 20 ms: the process' own heap, not
file pages). Results: benchmarks/results/scale-<n>.json; working files in benchmarks/results/work-<n>/.
A stage whose result file exists is not run again (--force to redo); a killed embed stage continues
at its last finished chunk when the same command is run again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RESULTS = ROOT / "benchmarks" / "results"
COMPARE_PYTHON = ROOT / ".venv-compare" / "bin" / "python"
OURS = ["texts", "embed", "cluster", "cluster_faiss", "name", "hierarchy", "project"]
THEIRS = ["bertopic", "kura"]
MODEL = "all-MiniLM-L6-v2"
SEED = 0
FIT_SAMPLE = 50_000
PROMPT_BUDGET = 20_000  # llm.prompt_budget_chars of the anthropic/openai configs

# --------------------------------------------------------------------------- memory sampling


class PeakMemory:
    """Samples /proc/self/status every `interval` s in a thread: peak VmRSS, RssAnon, RssFile (MB)."""

    FIELDS = ("VmRSS", "RssAnon", "RssFile")

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak = interval, dict.fromkeys(self.FIELDS, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @classmethod
    def now(cls) -> dict[str, float]:
        out = {}
        with open("/proc/self/status") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in cls.FIELDS:
                    out[key] = int(rest.split()[0]) / 1024
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            for k, v in self.now().items():
                self.peak[k] = max(self.peak[k], v)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for k, v in self.now().items():
            self.peak[k] = max(self.peak[k], v)


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return ru.ru_utime + ru.ru_stime


def ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- texts

SENTENCE_END = re.compile(r"(?<=[.!?。？！])\s+|\n+")
MAX_WORDS = 40  # request summaries are one or two sentences; this caps the embedding cost per text


def _clip(text: str) -> str:
    return " ".join(text.split()[:MAX_WORDS])


def _candidates(user_turns: list[str]):
    """Texts from one conversation, in the order they are used: the first user turn, then windows
    of 1..6 consecutive sentences over all its user turns (so wider windows join turns), then
    windows of 25 words at a stride of 12 inside each turn (the sentence windows alone give
    825,792 distinct texts, fewer than 1M)."""
    if user_turns:
        yield _clip(user_turns[0])
    sentences = [s for turn in user_turns for s in SENTENCE_END.split(turn) if len(s.split()) >= 3]
    for width in range(1, 7):
        for start in range(len(sentences) - width + 1):
            yield _clip(" ".join(sentences[start : start + width]))
    for turn in user_turns:
        words = turn.split()
        for start in range(0, max(len(words) - 12, 1), 12):
            yield " ".join(words[start : start + 25])


def build_texts(n: int) -> tuple[list[str], list[int], list[int]]:
    """n distinct texts: round 0 is the first user turn of every ShareGPT conversation (clipped to
    40 words); each later round takes, from every conversation that still has one, its next
    candidate (see `_candidates`) not seen before anywhere. Returns (texts, conversation, round)."""
    from clio.loaders import iter_conversations

    sources = list(enumerate(_candidates([m.content for m in c.messages if m.role == "user"]) for c in iter_conversations("sharegpt")))
    seen: set[bytes] = set()
    texts, conv, rounds = [], [], []
    r = 0
    while len(texts) < n and sources:
        alive = []
        for ci, gen in sources:
            for text in gen:
                key = hashlib.blake2b(text.encode(), digest_size=12).digest()
                if len(text.split()) >= 3 and key not in seen:
                    seen.add(key)
                    texts.append(text), conv.append(ci), rounds.append(r)
                    alive.append((ci, gen))
                    break
            if len(texts) >= n:
                break
        sources, r = alive, r + 1
    if len(texts) < n:
        raise SystemExit(f"ShareGPT gives only {len(texts)} distinct texts with this scheme, fewer than --n {n}")
    return texts, conv, rounds


# --------------------------------------------------------------------------- fake LLM answers

STOP = set(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "this",
        "that",
        "it",
        "its",
        "as",
        "at",
        "by",
        "from",
        "i",
        "you",
        "my",
        "your",
        "me",
        "we",
        "can",
        "could",
        "would",
        "should",
        "will",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "how",
        "what",
        "which",
        "who",
        "why",
        "when",
        "where",
        "please",
        "help",
        "write",
        "make",
        "use",
        "using",
        "need",
        "want",
        "like",
        "about",
        "into",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "our",
        "us",
        "have",
        "has",
        "had",
        "if",
        "so",
        "just",
        "also",
        "more",
        "some",
        "any",
        "all",
        "one",
        "two",
        "new",
        "get",
        "give",
    ]
)


def top_words(texts, k: int = 3) -> list[str]:
    counts = Counter(w for t in texts for w in re.findall(r"[a-z][a-z]{2,}", t.lower()) if w not in STOP)
    return [w for w, _ in counts.most_common(k)] or ["misc"]


def _listed(content: str, tag: str) -> list[str]:
    body = re.search(rf"<{tag}>(.*?)</{tag}>", content, re.S)
    return [line[2:].strip() for line in body.group(1).strip().splitlines() if line.startswith("- ") or line[:1].isdigit()] if body else []


def fake_llm(prompt) -> str:
    """Well-formed answers for the naming and hierarchy prompts, named from the words they show."""
    text = prompt.messages[-1].content
    if prompt.name == "cluster_name":
        words = top_words(_listed(text, "answers"))
        return f" Users asked about {', '.join(words)}. They differed from nearby requests.</summary>\n<name>Help with {' and '.join(words[:2])}</name>"
    if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
        items = _listed(text, "cluster_list" if prompt.name == "hierarchy_propose" else "cluster_names")
        m = re.search(r"about\s+(\d+)", text)
        desired = max(1, int(m.group(1)) if m else 3)
        words = top_words(items, desired)
        return "\n" + "\n".join(f"{i}. Requests about {w}" for i, w in enumerate(words, 1)) + "\n</answer>"
    if prompt.name == "hierarchy_assign":
        parents = _listed(text, "higher_level_clusters")
        m = re.search(r"Name: (.*)", text)
        child = set(re.findall(r"[a-z]+", (m.group(1) if m else text).lower()))
        pick = max(parents, key=lambda p: len(child & set(re.findall(r"[a-z]+", p.lower())))) if parents else "Misc"
        return pick + "</answer>"
    if prompt.name == "hierarchy_rename":
        words = top_words(_listed(text, "answers"), 2)
        return f" Users asked for help with {' and '.join(words)}. They wanted practical answers.</summary>\n<name>Requests about {' and '.join(words)}</name>"
    return " a fake answer.</answer>"


def fake_gateway():
    from clio.llm.backends import FakeBackend
    from clio.llm.gateway import LLMGateway

    return LLMGateway(FakeBackend(fake_llm), None, show_progress=False)


# --------------------------------------------------------------------------- our stages (run in .venv)


def _texts(work: Path) -> list[str]:
    import pandas as pd

    return pd.read_parquet(work / "texts.parquet", columns=["text"])["text"].tolist()


def stage_texts(args, work: Path, timer) -> dict:
    import pandas as pd

    with timer():
        texts, conv, rounds = build_texts(args.n)
    frame = pd.DataFrame({"text": texts, "conversation": conv, "round": rounds})
    tmp = work / "texts.tmp.parquet"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, work / "texts.parquet")
    words = frame["text"].str.split().str.len()
    return {
        "rows": len(texts),
        "conversations": int(frame["conversation"].nunique()),
        "rounds": int(frame["round"].max()) + 1,
        "rows_per_round": frame["round"].value_counts().sort_index().head(12).tolist(),
        "words_mean": round(float(words.mean()), 1),
        "words_median": float(words.median()),
        "sha256": hashlib.sha256("\0".join(texts).encode()).hexdigest(),
    }


def stage_embed(args, work: Path, timer) -> dict:
    from clio.embeddings import Embedder, _stderr_progress

    texts = _texts(work)
    t0 = time.perf_counter()
    emb = Embedder(args.model, batch_size=64 if args.model == MODEL else 1024, cache=False, show_progress=False, threads=args.threads)
    _ = emb.dim  # load (or distil, for a static model) outside the timed part
    load_s = time.perf_counter() - t0
    last = {}
    printer = _stderr_progress(f"embed {args.model}")

    def progress(p):
        last.update(done=p.done, resumed_from=p.resumed_from)
        printer(p)
        mem = PeakMemory.now()  # does memory plateau while rows grow? (the log keeps the trace)
        print(f"  rss {mem['VmRSS']:.0f} MB, anon {mem['RssAnon']:.0f} MB", file=sys.stderr, flush=True)

    with timer():
        X = emb.embed_to_file(texts, work / "embeddings.npy", chunk_size=args.chunk, progress=progress)
    computed = last.get("done", len(texts)) - last.get("resumed_from", 0) if last else 0
    return {
        "model": args.model,
        "rows": int(X.shape[0]),
        "dim": int(X.shape[1]),
        "model_load_s": round(load_s, 2),
        "rows_computed_this_run": int(computed),
        "resumed_from_row": int(last.get("resumed_from", 0)),
        "chunk_rows": args.chunk,
        "torch_threads": args.threads,
        "file_mb": round((work / "embeddings.npy").stat().st_size / 2**20, 1),
    }


def stage_cluster(args, work: Path, timer, large: str = "minibatch") -> dict:
    import numpy as np

    from clio.clustering import choose_k, cluster_embeddings, resolve_method
    from clio.embeddings import open_vectors

    X = open_vectors(work / "embeddings.npy")
    k = choose_k(len(X))
    method = resolve_method(len(X), "auto", large=large)
    __import__("faiss" if method == "faiss" else "sklearn.cluster")  # import outside the timing
    with timer():
        result = cluster_embeddings(X, k, method=method, random_state=SEED)
    suffix = "" if large == "minibatch" else f"_{large}"
    np.save(work / f"labels{suffix}.npy", result.labels)
    np.save(work / f"centroids{suffix}.npy", result.centroids)
    sizes = result.sizes()
    return {"k": int(k), "method": method, "inertia": round(result.inertia, 2), "size_min": int(sizes.min()), "size_median": float(np.median(sizes)), "size_max": int(sizes.max())}


def stage_name(args, work: Path, timer) -> dict:
    import numpy as np

    from clio.embeddings import open_vectors
    from clio.naming import name_clusters

    texts, X = _texts(work), open_vectors(work / "embeddings.npy")
    labels, centroids = np.load(work / "labels.npy"), np.load(work / "centroids.npy")
    gateway = fake_gateway()
    with timer():
        names = name_clusters(texts, X, labels, centroids, gateway, random_state=SEED, max_chars=PROMPT_BUDGET)
    (work / "names.json").write_text(json.dumps([n.model_dump() for n in names]))
    return {"clusters": len(names), "llm_calls": len(gateway.backend.calls), "failures": sum(1 for n in names if n.error)}


def stage_hierarchy(args, work: Path, timer) -> dict:
    from clio.embeddings import Embedder
    from clio.hierarchy import build_hierarchy

    records = [r for r in json.loads((work / "names.json").read_text()) if r["size"] > 0]
    emb = Embedder(args.model, cache=False, show_progress=False, threads=args.threads)
    _ = emb.dim
    gateway = fake_gateway()
    with timer():
        h = build_hierarchy(records, emb.embed, gateway, top_k=10, levels=None, neighbourhood_size=40, n_outside=10, random_state=SEED, max_chars=PROMPT_BUDGET)
    (work / "hierarchy.json").write_text(h.model_dump_json())
    return {"base_clusters": len(records), "levels": [len(level) for level in h.levels()], "llm_calls": len(gateway.backend.calls), "names_embedded": emb.total.texts}


def _umap_warmup() -> float:
    """Compile UMAP's numba code (fit and transform paths) on a small input, outside the timing."""
    import numpy as np

    from clio.projection import fit_projection

    t0 = time.perf_counter()
    x = np.random.default_rng(0).normal(size=(400, 16)).astype(np.float32)
    fit_projection(x, random_state=0, fit_sample=200, transform_chunk=None, n_epochs=5)
    return time.perf_counter() - t0


def stage_project(args, work: Path, timer) -> dict:
    import numpy as np

    from clio.embeddings import open_vectors
    from clio.projection import fit_projection, project_clusters

    X = open_vectors(work / "embeddings.npy")
    labels = np.load(work / "labels.npy")
    warm = _umap_warmup()
    with timer():
        p = fit_projection(X, n_neighbors=15, min_dist=0.0, metric="cosine", random_state=SEED, fit_sample=FIT_SAMPLE)
        clusters = project_clusters(p.coords, labels)
    np.save(work / "coords.npy", p.coords.astype(np.float32))
    return {"method": p.method, "fitted_on": p.fitted_on, "notes": p.notes, "umap_warmup_s": round(warm, 1), "clusters_placed": int(np.isfinite(clusters[:, 0]).sum())}


# --------------------------------------------------------------------------- their stages (run in .venv-compare)


def stage_bertopic(args, work: Path, timer) -> dict:
    import numpy as np
    from bertopic import BERTopic
    from bertopic import _bertopic as bt

    texts = _texts(work)
    X = np.load(work / "embeddings.npy")  # BERTopic takes an in-memory array
    warm = _umap_warmup()
    steps: dict[str, float] = {}
    for name in ("_reduce_dimensionality", "_cluster_embeddings", "_extract_topics"):
        original = getattr(bt.BERTopic, name)

        def timed(self, *a, _original=original, _name=name, **kw):
            t0 = time.perf_counter()
            try:
                return _original(self, *a, **kw)
            finally:
                steps[_name.strip("_")] = steps.get(_name.strip("_"), 0.0) + time.perf_counter() - t0

        setattr(bt.BERTopic, name, timed)
    model = BERTopic(embedding_model=None, calculate_probabilities=False, verbose=False)
    with timer():
        topics, _ = model.fit_transform(texts, X)
        t0 = time.perf_counter()
        tree = model.hierarchical_topics(texts)
        steps["hierarchical_topics"] = time.perf_counter() - t0
    topics = np.asarray(topics)
    import umap
    import hdbscan

    return {
        "what": "BERTopic(embedding_model=None).fit_transform(docs, precomputed embeddings) with its defaults "
        "(UMAP 5-d n_neighbors=15 cosine, HDBSCAN min_cluster_size=10, CountVectorizer + c-TF-IDF), then hierarchical_topics(docs)",
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "topics": int(topics.max()) + 1,
        "outliers": int((topics == -1).sum()),
        "hierarchy_merges": int(len(tree)),
        "umap_warmup_s": round(warm, 1),
        "versions": {"umap": umap.__version__, "hdbscan": getattr(hdbscan, "__version__", "?")},
    }


def _kura_fakes():
    """Kura's LLM steps replaced, everything else (clustering, grouping, contrastive sampling,
    meta-clustering loop, embeddings of cluster texts, projection) is Kura's own code."""
    import numpy as np
    from kura.base_classes import BaseClusterDescriptionModel, BaseEmbeddingModel
    from kura.cluster import get_contrastive_examples
    from kura.meta_cluster import MetaClusterModel
    from kura.types import Cluster

    class Precomputed(BaseEmbeddingModel):
        """The same MiniLM vectors ours used, looked up by the text Kura asks to embed."""

        def __init__(self, table: dict[str, list[float]]):
            self.table = table

        async def embed(self, texts):
            return [self.table[t] for t in texts]

        def slug(self):
            return "precomputed-minilm"

    class StubDescriptions(BaseClusterDescriptionModel):
        checkpoint_filename = "clusters"

        async def generate_clusters(self, cluster_id_to_summaries, prompt="", max_contrastive_examples=10):
            out = []
            for cid, summaries in cluster_id_to_summaries.items():
                get_contrastive_examples(cid, cluster_id_to_summaries=cluster_id_to_summaries, max_contrastive_examples=max_contrastive_examples)
                words = top_words([s.summary for s in summaries])
                out.append(
                    Cluster(
                        name=f"Help with {' and '.join(words[:2])}",
                        description=f"Users asked about {', '.join(words)}.",
                        slug="_".join(words[:3]),
                        chat_ids=[s.chat_id for s in summaries],
                        parent_id=None,
                    )
                )
            return out

    class StubMeta(MetaClusterModel):
        async def generate_candidate_clusters(self, clusters, sem):
            desired = math.ceil(len(clusters) / 2) if len(clusters) >= 3 else 1
            return [f"Requests about {w}" for w in top_words([c.name for c in clusters], desired)]

        async def label_cluster(self, cluster, candidate_clusters):
            child = set(re.findall(r"[a-z]+", cluster.name.lower()))
            pick = max(candidate_clusters, key=lambda p: len(child & set(re.findall(r"[a-z]+", p.lower()))))
            return {"cluster": cluster, "label": pick}

        async def rename_cluster_group(self, clusters):
            words = top_words([c.name for c in clusters], 2)
            parent = Cluster(
                name=f"Requests about {' and '.join(words)}", description="Users asked for related things.", slug="_".join(words), chat_ids=[i for c in clusters for i in c.chat_ids], parent_id=None
            )
            return [parent] + [Cluster(id=c.id, name=c.name, description=c.description, slug=c.slug, chat_ids=c.chat_ids, parent_id=parent.id) for c in clusters]

    return Precomputed, StubDescriptions, StubMeta, np


def stage_kura(args, work: Path, timer) -> dict:
    os.environ.setdefault("OPENAI_API_KEY", "offline-benchmark-no-calls")  # kura builds OpenAI clients at import/init; none is called
    import numpy as np
    from kura.cluster import KmeansClusteringModel, generate_base_clusters_from_conversation_summaries
    from kura.dimensionality import HDBUMAP, reduce_dimensionality_from_clusters
    from kura.embedding import SentenceTransformerEmbeddingModel
    from kura.meta_cluster import reduce_clusters_from_base_clusters
    from kura.types import ConversationSummary

    from clio.clustering import choose_k
    from clio.model_assets import sentence_transformer_path

    Precomputed, StubDescriptions, StubMeta, _ = _kura_fakes()
    texts = _texts(work)
    X = np.load(work / "embeddings.npy")
    summaries = [ConversationSummary(summary=t, chat_id=str(i), metadata={}) for i, t in enumerate(texts)]
    table = {str(s): X[i].tolist() for i, s in enumerate(summaries)}  # list-of-floats form Kura's API passes around
    k = choose_k(len(texts))
    per_group = math.ceil(len(texts) / k)
    st = SentenceTransformerEmbeddingModel(str(sentence_transformer_path(MODEL)))  # for cluster texts, as ours
    warm = _umap_warmup()
    steps: dict[str, float] = {}

    async def run():
        t0 = time.perf_counter()
        base = await generate_base_clusters_from_conversation_summaries(
            summaries, embedding_model=Precomputed(table), clustering_method=KmeansClusteringModel(clusters_per_group=per_group), clustering_model=StubDescriptions()
        )
        steps["base_clusters (kmeans + grouping + stub naming)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        meta = StubMeta(embedding_model=st, max_clusters=10)
        tree = await reduce_clusters_from_base_clusters(base, model=meta)
        steps["meta_clusters (embed names + kmeans + stub LLM)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        projected = await reduce_dimensionality_from_clusters(tree, model=HDBUMAP(embedding_model=st))
        steps["projection (UMAP of cluster texts)"] = time.perf_counter() - t0
        return base, tree, projected

    with timer():
        base, tree, projected = asyncio.run(run())
    # Kura's default k (clusters_per_group=10, i.e. n/10 clusters), clustering step only
    t0 = time.perf_counter()
    KmeansClusteringModel().cluster([{"item": s, "embedding": table[str(s)]} for s in summaries])
    default_k_s = time.perf_counter() - t0
    return {
        "what": "kura 0.5.4: generate_base_clusters_from_conversation_summaries (KmeansClusteringModel, same k as ours) -> "
        "reduce_clusters_from_base_clusters (MetaClusterModel, max_clusters=10) -> reduce_dimensionality_from_clusters (HDBUMAP); "
        "embeddings of summaries precomputed (ours), cluster texts embedded with the same MiniLM via kura's SentenceTransformerEmbeddingModel; "
        "the 3 LLM methods and ClusterDescriptionModel replaced by word-count stubs",
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "k": k,
        "base_clusters": len(base),
        "all_clusters": len(tree),
        "roots": sum(1 for c in tree if c.parent_id is None),
        "projected_points": len(projected),
        "note": "Kura projects clusters only, not conversations",
        "kura_default_k_cluster_step_s": round(default_k_s, 2),
        "kura_default_k": math.ceil(len(texts) / 10),
        "umap_warmup_s": round(warm, 1),
    }


STAGES = {
    "texts": stage_texts,
    "embed": stage_embed,
    "cluster": stage_cluster,
    "cluster_faiss": lambda a, w, t: stage_cluster(a, w, t, large="faiss"),
    "name": stage_name,
    "hierarchy": stage_hierarchy,
    "project": stage_project,
    "bertopic": stage_bertopic,
    "kura": stage_kura,
}

# --------------------------------------------------------------------------- child / parent


def run_child(args) -> None:
    work = Path(args.workdir)
    start_mem = PeakMemory.now()
    span: dict[str, float] = {}

    class _Timer:
        def __call__(self):
            return self

        def __enter__(self):
            span["start_rss_mb"] = PeakMemory.now()["VmRSS"]
            span["cpu0"] = _cpu_seconds()
            span["load0"] = os.getloadavg()[0]
            span["t0"] = time.perf_counter()

        def __exit__(self, *exc):
            span["seconds"] = time.perf_counter() - span["t0"]
            span["cpu_seconds"] = _cpu_seconds() - span["cpu0"]
            span["load1"] = os.getloadavg()[0]

    t_proc = time.perf_counter()
    with PeakMemory() as peak:
        details = STAGES[args.stage](args, work, _Timer())
    result = {
        "stage": args.stage,
        "n": args.n,
        "seconds": round(span.get("seconds", float("nan")), 2),
        "cpu_seconds": round(span.get("cpu_seconds", float("nan")), 2),
        "load_avg_1min": [round(span.get("load0", float("nan")), 2), round(span.get("load1", float("nan")), 2)],
        "process_seconds": round(time.perf_counter() - t_proc, 2),
        "peak_rss_mb": round(ru_maxrss_mb(), 1),
        "peak_anon_mb": round(peak.peak["RssAnon"], 1),
        "peak_file_mb": round(peak.peak["RssFile"], 1),
        "rss_at_start_mb": round(span.get("start_rss_mb", start_mem["VmRSS"]), 1),
        "details": details,
    }
    tmp = work / f"stage-{args.stage}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, work / f"stage-{args.stage}.json")


def machine() -> dict:
    cpuinfo, meminfo = Path("/proc/cpuinfo").read_text().splitlines(), Path("/proc/meminfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    versions = {}
    for mod in ("numpy", "sklearn", "umap", "torch", "sentence_transformers", "faiss"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional
            versions[mod] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem / 2**20, 1), "python": platform.python_version(), "versions": versions}


def fmt_row(r: dict) -> str:
    load = r.get("load_avg_1min") or [float("nan")] * 2
    return (
        f"{r['stage']:<14} {r['seconds']:>9.1f} {r.get('cpu_seconds', float('nan')):>9.1f} {r['process_seconds']:>9.1f} "
        f"{r['peak_rss_mb']:>9.0f} {r['peak_anon_mb']:>9.0f}   {load[0]:.1f}-{load[1]:.1f}"
    )


def _label(model: str) -> str:
    """Suffix of result and work names for a model other than the default ('' for the default)."""
    return "" if model == MODEL else "-" + re.sub(r"[^A-Za-z0-9.]+", "-", model.removeprefix(MODEL + "-"))


def run_parent(args) -> None:
    work = Path(args.workdir or RESULTS / f"work-{args.n}{_label(args.model)}")
    work.mkdir(parents=True, exist_ok=True)
    shared = RESULTS / f"work-{args.n}"
    if work != shared and not (work / "texts.parquet").exists() and (shared / "texts.parquet").exists():
        # Same texts for every model: reuse the default model's, and its texts stage result.
        os.symlink((shared / "texts.parquet").resolve(), work / "texts.parquet")
        if (shared / "stage-texts.json").exists():
            (work / "stage-texts.json").write_text((shared / "stage-texts.json").read_text())
    stages = [s for s in (args.stages.split(",") if args.stages else OURS) if s]
    if args.compare:
        stages += [s for s in THEIRS if s not in stages]
    results = []
    for stage in stages:
        if stage == "cluster_faiss":
            try:
                import faiss  # noqa: F401
            except ImportError:
                print("cluster_faiss: skipped (faiss-cpu not installed)", flush=True)
                continue
            if args.n <= 50_000:
                continue
        out = work / f"stage-{stage}.json"
        if out.exists() and not args.force:
            print(f"{stage}: result from an earlier run ({out})", flush=True)
        else:
            python = str(COMPARE_PYTHON) if stage in THEIRS else sys.executable
            if stage in THEIRS and not COMPARE_PYTHON.exists():
                raise SystemExit(f"{stage} needs {COMPARE_PYTHON}: see benchmarks/README.md (scale: comparison venv)")
            cmd = [python, __file__, "--stage", stage, "--n", str(args.n), "--workdir", str(work), "--chunk", str(args.chunk), "--model", args.model]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            print(f"{stage}: running ({time.strftime('%H:%M:%S')})", flush=True)
            rc = subprocess.call(cmd, cwd=ROOT)
            if rc != 0:
                raise SystemExit(f"{stage} failed (exit {rc}); fix and run the same command again: finished stages are kept" + ("; embed continues at its last chunk" if stage == "embed" else ""))
        r = json.loads(out.read_text())
        results.append(r)
        print(f"{stage}: {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB (anon {r['peak_anon_mb']:.0f} MB)", flush=True)

    summary = {
        "n": args.n,
        "model": args.model,
        "machine": machine(),
        "method": {
            "time": "seconds: wall time of the stage's work inside its process (imports, model load and UMAP compile warm-up excluded); "
            "cpu_seconds: user+system CPU time of that span, all threads; process_seconds: the whole process; load_avg_1min: at the span's start and end (other jobs on the machine)",
            "memory": "peak_rss_mb: getrusage ru_maxrss of the stage's process (includes memory-mapped file pages read); peak_anon_mb: RssAnon sampled every 20 ms",
            "niceness": os.nice(0),
        },
        "stages": results,
    }
    by = {r["stage"]: r for r in results}
    if "bertopic" in by or "kura" in by:
        ours_total = {k: sum(by[s][k] for s in ("cluster", "name", "hierarchy", "project") if s in by) for k in ("seconds", "process_seconds")}
        ours_peak = max((by[s]["peak_rss_mb"] for s in ("cluster", "name", "hierarchy", "project") if s in by), default=0)
        ratios = {}
        for theirs in ("bertopic", "kura"):
            if theirs in by:
                t = by[theirs]
                ratios[theirs] = {
                    "ours_seconds": round(ours_total["seconds"], 1),
                    "theirs_seconds": t["seconds"],
                    "time_ratio_ours_over_theirs": round(ours_total["seconds"] / t["seconds"], 2),
                    "ours_peak_rss_mb": ours_peak,
                    "theirs_peak_rss_mb": t["peak_rss_mb"],
                    "peak_rss_ratio_ours_over_theirs": round(ours_peak / t["peak_rss_mb"], 2),
                }
        summary["comparison"] = {"ours": "cluster + name (fake LLM) + hierarchy (fake LLM) + project, each in its own process; peak = the largest of them", "ratios": ratios}
    path = RESULTS / f"scale-{args.n}{_label(args.model)}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1))

    print(f"\nn = {args.n}   (machine: {summary['machine']['cores']} cores, {summary['machine']['mem_gib']} GiB, {summary['machine']['cpu']})")
    print(f"{'stage':<14} {'seconds':>9} {'cpu_s':>9} {'process':>9} {'peakRSS':>9} {'peakAnon':>9}   load (MB for memory)")
    for r in results:
        print(fmt_row(r))
    for theirs, q in summary.get("comparison", {}).get("ratios", {}).items():
        print(
            f"ours/{theirs}: time {q['ours_seconds']} s / {q['theirs_seconds']} s = {q['time_ratio_ours_over_theirs']}x, "
            f"peak RSS {q['ours_peak_rss_mb']:.0f} / {q['theirs_peak_rss_mb']:.0f} MB = {q['peak_rss_ratio_ours_over_theirs']}x"
        )
    print(f"written {path}")


def markdown_table(sizes=(10_000, 100_000, 1_000_000), model: str = MODEL) -> str:
    """Per stage and size: wall seconds (CPU seconds), peak RSS / peak anonymous RSS in MB."""
    files = {n: RESULTS / f"scale-{n}{_label(model)}.json" for n in sizes}
    found = {n: {r["stage"]: r for r in json.loads(f.read_text())["stages"]} for n, f in files.items() if f.exists()}
    rows = ["| stage | " + " | ".join(f"n = {n:,}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for stage in OURS + THEIRS:
        cells = []
        for n in sizes:
            r = found.get(n, {}).get(stage)
            if r:
                cells.append(f"{r['seconds']:,.1f} s (CPU {r.get('cpu_seconds', float('nan')):,.0f} s); {r['peak_rss_mb']:,.0f} / {r['peak_anon_mb']:,.0f} MB")
            else:
                cells.append("-" if stage in THEIRS or (stage == "cluster_faiss" and n <= 50_000) else "pending")
        if stage in OURS or any(c != "-" for c in cells):
            rows.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    if "--table" in sys.argv:
        model = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else MODEL
        print(markdown_table(model=model))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", action="store_true", help="print the markdown table of the results so far and exit")
    ap.add_argument("--n", type=int, required=True, help="number of texts (10000, 100000, 1000000)")
    ap.add_argument("--compare", action="store_true", help="also BERTopic and Kura on the same embeddings (needs .venv-compare)")
    ap.add_argument("--stages", help=f"comma-separated subset of {','.join(OURS + THEIRS)}")
    ap.add_argument("--force", action="store_true", help="rerun stages that have a result")
    ap.add_argument("--workdir", help="default benchmarks/results/work-<n>")
    ap.add_argument("--chunk", type=int, default=4096, help="rows per embedding chunk (the resume unit)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--model", default=MODEL, help=f"embedding model (default {MODEL}; e.g. {MODEL}-static, results then named scale-<n>-static.json)")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        run_child(args)
    else:
        run_parent(args)


if __name__ == "__main__":
    main()
