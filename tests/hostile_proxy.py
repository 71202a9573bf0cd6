"""A hostile network in front of the simulator: a loopback HTTP proxy that rewrites
the simulator's answers per rule.

The tap is pointed at the proxy (``org_url = proxy.base_url``); the proxy forwards
each request to the simulator and, when a ``Rule`` matches the request, changes the
answer on its way back: its status, headers (``Link``, ``Date``, rate-limit headers),
body, or how it is delivered (a byte at a time, cut off mid-body, a gzip bomb, a
redirect). Links and URLs in the simulator's answers are rewritten to the proxy's
origin, so the tap sees one org. ``proxy.hits`` counts matching requests per rule.

    with OktaSimulator(users=50) as sim, HostileProxy(sim) as proxy:
        proxy.add(Rule(path="/api/v1/users", trickle=0.2))
        run_tap({"org_url": proxy.base_url, ...})
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tests.okta_sim import OktaSimulator

#: Hop-by-hop headers the proxy never passes on, and those it sets itself.
_NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", "date"}


@dataclass
class Rule:
    """How to rewrite the answers to matching requests (the first matching rule wins).

    ``path``: the request path, exactly. ``query``: a substring the query must
    contain (``"!x"``: must not contain ``x``). ``times``: how many matching answers
    to rewrite (None: all).
    """

    path: str
    query: str | None = None
    method: str | None = None
    times: int | None = None
    status: int | None = None
    #: Headers to set (a value of None removes the header).
    headers: dict[str, str | None] = field(default_factory=dict)
    body: bytes | None = None
    #: A function of the simulator's body that returns the body to send.
    edit: Callable[[bytes], bytes] | None = None
    #: Seconds between two bytes of the body.
    trickle: float = 0.0
    #: Send this many bytes of the body, then close the connection.
    drop_after: int | None = None
    #: Replace the body with gzip data that inflates to this many bytes.
    gzip_bomb: int | None = None
    #: Answer 302 to this location, without asking the simulator.
    redirect: str | None = None
    #: The ``Date`` header (an HTTP date string).
    date: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str, query: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if path != self.path or (self.method and method != self.method):
            return False
        if self.query is not None:
            negate = self.query.startswith("!")
            found = self.query.lstrip("!") in query
            if found == negate:
                return False
        return True


@cache
def gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes (about size / 1000 bytes of it)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = []
    left = size
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


class HostileProxy:
    """A loopback proxy in front of ``sim`` that rewrites answers per ``Rule``."""

    def __init__(self, sim: OktaSimulator) -> None:
        self.sim = sim
        self.rules: list[Rule] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add(self, *rules: Rule) -> HostileProxy:
        with self._lock:
            self.rules.extend(rules)
        return self

    def _rule_for(self, method: str, path: str, query: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path, query):
                    rule.hits += 1
                    return rule
        return None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "proxy not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HostileProxy:
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: HostileProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def _relay(self) -> None:
        proxy = self.owner
        parts = urlsplit(self.path)
        rule = proxy._rule_for(self.command, parts.path, parts.query)
        if rule is not None and rule.redirect is not None:
            self._answer(
                302, [("Location", rule.redirect), ("Content-Type", "text/html")], b"", rule
            )
            return
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", proxy.sim.port, timeout=30)
        try:
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in {"connection", "host"}
            }
            # The simulator checks a token request's audience against the URL it was
            # addressed as: the proxy's.
            headers["Host"] = self.headers.get("Host") or ""
            upstream.request(self.command, self.path, body=request_body, headers=headers)
            reply = upstream.getresponse()
            status, body = reply.status, reply.read()
            reply_headers = [(k, v) for k, v in reply.getheaders()]
            date = reply.getheader("Date")
        finally:
            upstream.close()
        ours, theirs = proxy.base_url, proxy.sim.base_url
        body = body.replace(theirs.encode(), ours.encode())
        reply_headers = [
            (k, v.replace(theirs, ours))
            for k, v in reply_headers
            if k.lower() not in _NOT_FORWARDED
        ]
        if date:
            reply_headers.append(("Date", date))
        if rule is not None:
            status, reply_headers, body = self._rewrite(rule, status, reply_headers, body)
        self._answer(status, reply_headers, body, rule)

    def _rewrite(
        self, rule: Rule, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        changes = dict(rule.headers)
        if rule.date is not None:
            changes["Date"] = rule.date
        if rule.gzip_bomb is not None:
            body = gzip_of_zeros(rule.gzip_bomb)
            changes["Content-Encoding"] = "gzip"
        elif rule.body is not None:
            body = rule.body
        elif rule.edit is not None:
            body = rule.edit(body)
        lowered = {name.lower() for name in changes}
        headers = [(k, v) for k, v in headers if k.lower() not in lowered]
        headers += [(k, v) for k, v in changes.items() if v is not None]
        return rule.status or status, headers, body

    def _answer(
        self, status: int, headers: list[tuple[str, str]], body: bytes, rule: Rule | None
    ) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "date" for name, _ in headers):
            self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if rule is not None and rule.drop_after is not None:
                self.wfile.write(body[: rule.drop_after])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if rule is not None and rule.trickle:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(rule.trickle)
                return
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the tap gave up on this answer
