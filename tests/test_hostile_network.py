"""A hostile network: answers rewritten on their way from the simulator to the tap.

``tests/hostile_proxy.py`` sits between the tap's CLI and the simulator and changes
what Okta said (status, headers, Link, body) or how it arrives (a byte at a time,
a gzip bomb, a redirect). Each case ends in a bounded time: either the run goes on
correctly, or it ends with one line naming the cause, exit 1, and no traceback (the
harness fails any run that prints one). The fast tests at the end drive the same
proxy in-process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tap_okta.auth import MAX_TOKEN_LIFETIME, _lifetime
from tap_okta.budget import RunBudget, RunCapReached
from tap_okta.errors import UnreadableBody, json_body
from tap_okta.ratelimit import RateLimiter, ServerClock, _header_ints
from tap_okta.transport import MAX_BODY_BYTES, DeadlineExceeded, ResponseTooLargeError, guard
from tests.harness import (
    ALL_SCOPES,
    API_KEY,
    TapRun,
    assert_clean_failure,
    run_tap,
    service_app_config,
)
from tests.hostile_proxy import HostileProxy, Rule
from tests.okta_sim import OktaSimulator

USERS = "/api/v1/users"
LOGS = "/api/v1/logs"
TOKEN = "/oauth2/v1/token"
#: 250 users: two pages of users (200 a page), so a second request follows the first.
ORG_USERS = 250


@pytest.fixture
def sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=ORG_USERS, seed=5, api_key=API_KEY) as simulator:
        simulator.rate_limits.window_seconds = 5
        yield simulator


@pytest.fixture
def proxy(sim: OktaSimulator) -> Iterator[HostileProxy]:
    with HostileProxy(sim) as hostile:
        yield hostile


def through(proxy: HostileProxy, **settings: Any) -> dict[str, Any]:
    return {"org_url": proxy.base_url, "api_key": API_KEY, **settings}


def run_users(proxy: HostileProxy, **settings: Any) -> tuple[TapRun, float]:
    started = time.monotonic()
    run = run_tap(through(proxy, **settings), streams=("users",), timeout=60)
    return run, time.monotonic() - started


def without(key: str) -> Callable[[bytes], bytes]:
    """An edit that removes ``key`` from the page's first item."""

    def edit(body: bytes) -> bytes:
        items = json.loads(body)
        items[0].pop(key, None)
        return json.dumps(items).encode()

    return edit


def reset_in(seconds: float) -> str:
    return str(int(time.time() + seconds))


