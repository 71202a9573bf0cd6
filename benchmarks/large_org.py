"""Issue 17's benchmark: a 100,000-user, 2,000-app org under Okta's default rate limits.

    .venv/bin/python -m benchmarks.large_org                     # the issue's size
    .venv/bin/python -m benchmarks.large_org --scale 0.01 --window-seconds 1   # quick
    .venv/bin/python -m benchmarks.large_org --json figures.json

Run from the repository root, as a module: it imports the simulator from ``tests``.

The simulator enforces Okta's default per-minute buckets (users 600, groups 500,
apps* 100, logs 120) and the default per-token ceiling (50% of each bucket), in
windows compressed to ``--window-seconds`` so that the benchmark runs in minutes; a
measured wall time stands for ``measured x 60 / window`` under Okta's real windows
("implied"). Compression only holds while the tap and the simulator keep up with
the shorter window: a run's measured wall beside its floor (the fewest windows the
buckets allow for its requests at the 50% share) shows whether they did.

Two tap processes run side by side, as an orchestrator runs Meltano's jobs: the
directory job (users, groups, group_members) and the apps job (apps, app_users,
app_groups), each the real CLI (``python -m tap_okta.tap --config --catalog
--state``) with its own state, both with one API token (one Meltano project). Their
output goes to files; only primary keys and deletions are read back.

- Run 1, the first complete read: requests against the fewest pages the org needs,
  wall against the floor, 429s.
- Then "an hour" of a few hundred changes (direct assignments and unassignments,
  assignments that come and go with group memberships and group assignments, an app
  deleted, new users, profile updates, memberships of groups no app is assigned to),
  the clock unmoved (no complete read is due).
- Run 2, the hourly run from run 1's states: requests to the apps bucket, implied
  wall, 429s; then every table (run 1's records, then run 2's, applied by primary
  key) against the org.

It prints a table of every figure beside its floor or goal and exits 1 when a goal
fails. This is a measurement, not a test: compressed windows on a slow machine can
fail the wall-time goals without anything being wrong with the tap.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from inspect import getattr_static
from pathlib import Path
from typing import Any

from tap_okta.settings import DEFAULT_MAX_RUN_SECONDS
from tap_okta.tap import STREAM_TYPES
from tests.harness import catalog_selecting
from tests.okta_sim import OktaSimulator, Org, RequestRecord
from tests.okta_sim.ratelimit import DEFAULT_LIMITS, RateLimitConfig

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "benchmark-large-org-token"
DELETED_AT = "_sdc_deleted_at"
OKTA_WINDOW = 60.0
TOKEN_SHARE = 0.5  # Okta's default per-token ceiling, and the tap's default share

# The org: 100,000 users, 5,000 groups, 2,000 apps, at least 3 M app users.
SIZES = {"users": 100_000, "groups": 5_000, "apps": 2_000, "app_assignments": 3_200_000}
JOBS: dict[str, tuple[str, ...]] = {
    "directory": ("users", "groups", "group_members"),
    "apps": ("apps", "app_users", "app_groups"),
}
RELATIONS = {
    "group_members": ("groups", "users"),
    "app_users": ("apps", "users"),
    "app_groups": ("apps", "groups"),
}
# The tap's own page sizes and keys: the fewest pages follow from them (class
# attributes: the SDK types name and primary_keys as instance properties).
NAMES = [str(getattr_static(stream, "name")) for stream in STREAM_TYPES]
PAGE_SIZES: dict[str, int] = dict(zip(NAMES, (s.page_size for s in STREAM_TYPES), strict=True))
KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(getattr_static(stream, "primary_keys"))
    for name, stream in zip(NAMES, STREAM_TYPES, strict=True)
}
# The buckets each stream's pages count in (ratelimit.bucket_for).
STREAM_BUCKET = {
    "users": "/api/v1/users",
    "groups": "/api/v1/groups",
    "group_members": "/api/v1/groups",
    "apps": "/api/v1/apps",
    "app_users": "/api/v1/apps",
    "app_groups": "/api/v1/apps",
}
LOGS = "/api/v1/logs"
# Goals (issue 17, "How it is measured").
HOURLY_APPS_REQUESTS = 100
HOURLY_IMPLIED_SECONDS = 300.0
FIRST_WALL_RATIO = 1.1
PEAK_RSS_MIB = 150.0

Key = tuple[str, ...]


def pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def minimum_pages(org: Org) -> dict[str, int]:
    """The fewest pages a complete read of each stream needs at the tap's page sizes
    (every group has a member page, Everyone included; every app a page of each)."""
    groups = [g["id"] for g in org.all_groups()]
    apps = [a["id"] for a in org.all_apps()]
    return {
        "users": pages(len(org.users), PAGE_SIZES["users"]),
        "groups": pages(len(groups), PAGE_SIZES["groups"]),
        "group_members": sum(
            pages(len(org.group_members(g)), PAGE_SIZES["group_members"]) for g in groups
        ),
        "apps": pages(len(apps), PAGE_SIZES["apps"]),
        "app_users": sum(pages(len(org.app_user_ids(a)), PAGE_SIZES["app_users"]) for a in apps),
        "app_groups": sum(pages(len(org.app_group_ids(a)), PAGE_SIZES["app_groups"]) for a in apps),
    }


# --- one hour of changes ------------------------------------------------------------


@dataclass
class Changes:
    counts: Counter[str] = field(default_factory=Counter)
    deleted_app: str | None = None

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.counts.items())


def make_changes(org: Org, seed: int, factor: float) -> Changes:
    """A few hundred changes at full size (``factor`` 1), in the org's current hour.

    Of them, the ones the apps job must follow: direct assignments and unassignments,
    members joining and leaving groups that apps are assigned to (their GROUP app
    users come and go), groups assigned to and unassigned from apps, one app deleted.
    The rest only the directory job sees: new users, profile updates, memberships of
    groups no app is assigned to.
    """
    rng = random.Random(seed * 7919 + 17)

    def n(count: int) -> int:
        return max(1, round(count * factor))

    changes = Changes()
    apps = sorted(a["id"] for a in org.all_apps())
    app_groups = {a: set(org.app_group_ids(a)) for a in apps}
    apps_of_group: dict[str, set[str]] = defaultdict(set)
    for app, groups in app_groups.items():
        for group in groups:
            apps_of_group[group].add(app)
    everyone = org.everyone_id
    okta_groups = sorted(g["id"] for g in org.all_groups() if g["type"] == "OKTA_GROUP")
    assigned_groups = sorted(g for g in apps_of_group if g != everyone)
    free_groups = [g for g in okta_groups if g not in apps_of_group]
    active = sorted(set(org.users_by_status()["ACTIVE"]) - set(org.admin_ids))

    # The app to delete: one with users and groups, deactivated first (Okta deletes
    # only INACTIVE apps). No other change touches it.
    candidates = [a for a in apps if org.app_user_ids(a) and app_groups[a]]
    deleted = rng.choice(candidates or apps)
    live_apps = [a for a in apps if a != deleted]
    touched: set[tuple[str, str]] = set()

    for _ in range(n(25)):  # direct assignments
        for _ in range(100):
            app, user = rng.choice(live_apps), rng.choice(active)
            if (app, user) not in touched and org.app_user(app, user) is None:
                org.assign_app_user(app, user)
                touched.add((app, user))
                changes.add("direct app assignments")
                break
    for _ in range(n(15)):  # direct unassignments
        for _ in range(100):
            app = rng.choice(live_apps)
            removable = [u for u in org.removable_app_user_ids(app) if (app, u) not in touched]
            if removable:
                user = rng.choice(removable)
                org.unassign_app_user(app, user)
                touched.add((app, user))
                changes.add("direct app unassignments")
                break
    members: dict[str, set[str]] = {}

    def members_of(group: str) -> set[str]:
        if group not in members:
            members[group] = set(org.group_members(group))
        return members[group]

    def join(groups: list[str], kind: str) -> None:
        for _ in range(100):
            group, user = rng.choice(groups), rng.choice(active)
            if user not in members_of(group):
                org.add_group_member(group, user)
                members_of(group).add(user)
                changes.add(kind)
                return

    def leave(groups: list[str], kind: str) -> None:
        for _ in range(100):
            group = rng.choice(groups)
            options = sorted(members_of(group))
            if options:
                user = rng.choice(options)
                org.remove_group_member(group, user)
                members_of(group).discard(user)
                changes.add(kind)
                return

    usable = [g for g in assigned_groups if deleted not in apps_of_group[g]]
    if usable:
        for _ in range(n(8)):
            join(usable, "members joining groups assigned to apps")
        for _ in range(n(4)):
            leave(usable, "members leaving groups assigned to apps")
    # Groups assigned to apps and unassigned (their members' GROUP app users follow).
    small = [g for g in okta_groups if len(members_of(g)) <= 15] or okta_groups
    for _ in range(n(2)):
        for _ in range(100):
            app, group = rng.choice(live_apps), rng.choice(small)
            if group not in app_groups[app]:
                org.assign_app_group(app, group)
                app_groups[app].add(group)
                changes.add("groups assigned to apps")
                break
    # Unassigned: among the smallest groups assigned to an app (Everyone never).
    pairs = sorted(
        (len(members_of(g)), a, g) for a in live_apps for g in app_groups[a] if g != everyone
    )
    for _, app, group in rng.sample(pairs[:10], min(n(1), len(pairs[:10]))):
        org.unassign_app_group(app, group)
        changes.add("groups unassigned from apps")
    if org.apps[deleted]["status"] != "INACTIVE":
        org.set_app_status(deleted, "INACTIVE")
    org.delete_app(deleted)
    changes.deleted_app = deleted
    changes.add("app deleted")
    # What only the directory job sees.
    for _ in range(n(30)):
        org.create_user()
        changes.add("new users")
    for user in rng.sample(active, n(50)):
        org.update_user_profile(user, {"title": f"Title {rng.randrange(10**6)}"})
        changes.add("profile updates")
    if free_groups:
        for _ in range(n(100)):
            join(free_groups, "members joining groups no app is assigned to")
        for _ in range(n(50)):
            leave(free_groups, "members leaving groups no app is assigned to")
    return changes


# --- running the tap ----------------------------------------------------------------


@dataclass
class JobRun:
    job: str
    exit_code: int
    seconds: float
    peak_rss_kib: int
    output: Path
    log: Path
    state: dict[str, Any] | None = None


def peak_rss_kib(pid: int) -> int | None:
    """The process's peak resident set (VmHWM) so far, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def start_job(
    job: str, config: dict[str, Any], state: dict[str, Any] | None, folder: Path
) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "catalog.json").write_text(json.dumps(catalog_selecting(JOBS[job])))
    command = [sys.executable, "-m", "tap_okta.tap", "--config", str(folder / "config.json")]
    command += ["--catalog", str(folder / "catalog.json")]
    if state is not None:
        (folder / "state.json").write_text(json.dumps(state))
        command += ["--state", str(folder / "state.json")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_OKTA_")}
    with (folder / "stdout.jsonl").open("wb") as out, (folder / "tap.log").open("wb") as err:
        # The command is this interpreter and files this script wrote.
        return subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)


