"""Rate-limit arithmetic on crafted responses (the flows run against the simulator),
and the test-only time scale of the tap's own waits."""

from __future__ import annotations

import email.utils
import logging
import random

import pytest
import requests

from tap_okta.errors import OktaUnavailableError
from tap_okta.ratelimit import RateLimiter, ServerClock, okta_bucket
from tap_okta.retry import TIME_SCALE_ENV, Backoff, time_scale


class FakeTime:
    def __init__(self, wall: float) -> None:
        self.wall = wall
        self.mono = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.wall += seconds
        self.mono += seconds


def response(
    *, date: float | None, limit: str = "100", remaining: str = "50", reset: float | str = ""
) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 200
    if date is not None:
        resp.headers["Date"] = email.utils.formatdate(date, usegmt=True)
    resp.headers["X-Rate-Limit-Limit"] = limit
    resp.headers["X-Rate-Limit-Remaining"] = remaining
    resp.headers["X-Rate-Limit-Reset"] = str(reset)
    return resp


def limiter(clock: FakeTime, share: float = 0.5, max_wait: float = 60) -> RateLimiter:
    return RateLimiter(
        share=share,
        max_wait=max_wait,
        server_clock=ServerClock(wall=lambda: clock.wall),
        sleep=clock.sleep,
        clock=lambda: clock.mono,
        rng=random.Random(1),
    )


@pytest.mark.parametrize("skew", [-3600.0, 0.0, 7200.0])
def test_reset_is_measured_on_oktas_clock_not_ours(skew: float) -> None:
    clock = FakeTime(wall=1_700_000_000.0)
    server_now = clock.wall + skew
    rl = limiter(clock)
    resp = response(date=server_now, remaining="40", reset=server_now + 20)
    rl.server_clock.observe(resp)
    rl.observe("/api/v1/users", resp)
    rl.before_request("/api/v1/users")  # 60 of 100 used, share 0.5 -> wait
    assert len(clock.slept) == 1
    assert 20 <= clock.slept[0] <= 20.3


def test_no_wait_while_within_share_and_minimum_of_repeated_headers() -> None:
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)
    # Okta may repeat the header: the smaller value counts. 46 of 100 used: within
    # the share of 50 less its margin (47).
    resp = response(date=clock.wall, remaining="90, 54", reset=clock.wall + 30)
    rl.server_clock.observe(resp)
    rl.observe("/api/v1/users", resp)
    rl.before_request("/api/v1/users")
    assert clock.slept == []
    resp = response(date=clock.wall, remaining="53, 80", reset=clock.wall + 30)
    rl.observe("/api/v1/users", resp)
    rl.before_request("/api/v1/users")
    assert len(clock.slept) == 1


def test_other_buckets_are_independent() -> None:
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)
    resp = response(date=clock.wall, limit="20", remaining="0", reset=clock.wall + 10)
    rl.observe("/api/v1/logs", resp)
    rl.before_request("/api/v1/users")
    assert clock.slept == []


def test_429_waits_until_reset_and_logs_bucket(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)
    resp = response(date=clock.wall, remaining="0", reset=clock.wall + 7)
    resp.status_code = 429
    rl.server_clock.observe(resp)
    rl.after_429("/api/v1/apps", resp, attempt=1)
    assert 7 < clock.slept[0] < 7.3
    assert "/api/v1/apps" in caplog.text
    assert "waiting 7." in caplog.text


def test_concurrency_429_backs_off_briefly_and_increasingly() -> None:
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)
    resp = response(date=clock.wall, limit="0", remaining="0", reset=clock.wall)
    waits = []
    for attempt in (1, 2, 3):
        rl.after_429("/api/v1/users", resp, attempt=attempt)
        waits.append(clock.slept[-1])
    assert waits[0] < waits[1] < waits[2] < 5


def test_429_budget_ends_the_run_with_a_clear_message() -> None:
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock, max_wait=25)
    for _ in range(2):
        resp = response(date=clock.wall, remaining="0", reset=clock.wall + 10)
        rl.server_clock.observe(resp)
        rl.after_429("/api/v1/logs", resp, attempt=1)
    resp = response(date=clock.wall, remaining="0", reset=clock.wall + 10)
    rl.server_clock.observe(resp)
    with pytest.raises(OktaUnavailableError, match="rate_limit_max_wait"):
        rl.after_429("/api/v1/logs", resp, attempt=1)
    assert 20 < sum(clock.slept) <= 25


