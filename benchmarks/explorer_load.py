"""Explorer load benchmark: a synthetic 100k-conversation run, served by `clio explore` and exported.

Prints: time for the server to start (reads the run, precomputes counts), time to first render in
headless chromium (navigation until the map has drawn every dot), the same for the static export
opened from file://, payload sizes, a re-render and an overlay recolour, and memory (server RSS,
browser RSS summed over its processes, JS heap).

    .venv/bin/python benchmarks/explorer_load.py [--n 100000] [--clusters 300] [--levels 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from clio.explorer.synthetic_run import write_synthetic_run


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages split between the processes that share them, so a sum
    over chromium's processes does not count its shared libraries once per process (RSS would)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(root: int) -> list[int]:
    parents = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = [], [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out += kids
        frontier += kids
    return out


def browser_pss_mb(exclude: set[int]) -> float:
    total = 0.0
    for pid in descendants(os.getpid()):
        if pid in exclude:
            continue
        try:
            if b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += pss_mb(pid)
        except OSError:
            pass
    return total


def first_render(browser, url: str) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 860})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    wall = time.perf_counter() - t0
    nav = page.evaluate("() => performance.now()")  # ms since navigation start, at the first drawn frame
    render_ms = float(page.get_attribute("#map", "data-render-ms"))
    t1 = time.perf_counter()
    page.click("#zoom-in")
    page.wait_for_selector("#map[data-frames='2'], #map[data-frames='3']")
    zoom_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    page.select_option("#overlay-facet", "language")
    page.wait_for_selector("#map[data-colour-key^='overlay:language']")
    overlay_s = time.perf_counter() - t2
    t3 = time.perf_counter()
    page.click(".node[data-level='2'] > .row")
    page.wait_for_selector("#sidebar-body[data-loaded='1']")
    select_s = time.perf_counter() - t3
    shots = Path(__file__).resolve().parent.parent / "runs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"bench_{'export' if url.startswith('file:') else 'served'}_100k.png"))
    heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}.get("JSHeapUsedSize", 0) / 2**20
    return {"wall_s": wall, "nav_ms": nav, "render_ms": render_ms, "zoom_s": zoom_s, "overlay_s": overlay_s, "select_s": select_s, "heap_mb": heap, "page": page}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--clusters", type=int, default=300)
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--chromium", default=os.environ.get("CLIO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser"))
    args = ap.parse_args()
    if not args.chromium:
        print("no chromium binary: apt-get install chromium (or set CLIO_CHROMIUM)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="clio-explorer-bench-"))
    t = time.perf_counter()
    run = write_synthetic_run(work / "run", n_conversations=args.n, n_base=args.clusters, levels=args.levels, min_conversations=10)
    print(f"synthetic run: {args.n:,} conversations, {args.clusters} base clusters, {args.levels} levels ({time.perf_counter() - t:.1f} s to write)")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clio = Path(sys.executable).with_name("clio")
    t = time.perf_counter()
    server = subprocess.Popen([str(clio), "explore", str(run), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            urllib.request.urlopen(url + "api/meta", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                print(server.stderr.read().decode(), file=sys.stderr)
                return 1
            time.sleep(0.1)
    start_s = time.perf_counter() - t
    sizes = {p: len(urllib.request.urlopen(url + p).read()) for p in ("api/meta", "api/points")}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=["--no-sandbox"])
            served = first_render(browser, url)
            browser_mb = browser_pss_mb({server.pid})
            served["page"].close()
            server_mb = rss_mb(server.pid)

            from clio.explorer.export import export_html

            t = time.perf_counter()
            out = export_html(run, work / "explorer.html")
            export_s = time.perf_counter() - t
            exported = first_render(browser, out.resolve().as_uri())
            export_browser_mb = browser_pss_mb({server.pid})
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"server start (read run, precompute counts, listen): {start_s:.2f} s; server RSS {server_mb:.0f} MB")
    print(f"payloads: /api/meta {sizes['api/meta'] / 1e3:.0f} kB, /api/points {sizes['api/points'] / 1e6:.2f} MB")
    for name, r, mem in (("served", served, browser_mb), ("export (file://)", exported, export_browser_mb)):
        print(
            f"{name}: first render {r['wall_s']:.2f} s wall ({r['nav_ms']:.0f} ms after navigation start), "
            f"one map frame {r['render_ms']:.1f} ms, zoom {1000 * r['zoom_s']:.0f} ms, overlay {1000 * r['overlay_s']:.0f} ms, "
            f"select+sidebar {1000 * r['select_s']:.0f} ms; JS heap {r['heap_mb']:.0f} MB, browser PSS {mem:.0f} MB (all chromium processes)"
        )
    print(f"export: {export_s:.2f} s to write, {out.stat().st_size / 1e6:.1f} MB")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
