"""``python -m benchmarks.benchmark --security-hourly``: what the security streams cost.

On one simulated org (50,000 users by default): a first run of every security
stream (complete: one factor request per user, one role request per group), a
few changes an hour later (factor enrolments and resets, group and user role
grants and revocations, a device updated and one deleted), then the hourly run.
Prints the API requests per stream family and the records per stream of both
runs, and checks the hourly run re-read exactly the users and groups the changes
named and wrote the expected deletions.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.benchmark import API_KEY, rate_limit_config, run_tap, tap_config
from tap_okta.tap import STREAM_TYPES
from tests.okta_sim import OktaSimulator, RequestRecord

SECURITY = tuple(
    str(s.name)
    for s in STREAM_TYPES
    if not s.selected_by_default  # type: ignore[attr-defined]
)
HOUR = 3600
# Which stream a request is for (first match wins).
FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("user_factors", r"^/api/v1/users(/[^/]+/factors)?$"),
        ("user_roles", r"^/api/v1/(iam/assignees/users|users/[^/]+/roles)$"),
        ("group_rules", r"^/api/v1/groups/rules$"),
        ("group_roles", r"^/api/v1/groups(/[^/]+/roles)?$"),
        ("custom roles", r"^/api/v1/iam/roles"),
        ("resource sets", r"^/api/v1/iam/resource-sets"),
        ("devices", r"^/api/v1/devices"),
        ("policies", r"^/api/v1/policies"),
        ("change feed", r"^/api/v1/logs$"),
        ("other config", r"^/api/v1/"),
    )
)


def family(request: RequestRecord) -> str | None:
    for name, pattern in FAMILIES:
        if pattern.match(request.path):
            return name
    return None


def changes(sim: OktaSimulator) -> dict[str, Any]:
    """A few changes of each kind; what the hourly run must re-read and delete."""
    org = sim.org
    snapshot = org.snapshot()
    users = sorted(u["id"] for u in org.all_users() if u["status"] == "ACTIVE")
    with_factors = sorted({user for user, _ in snapshot["user_factors"]})
    without = [u for u in users if u not in set(with_factors)]
    enrolled = without[:5]
    for user in enrolled:
        org.enroll_factor(user, "token:software:totp")
    reset = with_factors[:5]
    for user in reset:
        org.reset_all_factors(user)
    role_groups = sorted({g for g, _ in snapshot["group_roles"]})
    revoked_group, revoked_role = sorted(snapshot["group_roles"])[0]
    org.unassign_group_role(revoked_group, revoked_role)
    plain = sorted(g["id"] for g in org.all_groups() if g["type"] == "OKTA_GROUP")
    granted_group = next(g for g in plain if g not in role_groups)
    org.assign_group_role(granted_group, "HELP_DESK_ADMIN")
    admins = sorted(snapshot["user_roles"])
    demoted, demoted_role = admins[0]
    org.unassign_user_role(demoted, demoted_role)
    devices = sorted(snapshot["devices"])
    org.update_device(devices[1])
    org.deactivate_device(devices[0])
    org.delete_device(devices[0])
    after = org.snapshot()
    # A revoked group role also leaves every member's user_roles list.
    return {
        "factor_users": set(enrolled) | set(reset),
        "role_groups": {revoked_group, granted_group},
        "deleted": {
            stream: as_keys(snapshot[stream]) - as_keys(after[stream])
            for stream in ("group_roles", "user_roles", "devices")
        },
    }


def as_keys(items: Any) -> set[tuple[str, ...]]:
    return {k if isinstance(k, tuple) else (k,) for k in items}


def security_hourly(args: argparse.Namespace) -> int:
    limits = rate_limit_config(args)
    print(
        f"Security streams: org of {args.users} users (seed {args.seed}); {args.auth}; "
        f"{args.window_seconds:g} s rate-limit windows, rate_limit_share {args.share}."
    )
    runs: dict[str, tuple[Counter[str], dict[str, int], float]] = {}
    ok = True
    with (
        OktaSimulator(users=args.users, seed=args.seed, api_key=API_KEY, rate_limits=limits) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        org = sim.org
        print(
            f"Org: {len(org.users)} users, {len(org.groups)} groups, "
            f"{len(org.snapshot()['user_factors'])} factors, "
            f"{len(org.snapshot()['devices'])} devices.",
        )
        config = {**tap_config(sim, args), "emit_activate_version_messages": True}
        state: dict[str, Any] | None = None
        made: dict[str, Any] = {}
        for run in ("first", "hourly"):
            if run == "hourly":
                org.clock.advance(HOUR)
                made = changes(sim)
            print(f"{run} run ...", file=sys.stderr)
            sim.clear_requests()
            result = run_tap(config, SECURITY, Path(tmp) / run, state=state)
            requests = [r for r in sim.requests if r.path.startswith("/api/v1/")]
            per_family = Counter(family(r) or "?" for r in requests)
            records = {stream: sum(seen.values()) for stream, seen in result.seen.items()}
            runs[run] = (per_family, records, result.seconds)
            if result.exit_code != 0:
                ok = False
                print(f"ERROR: {run} run exited {result.exit_code}:", file=sys.stderr)
                print(result.log.read_text()[-2000:], file=sys.stderr)
            state = result.state if result.state is not None else state
            if run == "hourly":
                factor_reads = {
                    r.path.split("/")[4] for r in requests if r.path.endswith("/factors")
                }
                role_reads = {
                    r.path.split("/")[4]
                    for r in requests
                    if r.path.startswith("/api/v1/groups/") and r.path.endswith("/roles")
                }
                checks = {
                    "factor reads = users the changes named": factor_reads == made["factor_users"],
                    "group role reads = groups the changes named": role_reads
                    == made["role_groups"],
                }
                for stream, keys in made["deleted"].items():
                    checks[f"{stream} deletions"] = set(result.deleted.get(stream, {})) == keys
                for name, passed in checks.items():
                    print(f"check: {name}: {'ok' if passed else 'MISMATCH'}")
                    ok &= passed
    names = sorted({f for counts, _, _ in runs.values() for f in counts})
    print(f"\n{'requests':<16}{'first':>9}{'hourly':>9}")
    for name in names:
        print(f"{name:<16}{runs['first'][0][name]:>9}{runs['hourly'][0][name]:>9}")
    print(f"{'total':<16}{sum(runs['first'][0].values()):>9}{sum(runs['hourly'][0].values()):>9}")
    print(f"\n{'records':<24}{'first':>9}{'hourly':>9}")
    for stream in SECURITY:
        print(
            f"{stream:<24}{runs['first'][1].get(stream, 0):>9}{runs['hourly'][1].get(stream, 0):>9}"
        )
    print(f"\nseconds: first {runs['first'][2]:.0f}, hourly {runs['hourly'][2]:.0f}")
    return 0 if ok else 1
