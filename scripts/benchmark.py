"""Benchmark tap-okta against a large simulated org.

    .venv/bin/python -m scripts.benchmark                      # 50,000 users, Okta's limits
    .venv/bin/python -m scripts.benchmark --window-seconds 5   # same limits, 5 s windows
    .venv/bin/python -m scripts.benchmark --users 5000 --auth service_app \
        --rate-limit /api/v1/users=20
    .venv/bin/python -m scripts.benchmark --directory-hourly   # old tap vs new, see below
    .venv/bin/python -m scripts.benchmark --security-hourly    # scripts/security_cost.py

Run from the repository root, as a module: it imports the simulator and the test
harness from ``tests``.

Runs the real ``tap-okta`` CLI as a subprocess against the bundled simulator and
reports, per stream: records, requests made versus the least number of pages the
data needs at the tap's page sizes, 429s received; and for the run: records per
second, wall time, peak memory (RSS) of the tap process. It also checks every record
arrived exactly once, so a fast but lossy run cannot look good.

``--directory-hourly`` compares the directory streams (users, groups, group_members,
apps, app_users, app_groups) of this working tree ("new") with an older commit of the
tap ("old", ``--old-commit``, run from a temporary git worktree with the same
interpreter), each on its own identically generated org with identical changes: a
first (complete) run, an hourly run after a few hundred directory changes, and a run
after the org's clock moved 8 days on (the new tap's periodic complete read). It
prints the API requests per endpoint family for each, and checks the new tap's
output: complete runs equal the org, the hourly run's group_members rows and
deletions equal the changes made. Rate limits default to 1-second windows and
``rate_limit_share`` 1.0 here: the requests matter, not the waiting.

This is a measurement, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from inspect import getattr_static
from pathlib import Path
from typing import Any

from tap_okta.tap import STREAM_TYPES
from tests.harness import ALL_STREAMS, catalog_selecting, membership_group_ids
from tests.okta_sim import OktaSimulator, Org, RequestRecord
from tests.okta_sim.ratelimit import RateLimitConfig

ROOT = Path(__file__).resolve().parent.parent

API_KEY = "benchmark-okta-token"
DELETED_AT = "_sdc_deleted_at"
# The tap's own page sizes and keys: the minimum number of pages follows from them.
# (Class attributes here; the SDK types name and primary_keys as instance properties.)
NAMES = [str(getattr_static(stream, "name")) for stream in STREAM_TYPES]
PAGE_SIZES: dict[str, int] = dict(zip(NAMES, (s.page_size for s in STREAM_TYPES), strict=True))
KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(getattr_static(stream, "primary_keys"))
    for name, stream in zip(NAMES, STREAM_TYPES, strict=True)
}

# Runs the tap and, at exit, writes its own peak RSS (KiB). VmHWM belongs to the
# process image after exec; getrusage's ru_maxrss would also count the forked copy
# of this benchmark process, simulator and org included.
LAUNCHER = """
import atexit, os, resource, runpy, sys

def peak_rss():
    try:
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kib = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with open(os.environ["BENCHMARK_PEAK_RSS_FILE"], "w") as out:
        out.write(kib)

