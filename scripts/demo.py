"""The main job: ``meltano run tap-okta target-duckdb``, then what landed, by SQL.

Runs against your Okta org when one is configured (``TAP_OKTA_ORG_URL`` in
the environment or in ``.env``), otherwise against the bundled Okta simulator
(``tests/okta_sim``), started here and stopped afterwards.

- Loader: target-duckdb, into ``output/org.duckdb`` (your org) or
  ``output/simulator.duckdb`` (the simulator), so simulated rows never mix with
  your org's. ``--jsonl``: target-jsonl instead, into ``output/*.jsonl``.
- Meltano's whole log goes to ``output/demo.log``; the terminal gets one line
  per stream (records read, seconds) and the warnings.
- It ends with the questions a new user asks first (users per status, largest
  groups, most assigned apps, the System Log's last day), answered by SQL from
  the DuckDB file, and how to open that file.

Run it through ``scripts/demo.sh``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
LOG = OUTPUT / "demo.log"
BIN = Path(sys.executable).parent
SIM_API_KEY = "sim-demo-token"
# One file per Meltano environment (as meltano.yml's target-duckdb filepath): the
# simulator's rows never mix with your org's. target-duckdb names the DuckDB
# catalog after the file's stem: a plain identifier, and not "okta" (the schema),
# or okta.users would be ambiguous.
DATABASES = {"simulator": OUTPUT / "simulator.duckdb", "dev": OUTPUT / "org.duckdb"}

# --- the questions, answered from the DuckDB file -------------------------------------
# target-duckdb: schema okta, one table per stream, column names lower-cased,
# nested objects as JSON columns. With hard_delete it removes the rows whose record
# carries _sdc_deleted_at, so every row is live; relationship rows of deleted users,
# groups or apps can stay, so relationships are joined to the live rows at both ends.

QUERIES: dict[str, tuple[str, str]] = {
    "users": (
        "Users by status",
        """select status, count(*) as users from okta.users
        group by status order by users desc, status""",
    ),
    "groups": (
        "Largest groups (members)",
        """select json_extract_string(g.profile, '$.name') as name, count(*) as members
        from okta.group_members m
        join okta.groups g on g.id = m.groupid
        join okta.users u on u.id = m.userid
        group by g.id, name order by members desc, name limit 5""",
    ),
    "apps": (
        "Apps by assigned users",
        """select a.label, count(distinct u.id) as users
        from okta.app_users au
        join okta.apps a on a.id = au.appid
        join okta.users u on u.id = au.id
        group by a.id, a.label order by users desc, a.label limit 5""",
    ),
    "logs": (
        "System Log, last 24 h: top event types",
        """select eventtype, count(*) as events from okta.logs where published >= $since
        group by eventtype order by events desc, eventtype limit 5""",
    ),
}
# The logs table's events since $since, for the section's total.
LOGS_TOTAL = "select count(*) from okta.logs where published >= $since"


@dataclass
class Answer:
    title: str
    rows: list[tuple[str, int]]
    total: int | None = None  # the whole population the rows come from, when not their sum
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # lines printed under the rows


def answers(database: Path, now: dt.datetime | None = None) -> list[Answer]:
    """Run QUERIES against a target-duckdb file, read-only."""
    import duckdb  # in .venv (dev dependencies); not needed for --jsonl

    now = now or dt.datetime.now(dt.timezone.utc)
    # published is a TIMESTAMP without time zone, in UTC.
    since = now.astimezone(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=1)
    result = []
    with duckdb.connect(str(database), read_only=True) as conn:
        for key, (title, query) in QUERIES.items():
            params = {"since": since} if key == "logs" else None
            try:
                rows = [(str(r[0]), int(r[1])) for r in conn.execute(query, params).fetchall()]
                total = None
                if key == "logs":
                    total = int(conn.execute(LOGS_TOTAL, params).fetchone()[0])
                result.append(Answer(title, rows, total))
            except duckdb.Error as exc:  # e.g. a table this run did not load
                result.append(Answer(title, [], error=str(exc).splitlines()[0]))
    return result


def print_answers(items: Iterable[Answer], out: IO[str]) -> None:
    for item in items:
        title = item.title
        if item.total is not None:
            title += f" (of {item.total:,} events)"
        out.write(f"\n{title}\n")
        if item.error:
            out.write(f"  ({item.error})\n")
        elif not item.rows:
            out.write("  (none)\n")
        for label, count in item.rows:
            label = label if len(label) <= 40 else label[:39] + "~"
            out.write(f"  {label:<40} {count:>8,}\n")
        for note in item.notes:
            out.write(f"  {note}\n")


# --- the answers of the dbt models (transform/), built by dbt-duckdb:build -------------
# Schema okta_models of the same file (meltano.yml's dbt-duckdb utility).

FINDINGS = """select {label}, count(*) as n from okta_models.okta_access_findings
    where finding in ({findings}) group by 1 order by n desc, 1 limit 5"""
FINDING_USERS = """select count(distinct user_id) from okta_models.okta_access_findings
    where finding in ({findings})"""
AS_OF = """select user_id, user_login from okta_models.okta_app_access where app_id = $app"""
AS_OF_THEN = """select h.principal_id, u.login
    from okta_models.okta_access_history as h
    left join okta_models.stg_okta__users as u on u.user_id = h.principal_id
    where h.principal_type = 'user' and h.object_type = 'app' and h.object_id = $app
        and h.valid_from <= $at and (h.valid_to is null or h.valid_to > $at)"""


@dataclass
class Change:
    """What the demo changed in the simulated org between its two loads."""

    app_id: str
    app_label: str
    at: dt.datetime  # an instant after the first load, before the change (UTC)


def finding_answer(conn: Any, title: str, findings: list[str], label: str) -> Answer:
    names = ", ".join(f"'{f}'" for f in findings)
    rows = conn.execute(FINDINGS.format(label=label, findings=names)).fetchall()
    total = conn.execute(FINDING_USERS.format(findings=names)).fetchone()[0]
    title = f"{title}: {total:,} users"
    return Answer(title, [(str(r[0]), int(r[1])) for r in rows])


def model_answers(database: Path, change: Change | None = None) -> list[Answer]:
    """The access-review questions, answered from the models (read-only)."""
    import duckdb

    out: list[Answer] = []
    with duckdb.connect(str(database), read_only=True) as conn:
        try:
            app = change.app_id if change else None
            if app is None:
                found = conn.execute(
                    "select app_id from okta_models.okta_app_access"
                    " group by app_id order by count(*) desc, app_id limit 1"
                ).fetchone()
                app = found[0] if found else ""
            label = conn.execute(
                "select max(app_label) from okta_models.okta_app_access where app_id = $app",
                {"app": app},
            ).fetchone()[0]
            direct = conn.execute(
                "select count(*) filter (where assigned_directly), count(*)"
                " from okta_models.okta_app_access where app_id = $app",
                {"app": app},
            ).fetchone()
            groups = conn.execute(
                """select coalesce(g.group_name, v.group_id), count(*) as n
                from okta_models.okta_app_access as a, unnest(a.via_group_ids) as v(group_id)
                left join okta_models.stg_okta__groups as g on g.group_id = v.group_id
                where a.app_id = $app group by 1 order by n desc, 1 limit 4""",
                {"app": app},
            ).fetchall()
            rows = [("assigned directly (scope USER)", int(direct[0]))]
            rows += [(f"through group {name}", int(n)) for name, n in groups]
            title = f"Who can use {label}: {direct[1]:,} users, and how (okta_app_access)"
            out.append(Answer(title, rows))
            out.append(
                finding_answer(
                    conn,
                    "Deprovisioned or suspended users still holding app access",
                    ["deprovisioned_with_app_access", "suspended_with_app_access"],
                    "lower(user_status) || ' ' || user_login",
                )
            )
            out.append(
                finding_answer(
                    conn,
                    "Admins without phishing-resistant MFA (roles held)",
                    ["admin_without_phishing_resistant_mfa"],
                    "user_login",
                )
            )
            out.append(
                finding_answer(
                    conn,
                    "Dormant accounts (no sign-in for 90 days) with app access (apps)",
                    ["dormant_with_app_access"],
                    "user_login",
                )
            )
            if change is not None:
                out.append(as_of_answer(conn, change))
        except duckdb.Error as exc:  # e.g. the models were not built
            out.append(Answer("Access review (okta_models)", [], error=str(exc).splitlines()[0]))
    return out


def as_of_answer(conn: Any, change: Change) -> Answer:
    at = change.at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    then = dict(conn.execute(AS_OF_THEN, {"app": change.app_id, "at": at}).fetchall())
    now = dict(conn.execute(AS_OF, {"app": change.app_id}).fetchall())
    when = f"{at:%H:%M:%S} UTC"
    notes = [
        f"lost access since {when}: {now_or_then}"
        for now_or_then in sorted(str(then[u]) for u in set(then) - set(now))
    ]
    notes += [
        f"got access since {when}: {login}"
        for login in sorted(str(now[u]) for u in set(now) - set(then))
    ]
    return Answer(
        f"Who could use {change.app_label} as of {when}, before the change (okta_access_history)",
        [(f"users at {when}", len(then)), ("users now", len(now))],
        notes=notes,
    )


def change_an_assignment(sim: Any) -> Change:
    """Between the two loads: one user unassigned from the most used app, another assigned."""
    org = sim.org
    apps = sorted(org.all_apps(), key=lambda a: (-len(org.app_user_ids(a["id"])), a["id"]))
    app = next(a for a in apps if a["status"] == "ACTIVE" and org.removable_app_user_ids(a["id"]))
    at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    time.sleep(1.1)  # the change is after that instant, to the second
    org.unassign_app_user(app["id"], org.removable_app_user_ids(app["id"])[0])
    users = set(org.app_user_ids(app["id"]))
    newcomer = next(
        u["id"] for u in org.all_users() if u["status"] == "ACTIVE" and u["id"] not in users
    )
    org.assign_app_user(app["id"], newcomer)
    return Change(app["id"], app["label"], at)


# --- meltano's log ---------------------------------------------------------------------

# Fields of meltano's JSON log entries that say nothing a reader of the log needs.
_PLUMBING = {
    "timestamp",
    "level",
    "event",
    "name",
    "_logger",
    "_name",
    "run_id",
    "stdio",
    "pid",
    "thread_name",
    "app_name",
    "plugin_logger",
    "string_id",
    "cmd_type",
    "job_name",
    "consumer",
    "producer",
    "type",
    "exception",
}
# Warnings every run logs, which need no action.
_EXPECTED_WARNINGS = (
    "No state was found",
    "Stream is assumed to be unsorted",
)
_BEGIN = re.compile(r"Beginning sync of '([^']+)' in \w+ mode( with context)?")
_COMPLETE = re.compile(r"Stream '([^']+)': complete read")
_WAIT = re.compile(r"^Rate limit: .*waiting ([\d.]+) s")


def render(entry: dict[str, Any]) -> str:
    """One JSON log entry of meltano as a line of text (what meltano prints on a console)."""
    source = entry.get("name") or "meltano"
    stamp, level = entry.get("timestamp", ""), entry.get("level", "")
    line = f"{stamp} [{level}] {source}: {entry.get('event', '')}"
    extras = {k: v for k, v in entry.items() if k not in _PLUMBING}
    if extras:
        line += " " + " ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v, default=str)}"
            for k, v in extras.items()
        )
    if entry.get("exception"):
        line += "\n" + str(entry["exception"]).rstrip()
    return line


@dataclass
class Stream:
    name: str
    child: bool = False
    records: int = 0
    seconds: float | None = None  # set once the stream's sync has ended
    complete: bool = False
    shown: bool = False


@dataclass
class Progress:
    """Follows the tap's log entries: one line per stream when it ends, plus warnings.

    The SDK ends every sync with a ``sync_duration`` metric and then the final
    ``record_count`` (earlier ``record_count`` entries, once a minute, are partial
    counts). Child streams (``app_users``, ``app_groups``: one sync per app) end when
    their parent does.
    """

    out: IO[str]
    live: bool = False  # rewrite a status line in place (a terminal)
    streams: dict[str, Stream] = field(default_factory=dict)
    current: str | None = None
    requests: int = 0
    waited: float = 0.0
    warnings: int = 0
    errors: list[str] = field(default_factory=list)
    max_warnings: int = 8

    def feed(self, entry: dict[str, Any]) -> None:
        source = entry.get("name") or "meltano"
        event = str(entry.get("event", ""))
        level = str(entry.get("level", ""))
        if level in ("error", "critical") and event != "Block run completed":
            self.errors.append(f"{source}: {event}")
        elif level == "warning" and not event.startswith(_EXPECTED_WARNINGS):
            self.warn(f"{source}: {event}")
        if source != "tap-okta":
            return
        metric = entry.get("metric_info")
        if isinstance(metric, dict):
            self.metric(metric)
        elif match := _BEGIN.match(event):
            stream = self.stream(match[1])
            stream.child = stream.child or bool(match[2])
            if not stream.child:
                self.current = stream.name
                self.status(f"reading {stream.name} ...")
        elif match := _COMPLETE.match(event):
            self.stream(match[1]).complete = True
        elif match := _WAIT.match(event):
            self.waited += float(match[1])
            if self.current:
                self.status(
                    f"reading {self.current}: waiting {float(match[1]):.0f} s for Okta's rate limit"
                )

    def metric(self, metric: dict[str, Any]) -> None:
        tags = metric.get("tags") or {}
        name, value = metric.get("metric"), metric.get("value") or 0
        if name == "http_request_count":
            self.requests += int(value)
        if "stream" not in tags or name not in ("record_count", "sync_duration"):
            return
        stream = self.stream(str(tags["stream"]))
        top_level = not tags.get("context")
        if name == "sync_duration" and top_level:
            stream.seconds = float(value)
        elif name == "record_count":
            stream.records += int(value)
            if top_level and stream.seconds is not None:
                self.show(stream)
                for other in self.streams.values():  # its children end with it
                    if other.child and not other.shown:
                        self.show(other)
            elif top_level:
                self.status(f"reading {stream.name}: {stream.records:,} records so far")

    def stream(self, name: str) -> Stream:
        return self.streams.setdefault(name, Stream(name))

    def show(self, stream: Stream) -> None:
        stream.shown = True
        label = f"  {stream.name}" if stream.child else stream.name
        line = f"  {label:<16} {stream.records:>9,} records"
        if stream.seconds is not None and not stream.child:
            line += f" {stream.seconds:>7.1f} s"
        if stream.complete:
            line += "  (complete read)"
        self.write(line)

    def warn(self, text: str) -> None:
        self.warnings += 1
        if self.warnings <= self.max_warnings:
            self.write(f"  ! {text[:200]}")
        elif self.warnings == self.max_warnings + 1:
            self.write(f"  ! more warnings in {shown(LOG)}")

    def status(self, text: str) -> None:
        if self.live:
            self.out.write(f"\r\033[K  {text[:100]}")
            self.out.flush()

    def write(self, line: str) -> None:
        if self.live:
            self.out.write("\r\033[K")
        self.out.write(line + "\n")
        self.out.flush()

    def finish(self) -> None:
        """After the run: streams whose end the log did not show (a failed run)."""
        for stream in self.streams.values():
            if not stream.shown and (stream.records or stream.seconds is not None):
                self.show(stream)
        if self.live:
            self.out.write("\r\033[K")
            self.out.flush()

    @property
    def records(self) -> int:
        return sum(s.records for s in self.streams.values())


def run_meltano(arguments: list[str], env: dict[str, str], progress: Progress) -> int:
    """``meltano --log-format=json <arguments>``: every entry to LOG, rendered, as it
    arrives, and to ``progress``."""
    command = [str(BIN / "meltano"), "--log-format=json", *arguments]
    with LOG.open("w", encoding="utf-8") as log:
        log.write(f"$ meltano --log-format=json {' '.join(arguments)}\n")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    entry = None
                if not isinstance(entry, dict):
                    log.write(line if line.endswith("\n") else line + "\n")
                    continue
                log.write(render(entry) + "\n")
                log.flush()
                progress.feed(entry)
        except KeyboardInterrupt:
            process.terminate()
            raise
        finally:
            code = process.wait()
            progress.finish()
    return code


# --- the rest --------------------------------------------------------------------------


def shown(path: Path) -> str:
    """A path as the user should type it: relative to the project when inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def configured_org() -> str | None:
    """Where ``TAP_OKTA_ORG_URL`` is set (the environment wins over ``.env``), if anywhere."""
    if url := os.environ.get("TAP_OKTA_ORG_URL"):
        return url
    dotenv = ROOT / ".env"
    for line in dotenv.read_text().splitlines() if dotenv.exists() else []:
        name, _, value = line.strip().partition("=")
        if name.strip() == "TAP_OKTA_ORG_URL":
            return value.strip().strip("'\"") + " (from .env)"
    return None


