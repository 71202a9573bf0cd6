"""Simulator clock and Okta timestamp formatting.

Okta objects carry two timestamp flavours: whole-second management timestamps
(``2025-08-07T13:11:36.000Z``) and millisecond System Log timestamps
(``2024-12-31T22:08:59.019Z``).  Everything in the simulated org (object
timestamps, token expiry, log retention, the default ``since``) reads
:class:`SimClock`, so a test can move org time forward without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

UTC = timezone.utc


class SimClock:
    """Real time plus an adjustable offset (``advance`` moves org time only)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else _aware(start).timestamp() - time.time()

    @property
    def offset(self) -> float:
        """Seconds the simulated clock is ahead of the real clock."""
        with self._lock:
            return self._offset

    def time(self) -> float:
        """Simulated epoch seconds (float)."""
        with self._lock:
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def now_ms(self) -> int:
        return int(self.time() * 1000)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set(self, when: datetime) -> None:
        """Jump so that ``now()`` returns ``when`` (and keeps ticking from there)."""
        with self._lock:
            self._offset = _aware(when).timestamp() - time.time()


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def to_epoch(dt: datetime) -> float:
    return _aware(dt).timestamp()


def fmt_seconds(epoch: float) -> str:
    """Whole-second Okta timestamp: ``2025-08-07T13:11:36.000Z`` (truncated, not rounded)."""
    dt = datetime.fromtimestamp(int(epoch // 1), tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"


def fmt_ms(epoch_ms: int) -> str:
    """Millisecond System Log timestamp: ``2024-12-31T22:08:59.019Z``."""
    dt = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{epoch_ms % 1000:03d}Z"


def parse_iso(value: str, *, require_tz: bool = True) -> datetime:
    """Parse an ISO-8601 date-time; raise ``ValueError`` when Okta would reject it.

    Accepts ``Z`` or a numeric offset and any fraction.  Python 3.10's
    ``fromisoformat`` does not take ``Z``, hence the rewrite.
    """
    text = value.strip()
    if "T" not in text:
        raise ValueError(f"not a date-time: {value!r}")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat on 3.10 only accepts 3 or 6 fraction digits: normalise to 6.
    head, sep, rest = text.partition(".")
    if sep:
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        if not digits:
            raise ValueError(f"bad fraction: {value!r}")
        text = f"{head}.{(digits + '000000')[:6]}{rest[i:]}"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        if require_tz:
            raise ValueError(f"date-time without a zone: {value!r}")
        dt = dt.replace(tzinfo=UTC)
    return dt


def parse_to_micros(value: str) -> int:
    """Instant of an ISO timestamp as integer epoch microseconds (exact comparisons)."""
    dt = parse_iso(value)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def days(n: float) -> timedelta:
    return timedelta(days=n)
