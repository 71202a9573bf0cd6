"""Rate limits over real HTTP: pacing within a share of the bucket, 429s waited out to
the announced reset, a wait budget, and a server clock that disagrees with ours.

The simulator's buckets work like Okta's: a window opens at the first request after the
previous one ended, lasts ``window_seconds``, and ``X-Rate-Limit-Reset`` is its end in
whole epoch seconds on the server's clock (the one ``Date`` shows).
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tap_okta.ratelimit import SHARE_MARGIN
from tap_okta.retry import TIME_SCALE_ENV
from tests.harness import API_KEY, assert_clean_failure, page_key, report, run_tap, tap_api_requests
from tests.okta_sim import OktaSimulator, RequestRecord

pytestmark = pytest.mark.cli

USERS = "/api/v1/users"
USERS_PAGE = 200
# Pacing: "Rate limit: <bucket> has used ..."; a 429: "... answered 429 (...) for <bucket>;".
WAIT_LINE = re.compile(
    r"\| INFO +\| tap-okta +\| Rate limit: (?:Okta answered 429 \(.*?\) for )?"
    r"(/\S+?)[; ].*?waiting (\d+(?:\.\d+)?) s"
)


def windows(records: list[RequestRecord], seconds: float) -> list[list[RequestRecord]]:
    """Group one bucket's requests (all clients) the way the simulator opens windows."""
    groups: list[list[RequestRecord]] = []
    end = -math.inf
    for record in records:
        if record.time >= end:
            groups.append([])
            end = record.time + seconds
        groups[-1].append(record)
    return groups


def waits_logged(stderr: str) -> list[tuple[str, float]]:
    """(bucket, seconds) of every INFO line announcing a rate-limit wait."""
    return [(m.group(1), float(m.group(2))) for m in WAIT_LINE.finditer(stderr)]


SUMMARY_LINE = re.compile(
    r"\| INFO +\| tap-okta +\| Run summary: (\d+) API requests \((.*)\); waited "
    r"(\d+\.\d) s for rate-limit windows; (\d+) x 429, waited (\d+\.\d) s\."
)


def run_summary(stderr: str, sim: OktaSimulator) -> dict[str, Any]:
    """The run's one summary line, its requests checked against the simulator's log."""
    [line] = SUMMARY_LINE.findall(stderr)
    requests_made, buckets, paced, throttled, throttled_seconds = line
    calls = tap_api_requests(sim)
    assert int(requests_made) == len(calls), (line, len(calls))
    per_bucket = dict(item.rsplit(" ", 1) for item in buckets.split(", "))
    assert sum(int(n) for n in per_bucket.values()) == len(calls), line
    assert int(throttled) == len([r for r in calls if r.status == 429]), line
    return {
        "buckets": {b: int(n) for b, n in per_bucket.items()},
        "paced": float(paced),
        "throttled": int(throttled),
        "throttled_seconds": float(throttled_seconds),
    }


def drain(sim: OktaSimulator, path: str, count: int) -> requests.Response:
    """Another integration of the org spends ``count`` requests of the bucket."""
    headers = {"Authorization": f"SSWS {API_KEY}"}
    with requests.Session() as session:
        for _ in range(count):
            session.get(sim.url(path), params={"limit": 1}, headers=headers, timeout=10).close()
        last = session.get(sim.url(path), params={"limit": 1}, headers=headers, timeout=10)
        last.close()
    return last


@pytest.fixture
def big_sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=2400, seed=5, api_key=API_KEY) as simulator:
        yield simulator
        assert simulator.internal_errors == []


# --- pacing: a tight users bucket -------------------------------------------------------

TIGHT_LIMIT = 10
WINDOW = 2.0