atexit.register(peak_rss)
sys.argv[0] = "tap-okta"
runpy.run_module("tap_okta.tap", run_name="__main__", alter_sys=True)
"""


def stream_of(path: str) -> str | None:
    """Which stream an API request served."""
    parts = path.strip("/").split("/")  # api, v1, family[, id, child]
    if len(parts) == 3:
        return {"users": "users", "groups": "groups", "apps": "apps", "logs": "logs"}.get(parts[2])
    if len(parts) == 5:
        return {
            ("groups", "users"): "group_members",
            ("apps", "users"): "app_users",
            ("apps", "groups"): "app_groups",
        }.get((parts[2], parts[4]))
    return None


def pages(count: int, size: int, *, short_last_page: bool = False) -> int:
    """Pages to read ``count`` items; the System Log also needs a short last page."""
    if short_last_page:
        return count // size + 1
    return max(1, math.ceil(count / size))


def expected(sim: OktaSimulator) -> tuple[dict[str, set[tuple[str, ...]]], dict[str, int]]:
    """The keys each stream must deliver, and the fewest pages that can carry them."""
    org = sim.org
    groups = org.all_groups()
    apps = org.all_apps()
    members = {g: org.group_members(g) for g in membership_group_ids(sim)}
    app_users = {a["id"]: org.app_user_ids(a["id"]) for a in apps}
    app_groups = {a["id"]: org.app_group_ids(a["id"]) for a in apps}
    keys: dict[str, set[tuple[str, ...]]] = {
        "users": {(u["id"],) for u in org.all_users()},
        "groups": {(g["id"],) for g in groups},
        "group_members": {(g, u) for g, users in members.items() for u in users},
        "apps": {(a["id"],) for a in apps},
        "app_users": {(a, u) for a, users in app_users.items() for u in users},
        "app_groups": {(a, g) for a, ids in app_groups.items() for g in ids},
        "logs": {(uuid,) for uuid in org.event_uuids()},
    }
    children = {"group_members": members, "app_users": app_users, "app_groups": app_groups}
    minimum = {
        stream: sum(pages(len(v), PAGE_SIZES[stream]) for v in parents.values())
        for stream, parents in children.items()
    }
    for stream in ("users", "groups", "apps"):
        minimum[stream] = pages(len(keys[stream]), PAGE_SIZES[stream])
    minimum["logs"] = pages(len(keys["logs"]), PAGE_SIZES["logs"], short_last_page=True)
    return keys, minimum


def tap_config(sim: OktaSimulator, args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {"org_url": sim.base_url}
    if args.auth == "service_app":
        app = sim.org.register_service_app()
        config |= {
            "client_id": app.client_id,
            "key_id": app.key_id,
            "private_key": app.private_key_pem,
        }
    else:
        config["api_key"] = API_KEY
    if args.share is not None:
        config["rate_limit_share"] = args.share
    return config


@dataclass
class TapResult:
    exit_code: int
    seconds: float
    seen: dict[str, Counter[tuple[str, ...]]]  # record key -> times emitted
    log: Path
    peak_rss_kib: int
    # Keys of the records emitted with _sdc_deleted_at (deletions), and the last STATE.
    deleted: dict[str, Counter[tuple[str, ...]]] = field(default_factory=dict)
    state: dict[str, Any] | None = None


def run_tap(
    config: dict[str, Any],
    streams: tuple[str, ...],
    folder: Path,
    *,
    catalog: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    tap_root: Path = ROOT,
) -> TapResult:
    """Run the tap; count every record's key as it arrives on stdout.

    ``tap_root`` is where ``tap_okta`` is imported from (another checkout of the
    tap, with this interpreter); ``catalog`` defaults to this tap's, selecting
    ``streams``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    if catalog is None:
        catalog = catalog_selecting(streams)
    (folder / "catalog.json").write_text(json.dumps(catalog))
    stderr_path = folder / "tap.log"
    rss_path = folder / "peak-rss"
    seen: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    deleted: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    command = [
        sys.executable,
        "-c",
        LAUNCHER,
        "--config",
        str(folder / "config.json"),
        "--catalog",
        str(folder / "catalog.json"),
    ]
    if state is not None:
        (folder / "state.json").write_text(json.dumps(state))
        command += ["--state", str(folder / "state.json")]
    env = os.environ | {"BENCHMARK_PEAK_RSS_FILE": str(rss_path)}
    if tap_root != ROOT:
        env |= tap_env(tap_root)
    last_state = ""
    started = time.monotonic()
    with (
        stderr_path.open("w") as stderr,
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=tap_root,
            env=env,
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith('{"type":"STATE"'):
                last_state = line
                continue
            if not line.startswith('{"type":"RECORD"'):
                continue
            message = json.loads(line)
            stream, record = message["stream"], message["record"]
            key = tuple(str(record[k]) for k in KEYS[stream])
            seen[stream][key] += 1
            if record.get(DELETED_AT):
                deleted[stream][key] += 1
        returncode = process.wait()
    seconds = time.monotonic() - started
    peak = int(rss_path.read_text()) if rss_path.exists() else 0
    final_state = json.loads(last_state)["value"] if last_state else None
    return TapResult(returncode, seconds, seen, stderr_path, peak, deleted, final_state)


def tap_env(tap_root: Path) -> dict[str, str]:
    """Import ``tap_okta`` from ``tap_root`` (ahead of the editable install of this one)."""
    return {"PYTHONPATH": str(tap_root)}


def summarise(
    requests: list[RequestRecord],
    streams: tuple[str, ...],
    wanted: dict[str, set[tuple[str, ...]]],
    allowed: dict[str, set[tuple[str, ...]]],
    minimum: dict[str, int],
    seen: dict[str, Counter[tuple[str, ...]]],
) -> dict[str, dict[str, int]]:
    """Per stream: records, duplicates, ``wanted`` keys missing, keys not ``allowed``,
    requests, the minimum number of pages, 429s."""
    made: Counter[str] = Counter()
    throttled: Counter[str] = Counter()
    for request in requests:
        stream = stream_of(request.path)
        if stream is None:
            continue
        made[stream] += 1
        if request.status == 429:
            throttled[stream] += 1
    return {
        stream: {
            "records": sum(seen[stream].values()),
            "expected": len(wanted[stream]),
            "duplicates": sum(n - 1 for n in seen[stream].values() if n > 1),
            "missing": len(wanted[stream] - seen[stream].keys()),
            "unexpected": len(seen[stream].keys() - allowed[stream]),
            "requests": made[stream],
            "min_pages": minimum[stream],
            "429s": throttled[stream],
        }
        for stream in streams
    }


def print_report(report: dict[str, Any]) -> None:
    per_stream = report["streams"]
    header = f"{'stream':<14}{'records':>10}{'dup':>6}{'miss':>6}{'extra':>6}{'requests':>10}"
    print(header + f"{'min pages':>11}{'429s':>7}")
    for stream, row in per_stream.items():
        print(
            f"{stream:<14}{row['records']:>10}{row['duplicates']:>6}{row['missing']:>6}"
            f"{row['unexpected']:>6}"
            f"{row['requests']:>10}{row['min_pages']:>11}{row['429s']:>7}"
        )
    run = report["run"]
    print(
        f"\n{run['records']} records in {run['tap_seconds']:.1f} s = "
        f"{run['records_per_second']:.0f} records/s; {run['api_requests']} API requests for "
        f"{run['min_pages']} minimum pages; {run['token_requests']} token requests; "
        f"{run['429s']} x 429; peak RSS of the tap {run['peak_rss_mib']:.0f} MiB; "
        f"exit {run['exit_code']}"
    )


# --- --directory-hourly: the old tap against the new one, directory streams only ---

OLD_COMMIT = "7a2b8f9"
DIRECTORY = tuple(stream for stream in ALL_STREAMS if stream != "logs")
# Request family (as stream_of names it) -> column heading.
FAMILIES = {
    "users": "users",
    "groups": "groups",
    "group_members": "members",
    "apps": "apps",
    "app_users": "app_users",
    "app_groups": "app_groups",
    "logs": "logs",
}
RUNS = ("first", "hourly", "reconciliation")
HOUR = 3600
RECONCILE_AFTER = 8 * 86400  # past the new tap's default full_sync_interval_days (7)
COMPLETE_READ = re.compile(r"Stream '(\w+)': complete read")


@dataclass(frozen=True)
class TapUnderTest:
    label: str  # "old" or "new"
    root: Path  # where tap_okta is imported from
    catalog: dict[str, Any]  # the tap's own discovered catalog, DIRECTORY selected


def selecting(catalog: dict[str, Any], streams: tuple[str, ...]) -> dict[str, Any]:
    """``tests.harness.catalog_selecting`` for a catalog another tap discovered."""
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


@contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """A detached git worktree of ``commit`` in a temporary directory, removed after."""
    parent = Path(tempfile.mkdtemp(prefix="tap-okta-old-"))
    path = parent / "tap-okta"
    git = ["git", "-C", str(ROOT), "worktree"]
    added = subprocess.run(
        [*git, "add", "--detach", str(path), commit], capture_output=True, text=True, check=False
    )
    if added.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        raise SystemExit(f"git worktree add {commit} failed: {added.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run([*git, "remove", "--force", str(path)], capture_output=True, check=False)
        shutil.rmtree(parent, ignore_errors=True)


def old_tap(root: Path) -> TapUnderTest:
    """The tap checked out at ``root``, run by this interpreter; its own catalog."""
    env = os.environ | tap_env(root)
    probe = subprocess.run(
        [sys.executable, "-c", "import tap_okta; print(tap_okta.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = Path(probe.stdout.strip()).resolve()
    if root.resolve() not in imported.parents:
        raise SystemExit(f"the old tap imported tap_okta from {imported}, not its worktree")
    discovered = subprocess.run(
        [sys.executable, "-m", "tap_okta.tap", "--discover"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return TapUnderTest("old", root, selecting(json.loads(discovered.stdout), DIRECTORY))


Pair = tuple[str, str]


@dataclass
class Changes:
    """One hour of directory changes, as applied to the org."""

    everyone: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    members_added: list[Pair] = field(default_factory=list)  # (group, user)
    members_removed: list[Pair] = field(default_factory=list)
    app_users_added: list[Pair] = field(default_factory=list)  # (app, user)
    app_users_removed: list[Pair] = field(default_factory=list)
    app_groups_added: list[Pair] = field(default_factory=list)  # (app, group)
    app_groups_removed: list[Pair] = field(default_factory=list)
    users_deleted: list[str] = field(default_factory=list)
    groups_deleted: list[str] = field(default_factory=list)

    def describe(self) -> str:
        groups = {g for g, _ in self.members_added + self.members_removed}
        return (
            f"{len(self.members_added)} group membership adds and "
            f"{len(self.members_removed)} removals over {len(groups)} groups, "
            f"{len(self.created)} new users, {len(self.updated)} profile updates, "
            f"{len(self.app_users_added)}+{len(self.app_groups_added)} app assignments "
            f"(users+groups), {len(self.app_users_removed)}+{len(self.app_groups_removed)} "
            f"unassignments, {len(self.users_deleted)} user deletions (deprovision, delete), "
            f"{len(self.groups_deleted)} group deletions"
        )


def pick_pairs(
    rng: random.Random,
    count: int,
    draw: Callable[[random.Random], Pair | None],
    taken: set[Pair],
) -> list[Pair]:
    """``count`` distinct pairs from ``draw(rng)`` (None: try again), none in ``taken``."""
    pairs: list[Pair] = []
    for _ in range(count * 1000):
        if len(pairs) == count:
            break
        pair = draw(rng)
        if pair is not None and pair not in taken:
            taken.add(pair)
            pairs.append(pair)
    return pairs


def make_changes(org: Org, seed: int) -> Changes:
    """A few hundred changes, the same ones on every org generated with ``seed``.

    The deleted users and groups take part in no other change, so what the change
    feed must yield is exactly the list of changes (plus Everyone: a new user joins
    it, a deleted one leaves it, and Okta logs neither as a membership event).
    """
    rng = random.Random(seed * 1_000_003 + 11)
    groups = org.all_groups()
    everyone = next(g["id"] for g in groups if g["type"] == "BUILT_IN")
    okta_groups = sorted(g["id"] for g in groups if g["type"] == "OKTA_GROUP")
    active = sorted(set(org.users_by_status()["ACTIVE"]) - set(org.admin_ids))
    apps = sorted(a["id"] for a in org.all_apps())
    app_users = {a: set(org.app_user_ids(a)) for a in apps}
    app_groups = {a: set(org.app_group_ids(a)) for a in apps}
    assigned = {g for ids in app_groups.values() for g in ids}

    changes = Changes(everyone=everyone)
    changes.groups_deleted = rng.sample([g for g in okta_groups if g not in assigned], 2)
    changes.users_deleted = rng.sample(active, 5)
    gone = set(changes.users_deleted)
    live_groups = [g for g in okta_groups if g not in changes.groups_deleted]
    pool = [u for u in active if u not in gone]
    members: dict[str, set[str]] = {}

    def members_of(group: str) -> set[str]:
        if group not in members:
            members[group] = set(org.group_members(group))
        return members[group]

    for _ in range(30):
        changes.created.append(org.create_user()["id"])
    candidates = pool + changes.created
    taken: set[Pair] = set()

    def add_member(r: random.Random) -> Pair | None:
        group, user = r.choice(live_groups), r.choice(candidates)
        return None if user in members_of(group) else (group, user)

    def remove_member(r: random.Random) -> Pair | None:
        group = r.choice(live_groups)
        options = sorted(members_of(group) - gone)
        return (group, r.choice(options)) if options else None

    changes.members_added = pick_pairs(rng, 200, add_member, taken)
    changes.members_removed = pick_pairs(rng, 100, remove_member, taken)
    changes.updated = rng.sample(pool, 50)

    def assign_user(r: random.Random) -> Pair | None:
        app, user = r.choice(apps), r.choice(pool)
        return None if user in app_users[app] else (app, user)

    def unassign_user(r: random.Random) -> Pair | None:
        app = r.choice(apps)
        options = sorted(app_users[app] - gone)
        return (app, r.choice(options)) if options else None

    def assign_group(r: random.Random) -> Pair | None:
        app, group = r.choice(apps), r.choice(live_groups)
        return None if group in app_groups[app] else (app, group)

    def unassign_group(r: random.Random) -> Pair | None:
        app = r.choice(apps)
        return (app, r.choice(sorted(app_groups[app]))) if app_groups[app] else None

    changes.app_users_added = pick_pairs(rng, 15, assign_user, set())
    changes.app_users_removed = pick_pairs(rng, 7, unassign_user, set())
    changes.app_groups_added = pick_pairs(rng, 5, assign_group, set())
    changes.app_groups_removed = pick_pairs(rng, 3, unassign_group, set())

    for group, user in changes.members_added:
        org.add_group_member(group, user)
    for group, user in changes.members_removed:
        org.remove_group_member(group, user)
    for i, user in enumerate(changes.updated):
        org.update_user_profile(user, {"title": f"Benchmark title {i}"})
    for app, user in changes.app_users_added:
        org.assign_app_user(app, user)
    for app, user in changes.app_users_removed:
        org.unassign_app_user(app, user)
    for app, group in changes.app_groups_added:
        org.assign_app_group(app, group)
    for app, group in changes.app_groups_removed:
        org.unassign_app_group(app, group)
    for user in changes.users_deleted:
        org.set_user_status(user, "DEPROVISIONED")
        org.delete_user(user)
    for group in changes.groups_deleted:
        org.delete_group(group)
    return changes


def fingerprint(org: Org) -> str:
    """A digest of everything a warehouse should hold: equal orgs, equal digests."""
    snapshot = org.snapshot()
    digest = hashlib.sha256()
    for table in sorted(snapshot):
        digest.update(table.encode())
        for key in sorted(snapshot[table]):
            digest.update(repr(key).encode())
    return digest.hexdigest()[:16]


@dataclass
class RunFigures:
    tap: str
    run: str
    requests: dict[str, int]  # family -> requests
    total: int  # every request the simulator received during the run
    throttled: int
    records: int
    deleted: int
    seconds: float
    exit_code: int
    complete_reads: list[str]
    problems: list[str]  # ERROR and WARNING lines of the tap's log


def measure(tap: str, run: str, requests: list[RequestRecord], result: TapResult) -> RunFigures:
    families: Counter[str] = Counter()
    for request in requests:
        stream = stream_of(request.path)
        if stream is not None:
            families[stream] += 1
    log = result.log.read_text()
    problems = [
        line.strip()
        for line in log.splitlines()
        if "| ERROR" in line or "| WARNING" in line or "Traceback" in line
    ]
    return RunFigures(
        tap=tap,
        run=run,
        requests={family: families[family] for family in FAMILIES},
        total=len(requests),
        throttled=sum(1 for r in requests if r.status == 429),
        records=sum(sum(c.values()) for c in result.seen.values()),
        deleted=sum(sum(c.values()) for c in result.deleted.values()),
        seconds=round(result.seconds, 1),
        exit_code=result.exit_code,
        complete_reads=sorted(set(COMPLETE_READ.findall(log))),
        problems=problems,
    )


def log_message(line: str) -> str:
    """``LEVEL logger: message`` of a tap log line (without its time)."""
    parts = [part.strip() for part in line.split(" | ")]
    if len(parts) >= 4:
        return f"{parts[1]} {parts[2]}: {' | '.join(parts[3:])}"
    return line


def live_and_deleted(
    result: TapResult, stream: str
) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]], int]:
    """Keys emitted without and with ``_sdc_deleted_at``, and how many came twice."""
    seen = result.seen.get(stream, Counter())
    deleted = result.deleted.get(stream, Counter())
    live = {key for key, n in seen.items() if n > deleted.get(key, 0)}
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    return live, set(deleted), duplicates


def differences(got: set[tuple[str, ...]], want: set[tuple[str, ...]]) -> str:
    return f"{len(want - got)} missing, {len(got - want)} unexpected"


def check_complete(
    label: str, result: TapResult, org: Org, skip_group: str | None = None
) -> tuple[bool, str]:
    """A complete read: every directory stream's live rows equal the org."""
    snapshot = org.snapshot()
    counts, problems = [], []
    for stream in DIRECTORY:
        want = {k if isinstance(k, tuple) else (k,) for k in snapshot[stream]}
        if skip_group and stream == "group_members":
            want = {k for k in want if k[0] != skip_group}
        live, deleted, duplicates = live_and_deleted(result, stream)
        counts.append(f"{stream} {len(live)}")
        if live != want or duplicates or deleted & want:
            problems.append(
                f"{stream}: {differences(live, want)}, {duplicates} duplicates, "
                f"{len(deleted & want)} deleted though in the org"
            )
    scope = "the org (Everyone's members aside)" if skip_group else "the org"
    if problems:
        return False, f"MISMATCH {label}: not equal to {scope}: {'; '.join(problems)}"
    return True, f"check {label}: every directory stream equals {scope} ({', '.join(counts)}): OK"


def check_hourly_new(result: TapResult, changes: Changes) -> tuple[bool, list[str]]:
    """The new tap's hourly run: exactly the changes, deletions as ``_sdc_deleted_at``."""
    live, deleted, duplicates = live_and_deleted(result, "group_members")
    joined = {(changes.everyone, u) for u in changes.created}
    left = {(changes.everyone, u) for u in changes.users_deleted}
    want_live = set(changes.members_added) | joined
    want_deleted = set(changes.members_removed) | left
    ok = live == want_live and deleted == want_deleted and not duplicates
    line = (
        f"group_members (new/hourly): {len(live)} rows without _sdc_deleted_at (expected "
        f"{len(want_live)} = {len(changes.members_added)} adds + {len(joined)} new users in "
        f"Everyone), {len(deleted)} with it (expected {len(want_deleted)} = "
        f"{len(changes.members_removed)} removals + {len(left)} deleted users leaving "
        f"Everyone), {duplicates} duplicates"
    )
    if ok:
        lines = [f"check {line}: OK"]
    else:
        lines = [
            f"MISMATCH {line}; live: {differences(live, want_live)}; deleted: "
            f"{differences(deleted, want_deleted)}"
        ]
    wanted_deletions: dict[str, set[tuple[str, ...]]] = {
        "users": {(u,) for u in changes.users_deleted},
        "groups": {(g,) for g in changes.groups_deleted},
        "apps": set(),
        "app_users": set(changes.app_users_removed),
        "app_groups": set(changes.app_groups_removed),
    }
    parts, wrong = [], []
    for stream, want in wanted_deletions.items():
        _, got, _ = live_and_deleted(result, stream)
        parts.append(f"{stream} {len(got)}/{len(want)}")
        if got != want:
            wrong.append(f"{stream}: {differences(got, want)}")
    users_live, _, _ = live_and_deleted(result, "users")
    changed = {(u,) for u in changes.created + changes.updated}
    parts.append(f"changed users emitted {len(changed & users_live)}/{len(changed)}")
    if changed - users_live:
        wrong.append(f"users: {len(changed - users_live)} created or updated users not emitted")
    for stream in ("app_users", "app_groups"):
        added = set(getattr(changes, f"{stream}_added"))
        stream_live, _, _ = live_and_deleted(result, stream)
        parts.append(f"{stream} assignments emitted {len(added & stream_live)}/{len(added)}")
        if added - stream_live:
            wrong.append(f"{stream}: {len(added - stream_live)} assignments not emitted")
    summary = f"deletions and changes (new/hourly): {', '.join(parts)}"
    if wrong:
        lines.append(f"MISMATCH {summary}; {'; '.join(wrong)}")
    else:
        lines.append(f"check {summary}: OK")
    return ok and not wrong, lines


def note_hourly_old(result: TapResult, changes: Changes) -> str:
    live, _, _ = live_and_deleted(result, "group_members")
    groups = {group for group, _ in result.seen.get("group_members", Counter())}
    added = set(changes.members_added)
    return (
        f"note (old/hourly): group_members re-read {len(live)} rows of {len(groups)} groups; "
        f"{len(added & live)}/{len(added)} adds among them; removals and deletions are not "
        f"emitted (the old tap has no _sdc_deleted_at); Everyone is skipped"
    )


def rate_limit_config(args: argparse.Namespace) -> RateLimitConfig:
    limits = RateLimitConfig(window_seconds=args.window_seconds)
    for override in args.rate_limit:
        bucket, _, value = override.rpartition("=")
        limits.limits[bucket] = int(value)
    return limits


@dataclass
class Exercise:
    figures: list[RunFigures]
    checks: list[str]
    ok: bool
    changes: Changes | None
    fingerprints: list[str]  # the org as generated, after the changes
    org_size: str


def exercise(tap: TapUnderTest, args: argparse.Namespace, folder: Path) -> Exercise:
    """First run, changes, hourly run, 8 days on, reconciliation: on a fresh org."""
    print(f"{tap.label} tap: generating an org of {args.users} users ...", file=sys.stderr)
    limits = rate_limit_config(args)
    outcome = Exercise([], [], True, None, [], "")
    with OktaSimulator(
        users=args.users, seed=args.seed, api_key=API_KEY, rate_limits=limits
    ) as sim:
        org = sim.org
        outcome.fingerprints.append(fingerprint(org))
        outcome.org_size = (
            f"{len(org.users)} users, {len(org.groups)} groups, {len(org.apps)} apps, "
            f"{org.event_count} events"
        )
        config = tap_config(sim, args)
        state: dict[str, Any] | None = None
        for run in RUNS:
            if run == "hourly":
                org.clock.advance(HOUR)
                outcome.changes = make_changes(org, args.seed)
                outcome.fingerprints.append(fingerprint(org))
            elif run == "reconciliation":
                org.clock.advance(RECONCILE_AFTER)
            print(f"{tap.label} tap: {run} run ...", file=sys.stderr)
            sim.clear_requests()
            result = run_tap(
                config,
                DIRECTORY,
                folder / f"{tap.label}-{run}",
                catalog=tap.catalog,
                state=state,
                tap_root=tap.root,
            )
            figures = measure(tap.label, run, list(sim.requests), result)
            outcome.figures.append(figures)
            print(
                f"... {figures.total} requests, {figures.records} records in "
                f"{figures.seconds:.0f} s, exit {figures.exit_code}",
                file=sys.stderr,
            )
            if result.exit_code != 0:
                outcome.ok = False
                outcome.checks.append(
                    f"ERROR {tap.label}/{run}: the tap exited with {result.exit_code}; "
                    f"its log ends: {result.log.read_text()[-1500:]}"
                )
            state = result.state if result.state is not None else state
            label = f"{tap.label}/{run}"
            if run == "hourly" and outcome.changes is not None:
                if tap.label == "new":
                    ok, lines = check_hourly_new(result, outcome.changes)
                    outcome.ok &= ok
                    outcome.checks += lines
                else:
                    outcome.checks.append(note_hourly_old(result, outcome.changes))
            elif tap.label == "new":
                ok, line = check_complete(label, result, org)
                outcome.ok &= ok
                outcome.checks.append(line)
            elif run == "first":
                _, line = check_complete(label, result, org, skip_group=org.everyone_id)
                outcome.checks.append(line.replace("MISMATCH", "note (old tap):", 1))
    return outcome


def print_directory_table(figures: list[RunFigures]) -> None:
    widths = {family: max(len(heading) + 2, 8) for family, heading in FAMILIES.items()}
    header = f"{'run':<16}{'tap':<5}"
    header += "".join(f"{FAMILIES[f]:>{w}}" for f, w in widths.items())
    print(header + f"{'total':>8}{'records':>10}{'deleted':>9}{'seconds':>9}")
    for run in RUNS:
        for row in sorted((f for f in figures if f.run == run), key=lambda f: f.tap != "old"):
            name = f"{run}*" if row.tap == "old" and run == "reconciliation" else run
            line = f"{name:<16}{row.tap:<5}"
            line += "".join(f"{row.requests[f]:>{w}}" for f, w in widths.items())
            print(line + f"{row.total:>8}{row.records:>10}{row.deleted:>9}{row.seconds:>9.1f}")
    print(
        "* the old tap has no full_sync_interval_days: its reconciliation row is one more "
        "hourly run, after the clock moved 8 days on (no changes in between)."
    )


def directory_hourly(args: argparse.Namespace) -> int:
    """The new tap against ``args.old_commit``: directory streams, three runs each."""
    print(
        f"Directory streams: old tap ({args.old_commit}) vs new (working tree); org of "
        f"{args.users} users (seed {args.seed}); {args.auth}; rate limits: "
        f"{args.window_seconds:g} s windows, rate_limit_share {args.share}."
    )
    new = TapUnderTest("new", ROOT, catalog_selecting(DIRECTORY))
    outcomes: dict[str, Exercise] = {}
    with worktree(args.old_commit) as old_root, tempfile.TemporaryDirectory() as tmp:
        old = old_tap(old_root)
        for tap in (old, new):
            outcomes[tap.label] = exercise(tap, args, Path(tmp))
    old_run, new_run = outcomes["old"], outcomes["new"]
    print(f"Org: {new_run.org_size}.")
    if new_run.changes is not None:
        print(f"Hourly changes (1 h after the first run): {new_run.changes.describe()}.")
    same_org = old_run.fingerprints == new_run.fingerprints
    same_changes = old_run.changes == new_run.changes
    print(
        f"Identical orgs for both taps: {'yes' if same_org else 'NO'} (as generated and after "
        f"the changes); identical changes: {'yes' if same_changes else 'NO'}."
    )
    print()
    figures = old_run.figures + new_run.figures
    print_directory_table(figures)
    print()
    reads = "; ".join(f"{f.run}: {', '.join(f.complete_reads) or 'none'}" for f in new_run.figures)
    print(f"Complete reads logged by the new tap: {reads}.")
    for line in old_run.checks + new_run.checks:
        print(line)
    for row in figures:
        if row.throttled:
            print(f"{row.tap}/{row.run}: {row.throttled} x 429")
        other = row.total - sum(row.requests.values())
        if other:
            print(f"{row.tap}/{row.run}: {other} requests outside the families above")
    # ERROR and WARNING lines of the taps' logs, each once, with the runs that logged it.
    logged: dict[str, list[str]] = defaultdict(list)
    for row in figures:
        for problem in dict.fromkeys(log_message(p) for p in row.problems):
            logged[problem].append(f"{row.tap}/{row.run}")
    for problem, runs in logged.items():
        print(f"log ({', '.join(runs)}): {problem[:300]}")
    if args.json:
        report = {
            "settings": {
                "users": args.users,
                "seed": args.seed,
                "auth": args.auth,
                "window_seconds": args.window_seconds,
                "share": args.share,
                "old_commit": args.old_commit,
            },
            "runs": [vars(row) for row in figures],
            "checks": old_run.checks + new_run.checks,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    ok = old_run.ok and new_run.ok and same_org and same_changes
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--auth", choices=("api_key", "service_app"), default="api_key")
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=None,
        help="rate-limit window (Okta: 60; the default, except 1 with --directory-hourly)",
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="BUCKET=N",
        help="override a bucket's limit, e.g. /api/v1/users=20 (repeatable)",
    )
    parser.add_argument(
        "--share",
        type=float,
        default=None,
        help="rate_limit_share for the tap (default: the tap's; 1.0 with --directory-hourly)",
    )
    parser.add_argument("--streams", default=",".join(ALL_STREAMS))
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--directory-hourly",
        action="store_true",
        help="old tap vs new on the directory streams: first run, hourly run, reconciliation",
    )
    parser.add_argument(
        "--security-hourly",
        action="store_true",
        help="the security streams: requests of a first and of an hourly run",
    )
    parser.add_argument(
        "--old-commit",
        default=OLD_COMMIT,
        help=f"the old tap for --directory-hourly (default {OLD_COMMIT})",
    )
    args = parser.parse_args()
    if args.directory_hourly:
        if args.window_seconds is None:
            args.window_seconds = 1.0
        if args.share is None:
            args.share = 1.0
        return directory_hourly(args)
    if args.security_hourly:
        from scripts.security_cost import security_hourly  # it imports this module

        args.window_seconds = args.window_seconds or 1.0
        args.share = args.share or 1.0
        return security_hourly(args)
    if args.window_seconds is None:
        args.window_seconds = 60.0
    streams = tuple(s.strip() for s in args.streams.split(",") if s.strip())

    limits = rate_limit_config(args)

    print(f"Generating an org of {args.users} users (seed {args.seed}) ...", file=sys.stderr)
    generated = time.monotonic()
    with (
        OktaSimulator(users=args.users, seed=args.seed, api_key=API_KEY, rate_limits=limits) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        wanted, minimum = expected(sim)
        print(
            f"... done in {time.monotonic() - generated:.0f} s; running tap-okta "
            f"({args.auth}, windows of {args.window_seconds:g} s).",
            file=sys.stderr,
        )
        config = tap_config(sim, args)
        result = run_tap(config, streams, Path(tmp))
        # Over a long run the oldest events age out of the 90-day retention and new
        # ones may be stored: only events visible throughout must arrive, and only
        # events visible at some point may.
        logs_at_end = {(uuid,) for uuid in sim.org.event_uuids()}
        requests = list(sim.requests)
        if result.exit_code != 0:
            print(result.log.read_text()[-3000:], file=sys.stderr)
    allowed = wanted | {"logs": wanted["logs"] | logs_at_end}
    wanted["logs"] &= logs_at_end
    per_stream = summarise(requests, streams, wanted, allowed, minimum, result.seen)
    total = sum(row["records"] for row in per_stream.values())
    report = {
        "settings": {
            "users": args.users,
            "seed": args.seed,
            "auth": args.auth,
            "window_seconds": args.window_seconds,
            "rate_limits": limits.limits,
            "share": args.share,
        },
        "streams": per_stream,
        "run": {
            "exit_code": result.exit_code,
            "records": total,
            "tap_seconds": round(result.seconds, 2),
            "records_per_second": round(total / result.seconds, 1),
            "api_requests": sum(row["requests"] for row in per_stream.values()),
            "min_pages": sum(row["min_pages"] for row in per_stream.values()),
            "429s": sum(row["429s"] for row in per_stream.values()),
            "token_requests": sum(1 for r in requests if r.path == "/oauth2/v1/token"),
            "peak_rss_mib": round(result.peak_rss_kib / 1024, 1),
        },
    }
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    lossless = all(
        r["duplicates"] == r["missing"] == r["unexpected"] == 0 for r in per_stream.values()
    )
    return 0 if result.exit_code == 0 and lossless else 1


if __name__ == "__main__":
    sys.exit(main())
