"""Okta rate limits: pace requests per bucket and wait out 429s.

Okta reports a bucket's state on every response (``X-Rate-Limit-Limit``,
``-Remaining``, ``-Reset``). Buckets are small and shared with every other
integration of the org, so the tap spends at most ``share`` of each one and
then waits for the window to reset. Reset times are compared with the
response's ``Date`` header, not the local clock, so a skewed clock neither
triggers early retries nor long sleeps.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import os
import random
import time
import typing as t
from collections import deque
from dataclasses import dataclass

from tap_okta.budget import RunCapReached
from tap_okta.errors import OktaUnavailableError
from tap_okta.retry import time_scale

if t.TYPE_CHECKING:
    import requests

logger = logging.getLogger("tap-okta")

# A reset further away than this is a broken header, not a real window
# (Okta's windows are about a minute); waiting longer than this would stall.
_MAX_RESET_SECONDS = 300.0
# Jitter after a reset so a queue of clients does not stampede the new window.
_RESET_JITTER_SECONDS = 0.25


def _header_ints(response: requests.Response, name: str) -> list[int]:
    # urllib3 joins repeated header lines with ", "; Okta can send a header twice.
    raw = response.headers.get(name)
    values = []
    for part in (raw or "").split(","):
        try:
            values.append(int(float(part.strip())))
        except (ValueError, OverflowError):
            continue  # not a number, or inf / 1e999: no usable value
    return values


#: A sample further than this from the local clock is a broken header (a proxy's,
#: a load balancer's), not Okta's time: ignored. Generous, so an hour's skew either
#: way (a host without NTP) is still corrected for rate-limit resets and JWTs.
MAX_OFFSET_SECONDS = 24 * 3600.0
#: The latest time the tap may save (``now_datetime``), past the local clock.
#: Saved times bound later reads: one too late would skip what happened before it.
SAVE_MARGIN_SECONDS = 60.0
#: Headers only Okta's own answers carry (a proxy's error page has neither).
OKTA_HEADERS = ("X-Okta-Request-Id", "X-Rate-Limit-Limit")


#: For the test suite only: seconds added to this machine's clock, so a test that
#: moves the simulated Okta's clock forward (days without a run) moves the tap's
#: too, as time passing would. Anything else, or unset: the clock as it is.
CLOCK_OFFSET_ENV = "TAP_OKTA_TEST_CLOCK_OFFSET"


def local_time() -> float:
    """This machine's clock (``time.time``), shifted only by ``CLOCK_OFFSET_ENV``."""
    try:
        shift = float(os.environ.get(CLOCK_OFFSET_ENV, "0"))
    except ValueError:
        shift = 0.0
    return time.time() + (shift if math.isfinite(shift) else 0.0)


def is_okta_answer(response: requests.Response) -> bool:
    """A 2xx-4xx answer carrying Okta's own headers: its ``Date`` is Okta's clock.

    5xx answers are left out: most come from a proxy or load balancer in front
    of Okta, whose clock may be anything, and a few may still carry Okta's
    headers passed through.
    """
    if not 200 <= response.status_code < 500:
        return False
    return any(response.headers.get(name) for name in OKTA_HEADERS)


class ServerClock:
    """Okta's current time, estimated from the ``Date`` headers it sends.

    ``Date`` has whole-second resolution and arrives after network latency, so
    each sample (Date minus local time at receipt) is at or below the true
    offset; the largest recent sample is the closest estimate that is never
    ahead of Okta. Waiting on this clock is never early and never far too long,
    whatever the local clock says. Recent samples only: the local clock may be
    corrected mid-run.

    Only Okta's own answers count (``is_okta_answer``), and only within
    ``MAX_OFFSET_SECONDS`` of the local clock. The time the tap saves
    (``now_datetime``) is never later than the local clock plus
    ``SAVE_MARGIN_SECONDS``: a later one would make every later run skip reads.
    """

    def __init__(self, wall: t.Callable[[], float] = local_time, samples: int = 20) -> None:
        self._wall = wall
        self._offsets: deque[float] = deque(maxlen=samples)
        self._warned = False

    def observe(self, response: requests.Response) -> None:
        date = response.headers.get("Date")
        if not date or not is_okta_answer(response):
            return
        try:
            server_time = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        offset = server_time - self._wall()
        if not math.isfinite(offset) or abs(offset) > MAX_OFFSET_SECONDS:
            if not self._warned:
                self._warned = True
                logger.warning(
                    "Okta's Date header (%s) is %.0f hours from this machine's clock: "
                    "ignored, the tap keeps the local clock. Check the machine's time "
                    "(NTP) and any proxy in front of Okta.",
                    date[:40],
                    offset / 3600 if math.isfinite(offset) else float("inf"),
                )
            return
        self._offsets.append(offset)

    @property
    def offset(self) -> float:
        return max(self._offsets) if self._offsets else 0.0

    def now(self) -> float:
        return self._wall() + self.offset

    def now_datetime(self) -> dt.datetime:
        """Okta's time as the tap saves it: never past the local clock's margin."""
        latest = self._wall() + SAVE_MARGIN_SECONDS
        return dt.datetime.fromtimestamp(min(self.now(), latest), tz=dt.timezone.utc)

    def seconds_until_reset(self, response: requests.Response) -> float | None:
        """Seconds until ``X-Rate-Limit-Reset``, on Okta's clock."""
        resets = _header_ints(response, "X-Rate-Limit-Reset")
        if not resets:
            return None
        return min(max(min(resets) - self.now(), 0.0), _MAX_RESET_SECONDS)