# --- runs that never end ---------------------------------------------------------------


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_trickling_answer_is_cut_at_request_timeout_and_retried(proxy: HostileProxy) -> None:
    # One byte every 0.05 s: the wait between bytes never reaches request_timeout.
    rule = Rule(path=USERS, trickle=0.05)
    proxy.add(rule)
    run, elapsed = run_users(proxy, request_timeout=1)
    assert_clean_failure(run, "longer than request_timeout=1 s", "users")
    assert rule.hits == 6  # the transient-failure policy: 6 attempts
    assert elapsed < 30


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_trickle_that_stops_is_ridden_through(proxy: HostileProxy, sim: OktaSimulator) -> None:
    proxy.add(Rule(path=USERS, trickle=0.05, times=2))
    run, _ = run_users(proxy, request_timeout=1)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(run.ids("users")) == sorted(u["id"] for u in sim.org.all_users())
    assert "longer than request_timeout=1 s" in run.stderr


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_trickling_token_answer_is_cut_at_request_timeout_too(
    proxy: HostileProxy, sim: OktaSimulator
) -> None:
    rule = Rule(path=TOKEN, trickle=0.05, times=1)
    proxy.add(rule)
    app = sim.org.register_service_app(scopes=set(ALL_SCOPES))
    config = service_app_config(sim, app, org_url=proxy.base_url, request_timeout=1)
    started = time.monotonic()
    run = run_tap(config, streams=("groups",), timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Token request failed (the whole answer took longer than request_timeout=1 s)" in (
        run.stderr
    )
    assert rule.hits == 1
    assert len(run.ids("groups")) == len(sim.org.all_groups())
    assert time.monotonic() - started < 30


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_next_links_that_go_round_in_a_circle_stop_the_read(
    proxy: HostileProxy, sim: OktaSimulator
) -> None:
    page = requests.get(
        sim.url(USERS + "?limit=200"), headers={"Authorization": f"SSWS {API_KEY}"}, timeout=30
    ).content

    def link(after: str) -> dict[str, str | None]:
        return {"Link": f'<{proxy.base_url}{USERS}?after={after}&limit=200>; rel="next"'}

    # First page -> B -> A -> B: the same two pages for ever.
    proxy.add(
        Rule(path=USERS, query="after=BBB", status=200, body=page, headers=link("AAA")),
        Rule(path=USERS, status=200, body=page, headers=link("BBB")),
    )
    run, elapsed = run_users(proxy)
    assert_clean_failure(run, "stream 'users'", "circle", "after=BBB")
    assert len(run.ids("users")) <= 3 * 200
    assert elapsed < 30


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_an_empty_bucket_on_a_200_counts_against_rate_limit_max_wait(
    proxy: HostileProxy,
) -> None:
    # A 200 saying "0 remaining, reset an hour ahead": waiting 300 s before every page.
    proxy.add(
        Rule(
            path=USERS,
            headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": reset_in(3600)},
        )
    )
    run, elapsed = run_users(proxy, rate_limit_max_wait=5)
    assert_clean_failure(run, USERS, "rate_limit_max_wait=5", "0 of 600")
    assert len(run.ids("users")) == 200  # the first page, whose state was saved
    assert elapsed < 30


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_max_run_seconds_stops_a_run_that_would_wait_past_it(proxy: HostileProxy) -> None:
    proxy.add(
        Rule(
            path=USERS,
            headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": reset_in(3600)},
        )
    )
    run, elapsed = run_users(proxy, max_run_seconds=15)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Stopped after max_run_seconds=15" in run.last_line()
    assert "users" in run.last_line()
    assert len(run.ids("users")) == 200
    assert elapsed < 40  # not the 300 s wait


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_429_whose_reset_lies_beyond_the_wait_budget_says_so(proxy: HostileProxy) -> None:
    error = b'{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}'
    proxy.add(
        Rule(
            path=USERS,
            status=429,
            body=error,
            headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": reset_in(3600)},
        )
    )
    run, elapsed = run_users(proxy, rate_limit_max_wait=60)
    assert_clean_failure(run, "429", "reset in 3", "beyond rate_limit_max_wait=60")
    assert elapsed < 30


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_gzip_bomb_is_refused_at_the_size_cap(proxy: HostileProxy) -> None:
    rule = Rule(path=USERS, gzip_bomb=MAX_BODY_BYTES + (1 << 20))
    proxy.add(rule)
    run, _ = run_users(proxy)
    assert_clean_failure(run, USERS, "larger than 64 MiB once decompressed")
    assert rule.hits == 1  # not retried: a bomb does not heal


# --- hostile answers: the run goes on, or one line ------------------------------------


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_infinite_rate_limit_headers_are_ignored(proxy: HostileProxy, sim: OktaSimulator) -> None:
    proxy.add(
        Rule(path=USERS, headers={"X-Rate-Limit-Reset": "inf", "X-Rate-Limit-Remaining": "1e999"})
    )
    run, _ = run_users(proxy)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.ids("users")) == ORG_USERS


