"""python -m synthetic.check FILE [--out DIR] [--config YAML]: the generator's validators on any
labelled JSONL file (the project's own schema: category, subcategory, language, has_pii, pii,
messages), written as the same quality report `<stem>.quality.json` / `.quality.md`.

    python -m synthetic.check /work/shared/data/synthetic_multilingual_dev.jsonl --out runs/check

Thresholds come from the `validation` node of the synthetic config (default
conf/synthetic/default.yaml), so a checked file is held to what the generator enforces. The
embedding checks use the embedding cache of the pipeline ($CLIO_CACHE_DIR/embeddings).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from clio import resources
from clio.errors import ClioError, DataError
from synthetic.config import Validation, parse_validation
from synthetic.quality import build_report, outcomes_of, write_report
from synthetic.validate import Embed, Validator, default_embed, taxonomy_of

DEFAULT_CONFIG = resources.CONF_DIR / "synthetic" / "default.yaml"
REQUIRED = ("category", "subcategory", "language", "has_pii", "pii", "messages")


def read_rows(path: Path) -> list[dict[str, Any]]:
    from clio.loaders import json_lines

    rows = []
    for n, row in json_lines(path):
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            raise DataError(f"missing {', '.join(missing)} (a labelled row needs {', '.join(REQUIRED)})", str(path), n)
        rows.append(row)
    if not rows:
        raise DataError("no rows", str(path))
    return rows


def load_validation(config: Path) -> Validation:
    from omegaconf import OmegaConf

    node = OmegaConf.load(config).get("validation")
    return parse_validation(OmegaConf.to_container(node, resolve=True) if node is not None else None)


def check_file(path: Path, cfg: Validation, embed: Embed | None, out_dir: Path | None = None) -> tuple[dict[str, Any], Path, Path]:
    """Validate every row of `path` and write its quality report; (report, json path, md path)."""
    rows = read_rows(path)
    validator = Validator(cfg, embed).fit(rows, taxonomy_of(rows))
    outcomes = outcomes_of(rows, validator.check(rows), list(range(len(rows))), attempt=0)
    report = build_report(outcomes, validator.checks, dataset=str(path), planned=len(rows), settings=cfg.model_dump())
    json_path, md_path = write_report(report, path, out_dir)
    return report, json_path, md_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="labelled JSONL (category, subcategory, language, has_pii, pii, messages)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the report (default: beside FILE)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="synthetic config whose `validation` node sets the thresholds")
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding cache folder (default $CLIO_CACHE_DIR/embeddings)")
    args = parser.parse_args(argv)
    try:
        cfg = load_validation(args.config)
        report, json_path, md_path = check_file(args.file, cfg, default_embed(cfg, args.cache_dir), args.out)
    except (ClioError, OSError) as exc:
        print(f"synthetic.check: error: {exc}", file=sys.stderr)
        return 2
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
