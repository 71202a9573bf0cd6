"""Okta-style rate limits: per endpoint-family buckets, rolling (non clock-aligned) windows.

A bucket's window opens at its first request after the previous window ended and
lasts ``window_seconds``; ``X-Rate-Limit-Reset`` is that end as UTC epoch seconds,
rounded *up*, expressed on the server's clock (simulated clock + skew) so a
client must compare it with the response ``Date`` rather than its own clock.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

# Endpoint families (bucket keys).  "{id}" buckets cover the children too, except the
# security children below.
BUCKETS = (
    "/api/v1/users",
    "/api/v1/users/{id}",
    "/api/v1/groups",
    "/api/v1/groups/{id}",
    "/api/v1/apps",
    "/api/v1/apps/{id}",
    "/api/v1/logs",
    "/api/v1/devices",
    "/api/v1/*",
    "/oauth2/v1/token",
)
DEFAULT_LIMITS: dict[str, int] = {
    "/api/v1/users": 600,
    "/api/v1/users/{id}": 600,
    "/api/v1/groups": 600,
    "/api/v1/groups/{id}": 600,
    "/api/v1/apps": 100,
    "/api/v1/apps/{id}": 100,
    "/api/v1/logs": 120,
    # Okta's management rate-limit page lists /api/v1/devices on its own (100-150/min);
    # every other security endpoint is in "Most other API actions: /api/v1".
    "/api/v1/devices": 100,
    "/api/v1/*": 600,
    "/oauth2/v1/token": 600,
}
# Children of /users/{id} and /groups/{id} that Okta's page does not count with the
# object itself ("Get a user by ID: only GET to /api/v1/users/{idOrLogin}"), and
# /groups/rules, which is no group: they fall in "Most other API actions".
_OTHER_CHILDREN = ("roles", "factors")


def bucket_for(path: str) -> str:
    if path == "/oauth2/v1/token":
        return path
    if path == "/api/v1/devices" or path.startswith("/api/v1/devices/"):
        return "/api/v1/devices"
    if path == "/api/v1/groups/rules" or path.startswith("/api/v1/groups/rules/"):
        return "/api/v1/*"
    parts = path.split("/")
    if len(parts) >= 6 and parts[3] in ("users", "groups") and parts[5] in _OTHER_CHILDREN:
        return "/api/v1/*"
    for family in ("users", "groups", "apps"):
        base = f"/api/v1/{family}"
        if path == base:
            return base
        if path.startswith(base + "/"):
            return base + "/{id}"
    if path == "/api/v1/logs":
        return path
    return "/api/v1/*" if path.startswith("/api/") else "other"


@dataclass
class RateLimitConfig:
    """Mutable at runtime; every request reads the current values."""

    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    default_limit: int = 600  # buckets not in ``limits``
    window_seconds: float = 60.0
    clock_skew_seconds: float = 0.0  # server clock ahead (+) / behind (-) the client's
    duplicate_headers: bool = False  # repeat the 3 headers, 2nd copy with a larger remaining
    max_concurrent: int | None = None  # in-flight /api/v1 requests before a concurrency 429
    enabled: bool = True

    def limit_for(self, bucket: str) -> int:
        return self.limits.get(bucket, self.default_limit)


@dataclass
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_real: float  # real epoch seconds when the window ends


@dataclass
class _Window:
    end_mono: float
    end_real: float
    used: int = 0


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def hit(self, bucket: str, config: RateLimitConfig) -> RateDecision:
        limit = config.limit_for(bucket)
        with self._lock:
            now_mono = time.monotonic()
            win = self._windows.get(bucket)
            if win is None or now_mono >= win.end_mono:
                win = _Window(now_mono + config.window_seconds, time.time() + config.window_seconds)
                self._windows[bucket] = win
            if config.enabled and win.used >= limit:
                return RateDecision(False, limit, 0, win.end_real)
            win.used += 1
            return RateDecision(True, limit, max(limit - win.used, 0), win.end_real)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


def reset_header_value(reset_real: float, server_offset: float) -> int:
    """Epoch seconds on the server clock, rounded up (never earlier than the real end)."""
    return math.ceil(reset_real + server_offset)