@pytest.mark.cli
@pytest.mark.timeout(60)
@pytest.mark.parametrize("expires_in", ['"soon"', "1e999", "99999999999999"])
def test_an_odd_token_lifetime_is_taken_with_a_warning(
    proxy: HostileProxy, sim: OktaSimulator, expires_in: str
) -> None:
    def edit(body: bytes) -> bytes:
        token = json.loads(body)
        token["expires_in"] = "__X__"
        return json.dumps(token).encode().replace(b'"__X__"', expires_in.encode())

    proxy.add(Rule(path=TOKEN, edit=edit))
    app = sim.org.register_service_app(scopes=set(ALL_SCOPES))
    config = service_app_config(sim, app, org_url=proxy.base_url)
    run = run_tap(config, streams=("groups",), timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "expires_in=" in run.stderr
    assert len(run.ids("groups")) == len(sim.org.all_groups())


@pytest.mark.cli
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (b"[" * 200_000 + b"]" * 200_000, ("nested too deep", USERS)),
        (b'[1, "x", null]', ("a JSON int where each item should be an object", "'users'")),
        (
            b'{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}',
            ("HTTP 200 but an error in the body", "E0000047 API call exceeded rate limit"),
        ),
    ],
    ids=["nested-200000-deep", "items-not-objects", "okta-error-in-a-200"],
)
def test_a_mangled_page_ends_in_one_line(
    proxy: HostileProxy, body: bytes, fragments: tuple[str, ...]
) -> None:
    proxy.add(Rule(path=USERS, body=body))
    run, _ = run_users(proxy)
    assert_clean_failure(run, *fragments)


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_user_without_id_ends_in_one_line(proxy: HostileProxy) -> None:
    proxy.add(Rule(path=USERS, edit=without("id")))
    run, _ = run_users(proxy)
    assert_clean_failure(run, "stream 'users'", "without 'id'")


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_an_event_without_published_ends_in_one_line(proxy: HostileProxy) -> None:
    proxy.add(Rule(path=LOGS, edit=without("published")))
    run = run_tap(through(proxy), streams=("logs",), timeout=60)
    assert_clean_failure(run, "stream 'logs'", "without 'published'")


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_token_endpoint_redirect_points_at_a_proxy_or_login_page(
    proxy: HostileProxy, sim: OktaSimulator
) -> None:
    rule = Rule(path=TOKEN, redirect="https://login.example.com/sso?from=okta")
    proxy.add(rule)
    app = sim.org.register_service_app(scopes=set(ALL_SCOPES))
    run = run_tap(service_app_config(sim, app, org_url=proxy.base_url), streams=("groups",))
    assert_clean_failure(run, "redirect", "https://login.example.com", "proxy or a login page")
    assert "degraded" not in run.last_line()
    assert rule.hits == 1


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_foreign_next_link_on_the_last_log_page_is_refused(proxy: HostileProxy) -> None:
    foreign = '<https://evil.example.com/api/v1/logs?after=1700000000000_1&limit=1000>; rel="next"'
    proxy.add(Rule(path=LOGS, headers={"Link": foreign}))
    run = run_tap(through(proxy), streams=("logs",), timeout=60)
    assert_clean_failure(run, "stream 'logs'", "https://evil.example.com", "refusing")
    cursors = json.dumps(run.final_state)
    assert "1700000000000_1" not in cursors


@pytest.mark.cli
@pytest.mark.timeout(60)
def test_a_foreign_next_link_of_a_list_is_refused_and_its_first_page_kept(
    proxy: HostileProxy,
) -> None:
    foreign = '<http://127.0.0.2:9/api/v1/users?after=x&limit=200>; rel="next"'
    proxy.add(Rule(path=USERS, headers={"Link": foreign}))
    run, _ = run_users(proxy)
    assert_clean_failure(run, "stream 'users'", "points at http://127.0.0.2:9", "refusing")
    assert len(run.ids("users")) == 200


# --- in-process: the proxy, the adapter, the limiter ---------------------------------


def test_the_proxy_rewrites_links_headers_and_delivery(
    sim: OktaSimulator, proxy: HostileProxy
) -> None:
    auth = {"Authorization": f"SSWS {API_KEY}"}
    plain = requests.get(proxy.base_url + USERS + "?limit=5", headers=auth, timeout=30)
    assert plain.status_code == 200
    assert len(plain.json()) == 5
    assert proxy.base_url in plain.links["next"]["url"]  # the simulator's own origin, rewritten
    proxy.add(Rule(path=USERS, times=1, status=503, date="Thu, 01 Jan 2099 00:00:00 GMT"))
    odd = requests.get(proxy.base_url + USERS, headers=auth, timeout=30)
    assert odd.status_code == 503
    assert odd.headers["Date"].endswith("2099 00:00:00 GMT")
    proxy.add(Rule(path=USERS, times=1, drop_after=10))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(proxy.base_url + USERS, headers=auth, timeout=30)