def loaded(database: Path) -> bool:
    """Whether an earlier run loaded rows into this file (a failed run may leave one
    with empty tables)."""
    if not database.exists():
        return False
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'okta'"
        ).fetchall()
        return any(
            conn.execute(f'select 1 from okta."{name}" limit 1').fetchone()  # noqa: S608
            for (name,) in tables
        )


def start_simulator(users: str) -> tuple[Any, str]:
    """The bundled simulator, in this process: the demo changes its org between loads.

    The org is generated from a seed, but also in the order of Python's string hashes:
    main() runs under PYTHONHASHSEED=0, so every demo run serves the same org (ids and
    all) and a second run adds to the first run's rows instead of a new org.
    """
    sys.path.insert(0, str(ROOT))
    from tests.okta_sim import OktaSimulator

    sim = OktaSimulator(users=int(users), seed=7, api_key=SIM_API_KEY)
    # Okta's buckets reset every minute; 2 s windows keep the demo quick (the admin
    # and MFA streams read each user's factors) while the tap still paces itself.
    sim.rate_limits.window_seconds = 2
    sim.start()
    return sim, sim.base_url


def install(env: dict[str, str], loader: str) -> int:
    """``meltano install`` of the plugins this run needs (quiet; once per project)."""
    plugins = [("extractors", "tap-okta"), ("loaders", loader)]
    if loader == "target-duckdb":
        plugins.append(("utilities", "dbt-duckdb"))
    if not all((ROOT / ".meltano" / kind / name).is_dir() for kind, name in plugins):
        names = " and ".join(name for _, name in plugins)
        print(f"Installing {names} into .meltano/ (first run only) ...", flush=True)
    command = [str(BIN / "meltano"), "install", *(name for _, name in plugins)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode


def summarize_jsonl(new_files: list[Path]) -> None:
    print(f"\nRecords written to {shown(OUTPUT)}/:")
    for path in sorted(new_files):
        with path.open("rb") as handle:
            count = sum(1 for _ in handle)
        print(f"  {path.name:<40} {count:>8,} records")


def how_to_open(database: Path) -> None:
    path = shown(database)
    print(f"\nThe database: {path} (schema okta, one table per stream). Open it with")
    query = "select status, count(*) from okta.users group by 1"
    # The connection must outlive .sql(): keep it in a name.
    code = f"import duckdb; db = duckdb.connect('{path}', read_only=True); db.sql('{query}').show()"
    print(f'  .venv/bin/python -c "{code}"')
    if shutil.which("duckdb"):
        print(f"  or: duckdb -readonly {path}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/demo.sh",
        description="The main job: meltano run tap-okta target-duckdb, then SQL on the result.",
    )
    parser.add_argument(
        "--jsonl", action="store_true", help="load into output/*.jsonl (target-jsonl) instead"
    )
    return parser.parse_args(argv)


# The admin-role and MFA streams the models read (of tap-okta--security's list).
SECURITY_SELECT = json.dumps(
    [
        f"{s}.*"
        for s in ("user_roles", "group_roles", "custom_roles", "resource_sets", "user_factors")
    ]
)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loader = "target-jsonl" if args.jsonl else "target-duckdb"
    org = configured_org()
    if not org and os.environ.get("PYTHONHASHSEED") != "0":
        # The in-process simulator's org must be the same on every run (start_simulator).
        os.execve(  # noqa: S606 (the same interpreter and script)
            sys.executable,
            [sys.executable, __file__, *(argv or sys.argv[1:])],
            {**os.environ, "PYTHONHASHSEED": "0"},
        )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    OUTPUT.mkdir(exist_ok=True)  # target-duckdb does not create its file's folder
    if install(env, loader):
        return 1
    environment = "dev" if org else "simulator"
    database = DATABASES[environment]
    env["TARGET_DUCKDB_FILEPATH"] = shown(database)
    env["DBT_DUCKDB_PATH"] = str(database)
    before = set(OUTPUT.glob("*.jsonl"))
    simulator = None
    change: Change | None = None
    progress = Progress(sys.stdout, live=sys.stdout.isatty())
    started = time.monotonic()
    code = 0
    try:
        if environment == "dev":
            print(f"Running against your Okta org: {org}.")
        else:
            users = os.environ.get("OKTA_SIM_USERS", "2000")
            simulator, url = start_simulator(users)
            env.update(TAP_OKTA_ORG_URL=url, TAP_OKTA_API_KEY=SIM_API_KEY)
            print(
                f"No Okta org configured: running against the bundled simulator "
                f"({int(users):,} users) at {url}."
            )
        runs = [[f"--environment={environment}", "run", "tap-okta", loader]]
        if not args.jsonl:
            if environment == "simulator":
                # The simulator grants every scope: load the admin-role and MFA streams
                # too; against your org that needs their scopes (README), so the admin
                # and MFA answers stay empty until you select tap-okta--security.
                env["TAP_OKTA__SECURITY__SELECT"] = SECURITY_SELECT
                runs[0] += ["tap-okta--security", loader]
                # Then a second, incremental load after a change, and the models.
                runs.append([f"--environment={environment}", "run", "tap-okta", loader])
            runs[-1].append("dbt-duckdb:build")
        note = f"full log: {shown(LOG)}"
        if not args.jsonl and not loaded(database):
            # Meltano's state may hold bookmarks of an earlier run whose file is gone:
            # read everything into the new file.
            runs[0].insert(2, "--full-refresh")
            note = f"new database, so a full refresh; {note}"
        for number, arguments in enumerate(runs):
            if number and simulator is not None:
                change = change_an_assignment(simulator)
                print(
                    f"Changed the simulated org: one user unassigned from {change.app_label},"
                    " another assigned. Loading again, then building the models:"
                )
            print(f"meltano {' '.join(arguments)}  ({note})", flush=True)
            code = run_meltano(arguments, env, progress)
            if code:
                break
    finally:
        if simulator is not None:
            simulator.stop()
    elapsed = time.monotonic() - started
    if code:
        print(f"\nmeltano run failed (exit {code}). Its errors:", file=sys.stderr)
        for line in progress.errors[-12:] or ["(none logged)"]:
            print(f"  {line[:300]}", file=sys.stderr)
        print(f"The full log: {shown(LOG)}", file=sys.stderr)
        return code
    summary = f"Done in {elapsed:.0f} s: {progress.records:,} records"
    summary += f" from {progress.requests:,} requests to Okta"
    if progress.waited:
        summary += f" ({progress.waited:.0f} s of waits for its rate limits)"
    target = f"{shown(OUTPUT)}/*.jsonl" if args.jsonl else shown(database)
    print(f"{summary}, loaded into {target}.")
    if args.jsonl:
        summarize_jsonl(sorted(set(OUTPUT.glob("*.jsonl")) - before))
    else:
        print_answers(answers(database), sys.stdout)
        print('\nAccess review, from the dbt models (schema okta_models, README "Answers"):')
        print_answers(model_answers(database, change), sys.stdout)
        how_to_open(database)
    print(f"\nThe full meltano log: {shown(LOG)}")
    print(
        "Bookmarks (the next run starts from them): "
        f"meltano --environment={environment} state get {environment}:tap-okta-to-{loader}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
