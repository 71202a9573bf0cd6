"""Backoff for transient failures (5xx, timeouts, dropped connections).

Shared by the API client and the OAuth token request so both ride through
the same faults the same way. Rate limits (429) are not handled here: their
wait comes from Okta's headers (see ``ratelimit``).
"""

from __future__ import annotations

import random
import time
import typing as t
from dataclasses import dataclass, field

import requests

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionResetError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass
class Backoff:
    """Exponential backoff with jitter, bounded in attempts."""

    max_attempts: int = 6
    base_seconds: float = 1.0
    cap_seconds: float = 30.0
    sleep: t.Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        """Wait after the ``failures``-th consecutive failure (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * float(2 ** (failures - 1)))
        # "Equal jitter": never less than half the step, so retries stay spaced,
        # yet clients that failed together do not retry together.
        return float(ceiling / 2 + self.rng.uniform(0, ceiling / 2))

    def exhausted(self, failures: int) -> bool:
        return failures >= self.max_attempts


def never_reached(exc: BaseException) -> bool:
    """True when the host could not be resolved or refused the connection."""
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NameResolutionError",
            "Name or service not known",
            "nodename nor servname",
            "Temporary failure in name resolution",
            "Connection refused",
            "ConnectionRefusedError",
        )
    )


def describe_transient(exc: BaseException) -> str:
    """A short, secret-free description of a network failure."""
    if isinstance(exc, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped mid-response"
    if never_reached(exc):
        return "the host could not be resolved or refused the connection"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "the connection failed or was dropped"
    return type(exc).__name__