def test_the_guarded_session_bounds_a_whole_answer(proxy: HostileProxy) -> None:
    session = guard(requests.Session())
    auth = {"Authorization": f"SSWS {API_KEY}"}
    proxy.add(Rule(path=USERS, trickle=0.02, times=1))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        session.get(proxy.base_url + USERS, headers=auth, timeout=1)
    assert time.monotonic() - started < 3
    whole = session.get(proxy.base_url + USERS + "?limit=3", headers=auth, timeout=1)
    assert len(whole.json()) == 3
    proxy.add(Rule(path=USERS, gzip_bomb=MAX_BODY_BYTES + 1, times=1))
    with pytest.raises(ResponseTooLargeError, match="64 MiB"):
        session.get(proxy.base_url + USERS, headers=auth, timeout=5)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limiter(clock: _Clock, max_wait: float) -> RateLimiter:
    return RateLimiter(
        share=0.5,
        max_wait=max_wait,
        server_clock=ServerClock(wall=lambda: clock.now),
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )


def _answer(clock: _Clock, remaining: str, reset: float) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["X-Rate-Limit-Limit"] = "600"
    response.headers["X-Rate-Limit-Remaining"] = remaining
    response.headers["X-Rate-Limit-Reset"] = str(int(reset))
    return response


def test_waits_for_a_bucket_others_emptied_count_against_max_wait() -> None:
    clock = _Clock()
    limiter = _limiter(clock, max_wait=100)
    for _ in range(2):
        limiter.observe(USERS, _answer(clock, "0", clock.now + 40))
        limiter.before_request(USERS)
    assert len(clock.slept) == 2
    assert 80 <= limiter.budgeted_seconds <= 81
    limiter.observe(USERS, _answer(clock, "0", clock.now + 40))
    with pytest.raises(Exception, match="rate_limit_max_wait=100"):
        limiter.before_request(USERS)


def test_the_tap_s_own_pacing_is_not_counted() -> None:
    clock = _Clock()
    limiter = _limiter(clock, max_wait=1)
    limiter.observe(USERS, _answer(clock, "600", clock.now + 40))
    for _ in range(400):  # past this run's share (285 of 600)
        limiter.before_request(USERS)
    assert clock.slept
    assert limiter.budgeted_seconds == 0


def test_a_wait_past_max_run_seconds_stops_instead() -> None:
    clock = _Clock()
    limiter = _limiter(clock, max_wait=900)
    limiter.observe(USERS, _answer(clock, "0", clock.now + 40))
    with pytest.raises(RunCapReached):
        limiter.before_request(USERS, run_left=10)
    assert not clock.slept
    throttled = _answer(clock, "0", clock.now + 40)
    throttled.status_code = 429
    with pytest.raises(RunCapReached):
        limiter.after_429(USERS, throttled, attempt=1, run_left=10)
    assert not clock.slept
    budget = RunBudget(10, clock=lambda: clock.now)
    clock.now += 4
    assert budget.seconds_left() == 6


def test_header_values_that_are_no_numbers_are_skipped() -> None:
    response = requests.Response()
    response.headers["X-Rate-Limit-Reset"] = "inf, 1e999, nan, 12"
    assert _header_ints(response, "X-Rate-Limit-Reset") == [12]


def test_token_lifetimes_that_are_no_numbers_fall_back() -> None:
    assert _lifetime(None) == 3600
    assert _lifetime("soon") == 3600
    assert _lifetime(float("inf")) == 3600
    assert _lifetime(-5) == 3600
    assert _lifetime(10**15) == MAX_TOKEN_LIFETIME
    assert _lifetime("1800") == 1800


def test_json_nested_too_deep_is_an_unreadable_body() -> None:
    response = requests.Response()
    response._content = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(UnreadableBody, match="nested too deep"):
        json_body(response)
