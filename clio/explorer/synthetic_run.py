"""Write a complete run folder from a random generator, with no model involved.

Used by the explorer tests (small run with a planted canary) and by the load benchmark
(100k points). It follows the layout that `clio run` writes (see clio/runfolder.py and
stage_project in clio/pipeline.py), including a base cluster removed by the privacy layers,
whose conversations stay in private/ but not on the map.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, UTC
from pathlib import Path

import numpy as np
import pandas as pd

TOPICS = [
    "Debug Python data pipelines",
    "Write cover letters for job applications",
    "Translate marketing copy",
    "Plan weekly meal menus",
    "Explain calculus homework",
    "Draft fantasy story chapters",
    "Configure Kubernetes deployments",
    "Summarise research papers",
    "Prepare for job interviews",
    "Fix CSS layout issues",
    "Write SQL reporting queries",
    "Compose song lyrics",
    "Give fitness training plans",
    "Review legal contract clauses",
    "Design board game rules",
    "Optimise spreadsheet formulas",
]
WORDS = [
    "data",
    "travel",
    "music",
    "garden",
    "finance",
    "health",
    "code",
    "history",
    "chemistry",
    "retail",
    "poetry",
    "robotics",
    "cooking",
    "sports",
    "law",
    "design",
    "games",
    "marketing",
    "teaching",
    "art",
]
LANGUAGES = ["English", "Spanish", "French", "German", "Japanese", "Portuguese", "Arabic", "Hindi"]
CANARY = "CANARY-PRIVATE-7f3a9 the user's neighbour Ingrid Halvorsen"
ACCOUNT_PREFIX = "acct-secret-"


def _name(i: int, level: int, rng: np.random.Generator) -> str:
    if level == 0 and i < len(TOPICS):
        return TOPICS[i]
    a, b = rng.choice(WORDS, 2, replace=False)
    return f"{'Help with' if level == 0 else 'Tasks about'} {a} and {b} ({level}-{i})"


def write_synthetic_run(
    root: str | Path,
    n_conversations: int = 90,
    n_base: int = 6,
    levels: int = 3,
    min_conversations: int = 3,
    days: int = 21,
    seed: int = 0,
    canary: str | None = CANARY,
) -> Path:
    """A run folder at `root` with `n_base` kept base clusters plus one removed cluster."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / "analyst").mkdir(parents=True, exist_ok=True)
    (root / "private").mkdir(parents=True, exist_ok=True)

    # Hierarchy: level sizes shrink geometrically from n_base down to a top level of a few nodes.
    top = max(2, round(n_base ** (1 / levels))) if levels > 1 else n_base
    ratio = (n_base / top) ** (1 / max(1, levels - 1))
    sizes = [n_base] + [max(top, round(n_base / ratio**l)) for l in range(1, levels)]
    # Parents: child i of level l belongs to parent i * n_{l+1} // n_l (contiguous groups).
    parent_of = [[i * sizes[l + 1] // sizes[l] for i in range(sizes[l])] for l in range(levels - 1)]

    # 2-D layout: top-level groups far apart, descendants scattered around their ancestor.
    centres: list[np.ndarray] = [None] * levels  # type: ignore[list-item]
    centres[-1] = rng.normal(0, 10, (sizes[-1], 2))
    for l in range(levels - 2, -1, -1):
        spread = 3.0 * (l + 1)
        centres[l] = centres[l + 1][parent_of[l]] + rng.normal(0, spread, (sizes[l], 2))

    # Conversations: base cluster n_base is the one the privacy layers removed (a few conversations).
    n_removed = max(2, min_conversations - 1)
    weights = rng.dirichlet(np.full(n_base, 3.0))
    base = rng.choice(n_base, n_conversations - n_removed, p=weights)
    base = np.concatenate([base, np.full(n_removed, n_base)])
    # Every kept cluster needs at least min_conversations members.
    for c in range(n_base):
        short = min_conversations - int((base == c).sum())
        if short > 0:
            base[:short] = c
            base = np.roll(base, -short)
    rng.shuffle(base)
    n = len(base)
    ids = [f"conv-{i:06d}" for i in range(n)]

    # Facets with cluster-dependent distributions so breakdowns and overlays differ.
    lang_p = rng.dirichlet(np.full(len(LANGUAGES), 0.4), n_base + 1)
    lang_p[0] = np.array([0.1, 0.8] + [0.1 / (len(LANGUAGES) - 2)] * (len(LANGUAGES) - 2))  # cluster 0: Spanish
    # Inverse-CDF sampling per conversation from its cluster's language mix (vectorised).
    lang_idx = (rng.random(n)[:, None] > np.cumsum(lang_p, axis=1)[base]).sum(axis=1).clip(0, len(LANGUAGES) - 1)
    language = np.array(LANGUAGES)[lang_idx]
    concern_mean = rng.uniform(1, 2.2, n_base + 1)
    concern_mean[min(1, n_base - 1)] = 4.0
    concern = np.clip(np.rint(rng.normal(concern_mean[base], 0.8)), 1, 5).astype(int)
    turns = 1 + rng.geometric(0.4, n) - 1
    start = datetime(2024, 3, 4, tzinfo=UTC)
    # Cluster 2 grows over time: its conversations skew late.
    offsets = np.where(base == min(2, n_base - 1), rng.beta(4, 1.5, n), rng.uniform(0, 1, n)) * days * 86400
    timestamps = [(start + timedelta(seconds=float(s))).isoformat() for s in offsets]
    topic = [_name(c, 0, np.random.default_rng(c)).lower() for c in range(n_base + 1)]
    request = [f"The user's overall request for the assistant is to get help: {topic[c]} (example {i})." for i, c in enumerate(base)]
    if canary:
        request[int(np.flatnonzero(base == 0)[0])] += f" {canary}"
    facets = pd.DataFrame(
        {
            "conversation_id": ids,
            "account_id": [f"{ACCOUNT_PREFIX}{a:09d}" for a in rng.integers(1e9, size=n)],
            "timestamp": timestamps,
            "language": language,
            "turns": turns.astype("int64"),
            "messages": (turns * 2).astype("int64"),
            "user_chars": rng.lognormal(5, 1, n).astype("int64"),
            "assistant_chars": rng.lognormal(7, 1, n).astype("int64"),
            "has_tool_use": rng.random(n) < np.where(base % 3 == 0, 0.6, 0.1),
            "truncated": rng.random(n) < 0.2,
            "request": request,
            "concern": concern.astype("int64"),
            "facet_errors": [None] * n,
        }
    )
    facets.to_parquet(root / "private" / "facets.parquet", index=False)
    pd.DataFrame({"conversation_id": ids, "cluster_id": base.astype("int64")}).to_parquet(root / "private" / "assignments.parquet", index=False)

    # Map points of kept clusters only, shuffled, without ids (as stage_project writes them).
    xy = centres[0][np.minimum(base, n_base - 1)] + rng.normal(0, 1.0, (n, 2))
    kept = base < n_base
    pd.DataFrame({"x": xy[kept, 0], "y": xy[kept, 1], "node_id": [f"0-{c}" for c in base[kept]]}).to_parquet(root / "analyst" / "map_points.parquet", index=False)
    pd.DataFrame({"conversation_id": ids, "cluster_id": base, "x": xy[:, 0], "y": xy[:, 1]}).to_parquet(root / "private" / "coords.parquet", index=False)

    # Nodes with sizes summed up the tree.
    counts = np.bincount(base[kept], minlength=n_base)
    nodes: list[dict] = []
    level_sizes = [counts]
    level_xy = [np.array([xy[kept][base[kept] == c].mean(axis=0) for c in range(n_base)])]
    for l in range(1, levels):
        members = np.array(parent_of[l - 1])
        level_sizes.append(np.bincount(members, weights=level_sizes[-1], minlength=sizes[l]).astype(int))
        level_xy.append(np.array([np.average(level_xy[-1][members == p], axis=0, weights=level_sizes[-2][members == p]) for p in range(sizes[l])]))
    for l in range(levels):
        for i in range(sizes[l]):
            children = [f"{l - 1}-{c}" for c in range(sizes[l - 1]) if parent_of[l - 1][c] == i] if l else []
            name = topic[i].capitalize() if l == 0 else _name(i, l, rng)
            nodes.append(
                {
                    "id": f"{l}-{i}",
                    "level": l,
                    "name": name,
                    "description": f"Conversations where users ask for help: {name.lower()}; requests vary in depth and format.",
                    "size": int(level_sizes[l][i]),
                    "parent_id": f"{l + 1}-{parent_of[l][i]}" if l < levels - 1 else None,
                    "n_children": len(children),
                    "children": children,
                    "assignment": "embedding" if l == 0 else None,
                    "error": None,
                }
            )
    pd.DataFrame(nodes).to_parquet(root / "analyst" / "clusters.parquet", index=False)
    (root / "analyst" / "hierarchy.json").write_text(json.dumps({"nodes": nodes}, indent=1), encoding="utf-8")
    pd.DataFrame(
        [{"node_id": f"{l}-{i}", "level": l, "x": float(level_xy[l][i][0]), "y": float(level_xy[l][i][1]), "size": int(level_sizes[l][i])} for l in range(levels) for i in range(sizes[l])]
    ).to_parquet(root / "analyst" / "map_clusters.parquet", index=False)

    report = {
        "safety_mode": False,
        "layers": {
            "1_pii_free_summaries": "on",
            "2_aggregation_thresholds": {"min_conversations": min_conversations, "min_accounts": min_conversations, "clusters_removed": 1},
            "3_pii_free_cluster_names": "on",
            "4_privacy_auditor": "off",
        },
        "base_clusters_in": n_base + 1,
        "base_clusters_out": n_base,
        "conversations_in_kept_clusters": int(kept.sum()),
        "conversations_total": n,
    }
    (root / "analyst" / "privacy_report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (root / "analyst" / "tree.txt").write_text("\n".join(f"{'  ' * (levels - 1 - nd['level'])}{nd['name']} ({nd['size']})" for nd in nodes), encoding="utf-8")
    manifest = {
        "command": "synthetic",
        "counts": {"sampled": n, "base_clusters": n_base + 1, "clusters_after_privacy": n_base, "hierarchy_levels": sizes},
        "config": {
            "facets": {"specs": {"request": {"kind": "summary"}, "language": {"kind": "language"}, "concern": {"kind": "rating"}}},
            "privacy": {"min_conversations": min_conversations, "min_accounts": min_conversations},
        },
        "privacy": report,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return root
