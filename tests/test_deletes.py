"""Removals and deletions reach the output, from the System Log; complete reads and
ACTIVATE_VERSION keep the rest exact. Over real HTTP against the simulator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tap_okta.ratelimit import CLOCK_OFFSET_ENV
from tests.harness import TapRun, remove_a_member_without_event, report, run_tap, tap_api_requests
from tests.okta_sim import OktaSimulator
from tests.warehouse import DIRECTORY_KEYS

pytestmark = pytest.mark.cli

DIRECTORY = ("users", "groups", "group_members", "apps", "app_users", "app_groups")
KEYS = DIRECTORY_KEYS


def keyed(run: TapRun, stream: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """Records by primary key; fails on a key emitted twice in one run."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for record in run.records(stream):
        key = tuple(record[k] for k in KEYS[stream])
        assert key not in out, f"{stream} {key} emitted twice in one run"
        out[key] = record
    return out


def tombstones(run: TapRun, stream: str) -> set[tuple[str, ...]]:
    return {k for k, r in keyed(run, stream).items() if r.get("_sdc_deleted_at")}


def live(run: TapRun, stream: str) -> set[tuple[str, ...]]:
    return {k for k, r in keyed(run, stream).items() if not r.get("_sdc_deleted_at")}


def expected(sim: OktaSimulator, stream: str) -> set[tuple[str, ...]]:
    return {k if isinstance(k, tuple) else (k,) for k in sim.org.snapshot()[stream]}


