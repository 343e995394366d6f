"""The explorer's web server: static app + a small JSON API over `RunData`.

Security model (the analyst's own machine, a run folder with private data beside it):
- binds to 127.0.0.1 unless told otherwise, and refuses Host headers other than loopback names
  (a web page elsewhere cannot reach the API through DNS rebinding);
- default mode answers aggregates only; `/api/traces` (per-conversation summaries) answers 403;
- privileged mode needs a token on every API call (header `X-Clio-Token` or `?token=`), 403 otherwise;
- static files come from a fixed list read at start-up, so no path can escape the folder;
- no endpoint takes a body: a declared body over MAX_BODY or a chunked one is 413, a long URL 414;
- a Content-Security-Policy that only allows the page's own origin (no CDN, no beacon).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from clio.explorer.data import RunData

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 16 * 1024
MAX_URL = 4096
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def create_app(data: RunData, *, privileged: bool = False, token: str | None = None, allowed_hosts: set[str] | None = None) -> FastAPI:
    if privileged and not token:
        raise ValueError("privileged mode needs a token")
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    static_files = {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in TYPES}
    hosts = allowed_hosts if allowed_hosts is not None else LOOPBACK

    @app.middleware("http")
    async def guard(request: Request, call_next):
        # Order matters: cheap size checks first, then who is asking, then the route.
        length = request.headers.get("content-length")
        if (length and (not length.isdigit() or int(length) > MAX_BODY)) or "chunked" in request.headers.get("transfer-encoding", "").lower():
            return JSONResponse({"error": "request too large"}, status_code=413)
        if len(str(request.url)) > MAX_URL:
            return JSONResponse({"error": "URL too long"}, status_code=414)
        if "*" not in hosts and _host_name(request.headers.get("host", "")) not in hosts:
            return JSONResponse({"error": "unexpected Host header"}, status_code=400)
        if request.url.path.startswith("/api/"):
            if request.method not in ("GET", "HEAD"):
                return JSONResponse({"error": "read-only API"}, status_code=405)
            if privileged:
                given = request.headers.get("x-clio-token") or request.query_params.get("token") or ""
                if not secrets.compare_digest(given.encode(), token.encode()):  # type: ignore[union-attr]
                    return JSONResponse({"error": "token required"}, status_code=403)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def index() -> Response:
        return FileResponse(static_files["index.html"], media_type=TYPES[".html"])

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        path = static_files.get(name)  # exact names only: "..", "%2e%2e", subfolders never match
        if path is None:
            raise HTTPException(404)
        return FileResponse(path, media_type=TYPES[path.suffix])

    @app.get("/api/meta")
    def meta() -> dict:
        return data.meta(privileged=privileged)

    @app.get("/api/points")
    def points() -> dict:
        return data.points()

    @app.get("/api/cluster/{node_id}")
    def cluster(node_id: str) -> dict:
        try:
            return data.cluster(node_id)
        except KeyError:
            raise HTTPException(404, "no such cluster") from None

    @app.get("/api/overlay")
    def overlay(facet: str, value: str, op: str = "=") -> dict:
        try:
            return data.overlay(facet, op, value)
        except KeyError:
            raise HTTPException(404, "no such facet value") from None

    @app.get("/api/traces/{node_id}")
    def traces(node_id: str) -> dict:
        if not privileged:
            raise HTTPException(403, "traces need privileged mode (clio explore RUN --privileged --token T)")
        try:
            return data.traces(node_id)
        except KeyError:
            raise HTTPException(404, "no such cluster") from None

    return app


def _host_name(header: str) -> str:
    """'127.0.0.1:8765' -> '127.0.0.1', '[::1]:8765' -> '[::1]', 'localhost' -> 'localhost'."""
    if header.startswith("["):
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header
