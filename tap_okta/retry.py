"""Backoff for transient failures (5xx, timeouts, dropped connections).

Shared by the API client and the OAuth token request so both ride through
the same faults the same way: the same attempts, delays, give-up rules and
wording. Rate limits (429) are not handled here: their wait comes from
Okta's headers (see ``ratelimit``).
"""

from __future__ import annotations

import logging
import os
import random
import ssl
import time
import typing as t
from dataclasses import dataclass, field

import requests

from tap_okta.errors import TLSVerificationError
from tap_okta.transport import DeadlineExceeded

logger = logging.getLogger("tap-okta")

#: Test-only (see ``time_scale``); not a tap setting and not for users.
TIME_SCALE_ENV = "TAP_OKTA_TEST_TIME_SCALE"


def time_scale() -> float:
    """The factor applied to the waits the tap chooses itself: 1.0 in real runs.

    For the test suite only: ``TAP_OKTA_TEST_TIME_SCALE`` (a number in (0, 1])
    shortens backoff delays, the OAuth token retries (both ``Backoff``) and the
    rate limiter's jitter and fallback waits, so subprocess tests do not sleep
    through real backoff. Waits Okta announces (a bucket's reset) are never
    scaled: the simulator keeps real-time windows. Anything else, or unset,
    leaves every wait as it is.
    """
    try:
        scale = float(os.environ.get(TIME_SCALE_ENV, "1"))
    except ValueError:
        return 1.0
    return scale if 0 < scale <= 1 else 1.0


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
    scale: float = field(default_factory=time_scale)

    def delay(self, failures: int) -> float:
        """Wait after the ``failures``-th consecutive failure (1-based)."""
        ceiling = self.scale * min(self.cap_seconds, self.base_seconds * float(2 ** (failures - 1)))
        # "Equal jitter": never less than half the step, so retries stay spaced,
        # yet clients that failed together do not retry together.
        return float(ceiling / 2 + self.rng.uniform(0, ceiling / 2))

    def gives_up(self, failures: int, *, reached: bool, limit: int | None = None) -> bool:
        """Stop after ``limit`` failures in a row, or sooner if the host was never
        reached: a wrong org_url or a blocked network will not fix itself in
        seconds."""
        return failures >= (limit or self.max_attempts) or (
            not reached and failures >= UNREACHABLE_ATTEMPTS
        )

    def pause(self, failures: int, what: str, *, limit: int | None = None) -> None:
        """Warn ``<what>; retrying in …`` and wait before the next attempt."""
        delay = self.delay(failures)
        logger.warning(
            "%s; retrying in %.1f s (attempt %d of %d).",
            what,
            delay,
            failures + 1,
            limit or self.max_attempts,
        )
        self.sleep(delay)


# Host not found or connection refused this many times in a row: give up.
UNREACHABLE_ATTEMPTS = 2


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
    if isinstance(exc, DeadlineExceeded):
        return str(exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped mid-response"
    if never_reached(exc):
        return "the host could not be resolved or refused the connection"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "the connection failed or was dropped"
    return type(exc).__name__


def untrusted_certificate(exc: BaseException) -> str | None:
    """OpenSSL's reason when ``exc`` is a failed certificate verification, else None."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return str(current.verify_message or current.reason or "certificate verify failed")
        # requests and urllib3 wrap the ssl error in their own, as an argument
        # or as MaxRetryError.reason.
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        for linked in (getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None


def fail_fast(exc: BaseException, origin: str) -> None:
    """Raise at once for failures no retry can fix (an untrusted TLS certificate)."""
    reason = untrusted_certificate(exc)
    if reason is not None:
        raise TLSVerificationError(
            f"TLS verification failed for the Okta org at {origin} ({reason}): this "
            "machine does not trust the certificate it was shown. Behind a corporate "
            "proxy that inspects TLS, set REQUESTS_CA_BUNDLE to a PEM file holding the "
            "proxy's CA certificate; otherwise check org_url (TAP_OKTA_ORG_URL)."
        ) from None