def watch(process: subprocess.Popen[bytes], started: float, into: dict[str, Any]) -> None:
    """Follow the process's peak RSS until it exits; note when it did."""
    peak = 0
    while process.poll() is None:
        peak = max(peak, peak_rss_kib(process.pid) or 0)
        time.sleep(0.1)
    into["seconds"] = time.monotonic() - started
    into["peak"] = peak


def run_jobs(
    sim: OktaSimulator,
    folder: Path,
    states: dict[str, dict[str, Any] | None],
    max_run_seconds: float,
) -> tuple[dict[str, JobRun], float]:
    """Both jobs side by side; the wall is from their start to the last one's exit."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    watched: dict[str, dict[str, Any]] = {}
    threads: list[threading.Thread] = []
    started = time.monotonic()
    for job in JOBS:
        config = {
            "org_url": sim.base_url,
            "api_key": API_KEY,
            "max_run_seconds": max_run_seconds,
            # Tells the two processes' requests apart in the simulator's log.
            "user_agent": f"tap-okta {job} job (benchmark)",
        }
        processes[job] = start_job(job, config, states[job], folder / job)
        watched[job] = {}
        thread = threading.Thread(target=watch, args=(processes[job], started, watched[job]))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    runs = {}
    for job, process in processes.items():
        runs[job] = JobRun(
            job,
            process.returncode,
            watched[job]["seconds"],
            watched[job]["peak"],
            folder / job / "stdout.jsonl",
            folder / job / "tap.log",
        )
    return runs, wall


def read_output(run: JobRun, tables: dict[str, dict[Key, None]]) -> Counter[str]:
    """Apply the run's records to ``tables`` by primary key; keep its last STATE."""
    records: Counter[str] = Counter()
    last_state = b""
    with run.output.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"STATE"'):
                last_state = line
                continue
            if not line.startswith(b'{"type":"RECORD"'):
                continue
            message = json.loads(line)
            stream, record = message["stream"], message["record"]
            key = tuple(str(record[k]) for k in KEYS[stream])
            records[stream] += 1
            if record.get(DELETED_AT):
                tables[stream].pop(key, None)
            else:
                tables[stream][key] = None
    run.state = json.loads(last_state)["value"] if last_state else None
    return records


