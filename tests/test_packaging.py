"""A non-editable install works from any directory: the wheel carries conf/ and prompts/ as package
data (setup.py, clio/resources.py), and a user's own config folder joins through `--config-dir`.

The wheel is built from this checkout and installed with --target into a scratch folder that goes
first on PYTHONPATH, so the interpreter imports the installed copy, not the editable checkout
(asserted). Dependencies come from the test environment; the run uses the fake model (this tests
packaging, not quality) and the real embedder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(scratch / "dist"), str(REPO)],
        check=True,
        capture_output=True,
        cwd=scratch,
    )
    (wheel,) = (scratch / "dist").glob("clio_harness-*.whl")
    target = scratch / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    return target, elsewhere, env


def clio(installed, *args, timeout=600):
    target, elsewhere, env = installed
    return subprocess.run([sys.executable, "-m", "clio.cli", *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=timeout)


def test_installed_copy_finds_its_own_configs_and_prompts(installed):
    target, elsewhere, env = installed
    probe = subprocess.run(
        [sys.executable, "-c", "import clio, clio.resources as r; print(clio.__file__); print(r.CONF_DIR); print(r.PROMPTS_DIR)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module, conf, prompts = probe.stdout.split()
    for path in (module, conf, prompts):
        assert Path(path).is_relative_to(target), path
    listed = clio(installed, "prompts")
    assert listed.returncode == 0, listed.stderr
    names = {line.split("@")[0] for line in listed.stdout.split()}
    assert {p.stem for p in (REPO / "prompts").glob("*.yaml")} <= names


@pytest.mark.integration
def test_installed_copy_runs_the_pipeline_from_another_directory_with_a_user_config_dir(installed):
    _, elsewhere, _ = installed
    topics = ["How do I bake sourdough bread at home?", "Fix my Python list index error please", "Plan a spring trip to Lisbon", "Write a cover letter for a nurse job"]
    rows = [
        {"id": f"c{t}-{i}", "account_id": f"a{t}-{i}", "messages": [{"role": "user", "content": f"{q} (case {i})"}, {"role": "assistant", "content": "Sure."}]}
        for t, q in enumerate(topics)
        for i in range(8)
    ]
    (elsewhere / "tiny.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    # A user's experiment file in their own folder, next to their data.
    (elsewhere / "myconf" / "experiment").mkdir(parents=True)
    (elsewhere / "myconf" / "experiment" / "tiny.yaml").write_text(
        "# @package _global_\nllm: {backend: fake}\ndata: {source: tiny.jsonl}\nclustering: {k: 4}\nprivacy: {min_conversations: 2, min_accounts: 2}\nrun: {name: tiny}\nprogress: false\n"
    )
    done = clio(installed, "run", "--config-dir", "myconf", "data=file", "experiment=tiny", "cache.dir=cache")
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((elsewhere / "runs" / "tiny" / "manifest.json").read_text())
    assert manifest["counts"]["sampled"] == 32 and manifest["counts"]["items"]["unaccounted"] == 0
    assert (elsewhere / "runs" / "tiny" / "analyst" / "tree.txt").read_text().count("(8)") == 4
