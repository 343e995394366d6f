"""The one release policy behind every analyst-facing number (paper section 2.3, layer 2).

A count, a table cell, a row, a time bucket or a cluster is released only when at least
`min_conversations` conversations from at least `min_accounts` unique accounts stand behind it. An
empty cell (0 conversations) says nothing about anyone and is released.

Hiding a small cell is not enough when a total it belongs to is published: total - the cells shown
= the hidden one. `ReleasePolicy.suppress` therefore takes the groups of cells whose total is known
(a cluster's row of a breakdown, a parent's children, the top-level clusters of the map) and hides
further cells (complementary suppression) until, in every group, either nothing is hidden or at
least two cells are and no hidden cell follows exactly (hidden cells are never 0, so hidden cells
that sum to their number would all be 1: one more goes). What this does not stop: an attacker who
solves all the published equations together (rows and the tree at once) can narrow a hidden cell
to an interval; the check is per group, as in most statistical disclosure practice.

Every writer of analyst-facing outputs asks this module (explorer API and static export, analyses,
reports, MLflow artifacts, `clio show`); safety mode (paper section 4) is the one place a policy of
`restricted=True` releases everything, and its outputs are marked RESTRICTED by their writers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clio.errors import ConfigError

# conf/config.yaml privacy: used only when a run folder does not say (a run from elsewhere).
DEFAULT_MIN_CONVERSATIONS = 10
DEFAULT_MIN_ACCOUNTS = 5


@dataclass(frozen=True)
class ReleasePolicy:
    min_conversations: int = DEFAULT_MIN_CONVERSATIONS
    min_accounts: int = DEFAULT_MIN_ACCOUNTS
    restricted: bool = False  # safety mode: no thresholds (outputs are marked RESTRICTED by their writer)

    def __post_init__(self) -> None:
        if self.min_conversations < 1 or self.min_accounts < 1:
            raise ConfigError(f"release thresholds must be at least 1, not {self.min_conversations} conversations / {self.min_accounts} accounts")

    # ------------------------------------------------------------- construction
    @classmethod
    def from_config(cls, privacy: Any) -> ReleasePolicy:
        """From a run's `privacy` config (a mapping or DictConfig with min_conversations, min_accounts)."""
        get = privacy.get if hasattr(privacy, "get") else lambda key, default=None: getattr(privacy, key, default)
        return cls(max(1, int(get("min_conversations", DEFAULT_MIN_CONVERSATIONS) or 1)), max(1, int(get("min_accounts", DEFAULT_MIN_ACCOUNTS) or 1)))

    @classmethod
    def from_run(cls, run_dir: str | Path) -> ReleasePolicy:
        """The thresholds a run folder was released under: its privacy report's layer 2 when the
        privacy stage ran, else its configured privacy block, else the project defaults. A run whose
        thresholds were switched off (safety mode) is still released at the configured levels."""
        root = Path(run_dir)
        manifest = _read_json(root / "manifest.json")
        configured = (manifest.get("config") or {}).get("privacy") or {}
        report = _read_json(root / "analyst" / "privacy_report.json") or manifest.get("privacy") or {}
        layer = (report.get("layers") or {}).get("2_aggregation_thresholds")
        values = {**configured, **(layer if isinstance(layer, dict) else {})}
        return cls.from_config({k: values[k] for k in ("min_conversations", "min_accounts") if values.get(k) is not None})

    # ------------------------------------------------------------- single counts
    def allows(self, conversations: Any, accounts: Any) -> Any:
        """True where a count may be released (arrays broadcast). Zero is always releasable."""
        if self.restricted:
            return np.ones(np.shape(conversations), dtype=bool) if np.ndim(conversations) else True
        c, a = np.asarray(conversations), np.asarray(accounts)
        ok = (c == 0) | ((c >= self.min_conversations) & (a >= self.min_accounts))
        return ok if np.ndim(ok) else bool(ok)

    def describe(self) -> str:
        return "no thresholds (safety mode)" if self.restricted else f">= {self.min_conversations} conversations and >= {self.min_accounts} accounts"

    def as_dict(self) -> dict[str, Any]:
        return {"min_conversations": self.min_conversations, "min_accounts": self.min_accounts, "restricted": self.restricted}

    # ------------------------------------------------------------- tables
    def suppress(self, counts: np.ndarray, accounts: np.ndarray, groups: Iterable[Group] = (), also: np.ndarray | None = None) -> np.ndarray:
        """Hidden-cell mask for `counts` (any shape; `accounts` the same shape: unique accounts per
        cell). Primary: every cell the policy does not allow. Complementary: in each group (flat
        indices into the array, and the flat index of its total when that total is itself a cell,
        e.g. a parent's cell for its children) more cells are hidden until the hidden part cannot be
        derived by subtraction (see the module docstring). Where a group has no visible non-zero cell
        left to hide, its total cell is hidden instead. `also`: cells to withhold for other reasons
        (e.g. a row whose cluster is below the thresholds), treated like primary ones."""
        counts = np.asarray(counts, dtype=float)
        flat_counts = counts.ravel()
        hidden = ~np.asarray(self.allows(counts, np.asarray(accounts)), dtype=bool).ravel()
        if also is not None:
            hidden |= np.asarray(also, dtype=bool).ravel()
        if self.restricted:
            return hidden.reshape(counts.shape)
        groups = [(np.asarray(cells, dtype=np.int64), total) for cells, total in groups]
        changed = True
        while changed:
            changed = False
            for cells, total in groups:
                if total is not None and hidden[total]:
                    continue  # the total is not published: nothing to subtract from
                h = cells[hidden[cells]]
                if len(h) == 0:
                    continue
                if len(h) >= 2 and flat_counts[h].sum() > len(h):
                    continue
                visible = cells[~hidden[cells] & (flat_counts[cells] > 0)]
                if len(visible):
                    hidden[visible[np.argmin(flat_counts[visible])]] = True
                    changed = True
                elif total is not None:
                    hidden[total] = True
                    changed = True
        return hidden.reshape(counts.shape)


