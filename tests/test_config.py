"""Every config group option and every experiment file composes and resolves."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from clio.cli import CONF_DIR
from clio.facets import parse_facet_specs

EXPERIMENTS = sorted(p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml"))
LLMS = sorted(p.stem for p in (Path(CONF_DIR) / "llm").glob("*.yaml"))


def _compose(*overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("config", overrides=list(overrides))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes(experiment):
    cfg = _compose(f"experiment={experiment}", "data.source=x.jsonl")
    container = OmegaConf.to_container(cfg, resolve=True)
    assert container["run"]["dir"]
    parse_facet_specs(container["facets"]["specs"])


@pytest.mark.parametrize("llm", LLMS)
def test_llm_options_compose(llm):
    cfg = _compose(f"llm={llm}")
    assert cfg.llm.backend in {"local", "anthropic", "openai"}
    assert cfg.facets.transcript.max_chars == cfg.llm.transcript_max_chars
    assert cfg.naming.max_chars == cfg.llm.prompt_budget_chars


def test_demo_recipe_runs_the_whole_pipeline_on_sharegpt():
    cfg = _compose("experiment=demo")
    assert cfg.data.source == "sharegpt" and cfg.llm.backend == "local" and cfg.run.name == "demo"
    assert cfg.hierarchy.levels >= 3
