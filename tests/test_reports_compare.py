"""reports.compare: eval runs side by side, with Wilson intervals or pooled over seeds."""

import json

from reports.compare import main


def _run(root, name, acc, seed, n=100, k=48, debias="language_mean"):
    run = root / name
    (run / "eval").mkdir(parents=True)
    metrics = {
        "variant": {"mode": "embed_first", "embedding": "e5", "debias": debias, "k": k, "assign": "embedding"},
        "supervised": {"accuracy": acc, "macro_f1": acc - 0.05, "per_group": {"Georgian": {"n": 50, "accuracy": acc - 0.1}, "Hindi": {"n": 50, "accuracy": acc + 0.1}}},
        "unsupervised": {"nmi": 0.7, "purity": 0.75},
        "n_conversations": n,
        "n_base_clusters": k,
        "cost": {"model_requests_per_1k_conversations": 0.0},
        "eval_seconds": 60,
    }
    (run / "eval" / "metrics.json").write_text(json.dumps(metrics))
    (run / "manifest.json").write_text(json.dumps({"config": {"run": {"seed": seed}}}))
    return run


def test_single_runs_get_intervals_and_seeds_pool(tmp_path, capsys):
    runs = [_run(tmp_path, f"s{s}", acc, s) for s, acc in ((0, 0.60), (1, 0.70), (2, 0.65))]
    other = _run(tmp_path, "off", 0.10, 0, debias="none")
    assert main([str(r) for r in (*runs, other)]) == 0
    out = capsys.readouterr().out
    assert "60.0 [50.2, 69.1]" in out and "Georgian 50.0" in out and out.count("\n| embed_first") == 4
    assert main([str(r) for r in (*runs, other)] + ["--group"]) == 0
    pooled = capsys.readouterr().out
    assert "| 3 | 65.0 (60.0-70.0) |" in pooled and "| 1 | 10.0 [" in pooled
    assert main([str(tmp_path / "missing")]) == 1


def test_the_table_comes_from_mlflow_runs_too(tmp_path, capsys):
    """`--mlflow`: each finished run's logged eval/metrics.json, seed from its params; sweep parents skipped."""
    import mlflow

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("clio-eval")
    with mlflow.start_run(run_name="sweep", tags={"clio.sweep_parent": "true"}):
        pass
    for seed, acc in ((0, 0.60), (1, 0.70), (2, 0.65)):
        run = _run(tmp_path, f"s{seed}", acc, seed)
        with mlflow.start_run(run_name=f"s{seed}"):
            mlflow.log_params({"run.seed": seed})
            mlflow.log_artifacts(str(run / "eval"), artifact_path="eval")
    assert main(["--mlflow", "--uri", uri, "--group"]) == 0
    assert "| 3 | 65.0 (60.0-70.0) |" in capsys.readouterr().out
    assert main(["--mlflow", "--uri", uri, "--experiment", "nothing-here"]) == 1
