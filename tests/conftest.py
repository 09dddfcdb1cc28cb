"""Shared fixtures: isolated data folders, a local HTTP server (tests/local_http.py), the course mirror."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from pathlib import Path

import pytest
from local_http import Handler

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


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1; add routes with ``server.routes[path] = Route(...)``."""
    handler = type("Handler", (Handler,), {"routes": {}})
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
