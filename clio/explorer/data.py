"""Read a finished run folder and answer the explorer's questions with aggregates only.

Inputs: analyst/ (clusters, map) and, when present, private/facets.parquet + private/assignments.parquet.
The private files are read here, on the analyst's own machine, and never leave as rows: every
answer is a count per (cluster, facet value) or per (cluster, period), released under the run's
`clio.release.ReleasePolicy`: a cell needs `min_conversations` conversations from `min_accounts`
unique accounts. Totals that are published (a cluster's size, a parent's cell over its children,
a value's share over the whole map, a period's total) would let a hidden cell be derived by
subtraction, so cells are hidden in complement along every such group (`ReleasePolicy.suppress`).
Overlays and breakdowns share one hidden mask per facet, so neither reveals what the other hides.

Per-conversation text (summary facets such as `request`) is only read by `traces()`, which the
server exposes in privileged mode only. Account ids are read as anonymous codes to count unique
accounts per cell; no answer carries them.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clio.errors import ClioError
from clio.release import ReleasePolicy, table_groups, unique_pair_counts

# Columns of private/facets.parquet that are identifiers or bookkeeping, never facets.
NOT_FACETS = {"conversation_id", "account_id", "timestamp", "facet_errors", "cluster_id"}
# Free-text facets are per-conversation text: detected from the run's facet config (kind: summary)
# and, for runs from elsewhere, by shape (many distinct or long values).
TEXT_MAX_DISTINCT = 200
TEXT_MIN_MEAN_CHARS = 40
MAX_VALUES = 15  # a categorical facet shows its most common values, the rest as "other"
OTHER, MISSING = "other", "(missing)"
# Boundaries for bucketing wide numeric facets (turns, characters): 1, 2, 3-4, 5-9, 10-19, ...
NICE = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000]


@dataclass
class Facet:
    name: str
    kind: str  # "category" | "multi" (";"-separated, e.g. "Welsh; English") | "ordinal" | "boolean"
    values: list[str]
    ordered: bool
    counts: np.ndarray = field(repr=False)  # (n_nodes, n_values) conversations per node and value
    base: np.ndarray = field(repr=False)  # (n_values,) over all conversations on the map
    hidden: np.ndarray = field(repr=False)  # (n_nodes, n_values) cells the release policy withholds
    base_hidden: np.ndarray = field(repr=False)  # (n_values,) map-wide totals withheld


def _count(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Counts of (row, col) pairs as a dense matrix (np.bincount: much faster than np.add.at)."""
    flat = np.bincount(rows.astype(np.int64) * shape[1] + cols.astype(np.int64), minlength=shape[0] * shape[1])
    return flat.reshape(shape).astype(np.float64)


def _fmt(v: float) -> str:
    return f"{int(v) // 1000}k" if v >= 1000 and v % 1000 == 0 else str(int(v))


