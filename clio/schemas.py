"""The tables the stages pass to one another, declared (pandera) and checked at each boundary.

After the facets stage the pipeline passes DataFrames; their columns are the contract between
stages, the explorer and the analyses. Each stage checks the table it hands on, whether it just
computed it or reused it from the run folder, so a wrong or missing column is one line naming the
table, the file and what is wrong, at the boundary where it appears, not a KeyError three stages
later. Columns not declared here are allowed (facet columns follow the configured facets).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from clio.errors import ClioError


@lru_cache(maxsize=1)
def _schemas() -> dict[str, Any]:
    import pandera.pandas as pa  # about 0.5 s to import: only when a stage first checks a table

    def text(nullable: bool = False, unique: bool = False) -> Any:
        return pa.Column(str, nullable=nullable, unique=unique)

    def count(minimum: int) -> Any:
        return pa.Column(int, pa.Check.ge(minimum))

    cluster_id = pa.Column(int, pa.Check.ge(0))
    # any float width: map coordinates come from UMAP as float32, from means as float64
    real = pa.Column(checks=pa.Check(pd.api.types.is_float_dtype, error="a float column"), nullable=True)
    clusters = {
        "cluster_id": pa.Column(int, pa.Check.ge(0), unique=True),
        "name": text(),
        "description": text(nullable=True),
        "size": count(1),
        "accounts": count(0),
        "error": text(nullable=True),
    }
    return {
        # one row per conversation: ids, then one column per configured facet
        "facets": pa.DataFrameSchema({"conversation_id": text(unique=True), "account_id": text(nullable=True), "facet_errors": text(nullable=True)}),
        # the embedding index with each conversation's base cluster
        "assignments": pa.DataFrameSchema({"conversation_id": text(unique=True), "cluster_id": cluster_id}),
        # named base clusters (stage name) and those that passed the privacy layers (stage privacy)
        "clusters": pa.DataFrameSchema(clusters),
        # analyst-facing map: one point per conversation of a released cluster, no ids
        "map_points": pa.DataFrameSchema({"x": real, "y": real, "node_id": text()}, strict=True),
        "map_clusters": pa.DataFrameSchema({"node_id": text(unique=True), "level": count(0), "x": real, "y": real, "size": count(0)}),
    }


RECORDS = ("facets", "assignments", "clusters", "map_points", "map_clusters")


def checked(frame: pd.DataFrame, record: str, path: str | Path) -> pd.DataFrame:
    """`frame` if it matches the declared record, else ClioError in one line (file, columns, checks)."""
    from pandera.errors import SchemaError, SchemaErrors

    try:
        return _schemas()[record].validate(frame, lazy=True)
    except (SchemaErrors, SchemaError) as exc:
        raise ClioError(f"{path}: not a valid '{record}' table: {_summary(exc, frame)}; delete the file to recompute it") from None


def _summary(exc: Exception, frame: pd.DataFrame) -> str:
    cases = getattr(exc, "failure_cases", None)
    if not isinstance(cases, pd.DataFrame) or cases.empty:
        return str(exc).splitlines()[0]
    problems = []
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        example = group["failure_case"].iloc[0]
        if check == "column_in_dataframe":
            problems.append(f"missing column '{example}'")
        elif check == "column_in_schema":
            problems.append(f"undeclared column '{example}' (this table is released as declared)")
        elif str(check).startswith("dtype("):
            problems.append(f"column '{column}' should be {str(check)[7:-2]}, not {frame[column].dtype}")
        else:
            problems.append(f"column '{column}' fails {check} ({len(group)} rows, e.g. {example!r})")
    return "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