def job_of(request: RequestRecord) -> str | None:
    agent = request.headers.get("User-Agent", "")
    return next((job for job in JOBS if agent.startswith(f"tap-okta {job} job")), None)


def requests_by_bucket(requests: Iterable[RequestRecord]) -> dict[str, Counter[str]]:
    """Per job, API requests per bucket; 429s under "<bucket> 429"."""
    counts: dict[str, Counter[str]] = {job: Counter() for job in JOBS}
    for request in requests:
        job = job_of(request)
        if job is None or not request.path.startswith("/api/"):
            continue
        counts[job][request.bucket] += 1
        if request.status == 429:
            counts[job][f"{request.bucket} 429"] += 1
    return counts


def pacing_waits(run: JobRun) -> int:
    """How often the tap waited for a window to reset (its log says so each time)."""
    text = run.log.read_text(errors="replace")
    return text.count("for the window to reset")


def apps_bucket_kinds(requests: Iterable[RequestRecord]) -> Counter[str]:
    """What the apps bucket's requests were for: list pages, re-read pages, lookups."""
    kinds: Counter[str] = Counter()
    for request in requests:
        if request.bucket != "/api/v1/apps":
            continue
        parts = request.path.split("/")  # "", api, v1, apps[, app, users|groups[, id]]
        if len(parts) == 4:
            kind = "apps list pages"
        elif len(parts) == 6:
            kind = f"app {parts[5]} pages (an app read whole)"
        else:
            kind = f"single app {parts[5][:-1]} lookups"
            if request.status == 404:
                kinds[f"{kind} answered 404 (a removal)"] += 1
        kinds[kind] += 1
    return kinds