def sync_users_in_a_tight_bucket(
    sim: OktaSimulator, *, share: float, skew: float = 0.0
) -> dict[str, Any]:
    sim.rate_limits.limits[USERS] = TIGHT_LIMIT
    sim.rate_limits.window_seconds = WINDOW
    sim.rate_limits.clock_skew_seconds = skew
    if share >= 1.0:
        # A token an admin gave the whole bucket: Okta's default ceiling is half of it.
        sim.rate_limits.token_share = 1.0
    config = {"org_url": sim.base_url, "api_key": API_KEY, "rate_limit_share": share}

    started = time.monotonic()
    run = run_tap(config, streams=("users",))
    wall = time.monotonic() - started

    assert run.returncode == 0, run.stderr[-2000:]
    users = run.ids("users")
    assert sorted(users) == sorted(u["id"] for u in sim.org.all_users())
    calls = [r for r in tap_api_requests(sim) if r.bucket == USERS]
    pages = [r for r in calls if r.status == 200]
    assert len(pages) == math.ceil(len(users) / USERS_PAGE)
    # The tap stays a margin below its share (Okta's per-token ceiling is unannounced).
    allowed = max(1, math.floor(TIGHT_LIMIT * share * (1 - SHARE_MARGIN)))
    minimum = (math.ceil(len(pages) / allowed) - 1) * WINDOW
    phase = calls[-1].time - calls[0].time
    per_window = [len(w) for w in windows(calls, WINDOW)]
    figures = {
        "share": share,
        "skew_s": skew,
        "pages": len(pages),
        "requests": len(calls),
        "rate_limited": len([r for r in calls if r.status == 429]),
        "minimum_s": minimum,
        "users_phase_s": round(phase, 2),
        "wall_s": round(wall, 2),
        "per_window": per_window,
        "waits": waits_logged(run.stderr),
    }
    report(f"tight_bucket_share{share}_skew{skew:+.0f}", **figures)
    # Within its share of every window, so the bucket never runs dry.
    assert max(per_window) <= allowed, figures
    assert figures["rate_limited"] <= 1, figures
    # Close to the least time the bucket allows: whole-second resets, Date's
    # whole-second resolution and the jitter cost at most a second or two per window.
    assert minimum - 0.1 <= phase <= 1.6 * minimum + 2.0, figures
    # Each wait is logged at INFO with the bucket and the seconds.
    waits = figures["waits"]
    assert len(waits) == len(per_window) - 1, figures
    assert all(bucket == USERS and 0 < seconds <= WINDOW + 2 for bucket, seconds in waits)
    # And summed up in the run's one summary line.
    summary = run_summary(run.stderr, sim)
    assert summary["buckets"][USERS] == len(calls)
    paced = sum(seconds for _, seconds in waits) - summary["throttled_seconds"]
    assert abs(summary["paced"] - paced) <= 0.1 * len(waits) + 0.1, (summary, waits)
    return figures


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_tight_users_bucket_paced_with_no_429s_near_the_minimum_time(
    big_sim: OktaSimulator, share: float
) -> None:
    figures = sync_users_in_a_tight_bucket(big_sim, share=share)
    assert figures["rate_limited"] == 0


def test_default_share_is_half_the_bucket(big_sim: OktaSimulator) -> None:
    big_sim.rate_limits.limits[USERS] = TIGHT_LIMIT
    big_sim.rate_limits.window_seconds = WINDOW
    run = run_tap({"org_url": big_sim.base_url, "api_key": API_KEY}, streams=("users",))
    assert run.returncode == 0, run.stderr[-2000:]
    calls = [r for r in tap_api_requests(big_sim) if r.bucket == USERS]
    assert max(len(w) for w in windows(calls, WINDOW)) == math.floor(
        TIGHT_LIMIT * 0.5 * (1 - SHARE_MARGIN)
    )
    assert "rate_limit_share=0.5" in run.stderr


@pytest.mark.parametrize("skew", [3600.0, -3600.0], ids=["okta_ahead_1h", "okta_behind_1h"])
def test_skewed_clock_neither_retries_early_nor_sleeps_long(
    big_sim: OktaSimulator, skew: float
) -> None:
    """Okta's clock an hour off ours: resets are read against ``Date``, not our clock."""
    figures = sync_users_in_a_tight_bucket(big_sim, share=0.5, skew=skew)
    assert figures["rate_limited"] == 0
    assert figures["wall_s"] < 20


# --- 429s: wait until the reset, then retry ---------------------------------------------


@pytest.mark.parametrize("skew", [0.0, 3600.0, -3600.0], ids=["same_clock", "ahead", "behind"])
def test_bucket_drained_by_another_client_is_waited_out_to_its_reset(
    sim: OktaSimulator, api_config: dict[str, Any], skew: float
) -> None:
    sim.rate_limits.limits[USERS] = 10
    sim.rate_limits.window_seconds = 4
    sim.rate_limits.clock_skew_seconds = skew
    refused = drain(sim, USERS, 10)
    assert refused.status_code == 429
    reset = int(refused.headers["X-Rate-Limit-Reset"]) - skew  # on our clock
    window_end = next(r for r in sim.requests if r.bucket == USERS).time + 4

    run = run_tap(api_config, streams=("users",))

    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(run.ids("users")) == sorted(u["id"] for u in sim.org.all_users())
    calls = [r for r in tap_api_requests(sim) if r.bucket == USERS]
    assert [r.status for r in calls] == [429, 200, 200], [r.status for r in calls]
    retry = calls[1]
    assert page_key(retry) == page_key(calls[0])
    early = window_end - retry.time
    late = retry.time - reset
    report(f"drained_bucket_skew{skew:+.0f}", retried_after_window_end_s=round(-early, 2))
    assert retry.time >= window_end, f"retried {early:.2f} s before the window reset"
    assert late < 2.0, f"retried {late:.2f} s after the announced reset"
    [(bucket, seconds)] = waits_logged(run.stderr)
    assert bucket == USERS
    # The reset and Date are whole seconds, plus a little jitter: at most ~2 s over.
    assert 0 < seconds < 4 + 2.5
    assert "Okta answered 429 (rate limit) for /api/v1/users" in run.stderr