def test_server_clock_never_runs_ahead_of_okta() -> None:
    clock = FakeTime(wall=1_700_000_000.25)
    server = ServerClock(wall=lambda: clock.wall)
    true_offset = 12.7
    for step in range(30):
        clock.wall += 0.37
        server.observe(response(date=int(clock.wall + true_offset)))
        assert server.offset <= true_offset
        if step > 10:
            assert server.offset > true_offset - 0.4


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/api/v1/apps", "/api/v1/apps"),
        ("/api/v1/apps/{appId}/users", "/api/v1/apps"),
        ("/api/v1/apps/{appId}/groups", "/api/v1/apps"),
        ("/api/v1/apps/0oa1/users/00u1", "/api/v1/apps"),
        ("/api/v1/apps/0oa1", "/api/v1/apps/{id}"),
        ("/api/v1/users", "/api/v1/users"),
        ("/api/v1/users/{userId}/factors", "/api/v1/*"),
        ("/api/v1/groups", "/api/v1/groups"),
        ("/api/v1/groups/{groupId}/users", "/api/v1/groups"),
        ("/api/v1/groups/{groupId}/apps", "/api/v1/groups"),
        ("/api/v1/groups/rules", "/api/v1/*"),
        ("/api/v1/groups/{groupId}/roles", "/api/v1/*"),
        ("/api/v1/logs", "/api/v1/logs"),
        ("/api/v1/devices", "/api/v1/devices"),
        ("/api/v1/policies/{policyId}/rules", "/api/v1/*"),
        ("/oauth2/v1/token", "/oauth2/v1/token"),
    ],
)
def test_routes_map_to_oktas_buckets(path: str, bucket: str) -> None:
    assert okta_bucket(path) == bucket


def test_routes_of_one_bucket_share_one_budget() -> None:
    """apps, app_users and app_groups draw on one Okta bucket: once the run has sent
    its share through any of them, every one of them waits."""
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)
    routes = ("/api/v1/apps", "/api/v1/apps/{appId}/users", "/api/v1/apps/{appId}/groups")
    sent = 0
    remaining = 100
    while not clock.slept:
        route = routes[sent % 3]
        rl.before_request(route)
        if clock.slept:
            break
        sent += 1
        remaining -= 1
        rl.observe(
            route, response(date=clock.wall, remaining=str(remaining), reset=clock.wall + 30)
        )
    assert sent == 47  # floor(100 x 0.5 x 0.95), whichever routes they went to


def test_a_429_below_the_share_lowers_the_next_windows_budget(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Okta's per-token ceiling is not in the headers before it bites: a 429 after
    30 requests of this run (the org's other integrations drained the rest)
    keeps later windows below that count."""
    caplog.set_level(logging.INFO)
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)

    def window(refused_after: int | None) -> int:
        reset = clock.wall + 30
        sent = 0
        while True:
            rl.before_request("/api/v1/logs")
            if clock.slept and clock.slept[-1] > 0 and clock.wall >= reset:
                return sent
            sent += 1
            if refused_after is not None and sent > refused_after:
                resp = response(date=clock.wall, limit="120", remaining="0", reset=reset)
                resp.status_code = 429
                rl.observe("/api/v1/logs", resp)
                rl.after_429("/api/v1/logs", resp, attempt=1)
                return sent - 1
            rl.observe(
                "/api/v1/logs",
                response(date=clock.wall, limit="120", remaining=str(120 - sent), reset=reset),
            )

    assert window(refused_after=30) == 30
    assert "stay below 28" in caplog.text
    assert window(refused_after=None) == 28  # floor(29 x 0.95)


# --- the suite's time scale (TAP_OKTA_TEST_TIME_SCALE) ----------------------------------


@pytest.mark.parametrize(
    ("raw", "scale"), [(None, 1.0), ("0.1", 0.1), ("1", 1.0), ("0", 1.0), ("2", 1.0), ("x", 1.0)]
)
def test_the_time_scale_takes_only_a_fraction_of_one(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, scale: float
) -> None:
    if raw is None:
        monkeypatch.delenv(TIME_SCALE_ENV, raising=False)
    else:
        monkeypatch.setenv(TIME_SCALE_ENV, raw)
    assert time_scale() == scale


def test_the_time_scale_shortens_the_taps_own_waits_not_oktas_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TIME_SCALE_ENV, "0.1")
    backoff = Backoff(rng=random.Random(1))
    assert all(0.05 * 2**n <= backoff.delay(n + 1) <= 0.1 * 2**n for n in range(4))
    clock = FakeTime(wall=1_700_000_000.0)
    rl = limiter(clock)
    reset = response(date=clock.wall, remaining="0", reset=clock.wall + 7)
    rl.server_clock.observe(reset)
    rl.after_429("/api/v1/apps", reset, attempt=1)
    assert 7 < clock.slept[-1] < 7.03  # Okta's reset in full, a tenth of the jitter
    concurrency = response(date=clock.wall, limit="0", remaining="0", reset=clock.wall)
    rl.after_429("/api/v1/users", concurrency, attempt=3)
    assert 0.4 < clock.slept[-1] < 0.43  # 4 s of the tap's own backoff, scaled