def floor_windows(requests: dict[str, int]) -> float:
    """Windows one job needs for ``requests`` per bucket at the per-token share: its
    streams run one after the other, so the buckets' windows add up."""
    return sum(n / (DEFAULT_LIMITS[bucket] * TOKEN_SHARE) for bucket, n in requests.items())


# --- comparing the tables with the org -----------------------------------------------


def org_tables(org: Org) -> dict[str, set[Key]]:
    snapshot = org.snapshot()
    return {
        table: {k if isinstance(k, tuple) else (k,) for k in snapshot[table]}
        for table in KEYS
        if table in snapshot and table in STREAM_BUCKET
    }


def joined_to_live_parents(table: str, keys: Iterable[Key], have: dict[str, set[Key]]) -> set[Key]:
    """A relationship's rows whose both ends are live: a deleted app's assignments
    go at the next complete read (as tests/test_warehouse.py queries around cascades)."""
    left, right = RELATIONS[table]
    lefts = {k[0] for k in have[left]}
    rights = {k[0] for k in have[right]}
    return {k for k in keys if k[0] in lefts and k[1] in rights}


def compare(tables: dict[str, dict[Key, None]], org: Org) -> dict[str, dict[str, Any]]:
    want = org_tables(org)
    have = {table: set(rows) for table, rows in tables.items()}
    result = {}
    for table, expected in want.items():
        present = have[table]
        if table in RELATIONS:
            present = joined_to_live_parents(table, present, have)
        missing, extra = expected - present, present - expected
        result[table] = {
            "org": len(expected),
            "rows": len(present),
            "missing": len(missing),
            "extra": len(extra),
            "examples": [list(k) for k in sorted(missing)[:3] + sorted(extra)[:3]],
        }
    return result


# --- the report ---------------------------------------------------------------------


@dataclass
class Row:
    run: str
    figure: str
    measured: str
    floor: str
    verdict: str = ""  # PASS / FAIL for a goal; empty for a figure


