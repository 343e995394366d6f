"""`clio export RUN`: one HTML file with the app, its styles and every aggregate inlined.

It opens from disk (file://) with no network: the page's Content-Security-Policy allows no
connection at all. Everything the server would answer lazily is precomputed here (every cluster's
breakdowns and timeline, every overlay), with the same thresholds. Traces are never exported,
whatever mode the analyst uses locally: an export is made to be shared.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from clio.explorer.data import RunData
from clio.runfolder import atomic_write

STATIC = Path(__file__).resolve().parent / "static"
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def _inline_json(data: object) -> str:
    # Inside <script type="application/json"> only "</" (and "<!--") can end or confuse the block.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render_html(data: RunData) -> str:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    page = page.replace('<link rel="stylesheet" href="static/style.css">', f"<style>\n{css}</style>")
    page = page.replace('<meta charset="utf-8">', f'<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="{CSP}">')

    def script(match: re.Match) -> str:
        code = (STATIC / match.group(1)).read_text(encoding="utf-8")
        if "</script" in code.lower():
            raise ValueError(f"{match.group(1)} contains '</script' and cannot be inlined")
        return f"<script>\n{code}</script>"

    bundle = f'<script id="clio-bundle" type="application/json">{_inline_json(data.bundle())}</script>\n'
    first = page.index('<script src="static/')
    page = page[:first] + bundle + page[first:]
    page = re.sub(r'<script src="static/([a-z]+\.js)"></script>', script, page)
    if re.search(r'(src|href)="(https?:)?//', page):
        raise ValueError("export would reference a remote asset")
    return page


def export_html(run_dir: str | Path, out: str | Path | None = None) -> Path:
    data = RunData(run_dir)
    target = Path(out) if out else Path(run_dir) / "analyst" / "explorer.html"
    html = render_html(data)
    atomic_write(target, lambda p: p.write_text(html, encoding="utf-8"))
    return target
