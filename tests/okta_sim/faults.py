"""Injected failures for ``/api/v1/*`` (and, separately, the token endpoint).

Faults are decided before the request touches the org and never change org
state or cursors, so a retried request gets the same page.  Random faults use a
seeded ``random.Random`` so a run is reproducible; ``queue`` scripts exact
faults for the next requests ("500", "502", "503", "504", "429", "drop",
"truncate", "html", "malformed", "redirect", "slow").
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

QUEUE_KINDS = frozenset(
    {"500", "502", "503", "504", "429", "drop", "truncate", "html", "malformed", "redirect", "slow"}
)


@dataclass(frozen=True)
class Fault:
    kind: str  # error | drop | truncate | html | malformed | redirect | fail | ratelimit | slow
    status: int = 200
    html_body: bool = False


@dataclass
class FaultConfig:
    error_rate: float = 0.0  # random 500/502/503/504
    drop_rate: float = 0.0  # close the connection without a response
    truncate_rate: float = 0.0  # full Content-Length, half the body, close
    slow_rate: float = 0.0  # sleep ``slow_seconds`` before answering
    slow_seconds: float = 2.0
    fail_paths: list[str] = field(default_factory=list)  # regex -> always 500
    html_paths: list[str] = field(default_factory=list)  # regex -> 200 text/html
    malformed_json_paths: list[str] = field(default_factory=list)  # regex -> 200 broken JSON
    redirect_paths: list[str] = field(default_factory=list)  # regex -> 302 to 127.0.0.2
    token_error_rate: float = 0.0  # token endpoint: random 500/503
    logs_timeout_over_limit: int | None = None  # /logs limit above this -> 500 E0000009
    queue: list[str] = field(default_factory=list)  # scripted one-shot faults, FIFO
    queue_path: str | None = None  # regex: only requests matching it consume the queue
    # The Date header of injected faults' answers (a proxy or load balancer with a
    # wrong clock, e.g. "Thu, 01 Jan 2099 00:00:00 GMT"); None: the org's clock.
    fault_date: str | None = None
    seed: int = 7

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def clear(self) -> None:
        """Back to a healthy server (keeps the seed sequence)."""
        self.error_rate = self.drop_rate = self.truncate_rate = self.slow_rate = 0.0
        self.token_error_rate = 0.0
        self.fail_paths, self.html_paths = [], []
        self.malformed_json_paths, self.redirect_paths = [], []
        self.queue = []
        self.queue_path = None
        self.logs_timeout_over_limit = None
        self.fault_date = None

    @staticmethod
    def _matches(patterns: list[str], path: str, target: str) -> bool:
        return any(re.search(p, path) or re.search(p, target) for p in patterns)

    def pick_api(self, path: str, target: str) -> tuple[Fault | None, float]:
        """(fault replacing/altering the response, seconds to sleep first)."""
        with self._lock:
            if self._matches(self.fail_paths, path, target):
                return Fault("fail", 500), 0.0
            if self._matches(self.redirect_paths, path, target):
                return Fault("redirect", 302), 0.0
            if self._matches(self.html_paths, path, target):
                return Fault("html", 200, True), 0.0
            if self._matches(self.malformed_json_paths, path, target):
                return Fault("malformed", 200), 0.0
            if self.queue and (
                self.queue_path is None or self._matches([self.queue_path], path, target)
            ):
                return self._from_queue(self.queue.pop(0))
            delay = 0.0
            if self.slow_rate and self._rng.random() < self.slow_rate:
                delay = self.slow_seconds
            r = self._rng.random()
            if r < self.error_rate:
                status = self._rng.choice((500, 502, 503, 504))
                html = status in (502, 503, 504) and self._rng.random() < 0.5
                return Fault("error", status, html), delay
            r -= self.error_rate
            if r < self.drop_rate:
                return Fault("drop", 0), delay
            r -= self.drop_rate
            if r < self.truncate_rate:
                return Fault("truncate", 200), delay
            return None, delay

    def _from_queue(self, item: str) -> tuple[Fault | None, float]:
        if item not in QUEUE_KINDS:
            raise ValueError(f"unknown queued fault {item!r}; use one of {sorted(QUEUE_KINDS)}")
        if item.isdigit():
            if item == "429":
                return Fault("ratelimit", 429), 0.0
            status = int(item)
            return Fault("error", status, status != 500 and self._rng.random() < 0.5), 0.0
        if item == "slow":
            return None, self.slow_seconds
        return Fault(item, {"redirect": 302, "drop": 0}.get(item, 200), item == "html"), 0.0

    def pick_token(self) -> Fault | None:
        with self._lock:
            if self.token_error_rate and self._rng.random() < self.token_error_rate:
                return Fault("error", self._rng.choice((500, 503)))
            return None