def goal(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def goal_row(run: str, figure: str, measured: str, target: str, ok: bool) -> Row:
    return Row(run, figure, measured, target, goal(ok))


def mib(kib: int) -> float:
    return kib / 1024


def run_report(
    name: str,
    runs: dict[str, JobRun],
    wall: float,
    buckets: dict[str, Counter[str]],
    floors: dict[str, dict[str, int]],
    window: float,
) -> tuple[list[Row], dict[str, Any]]:
    """Rows for one run's figures; ``floors`` are the per-job requests per bucket the
    floor is computed from."""
    rows: list[Row] = []
    scale = OKTA_WINDOW / window
    job_floors = {job: floor_windows(floors[job]) * window for job in JOBS}
    floor = max(job_floors.values())
    for job in JOBS:
        made = {b: n for b, n in buckets[job].items() if not b.endswith(" 429")}
        for bucket in sorted(set(made) | set(floors[job])):
            rows.append(
                Row(
                    name,
                    f"{job}: requests {bucket}",
                    f"{made.get(bucket, 0):,}",
                    f"{floors[job].get(bucket, 0):,}",
                )
            )
        rows.append(
            Row(
                name,
                f"{job}: wall s (implied)",
                f"{runs[job].seconds:.1f} ({runs[job].seconds * scale / 60:.1f} min)",
                f"{job_floors[job]:.1f} ({job_floors[job] * scale / 60:.1f} min)",
            )
        )
    waits = {job: pacing_waits(runs[job]) for job in JOBS}
    # A window's fixed costs (Okta's Reset is whole seconds, rounded up; the tap's
    # jitter after it) do not shrink with the window: stretching each window the tap
    # waited out back to 60 s projects the run onto Okta's real windows.
    projected = {job: runs[job].seconds + waits[job] * (OKTA_WINDOW - window) for job in JOBS}
    for job in JOBS:
        rows.append(
            Row(
                name,
                f"{job}: windows waited out; projected wall at 60 s windows",
                f"{waits[job]}; {projected[job] / 60:.1f} min",
                f"{floor_windows(floors[job]):.1f}; {floor_windows(floors[job]):.1f} min",
            )
        )
    throttled = sum(
        n for counts in buckets.values() for b, n in counts.items() if b.endswith(" 429")
    )
    rows.append(Row(name, "429 responses", str(throttled), "0", goal(throttled == 0)))
    rows.append(Row(name, "wall, side by side (s)", f"{wall:.1f}", f"{floor:.1f}"))
    rows.append(
        Row(
            name,
            "implied wall at 60 s windows",
            f"{wall * scale / 60:.1f} min",
            f"{floor * scale / 60:.1f} min",
        )
    )
    ratio = wall / floor if floor else math.inf
    rows.append(Row(name, "wall / floor", f"{ratio:.3f}", "1"))
    for job in JOBS:
        peak = mib(runs[job].peak_rss_kib)
        rows.append(
            goal_row(
                name,
                f"{job}: peak RSS (MiB)",
                f"{peak:.0f}",
                f"< {PEAK_RSS_MIB:.0f}",
                0 < peak < PEAK_RSS_MIB,
            )
        )
        rows.append(
            goal_row(
                name,
                f"{job}: exit code",
                str(runs[job].exit_code),
                "0",
                runs[job].exit_code == 0,
            )
        )
    projected_wall = max(projected.values())
    projected_ratio = projected_wall / (floor * scale) if floor else math.inf
    rows.append(
        Row(
            name,
            "projected wall at 60 s windows; / floor",
            f"{projected_wall / 60:.1f} min; {projected_ratio:.3f}",
            f"{floor * scale / 60:.1f} min; 1",
        )
    )
    figures = {
        "projected_wall_minutes": projected_wall / 60,
        "projected_over_floor": projected_ratio,
        "wall_seconds": wall,
        "floor_seconds": floor,
        "implied_wall_minutes": wall * scale / 60,
        "implied_floor_minutes": floor * scale / 60,
        "wall_over_floor": ratio,
        "throttled": throttled,
        "jobs": {
            job: {
                "exit_code": runs[job].exit_code,
                "seconds": runs[job].seconds,
                "floor_seconds": job_floors[job],
                "peak_rss_mib": mib(runs[job].peak_rss_kib),
                "windows_waited": waits[job],
                "projected_seconds": projected[job],
                "requests": dict(buckets[job]),
                "floor_requests": floors[job],
            }
            for job in JOBS
        },
    }
    return rows, figures


def print_table(rows: list[Row]) -> None:
    print("| run | figure | measured | floor / goal | goal met |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.run} | {row.figure} | {row.measured} | {row.floor} | {row.verdict} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="org size (1: the issue's)")
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=6.0,
        help="the simulator's rate-limit window, for Okta's 60 s (default 6: x10)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="simulator answer delay (s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the taps' output here")
    args = parser.parse_args(argv)
    if args.keep is None:
        with tempfile.TemporaryDirectory(prefix="large-org-") as tmp:
            return benchmark(args, Path(tmp))
    return benchmark(args, args.keep)


def benchmark(args: argparse.Namespace, folder: Path) -> int:
    window = args.window_seconds
    sizes = {k: max(1, round(v * args.scale)) for k, v in SIZES.items()}
    note = sys.stderr
    print(f"Generating the org: {sizes} ...", file=note)
    started = time.monotonic()
    org = Org.generate(seed=args.seed, events=1_000, **sizes)
    generated = time.monotonic() - started
    limits = RateLimitConfig(window_seconds=window, token_share=TOKEN_SHARE)
    sim = OktaSimulator(org, api_key=API_KEY, rate_limits=limits, latency_seconds=args.latency)
    minimum = minimum_pages(org)
    assignments = sum(len(t) for t in org.app_users.values())
    org_line = (
        f"{len(org.users):,} users, {len(org.groups):,} groups, {len(org.apps):,} apps, "
        f"{assignments:,} app users, {sum(len(g) for g in org.app_groups.values()):,} app "
        f"groups (generated in {generated:.0f} s)"
    )
    print(f"Org: {org_line}.", file=note)
    rows: list[Row] = []
    report: dict[str, Any] = {
        "settings": {**vars(args), "json": str(args.json), "keep": str(args.keep)},
        "org": org_line,
    }
    tables: dict[str, dict[Key, None]] = {table: {} for table in STREAM_BUCKET}
    ok = True
    with sim:
        # Run 1: the first complete read, uncapped (the benchmark measures it whole).
        print(f"Run 1 (first complete read), windows of {window:g} s ...", file=note)
        runs1, wall1 = run_jobs(sim, folder / "run1", dict.fromkeys(JOBS), 0)
        buckets1 = requests_by_bucket(sim.requests)
        feed1 = {job: buckets1[job].get(LOGS, 0) for job in JOBS}
        floors1: dict[str, dict[str, int]] = {job: Counter() for job in JOBS}
        for job, streams in JOBS.items():
            for stream in streams:
                floors1[job][STREAM_BUCKET[stream]] += minimum[stream]
            floors1[job][LOGS] += feed1[job]  # the change feed's reads, as made
        records1 = {job: read_output(run, tables) for job, run in runs1.items()}
        rows1, figures1 = run_report("1 first", runs1, wall1, buckets1, floors1, window)
        made = {
            job: sum(n for b, n in buckets1[job].items() if not b.endswith(" 429")) for job in JOBS
        }
        least = {job: sum(floors1[job].values()) for job in JOBS}
        for job in JOBS:
            rows1.insert(
                0,
                goal_row(
                    "1 first",
                    f"{job}: requests == minimum pages",
                    f"{made[job]:,}",
                    f"{least[job]:,}",
                    made[job] == least[job],
                ),
            )
        ratio = figures1["wall_over_floor"]
        rows1.append(
            goal_row(
                "1 first",
                f"wall within {FIRST_WALL_RATIO}x of the floor, {window:g} s windows",
                f"{ratio:.3f}",
                f"<= {FIRST_WALL_RATIO}",
                ratio <= FIRST_WALL_RATIO,
            )
        )
        projected = figures1["projected_over_floor"]
        rows1.append(
            goal_row(
                "1 first",
                f"wall within {FIRST_WALL_RATIO}x of the floor, projected to 60 s windows",
                f"{projected:.3f}",
                f"<= {FIRST_WALL_RATIO}",
                projected <= FIRST_WALL_RATIO,
            )
        )
        check1 = compare(tables, org)
        rows1.append(table_row("1 first", check1))
        rows += rows1
        report["run1"] = figures1 | {
            "records": records1,
            "minimum_pages": minimum,
            "tables": check1,
        }

        # An hour of changes; the clock stays (same day: no complete read is due).
        changes = make_changes(org, args.seed, min(1.0, math.sqrt(args.scale)))
        print(f"Changes ({changes.total}): {changes.describe()}.", file=note)
        report["changes"] = dict(changes.counts)
        sim.clear_requests()

        print("Run 2 (hourly) ...", file=note)
        states = {job: runs1[job].state for job in JOBS}
        cap = DEFAULT_MAX_RUN_SECONDS * window / OKTA_WINDOW  # the default cap, compressed
        runs2, wall2 = run_jobs(sim, folder / "run2", states, cap)
        buckets2 = requests_by_bucket(sim.requests)
        records2 = {job: read_output(run, tables) for job, run in runs2.items()}
        floors2 = {
            job: {b: n for b, n in buckets2[job].items() if not b.endswith(" 429")} for job in JOBS
        }
        rows2, figures2 = run_report("2 hourly", runs2, wall2, buckets2, floors2, window)
        apps_requests = sum(buckets2[job].get("/api/v1/apps", 0) for job in JOBS)
        rows2.insert(
            0,
            goal_row(
                "2 hourly",
                "requests to the apps bucket",
                str(apps_requests),
                f"<= {HOURLY_APPS_REQUESTS}",
                apps_requests <= HOURLY_APPS_REQUESTS,
            ),
        )
        kinds = apps_bucket_kinds(sim.requests)
        for kind, count in sorted(kinds.items()):
            rows2.insert(1, Row("2 hourly", f"apps bucket: {kind}", str(count), ""))
        implied = figures2["implied_wall_minutes"] * 60
        rows2.append(
            goal_row(
                "2 hourly",
                "implied wall (x 60 / window) <= 5 min",
                f"{implied / 60:.1f} min",
                f"<= {HOURLY_IMPLIED_SECONDS / 60:.0f} min",
                implied <= HOURLY_IMPLIED_SECONDS,
            )
        )
        projected = figures2["projected_wall_minutes"] * 60
        rows2.append(
            goal_row(
                "2 hourly",
                "projected wall at 60 s windows <= 5 min",
                f"{projected / 60:.1f} min",
                f"<= {HOURLY_IMPLIED_SECONDS / 60:.0f} min",
                projected <= HOURLY_IMPLIED_SECONDS,
            )
        )
        check2 = compare(tables, org)
        rows2.append(table_row("2 hourly", check2))
        rows += rows2
        report["run2"] = figures2 | {"records": records2, "tables": check2}
        report["requests2"] = [
            f"{r.method} {r.target} {r.status}"
            for r in sim.requests
            if job_of(r) == "apps" and r.bucket == "/api/v1/apps"
        ]
    ok = all(row.verdict != "FAIL" for row in rows)
    print()
    print(f"Org: {org_line}. Windows of {window:g} s for Okta's 60 s (x{OKTA_WINDOW / window:g}).")
    print(f"Hourly changes ({changes.total}): {changes.describe()}.")
    print()
    print_table(rows)
    for name, check in (("run 1", check1), ("run 2", check2)):
        for table, row in check.items():
            if row["missing"] or row["extra"]:
                print(f"MISMATCH after {name}, {table}: {row}")
    for name, runs in (("run 1", runs1), ("run 2", runs2)):
        for job, run in runs.items():
            if run.exit_code != 0:
                print(f"{name} {job} job exited {run.exit_code}; its log ends:")
                print(run.log.read_text()[-2000:])
    report["rows"] = [vars(row) for row in rows]
    report["ok"] = ok
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if ok else 1


def table_row(run: str, check: dict[str, dict[str, Any]]) -> Row:
    wrong = {t: r for t, r in check.items() if r["missing"] or r["extra"]}
    measured = (
        "; ".join(f"{t} {r['missing']} missing, {r['extra']} extra" for t, r in wrong.items())
        or "all equal"
    )
    return Row(run, "every table equals the org", measured, "all equal", goal(not wrong))


if __name__ == "__main__":
    sys.exit(main())
