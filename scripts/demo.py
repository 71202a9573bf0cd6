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
import tempfile
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


def start_simulator(workdir: Path, users: str) -> tuple[subprocess.Popen[bytes], str]:
    ready = workdir / "sim-url"
    log = (workdir / "sim.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.okta_sim",
            "--port",
            "0",
            "--users",
            users,
            "--api-key",
            SIM_API_KEY,
            "--ready-file",
            str(ready),
            # Okta's buckets reset every minute; shorter windows keep the demo
            # quick while still showing the tap pace itself.
            "--window-seconds",
            "10",
        ],
        cwd=ROOT,
        # The org is generated from a seed, but also in the order of Python's string
        # hashes: a fixed hash seed makes every demo run serve the same org (ids and
        # all), so a second run adds to the first run's rows instead of a new org.
        env={**os.environ, "PYTHONHASHSEED": "0"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not (ready.exists() and ready.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"The Okta simulator did not start; its log: {workdir / 'sim.log'}")
        time.sleep(0.1)
    return process, ready.read_text().strip()


def install(env: dict[str, str], loader: str) -> int:
    """``meltano install`` of the two plugins this run needs (quiet; once per project)."""
    if not all(
        (ROOT / ".meltano" / kind / name).is_dir()
        for kind, name in (("extractors", "tap-okta"), ("loaders", loader))
    ):
        print(f"Installing tap-okta and {loader} into .meltano/ (first run only) ...", flush=True)
    command = [str(BIN / "meltano"), "install", "tap-okta", loader]
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loader = "target-jsonl" if args.jsonl else "target-duckdb"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    OUTPUT.mkdir(exist_ok=True)  # target-duckdb does not create its file's folder
    if install(env, loader):
        return 1
    org = configured_org()
    environment = "dev" if org else "simulator"
    database = DATABASES[environment]
    env["TARGET_DUCKDB_FILEPATH"] = shown(database)
    before = set(OUTPUT.glob("*.jsonl"))
    simulator = None
    with tempfile.TemporaryDirectory() as workdir:
        try:
            if environment == "dev":
                print(f"Running against your Okta org: {org}.")
            else:
                users = os.environ.get("OKTA_SIM_USERS", "2000")
                simulator, url = start_simulator(Path(workdir), users)
                env.update(TAP_OKTA_ORG_URL=url, TAP_OKTA_API_KEY=SIM_API_KEY)
                print(
                    f"No Okta org configured: running against the bundled simulator "
                    f"({int(users):,} users) at {url}."
                )
            arguments = [f"--environment={environment}", "run", "tap-okta", loader]
            note = f"full log: {shown(LOG)}"
            if not args.jsonl and not loaded(database):
                # Meltano's state may hold bookmarks of an earlier run whose file is gone:
                # read everything into the new file.
                arguments.insert(2, "--full-refresh")
                note = f"new database, so a full refresh; {note}"
            print(f"meltano {' '.join(arguments)}  ({note})", flush=True)
            progress = Progress(sys.stdout, live=sys.stdout.isatty())
            started = time.monotonic()
            code = run_meltano(arguments, env, progress)
            elapsed = time.monotonic() - started
        finally:
            if simulator:
                simulator.terminate()
                simulator.wait(10)
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
        how_to_open(database)
    print(f"\nThe full meltano log: {shown(LOG)}")
    print(
        "Bookmarks (the next run starts from them): "
        f"meltano --environment={environment} state get {environment}:tap-okta-to-{loader}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
