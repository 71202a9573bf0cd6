"""Faults over real HTTP: 5xx, dropped and truncated connections, timeouts, Okta's query
timeout, endpoints that never recover, and OAuth token trouble.

Every test runs the real ``tap-okta`` CLI against the simulator and judges it by what
reached stdout (every record exactly once) and by the simulator's request log (what
was retried, re-requested, or not retried at all).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from tap_okta.client import UNREADABLE_ATTEMPTS
from tap_okta.retry import Backoff
from tests.harness import (
    ALL_SCOPES,
    API_KEY,
    TapRun,
    assert_clean_failure,
    assert_everything_exactly_once,
    backoff_gap,
    expected_memberships,
    is_change_feed,
    page_key,
    run_tap,
    tap_api_requests,
)
from tests.okta_sim import OktaSimulator, RequestRecord

pytestmark = pytest.mark.cli

TOKEN_PATH = "/oauth2/v1/token"
INJECTED = frozenset({"error", "drop", "truncate", "fail", "html", "malformed"})
# The tap's bounds: 6 attempts for 5xx and network faults, 3 for answers that are not
# JSON at all (a login page or a proxy's error page rarely heals).
MAX_ATTEMPTS = Backoff().max_attempts


# --- request-log helpers ----------------------------------------------------------------


def token_requests(sim: OktaSimulator) -> list[RequestRecord]:
    return [r for r in sim.requests if r.path == TOKEN_PATH]


def served(record: RequestRecord) -> bool:
    return record.status == 200 and not record.dropped and record.fault in (None, "slow")


def assert_failed_pages_re_requested(api: list[RequestRecord]) -> list[RequestRecord]:
    """Each faulted page is asked for again straight away, until it is served whole."""
    faulted = [i for i, r in enumerate(api) if r.fault in INJECTED]
    for i in faulted:
        assert i + 1 < len(api), f"nothing after the failed {api[i].target}"
        retry = api[i + 1]
        assert page_key(retry) == page_key(api[i]), (
            f"after the failed {api[i].target} the tap asked for {retry.target}"
        )
    for i in faulted:
        later = [r for r in api[i + 1 :] if page_key(r) == page_key(api[i])]
        assert any(served(r) for r in later), f"{api[i].target} was never served"
    return [api[i] for i in faulted]


def when(
    condition: Callable[[], bool], action: Callable[[], None], timeout: float = 60
) -> threading.Thread:
    """Run ``action`` once ``condition`` holds (polled), in a background thread."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                action()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def after_pages(sim: OktaSimulator, pages: int, action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` once the tap has been served ``pages`` API pages."""
    return when(lambda: sum(r.status == 200 for r in tap_api_requests(sim)) >= pages, action)


def service_app_config(sim: OktaSimulator, scopes: set[str] | None = None) -> dict[str, Any]:
    app = sim.org.register_service_app(scopes=scopes or set(ALL_SCOPES))
    return {
        "org_url": sim.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
    }


# --- random faults: every record exactly once -------------------------------------------


@pytest.mark.parametrize("auth", ["api_key", "service_app"])
def test_every_record_exactly_once_under_random_faults(sim: OktaSimulator, auth: str) -> None:
    config = service_app_config(sim) if auth == "service_app" else sim_api_config(sim)
    sim.faults.error_rate = 0.10  # 500/502/503/504, JSON or a load balancer's HTML
    sim.faults.drop_rate = 0.03  # connection closed without an answer
    sim.faults.truncate_rate = 0.02  # half a body, then the connection closes
    # Short windows: the pacing of the small /apps* bucket (100, share 0.5) stays
    # in the picture without minute-long waits.
    sim.rate_limits.window_seconds = 3

    run = run_tap(config)

    assert_everything_exactly_once(run, sim)
    api = tap_api_requests(sim)
    faulted = assert_failed_pages_re_requested(api)
    kinds = Counter(r.fault for r in faulted)
    assert kinds["error"] >= 3, kinds
    assert kinds["drop"] >= 1, kinds
    assert kinds["truncate"] >= 1, kinds
    assert {r.status for r in faulted if r.fault == "error"} <= {500, 502, 503, 504}
    # Every stream's endpoint family was hit by a fault or served under the same odds.
    # (Group members share /api/v1/groups, app users and groups /api/v1/apps, as in Okta.)
    assert {r.bucket for r in api} >= {
        "/api/v1/users",
        "/api/v1/groups",
        "/api/v1/apps",
        "/api/v1/logs",
    }
    assert "Traceback" not in run.stderr
    assert not [r for r in api if r.status == 429]
    if auth == "service_app":
        # Dropped connections do not cost the token.
        assert len(sim.org.issued_tokens) == 1
        assert len(token_requests(sim)) == 1
    assert sim.internal_errors == []


