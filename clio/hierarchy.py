"""The hierarchizer (paper G.7): base clusters -> a multi-level tree named by the model.

One level at a time:
1. embed each cluster's name and description;
2. split the clusters into neighbourhoods of about `neighbourhood_size` with k-means, because all
   names at once may not fit a model's context;
3. per neighbourhood, ask for candidate parent names (count proportional to its size), showing the
   nearest clusters outside it so boundary groups are neither counted twice nor missed;
4. deduplicate the candidates of all neighbourhoods to the level's target count;
5. assign every child to one parent; the parent list is shuffled per child to avoid order bias,
   and the reply is matched back exactly, else by closest match (never dropped);
6. rename each parent from the children it actually received; parents with no child are dropped.
Level sizes shrink geometrically, n_l / n_(l-1) = (n_top / n_base)^(1/(L-1)), until the top level
is within range of `top_k`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.preprocessing import normalize

from clio.clustering import nearest_non_members
from clio.errors import ConfigError
from clio.llm.backends import SamplingParams
from clio.llm.gateway import LLMGateway, LLMJob, LLMResult
from clio.llm.parsing import ParseError, extract_tag
from clio.naming import REQUEST_CRITERIA, clean_name, fit_examples
from clio.prompts import load_prompt

Embed = Callable[[list[str]], np.ndarray]


# --------------------------------------------------------------------------- records


class Node(BaseModel):
    id: str
    level: int  # 0 = base clusters
    name: str
    description: str = ""
    size: int  # conversations under this node
    parent_id: str | None = None
    children: list[str] = Field(default_factory=list)
    assignment: str | None = None  # how the parent was chosen: exact, contains, fuzzy, embedding, fallback, only (a single parent), rebalanced (moved to an empty parent so requested levels exist)
    error: str | None = None  # a model call about this node that failed (recorded, not raised)


def base_node_id(cluster_id: Any) -> str:
    return f"0-{cluster_id}"


class Hierarchy(BaseModel):
    nodes: list[Node]
    planned_sizes: list[int] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def _index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    def node(self, node_id: str) -> Node:
        try:
            return self._index()[node_id]
        except KeyError:
            raise KeyError(f"no node '{node_id}' in the hierarchy") from None

    @property
    def depth(self) -> int:
        """Number of levels, base included."""
        return 1 + max((n.level for n in self.nodes), default=-1)

    def levels(self) -> list[list[Node]]:
        """Nodes grouped by level: index 0 holds the base clusters, the last the top level."""
        grouped: list[list[Node]] = [[] for _ in range(self.depth)]
        for n in self.nodes:
            grouped[n.level].append(n)
        return grouped

    def top(self) -> list[Node]:
        return [n for n in self.nodes if n.parent_id is None]

    def children(self, node_id: str) -> list[Node]:
        index = self._index()
        return [index[c] for c in self.node(node_id).children]

    def ancestors(self, node_id: str) -> list[Node]:
        """Parent, grandparent, ... up to the top (e.g. to map a base cluster to its top group)."""
        index = self._index()
        chain, current = [], index[node_id]
        while current.parent_id is not None:
            current = index[current.parent_id]
            chain.append(current)
        return chain

    def assignment_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for n in self.nodes:
            if n.assignment:
                counts[n.assignment] = counts.get(n.assignment, 0) + 1
        return counts

    def to_frame(self) -> pd.DataFrame:
        rows = [{**n.model_dump(exclude={"children"}), "n_children": len(n.children), "children": list(n.children)} for n in self.nodes]
        columns = ["id", "level", "name", "description", "size", "parent_id", "n_children", "children", "assignment", "error"]
        return pd.DataFrame(rows, columns=columns)

    def render_tree(self, max_depth: int | None = None, show_ids: bool = False) -> str:
        """Text tree from the top level down, biggest first, with conversation counts.
        `max_depth` is the number of levels shown (None: all)."""
        index = self._index()
        lines: list[str] = []

        def label(n: Node) -> str:
            return f"{n.name} ({n.size:,})" + (f" [{n.id}]" if show_ids else "")

        def walk(n: Node, prefix: str, depth: int) -> None:
            if max_depth is not None and depth >= max_depth:
                return
            kids = sorted((index[c] for c in n.children), key=lambda k: (-k.size, k.name))
            for i, kid in enumerate(kids):
                last = i == len(kids) - 1
                lines.append(prefix + ("└── " if last else "├── ") + label(kid))
                walk(kid, prefix + ("    " if last else "│   "), depth + 1)

        for root in sorted(self.top(), key=lambda n: (-n.size, n.name)):
            lines.append(label(root))
            walk(root, "", 1)
        return "\n".join(lines)


# --------------------------------------------------------------------------- level sizes


def plan_level_sizes(n_base: int, top_k: int, levels: int | None = None, branching: float = 8.0) -> list[int]:
    """Target cluster counts per level, base first: geometric from n_base down to top_k.

    `levels` is the total number of levels including the base (the paper's L). Without it, L is
    the smallest that keeps the reduction per level at most `branching`. Sizes strictly decrease
    while possible; when top_k is not below n_base but levels were asked for, each level halves."""
    if n_base < 1:
        raise ConfigError("the hierarchy needs at least one base cluster")
    if top_k < 1:
        raise ConfigError(f"hierarchy.top_k={top_k} must be at least 1")
    if levels is not None and levels < 1:
        raise ConfigError(f"hierarchy.levels={levels} must be at least 1 (the base level)")
    if branching <= 1:
        raise ConfigError(f"hierarchy.branching={branching} must be above 1")
    if levels is None:
        if n_base <= top_k:
            return [n_base]
        n_levels = 1 + max(1, math.ceil(math.log(n_base / top_k) / math.log(branching) - 1e-9))
    else:
        n_levels = levels
        if n_levels == 1:
            return [n_base]
    top = top_k if top_k < n_base else max(1, round(n_base / 2 ** (n_levels - 1)))
    ratio = (top / n_base) ** (1 / (n_levels - 1))
    sizes = [n_base]
    for i in range(1, n_levels):
        sizes.append(max(1, min(round(n_base * ratio**i), sizes[-1] - 1)))
    return sizes


def level_range(target: int, n_children: int) -> tuple[int, int]:
    """Accepted count of parents for a level: 0.5x to 1.5x the target (as the paper's prompts ask),
    and fewer parents than children so the level actually merges something."""
    low = max(1, int(0.5 * target))
    high = max(low, int(1.5 * target))
    high = min(high, max(1, n_children - 1))
    return min(low, high), high


def share(total: int, part: int, whole: int) -> int:
    """Names asked of a part (a neighbourhood, a dedupe chunk): its share of the total, at least one."""
    return max(1, round(total * part / whole))


def even_split(n: int, k: int) -> list[int]:
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


@dataclass
class LevelPlan:
    """The calls `Hierarchizer.fit` makes for one level (`Hierarchizer.plan`)."""

    level: int
    children: int
    target: int
    low: int
    high: int
    neighbourhoods: list[int]  # children per neighbourhood (one propose call each)
    desired: list[int]  # names asked of each propose call
    dedupe: list[tuple[int, int]]  # (names shown, names asked) per dedupe call
    parents: int  # after dedupe and the count fit
    kept: int  # parents that receive a child (the next level's children)
    assign_calls: int  # one per child, none when there is a single parent
    rename_calls: int  # one per kept parent with more than one child


# --------------------------------------------------------------------------- reply parsing


def parse_name_list(text: str) -> list[str]:
    """Names from a numbered (or bulleted) list; tolerates everything on one line, which is what a
    grammar-constrained local model produces ("1. A 2. B 3. C")."""
    text = re.sub(r"</?cluster>", "\n", text)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) <= 1:
        one = lines[0] if lines else ""
        # split at "1.", "2.", ... only in sequence, so numbers inside a name are left alone
        parts: list[str] = []
        starts, expected = [], 1
        for match in re.finditer(r"(?:^|\s)(\d+)[.)]\s+", one):
            if int(match.group(1)) == expected:
                starts.append((match.start(), match.end()))
                expected += 1
        if len(starts) >= 2 or (starts and starts[0][0] == 0):
            for i, (_, end) in enumerate(starts):
                stop = starts[i + 1][0] if i + 1 < len(starts) else len(one)
                parts.append(one[end:stop])
        elif ";" in one or "|" in one:
            parts = re.split(r"[;|]", one)
        else:
            parts = [one]
        lines = parts
    names, seen = [], set()
    for line in lines:
        name = clean_name(line)
        if name and name.lower() not in seen and len(name) <= 200:
            seen.add(name.lower())
            names.append(name)
    return names


def _answer_text(result: LLMResult) -> str:
    """The raw answer with its line breaks (the gateway's parsed value has them collapsed)."""
    try:
        return extract_tag(result.raw, "answer")
    except ParseError:
        return str(result.value or "")


def _norm(text: str) -> str:
    text = re.sub(r"</?[a-zA-Z_]+>", " ", text)
    return clean_name(text).lower()


def resolve_choice(reply: str, options: Sequence[str], cutoff: float = 0.6) -> tuple[int | None, str]:
    """Match a model's reply to one of `options` without embeddings: exact (ignoring case, tags,
    quotes and list markers), else the longest option quoted inside the reply, else the closest
    spelling (difflib). Returns (None, "unresolved") when nothing is close; callers then fall
    back to embedding similarity."""
    normed = [_norm(o) for o in options]
    target = _norm(reply)
    if not target:
        return None, "unresolved"
    for i, option in enumerate(normed):
        if option == target:
            return i, "exact"
    inside = [i for i, option in enumerate(normed) if option and option in target]
    if inside:
        return max(inside, key=lambda i: len(normed[i])), "contains"
    close = difflib.get_close_matches(target, normed, n=1, cutoff=cutoff)
    if close:
        return normed.index(close[0]), "fuzzy"
    return None, "unresolved"


# --------------------------------------------------------------------------- the hierarchizer


class Hierarchizer:
    """Hyperparameters in the constructor, `fit(base)` builds the tree (scikit-learn style).

    `embed` turns texts into vectors (the pipeline passes its sentence-transformers embedder);
    `gateway` is the only way to the model. `max_chars` bounds each list shown in a prompt."""

    def __init__(
        self,
        embed: Embed,
        gateway: LLMGateway,
        *,
        top_k: int = 10,
        levels: int | None = None,
        branching: float = 8.0,
        neighbourhood_size: int = 40,
        n_outside: int = 10,
        criteria: str = REQUEST_CRITERIA,
        random_state: Any = None,
        temperature: float = 1.0,
        max_chars: int | None = 6000,
        max_description_chars: int = 200,
        dedupe_max_names: int = 120,
        always_dedupe: bool = False,
        max_extra_levels: int = 5,
        fuzzy_cutoff: float = 0.6,
        assign_orders: int | None = None,
    ):
        if neighbourhood_size < 2:
            raise ConfigError(f"hierarchy.neighbourhood_size={neighbourhood_size} must be at least 2")
        self.embed, self.gateway = embed, gateway
        self.top_k, self.levels, self.branching = top_k, levels, branching
        self.neighbourhood_size, self.n_outside = neighbourhood_size, n_outside
        self.criteria, self.random_state, self.temperature = criteria, random_state, temperature
        self.max_chars, self.max_description_chars = max_chars, max_description_chars
        self.dedupe_max_names, self.always_dedupe = dedupe_max_names, always_dedupe
        self.max_extra_levels, self.fuzzy_cutoff = max_extra_levels, fuzzy_cutoff
        if assign_orders is not None and assign_orders < 1:
            raise ConfigError(f"hierarchy.assign_orders={assign_orders} must be at least 1 (or null: one order per child)")
        self.assign_orders = assign_orders
        self.prompts = {name: load_prompt(f"hierarchy_{name}") for name in ("propose", "dedupe", "assign", "rename")}
        self.notes: list[str] = []

    # ------------------------------------------------------------------ helpers
    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.embed(list(texts)), dtype=np.float64)
        if vectors.shape[0] != len(texts):
            raise ConfigError(f"embed returned {vectors.shape[0]} vectors for {len(texts)} texts")
        return normalize(np.asarray(vectors, dtype=np.float64))

    def _seed(self) -> int:
        return int(self._rng.integers(2**31 - 1))

    def _kmeans(self, X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k <= 1:
            return np.zeros(len(X), dtype=int), X.mean(axis=0, keepdims=True)
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=k, n_init="auto", random_state=self._seed()).fit(X)
        return model.labels_.astype(int), model.cluster_centers_

    def _params(self, max_tokens: int, stop: tuple[str, ...]) -> SamplingParams:
        return SamplingParams(max_tokens=max_tokens, temperature=self.temperature, stop=stop)

    def cluster_items(self, nodes: list[Node]) -> list[dict[str, str]]:
        """Name + short description for each node, degrading to names only, then to fewer
        nodes (largest first), when the list would exceed the prompt budget."""
        nodes = sorted(nodes, key=lambda n: -n.size)
        full = [{"name": n.name, "description": fit_examples([n.description], None, self.max_description_chars)[0] if n.description else ""} for n in nodes]
        if self.max_chars is None or sum(len(i["name"]) + len(i["description"]) + 4 for i in full) <= self.max_chars:
            return full
        names = fit_examples([n.name for n in nodes], self.max_chars, 200)
        if len(names) < len(nodes):
            self.notes.append(f"a propose prompt showed {len(names)} of {len(nodes)} clusters (max_chars={self.max_chars})")
        return [{"name": name, "description": ""} for name in names]

    # ------------------------------------------------------------------ the calls (shared with `plan` and clio/estimate.py)
    def n_neighbourhoods(self, n_children: int) -> int:
        return max(1, round(n_children / self.neighbourhood_size))

    def skips_dedupe(self, neighbourhoods: int, n_candidates: int, low: int, high: int) -> bool:
        """One neighbourhood that already proposed distinct names in range needs no dedupe call."""
        return neighbourhoods == 1 and low <= n_candidates <= high and not self.always_dedupe

    def dedupe_chunks(self, n_candidates: int) -> int:
        """Dedupe calls for this many candidates: one, or groups of at most dedupe_max_names."""
        return 1 if n_candidates <= self.dedupe_max_names else math.ceil(n_candidates / self.dedupe_max_names)

    def _list_job(self, step: str, desired: int, **variables: Any) -> LLMJob:
        low, high = max(1, int(0.5 * desired)), max(1, int(1.5 * desired))
        prompt = self.prompts[step].render(criteria=self.criteria, desired=desired, low=low, high=high, **variables)
        return LLMJob(prompt=prompt, params=self._params(60 + 25 * high, ("</answer>",)))

    def propose_job(self, members: list[Node], outside: list[str], desired: int) -> LLMJob:
        """Candidate parent names for one neighbourhood, with the nearest names outside it."""
        fitted = fit_examples(outside, (self.max_chars or 10**9) // 4, 200)
        return self._list_job("propose", desired, clusters=self.cluster_items(members), outside=[{"name": name} for name in fitted])

    def dedupe_job(self, names: list[str], desired: int) -> LLMJob:
        return self._list_job("dedupe", desired, names=names)

    def assign_job(self, parents: list[str], child: Node) -> LLMJob:
        prompt = self.prompts["assign"].render(parents=parents, name=child.name, description=child.description or "(none)")
        return LLMJob(prompt=prompt, params=self._params(80, ("</answer>",)))

    def rename_job(self, kids: list[Node]) -> LLMJob:
        names = fit_examples([k.name for k in sorted(kids, key=lambda k: -k.size)], self.max_chars, 200)
        return LLMJob(prompt=self.prompts["rename"].render(criteria=self.criteria, children=names), params=self._params(200, ("</name>",)))

    # ------------------------------------------------------------------ steps
    def _propose(self, children: list[Node], E: np.ndarray, target: int, stage: str) -> tuple[list[str], int]:
        n = len(children)
        labels, centres = self._kmeans(E, self.n_neighbourhoods(n))
        groups = [np.flatnonzero(labels == g) for g in range(len(centres))]
        jobs, wanted = [], []
        for g, members in enumerate(groups):
            if len(members) == 0:
                continue
            desired = share(target, len(members), n)
            outside = nearest_non_members(E, labels, centres, g, self.n_outside) if len(groups) > 1 else []
            jobs.append(self.propose_job([children[i] for i in members], [children[i].name for i in outside], desired))
            wanted.append((members, desired))
        results = self.gateway.ask_many(jobs, stage=f"{stage}.propose", desc="propose parents")
        candidates: list[str] = []
        for (members, desired), result in zip(wanted, results):
            names = parse_name_list(_answer_text(result)) if result.ok else []
            if not names:
                # keep going with the neighbourhood's biggest clusters as its candidates
                self.notes.append(f"propose failed for a neighbourhood of {len(members)} ({result.error or 'no names'}); used its largest cluster names")
                names = [children[i].name for i in sorted(members, key=lambda i: -children[i].size)[:desired]]
            candidates.extend(names)
        return _dedupe_exact(candidates), len(jobs)

    def _dedupe_call(self, names: list[str], desired: int, stage: str) -> list[str]:
        (result,) = self.gateway.ask_many([self.dedupe_job(names, desired)], stage=f"{stage}.dedupe", desc="deduplicate")
        merged = parse_name_list(_answer_text(result)) if result.ok else []
        if not merged:
            self.notes.append(f"dedupe failed for {len(names)} names ({result.error or 'no names'}); kept them")
            return names
        return merged

    def _dedupe(self, candidates: list[str], target: int, low: int, high: int, neighbourhoods: int, stage: str) -> list[str]:
        if self.skips_dedupe(neighbourhoods, len(candidates), low, high):
            return candidates
        n_chunks = self.dedupe_chunks(len(candidates))
        if n_chunks == 1:
            return self._dedupe_call(candidates, target, stage)
        # Too many for one prompt: dedupe groups of similar names, each to its share of the target.
        labels, _ = self._kmeans(self._embed(candidates), n_chunks)
        merged: list[str] = []
        for g in range(n_chunks):
            chunk = [c for c, label in zip(candidates, labels) if label == g]
            if chunk:
                merged.extend(self._dedupe_call(chunk, share(target, len(chunk), len(candidates)), stage))
        return _dedupe_exact(merged)

    def _fit_count(self, names: list[str], pool: list[str], low: int, high: int, children: Sequence[Node] = ()) -> list[str]:
        """Bring the parent count into [low, high] without the model: too many -> keep the name
        nearest each of `high` k-means groups; too few -> add back the proposed candidates least
        similar to those already kept."""
        if len(names) > high:
            E = self._embed(names)
            labels, centres = self._kmeans(E, high)
            keep = sorted({int(np.flatnonzero(labels == g)[np.argmax(E[labels == g] @ centres[g])]) for g in range(high) if np.any(labels == g)})
            self.notes.append(f"{len(names)} parent names above the maximum {high}; kept one per group of similar names")
            names = [names[i] for i in keep]
        if len(names) < low:
            extra = [p for p in pool if p.lower() not in {n.lower() for n in names}]
            if extra:
                chosen, E_extra = self._embed(names), self._embed(extra)
                added = 0
                while len(names) < low and extra:
                    i = int(np.argmin((E_extra @ chosen.T).max(axis=1)))
                    names.append(extra.pop(i))
                    chosen = np.vstack([chosen, E_extra[i]])
                    E_extra = np.delete(E_extra, i, axis=0)
                    added += 1
                self.notes.append(f"parent names below the minimum {low}; added back {added} proposed candidates")
        if len(names) < low and children:
            # Still short (a small model proposed too few): seed parents with the largest children's
            # names; the rename step renames each parent from the children it actually receives.
            taken = {n.lower() for n in names}
            extra = [c.name for c in sorted(children, key=lambda c: -c.size) if c.name.lower() not in taken][: low - len(names)]
            names += extra
            self.notes.append(f"parent names below the minimum {low}; seeded {len(extra)} from the largest children")
        return names

    def _assign(self, children: list[Node], E_children: np.ndarray, parents: list[str], stage: str) -> list[int]:
        if len(parents) == 1:
            # Nothing to choose: asking the model would cost a call per child for a fixed answer.
            for child in children:
                child.assignment = "only"
            return [0] * len(children)
        jobs, n_orders = [], len(children)
        if self.assign_orders:
            # A few shared orders instead of one per child: children with the same order share the
            # parent list as a prompt prefix that a provider can cache (hierarchy_assign marks it).
            # Position bias is then spread over these orders rather than over every child.
            n_orders = min(self.assign_orders, len(children))
            shared = [self._rng.permutation(len(parents)) for _ in range(n_orders)]
            orders = [shared[i % n_orders] for i in range(len(children))]
        else:
            orders = [self._rng.permutation(len(parents)) for _ in children]  # a fresh order per child: no position bias
        for child, order in zip(children, orders):
            jobs.append(self.assign_job([parents[i] for i in order], child))
        # Children that share an order are asked one after another, so the cached prefix is
        # written once and then read; results come back in child order.
        sequence = sorted(range(len(jobs)), key=lambda i: i % n_orders)
        asked = self.gateway.ask_many([jobs[i] for i in sequence], stage=f"{stage}.assign", desc="assign children")
        results: list[LLMResult] = [None] * len(jobs)  # type: ignore[list-item]
        for position, i in enumerate(sequence):
            results[i] = asked[position]
        chosen: list[int | None] = []
        for child, result in zip(children, results):
            if result.ok:
                index, how = resolve_choice(_answer_text(result), parents, self.fuzzy_cutoff)
            else:
                index, how = None, "fallback"
                child.error = f"assign: {result.error}"
            chosen.append(index)
            child.assignment = how
        # Whatever is still open is matched by meaning: the reply when there is one, else the child.
        open_ = [i for i, c in enumerate(chosen) if c is None]
        if open_:
            E_parents = self._embed(parents)
            texts = [_answer_text(results[i]) if children[i].assignment == "unresolved" else "" for i in open_]
            have_text = [i for i, t in zip(open_, texts) if t.strip()]
            vectors = dict(zip(have_text, self._embed([t for t in texts if t.strip()]))) if have_text else {}
            for i in open_:
                if i in vectors:
                    children[i].assignment = "embedding"
                    chosen[i] = int(np.argmax(E_parents @ vectors[i]))
                else:
                    children[i].assignment = "fallback"
                    chosen[i] = int(np.argmax(E_parents @ E_children[i]))
        return [int(c) for c in chosen]  # type: ignore[arg-type]

    def _fill_empty_parents(self, children: list[Node], E_children: np.ndarray, parents: list[str], chosen: list[int], low: int, level: int) -> list[int]:
        """Levels were requested, but the model put every child under fewer than `low` parents, so the
        next level would have nothing to group. Give each empty parent the child that fits it best
        relative to its current parent, taken only from parents that keep another child."""
        counts = Counter(chosen)
        empty = [p for p in range(len(parents)) if counts[p] == 0]
        if len(parents) - len(empty) >= low or not empty:
            return chosen
        E_parents = self._embed(parents)
        chosen, moved = list(chosen), 0
        for p in empty:
            if sum(1 for c in counts.values() if c > 0) >= low:
                break
            movable = [i for i in range(len(children)) if counts[chosen[i]] > 1]
            if not movable:
                break
            i = max(movable, key=lambda i: float(E_children[i] @ E_parents[p] - E_children[i] @ E_parents[chosen[i]]))
            counts[chosen[i]] -= 1
            chosen[i], counts[p] = p, counts[p] + 1
            children[i].assignment = "rebalanced"
            moved += 1
        if moved:
            self.notes.append(f"level {level}: the model left {len(empty)} parent(s) empty with levels requested; moved {moved} child(ren) to them by meaning")
        return chosen

    def _rename(self, groups: list[list[Node]], fallback: list[str], stage: str) -> list[tuple[str, str, str | None]]:
        """Name each parent from the children it received. A parent with a single child takes that
        child's name and description: a model asked to name a group of one restates it (and on a
        2-core machine each such call costs about 10 s)."""
        jobs, asked = [], []
        for g, kids in enumerate(groups):
            if len(kids) == 1:
                continue
            jobs.append(self.rename_job(kids))
            asked.append(g)
        results = dict(zip(asked, self.gateway.ask_many(jobs, stage=f"{stage}.rename", desc="rename parents"))) if jobs else {}
        out = []
        for g, (kids, old) in enumerate(zip(groups, fallback)):
            if g not in results:
                out.append((kids[0].name, kids[0].description, None))
                continue
            result = results[g]
            name = clean_name(result.value["name"]) if result.ok else ""
            if name:
                out.append((name, result.value["summary"].strip(), None))
            else:
                out.append((old, "", f"rename: {result.error or 'empty name'}"))
        return out

    def _build_level(self, children: list[Node], level: int, target: int, low: int, high: int) -> list[Node]:
        stage = "hierarchy"
        E = self._embed([f"{c.name}: {c.description}" if c.description else c.name for c in children])
        candidates, neighbourhoods = self._propose(children, E, target, stage)
        merged = self._dedupe(candidates, target, low, high, neighbourhoods, stage)
        parents = self._fit_count(_dedupe_exact(merged), candidates, low, high, children)
        chosen = self._assign(children, E, parents, stage)
        if self.levels is not None and level < self.levels - 1:
            chosen = self._fill_empty_parents(children, E, parents, chosen, low, level)

        groups: dict[int, list[Node]] = {}
        for child, p in zip(children, chosen):
            groups.setdefault(p, []).append(child)
        used = sorted(groups)  # empty parents are dropped here
        if len(used) < len(parents):
            self.notes.append(f"level {level}: dropped {len(parents) - len(used)} parent(s) that received no child")
        renamed = self._rename([groups[p] for p in used], [parents[p] for p in used], stage)

        nodes = []
        for j, (p, (name, description, error)) in enumerate(zip(used, renamed)):
            node = Node(id=f"{level}-{j}", level=level, name=name, description=description, size=sum(c.size for c in groups[p]), children=[c.id for c in groups[p]], error=error)
            for child in groups[p]:
                child.parent_id = node.id
            nodes.append(node)
        self.notes.append(
            f"level {level}: {len(children)} children, {neighbourhoods} neighbourhood(s), {len(candidates)} candidates, "
            f"{len(parents)} parents after dedupe (target {target}, range {low}-{high}), {len(nodes)} kept"
        )
        return nodes

    # ------------------------------------------------------------------ public
    def assign_to(self, base: Sequence[Any], parents: Sequence[str], stage: str = "assign") -> tuple[list[int], list[str]]:
        """The G.7 assignment step alone: each base cluster to one of fixed parent names (supervised
        reconstruction assigns to the ground-truth categories this way). Returns the chosen parent
        index per cluster and how it was chosen (exact / fuzzy / embedding / fallback)."""
        self._rng = np.random.default_rng(self.random_state)
        children = [_base_node(b) for b in base]
        E = self._embed([f"{c.name}: {c.description}" if c.description else c.name for c in children])
        chosen = self._assign(children, E, list(parents), stage)
        return chosen, [c.assignment or "" for c in children]

    def fit(self, base: Sequence[Any]) -> Hierarchy:
        self._rng = np.random.default_rng(self.random_state)
        self.notes: list[str] = []
        current = [_base_node(b) for b in base]
        empty = [n for n in current if n.size <= 0]
        if empty:
            self.notes.append(f"left out {len(empty)} empty base cluster(s)")
            current = [n for n in current if n.size > 0]
        if not current:
            raise ConfigError("the hierarchy needs at least one non-empty base cluster")
        if len({n.id for n in current}) != len(current):
            raise ConfigError("base clusters have duplicate ids")
        all_nodes = list(current)

        def build(level: int, target: int, low: int, high: int) -> int:
            nonlocal current
            current = self._build_level(current, level, target, low, high)
            all_nodes.extend(current)
            return len(current)

        plan = self._walk_levels(len(current), build)
        return Hierarchy(nodes=all_nodes, planned_sizes=plan, notes=self.notes)

    def _walk_levels(self, n_base: int, build: Callable[[int, int, int, int], int]) -> list[int]:
        """The level loop of `fit` and `plan`: geometric targets (plan_level_sizes), extra levels
        while the top is above range of top_k, the accepted parent range per level. `build(level,
        target, low, high)` makes one level and returns how many nodes it has."""
        plan = plan_level_sizes(n_base, self.top_k, self.levels, self.branching)
        top_high = max(1, int(1.5 * self.top_k))
        n_now, level, extra = n_base, 0, 0
        while True:
            level += 1
            if level < len(plan):
                target = plan[level]
                if self.levels is None and n_now <= top_high:
                    self.notes.append(f"stopped before level {level}: {n_now} clusters already within range of top_k={self.top_k}")
                    break
            elif self.levels is None and n_now > top_high and extra < self.max_extra_levels:
                target, extra = self.top_k, extra + 1  # the model kept too many: add a level
            else:
                break
            if n_now <= 1:
                self.notes.append(f"stopped before level {level}: only one cluster left")
                break
            target = max(1, min(target, n_now - 1))
            low, high = level_range(target, n_now)
            if self.levels is not None and level < self.levels - 1:
                low = max(low, min(2, high))  # levels were requested: leave something for the next one to group
            n_now = build(level, target, low, high)
        return plan

    def plan(self, n_base: int, names_per_reply: float | None = None) -> list[LevelPlan]:
        """The calls `fit` would make for `n_base` base clusters, by its own rules (the level loop,
        neighbourhoods, the dedupe rule and chunks, the [low, high] count fit, no assignment with a
        single parent, no rename of a parent with a single child), assuming neighbourhoods of equal
        size, a model that lists the names it is asked for (at most `names_per_reply` when one was
        measured to list fewer) and children spread evenly over the parents."""
        cap = float("inf") if names_per_reply is None else max(1.0, names_per_reply)
        levels: list[LevelPlan] = []

        def build(level: int, target: int, low: int, high: int) -> int:
            n = levels[-1].kept if levels else n_base
            sizes = even_split(n, self.n_neighbourhoods(n))
            desired = [share(target, size, n) for size in sizes]
            candidates = max(1, round(sum(min(d, cap) for d in desired)))
            dedupe = []
            if not self.skips_dedupe(len(sizes), candidates, low, high):
                dedupe = [(c, share(target, c, candidates)) for c in even_split(candidates, self.dedupe_chunks(candidates))]
            parents = min(max(round(sum(min(d, cap) for _, d in dedupe)) if dedupe else candidates, low), high)
            kept = min(parents, n)
            levels.append(LevelPlan(level, n, target, low, high, sizes, desired, dedupe, parents, kept, n if parents > 1 else 0, min(kept, n - kept)))
            return kept

        self.notes = []
        self._walk_levels(n_base, build)
        return levels

    def plan_jobs(self, levels: list[LevelPlan], base: list[Node], parent: Callable[[int, int], Node], list_name: Callable[[int], str]) -> list[tuple[str, LLMJob, int, int | None]]:
        """The planned calls as (stage, job, times, names asked): one prompt per kind of call, rendered
        by the job builders `fit` uses on placeholders: the base nodes, `parent(level, i)` for the
        nodes of a level, `list_name(i)` for candidate parent names."""
        calls: list[tuple[str, LLMJob, int, int | None]] = []
        children = list(base)
        for lv in levels:
            for members, desired in zip(lv.neighbourhoods, lv.desired):
                outside = min(self.n_outside, lv.children - members) if len(lv.neighbourhoods) > 1 else 0
                calls.append(("hierarchy.propose", self.propose_job(children[:members], [c.name for c in children[:outside]], desired), 1, desired))
            calls += [("hierarchy.dedupe", self.dedupe_job([list_name(i) for i in range(shown)], asked), 1, asked) for shown, asked in lv.dedupe]
            calls.append(("hierarchy.assign", self.assign_job([list_name(i) for i in range(lv.parents)], children[0]), lv.assign_calls, None))
            per_parent = max(2, round((lv.children - lv.kept + lv.rename_calls) / max(1, lv.rename_calls)))  # children of a parent that has several
            calls.append(("hierarchy.rename", self.rename_job(children[:per_parent]), lv.rename_calls, None))
            children = [parent(lv.level, i) for i in range(lv.kept)]
        return calls


def build_hierarchy(
    base: Sequence[Any],
    embed: Embed,
    gateway: LLMGateway,
    *,
    top_k: int = 10,
    levels: int | None = None,
    neighbourhood_size: int = 40,
    random_state: Any = None,
    **options: Any,
) -> Hierarchy:
    """Build the tree over `base` (records or dicts with id or cluster_id, name, description,
    size). `levels` counts all levels including the base; other options go to `Hierarchizer`."""
    return Hierarchizer(embed, gateway, top_k=top_k, levels=levels, neighbourhood_size=neighbourhood_size, random_state=random_state, **options).fit(base)


def _base_node(record: Any) -> Node:
    get = record.get if isinstance(record, dict) else lambda key, default=None: getattr(record, key, default)
    cluster_id = get("id", None)
    if cluster_id is None:
        cluster_id = get("cluster_id", None)
    if cluster_id is None or get("name", None) is None or get("size", None) is None:
        raise ConfigError(f"base cluster record needs id (or cluster_id), name and size: {record!r}"[:200])
    return Node(id=base_node_id(cluster_id), level=0, name=str(get("name")), description=str(get("description", "") or ""), size=int(get("size")))


def _dedupe_exact(names: list[str]) -> list[str]:
    seen, out = set(), []
    for name in names:
        key = _norm(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out
