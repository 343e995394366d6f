"""Coordinated behaviour (paper section 4.1): clusters whose conversations come from many accounts
but share one prompt structure, ranked for review.

Per cluster, over the first user message of each conversation (private area only):

- near-exact signal: the text is masked (URLs, e-mails, numbers -> placeholders; capitalised words
  inside a sentence -> <ent>; lower-cased), cut into word 3-gram shingles and MinHashed (128
  hashes); two conversations are *template twins* when their estimated Jaccard >= `jaccard_min`.
- semantic signal: cosine similarity of sentence embeddings of the same messages >= `cosine_min` (0.8: on MiniLM, templated prompts with varied fillers sit at a median nearest-neighbour cosine of 0.88, organic same-topic prompts at 0.41)
  (catches templates that vary their wording enough to slip past string matching).
- only pairs from *different accounts* count. The template group is the largest connected component
  of the twin graph (either signal); `template_accounts` is its number of distinct accounts and
  `template_share` its share of the cluster.
- bursts: with timestamps, the largest share of the group inside any `burst_window` (default 1 day),
  over the share expected if the group were spread evenly over the data's time span.

score = template_accounts * template_share (a big group that is most of its cluster ranks first);
a cluster is flagged when template_accounts >= `min_accounts` and template_share >= `min_share`.
Organic topic clusters (many people asking about Python) have similar topics but not similar
prompts: their twin graph stays in tiny components. Outputs list clusters and scores only; the
group's account ids go to a RESTRICTED file in safety mode.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.preprocessing import normalize

from clio.analyses.common import OutputWriter, short
from clio.release import ReleasePolicy

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_NUM = re.compile(r"\d+(?:[.,:/-]\d+)*")
_WORD = re.compile(r"<\w+>|\w+", re.UNICODE)
_SENT_START = re.compile(r"(^|[.!?:\n]\s*)$")


def mask_text(text: str, max_chars: int = 2000) -> list[str]:
    """Tokens of `text` with fillers masked: URLs, e-mails, numbers, and capitalised words that do
    not start a sentence (names, places, brands) become placeholders."""
    text = (text or "")[:max_chars]
    text = _URL.sub(" <url> ", text)
    text = _EMAIL.sub(" <email> ", text)
    text = _NUM.sub(" <num> ", text)
    out = []
    for m in _WORD.finditer(text):
        tok = m.group(0)
        if tok[0].isupper() and not tok.isupper() and not _SENT_START.search(text[: m.start()]):
            out.append("<ent>")
        else:
            out.append(tok.lower())
    return out


def shingles(tokens: list[str], n: int = 3) -> set[str]:
    if len(tokens) < n:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def minhash_signatures(texts: list[str], n_hashes: int = 128, seed: int = 0, ngram: int = 3) -> np.ndarray:
    """MinHash signatures (len(texts) x n_hashes, uint64) of masked word n-gram shingles."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63 - 1, size=n_hashes, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=n_hashes, dtype=np.uint64)
    sig = np.full((len(texts), n_hashes), np.iinfo(np.uint64).max, dtype=np.uint64)
    for i, text in enumerate(texts):
        sh = shingles(mask_text(text), ngram)
        if not sh:
            continue
        h = np.array([int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little") for s in sh], dtype=np.uint64)
        with np.errstate(over="ignore"):
            hv = (h[:, None] * a[None, :] + b[None, :]) >> np.uint64(16)
        sig[i] = hv.min(axis=0)
    return sig


def jaccard_matrix(sig: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Estimated pairwise Jaccard (share of equal MinHash values); empty texts get 0."""
    m = len(sig)
    out = np.zeros((m, m), dtype=np.float32)
    empty = (sig == np.iinfo(np.uint64).max).all(axis=1)
    for s in range(0, m, chunk):
        out[s : s + chunk] = (sig[s : s + chunk, None, :] == sig[None, :, :]).mean(axis=2)
    out[empty, :] = 0
    out[:, empty] = 0
    return out


@dataclass
class CoordinationResult:
    table: pd.DataFrame
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # cluster -> row positions in the frame (private)


def _burst(ts: pd.Series, span_all: float, window_s: float) -> tuple[float, float]:
    t = np.sort(ts.dropna().astype("int64").to_numpy() / 1e9)
    if len(t) < 2 or span_all <= 0:
        return (np.nan, np.nan)
    j = np.searchsorted(t, t + window_s, side="right")
    share = float((j - np.arange(len(t))).max() / len(t))
    expected = min(1.0, window_s / span_all)
    return share, share / expected if expected > 0 else np.nan


def coordinated_behaviour(
    frame: pd.DataFrame,
    embeddings: np.ndarray | None,
    *,
    cluster_col: str = "cluster",
    min_conversations: int = 5,
    jaccard_min: float = 0.5,
    cosine_min: float = 0.8,
    min_accounts: int = 5,
    min_share: float = 0.25,
    burst_window_s: float = 86400.0,
    seed: int = 0,
) -> CoordinationResult:
    """`embeddings`: rows aligned with `frame` (unit-normalised), or None for the string signal only."""
    texts = frame["text"].fillna("").astype(str).tolist()
    sig = minhash_signatures(texts, seed=seed)
    accounts = frame["account_id"].astype(str).to_numpy()
    ts = frame["timestamp"] if "timestamp" in frame else pd.Series([pd.NaT] * len(frame))
    tsv = ts.dropna()
    span_all = float((tsv.max() - tsv.min()).total_seconds()) if len(tsv) > 1 else 0.0
    rows, groups = [], {}
    for cluster, idx in frame.groupby(cluster_col).indices.items():
        idx = np.asarray(idx)
        n = len(idx)
        if n < min_conversations:
            continue
        jac = jaccard_matrix(sig[idx])
        cos = embeddings[idx] @ embeddings[idx].T if embeddings is not None else np.zeros((n, n), dtype=np.float32)
        cross = accounts[idx][:, None] != accounts[idx][None, :]
        np.fill_diagonal(cross, False)
        exact_edges = (jac >= jaccard_min) & cross
        sem_edges = (cos >= cosine_min) & cross

        def largest(edges: np.ndarray) -> np.ndarray:
            if not edges.any():
                return np.array([], dtype=int)
            _, lab = connected_components(coo_matrix(edges), directed=False)
            best, best_acc = None, 0
            for c in np.unique(lab):
                members = np.flatnonzero(lab == c)
                if len(members) < 2:
                    continue
                acc = len(set(accounts[idx][members]))  # noqa: B023 (largest() is called inside this iteration)
                if acc > best_acc:
                    best, best_acc = members, acc
            return best if best is not None else np.array([], dtype=int)

        group = largest(exact_edges | sem_edges)
        g_exact, g_sem = largest(exact_edges), largest(sem_edges)
        g_acc = len(set(accounts[idx][group])) if len(group) else 0
        rec = {
            "cluster": str(cluster),
            "n": n,
            "n_accounts": len(set(accounts[idx])),
            "template_size": len(group),
            "template_accounts": g_acc,
            "template_share": len(group) / n,
            "exact_accounts": len(set(accounts[idx][g_exact])) if len(g_exact) else 0,
            "semantic_accounts": len(set(accounts[idx][g_sem])) if len(g_sem) else 0,
            "mean_jaccard": float(jac[np.ix_(group, group)][~np.eye(len(group), dtype=bool)].mean()) if len(group) > 1 else np.nan,
            "mean_cosine": float(cos[np.ix_(group, group)][~np.eye(len(group), dtype=bool)].mean()) if len(group) > 1 and embeddings is not None else np.nan,
            "length_cv": np.nan,
            "burst_share": np.nan,
            "burst_ratio": np.nan,
        }
        if len(group) > 1:
            lens = np.array([len(texts[i]) for i in idx[group]], dtype=float)
            rec["length_cv"] = float(lens.std() / lens.mean()) if lens.mean() > 0 else np.nan
            if len(group) >= min_accounts:  # a burst of two says nothing
                rec["burst_share"], rec["burst_ratio"] = _burst(ts.iloc[idx[group]], span_all, burst_window_s)
        rec["score"] = g_acc * rec["template_share"]
        rec["flagged"] = bool(g_acc >= min_accounts and rec["template_share"] >= min_share)
        rows.append(rec)
        groups[str(cluster)] = idx[group]
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["flagged", "score"], ascending=[False, False]).reset_index(drop=True)
    return CoordinationResult(table=table, groups=groups)


def plot_coordination(table: pd.DataFrame, title: str, top: int = 20):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(t), 1) + 1.6))
    y = np.arange(len(t))
    ax.barh(y, t["n_accounts"], color="#dddddd", label="accounts in cluster")
    ax.barh(y, t["template_accounts"], color=np.where(t["flagged"], "crimson", "#4C72B0"), label="accounts sharing one prompt template")
    for yi, row in zip(y, t.itertuples()):
        extra = f"  J={row.mean_jaccard:.2f}" if row.mean_jaccard == row.mean_jaccard else ""
        extra += f" cos={row.mean_cosine:.2f}" if row.mean_cosine == row.mean_cosine else ""
        ax.text(row.n_accounts, yi, f" score {row.score:.1f}{extra}", va="center", fontsize=7)
    ax.set_yticks(y, [short(c, 55) for c in t["cluster"]], fontsize=8)
    ax.set_xlabel("accounts (red: flagged for review)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def embed_texts(texts: list[str], model: str = "all-MiniLM-L6-v2", max_chars: int = 1000) -> np.ndarray:
    from clio.embeddings import Embedder

    emb = Embedder(model, show_progress=False)
    return normalize(emb.embed([(t or "")[:max_chars] or "(empty)" for t in texts]))


def released(table: pd.DataFrame, policy: ReleasePolicy) -> pd.DataFrame:
    """Rows of clusters the release policy allows; a template group (a set of conversations) below
    it keeps only its verdict: its size, accounts and statistics are withheld."""
    if table.empty or policy.restricted:
        return table
    table = table[np.asarray(policy.allows(table["n"], table["n_accounts"]), dtype=bool)].copy()
    small = ~np.asarray(policy.allows(table["template_size"], table["template_accounts"]), dtype=bool)
    table.loc[small, [c for c in table.columns if c not in ("cluster", "n", "n_accounts", "flagged")]] = np.nan
    for col in ("exact_accounts", "semantic_accounts"):  # sub-groups of a template: account counts only
        table.loc[(table[col] > 0) & (table[col] < policy.min_accounts), col] = np.nan
    return table.reset_index(drop=True)


def run(frame: pd.DataFrame, writer: OutputWriter, *, title: str, policy: ReleasePolicy, embeddings: np.ndarray | None, **kw) -> CoordinationResult:
    min_conversations = max(policy.min_conversations, 2)
    res = coordinated_behaviour(frame, embeddings, min_conversations=min_conversations, **kw)
    res = CoordinationResult(table=released(res.table, policy), groups=res.groups)
    cols = [
        "cluster",
        "n",
        "n_accounts",
        "template_size",
        "template_accounts",
        "template_share",
        "exact_accounts",
        "semantic_accounts",
        "mean_jaccard",
        "mean_cosine",
        "length_cv",
        "burst_ratio",
        "score",
        "flagged",
    ]
    table = res.table[cols] if not res.table.empty else pd.DataFrame(columns=cols)
    writer.table("coordinated_behaviour", table, title=title)
    writer.figure("fig_coordinated_behaviour", plot_coordination(table, title))
    writer.json(
        "summary", {"clusters_scanned": len(table), "flagged": table.loc[table["flagged"].astype(bool), "cluster"].tolist(), "min_conversations": min_conversations, **{k: v for k, v in kw.items()}}
    )
    if writer.restricted:
        rows = []
        for row in table[table["flagged"].astype(bool)].itertuples():
            members = frame.iloc[res.groups[row.cluster]]
            for acc, part in members.groupby("account_id"):
                rows.append({"cluster": row.cluster, "account_id": acc, "conversations": len(part), "first_seen": part["timestamp"].min(), "last_seen": part["timestamp"].max()})
        writer.table("flagged_accounts", pd.DataFrame(rows, columns=["cluster", "account_id", "conversations", "first_seen", "last_seen"]), title="Accounts in flagged template groups")
    return res