def activated(run: TapRun) -> dict[str, int]:
    return {m["stream"]: m["version"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}


def versions(run: TapRun, stream: str) -> set[int | None]:
    return {
        m.get("version") for m in run.messages if m["type"] == "RECORD" and m["stream"] == stream
    }


class Changes:
    """One round of directory changes in the simulator, and what they must yield."""

    def __init__(self, sim: OktaSimulator) -> None:
        org = sim.org
        groups = [g for g in org.all_groups() if g["type"] == "OKTA_GROUP"]
        self.group_left, self.group_joined, self.group_deleted = (g["id"] for g in groups[:3])
        self.member_removed = org.group_members(self.group_left)[0]
        outsiders = set(u["id"] for u in org.all_users()) - set(
            org.group_members(self.group_joined)
        )
        self.member_added = sorted(outsiders)[0]
        # An app with a user assigned directly: Okta refuses to unassign one a group
        # still gives.
        apps = [a for a in org.all_apps() if org.removable_app_user_ids(a["id"])]
        self.app = apps[0]["id"]
        self.app_user_removed = org.removable_app_user_ids(self.app)[0]
        assigned_group_apps = [a["id"] for a in org.all_apps() if org.app_group_ids(a["id"])]
        self.group_app = assigned_group_apps[0]
        self.app_group_removed = org.app_group_ids(self.group_app)[0]
        candidates = [
            u["id"]
            for u in org.all_users()
            if u["id"] not in (self.member_removed, self.member_added, self.app_user_removed)
        ]
        self.user_deleted = candidates[-1]
        self.everyone = next(g["id"] for g in org.all_groups() if g["type"] == "BUILT_IN")
        deletable = [a["id"] for a in org.all_apps() if a["id"] not in (self.app, self.group_app)]
        self.app_deleted = deletable[-1]

        self.org = org
        self.app_users_before = set(org.snapshot()["app_users"])
        org.remove_group_member(self.group_left, self.member_removed)
        org.add_group_member(self.group_joined, self.member_added)
        org.unassign_app_user(self.app, self.app_user_removed)
        org.unassign_app_group(self.group_app, self.app_group_removed)
        org.set_user_status(self.user_deleted, "DEPROVISIONED")
        org.delete_user(self.user_deleted)
        org.delete_group(self.group_deleted)
        org.set_app_status(self.app_deleted, "INACTIVE")
        org.delete_app(self.app_deleted)

    def gone_app_users(self) -> set[tuple[str, ...]]:
        return self.app_users_before - set(self.org.snapshot()["app_users"])

    def check_tombstones(self, got: dict[str, set[tuple[str, ...]]]) -> None:
        """Every expected deletion, and none for a row the org still has. app_users may
        carry more: a deleted user's or app's assignments when Okta logged them, and
        assignments made and undone within the window (the member who joined a group
        whose assignment to the app was then removed)."""
        now = {table: set(keys) for table, keys in self.org.snapshot().items()}
        for stream, expected in self.expected_tombstones().items():
            assert expected <= got[stream], (stream, expected - got[stream])
            keys = {k if isinstance(k, tuple) else (k,) for k in now[stream]}
            assert not got[stream] & keys, (stream, got[stream] & keys)
            if stream != "app_users":
                assert got[stream] == expected, (stream, got[stream] - expected)

    def expected_tombstones(self) -> dict[str, set[tuple[str, ...]]]:
        return {
            "users": {(self.user_deleted,)},
            "groups": {(self.group_deleted,)},
            # Okta logs no event for Everyone: the user's deletion takes them out of it.
            "group_members": {
                (self.group_left, self.member_removed),
                (self.everyone, self.user_deleted),
            },
            "apps": {(self.app_deleted,)},
            # The unassigned user, and whoever lost an app with the group that gave
            # it (Okta logs each); the cascades of a deleted user or app may wait for
            # the complete read (``allowed_tombstones``).
            "app_users": {
                (app, user)
                for app, user in self.gone_app_users()
                if app != self.app_deleted and user != self.user_deleted
            },
            "app_groups": {(self.group_app, self.app_group_removed)},
        }


@pytest.fixture
def config(api_config: dict[str, Any]) -> dict[str, Any]:
    return {**api_config, "emit_activate_version_messages": True}


def test_first_run_is_complete_and_activates_every_stream(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    run = run_tap(config, streams=DIRECTORY)
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in DIRECTORY:
        assert live(run, stream) == expected(sim, stream), stream
        assert not tombstones(run, stream)
        # Every record of a complete read carries its version, then ACTIVATE_VERSION.
        assert versions(run, stream) == {activated(run)[stream]}, stream
    everyone = next(g["id"] for g in sim.org.all_groups() if g["type"] == "BUILT_IN")
    assert {u for g, u in live(run, "group_members") if g == everyone} == {
        u["id"] for u in sim.org.all_users()
    }
    last_record = max(
        i
        for i, m in enumerate(run.messages)
        if m["type"] == "RECORD" and m["stream"] == "group_members"
    )
    activate = next(
        i
        for i, m in enumerate(run.messages)
        if m["type"] == "ACTIVATE_VERSION" and m["stream"] == "group_members"
    )
    assert activate > last_record, "ACTIVATE_VERSION must follow the stream's last record"


def test_removals_and_deletions_arrive_once_from_the_system_log(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    first = run_tap(config, streams=DIRECTORY)
    assert first.returncode == 0, first.stderr[-3000:]
    changes = Changes(sim)
    sim.clear_requests()

    second = run_tap(config, streams=DIRECTORY, state=first.final_state)
    assert second.returncode == 0, second.stderr[-3000:]
    changes.check_tombstones({s: tombstones(second, s) for s in DIRECTORY})
    assert (changes.group_joined, changes.member_added) in live(second, "group_members")
    # Memberships came from the log alone: no group's member list was read again.
    member_reads = [
        r for r in tap_api_requests(sim) if r.path.endswith("/users") and "/groups/" in r.path
    ]
    assert member_reads == []
    # Only the apps list was read completely; the incremental streams (the app
    # assignments included) send no ACTIVATE_VERSION.
    assert set(activated(second)) == {"apps"}
    deleted_user = keyed(second, "users")[(changes.user_deleted,)]
    assert deleted_user["profile"]["login"]  # the event's display fields are kept
    log_requests = [r for r in tap_api_requests(sim) if r.path == "/api/v1/logs"]
    report(
        "deletes_round",
        tombstones={s: len(tombstones(second, s)) for s in DIRECTORY},
        log_requests=len(log_requests),
        api_requests=len(tap_api_requests(sim)),
    )

    third = run_tap(config, streams=DIRECTORY, state=second.final_state)
    assert third.returncode == 0, third.stderr[-3000:]
    for stream in DIRECTORY:
        assert not tombstones(third, stream), f"{stream}: a change was applied twice"
    assert not live(third, "group_members")


def test_incremental_run_after_a_complete_one_touches_no_unchanged_group(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    first = run_tap(config, streams=DIRECTORY)
    changed = next(g["id"] for g in sim.org.all_groups() if g["type"] == "OKTA_GROUP")
    newcomer = next(
        u["id"] for u in sim.org.all_users() if u["id"] not in sim.org.group_members(changed)
    )
    sim.org.add_group_member(changed, newcomer)

    second = run_tap(config, streams=DIRECTORY, state=first.final_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "group_members" not in activated(second)
    assert "groups" not in activated(second)
    assert set(keyed(second, "group_members")) == {(changed, newcomer)}
    assert {k[0] for k in keyed(second, "groups")} == {changed}


def test_complete_read_every_interval_activates_again(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    config = {**config, "full_sync_interval_days": 1 / 86400}  # one second
    first = run_tap(config, streams=DIRECTORY)
    time.sleep(1.5)
    remove_a_member_without_event(sim)

    second = run_tap(config, streams=DIRECTORY, state=first.final_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert set(activated(second)) == set(DIRECTORY)
    for stream in DIRECTORY:
        assert activated(second)[stream] > activated(first)[stream], stream
        assert versions(second, stream) == {activated(second)[stream]}, stream
    assert live(second, "group_members") == expected(sim, "group_members")
    assert "complete read" in second.stderr


def test_without_the_system_log_the_directory_job_still_succeeds(
    sim: OktaSimulator,
) -> None:
    app = sim.org.register_service_app(
        scopes={"okta.users.read", "okta.groups.read", "okta.apps.read"}
    )
    config = {
        "org_url": sim.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
        "emit_activate_version_messages": True,
    }
    first = run_tap(config, streams=DIRECTORY)
    assert first.returncode == 0, first.stderr[-3000:]
    warnings = [
        line for line in first.stderr.splitlines() if "WARNING" in line and "okta.logs.read" in line
    ]
    assert len(warnings) == 1, first.stderr[-3000:]
    # The token response said okta.logs.read was not granted: no call to draw a 403.
    assert not [r for r in sim.requests if r.path == "/api/v1/logs"]

    group = next(g["id"] for g in sim.org.all_groups() if g["type"] == "OKTA_GROUP")
    newcomer = next(
        u["id"] for u in sim.org.all_users() if u["id"] not in sim.org.group_members(group)
    )
    sim.org.add_group_member(group, newcomer)
    second = run_tap(config, streams=DIRECTORY, state=first.final_state)
    assert second.returncode == 0, second.stderr[-3000:]
    # Without the log, the changed group is read again: the new member arrives.
    assert (group, newcomer) in live(second, "group_members")
    assert not tombstones(second, "group_members")


def test_api_token_without_system_log_access_warns_once(sim: OktaSimulator) -> None:
    token = "00sim-token-without-logs-0123456789"
    sim.org.add_api_token(token, permissions={"users", "groups", "apps"})
    run = run_tap({"org_url": sim.base_url, "api_key": token}, streams=DIRECTORY)
    assert run.returncode == 0, run.stderr[-3000:]
    warnings = [
        line for line in run.stderr.splitlines() if "WARNING" in line and "System Log" in line
    ]
    assert len(warnings) == 1, run.stderr[-3000:]


def test_a_killed_run_applies_every_change_on_the_rerun(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    first = run_tap(config, streams=DIRECTORY)
    changes = Changes(sim)
    killed = run_tap(config, streams=DIRECTORY, state=first.final_state, kill_after_records=50)
    assert killed.returncode != 0
    state = killed.final_state or first.final_state
    rerun = run_tap(config, streams=DIRECTORY, state=state)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    for stream, expected in changes.expected_tombstones().items():
        got = tombstones(killed, stream) | tombstones(rerun, stream)
        assert expected <= got, stream


def test_a_saved_position_okta_no_longer_accepts_is_re_read_from_its_time(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    first = run_tap(config, streams=DIRECTORY)
    changes = Changes(sim)
    sim.org.invalidate_cursors()  # Okta answers 400 to every saved next link
    second = run_tap(config, streams=DIRECTORY, state=first.final_state)
    assert second.returncode == 0, second.stderr[-3000:]
    changes.check_tombstones({s: tombstones(second, s) for s in DIRECTORY})
    assert "no longer accepts the saved position" in second.stderr


def test_a_position_past_okta_retention_forces_a_complete_read(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    config = {**config, "full_sync_interval_days": 0}  # never, but for the gap
    first = run_tap(config, streams=DIRECTORY)
    sim.org.clock.advance(91 * 86400)  # the job did not run for three months
    # ... on the tap's machine too: the tap saves no time past its own clock.
    later = {CLOCK_OFFSET_ENV: str(sim.org.clock.offset)}
    second = run_tap(config, streams=DIRECTORY, state=first.final_state, env=later)
    assert second.returncode == 0, second.stderr[-3000:]
    assert set(activated(second)) == set(DIRECTORY)
    assert live(second, "group_members") == expected(sim, "group_members")
    assert "older than Okta's 90-day retention" in second.stderr