Group = tuple[Sequence[int], int | None]
"""(flat cell indices, flat index of the cell holding their total, or None when the total is
published outside the table, e.g. a cluster's size)."""


def table_groups(n_rows: int, n_cols: int, *, rows: bool = True, children: dict[int, Sequence[int]] | None = None, roots: Sequence[int] | None = None) -> list[Group]:
    """The groups of a (node x value) table of a cluster tree: each node's row (its size is
    published), each parent's children per value (the parent's cell is their total), and the roots
    per value (the value's total over the map is published)."""
    groups: list[Group] = []
    if rows:
        groups += [(range(i * n_cols, (i + 1) * n_cols), None) for i in range(n_rows)]
    for parent, kids in (children or {}).items():
        if kids:
            groups += [([k * n_cols + j for k in kids], parent * n_cols + j) for j in range(n_cols)]
    if roots is not None and len(roots):
        groups += [([r * n_cols + j for r in roots], None) for j in range(n_cols)]
    return groups


def unique_pair_counts(keys: np.ndarray, accounts: np.ndarray, size: int) -> np.ndarray:
    """Unique accounts per integer key in [0, size): `keys` and `accounts` are parallel integer arrays."""
    keys, accounts = np.asarray(keys, dtype=np.int64), np.asarray(accounts, dtype=np.int64)
    if keys.size == 0:
        return np.zeros(size, dtype=np.float64)
    pairs = np.unique(keys * (int(accounts.max()) + 1) + accounts)
    return np.bincount(pairs // (int(accounts.max()) + 1), minlength=size).astype(np.float64)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        return {}


# Run-level counts that equal (or sum to) the number of conversations in the run: with the kept
# clusters' sizes published they give the removed clusters' pool back, so they go when it is withheld.
CONVERSATION_TOTALS = {"loaded", "sampled", "records_read", "ok", "embedded", "screened_in", "conversations_total"}


def released_counts(counts: dict[str, Any], policy: ReleasePolicy, *, totals_withheld: bool = False, prefix: str = "") -> dict[str, str]:
    """A run's bookkeeping counts (manifest `counts`, nested dicts flattened with '.') as the text
    `clio show` prints: a count of 1..min_conversations-1 conversations reads 'withheld (< N)' (no
    account ids are known here, so only the conversation threshold applies), and the run's
    conversation totals read 'withheld' when the privacy report withheld the total."""
    out: dict[str, str] = {}
    for key, value in counts.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(released_counts(value, policy, totals_withheld=totals_withheld, prefix=f"{name}."))
        elif isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            out[name] = str(value)
        elif totals_withheld and key in CONVERSATION_TOTALS:
            out[name] = "withheld (would give back the removed clusters' size)"
        elif not policy.restricted and 0 < int(value) < policy.min_conversations and not key.startswith(("llm_", "base_clusters", "clusters_")):
            out[name] = f"withheld (< {policy.min_conversations})"
        else:
            out[name] = str(value)
    return out
