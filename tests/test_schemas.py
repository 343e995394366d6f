"""Declared stage tables (clio/schemas.py): each stage checks the table it hands on, fresh or reused."""

import json

import pandas as pd
import pytest

from clio import pipeline
from clio.errors import ClioError
from clio.schemas import RECORDS, checked
from tests.test_pipeline_run import leaky_llm, make_cfg, write_dataset  # noqa: F401  (leaky_llm: a fixture)

CLUSTERS = pd.DataFrame({"cluster_id": [0, 1], "name": ["Fix bikes", "Cook soup"], "description": ["d", None], "size": [12, 9], "accounts": [7, 5], "error": [None, None]})


def test_every_record_accepts_its_table_and_names_what_is_wrong():
    assert set(RECORDS) == {"facets", "assignments", "clusters", "map_points", "map_clusters"}
    assert checked(CLUSTERS, "clusters", "base_clusters.parquet") is not None
    with pytest.raises(ClioError) as err:
        checked(CLUSTERS.drop(columns=["accounts"]).assign(size=[0, 9]), "clusters", "runs/r/private/base_clusters.parquet")
    message = str(err.value)
    assert "\n" not in message and message.startswith("runs/r/private/base_clusters.parquet: not a valid 'clusters' table")
    assert "missing column 'accounts'" in message and "column 'size' fails greater_than_or_equal_to(1)" in message
    with pytest.raises(ClioError, match="column 'cluster_id' should be int64, not"):
        checked(CLUSTERS.assign(cluster_id=["a", "b"]), "clusters", "x.parquet")
    with pytest.raises(ClioError, match="unique"):
        checked(CLUSTERS.assign(cluster_id=[3, 3]), "clusters", "x.parquet")
    points = pd.DataFrame({"x": pd.Series([0.5], dtype="float32"), "y": [1.0], "node_id": ["0-1"]})
    assert len(checked(points, "map_points", "map_points.parquet")) == 1
    # the analyst-facing map is strict: a conversation id added to it is refused, not released
    with pytest.raises(ClioError, match="undeclared column 'conversation_id'"):
        checked(points.assign(conversation_id=["c-1"]), "map_points", "map_points.parquet")


@pytest.mark.integration
def test_a_reused_stage_output_with_a_wrong_column_stops_at_the_boundary(tmp_path, leaky_llm):  # noqa: F811
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    pipeline.run_all(make_cfg(tmp_path, data))
    run = tmp_path / "runs" / "e2e"
    kept = run / "private" / "clusters_kept.parquet"
    # A table written by other code under the same record (here: a record from before output
    # checksums, which is reused on a read check alone) with a renamed column.
    record = json.loads((run / "stages" / "privacy.json").read_text())
    (run / "stages" / "privacy.json").write_text(json.dumps({k: v for k, v in record.items() if k != "output_sha256"}))
    pd.read_parquet(kept).rename(columns={"size": "n"}).to_parquet(kept, index=False)
    with pytest.raises(ClioError, match=r"clusters_kept.parquet: not a valid 'clusters' table: missing column 'size'; delete the file"):
        pipeline.run_all(make_cfg(tmp_path, data))
    kept.unlink()  # as the message says: the stage recomputes it
    assert pipeline.run_all(make_cfg(tmp_path, data))["counts"]["clusters_after_privacy"] >= 1
