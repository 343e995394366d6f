"""A naive keyword classifier that writes per-conversation flags for the classifier audit.

    python -m clio.analyses.keyword_flags --run RUN [--config conf/analyses/keyword_classifier.yaml]

Real deployments audit their own safety classifiers; datasets without one (ShareGPT) get this
transparent stand-in, so the audit has something real to disagree with. Flags are per conversation,
so they are written to the run's private area (`private/keyword_flags.parquet`), never next to
analyst outputs; the audit reads them with `--flags`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

from clio import resources
from clio.analyses.common import frame_from_run
from clio.errors import ClioError

DEFAULT_CONFIG = resources.CONF_DIR / "analyses" / "keyword_classifier.yaml"


def compile_patterns(config: str | Path = DEFAULT_CONFIG) -> re.Pattern[str]:
    patterns = yaml.safe_load(Path(config).read_text(encoding="utf-8")).get("patterns") or []
    if not patterns:
        raise ClioError(f"{config}: no patterns")
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)


def keyword_flags(texts: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    return texts.fillna("").map(lambda t: int(bool(pattern.search(t))))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m clio.analyses.keyword_flags", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--config", default=str(DEFAULT_CONFIG))
    args = p.parse_args(argv)
    try:
        frame = frame_from_run(args.run, with_text=True)
        flags = pd.DataFrame({"conversation_id": frame["conversation_id"], "flag": keyword_flags(frame["text"], compile_patterns(args.config))})
    except (ClioError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.run) / "private" / "keyword_flags.parquet"
    flags.to_parquet(out, index=False)
    print(f"{int(flags['flag'].sum())} of {len(flags)} conversations flagged -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
