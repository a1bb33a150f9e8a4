"""A misbehaving web server on 127.0.0.1 for the link checker's tests.

Each path is one case of issue 6, point 8. Counters are per full path (query included), so
each test can use its own `?t=<name>` and stay independent of the others.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GOOD_VIDEO = "aaaaaaaaaaa"


class CaseServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__((host, 0), CaseHandler)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> CaseServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def requests_for(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


class CaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CaseServer

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_HEAD(self):
        self._record()
        # Many real servers reject HEAD; the checker must never depend on it.
        self._reply(405 if urlsplit(self.path).path == "/head-405" else 404)

    def do_GET(self):
        count = self._record()
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        segments = [s for s in path.split("/") if s]
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            self._route(path, segments, query, count)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with server.lock:
                server.in_flight -= 1

    def _route(self, path, segments, query, count):
        head = segments[0] if segments else ""
        if head in {"ok", "head-405"}:
            self._reply(200, b"hello")
        elif head == "status":
            self._reply(int(segments[1]))
        elif head == "flaky":
            # /flaky/<status>/<times>: fails <times> times, then works.
            status, times = int(segments[1]), int(segments[2])
            self._reply(status if count <= times else 200)
        elif head == "ratelimit":
            # /ratelimit/<times>?after=<seconds|date>
            after = query.get("after", ["1"])[0]
            if after == "date":
                after = formatdate(time.time() + 1, usegmt=True)
            if count <= int(segments[1]):
                self._reply(429, headers={"Retry-After": after})
            else:
                self._reply(200)
        elif head == "hold":
            time.sleep(float(query.get("s", ["0.2"])[0]))
            self._reply(200)
        elif head == "chain":
            # /chain/301/302/308 → each code redirects to the rest of the chain, then /ok.
            rest = "/".join(segments[2:])
            target = f"/chain/{rest}" if rest else "/ok"
            self._reply(int(segments[1]), headers={"Location": target})
        elif head == "loop":
            self._reply(302, headers={"Location": "/loop" if segments[1:] else "/loop/again"})
        elif head == "forever":
            self._reply(302, headers={"Location": f"/forever/{int(segments[1]) + 1}"})
        elif head == "cf":
            self._reply(403, headers={"cf-mitigated": "challenge"})
        elif head == "browsers-only":
            agent = self.headers.get("User-Agent", "")
            self._reply(200 if "Mozilla" in agent else 403)
        elif head == "linkedin":
            self._reply(999)
        elif head == "to-private":
            self._reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif head == "to":
            self._reply(302, headers={"Location": query["url"][0]})
        elif head == "never":
            self.server.stopping.wait(60)
            self.close_connection = True
        elif head == "drip":
            # Headers one byte at a time, never finishing.
            for byte in b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 10_000:
                if self.server.stopping.wait(0.05):
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            self.close_connection = True
        elif head == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"x" * 65536
            while not self.server.stopping.is_set():
                self.wfile.write(chunk)
            self.close_connection = True
        elif head == "youtube":
            # /youtube/vi/<id>/0.jpg, standing in for img.youtube.com
            self._reply(200 if segments[2] == GOOD_VIDEO else 404, b"jpeg")
        else:
            self._reply(404)

    def _record(self) -> int:
        server = self.server
        with server.lock:
            server.hits[self.path] += 1
            server.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "user_agent": self.headers.get("User-Agent", ""),
                    "range": self.headers.get("Range"),
                    "at": time.monotonic(),
                }
            )
            return server.hits[self.path]

    def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
