"""The explorer (paper 2.1, B.4): a local web app and a static HTML export over a finished run.

    data.py            reads a run folder and answers aggregate questions (privacy thresholds applied)
    server.py          FastAPI app: loopback only by default, token-guarded privileged mode
    export.py          one self-contained HTML file with every aggregate precomputed
    commands.py        `clio explore` and `clio export`
    synthetic_run.py   writes a run folder without any model (tests, benchmark, demos)
    static/            the browser app: plain JS, no framework, no network

What reaches the browser: cluster names/descriptions/sizes, map coordinates (no ids, no text),
and per-cluster counts with every cell under the run's aggregation threshold hidden. Per-conversation
summaries ("traces") only in privileged mode, behind a token. Account ids never.
"""