#: Below the share, so a window's last requests (and the org's other
#: integrations' between two of ours) never reach Okta's per-token ceiling,
#: which the headers do not announce before it bites.
SHARE_MARGIN = 0.05


def okta_bucket(path: str) -> str:
    """The Okta rate-limit bucket a request path (or a stream's path template) counts in.

    Routes in one bucket share one budget. Okta's management buckets: a family's
    list and its children share one (``/api/v1/apps*``: the apps, an app's users
    and groups, one assignment; ``/api/v1/groups*``: the groups, a group's
    members and apps); one object by id has its own; the System Log, devices and
    the token endpoint theirs; a user's factors and roles, a group's roles and
    the other security endpoints share "most other API actions".
    """
    if path in ("/oauth2/v1/token", "/api/v1/logs"):
        return path
    parts = path.split("/")  # "", "api", "v1", family, id, child, ...
    if parts[1:3] != ["api", "v1"] or len(parts) < 4:
        return path
    family = parts[3]
    if family == "devices":
        return "/api/v1/devices"
    if family not in ("users", "groups", "apps") or (len(parts) > 4 and parts[4] == "rules"):
        return "/api/v1/*"
    base = f"/api/v1/{family}"
    if len(parts) == 5:
        return base + "/{id}"
    if len(parts) > 5 and (family == "users" or parts[5] == "roles"):
        return "/api/v1/*"
    return base


@dataclass
class BucketState:
    limit: int
    remaining: int
    reset_at: float  # on the local monotonic clock
    #: Seconds to the reset as announced (uncapped), for messages.
    announced: float = 0.0
    #: Requests this run sent in the current window.
    sent: int = 0


