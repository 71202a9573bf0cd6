"""Okta-style rate limits: per endpoint-family buckets, rolling (non clock-aligned) windows.

A bucket's window opens at its first request after the previous window ended and
lasts ``window_seconds``; ``X-Rate-Limit-Reset`` is that end as UTC epoch seconds,
rounded *up*, expressed on the server's clock (simulated clock + skew) so a
client must compare it with the response ``Date`` rather than its own clock.

Okta's default per-client ceiling: one API token or OAuth service app may spend at most
``token_share`` of a bucket's window (developer.okta.com/docs/reference/rl2-token-oauth/);
the org-wide limit still caps all clients together.  The headers report the org-wide
bucket only (Okta documents them as the org-wide limit), so a client learns of its
ceiling from the 429.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

# Endpoint families (bucket keys), after Okta's management rate-limit table
# (developer.okta.com/docs/reference/rl-global-mgmt/).  "/api/v1/apps" is Okta's
# "/api/v1/apps*": the list and every child (`/apps/{id}/users`, `/apps/{id}/groups`,
# single assignments); only the app itself, exactly `/apps/{id}`, is counted apart.
# "/api/v1/groups" likewise holds every group path but exactly `/groups/{id}` (so
# `/groups/{id}/users` shares the list's budget).  Users keep the list and the user
# by id apart, and the user's children that Okta does not name go to "/api/v1/*".
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
# Issue 17's default per-minute figures: users 600, groups 500, apps* 100, logs 120.
DEFAULT_LIMITS: dict[str, int] = {
    "/api/v1/users": 600,
    "/api/v1/users/{id}": 600,
    "/api/v1/groups": 500,
    "/api/v1/groups/{id}": 600,
    "/api/v1/apps": 100,
    # "Get, update, or delete an app by ID": 500 to 600 depending on the plan.
    "/api/v1/apps/{id}": 500,
    "/api/v1/logs": 120,
    # Okta's management rate-limit page lists /api/v1/devices on its own (100-150/min);
    # every other security endpoint is in "Most other API actions: /api/v1".
    "/api/v1/devices": 100,
    "/api/v1/*": 600,
    "/oauth2/v1/token": 600,
}


def bucket_for(path: str) -> str:
    if path == "/oauth2/v1/token" or path == "/api/v1/logs":
        return path
    if not path.startswith("/api/"):
        return "other"
    parts = path.split("/")  # "", "api", "v1", family, id, child...
    family = parts[3] if len(parts) > 3 else ""
    if family == "devices":
        return "/api/v1/devices"
    if family not in ("users", "groups", "apps") or (len(parts) > 4 and parts[4] == "rules"):
        return "/api/v1/*"  # /groups/rules is no group
    base = f"/api/v1/{family}"
    if len(parts) == 5 and parts[4]:
        return base + "/{id}"  # exactly the object
    if len(parts) > 5 and (family == "users" or parts[5] == "roles"):
        # "Get a user by ID: only GET to /api/v1/users/{idOrLogin}": a user's factors
        # and roles, and a group's roles, are "Most other API actions".
        return "/api/v1/*"
    return base


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
    # Fraction of each bucket one API token or service app may use per window (Okta's
    # default 50%); 1.0 or more = no per-client ceiling.
    token_share: float = 0.5

    def limit_for(self, bucket: str) -> int:
        return self.limits.get(bucket, self.default_limit)

    def client_limit_for(self, bucket: str) -> int | None:
        """A single client's ceiling in ``bucket``, or None when there is none."""
        if self.token_share >= 1.0:
            return None
        # Okta's admin console allows 5% at the least; a client always gets one request.
        return max(1, math.floor(self.limit_for(bucket) * self.token_share + 1e-9))


@dataclass
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_real: float  # real epoch seconds when the window ends
    client_ceiling: bool = False  # refused for the client's share, not the org's limit


@dataclass
class _Window:
    end_mono: float
    end_real: float
    used: int = 0
    by_client: dict[str, int] = field(default_factory=dict)


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def hit(self, bucket: str, config: RateLimitConfig, client: str | None = None) -> RateDecision:
        """Count one request; ``client`` (a token or service app) is held to its share."""
        limit = config.limit_for(bucket)
        client_limit = config.client_limit_for(bucket) if client is not None else None
        with self._lock:
            now_mono = time.monotonic()
            win = self._windows.get(bucket)
            if win is None or now_mono >= win.end_mono:
                win = _Window(now_mono + config.window_seconds, time.time() + config.window_seconds)
                self._windows[bucket] = win
            if config.enabled and win.used >= limit:
                return RateDecision(False, limit, 0, win.end_real)
            spent = win.by_client.get(client, 0) if client is not None else 0
            if config.enabled and client_limit is not None and spent >= client_limit:
                # The org-wide figure stays in Limit; Remaining says this client has none.
                return RateDecision(False, limit, 0, win.end_real, client_ceiling=True)
            win.used += 1
            if client is not None:
                win.by_client[client] = spent + 1
            return RateDecision(True, limit, max(limit - win.used, 0), win.end_real)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


def reset_header_value(reset_real: float, server_offset: float) -> int:
    """Epoch seconds on the server clock, rounded up (never earlier than the real end)."""
    return math.ceil(reset_real + server_offset)