def _numeric_buckets(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """Small integer ranges stay as they are (concern 1-5); wide ones go into NICE ranges."""
    finite = values.dropna()
    distinct = np.unique(finite)
    if np.all(np.equal(np.mod(distinct, 1), 0)) and distinct.max() - distinct.min() < 10:
        labels = [str(int(v)) for v in distinct]
        raw = values.to_numpy(dtype=float)
        return labels, np.where(np.isnan(raw), -1, np.searchsorted(distinct.astype(float), np.nan_to_num(raw)))
    lo, hi = float(finite.min()), float(finite.max())
    edges = [e for e in NICE if e <= hi] or [NICE[0]]
    while len(edges) > 1 and edges[1] <= lo:
        edges = edges[1:]
    labels = []
    for i, e in enumerate(edges):
        if i + 1 < len(edges):
            top = edges[i + 1] - 1
            labels.append(_fmt(e) if top == e else f"{_fmt(e)}-{_fmt(top)}")
        else:
            labels.append(f"{_fmt(e)}+")
    codes = np.searchsorted(np.array(edges, dtype=float), values.to_numpy(dtype=float), side="right") - 1
    codes = np.where(np.isnan(values.to_numpy(dtype=float)), -1, np.maximum(codes, 0))
    return labels, codes


class RunData:
    """Everything the explorer shows, computed once when the server starts or the export runs."""

    def __init__(self, run_dir: str | Path):
        self.root = Path(run_dir)
        analyst = self.root / "analyst"
        clusters_path = analyst / "clusters.parquet"
        if not clusters_path.exists():
            raise ClioError(f"{self.root}: no analyst/clusters.parquet (not a finished `clio run` folder)")
        self.manifest = _read_json(self.root / "manifest.json")
        self.privacy = _read_json(analyst / "privacy_report.json") or self.manifest.get("privacy") or {}
        self.policy = ReleasePolicy.from_run(self.root)
        self.min_count = self.policy.min_conversations

        clusters = pd.read_parquet(clusters_path)
        self.nodes = self._nodes(clusters, analyst / "map_clusters.parquet")
        self.index = {n["id"]: i for i, n in enumerate(self.nodes)}
        self.base_ids = [n["id"] for n in self.nodes if n["level"] == 0]
        self.levels = 1 + max(n["level"] for n in self.nodes)
        # membership[i, b] = 1 when base cluster b is node i or below it: counts go up the tree by a product.
        self.membership = self._membership()
        self._ancestors = self._ancestor_table()
        self._groups_by_width: dict[int, list] = {}

        points_path = analyst / "map_points.parquet"
        self._points = pd.read_parquet(points_path) if points_path.exists() else pd.DataFrame({"x": [], "y": [], "node_id": []})

        self.facets: list[Facet] = []
        self.timeline: dict[str, Any] | None = None
        self._conv: pd.DataFrame | None = None  # private per-conversation frame; never returned as rows
        self._load_private()
        self.total = int(sum(n["size"] for n in self.nodes if n["parent_id"] is None))

    # ---------------------------------------------------------------- loading
    @staticmethod
    def _nodes(clusters: pd.DataFrame, map_path: Path) -> list[dict[str, Any]]:
        xy = {}
        if map_path.exists():
            for row in pd.read_parquet(map_path).itertuples():
                xy[row.node_id] = (float(row.x), float(row.y))
        nodes = []
        for row in clusters.sort_values(["level", "id"], ascending=[False, True]).itertuples():
            parent = row.parent_id if isinstance(row.parent_id, str) and row.parent_id else None
            children = [str(c) for c in (row.children if row.children is not None else [])]
            x, y = xy.get(row.id, (math.nan, math.nan))
            nodes.append(
                {
                    "id": str(row.id),
                    "level": int(row.level),
                    "name": str(row.name),
                    "description": "" if row.description is None or pd.isna(row.description) else str(row.description),
                    "size": int(row.size),
                    "parent_id": parent,
                    "children": children,
                    "x": None if math.isnan(x) else round(x, 5),
                    "y": None if math.isnan(y) else round(y, 5),
                }
            )
        ids = {n["id"] for n in nodes}
        for n in nodes:  # a parent the privacy layers dropped: treat the node as a root
            if n["parent_id"] not in ids:
                n["parent_id"] = None
            n["children"] = [c for c in n["children"] if c in ids]
        return nodes

    def _membership(self) -> np.ndarray:
        base_pos = {b: j for j, b in enumerate(self.base_ids)}
        m = np.zeros((len(self.nodes), len(self.base_ids)), dtype=np.float64)
        by_id = {n["id"]: n for n in self.nodes}

        def mark(i: int, node_id: str) -> None:
            node = by_id[node_id]
            if node["level"] == 0:
                m[i, base_pos[node_id]] = 1
            for c in node["children"]:
                mark(i, c)

        for i, n in enumerate(self.nodes):
            mark(i, n["id"])
        return m

    def _ancestor_table(self) -> np.ndarray:
        """(n_base, levels): index of each base cluster's ancestor at each level, -1 where it has none."""
        parent = {i: self.index.get(n["parent_id"]) if n["parent_id"] else None for i, n in enumerate(self.nodes)}
        table = np.full((len(self.base_ids), self.levels), -1, dtype=np.int64)
        for b, base_id in enumerate(self.base_ids):
            i: int | None = self.index[base_id]
            while i is not None:
                table[b, self.nodes[i]["level"]] = i
                i = parent[i]
        return table

    def _groups(self, width: int) -> list:
        """The cell groups of a (node x width) table whose totals are published (see clio.release)."""
        if width not in self._groups_by_width:
            children = {i: [self.index[c] for c in n["children"]] for i, n in enumerate(self.nodes)}
            roots = [i for i, n in enumerate(self.nodes) if n["parent_id"] is None]
            self._groups_by_width[width] = table_groups(len(self.nodes), width, children=children, roots=roots)
        return self._groups_by_width[width]

    def _tables(self, rows_b: np.ndarray, cols: np.ndarray, accounts: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """From one (base cluster, column, account) triple per conversation (and value): conversations
        and unique accounts per (node, column) and per column over the map."""
        n_nodes = len(self.nodes)
        base_counts = _count(rows_b, cols, (len(self.base_ids), width))
        counts = self.membership @ base_counts
        node_accounts = np.zeros(n_nodes * width)
        for level in range(self.levels):  # a node sits at one level: the levels' keys are disjoint
            node = self._ancestors[rows_b, level]
            ok = node >= 0
            node_accounts += unique_pair_counts(node[ok] * width + cols[ok], accounts[ok], n_nodes * width)
        base_accounts = unique_pair_counts(cols, accounts, width)
        return counts, node_accounts.reshape(n_nodes, width), base_counts.sum(axis=0), base_accounts

    def _load_private(self) -> None:
        facets_path, assign_path = self.root / "private" / "facets.parquet", self.root / "private" / "assignments.parquet"
        if not (facets_path.exists() and assign_path.exists()):
            return  # an analyst-only copy of a run: map and tree work, breakdowns do not
        facets = pd.read_parquet(facets_path)
        # Account ids become anonymous codes used only to count unique accounts per cell; without
        # them every conversation counts as its own account.
        account_codes = pd.factorize(facets["account_id"])[0] if "account_id" in facets.columns else np.arange(len(facets))
        facets = facets.drop(columns=[c for c in ("account_id",) if c in facets.columns]).assign(_acc=account_codes)
        assign = pd.read_parquet(assign_path)[["conversation_id", "cluster_id"]]
        cid = assign["cluster_id"].astype(str)
        assign["base"] = cid.where(cid.str.startswith("0-"), "0-" + cid)  # ints in assignments, "0-3" on the map
        base_pos = {b: j for j, b in enumerate(self.base_ids)}
        conv = facets.merge(assign[["conversation_id", "base"]], on="conversation_id", how="inner")
        conv = conv[conv["base"].isin(base_pos)].reset_index(drop=True)  # conversations on the map only
        conv["_b"] = conv["base"].map(base_pos).astype(int)
        self._conv = conv
        text = self._text_facets(facets.drop(columns="_acc"))
        for col in facets.columns:
            if col in NOT_FACETS or col in text or col == "_acc":
                continue
            facet = self._facet(col, conv)
            if facet is not None:
                self.facets.append(facet)
        self._build_timeline(conv)

    def _own_words_facets(self) -> set[str]:
        """Facets holding the users' own text (computed, e.g. user_text): never a breakdown, never a trace."""
        from clio.facets import TEXT_COMPUTED_FACETS

        specs = ((self.manifest.get("config") or {}).get("facets") or {}).get("specs") or {}
        named = {name for name, spec in specs.items() if isinstance(spec, dict) and spec.get("function") in TEXT_COMPUTED_FACETS}
        return named | set(TEXT_COMPUTED_FACETS)

    def _text_facets(self, facets: pd.DataFrame) -> set[str]:
        specs = ((self.manifest.get("config") or {}).get("facets") or {}).get("specs") or {}
        text = {name for name, spec in specs.items() if isinstance(spec, dict) and spec.get("kind") == "summary"} | self._own_words_facets()
        for col in facets.columns:
            s = facets[col]
            if s.dtype == object or pd.api.types.is_string_dtype(s):
                values = s.dropna().astype(str)
                if values.empty:
                    continue
                if values.nunique() > TEXT_MAX_DISTINCT or values.str.len().mean() > TEXT_MIN_MEAN_CHARS:
                    text.add(col)
        return text

    def _facet(self, col: str, conv: pd.DataFrame) -> Facet | None:
        s = conv[col]
        if s.isna().all():
            return None
        rows = conv["_b"].to_numpy()
        accounts = conv["_acc"].to_numpy()
        if pd.api.types.is_bool_dtype(s):
            kind, ordered, values = "boolean", False, ["yes", "no"]
            codes = np.where(s.isna(), -1, np.where(s.fillna(False).astype(bool), 0, 1))
        elif pd.api.types.is_numeric_dtype(s):
            kind, ordered = "ordinal", True
            values, codes = _numeric_buckets(s)
        else:
            # Categorical text with few values; "A; B" means the conversation has both values.
            text = s.fillna("").astype(str)
            multi = bool(text.str.contains(";", regex=False).any())
            kind, ordered = ("multi" if multi else "category"), False
            parts = (text.str.split(";").explode() if multi else text).str.strip()
            parts = parts[parts != ""]
            counts = parts.value_counts()
            value_accounts = pd.Series(accounts[parts.index.to_numpy()]).groupby(parts.to_numpy()).nunique()
            # A value the release policy would not allow over the whole run is never named: it goes into "other".
            common = [v for v, c in counts.items() if self.policy.allows(c, value_accounts.get(v, 0))][:MAX_VALUES]
            values = common + ([OTHER] if len(common) < len(counts) else [])
            val_idx = pd.Categorical(parts.to_numpy(), categories=common).codes.astype(np.int64)
            val_idx[val_idx < 0] = len(common)
            row_idx = parts.index.to_numpy()
            if multi:  # a conversation counts once per distinct value ("English; English")
                key = np.unique(row_idx * len(values) + val_idx)
                row_idx, val_idx = key // len(values), key % len(values)
            return self._finish(col, kind, values, ordered, rows[row_idx], val_idx, accounts[row_idx])
        ok = codes >= 0
        return self._finish(col, kind, values, ordered, rows[ok], codes[ok].astype(np.int64), accounts[ok])

    def _finish(self, name: str, kind: str, values: list[str], ordered: bool, rows_b: np.ndarray, cols: np.ndarray, accounts: np.ndarray) -> Facet:
        present = np.bincount(cols, minlength=len(values)) > 0  # a value no conversation has (has_tool_use = yes, none) is no option
        remap = np.cumsum(present) - 1
        values, cols = [v for v, keep in zip(values, present) if keep], remap[cols]
        counts, node_accounts, base, base_accounts = self._tables(rows_b, cols, accounts, len(values))
        hidden = self.policy.suppress(counts, node_accounts, self._groups(len(values)))
        return Facet(name=name, kind=kind, values=values, ordered=ordered, counts=counts, base=base, hidden=hidden, base_hidden=~np.asarray(self.policy.allows(base, base_accounts), dtype=bool))

    def _build_timeline(self, conv: pd.DataFrame) -> None:
        if "timestamp" not in conv.columns:
            return
        try:  # ISO 8601 is what the loaders write, and parses fast; anything else goes through "mixed"
            ts = pd.to_datetime(conv["timestamp"], utc=True, errors="raise", format="ISO8601")
        except (ValueError, TypeError):
            ts = pd.to_datetime(conv["timestamp"], utc=True, errors="coerce", format="mixed")
        ok = ts.notna().to_numpy()
        if not ok.any() or not self.policy.allows(int(ok.sum()), len(np.unique(conv["_acc"].to_numpy()[ok]))):
            return
        span_days = (ts[ok].max() - ts[ok].min()).total_seconds() / 86400
        period = "day" if span_days <= 14 else "week" if span_days <= 2 * 365 else "month"
        naive = ts[ok].dt.tz_localize(None)
        if period == "day":
            starts = naive.dt.floor("D")
        elif period == "week":
            starts = (naive - pd.to_timedelta(naive.dt.day_of_week, unit="D")).dt.floor("D")
        else:
            starts = naive.dt.to_period("M").dt.start_time
        labels = sorted(starts.unique())
        pos = {t: i for i, t in enumerate(labels)}
        cols = starts.map(pos).to_numpy().astype(np.int64)
        counts, node_accounts, totals, total_accounts = self._tables(conv["_b"].to_numpy()[ok], cols, conv["_acc"].to_numpy()[ok], len(labels))
        period_hidden = ~np.asarray(self.policy.allows(totals, total_accounts), dtype=bool)
        hidden = self.policy.suppress(counts, node_accounts, self._groups(len(labels)))
        hidden[:, period_hidden] = True  # a period too small over the whole map is shown nowhere
        undated = int((~ok).sum())
        self.timeline = {
            "period": period,
            "labels": [pd.Timestamp(t).strftime("%Y-%m-%d") for t in labels],
            "counts": counts,  # (n_nodes, n_periods)
            "hidden": hidden,
            "totals": totals,
            "totals_hidden": period_hidden,
            "undated": undated if self.policy.allows(undated, undated) else None,
        }

    # ---------------------------------------------------------------- answers
    def _node(self, node_id: str) -> int:
        if node_id not in self.index:
            raise KeyError(node_id)
        return self.index[node_id]

    def meta(self, privileged: bool = False) -> dict[str, Any]:
        return {
            "run": self.root.name,
            "privileged": privileged,
            "min_count": self.min_count,
            "min_accounts": self.policy.min_accounts,
            "total": self.total,
            "conversations_total": self.privacy.get("conversations_total"),
            "levels": self.levels,
            "safety_mode": bool(self.privacy.get("safety_mode")),
            "nodes": [{**n, "share": round(n["size"] / self.total, 6) if self.total else 0} for n in self.nodes],
            "facets": [{"name": f.name, "kind": f.kind, "values": f.values, "ordered": f.ordered} for f in self.facets],
            "period": self.timeline["period"] if self.timeline else None,
            "has_breakdowns": self._conv is not None,
        }

    def points(self) -> dict[str, Any]:
        """Map points as base64 little-endian typed arrays: x, y (float32), base cluster index."""
        if getattr(self, "_points_payload", None) is None:
            self._points_payload = self._encode_points()
        return self._points_payload

    def _encode_points(self) -> dict[str, Any]:
        pos = {b: j for j, b in enumerate(self.base_ids)}
        p = self._points[self._points["node_id"].isin(pos)]
        dtype = np.uint16 if len(self.base_ids) < 65535 else np.uint32
        enc = lambda a: base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()).decode("ascii")  # noqa: E731
        return {
            "n": int(len(p)),
            "x": enc(p["x"].to_numpy(np.float32)),
            "y": enc(p["y"].to_numpy(np.float32)),
            "base": enc(p["node_id"].map(pos).to_numpy(dtype)),
            "base_dtype": "uint16" if dtype is np.uint16 else "uint32",
            "base_ids": self.base_ids,
        }

    def cluster(self, node_id: str) -> dict[str, Any]:
        i = self._node(node_id)
        size = self.nodes[i]["size"]
        breakdowns = []
        for f in self.facets:
            row, hidden = f.counts[i], f.hidden[i]
            total_base = f.base.sum() if f.kind == "multi" else self.total
            cells = []
            for j, value in enumerate(f.values):
                c = int(row[j])
                cells.append(
                    {
                        "value": value,
                        "count": None if hidden[j] else c,
                        "share": None if hidden[j] else round(float(c / size), 4) if size else 0,
                        "base_share": None if f.base_hidden[j] else round(float(f.base[j]) / self.total, 4) if self.total else 0,
                    }
                )
            breakdowns.append({"facet": f.name, "kind": f.kind, "ordered": f.ordered, "cells": cells, "hidden": int(hidden.sum()), "total_base": int(total_base)})
        return {"id": node_id, "breakdowns": breakdowns, "timeline": self._timeline(i)}

    def _timeline(self, i: int) -> dict[str, Any] | None:
        t = self.timeline
        if not t:
            return None
        points = []
        for label, c, hidden, total in zip(t["labels"], t["counts"][i], t["hidden"][i], t["totals"]):
            if hidden:
                points.append({"t": label, "count": None, "share": None})
            else:
                points.append({"t": label, "count": int(c), "share": round(float(c / total), 4) if total else None})
        return {"period": t["period"], "points": points}

    def overlay_keys(self) -> list[tuple[str, str, str]]:
        """Every (facet, op, value) overlay the UI offers: '=' for each value, '>=' for ordered facets."""
        keys = []
        for f in self.facets:
            for j, v in enumerate(f.values):
                keys.append((f.name, "=", v))
                if f.ordered and j > 0:
                    keys.append((f.name, ">=", v))
        return keys

    def overlay(self, facet: str, op: str, value: str) -> dict[str, Any]:
        """Prevalence of a facet value in every node relative to its rate over the whole map. A node
        whose cells in the range include a withheld one shows nothing (the range sum minus the
        breakdown's visible cells would give the hidden cell back)."""
        f = next((f for f in self.facets if f.name == facet), None)
        if f is None or value not in f.values or op not in ("=", ">="):
            raise KeyError(f"{facet}{op}{value}")
        j = f.values.index(value)
        cols = slice(j, None) if op == ">=" and f.ordered else slice(j, j + 1)
        counts = f.counts[:, cols].sum(axis=1)
        withheld = f.hidden[:, cols].any(axis=1)
        base_known = not f.base_hidden[cols].any()
        base_rate = float(f.base[cols].sum()) / self.total if self.total else 0.0
        ratio, prevalence = [], []
        for n, c, hide in zip(self.nodes, counts, withheld):
            if hide or not n["size"]:
                ratio.append(None)
                prevalence.append(None)
                continue
            p = c / n["size"]
            prevalence.append(round(float(p), 4))
            ratio.append(round(float(p / base_rate), 4) if base_rate and base_known else None)
        return {"facet": facet, "op": op, "value": value, "base_rate": round(base_rate, 4) if base_known else None, "ratio": ratio, "prevalence": prevalence}

    def traces(self, node_id: str, limit: int = 20, seed: int = 0) -> dict[str, Any]:
        """Privileged only: a sample of per-conversation summaries under a node (no ids, no accounts)."""
        i = self._node(node_id)
        if self._conv is None:
            return {"id": node_id, "traces": []}
        members = np.flatnonzero(self.membership[i] > 0)
        rows = self._conv[self._conv["_b"].isin(members)]
        rows = rows.sample(n=min(limit, len(rows)), random_state=seed) if len(rows) else rows
        # Traces are summaries: the users' own words (embed-first mode's user_text) are never served.
        own_words = self._own_words_facets()
        text = [c for c in self._text_facets(self._conv.drop(columns=["base", "_b", "_acc"])) if c in rows.columns and c not in own_words]
        cats = [f.name for f in self.facets]
        out = []
        for _, r in rows.iterrows():
            out.append({**{c: (None if pd.isna(r[c]) else str(r[c])) for c in text}, **{c: (None if pd.isna(r[c]) else str(r[c])) for c in cats}})
        return {"id": node_id, "text_facets": text, "traces": out}

    def bundle(self) -> dict[str, Any]:
        """Everything the static export needs, precomputed: meta, points, every cluster, every overlay."""
        return {
            "meta": self.meta(privileged=False),
            "points": self.points(),
            "clusters": {n["id"]: self.cluster(n["id"]) for n in self.nodes},
            "overlays": {f"{f}{op}{v}": self.overlay(f, op, v) for f, op, v in self.overlay_keys()},
        }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        return {}