class RateLimiter:
    """Per-bucket bookkeeping shared by every stream of one run."""

    def __init__(
        self,
        *,
        share: float,
        max_wait: float,
        server_clock: ServerClock,
        sleep: t.Callable[[float], None] = time.sleep,
        clock: t.Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.share = share
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self.server_clock = server_clock
        self._rng = rng or random.Random()
        # The tap's own jitter and fallback waits; never the resets Okta announces.
        self._scale = time_scale()
        self._buckets: dict[str, BucketState] = {}
        #: Per bucket, the most requests a window took before Okta answered 429 (its
        #: per-token ceiling): later windows stay below it.
        self._learned: dict[str, int] = {}
        self.throttled_seconds = 0.0  # waits in 429s
        self.throttled_responses = 0
        self.paced_seconds = 0.0  # planned waits for a window to reset
        #: Waits counted against max_wait: 429s, and windows emptied by others.
        self.budgeted_seconds = 0.0

    def observe(self, route: str, response: requests.Response) -> None:
        """Record a bucket's state from any response that carries the headers."""
        limits = _header_ints(response, "X-Rate-Limit-Limit")
        remaining = _header_ints(response, "X-Rate-Limit-Remaining")
        wait = self.server_clock.seconds_until_reset(response)
        if not limits or not remaining or wait is None or min(limits) <= 0:
            return  # the concurrency-limit 429 reports 0/0: not a bucket state
        bucket = okta_bucket(route)
        reset_at = self._clock() + wait
        previous = self._buckets.get(bucket)
        # The same window (its reset within a second of the one known): keep counting.
        same_window = previous is not None and abs(previous.reset_at - reset_at) < 1.5
        self._buckets[bucket] = BucketState(
            limit=min(limits),
            remaining=min(remaining),
            reset_at=reset_at,
            sent=previous.sent if previous is not None and same_window else 1,
            announced=self.announced_reset(response) or wait,
        )

    def allowed(self, bucket: str, limit: int) -> int:
        """Requests this run may send in one window of ``bucket``."""
        allowed = max(1, math.floor(limit * self.share * (1 - SHARE_MARGIN)))
        learned = self._learned.get(bucket)
        return min(allowed, learned) if learned else allowed

    def announced_reset(self, response: requests.Response) -> float | None:
        """Seconds until the reset the response announces, uncapped (for messages)."""
        resets = _header_ints(response, "X-Rate-Limit-Reset")
        return max(min(resets) - self.server_clock.now(), 0.0) if resets else None

    def _within_run(self, wait: float, bucket: str, run_left: float | None) -> None:
        if run_left is not None and wait > run_left:
            logger.info(
                "Rate limit: waiting %.1f s for %s would end past max_run_seconds; "
                "stopping the read here.",
                wait,
                bucket,
            )
            raise RunCapReached(bucket)

    def before_request(self, route: str, run_left: float | None = None) -> None:
        """Wait for the bucket to reset once this run has used its share of it.

        ``run_left``: seconds left before ``max_run_seconds`` for a read that can
        stop between pages (None: it cannot); a longer wait raises ``RunCapReached``.
        """
        bucket = okta_bucket(route)
        state = self._buckets.get(bucket)
        if state is None:
            return
        allowed = self.allowed(bucket, state.limit)
        # The headers count everyone's requests; ours are part of them.
        used = max(state.limit - state.remaining, state.sent)
        wait = state.reset_at - self._clock()
        if wait <= 0:
            del self._buckets[bucket]
            return
        if used < allowed:
            state.sent += 1
            return
        wait += self._scale * self._rng.uniform(0, _RESET_JITTER_SECONDS)
        self._within_run(wait, bucket, run_left)
        if state.sent < allowed:
            # The bucket is empty before this run used its share: other integrations
            # drained it, or a header says so. Not the tap's own pacing: count it.
            if self.budgeted_seconds + wait > self.max_wait:
                raise OktaUnavailableError(
                    f"Okta's rate-limit headers say {bucket} has {state.remaining} of "
                    f"{state.limit} requests left until its reset in {state.announced:.0f} "
                    f"s, though this run sent only {state.sent} in this window: waiting "
                    f"would pass rate_limit_max_wait={self.max_wait:g} (waited "
                    f"{self.budgeted_seconds:.0f} s so far). Other integrations may be "
                    "draining the bucket, or a proxy rewrites Okta's headers: run later, "
                    "or raise rate_limit_max_wait; re-running resumes from the saved state."
                )
            self.budgeted_seconds += wait
        logger.info(
            "Rate limit: %s has used %d of %d requests in this window (this run may use "
            "%d, rate_limit_share=%s); waiting %.1f s for the window to reset.",
            bucket,
            used,
            state.limit,
            allowed,
            self.share,
            wait,
        )
        self._sleep(wait)
        self.paced_seconds += wait
        del self._buckets[bucket]

    def after_429(
        self,
        route: str,
        response: requests.Response,
        attempt: int,
        run_left: float | None = None,
    ) -> None:
        """Wait out a 429 until the reset Okta announced; enforce the wait budget.

        A 429 while this run had sent fewer requests than its share is Okta's
        per-token ceiling (or other integrations): later windows stay below the
        count that drew it.
        """
        self.throttled_responses += 1
        bucket = okta_bucket(route)
        limits = _header_ints(response, "X-Rate-Limit-Limit")
        concurrency = bool(limits) and min(limits) == 0
        state = self._buckets.get(bucket)
        if not concurrency and state is not None and state.sent > 1:
            learned = max(1, math.floor((state.sent - 1) * (1 - SHARE_MARGIN)))
            if learned < self._learned.get(bucket, learned + 1):
                self._learned[bucket] = learned
                logger.info(
                    "Rate limit: Okta refused %s after %d requests of this run in one "
                    "window; later windows stay below %d.",
                    bucket,
                    state.sent,
                    learned,
                )
        wait = self.server_clock.seconds_until_reset(response)
        if wait is None or wait <= 0 or concurrency:
            # No usable reset (or the concurrency limit's estimate): back off
            # briefly and increasingly instead of hammering the org.
            wait = max(wait or 0.0, self._scale * min(2.0 ** (attempt - 1), 30.0))
        wait += self._scale * self._rng.uniform(0.05, _RESET_JITTER_SECONDS)
        announced = self.announced_reset(response)
        if not concurrency and announced is not None and announced > self.max_wait:
            raise OktaUnavailableError(
                f"Okta answered 429 (too many requests) for {bucket} and announced the "
                f"bucket's reset in {announced:.0f} s, beyond rate_limit_max_wait="
                f"{self.max_wait:g}: not waiting that long. Run later, or raise "
                "rate_limit_max_wait; re-running resumes from the saved state."
            )
        self._within_run(wait, bucket, run_left)
        if self.budgeted_seconds + wait > self.max_wait:
            raise OktaUnavailableError(
                f"Okta kept answering 429 (too many requests) for {bucket}: waited "
                f"{self.budgeted_seconds:.0f} s in total, past rate_limit_max_wait="
                f"{self.max_wait:.0f}. Other integrations may be draining the same "
                "bucket: run later, lower their load, or raise rate_limit_max_wait; "
                "re-running resumes from the saved state."
            )
        kind = "concurrent-request limit" if concurrency else "rate limit"
        logger.info(
            "Rate limit: Okta answered 429 (%s) for %s; waiting %.1f s before retrying.",
            kind,
            bucket,
            wait,
        )
        self._sleep(wait)
        self.throttled_seconds += wait
        self.budgeted_seconds += wait
        self._buckets.pop(bucket, None)
