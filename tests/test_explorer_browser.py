"""The explorer in a real browser: Debian's chromium driven by Playwright, headless.

Runs the served app (default and privileged mode) and the static export from a file:// URL on a
synthetic run with a planted canary summary. Screenshots go to runs/screenshots/ (gitignored).
"""

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from clio.explorer.synthetic_run import ACCOUNT_PREFIX, CANARY, write_synthetic_run

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (test extra)")
pytest.importorskip("uvicorn", reason="explorer extra not installed")
CHROMIUM = os.environ.get("CLIO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no chromium binary (apt-get install chromium, or set CLIO_CHROMIUM)")

SHOTS = Path(os.environ.get("CLIO_SCREENSHOTS", Path(__file__).resolve().parent.parent / "runs" / "screenshots"))
TOKEN = "browser-test-token-0123456789"
XSS_NAME = '<img src=x onerror="document.body.dataset.pwned=1">Write SQL reporting queries'


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = write_synthetic_run(tmp_path_factory.mktemp("explorer") / "fixture-run", n_conversations=90, n_base=6, levels=3, min_conversations=3)
    # A model-written name that is also markup: it must show as text, never run.
    clusters = pd.read_parquet(root / "analyst" / "clusters.parquet")
    clusters.loc[clusters["id"] == "0-5", "name"] = XSS_NAME
    clusters.to_parquet(root / "analyst" / "clusters.parquet", index=False)
    return root


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@contextmanager
def serve(run_dir, **kwargs):
    import uvicorn

    from clio.explorer.data import RunData
    from clio.explorer.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(RunData(run_dir), **kwargs), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 860})
    page.responses, page.errors, page.urls = [], [], []
    page.on("response", lambda r: page.responses.append(r))
    page.on("request", lambda r: page.urls.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
    return page


def bodies(page):
    out = []
    for r in page.responses:
        try:
            out.append(r.body().decode("utf-8", "replace"))
        except Exception:  # redirects and aborted requests have no body
            pass
    return out


def map_pixels(page):
    """Histogram-like summary of the map canvas: how many strongly red pixels, and a digest."""
    return page.eval_on_selector(
        "#map",
        """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let red = 0, sum = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] > 190 && d[i + 1] < 90 && d[i + 2] < 80) red++;
            sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000000007;
        }
        return {red, sum, url: c.toDataURL().length};
    }""",
    )


def select_in_tree(page, node_id):
    # Open the ancestors first (the tree starts with deeper levels collapsed), then click the row.
    page.evaluate("id => window.clio.treeView.select(id)", node_id)
    page.click(f".node[data-node-id='{node_id}'] > .row")
    page.wait_for_selector(f"#sidebar-body[data-node-id='{node_id}'][data-loaded='1']")


def check_app(page, expected, shots_prefix):
    """The acceptance path shared by the served app and the export."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.errors == []
    # Map labels follow the hierarchy: the top level when zoomed out, deeper after zooming in.
    assert page.get_attribute("#map", "data-label-level") == "2"
    page.screenshot(path=str(SHOTS / f"{shots_prefix}_map.png"))
    page.click("#zoom-in")
    page.click("#zoom-in")
    page.click("#zoom-in")
    page.wait_for_timeout(100)
    assert int(page.get_attribute("#map", "data-label-level")) < 2
    page.click("#zoom-fit")

    # Hovering a dot shows a card with the name, description and size of its cluster.
    box = page.evaluate("() => { const n = clio.tree.byId.get('2-0'); return clio.map.toScreen(n.x, n.y); }")
    canvas = page.locator("#map").bounding_box()
    hit = page.evaluate(
        "([x, y]) => { for (let r = 0; r < 60; r += 3) for (let a = 0; a < 6.3; a += 0.5) { const id = clio.map.nodeAt(x + r * Math.cos(a), y + r * Math.sin(a)); if (id) return [x + r * Math.cos(a), y + r * Math.sin(a)]; } return null; }",
        box,
    )
    assert hit, "no dot near the top-level cluster"
    page.mouse.move(canvas["x"] + hit[0], canvas["y"] + hit[1])
    page.wait_for_selector("#hover-card:not([hidden])")
    card = page.inner_text("#hover-card")
    assert "conversations" in card and page.get_attribute("#hover-card", "data-node-id")

    # Tree: sizes and shares; search by name; click to select.
    first = page.inner_text(".node[data-level='2'] > .row .num")
    assert "%" in first
    page.fill("#tree-search", "debug python")
    assert page.locator(".node.match").count() == 1
    assert page.locator(".node.filtered").count() >= len(expected["nodes"]) - 3
    page.fill("#tree-search", "")
    assert page.locator(".node.filtered").count() == 0

    # Select the parent of the Spanish-heavy base cluster: the sidebar shows its breakdowns.
    parent = expected["parent_of_spanish"]
    select_in_tree(page, parent)
    assert page.inner_text("#sidebar h2") == expected["names"][parent]
    lang = page.locator("#sidebar .breakdown[data-facet='language']")
    assert lang.count() == 1
    value, count = expected["shown_cell"]
    shown = lang.locator(f"tr[data-value='{value}'] td.count").inner_text()
    assert shown.startswith(f"{count} ·"), shown
    if expected["withheld_cell"]:
        assert lang.locator(f"tr[data-value='{expected['withheld_cell']}'] td.count").inner_text() == "withheld"
    assert page.locator("#sidebar .breakdown").count() == expected["n_facets"]
    assert page.locator("#sidebar .timeline svg circle").count() >= 1
    assert page.locator("#sidebar .children a").count() == len(expected["children"][parent])
    page.locator("#tree-panel").screenshot(path=str(SHOTS / f"{shots_prefix}_tree.png"))
    page.locator("#sidebar").screenshot(path=str(SHOTS / f"{shots_prefix}_sidebar.png"))

    # Overlay language=Spanish: the map recolours (red where Spanish is over-represented) and the tree too.
    before = map_pixels(page)
    assert page.get_attribute("#map", "data-colour-key") == "cluster"
    page.select_option("#overlay-facet", "language")
    page.select_option("#overlay-value", "=Spanish")
    page.wait_for_selector("body[data-overlay='language=Spanish']")
    page.wait_for_selector("#map[data-colour-key='overlay:language=Spanish']")
    page.wait_for_timeout(100)
    after = map_pixels(page)
    assert after["sum"] != before["sum"]
    assert before["red"] == 0 and after["red"] > 20
    assert float(page.get_attribute(".node[data-node-id='0-0']", "data-ratio")) > 2
    assert "Spanish" in page.inner_text("#sidebar .overlay-readout")
    # Ordered facets offer "at least": concern >= 3.
    page.select_option("#overlay-facet", "concern")
    page.select_option("#overlay-value", ">=3")
    page.wait_for_selector("body[data-overlay='concern>=3']")
    page.select_option("#overlay-facet", "language")
    page.select_option("#overlay-value", "=Spanish")
    page.wait_for_selector("body[data-overlay='language=Spanish']")
    page.wait_for_timeout(100)
    page.screenshot(path=str(SHOTS / f"{shots_prefix}_overlay.png"))

    # Model-written names are text, never markup.
    assert page.get_attribute("body", "data-pwned") is None
    assert XSS_NAME in page.inner_text(".node[data-node-id='0-5'] > .row .name")
    assert page.errors == []


@pytest.fixture(scope="module")
def expected(run_dir):
    from clio.explorer.data import RunData

    data = RunData(run_dir)
    parent = next(n["parent_id"] for n in data.nodes if n["id"] == "0-0")
    lang = next(b for b in data.cluster(parent)["breakdowns"] if b["facet"] == "language")
    return {
        "nodes": data.nodes,
        "names": {n["id"]: n["name"] for n in data.nodes},
        "children": {n["id"]: n["children"] for n in data.nodes},
        "parent_of_spanish": parent,
        # a language cell the release policy shows, and one it withholds (when the node has one)
        "shown_cell": next((c["value"], c["count"]) for c in lang["cells"] if c["count"]),
        "withheld_cell": next((c["value"] for c in lang["cells"] if c["count"] is None), None),
        "n_facets": len(data.facets),
    }


def test_served_app_default_mode(browser, run_dir, expected):
    with serve(run_dir) as url:
        page = open_page(browser, url)
        check_app(page, expected, "server")
        # Select the base cluster holding the canary: still no traces, and no per-conversation text anywhere.
        select_in_tree(page, "0-0")
        assert page.locator("#sidebar .traces").count() == 0
        assert page.request.get(url + "api/traces/0-0").status == 403
        everything = "\n".join(bodies(page)) + page.content()
        assert len(page.responses) >= 5
        assert CANARY not in everything and "CANARY" not in everything
        assert ACCOUNT_PREFIX not in everything
        assert all(u.startswith((url, "data:")) for u in page.urls), page.urls
        page.close()


def test_served_app_privileged_mode_shows_traces(browser, run_dir):
    with serve(run_dir, privileged=True, token=TOKEN) as url:
        # Without the token the page loads but every API call is refused.
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#banner:not([hidden])")
        assert "Could not load" in page.inner_text("#banner")
        assert page.request.get(url + "api/meta").status == 403
        page.close()

        page = open_page(browser, url + "?token=" + TOKEN)
        assert "token" not in page.url  # dropped from the address bar once read
        assert "PRIVILEGED" in page.inner_text("#banner")
        select_in_tree(page, "0-0")
        traces = page.locator("#sidebar .traces li")
        assert traces.count() >= 3
        assert CANARY in page.inner_text("#sidebar .traces")
        assert ACCOUNT_PREFIX not in page.content()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.eval_on_selector("#sidebar .traces", "e => e.scrollIntoView({block: 'start'})")
        page.locator("#sidebar").screenshot(path=str(SHOTS / "privileged_sidebar.png"))
        page.close()


def test_static_export_from_file_url(browser, run_dir, expected, tmp_path):
    from clio.explorer.export import export_html

    out = export_html(run_dir, tmp_path / "explorer.html")
    page = open_page(browser, out.resolve().as_uri())
    check_app(page, expected, "export")
    select_in_tree(page, "0-0")
    assert page.locator("#sidebar .traces").count() == 0
    # One request in all: the file itself. No network, no second file.
    assert [u for u in page.urls if not u.startswith("data:")] == [out.resolve().as_uri()]
    html = out.read_text(encoding="utf-8")
    assert CANARY not in html and ACCOUNT_PREFIX not in html and CANARY not in page.content()
    page.close()
