"""python -m synthetic [hydra overrides]: generate a labelled synthetic dataset (paper C.2.1).

python -m synthetic                                   # defaults: conf/synthetic/default.yaml, local model
python -m synthetic llm=anthropic synthetic.n=2000    # any backend of conf/llm/
python -m synthetic synthetic.languages='[English,French]' synthetic.output=my.jsonl
python -m synthetic.check FILE                        # the same validators on any labelled file
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from clio.cli import CONF_DIR
from clio.errors import ClioError

_outcome = {"code": 0}


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="synth")
def main(cfg: DictConfig) -> None:
    from synthetic.run import run

    try:
        manifest = run(cfg)
    except ClioError as exc:
        print(f"synthetic: error: {exc}", file=sys.stderr)
        _outcome["code"] = 2
        return
    counts = manifest["counts"]
    print(f"wrote {counts['written']} conversations to {manifest['output']} ({counts['failed']} failed, {counts['with_pii']} with planted details)")
    quality = manifest["quality"]
    first, accepted = (f"{100 * (quality[k] or 0):.1f}%" for k in ("first_pass_rate", "acceptance_rate"))
    print(f"checks: {first} passed on the first try, {counts['regenerations']} regenerations, acceptance rate {accepted}; report: {quality['table']}")
    total = manifest["llm_usage"]["total"]
    print(f"model calls: {total['calls']}, cache hits: {total['cache_hits']}, cost ${total['cost_usd']:.4f}")
    for note in manifest["notes"]:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
    sys.exit(_outcome["code"])
