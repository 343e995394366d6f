"""Explorer server: aggregate API, privileged-mode token, static files, request limits (TestClient)."""

import json

import pytest

pytest.importorskip("fastapi", reason="explorer extra not installed (pip install -e '.[explore]')")
from fastapi.testclient import TestClient  # noqa: E402

from clio.explorer.data import RunData  # noqa: E402
from clio.explorer.server import MAX_BODY, create_app  # noqa: E402
from clio.explorer.synthetic_run import ACCOUNT_PREFIX, CANARY, write_synthetic_run  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return RunData(write_synthetic_run(tmp_path_factory.mktemp("explorer") / "run"))


@pytest.fixture(scope="module")
def client(data):
    return TestClient(create_app(data), base_url=BASE)


@pytest.fixture(scope="module")
def privileged(data):
    return TestClient(create_app(data, privileged=True, token=TOKEN), base_url=BASE)


def test_default_mode_serves_aggregates_only(client, data):
    bodies = []
    for path in ["/", "/api/meta", "/api/points", "/api/overlay?facet=language&value=Spanish", "/api/overlay?facet=concern&op=%3E%3D&value=3"]:
        r = client.get(path)
        assert r.status_code == 200, path
        bodies.append(r.text)
    for node in data.nodes:
        r = client.get(f"/api/cluster/{node['id']}")
        assert r.status_code == 200
        bodies.append(r.text)
    everything = "\n".join(bodies)
    assert CANARY not in everything and ACCOUNT_PREFIX not in everything and "conv-0" not in everything
    meta = json.loads(bodies[1])
    assert meta["privileged"] is False and meta["min_count"] == 3
    # Traces are refused outright in default mode, even for a real cluster.
    r = client.get("/api/traces/0-0")
    assert r.status_code == 403 and CANARY not in r.text


def test_unknown_cluster_or_facet_is_404(client):
    assert client.get("/api/cluster/9-99").status_code == 404
    assert client.get("/api/overlay?facet=request&value=x").status_code == 404
    assert client.get("/api/overlay?facet=language&op=<&value=Spanish").status_code == 404


def test_privileged_mode_needs_the_token(privileged):
    for path in ["/api/meta", "/api/points", "/api/cluster/0-0", "/api/traces/0-0"]:
        assert privileged.get(path).status_code == 403, path
        assert privileged.get(path, headers={"X-Clio-Token": "wrong-token-0123456789ab"}).status_code == 403
        assert privileged.get(path + "?token=" + TOKEN[:-1]).status_code == 403
    r = privileged.get("/api/traces/0-0", headers={"X-Clio-Token": TOKEN})
    assert r.status_code == 200
    assert any(CANARY in t["request"] for t in r.json()["traces"])
    assert ACCOUNT_PREFIX not in r.text  # not even privileged mode sends account ids
    assert privileged.get(f"/api/meta?token={TOKEN}").json()["privileged"] is True
    # The page itself carries no data and loads without the token (it reads it from the URL).
    assert privileged.get("/").status_code == 200


def test_privileged_mode_without_token_is_refused_at_start(data):
    with pytest.raises(ValueError):
        create_app(data, privileged=True, token=None)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/..%2fserver.py",
        "/static/%2e%2e%2fserver.py",
        "/static/..%5cserver.py",
        "/static/%2e%2e/%2e%2e/data.py",
        "/static/....//server.py",
        "/static/./app.js/../../server.py",
        "/static/%252e%252e%252fserver.py",
        "/static//etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_static_path_traversal_is_rejected(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404)
    assert "create_app" not in r.text and "root:" not in r.text


def test_static_files_and_security_headers(client):
    r = client.get("/static/app.js")
    assert r.status_code == 200 and "buildTree" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_oversized_and_odd_requests(client):
    assert client.request("GET", "/api/meta", content=b"x" * (MAX_BODY + 1)).status_code == 413
    assert client.post("/api/meta", content=b"x" * (MAX_BODY + 1)).status_code == 413
    assert client.get("/api/meta", headers={"Content-Length": "999999999"}).status_code == 413
    assert client.get("/api/meta", headers={"Transfer-Encoding": "chunked"}).status_code == 413
    assert client.get("/api/overlay?facet=" + "a" * 5000 + "&value=x").status_code == 414
    assert client.post("/api/meta").status_code == 405


def test_foreign_host_header_is_refused(client):
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    assert client.get("/api/meta", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/meta", headers={"Host": "localhost:8765"}).status_code == 200
    assert client.get("/api/meta", headers={"Host": "[::1]:8765"}).status_code == 200
