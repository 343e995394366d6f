"""Shared plumbing for the insight and safety analyses (paper sections 3 and 4).

Every analysis works on one *conversation frame*: a DataFrame with one row per conversation and the
columns

    conversation_id, account_id, timestamp (may be NaT), language, cluster (a label: cluster name,
    or a benchmark column such as `category`), concern (float, may be NaN), text (the first user
    message; only needed by the coordinated-behaviour analysis; may be missing)

`frame_from_run` builds it from a run folder (private area), `frame_from_benchmark` from a labelled
file. The analysis functions take this frame and return aggregate tables; the commands write them
with an `OutputWriter`, which enforces the privacy rules:

- default mode: tables are aggregate only. Before anything is written, every cell and every line of
  text is checked against the frame's account ids and conversation ids; a hit raises
  `PrivacyViolation` instead of writing. Every count, cell and row is released under the run's
  `clio.release.ReleasePolicy` (at least `min_conversations` conversations from `min_accounts`
  accounts, complementary suppression where a published total would give a hidden cell back); the
  analyses apply it themselves, to the numbers they know. Conversations of clusters the privacy
  layers removed are dropped from the frame (`released_frame`), so they never come back as a row,
  and runs without a privacy stage label clusters by id, never by their un-audited names.
- safety mode (paper section 4): no thresholds, account ids allowed. It must be asked for with two
  flags, writes under `<run>/private/restricted/analyses/<name>/` by default, and marks everything it
  writes: file names start with `RESTRICTED_`, CSV files start with a `# RESTRICTED` comment line and
  carry a `restricted` column, Markdown starts with a RESTRICTED banner, JSON has
  `"restricted": true`, figures carry a RESTRICTED title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clio.errors import ClioError
from clio.release import ReleasePolicy
from clio.stats import wilson_interval  # noqa: F401  (the analyses import it from here)

RESTRICTED_PREFIX = "RESTRICTED_"
RESTRICTED_BANNER = "RESTRICTED: safety-mode output (paper section 4). No aggregation thresholds; links clusters to account ids. Authorised reviewers only."
REMOVED_LABEL = "(removed by privacy layers)"
SUPPRESSED_LABEL = "(below aggregation threshold)"


class PrivacyViolation(ClioError):
    """A default-mode output would have carried an account id or a conversation id."""


def benjamini_hochberg(p: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), NaN kept as NaN."""
    p = np.asarray(list(p), dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    if q.size == 0:
        return out
    order = np.argsort(q)
    ranked = q[order] * q.size / (np.arange(q.size) + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty_like(q)
    adj[order] = np.minimum(ranked, 1.0)
    out[ok] = adj
    return out


# ---------------------------------------------------------------- frames


def split_languages(value: Any) -> list[str]:
    """'Welsh; English' -> ['Welsh', 'English']; missing -> ['(unknown)']."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ["(unknown)"]
    parts = [p.strip() for p in re.split(r"[;,]", str(value)) if p.strip()]
    return parts or ["(unknown)"]


def first_user_message(conv: Any) -> str:
    for m in conv.messages:
        if m.role == "user":
            return str(m.content)
    return str(conv.messages[0].content)


def frame_from_conversations(conversations: Iterable[Any], *, cluster: str | None = "category", concern: str | None = "expected_concern") -> pd.DataFrame:
    """Conversation records (e.g. a labelled benchmark) -> conversation frame. `cluster` and
    `concern` name metadata fields (labels) used as the cluster label and the concern score."""
    rows = []
    for conv in conversations:
        md = conv.metadata or {}
        rows.append(
            {
                "conversation_id": conv.id,
                "account_id": conv.account_id,
                "timestamp": conv.timestamp,
                "language": md.get("language"),
                "cluster": md.get(cluster) if cluster else None,
                "concern": md.get(concern) if concern else None,
                "text": first_user_message(conv),
            }
        )
    frame = pd.DataFrame(rows)
    return _normalise(frame)


def frame_from_benchmark(path: str | Path, *, cluster: str = "category", concern: str = "expected_concern") -> pd.DataFrame:
    from clio.loaders import load_conversations

    return frame_from_conversations(load_conversations(path).conversations, cluster=cluster, concern=concern)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in ("conversation_id", "account_id", "language", "cluster", "text"):
        if col not in frame:
            frame[col] = None
    frame["timestamp"] = pd.to_datetime(frame.get("timestamp"), utc=True, errors="coerce")
    frame["concern"] = pd.to_numeric(frame.get("concern"), errors="coerce")
    frame["cluster"] = frame["cluster"].astype(object).where(frame["cluster"].notna(), "(none)").astype(str)
    return frame


@dataclass
class RunInfo:
    root: Path
    min_conversations: int = 1
    min_accounts: int = 1
    synthetic_account_ids: bool = False
    notes: list[str] = field(default_factory=list)


def run_thresholds(run: str | Path) -> RunInfo:
    root = Path(run)
    info = RunInfo(root=root)
    manifest = {}
    if (root / "manifest.json").exists():
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    priv = (manifest.get("config") or {}).get("privacy") or {}
    report_path = root / "analyst" / "privacy_report.json"
    if report_path.exists():
        layer = json.loads(report_path.read_text(encoding="utf-8")).get("layers", {}).get("2_aggregation_thresholds", {})
        priv = {**priv, **{k: v for k, v in layer.items() if k in ("min_conversations", "min_accounts")}}
    info.min_conversations = int(priv.get("min_conversations", 1) or 1)
    info.min_accounts = int(priv.get("min_accounts", 1) or 1)
    info.synthetic_account_ids = bool((manifest.get("counts") or {}).get("synthetic_account_ids", False))
    if info.synthetic_account_ids:
        info.notes.append("account ids in this run are synthetic (one per conversation): account counts equal conversation counts")
    return info


def _cluster_labels_at_level(root: Path, base_ids: pd.Series, level: int | None) -> pd.Series:
    """Base cluster id -> label at hierarchy `level` (None: the top level), via analyst/clusters.parquet.
    Base clusters the privacy layers removed map to REMOVED_LABEL (their names stay private), pooled
    at every level: `released_frame` drops them in default mode."""
    clusters = pd.read_parquet(root / "analyst" / "clusters.parquet")
    by_id = clusters.set_index("id")
    top = int(clusters["level"].max())
    want = top if level is None else int(level)
    labels = {}
    for base in base_ids.unique():
        node = f"0-{int(base)}"
        if node not in by_id.index:
            labels[base] = REMOVED_LABEL
            continue
        while int(by_id.at[node, "level"]) < want:
            parent = by_id.at[node, "parent_id"]
            if parent is None or (isinstance(parent, float) and np.isnan(parent)) or parent not in by_id.index:
                break
            node = parent
        name = str(by_id.at[node, "name"])
        labels[base] = f"{int(base)}: {name}" if want == 0 else name
    return base_ids.map(labels)


def _private_names(root: Path, base_ids: pd.Series, with_names: bool = True) -> pd.Series:
    """'<id>: <name>' from the private base clusters; 'cluster <id>' when unnamed or `with_names` is
    False (a run without a privacy stage outside safety mode: its names were never audited)."""
    names = {}
    bc = root / "private" / "base_clusters.parquet"
    if with_names and bc.exists():
        b = pd.read_parquet(bc)
        names = {int(r.cluster_id): str(r.name) for r in b.itertuples() if isinstance(r.name, str) and r.name}
    # names are not unique in general: keep the id so two clusters never merge
    return pd.Series([f"{cid}: {names[cid]}" if cid in names else f"cluster {cid}" for cid in base_ids.astype(int)], index=base_ids.index)


def frame_from_run(run: str | Path, *, level: int | None = 0, with_text: bool = False, data_source: str | None = None, private_names: bool = False) -> pd.DataFrame:
    """A run folder's private per-conversation data -> conversation frame.

    level: 0 = base clusters, N = hierarchy level N, None = top level. Names come from the
    analyst-facing analyst/clusters.parquet, so clusters the privacy layers removed are pooled as
    REMOVED_LABEL; a run without that file (no privacy stage, e.g. `clio eval`) labels clusters
    'cluster <id>' and the frame's `attrs['names_audited']` is False. `private_names=True` (safety
    mode) always uses the private names ('<id>: <name>'), removed clusters included.
    with_text: attach the first user message (facet `user_text` where the run kept it, otherwise
    reloaded from the run's data source, or `data_source`)."""
    root = Path(run)
    facets = pd.read_parquet(root / "private" / "facets.parquet")
    assign = pd.read_parquet(root / "private" / "assignments.parquet")
    frame = facets.merge(assign, on="conversation_id", how="inner")
    analyst = (root / "analyst" / "clusters.parquet").exists()
    if analyst and not (private_names and level == 0):
        frame["cluster"] = _cluster_labels_at_level(root, frame["cluster_id"], level)
    else:
        frame["cluster"] = _private_names(root, frame["cluster_id"], with_names=private_names)
    if "concern" not in frame:
        frame["concern"] = np.nan
    if with_text:
        if "user_text" in frame:
            frame["text"] = frame["user_text"]
        else:
            frame["text"] = _reload_first_messages(root, frame["conversation_id"], data_source)
    keep = ["conversation_id", "account_id", "timestamp", "language", "cluster", "cluster_id", "concern"] + (["text"] if with_text else [])
    out = _normalise(frame[keep])
    out.attrs["names_audited"] = bool(analyst)
    return out


def released_frame(frame: pd.DataFrame, policy: ReleasePolicy) -> pd.DataFrame:
    """Default mode: the conversations of clusters the privacy layers removed leave the frame, so no
    analysis can give them a row, a cell or a share. Safety mode keeps everything."""
    if policy.restricted:
        return frame
    out = frame[frame["cluster"] != REMOVED_LABEL].reset_index(drop=True)
    out.attrs.update(frame.attrs)
    return out


def withhold_rows(table: pd.DataFrame, policy: ReleasePolicy, *, n: str, accounts: str, blank: Iterable[str], total_known: bool = True) -> pd.DataFrame:
    """A one-dimensional table (one row per cluster or category, `n` conversations and `accounts`
    unique accounts per row): rows the policy does not allow have their `blank` columns emptied,
    and when the rows' total is published (`total_known`) more rows are emptied so none can be
    derived by subtraction."""
    if table.empty:
        return table
    counts = table[n].to_numpy(dtype=float)
    hidden = policy.suppress(counts, table[accounts].to_numpy(dtype=float), [(range(len(table)), None)] if total_known else [])
    table = table.copy()
    for col in blank:
        table[col] = table[col].astype(object).where(~hidden, None) if table[col].dtype == object else table[col].where(~hidden, np.nan)
    return table


def _reload_first_messages(root: Path, ids: pd.Series, data_source: str | None) -> list[str | None]:
    from clio.loaders import iter_conversations

    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    data = (manifest.get("config") or {}).get("data") or {}
    source = data_source or data.get("source")
    if not source:
        raise ClioError(f"{root}: no data source in the manifest to read first user messages from; pass --data")
    wanted = set(ids)
    found: dict[str, str] = {}
    for conv in iter_conversations(source, format=data.get("format", "auto"), on_error="skip"):
        if conv.id in wanted:
            found[conv.id] = first_user_message(conv)
            if len(found) == len(wanted):
                break
    return [found.get(i) for i in ids]


# ---------------------------------------------------------------- output


class OutputWriter:
    """Writes one analysis' figure, tables and JSON summary, enforcing the privacy rules above."""

    def __init__(self, out_dir: str | Path, *, restricted: bool = False, forbidden: Iterable[str] = (), analysis: str = ""):
        self.out_dir = Path(out_dir)
        self.restricted = restricted
        self.analysis = analysis
        self.forbidden = {str(x) for x in forbidden if x is not None and str(x) != "" and str(x) != "nan"}
        self.written: list[Path] = []
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        return self.out_dir / ((RESTRICTED_PREFIX + name) if self.restricted else name)

    def check_text(self, text: str, where: str) -> None:
        if self.restricted or not self.forbidden:
            return
        tokens = set(re.findall(r"[A-Za-z0-9_\-\.]+", text))
        hits = tokens & self.forbidden
        if not hits:  # ids that tokenise differently (spaces, odd characters): substring check
            hits = {f for f in self.forbidden if len(f) >= 6 and f in text}
        if hits:
            raise PrivacyViolation(f"{where}: default-mode output would carry {len(hits)} account/conversation id(s); refusing to write (use safety mode for account-level outputs)")

    def check_frame(self, frame: pd.DataFrame, where: str) -> None:
        if self.restricted:
            return
        bad_cols = [c for c in frame.columns if re.search(r"(account|conversation)_?ids?$", str(c), re.I)]
        if bad_cols:
            raise PrivacyViolation(f"{where}: default-mode table has id column(s) {bad_cols}")
        self.check_text(frame.to_csv(index=False), where)

    def table(self, name: str, frame: pd.DataFrame, *, title: str = "", float_digits: int = 3) -> tuple[Path, Path]:
        self.check_frame(frame, name)
        out = frame.copy()
        if self.restricted:
            out.insert(0, "restricted", True)
        csv_path, md_path = self._path(f"{name}.csv"), self._path(f"{name}.md")
        with csv_path.open("w", encoding="utf-8") as fh:
            if self.restricted:
                fh.write(f"# {RESTRICTED_BANNER}\n")
            out.to_csv(fh, index=False, float_format=f"%.{float_digits}f")
        md = to_markdown(out, float_digits)
        header = f"> **{RESTRICTED_BANNER}**\n\n" if self.restricted else ""
        md_path.write_text(header + (f"## {title}\n\n" if title else "") + md + "\n", encoding="utf-8")
        self.written += [csv_path, md_path]
        return csv_path, md_path

    def markdown(self, name: str, text: str) -> Path:
        self.check_text(text, name)
        path = self._path(f"{name}.md")
        header = f"> **{RESTRICTED_BANNER}**\n\n" if self.restricted else ""
        path.write_text(header + text, encoding="utf-8")
        self.written.append(path)
        return path

    def json(self, name: str, data: dict[str, Any]) -> Path:
        data = {"restricted": self.restricted, "analysis": self.analysis, **data}
        text = json.dumps(data, indent=2, default=_json_default, ensure_ascii=False)
        self.check_text(text, name)
        path = self._path(f"{name}.json")
        path.write_text(text, encoding="utf-8")
        self.written.append(path)
        return path

    def figure(self, name: str, fig: Any) -> Path:
        import matplotlib.pyplot as plt

        if self.restricted:
            fig.suptitle("RESTRICTED - safety mode (account-level, no thresholds)", color="crimson", fontsize=10, y=0.995)
        texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        self.check_text("\n".join(texts), name)
        path = self._path(f"{name}.png")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.written.append(path)
        return path


def _json_default(x: Any) -> Any:
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return None if np.isnan(x) else float(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, (pd.Timestamp,)):
        return x.isoformat()
    return str(x)


def to_markdown(frame: pd.DataFrame, float_digits: int = 3) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{float_digits}f}"
        return str(v).replace("|", "\\|").replace("\n", " ")

    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def short(label: str, n: int = 48) -> str:
    label = str(label)
    return label if len(label) <= n else label[: n - 1] + "…"


def forbidden_ids(frame: pd.DataFrame) -> set[str]:
    ids: set[str] = set()
    for col in ("account_id", "conversation_id"):
        if col in frame:
            ids |= {str(x) for x in frame[col].dropna().unique()}
    return ids
