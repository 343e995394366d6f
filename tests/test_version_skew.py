"""Stage records carry the clio version and the run-folder schema; a folder written with another
schema is refused with one line naming it and what to do, never silently reused."""

import json

import pytest

from clio import pipeline
from clio.errors import RunFolderError
from clio.runfolder import RUN_SCHEMA, RunFolder, clio_version
from evals.reliability import LeakyModel, compose_cfg, fake_backend, run_overrides, write_topic_dataset
from evals.reliability_disk import FAST


def _set_schema(run, stage, schema):
    path = run / "stages" / f"{stage}.json"
    record = json.loads(path.read_text())
    if schema is None:
        record.pop("run_schema")
    else:
        record["run_schema"] = schema
    path.write_text(json.dumps(record))


@pytest.mark.integration
def test_an_older_schema_is_refused_and_the_same_schema_resumes(tmp_path, capsys):
    from clio.cli import main as cli_main

    data = write_topic_dataset(tmp_path / "topics.jsonl", per_topic=3)
    overrides = run_overrides(tmp_path, data, name="run") + FAST
    run = tmp_path / "run"
    with fake_backend(LeakyModel()):
        pipeline.run_facets(compose_cfg(overrides))
    record = json.loads((run / "stages" / "facets.json").read_text())
    assert record["run_schema"] == RUN_SCHEMA and record["clio_version"] == clio_version()
    finished = record["finished"]

    _set_schema(run, "facets", RUN_SCHEMA - 1)
    with fake_backend(LeakyModel()) as gateways:
        code = cli_main(["facets", *overrides])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0]
    assert f"{run}: written by clio" in err[0] and f"schema {RUN_SCHEMA - 1}" in err[0]
    assert "Run into a new folder (run.name=...) or delete" in err[0]
    assert gateways == []  # refused before any stage ran
    assert json.loads((run / "stages" / "facets.json").read_text())["finished"] == finished  # untouched

    _set_schema(run, "facets", RUN_SCHEMA)
    with fake_backend(LeakyModel()):
        manifest = pipeline.run_facets(compose_cfg(overrides))
    assert manifest["llm_usage"]["total"].get("calls", 0) == 0
    assert json.loads((run / "stages" / "facets.json").read_text())["finished"] == finished  # reused as it was


def test_a_newer_schema_is_refused_and_says_to_use_that_clio(tmp_path):
    folder = RunFolder(tmp_path)
    folder.finish_stage("load", "fp", {})
    _set_schema(tmp_path, "load", RUN_SCHEMA + 1)
    with pytest.raises(RunFolderError, match=rf"{tmp_path}: .*schema {RUN_SCHEMA + 1} \(stages/load.json\).*use that clio to resume it"):
        RunFolder(tmp_path)


def test_records_from_before_the_schema_field_are_the_first_schema(tmp_path):
    folder = RunFolder(tmp_path)
    folder.finish_stage("load", "fp", {})
    _set_schema(tmp_path, "load", None)
    (tmp_path / "stages" / "broken.json").write_text("{not json")  # an unreadable record: not done, not a version
    assert RunFolder(tmp_path).stage_record("load")["fingerprint"] == "fp"
