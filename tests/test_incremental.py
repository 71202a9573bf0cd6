"""Incremental syncs: every change once, nothing unchanged re-emitted, and kills resumable."""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tap_okta.bookmarks import DELIVERED_CAP, parse_timestamp
from tap_okta.ratelimit import CLOCK_OFFSET_ENV
from tests.harness import API_KEY, report, run_tap
from tests.okta_sim import OktaSimulator

pytestmark = pytest.mark.cli

DIRECTORY = ("users", "groups", "group_members")


def first_with_status(sim: OktaSimulator, status: str, *, skip: set[str]) -> str:
    return next(uid for uid in sim.org.users_by_status()[status] if uid not in skip)


def test_second_run_emits_every_change_and_nothing_else(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    first = run_tap(api_config)
    assert first.returncode == 0, first.stderr[-2000:]
    state = first.final_state
    bookmark = parse_timestamp(state["bookmarks"]["users"]["replication_key_value"])
    newest_event = parse_timestamp(state["bookmarks"]["logs"]["replication_key_value"])

    changed_users: set[str] = set()
    profile_user = first_with_status(sim, "ACTIVE", skip=changed_users)
    sim.org.update_user_profile(profile_user, {"department": "Security", "costCenter": "CC-9"})
    changed_users.add(profile_user)
    for old, new in [
        ("ACTIVE", "DEPROVISIONED"),  # deprovisioned
        ("DEPROVISIONED", "ACTIVE"),  # reactivated
        ("ACTIVE", "SUSPENDED"),  # suspended
        ("LOCKED_OUT", "ACTIVE"),  # unlocked
        ("PASSWORD_EXPIRED", "ACTIVE"),
    ]:
        uid = first_with_status(sim, old, skip=changed_users)
        sim.org.set_user_status(uid, new)
        changed_users.add(uid)
    changed_users.add(sim.org.create_user(status="STAGED")["id"])
    # Same second as the bookmark: a `gt` filter would lose this one.
    same_second = next(
        u["id"]
        for u in sim.org.all_users()
        if u["id"] not in changed_users and parse_timestamp(u["lastUpdated"]) < bookmark
    )
    sim.org.touch_user(same_second, at=bookmark)
    changed_users.add(same_second)

    groups = [g for g in sim.org.all_groups() if g["type"] == "OKTA_GROUP"]
    renamed, joined, left = groups[0]["id"], groups[1]["id"], groups[2]["id"]
    sim.org.update_group_profile(renamed, {"description": "renamed by the test"})
    sim.org.add_group_member(joined, profile_user)
    removed = sim.org.group_members(left)[0]
    sim.org.remove_group_member(left, removed)
    everyone = next(g["id"] for g in sim.org.all_groups() if g["type"] == "BUILT_IN")

    new_events = {e["uuid"] for e in sim.org.add_events(7)}
    # Stored now but published before the newest event already read.
    late = {
        sim.org.add_event(published=newest_event - dt.timedelta(seconds=s))["uuid"]
        for s in (1, 30, 300)
    }

    second = run_tap(api_config, state=state)
    assert second.returncode == 0, second.stderr[-2000:]

    users = second.ids("users")
    assert Counter(users).most_common(1)[0][1] == 1
    unchanged_users = set(users) - changed_users
    assert set(users) >= changed_users
    assert not unchanged_users, f"unchanged users re-emitted: {unchanged_users}"
    by_id = {r["id"]: r for r in second.records("users")}
    assert by_id[profile_user]["profile"]["department"] == "Security"

    # Everyone changed too: create_user adds the new user to it.
    assert set(second.ids("groups")) == {renamed, joined, left, everyone}
    # Memberships come from the System Log: exactly what changed, removals as deletes.
    members = {
        (r["groupId"], r["userId"]): bool(r.get("_sdc_deleted_at"))
        for r in second.records("group_members")
    }
    new_user = next(u for u in changed_users if u not in {r["id"] for r in first.records("users")})
    assert members == {
        (joined, profile_user): False,
        (left, removed): True,
        (everyone, new_user): False,
    }

    uuids_1, uuids_2 = first.ids("logs", "uuid"), second.ids("logs", "uuid")
    # The directory changes above are System Log events too.
    assert set(uuids_2) >= new_events | late
    assert set(uuids_2) == sim.org.event_uuids() - set(uuids_1)
    both = Counter(uuids_1 + uuids_2)
    duplicates = [u for u, n in both.items() if n > 1]
    missing = sim.org.event_uuids() - set(both)
    assert not duplicates
    assert not missing
    report(
        "second_run",
        changed_users=len(changed_users),
        users_emitted=len(users),
        unchanged_users_reemitted=len(unchanged_users),
        groups_emitted=len(second.ids("groups")),
        events_run1=len(uuids_1),
        events_run2=len(uuids_2),
        duplicate_events=len(duplicates),
        missing_events=len(missing),
    )


def test_nothing_changed_means_nothing_emitted(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    first = run_tap(api_config, streams=("users", "groups", "logs"))
    second = run_tap(api_config, state=first.final_state, streams=("users", "groups", "logs"))
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.counts() == Counter()
    assert [r for r in sim.requests if r.path == "/api/v1/users"][-1].param("search")


def test_state_stays_small_over_many_runs(sim: OktaSimulator, api_config: dict[str, Any]) -> None:
    """Ten scheduled runs, 20 minutes apart, with changes in between: the state holds
    bookmarks and a bounded boundary set, not a record of everything ever read."""
    state: dict[str, Any] | None = None
    sizes = []
    for run_number in range(10):
        # The tap's machine keeps time with Okta's (it saves no time past its clock).
        later = {CLOCK_OFFSET_ENV: str(sim.org.clock.offset)}
        run = run_tap(api_config, state=state, streams=("users", "groups", "logs"), env=later)
        assert run.returncode == 0, run.stderr[-2000:]
        state = run.final_state
        sizes.append(len(json.dumps(state)))
        sim.org.clock.advance(20 * 60)
        for user in sim.org.all_users()[run_number * 20 : run_number * 20 + 20]:
            sim.org.touch_user(user["id"])
        sim.org.add_events(50, spread_seconds=600)
    assert state is not None
    for stream_state in state["bookmarks"].values():
        assert "progress_markers" not in stream_state
        assert "replication_key_signpost" not in stream_state
        assert len(stream_state.get("delivered", [])) <= DELIVERED_CAP
    assert max(sizes[1:]) < 2 * sizes[1]
    report("state_size", bytes_per_run=sizes)


@pytest.fixture
def big_sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=1000, events=3500, seed=5, api_key=API_KEY) as simulator:
        yield simulator


@pytest.mark.parametrize(
    ("streams", "kill_after", "key"),
    [
        (("users",), 450, "id"),  # sorted: resumes mid-way
        (("logs",), 1500, "uuid"),  # resumes from Okta's own next link
        # group_members runs first: its complete read restarts; groups restart the window.
        (("groups", "group_members"), 1100, None),
    ],
)
def test_killed_run_resumes_without_gaps(
    big_sim: OktaSimulator,
    streams: tuple[str, ...],
    kill_after: int,
    key: str | None,
) -> None:
    sim = big_sim
    config = {"org_url": sim.base_url, "api_key": API_KEY}
    # Slow pages, so the kill lands mid-run rather than after the last page.
    sim.faults.slow_rate, sim.faults.slow_seconds = 1.0, 0.3
    killed = run_tap(config, streams=streams, kill_after_records=kill_after)
    sim.faults.slow_rate = 0.0
    assert killed.returncode == -signal.SIGKILL
    assert killed.states, "a STATE was emitted before the kill"
    resumed = run_tap(config, state=killed.final_state, streams=streams)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    stream = streams[-1] if key is None else streams[0]
    figures: dict[str, Any] = {"killed_after_records": len(killed.records(stream))}
    if key:
        before, after = killed.ids(stream, key), resumed.ids(stream, key)
        expected = (
            {u["id"] for u in sim.org.all_users()} if stream == "users" else sim.org.event_uuids()
        )
        assert set(before) | set(after) == expected
        figures |= {
            "total": len(expected),
            "resumed_run": len(after),
            "emitted_twice": len(set(before) & set(after)),
        }
        # Resumed mid-way: the rerun did not start over.
        assert len(after) < len(expected) - 300
    else:
        pairs = {(r["groupId"], r["userId"]) for r in killed.records("group_members")}
        pairs |= {(r["groupId"], r["userId"]) for r in resumed.records("group_members")}
        expected_pairs = {
            (g["id"], u) for g in sim.org.all_groups() for u in sim.org.group_members(g["id"])
        }
        assert expected_pairs <= pairs
        all_groups = {g["id"] for g in sim.org.all_groups()}
        assert set(killed.ids("groups")) | set(resumed.ids("groups")) == all_groups
        figures |= {"resumed_run": len(resumed.records(stream))}
    report(f"kill_{stream}", **figures)


def test_killed_by_sigterm_saves_its_progress(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    sim.faults.slow_rate, sim.faults.slow_seconds = 1.0, 0.3
    killed = run_tap(
        api_config, streams=("users",), kill_after_records=150, kill_signal=signal.SIGTERM
    )
    sim.faults.slow_rate = 0.0
    assert killed.states
    assert len(killed.records("users")) < len(sim.org.all_users())
    resumed = run_tap(api_config, state=killed.final_state, streams=("users",))
    assert set(killed.ids("users")) | set(resumed.ids("users")) == {
        u["id"] for u in sim.org.all_users()
    }


def test_stale_log_cursor_falls_back_without_gaps_or_repeats(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    first = run_tap(api_config, streams=("logs",))
    newest = parse_timestamp(first.final_state["bookmarks"]["logs"]["replication_key_value"])
    sim.org.invalidate_cursors()
    new = {e["uuid"] for e in sim.org.add_events(5)}
    late = sim.org.add_event(published=newest - dt.timedelta(minutes=2))["uuid"]
    second = run_tap(api_config, state=first.final_state, streams=("logs",))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "no longer accepts the saved position" in second.stderr
    assert set(second.ids("logs", "uuid")) == new | {late}
    both = Counter(first.ids("logs", "uuid") + second.ids("logs", "uuid"))
    assert max(both.values()) == 1
    assert set(both) == sim.org.event_uuids()


def test_changes_during_a_run_are_picked_up_next_run(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    """Groups are read unsorted: a group changed after its page was read must not be lost
    behind a bookmark moved by a later page."""
    for n in range(450):
        sim.org.create_group(f"bulk-{n:03d}")
    first = run_tap(api_config, streams=("groups",))
    ordered = sorted(g["id"] for g in sim.org.all_groups())
    early, late = ordered[0], ordered[-1]
    sim.faults.queue_path = r"^/api/v1/groups$"
    sim.faults.queue = ["slow", "slow", "slow"]
    sim.faults.slow_seconds = 1.0

    def change_while_reading() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any(r.path == "/api/v1/groups" for r in sim.requests):
                break
            time.sleep(0.02)
        time.sleep(0.3)  # the first page has been served
        sim.org.update_group_profile(early, {"description": "changed mid-run"})
        time.sleep(1.2)
        sim.org.update_group_profile(late, {"description": "changed later"})

    sim.clear_requests()
    worker = threading.Thread(target=change_while_reading)
    worker.start()
    second = run_tap(api_config, state=first.final_state, streams=("groups",))
    worker.join()
    third = run_tap(api_config, state=second.final_state, streams=("groups",))
    seen: dict[str, list[str]] = {}
    for run in (second, third):
        for record in run.records("groups"):
            seen.setdefault(record["id"], []).append(record["profile"]["description"] or "")
    assert "changed mid-run" in seen[early]
    assert "changed later" in seen[late]


def test_start_date_bounds_the_first_run(sim: OktaSimulator, api_config: dict[str, Any]) -> None:
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    run = run_tap({**api_config, "start_date": start.isoformat()}, streams=(*DIRECTORY, "logs"))
    assert run.returncode == 0, run.stderr[-2000:]
    recent_users = {
        u["id"] for u in sim.org.all_users() if parse_timestamp(u["lastUpdated"]) >= start
    }
    assert set(run.ids("users")) == recent_users
    assert all(parse_timestamp(e["published"]) >= start for e in run.records("logs"))
    assert len(run.records("logs")) > 0


def test_start_date_beyond_log_retention_is_clamped(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    run = run_tap({**api_config, "start_date": "2020-01-01T00:00:00Z"}, streams=("logs",))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "90-day retention" in run.stderr
    assert set(run.ids("logs", "uuid")) == sim.org.event_uuids()
