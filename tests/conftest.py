"""Shared fixtures: isolated data folders, a local HTTP server, the course mirror."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT


def mirror_dir() -> Path | None:
    """The course mirror: $COURSE_MIRROR, else ../shared/mirror beside the repository."""
    candidate = Path(os.environ.get("COURSE_MIRROR", PROJECT_ROOT.parent / "shared" / "mirror"))
    return candidate if (candidate / "SHA256SUMS").is_file() else None


@pytest.fixture
def mirror() -> Path:
    found = mirror_dir()
    if found is None:
        pytest.skip("no course mirror here (set COURSE_MIRROR=DIR to test the mirror path)")
    return found


@pytest.fixture
def isolated_dirs(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """Empty course data folder and Keras cache for one test."""
    data, keras_home = tmp_path / "data", tmp_path / "keras"
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    return data, keras_home


class Route:
    """How the test server answers one path."""

    def __init__(self, body: bytes = b"", status: int = 200, cut_after: int | None = None,
                 ranges: bool = True, cut_first_only: bool = False):
        self.body, self.status, self.cut_after = body, status, cut_after
        self.ranges, self.cut_first_only = ranges, cut_first_only
        self.requests: list[dict] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        route = self.routes.get(self.path)
        if route is None or route.status == 404:
            self.send_error(404, "Not Found")
            return
        route.requests.append(dict(self.headers))
        body, status, start = route.body, 200, 0
        wanted = self.headers.get("Range")
        if wanted and route.ranges:
            start = int(wanted.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            status = 206
        payload = body[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        cut = route.cut_after
        if cut is not None and (not route.cut_first_only or len(route.requests) == 1):
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the body ends early: a dropped connection
            return
        self.wfile.write(payload)


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1; add routes with ``server.routes[path] = Route(...)``."""
    handler = type("Handler", (_Handler,), {"routes": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.routes = handler.routes
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the server is gone)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
