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


GROUPS = sorted(p.name for p in Path(CONF_DIR).iterdir() if p.is_dir())
OPTIONS = [(group, p.stem) for group in GROUPS for p in sorted((Path(CONF_DIR) / group).glob("*.yaml"))]


@pytest.mark.parametrize(("group", "option"), [o for o in OPTIONS if o[0] not in ("experiment", "sweep", "synthetic", "analyses")])
def test_every_group_option_composes(group, option):
    container = OmegaConf.to_container(_compose(f"{group}={option}", "data.source=x.jsonl"), resolve=True)
    assert container[group] and container["run"]["dir"]


def test_groups_are_only_where_there_is_a_choice():
    """A group with one option is a setting in disguise: it belongs in config.yaml (issue 19). Kept:
    the facets group (users add their own facet sets beside the default) and the root configs of other
    entry points (synthetic, analyses)."""
    single = [g for g in GROUPS if len([o for o in OPTIONS if o[0] == g]) == 1]
    assert sorted(single) == ["analyses", "facets", "synthetic"], single
    for stage in ("clustering", "naming", "privacy", "hierarchy", "projection", "eval", "tracking", "estimate"):
        assert stage in _compose(), stage  # every stage's settings are in the composed root config


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


def test_mode_follows_the_backend_unless_chosen():
    """Embed-first is the offline default, the paper's per-conversation summaries the default for
    API backends; either can be chosen, and each mode setting can still be overridden alone."""
    local, api = _compose(), _compose("llm=anthropic")
    assert (local.pipeline.mode, local.embedding.facet, local.debias.method, local.naming.source, local.facets.per_conversation_llm) == ("embed_first", "user_text", "language_mean", "excerpts", False)
    assert (api.pipeline.mode, api.embedding.facet, api.debias.method, api.naming.source, api.facets.per_conversation_llm) == ("paper", "request", "none", "summaries", True)
    assert _compose("llm=openai").pipeline.mode == "paper" and _compose("llm=local_small").pipeline.mode == "embed_first"
    chosen = _compose("llm=anthropic", "pipeline.mode=embed_first", "debias.method=none")
    assert chosen.embedding.facet == "user_text" and chosen.debias.method == "none"
    assert _compose("experiment=eval_dev").pipeline.mode == "paper"
    assert _compose("experiment=eval_dev_embed_first").pipeline.mode == "embed_first"