def test_each_429_waits_for_its_own_reset_not_a_fixed_minute(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    sim.rate_limits.window_seconds = 2
    sim.faults.queue_path = r"^/api/v1/users$"
    sim.faults.queue = ["429", "429", "429"]  # E0000047, Remaining 0, reset = window end

    started = time.monotonic()
    run = run_tap(api_config, streams=("users",))

    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(run.ids("users")) == sorted(u["id"] for u in sim.org.all_users())
    calls = [r for r in tap_api_requests(sim) if r.bucket == USERS]
    assert [r.status for r in calls] == [429, 429, 429, 200, 200]
    assert len({page_key(r) for r in calls[:4]}) == 1
    # Every 429 opened a fresh 2 s window; the retry comes after it ends, not sooner,
    # not a minute later, and without a storm of attempts in between.
    gaps = [b.time - a.time for a, b in itertools.pairwise(calls[:4])]
    assert all(2.0 <= gap < 4.5 for gap in gaps), gaps
    assert time.monotonic() - started < 20
    assert len(waits_logged(run.stderr)) == 3
    assert run_summary(run.stderr, sim)["throttled"] == 3


def test_concurrency_limit_429_backs_off_and_recovers(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    """Other clients hold the org's in-flight slots: 429 with Limit and Remaining 0."""
    sim.rate_limits.max_concurrent = 2
    sim.faults.queue_path = r"^/api/v1/groups$"
    sim.faults.queue = ["slow", "slow"]
    sim.faults.slow_seconds = 3.0
    headers = {"Authorization": f"SSWS {API_KEY}"}

    def hold_a_slot() -> None:
        with requests.Session() as session:
            session.get(sim.url("/api/v1/groups"), headers=headers, timeout=30).close()

    holders = [threading.Thread(target=hold_a_slot) for _ in range(2)]
    for holder in holders:
        holder.start()
    deadline = time.monotonic() + 5
    while sim.in_flight() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.in_flight() == 2

    # At the tap's real pace: the slots stay held 3 s whatever it does, and its
    # spacing of the retries is what this checks.
    run = run_tap(api_config, streams=("users",), env={TIME_SCALE_ENV: "1"})
    for holder in holders:
        holder.join()

    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(run.ids("users")) == sorted(u["id"] for u in sim.org.all_users())
    # The first call (the change feed's System Log query) meets the limit.
    calls = tap_api_requests(sim)
    refused = [r for r in calls if r.status == 429]
    assert 1 <= len(refused) <= 3, [r.status for r in calls]
    assert calls[len(refused)].status == 200
    assert len({page_key(r) for r in calls[: len(refused) + 1]}) == 1
    # Spaced retries (about 1 s, then 2 s, ...), not a storm.
    gaps = [b.time - a.time for a, b in itertools.pairwise(calls[: len(refused) + 1])]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert "concurrent-request limit" in run.stderr


# --- the wait budget --------------------------------------------------------------------


def test_endless_429s_stop_at_the_wait_budget_with_a_usable_state(
    big_sim: OktaSimulator,
) -> None:
    sim = big_sim
    config = {"org_url": sim.base_url, "api_key": API_KEY, "rate_limit_max_wait": 5}
    sim.rate_limits.window_seconds = 2
    sim.faults.queue_path = r"^/api/v1/users$"
    # Three pages get through, then the bucket stays exhausted.
    sim.faults.slow_seconds = 0.01
    sim.faults.queue = ["slow"] * 3 + ["429"] * 50

    started = time.monotonic()
    failed = run_tap(config, streams=("users",))
    elapsed = time.monotonic() - started

    assert_clean_failure(failed, "429", "rate_limit_max_wait=5", USERS)
    # The first call (the change feed's System Log query) meets the limit.
    calls = tap_api_requests(sim)
    refused = [r for r in calls if r.status == 429]
    # The summary comes before the error line, which stays the last.
    assert run_summary(failed.stderr, sim)["throttled"] == len(refused)
    assert [r.status for r in calls[:3]] == [200, 200, 200]
    assert 2 <= len(refused) <= 4, [r.status for r in calls]
    # It kept going within the budget, and never waited past it.
    assert refused[-1].time - refused[0].time <= 5.5
    assert elapsed < 20
    assert len(failed.ids("users")) == 3 * USERS_PAGE
    assert failed.final_state["bookmarks"]["users"].get("replication_key_value")

    sim.faults.clear()
    resumed = run_tap(config, state=failed.final_state, streams=("users",))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    before, after = failed.ids("users"), resumed.ids("users")
    assert not set(before) & set(after)
    assert sorted(before + after) == sorted(u["id"] for u in sim.org.all_users())
