"""`clio explore` and `clio export`: argument parsing and user-facing messages."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from clio.errors import ClioError

MIN_TOKEN_CHARS = 16


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line through the CLI's ClioError path, exit code 2
        raise ClioError(f"{message} (usage: {' '.join(self.format_usage().split()[1:])})")


def explore(argv: list[str]) -> int:
    parser = _Parser(prog="clio explore", description="Serve the explorer for a run folder on this machine.")
    parser.add_argument("run", help="run folder written by `clio run`")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--privileged", action="store_true", help="also serve per-conversation summaries (traces); needs a token")
    parser.add_argument("--token", default=os.environ.get("CLIO_EXPLORE_TOKEN"), help="token for privileged mode (or CLIO_EXPLORE_TOKEN); generated when absent")
    args = parser.parse_args(argv)

    if args.token and not args.privileged:
        raise ClioError("--token only applies with --privileged")
    token = None
    if args.privileged:
        token = args.token or secrets.token_urlsafe(24)
        if len(token) < MIN_TOKEN_CHARS:
            raise ClioError(f"--token must have at least {MIN_TOKEN_CHARS} characters")

    import uvicorn

    from clio.explorer.data import RunData
    from clio.explorer.server import LOOPBACK, create_app

    data = RunData(args.run)
    loopback = args.host in LOOPBACK
    hosts = LOOPBACK | {args.host} if loopback else {"*"}
    if not loopback:
        print(f"clio explore: warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    app = create_app(data, privileged=args.privileged, token=token, allowed_hosts=hosts)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/"
    print(f"Clio explorer for {args.run}: {url}{'?token=' + token if token else ''}")
    if args.privileged:
        print("privileged mode: per-conversation summaries are served to whoever holds the token")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def export(argv: list[str]) -> int:
    parser = _Parser(prog="clio export", description="Write the explorer as one self-contained HTML file.")
    parser.add_argument("run", help="run folder written by `clio run`")
    parser.add_argument("--out", help="output file (default: RUN/analyst/explorer.html)")
    args = parser.parse_args(argv)

    from clio.explorer.export import export_html

    path = export_html(args.run, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); open it in a browser, no server needed")
    return 0
