"""A state the tap cannot trust: another org's, one with times from the future, one
saved while a proxy's clock was wrong. In-process syncs against the simulator (the
fast tier), as ``tap_okta.tap.main`` would run them."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tap_okta import ratelimit
from tap_okta.ratelimit import SAVE_MARGIN_SECONDS, ServerClock
from tap_okta.retry import TIME_SCALE_ENV
from tap_okta.state_check import ORG
from tests.harness import (
    API_KEY,
    TIME_SCALE,
    TapRun,
    assert_everything_exactly_once,
    remove_a_member_without_event,
    run_in_process,
)
from tests.okta_sim import OktaSimulator

DIRECTORY = ("users", "groups", "group_members", "apps", "app_users", "app_groups")
YEAR_2099 = "Thu, 01 Jan 2099 00:00:00 GMT"


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIME_SCALE_ENV, str(TIME_SCALE))


@pytest.fixture
def org_a() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=50, apps=6, seed=21, api_key=API_KEY) as sim:
        sim.rate_limits.window_seconds = 5  # as conftest's sim: no minute-long waits
        yield sim


@pytest.fixture
def org_b() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=50, apps=6, seed=22, api_key=API_KEY) as sim:
        sim.rate_limits.window_seconds = 5  # as conftest's sim: no minute-long waits
        yield sim


def config_for(url: str, **settings: Any) -> dict[str, Any]:
    return {"org_url": url, "api_key": API_KEY, **settings}


def warnings(run: TapRun) -> list[str]:
    return run.warning_lines()


# --- the org --------------------------------------------------------------------------


def test_another_orgs_state_is_not_applied(org_a: OktaSimulator, org_b: OktaSimulator) -> None:
    """org_url changed under the same state ID (preview -> production): org B's
    output is complete, with one WARNING naming both orgs."""
    first = run_in_process(config_for(org_a.base_url))
    assert_everything_exactly_once(first, org_a)
    assert first.final_state[ORG] == {"id": org_a.org.org_id, "url": org_a.base_url}

    second = run_in_process(config_for(org_b.base_url), state=first.final_state)

    assert_everything_exactly_once(second, org_b)
    switched = [line for line in warnings(second) if "another Okta org" in line]
    assert len(switched) == 1, second.stderr[-3000:]
    for name in (org_a.org.org_id, org_a.base_url, org_b.org.org_id, org_b.base_url):
        assert name in switched[0]
    assert second.final_state[ORG] == {"id": org_b.org.org_id, "url": org_b.base_url}
    # From now on the state is B's: the next run is incremental, without a warning.
    third = run_in_process(config_for(org_b.base_url), state=second.final_state)
    assert third.returncode == 0
    assert not [line for line in warnings(third) if "another Okta org" in line]
    assert len(third.ids("users")) < len(org_b.org.all_users())


def test_the_same_org_through_another_origin_keeps_its_bookmarks(org_a: OktaSimulator) -> None:
    """A custom domain of the same org (here: localhost for 127.0.0.1) has the same
    org id: the bookmarks apply."""
    alias = org_a.base_url.replace("127.0.0.1", "localhost")
    org_a.org.custom_domain_url = alias
    first = run_in_process(config_for(org_a.base_url))
    assert_everything_exactly_once(first, org_a)

    # Okta answers a custom domain with links on that domain.
    org_a.link_base = alias
    second = run_in_process(config_for(alias), state=first.final_state)

    assert second.returncode == 0, second.stderr[-3000:]
    assert not [line for line in warnings(second) if "another Okta org" in line]
    assert len(second.ids("users")) < len(org_a.org.all_users())  # incremental
    assert second.ids("logs") == []  # no new event
    assert second.final_state[ORG] == {"id": org_a.org.org_id, "url": alias}


def test_a_state_without_org_id_is_bound_by_its_url(
    org_a: OktaSimulator, org_b: OktaSimulator
) -> None:
    """A state bound by URL only (the org did not say its id) is another org's when
    the URL differs."""
    first = run_in_process(config_for(org_a.base_url), streams=("users", "logs"))
    state = dict(first.final_state, **{ORG: {"url": "https://preview.example.com"}})
    second = run_in_process(config_for(org_b.base_url), state=state, streams=("users", "logs"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert sorted(second.ids("users")) == sorted(u["id"] for u in org_b.org.all_users())
    assert set(second.ids("logs", "uuid")) == org_b.org.event_uuids()
    assert "https://preview.example.com" in "\n".join(warnings(second))


def test_without_okta_org_id_the_url_binds_the_state(org_a: OktaSimulator) -> None:
    org_a.org.metadata_served = False
    first = run_in_process(config_for(org_a.base_url), streams=("users", "logs"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.final_state[ORG] == {"url": org_a.base_url}
    second = run_in_process(
        config_for(org_a.base_url), state=first.final_state, streams=("users", "logs")
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert not warnings(second)
    assert len(second.ids("users")) < len(org_a.org.all_users())
    # The id, once readable, joins the binding without a switch.
    org_a.org.metadata_served = True
    third = run_in_process(
        config_for(org_a.base_url), state=second.final_state, streams=("users", "logs")
    )
    assert not [line for line in warnings(third) if "another Okta org" in line]
    assert third.final_state[ORG] == {"id": org_a.org.org_id, "url": org_a.base_url}


# --- the clock --------------------------------------------------------------------------


def _response(status: int, headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def test_the_server_clock_trusts_only_okta_answers_within_a_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wall = 1_800_000_000.0
    clock = ServerClock(wall=lambda: wall)
    okta = {"X-Okta-Request-Id": "abc", "X-Rate-Limit-Limit": "600"}
    # A proxy's 503 (even one passing Okta's headers through), a page without
    # Okta's headers: their Date is not Okta's.
    clock.observe(_response(503, {"Date": YEAR_2099, **okta}))
    clock.observe(_response(200, {"Date": _http_date(wall + 600)}))
    assert clock.offset == 0.0
    # Okta's own answers: the offset follows them, a 4xx's too.
    clock.observe(_response(401, {"Date": _http_date(wall + 120), **okta}))
    assert clock.offset == 120.0
    # ... within a day of the local clock.
    with caplog.at_level(logging.WARNING, logger="tap-okta"):
        clock.observe(_response(200, {"Date": YEAR_2099, **okta}))
        clock.observe(_response(200, {"Date": YEAR_2099, **okta}))
    assert clock.offset == 120.0
    assert len([r for r in caplog.records if "Date header" in r.getMessage()]) == 1
    # The time the tap saves is never past the local clock's margin.
    assert clock.now() == wall + 120
    assert clock.now_datetime().timestamp() == wall + SAVE_MARGIN_SECONDS


def _future_times(state: dict[str, Any], now: float) -> list[str]:
    """Every time in a state (timestamps, table versions) later than ``now`` + margin."""
    latest = now + SAVE_MARGIN_SECONDS
    found = []
    text = json.dumps(state)
    for stamp in re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", text):
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        if when > latest:
            found.append(stamp)
    for version in re.findall(r'"version": (\d+)', text):
        if int(version) / 1000 > latest:
            found.append(version)
    return found


def _activated(run: TapRun) -> dict[str, int]:
    return {m["stream"]: m["version"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}


def _members(run: TapRun) -> set[tuple[str, str]]:
    return {(r["groupId"], r["userId"]) for r in run.records("group_members")}


def test_a_proxys_503_from_2099_is_not_saved(org_a: OktaSimulator) -> None:
    """A load balancer's 503 whose Date is in 2099: later runs still read completely
    and the deletions only a complete read finds reach the output."""
    config = config_for(
        org_a.base_url, full_sync_interval_days=1 / 86400, emit_activate_version_messages=True
    )
    org_a.faults.fault_date = YEAR_2099
    org_a.faults.queue = ["503", "503"]
    first = run_in_process(config, streams=DIRECTORY)
    assert first.returncode == 0, first.stderr[-3000:]
    assert any(r.fault == "error" for r in org_a.requests), "the 503s were not served"
    assert _future_times(first.final_state, time.time()) == []
    # Past the 1 s interval on Okta's clock, which the tap reads from whole-second Date
    # headers (up to 1 s behind the local clock).
    time.sleep(2.5)
    remove_a_member_without_event(org_a)

    second = run_in_process(config, streams=DIRECTORY, state=first.final_state)

    assert second.returncode == 0, second.stderr[-3000:]
    assert set(_activated(second)) == set(DIRECTORY)
    expected = {(g, u) for g in org_a.org.memberships for u in org_a.org.group_members(g)}
    assert _members(second) == expected
    assert _future_times(second.final_state, time.time()) == []


def test_a_state_with_times_from_2099_starts_those_streams_over(org_a: OktaSimulator) -> None:
    config = config_for(org_a.base_url, emit_activate_version_messages=True)
    first = run_in_process(config)
    assert first.returncode == 0, first.stderr[-3000:]
    state = json.loads(json.dumps(first.final_state))
    bookmarks = state["bookmarks"]
    bookmarks["group_members"]["full_sync"] = {"last_complete": "2099-01-01T00:00:00.000Z"}
    bookmarks["users"]["horizon"] = "2099-01-01T00:00:00.000Z"
    bookmarks["logs"]["replication_key_value"] = "2099-01-01T00:00:00.000Z"
    bookmarks["app_users"]["full_sync"] = {
        "version": 4070908800000,
        "started": "2099-01-01T00:00:00.000Z",
    }
    remove_a_member_without_event(org_a)

    second = run_in_process(config, state=state)

    assert second.returncode == 0, second.stderr[-3000:]
    future = [line for line in warnings(second) if "later than this machine's clock" in line]
    assert len(future) == 1, second.stderr[-3000:]
    for stream in ("group_members", "users", "logs", "app_users"):
        assert stream in future[0]
    # Started over: every row of those streams, the deletion included.
    assert set(_activated(second)) >= {"group_members", "users", "app_users"}
    expected = {(g, u) for g in org_a.org.memberships for u in org_a.org.group_members(g)}
    assert _members(second) == expected
    assert sorted(second.ids("users")) == sorted(u["id"] for u in org_a.org.all_users())
    assert set(second.ids("logs", "uuid")) == org_a.org.event_uuids()
    # The other streams kept their bookmarks.
    assert len(second.ids("groups")) < len(org_a.org.all_groups())
    assert _future_times(second.final_state, time.time()) == []


def test_the_test_clock_offset_moves_the_local_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ratelimit.CLOCK_OFFSET_ENV, "86400")
    assert abs(ratelimit.local_time() - time.time() - 86400) < 5
    monkeypatch.setenv(ratelimit.CLOCK_OFFSET_ENV, "nan")
    assert abs(ratelimit.local_time() - time.time()) < 5
