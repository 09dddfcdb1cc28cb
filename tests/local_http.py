"""The download tests' HTTP server on 127.0.0.1 (the ``http_server`` fixture in tests/conftest.py): each path
answers as its :class:`Route` says: a status, a body cut short, with or without range requests."""

from __future__ import annotations

import http.server
import socket


class Route:
    """How the test server answers one path."""

    def __init__(self, body: bytes = b"", status: int = 200, cut_after: int | None = None,
                 ranges: bool = True, cut_first_only: bool = False):
        self.body, self.status, self.cut_after = body, status, cut_after
        self.ranges, self.cut_first_only = ranges, cut_first_only
        self.requests: list[dict] = []


class Handler(http.server.BaseHTTPRequestHandler):
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