def sim_api_config(sim: OktaSimulator) -> dict[str, Any]:
    return {"org_url": sim.base_url, "api_key": API_KEY}


def test_slow_answers_time_out_and_are_retried(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    sim.faults.queue_path = r"^/api/v1/users$"
    sim.faults.queue = ["slow", "slow"]
    sim.faults.slow_seconds = 2.5

    run = run_tap({**api_config, "request_timeout": 1}, streams=("users",))

    assert run.returncode == 0, run.stderr[-2000:]
    users = run.ids("users")
    assert sorted(users) == sorted(u["id"] for u in sim.org.all_users())
    api = tap_api_requests(sim)
    slow = [i for i, r in enumerate(api) if r.fault == "slow"]
    assert len(slow) == 2
    for i in slow:
        retry = api[i + 1]
        assert page_key(retry) == page_key(api[i])
        # Given up after request_timeout (1 s) plus the backoff, not after the 2.5 s
        # the answer took.
        gap = retry.time - api[i].time
        _, longest = backoff_gap(slow.index(i) + 1, slack=0.4)
        assert 1.0 <= gap < 1.0 + longest, gap
    assert served(api[slow[-1] + 1])
    assert run.stderr.count("the request timed out") == 2
    assert "Traceback" not in run.stderr


def test_okta_query_timeout_retries_with_smaller_pages(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    sim.faults.logs_timeout_over_limit = 300  # limit > 300: 500 E0000009 after "30 s"

    run = run_tap(api_config, streams=("logs",))

    assert run.returncode == 0, run.stderr[-2000:]
    uuids = run.ids("logs", "uuid")
    assert len(uuids) == len(set(uuids))
    assert set(uuids) == sim.org.event_uuids()
    logs = tap_api_requests(sim)
    limits = [(int(r.param("limit") or 0), r.status) for r in logs]
    # 1000 and 500 time out; 250 works and stays for the rest of the run.
    assert limits[:3] == [(1000, 500), (500, 500), (250, 200)], limits
    assert all(limit == 250 and status == 200 for limit, status in limits[2:]), limits
    assert page_key(logs[0]) == page_key(logs[1]) == page_key(logs[2])
    assert len(logs) >= 1 + len(uuids) // 250
    assert "retrying with limit=500" in run.stderr
    assert "retrying with limit=250" in run.stderr


# --- endpoints that never recover: clear failure, usable state --------------------------


@dataclass
class Outcome:
    sim: OktaSimulator
    failed: TapRun
    resumed: TapRun
    faulted_path: str
    elapsed: float


def _scenario(
    stack: ExitStack,
    *,
    users: int,
    seed: int,
    streams: tuple[str, ...] | None,
    break_it: Callable[[OktaSimulator], None],
    faulted_path: str,
) -> Outcome:
    sim = stack.enter_context(OktaSimulator(users=users, seed=seed, api_key=API_KEY))
    sim.rate_limits.window_seconds = 5  # the re-run need not wait out the first run's window
    config = sim_api_config(sim)
    break_it(sim)
    started = time.monotonic()
    failed = run_tap(config, streams=streams)
    elapsed = time.monotonic() - started
    sim.faults.clear()
    resumed = run_tap(config, state=failed.final_state, streams=streams)
    return Outcome(sim, failed, resumed, faulted_path, elapsed)


SCENARIOS: dict[str, dict[str, Any]] = {
    # The System Log answers 500 for good: apps and groups are done by then.
    "logs_500": {
        "streams": None,
        "break_it": lambda s: s.faults.fail_paths.append(r"^/api/v1/logs$"),
        "faulted_path": "/api/v1/logs",
    },
    # The second page of users fails for good: the first page's progress is kept.
    "users_page_500": {
        "streams": ("users",),
        "break_it": lambda s: s.faults.fail_paths.append(r"^/api/v1/users\?.*after="),
        "faulted_path": "/api/v1/users",
    },
    # A proxy answers a child endpoint with a login page (HTML, 200).
    "group_members_html": {
        "streams": ("groups", "group_members"),
        "break_it": lambda s: s.faults.html_paths.append(r"^/api/v1/groups/[^/]+/users$"),
        "faulted_path": "/api/v1/groups/",
    },
    # Mangled JSON, 200, every time.
    "apps_malformed": {
        "streams": ("apps", "app_users", "app_groups"),
        "break_it": lambda s: s.faults.malformed_json_paths.append(r"^/api/v1/apps$"),
        "faulted_path": "/api/v1/apps",
    },
}


@pytest.fixture(scope="module")
def broken_endpoints() -> Iterator[dict[str, Future[Outcome]]]:
    """The four "never recovers" runs, side by side: each spends 15-30 s of backoff
    (times TIME_SCALE)."""
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = {
            name: pool.submit(_scenario, stack, users=300, seed=20 + n, **spec)
            for n, (name, spec) in enumerate(SCENARIOS.items())
        }
        yield futures
        for future in futures.values():
            future.exception()  # wait before the simulators close


def assert_kept_failing(
    outcome: Outcome, stream: str, *fragments: str, attempts: int = MAX_ATTEMPTS
) -> None:
    run = outcome.failed
    assert_clean_failure(run, f"'{stream}'", outcome.faulted_path, *fragments)
    last = run.last_line()
    assert f"{attempts} attempts in a row" in last, last
    assert "resumes from its last saved state" in last, last
    # Bounded: a few attempts at the broken page, spaced by growing backoff, then stop.
    broken = [
        r
        for r in tap_api_requests(outcome.sim)
        if r.fault in INJECTED and (stream == "directory_changes") == is_change_feed(r)
    ]
    assert len(broken) == attempts, [r.target for r in broken]
    assert len({page_key(r) for r in broken}) == 1
    gaps = [b.time - a.time for a, b in itertools.pairwise(broken)]
    for failures, gap in enumerate(gaps, start=1):
        shortest, longest = backoff_gap(failures)
        assert shortest <= gap < longest, gaps
    # One clear last line; the SDK may add a bare "An unhandled error occurred while
    # syncing '<stream>'" per stream being unwound, nothing else.
    *unwinding, _ = run.error_lines()
    assert all("An unhandled error occurred while syncing" in line for line in unwinding)
    assert outcome.resumed.returncode == 0, outcome.resumed.stderr[-2000:]


def test_permanently_failing_logs_end_the_run_with_a_usable_state(
    broken_endpoints: dict[str, Future[Outcome]],
) -> None:
    outcome = broken_endpoints["logs_500"].result()
    sim, failed, resumed = outcome.sim, outcome.failed, outcome.resumed
    assert_kept_failing(outcome, "logs", "kept failing", "HTTP 500")
    # The streams done before the failure are in the final STATE and not read again.
    bookmarks = failed.final_state["bookmarks"]
    assert bookmarks["groups"].get("replication_key_value"), bookmarks["groups"]
    assert bookmarks["users"].get("replication_key_value"), bookmarks["users"]
    # logs runs last: every other stream landed first.
    assert set(failed.counts()) >= {"users", "apps", "groups", "group_members", "app_users"}
    assert not failed.records("logs")
    assert resumed.ids("groups") == []
    assert resumed.ids("users") == []
    assert resumed.records("group_members") == []
    assert resumed.records("app_users") == []
    # Both runs together: every record exactly once (apps are a full table each run).
    full_tables = {"apps"}
    first = [m for m in failed.messages if m.get("stream") not in full_tables]
    both = TapRun(returncode=0, stdout="", stderr="", messages=first + resumed.messages)
    assert_everything_exactly_once(both, sim)


def test_permanently_failing_users_page_keeps_the_pages_before_it(
    broken_endpoints: dict[str, Future[Outcome]],
) -> None:
    outcome = broken_endpoints["users_page_500"].result()
    sim, failed, resumed = outcome.sim, outcome.failed, outcome.resumed
    assert_kept_failing(outcome, "users", "kept failing", "HTTP 500")
    first_page = failed.ids("users")
    assert len(first_page) == 200
    assert failed.final_state["bookmarks"]["users"].get("replication_key_value")
    # The re-run starts after the first page: nothing twice, nothing lost.
    again = resumed.ids("users")
    assert not set(first_page) & set(again)
    assert sorted(first_page + again) == sorted(u["id"] for u in sim.org.all_users())


def test_html_instead_of_json_fails_clearly_and_loses_no_memberships(
    broken_endpoints: dict[str, Future[Outcome]],
) -> None:
    outcome = broken_endpoints["group_members_html"].result()
    sim, failed, resumed = outcome.sim, outcome.failed, outcome.resumed
    assert_kept_failing(
        outcome, "group_members", "text/html instead of JSON", attempts=UNREADABLE_ATTEMPTS
    )
    # Memberships of groups the failed run emitted must still arrive in the re-run.
    pairs = Counter(
        (r["groupId"], r["userId"])
        for run in (failed, resumed)
        for r in run.records("group_members")
    )
    assert set(pairs) == expected_memberships(sim)
    assert max(pairs.values()) == 1
    groups = set(failed.ids("groups")) | set(resumed.ids("groups"))
    assert groups == {g["id"] for g in sim.org.all_groups()}


def test_malformed_json_fails_clearly_after_retries(
    broken_endpoints: dict[str, Future[Outcome]],
) -> None:
    outcome = broken_endpoints["apps_malformed"].result()
    sim, failed, resumed = outcome.sim, outcome.failed, outcome.resumed
    assert_kept_failing(outcome, "apps", "not valid JSON", attempts=UNREADABLE_ATTEMPTS)
    assert failed.counts() == Counter()  # a broken page yields no partial records
    assert sorted(resumed.ids("apps")) == sorted(a["id"] for a in sim.org.all_apps())


# --- OAuth: the token endpoint and expiring tokens --------------------------------------


def test_token_endpoint_errors_are_retried(sim: OktaSimulator) -> None:
    config = service_app_config(sim)
    sim.faults.token_error_rate = 1.0  # 500 JSON or 503 HTML from the token endpoint

    def failed_twice() -> bool:
        return len([r for r in token_requests(sim) if r.fault == "token-error"]) >= 2

    def heal() -> None:
        sim.faults.token_error_rate = 0.0

    watcher = when(failed_twice, heal)
    run = run_tap(config, streams=("users", "apps"))
    watcher.join()

    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(run.ids("users")) == sorted(u["id"] for u in sim.org.all_users())
    attempts = token_requests(sim)
    assert [r.status in {500, 503} for r in attempts] == [True, True, False], [
        r.status for r in attempts
    ]
    assert attempts[-1].status == 200
    assert len(sim.org.issued_tokens) == 1
    gaps = [b.time - a.time for a, b in itertools.pairwise(attempts)]
    # Exponential backoff.
    for failures, gap in enumerate(gaps, start=1):
        shortest, longest = backoff_gap(failures, slack=0.3)
        assert shortest <= gap < longest, gaps
    assert run.stderr.count("Token request failed") == 2


def test_revoked_token_is_renewed_once_and_the_page_retried(sim: OktaSimulator) -> None:
    config = service_app_config(sim)

    def revoke() -> None:
        sim.org.revoke_token(sim.org.issued_tokens[0].access_token)

    watcher = after_pages(sim, 5, revoke)
    run = run_tap(config)
    watcher.join()

    assert_everything_exactly_once(run, sim)
    api = tap_api_requests(sim)
    rejected = [i for i, r in enumerate(api) if r.status == 401]
    assert len(rejected) == 1, [api[i].target for i in rejected]
    assert len(sim.org.issued_tokens) == 2
    assert [r.status for r in token_requests(sim)] == [200, 200]
    old, new = (f"Bearer {t.access_token}" for t in sim.org.issued_tokens)
    retry = api[rejected[0] + 1]
    assert page_key(retry) == page_key(api[rejected[0]])
    assert api[rejected[0]].headers["Authorization"] == old
    assert {r.headers["Authorization"] for r in api[rejected[0] + 1 :]} == {new}
    assert run.stderr.count("fetching a new one") == 1


def test_token_rejected_again_after_renewal_fails_without_looping(sim: OktaSimulator) -> None:
    config = service_app_config(sim)

    def break_tokens() -> None:
        sim.org.token_lifetime_seconds = 0  # every new token is dead on arrival
        sim.org.revoke_token(sim.org.issued_tokens[0].access_token)

    watcher = after_pages(sim, 3, break_tokens)
    run = run_tap(config, streams=("users", "groups", "group_members"))
    watcher.join()

    assert_clean_failure(run, "even after fetching a new one")
    assert len(token_requests(sim)) == 2
    assert len([r for r in tap_api_requests(sim) if r.status == 401]) == 2


@pytest.mark.parametrize("mistake", ["wrong key_id", "private key of another app"])
def test_invalid_client_fails_fast(sim: OktaSimulator, mistake: str) -> None:
    config = service_app_config(sim)
    if mistake == "wrong key_id":
        config["key_id"] = "not-a-registered-kid"
        hint = "key_id does not match"
    else:
        config["private_key"] = sim.org.register_service_app(scopes=ALL_SCOPES).private_key_pem
        hint = "private_key does not match"

    started = time.monotonic()
    run = run_tap(config)

    assert_clean_failure(run, "invalid_client", hint)
    assert len(token_requests(sim)) == 1  # no retries
    assert tap_api_requests(sim) == []
    assert run.messages == [m for m in run.messages if m["type"] != "RECORD"]
    assert time.monotonic() - started < 15


def test_invalid_scope_fails_fast(sim: OktaSimulator) -> None:
    config = service_app_config(sim, scopes={"okta.users.read", "okta.groups.read"})

    run = run_tap(config)  # every stream: the token asks for apps and logs too

    assert_clean_failure(run, "invalid_scope", "okta.apps.read")
    attempts = token_requests(sim)
    assert len(attempts) == 1
    assert attempts[0].status == 400
    assert tap_api_requests(sim) == []
    assert not re.search(r"retrying in", run.stderr)
