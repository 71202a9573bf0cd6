"""Throughput: a bare requests loop, the Airbyte connector and tap-okta on one simulator.

    .venv/bin/python -m benchmarks.throughput                  # users 50,000; logs 100,000 events
    .venv/bin/python -m benchmarks.throughput --users 5000 --events 10000 --rounds 1
    .venv/bin/python -m benchmarks.throughput --no-airbyte     # bare loop and tap-okta only
    .venv/bin/python -m benchmarks.throughput --memory 10000,100000,1000000   # tap-okta, logs
    .venv/bin/python -m benchmarks.throughput --profile users  # cProfile of one tap-okta run
    .venv/bin/python -m benchmarks.throughput --profile users --py-spy PATH/TO/py-spy  # sampled
    .venv/bin/python -m benchmarks.throughput --no-airbyte --latency 0.1 --okta-limits  # wall

``--latency`` delays every API response (Okta over the internet); ``--okta-limits``
keeps Okta's 60-second windows and the tap's default ``rate_limit_share`` (the bare
loop, which does not pace, is left out) and prints each run's bucket floor.

One simulator (``tests.okta_sim``) serves https with a throwaway certificate, rate
limits in 1-second windows (Okta's limits per second instead of per minute: nothing
waits) and ``rate_limit_share`` 1.0 for the tap. For each stream (``users``: every
user; ``logs``: the System Log's visible events), each of these runs as its own
process, one after the other, ``--rounds`` times in turn:

- bare loop: this interpreter, ``requests.Session``, the largest page (users 200,
  ``search`` sorted on lastUpdated like the tap; logs 1000, polling until a short
  page), each record json-decoded and printed as a JSON line. The floor.
- airbyte: ``airbyte-source-okta`` (pinned, ``--airbyte-version``), installed on
  demand into its own venv under ``--cache-dir`` (never a dependency of the tap),
  API-token auth, full refresh of the one stream, ``source-okta read``. Its URLs are
  ``https://{domain}.okta.com/...``: the domain ``127.0.0.1:PORT#`` makes them
  ``https://127.0.0.1:PORT#.okta.com/...``, whose host is the simulator (the rest
  is a fragment); ``REQUESTS_CA_BUNDLE`` trusts the simulator's certificate.
- tap-okta: the real CLI (``benchmark.LAUNCHER``) with a catalog selecting the one
  stream. The Singer SDK sends with ``Session.send``, which does not read
  ``REQUESTS_CA_BUNDLE``; a prelude sets ``Session.verify`` from it, as
  ``Session.request`` would.

Each writes its stdout to a file; afterwards the records are counted and checked
(every expected key exactly once). Reported per tool: records, wall seconds from
start to exit (interpreter start-up included), records per second, requests (the
simulator's log for that run), 429s, the simulator's own busy time, and the peak
RSS of the tool's process (VmHWM at exit, written by the process itself). Medians
over the rounds, with min-max. Then start-up: ``tap-okta --about`` and a sync of 0
records (users with a ``start_date`` in the future), beside the same for Airbyte
(``spec``, and a read from a future ``start_date``) and the floors (``python -c
'import requests'``, the bare loop reading 0 users).

Every tap's ``tap_okta`` is compiled to bytecode first (what a first run leaves where
``PYTHONDONTWRITEBYTECODE`` is unset, and pip leaves on install); the header says
whether the SDK has bytecode (``scripts/setup.sh`` installs it so, as pip installs the
Airbyte connector).

``--memory`` runs tap-okta alone on the logs stream of orgs of N events each.
``--profile`` runs tap-okta once under cProfile (or sampled by py-spy, ``--py-spy``,
waiting on the socket included) and prints the top functions.

This is a measurement, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.benchmark import API_KEY, LAUNCHER, ROOT, stream_of, tap_env, worktree
from tap_okta.settings import DEFAULT_RATE_LIMIT_SHARE
from tests.harness import catalog_selecting
from tests.okta_sim import FaultConfig, OktaSimulator, RequestRecord
from tests.okta_sim.ratelimit import RateLimitConfig

AIRBYTE_PACKAGE = "airbyte-source-okta"
AIRBYTE_VERSION = "0.3.26"
AIRBYTE_SCRIPT = "source-okta"
STREAM_KEYS = {"users": "id", "logs": "uuid"}
PAGE = {"users": 200, "logs": 1000}  # the largest page Okta serves
TOOLS = ("bare loop", "airbyte", "tap-okta")
RETENTION = dt.timedelta(days=90)
RETENTION_MARGIN = dt.timedelta(minutes=2)
EPOCH = "1970-01-01T00:00:00.000Z"

# Peak RSS (KiB) of this very process, written at exit (see benchmark.LAUNCHER).
PEAK_RSS = """
import atexit as _atexit, os as _os, resource as _resource

def _peak_rss():
    try:
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kib = str(_resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss)
    with open(_os.environ["BENCHMARK_PEAK_RSS_FILE"], "w") as out:
        out.write(kib)

_atexit.register(_peak_rss)
"""

# What Session.request does for a client that calls Session.send (the Singer SDK).
TRUST_CA_BUNDLE = """
import os as _os
if _os.environ.get("REQUESTS_CA_BUNDLE"):
    import requests as _requests
    _session_init = _requests.Session.__init__

    def _trusting_init(self, *args, **kwargs):
        _session_init(self, *args, **kwargs)
        self.verify = _os.environ["REQUESTS_CA_BUNDLE"]

    _requests.Session.__init__ = _trusting_init
"""

BARE_LOOP = (
    PEAK_RSS
    + r"""
import json, sys
import requests

base, token, stream, since = sys.argv[1:5]
session = requests.Session()
session.headers.update({"Authorization": "SSWS " + token, "Accept": "application/json"})
if stream == "users":
    size = 200
    url = base + "/api/v1/users"
    params = {
        "search": f'lastUpdated ge "{since}"',
        "sortBy": "lastUpdated",
        "sortOrder": "asc",
        "limit": size,
    }
else:
    size = 1000
    url = base + "/api/v1/logs"
    params = {"since": since, "sortOrder": "ASCENDING", "limit": size}
write, dumps = sys.stdout.write, json.dumps
while url:
    response = session.get(url, params=params, timeout=60)
    response.raise_for_status()
    page = response.json()
    for record in page:
        write(dumps(record) + "\n")
    params = None  # the next link carries them
    if stream == "logs" and len(page) < size:
        break  # polling: the next link is always there; a short page is the end
    url = response.links.get("next", {}).get("url")
"""
)

AIRBYTE_LAUNCHER = (
    PEAK_RSS
    + f"""
import sys
from importlib.metadata import entry_points

(_script,) = entry_points(group="console_scripts", name="{AIRBYTE_SCRIPT}")
sys.argv[0] = "{AIRBYTE_SCRIPT}"
sys.exit(_script.load()())
"""
)

PROFILER = """
import atexit, cProfile, os, runpy, sys

_profiler = cProfile.Profile()

def _dump():
    _profiler.disable()
    _profiler.dump_stats(os.environ["BENCHMARK_PROFILE_FILE"])

atexit.register(_dump)
sys.argv[0] = "tap-okta"
_profiler.enable()
runpy.run_module("tap_okta.tap", run_name="__main__", alter_sys=True)
"""


@dataclass
class Run:
    tool: str
    stream: str
    exit_code: int
    seconds: float
    records: int
    distinct: int
    missing: int
    unexpected: int
    requests: int
    throttled: int
    server_seconds: float  # the simulator's time spent on this run's requests
    peak_rss_kib: int
    cpu_seconds: float
    other_paths: dict[str, int] = field(default_factory=dict)  # requests off the stream
    error: str = ""

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return (
            self.exit_code == 0
            and self.records == self.distinct
            and not self.missing
            and not self.unexpected
        )


def iso(moment: dt.datetime, *, millis: bool = True) -> str:
    text = moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if millis else "Z")


def retention_floor(sim: OktaSimulator) -> dt.datetime:
    """The oldest ``since`` worth asking for, on the org's clock (next whole second)."""
    now = sim.org.clock.now()
    return (now - RETENTION).replace(microsecond=0) + dt.timedelta(seconds=1)


@dataclass
class Finished:
    code: int
    seconds: float  # wall, start to exit
    cpu_seconds: float  # user + system of the process (all its threads)
    peak_rss_kib: int  # VmHWM, as the process wrote it at exit
    out: Path
    err: Path


def run_process(
    command: list[str], folder: Path, name: str, env: dict[str, str], cwd: Path = ROOT
) -> Finished:
    """Run ``command`` with stdout to a file; wall and CPU seconds, its own peak RSS."""
    folder.mkdir(parents=True, exist_ok=True)
    out_path, err_path = folder / f"{name}.out", folder / f"{name}.err"
    rss_path = folder / f"{name}.rss"
    rss_path.unlink(missing_ok=True)
    env = os.environ | env | {"BENCHMARK_PEAK_RSS_FILE": str(rss_path)}
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, env=env)
        # wait4: the child's own CPU time (its ru_maxrss would count the fork of this
        # process too, hence VmHWM from the child itself).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = int(rss_path.read_text()) if rss_path.exists() else 0
    cpu = usage.ru_utime + usage.ru_stime
    return Finished(process.returncode, seconds, cpu, peak, out_path, err_path)


def keys_of(out_path: Path, tool: str, stream: str) -> Iterable[str]:
    """The key of every record a tool wrote, in order."""
    key = STREAM_KEYS.get(stream, "id")
    with out_path.open("rb") as lines:
        for line in lines:
            if tool == "bare loop":
                yield str(json.loads(line)[key])
            elif line.startswith(b'{"type":"RECORD"'):
                message = json.loads(line)
                if tool == "airbyte":
                    yield str(message["record"]["data"][key])
                elif message["stream"] == stream:
                    record = message["record"]
                    yield str(record.get(key) or sorted(record.items())[:3])


def expected_keys(sim: OktaSimulator, stream: str) -> set[str]:
    if stream == "users":
        return set(sim.org.users)
    return set(sim.org.event_uuids())


def last_error(tool: str, out_path: Path, err_path: Path) -> str:
    """A short reason for a failed run: Airbyte's TRACE error, else the end of stderr."""
    if tool == "airbyte":
        with out_path.open("rb") as lines:
            for line in lines:
                if line.startswith(b'{"type":"TRACE"') and b'"ERROR"' in line:
                    error = json.loads(line)["trace"].get("error", {})
                    return str(error.get("message") or error.get("internal_message"))[:500]
    return err_path.read_text(errors="replace")[-800:].strip()


def measure(
    sim: OktaSimulator,
    tool: str,
    stream: str,
    command: list[str],
    folder: Path,
    env: dict[str, str],
    cwd: Path = ROOT,
    keep: Path | None = None,
) -> Run:
    """One run of ``tool``; ``keep``: move its stdout there instead of deleting it."""
    wanted_before = expected_keys(sim, stream)
    sim.clear_requests()
    sim.reset_rate_limits()  # each run starts with fresh windows (60 s ones outlast a run)
    name = f"{tool.replace(' ', '-').replace('@', '-')}-{stream}"
    done = run_process(command, folder, name, env, cwd=cwd)
    requests: list[RequestRecord] = sim.requests
    wanted_after = expected_keys(sim, stream)
    # Events may age out of retention during a run: only those visible throughout
    # (and for a while after: tap-okta starts a minute inside the 90 days, on purpose)
    # must arrive, only those visible at some point may.
    wanted, allowed = wanted_before & wanted_after, wanted_before | wanted_after
    if stream == "logs":
        wanted &= sim.org.event_uuids(now=sim.org.clock.now() + RETENTION_MARGIN)
    seen = Counter(keys_of(done.out, tool, stream))
    other = Counter(
        r.path if stream_of(r.path) is None else f"{stream_of(r.path)} family"
        for r in requests
        if stream_of(r.path) != stream
    )
    run = Run(
        tool=tool,
        stream=stream,
        exit_code=done.code,
        seconds=done.seconds,
        records=sum(seen.values()),
        distinct=len(seen),
        missing=len(wanted - seen.keys()),
        unexpected=len(seen.keys() - allowed),
        requests=len(requests),
        throttled=sum(1 for r in requests if r.status == 429),
        server_seconds=sum(r.duration for r in requests),
        peak_rss_kib=done.peak_rss_kib,
        cpu_seconds=done.cpu_seconds,
        other_paths=dict(other),
    )
    if not run.ok:
        run.error = last_error(tool, done.out, done.err)
    if keep is not None:
        done.out.replace(keep)
    else:
        done.out.unlink()  # hundreds of MB at full size
    return run


# --- the three clients -----------------------------------------------------------------


def bare_command(sim: OktaSimulator, stream: str, since: str | None = None) -> list[str]:
    if since is None:
        since = EPOCH if stream == "users" else iso(retention_floor(sim))
    return [sys.executable, "-c", BARE_LOOP, sim.base_url, API_KEY, stream, since]


def tap_command(
    sim: OktaSimulator,
    stream: str,
    folder: Path,
    *,
    start_date: str | None = None,
    launcher: str = LAUNCHER,
    share: float | None = 1.0,
) -> list[str]:
    """``share`` None: the tap's default ``rate_limit_share``."""
    folder.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"org_url": sim.base_url, "api_key": API_KEY}
    if share is not None:
        config["rate_limit_share"] = share
    if start_date:
        config["start_date"] = start_date
    tag = f"{stream}-{'from-' + start_date[:10] if start_date else 'all'}"
    config_path, catalog_path = folder / f"tap-{tag}.json", folder / f"tap-{stream}-catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog_selecting((stream,))))
    return [
        sys.executable,
        "-c",
        TRUST_CA_BUNDLE + launcher,
        "--config",
        str(config_path),
        "--catalog",
        str(catalog_path),
    ]


def ensure_airbyte(cache_dir: Path, version: str) -> Path:
    """The connector's own venv (created on first use); its python."""
    venv = cache_dir / f"airbyte-source-okta-{version}"
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if marker.exists() and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    print(f"Installing {AIRBYTE_PACKAGE}=={version} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"{AIRBYTE_PACKAGE}=={version}",
        ],
        check=True,
    )
    marker.write_text(version + "\n")
    return python


class Airbyte:
    """``source-okta`` in its own venv, configured for one simulator."""

    def __init__(self, python: Path, sim: OktaSimulator, folder: Path) -> None:
        self.python = python
        self.sim = sim
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        assert sim.ca_file is not None
        self.env = {"REQUESTS_CA_BUNDLE": sim.ca_file}
        self.version = self._run_capture(
            ["-c", f"import importlib.metadata as m; print(m.version('{AIRBYTE_PACKAGE}'))"]
        ).strip()
        self.cdk_version = self._run_capture(
            ["-c", "import importlib.metadata as m; print(m.version('airbyte-cdk'))"]
        ).strip()
        spec = self._messages(["spec"], "SPEC")["spec"]["connectionSpecification"]
        methods = spec["properties"]["credentials"]["oneOf"]
        if not any(m["properties"]["auth_type"].get("const") == "api_token" for m in methods):
            raise RuntimeError("the connector's spec has no api_token authentication")
        self._streams: dict[str, dict[str, Any]] = {}

    def command(self, *args: str) -> list[str]:
        return [str(self.python), "-c", AIRBYTE_LAUNCHER, *args]

    def _run_capture(self, args: list[str]) -> str:
        env = os.environ | self.env | {"BENCHMARK_PEAK_RSS_FILE": os.devnull}
        return subprocess.run(
            [str(self.python), *args], capture_output=True, text=True, check=True, env=env
        ).stdout

    def _messages(self, args: list[str], kind: str) -> dict[str, Any]:
        output = self._run_capture(["-c", AIRBYTE_LAUNCHER, *args])
        for line in output.splitlines():
            if line.startswith(f'{{"type":"{kind}"'):
                return dict(json.loads(line))
        raise RuntimeError(f"source-okta {args[0]}: no {kind} message in {output[-1500:]}")

    def config(self, start_date: str) -> Path:
        """API-token auth; the domain trick points ``https://{domain}.okta.com`` here."""
        path = self.folder / f"airbyte-config-{start_date[:10]}.json"
        path.write_text(
            json.dumps(
                {
                    "credentials": {"auth_type": "api_token", "api_token": API_KEY},
                    "domain": f"127.0.0.1:{self.sim.port}#",
                    "start_date": start_date,
                }
            )
        )
        return path

    def catalog(self, stream: str, config: Path) -> Path:
        """A configured catalog: the discovered stream, full refresh."""
        if not self._streams:
            catalog = self._messages(["discover", "--config", str(config)], "CATALOG")
            self._streams = {s["name"]: s for s in catalog["catalog"]["streams"]}
        configured = {
            "streams": [
                {
                    "stream": self._streams[stream],
                    "sync_mode": "full_refresh",
                    "destination_sync_mode": "overwrite",
                }
            ]
        }
        path = self.folder / f"airbyte-catalog-{stream}.json"
        path.write_text(json.dumps(configured))
        return path

    def start_date(self, stream: str) -> str:
        # users: filter lastUpdated gt start_date (else 7 days back); logs: since, which
        # Okta refuses beyond 180 days: the retention floor, as the tap and bare loop.
        if stream == "users":
            return "2000-01-01T00:00:00Z"
        return iso(retention_floor(self.sim), millis=False)

    def read_command(self, stream: str, start_date: str | None = None) -> list[str]:
        config = self.config(start_date or self.start_date(stream))
        catalog = self.catalog(stream, config)
        return self.command("read", "--config", str(config), "--catalog", str(catalog))


# --- reporting -------------------------------------------------------------------------


def median_and_spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    low, high = min(values), max(values)
    return f"{format(statistics.median(values), fmt)} ({format(low, fmt)}-{format(high, fmt)})"


def print_table(
    runs: list[Run], streams: tuple[str, ...], tools: tuple[str, ...] = TOOLS
) -> dict[str, dict[str, float]]:
    header = (
        f"{'stream':<7}{'tool':<{max(10, *(len(tool) + 1 for tool in tools))}}"
        f"{'records':>8}{'ok':>4}{'wall s':>22}{'records/s':>23}"
        f"{'requests':>9}{'429s':>5}{'sim busy s':>17}{'CPU s':>20}{'rec/CPU s':>10}"
        f"{'peak RSS MiB':>13}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[str, dict[str, float]] = {}
    width = max(10, *(len(tool) + 1 for tool in tools))
    for stream in streams:
        for tool in tools:
            rows = [r for r in runs if r.stream == stream and r.tool == tool]
            if not rows:
                continue
            ok = "yes" if all(r.ok for r in rows) else "NO"
            records = statistics.median(r.records for r in rows)
            line = (
                f"{stream:<7}{tool:<{width}}{records:>8.0f}{ok:>4}"
                f"{median_and_spread([r.seconds for r in rows], '.2f'):>22}"
                f"{median_and_spread([r.per_second for r in rows], '.0f'):>23}"
                f"{statistics.median(r.requests for r in rows):>9.0f}"
                f"{sum(r.throttled for r in rows):>5}"
                f"{median_and_spread([r.server_seconds for r in rows], '.1f'):>17}"
                f"{median_and_spread([r.cpu_seconds for r in rows], '.1f'):>20}"
                f"{statistics.median(r.records / r.cpu_seconds for r in rows):>10.0f}"
                f"{statistics.median(r.peak_rss_kib for r in rows) / 1024:>13.0f}"
            )
            print(line)
            medians[f"{stream}/{tool}"] = {
                "records_per_second": statistics.median(r.per_second for r in rows),
                "seconds": statistics.median(r.seconds for r in rows),
                "cpu_seconds": statistics.median(r.cpu_seconds for r in rows),
                "peak_rss_mib": statistics.median(r.peak_rss_kib for r in rows) / 1024,
            }
    print()
    for stream in streams:
        for tool in tools:
            tap = medians.get(f"{stream}/{tool}")
            if tap is None or not tool.startswith("tap"):
                continue
            parts = []
            for other, goal in (("airbyte", " (goal >= 2)"), ("bare loop", "")):
                theirs = medians.get(f"{stream}/{other}")
                if theirs and theirs["records_per_second"]:
                    ratio = tap["records_per_second"] / theirs["records_per_second"]
                    parts.append(f"{tool}/{other} records/s = {ratio:.2f}{goal}")
            if parts:
                print(f"{stream}: " + "; ".join(parts))
    for run in runs:
        if run.other_paths:
            print(f"note {run.stream}/{run.tool}: requests off the stream: {run.other_paths}")
        if not run.ok:
            print(
                f"PROBLEM {run.stream}/{run.tool}: exit {run.exit_code}, {run.records} records, "
                f"{run.distinct} distinct, {run.missing} missing, {run.unexpected} unexpected; "
                f"{run.error}"
            )
    return medians


def print_floors(
    runs: list[Run], streams: tuple[str, ...], tools: tuple[str, ...], sim: OktaSimulator
) -> None:
    """The bucket floor of each run: its requests / (limit x the tap's default share)
    minutes, what Okta's limits allow at best."""
    for stream in streams:
        limit = sim.rate_limits.limit_for(f"/api/v1/{stream}")
        for tool in tools:
            rows = [r for r in runs if r.stream == stream and r.tool == tool]
            if rows:
                requests = statistics.median(r.requests - sum(r.other_paths.values()) for r in rows)
                floor = 60 * requests / (limit * DEFAULT_RATE_LIMIT_SHARE)
                wall = statistics.median(r.seconds for r in rows)
                print(
                    f"{stream:<7}{tool:<16} wall {wall:7.1f} s; bucket floor {requests:.0f} "
                    f"requests / ({limit} x {DEFAULT_RATE_LIMIT_SHARE})/min = {floor:.1f} s"
                )


def timed(
    command: list[str], env: dict[str, str], folder: Path, name: str, cwd: Path = ROOT
) -> tuple[float, int]:
    done = run_process(command, folder, name, env, cwd=cwd)
    if done.code != 0:
        raise RuntimeError(f"{name} exited {done.code}: {done.err.read_text()[-1500:]}")
    return done.seconds, done.peak_rss_kib


@dataclass
class Startup:
    case: str
    seconds: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)
    server_seconds: list[float] = field(default_factory=list)
    requests: int = 0


def startup(
    sim: OktaSimulator,
    airbyte: Airbyte | None,
    folder: Path,
    rounds: int,
    old_roots: dict[str, Path] | None = None,
) -> list[Startup]:
    """Wall seconds (and peak RSS) of starting up, and of syncing 0 records."""
    assert sim.ca_file is not None
    env = {"REQUESTS_CA_BUNDLE": sim.ca_file}
    future_moment = sim.org.clock.now() + dt.timedelta(days=365)
    future = iso(future_moment)
    places: dict[str, Path] = {}
    old: list[tuple[str, list[str]]] = []
    for commit, root in (old_roots or {}).items():
        for name, command in (
            (
                f"tap@{commit} --about",
                [sys.executable, "-c", LAUNCHER, "--about", "--format", "json"],
            ),
            (
                f"tap@{commit} users sync, 0 records",
                tap_command(sim, "users", folder / commit, start_date=future),
            ),
        ):
            places[name] = root
            old.append((name, command))
    cases: list[tuple[str, list[str]]] = [
        *old,
        (
            "floor: python -c 'import requests'",
            [sys.executable, "-c", PEAK_RSS + "import requests"],
        ),
        (
            "tap-okta --about",
            [sys.executable, "-c", LAUNCHER, "--about", "--format", "json"],
        ),
        ("floor: bare loop, 0 users", bare_command(sim, "users", since=future)),
        (
            "tap-okta users sync, 0 records",
            tap_command(sim, "users", folder, start_date=future),
        ),
    ]
    if airbyte is not None:
        cases += [
            ("airbyte spec", airbyte.command("spec")),
            (
                "airbyte users read, 0 records",
                airbyte.read_command("users", start_date=iso(future_moment, millis=False)),
            ),
        ]
    rows = {name: Startup(name) for name, _ in cases}
    for _ in range(rounds):
        for name, command in cases:
            sim.clear_requests()
            root = places.get(name)
            extra = tap_env(root) if root else {}
            seconds, peak = timed(command, env | extra, folder, "startup", cwd=root or ROOT)
            requests = sim.requests
            row = rows[name]
            row.seconds.append(seconds)
            row.peak_rss_kib.append(peak)
            row.server_seconds.append(sum(r.duration for r in requests))
            row.requests = len(requests)
    return list(rows.values())


def print_startup(rows: list[Startup]) -> None:
    print(
        f"{'start-up':<34}{'wall s, median (min-max)':>28}{'requests':>10}{'sim busy s':>12}"
        f"{'peak RSS MiB':>14}"
    )
    for row in rows:
        print(
            f"{row.case:<34}{median_and_spread(row.seconds, '.3f'):>28}{row.requests:>10}"
            f"{statistics.median(row.server_seconds):>12.3f}"
            f"{statistics.median(row.peak_rss_kib) / 1024:>14.0f}"
        )


# --- modes -----------------------------------------------------------------------------


def simulator(
    users: int, events: int, seed: int, *, latency: float = 0.0, okta_limits: bool = False
) -> OktaSimulator:
    limits = RateLimitConfig(window_seconds=60.0 if okta_limits else 1.0)
    faults = FaultConfig(slow_rate=1.0, slow_seconds=latency) if latency else None
    started = time.monotonic()
    sim = OktaSimulator(
        users=users,
        events=events,
        seed=seed,
        api_key=API_KEY,
        rate_limits=limits,
        faults=faults,
        tls=True,
    )
    print(
        f"Generated an org of {users} users, {events} events in "
        f"{time.monotonic() - started:.0f} s.",
        file=sys.stderr,
    )
    return sim


def old_commits(args: argparse.Namespace, stack: ExitStack) -> dict[str, Path]:
    """``--old-commit``: each commit checked out in a temporary worktree, by short name."""
    roots: dict[str, Path] = {}
    for commit in (c.strip() for c in (args.old_commit or "").split(",") if c.strip()):
        short = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        roots[short] = stack.enter_context(worktree(commit))
    return roots


def compiled(roots: Iterable[Path]) -> str:
    """Each tap's own modules compiled to bytecode, as a first run (or pip) leaves them;
    and whether the SDK has bytecode: without it every start compiles it again."""
    for root in roots:
        compileall.compile_dir(str(root / "tap_okta"), quiet=1)
    import singer_sdk

    sdk = Path(singer_sdk.__file__).parent
    has_pyc = any((sdk / "__pycache__").glob("*.pyc"))
    return (
        "Bytecode: tap_okta compiled; the SDK's installed with it"
        if has_pyc
        else "Bytecode: tap_okta compiled; the SDK has NONE (run scripts/setup.sh, which "
        "installs with --compile-bytecode): each start-up includes compiling it"
    )


def throughput(args: argparse.Namespace) -> int:
    streams = tuple(s.strip() for s in args.streams.split(",") if s.strip())
    share = None if args.okta_limits else 1.0
    with (
        ExitStack() as stack,
        simulator(
            args.users, args.events, args.seed, latency=args.latency, okta_limits=args.okta_limits
        ) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        old_roots = old_commits(args, stack)
        folder = Path(tmp)
        assert sim.ca_file is not None
        env = {"REQUESTS_CA_BUNDLE": sim.ca_file}
        airbyte = None
        if not args.no_airbyte:
            python = ensure_airbyte(args.cache_dir, args.airbyte_version)
            airbyte = Airbyte(python, sim, folder / "airbyte")
        visible = len(sim.org.event_uuids())
        print(
            f"Org: {len(sim.org.users)} users; {sim.org.event_count} System Log events, "
            f"{visible} within the 90-day retention. Simulator: {sim.base_url} (TLS), "
            f"rate limits in {sim.rate_limits.window_seconds:.0f}-second windows "
            f"{sim.rate_limits.limits}; tap-okta rate_limit_share {share or 'default'}; "
            f"{args.latency:.2f} s latency per response. Python {sys.version.split()[0]}; "
            f"{os.cpu_count()} CPUs. {compiled([ROOT, *old_roots.values()])}."
        )
        if airbyte is not None:
            print(
                f"Airbyte: {AIRBYTE_PACKAGE} {airbyte.version} (airbyte-cdk "
                f"{airbyte.cdk_version}), api_token auth, domain 127.0.0.1:{sim.port}#, "
                f"full refresh; users start_date {airbyte.start_date('users')}, logs "
                f"start_date = the retention floor."
            )
        print()
        commands: dict[str, Callable[[str], list[str]]] = {}
        if not args.okta_limits:
            commands["bare loop"] = lambda stream: bare_command(sim, stream)
        if airbyte is not None:
            commands["airbyte"] = airbyte.read_command
        places: dict[str, tuple[Path, dict[str, str]]] = {}
        for commit, root in old_roots.items():
            tool = f"tap@{commit}"
            commands[tool] = lambda stream, tool=tool: tap_command(
                sim, stream, folder / tool, share=share
            )
            places[tool] = (root, tap_env(root))
        commands["tap-okta"] = lambda stream: tap_command(sim, stream, folder, share=share)
        tools = tuple(commands)
        runs: list[Run] = []
        for stream in streams:
            for round_ in range(args.rounds):
                for tool in tools:
                    cwd, extra = places.get(tool, (ROOT, {}))
                    run = measure(
                        sim, tool, stream, commands[tool](stream), folder, env | extra, cwd=cwd
                    )
                    runs.append(run)
                    print(
                        f"... {stream} round {round_ + 1}: {tool}: {run.records} records in "
                        f"{run.seconds:.1f} s = {run.per_second:.0f}/s "
                        f"(CPU {run.cpu_seconds:.1f} s), {run.requests} requests, "
                        f"peak RSS {run.peak_rss_kib / 1024:.0f} MiB"
                        + ("" if run.ok else f", PROBLEM: exit {run.exit_code} {run.error}"),
                        file=sys.stderr,
                    )
        medians = print_table(runs, streams, tools)
        if args.okta_limits:
            print_floors(runs, streams, tools, sim)
        print()
        rows = startup(sim, airbyte, folder / "startup", args.startup_rounds, old_roots)
        print_startup(rows)
    if args.json:
        report = {
            "settings": {k: str(v) for k, v in vars(args).items()},
            "runs": [asdict(r) | {"records_per_second": r.per_second} for r in runs],
            "medians": medians,
            "startup": [asdict(row) for row in rows],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(r.ok for r in runs) else 1


def memory(args: argparse.Namespace) -> int:
    """tap-okta alone (and at ``--old-commit``, on the same org), the logs stream, one
    org per size."""
    sizes = [int(n) for n in args.memory.split(",") if n.strip()]
    print(
        f"{'events':>10}{'visible':>10}{'generated s':>13}{'tool':>14}{'records':>10}{'ok':>4}"
        f"{'wall s':>9}{'records/s':>11}{'requests':>10}{'peak RSS MiB':>14}"
    )
    ok = True
    with ExitStack() as stack:
        places = {f"tap@{c}": (root, tap_env(root)) for c, root in old_commits(args, stack).items()}
        places["tap-okta"] = (ROOT, {})
        for events in sizes:
            started = time.monotonic()
            with (
                simulator(args.memory_users, events, args.seed) as sim,
                tempfile.TemporaryDirectory() as tmp,
            ):
                generated = time.monotonic() - started
                assert sim.ca_file is not None
                env = {"REQUESTS_CA_BUNDLE": sim.ca_file}
                visible = len(sim.org.event_uuids())
                folder = Path(tmp)
                for tool, (cwd, extra) in places.items():
                    command = tap_command(sim, "logs", folder / tool)
                    run = measure(sim, tool, "logs", command, folder, env | extra, cwd=cwd)
                    ok &= run.ok
                    print(
                        f"{events:>10}{visible:>10}{generated:>13.0f}{tool:>14}{run.records:>10}"
                        f"{'yes' if run.ok else 'NO':>4}{run.seconds:>9.1f}"
                        f"{run.per_second:>11.0f}{run.requests:>10}"
                        f"{run.peak_rss_kib / 1024:>14.0f}",
                        flush=True,
                    )
                    if not run.ok:
                        print(f"PROBLEM: {run.error}")
    return 0 if ok else 1


def print_cprofile(stats_path: Path, top: int) -> None:
    """Top functions by own time, and by cumulative time (the call chain above
    the record loop, called at most 3 times, left out)."""
    stats = pstats.Stats(str(stats_path))
    stats.strip_dirs()
    entries = stats.stats
    total = max(ct for _, _, _, ct, _ in entries.values())
    rows = [
        (f"{func} ({file}:{line})", nc, tt, ct)
        for (file, line, func), (_, nc, tt, ct, _) in entries.items()
    ]
    for title, index in (("own time", 2), ("cumulative time", 3)):
        chosen = sorted(
            (r for r in rows if index == 2 or r[1] > 3), key=lambda r: r[index], reverse=True
        )
        print(f"\n--- top {top} by {title} (of {total:.1f} s profiled) ---")
        print(f"{'own s':>8}{'cum s':>8}{'%':>6}{'calls':>10}  function")
        for name, calls, own, cumulative in chosen[:top]:
            share = 100 * (own if index == 2 else cumulative) / total
            print(f"{own:>8.2f}{cumulative:>8.2f}{share:>6.1f}{calls:>10}  {name}")


def print_py_spy(raw_path: Path, top: int) -> None:
    """Top functions of py-spy's collapsed stacks: own samples (innermost frame) and
    inclusive samples (anywhere on the stack), and who calls the busiest ones. Idle
    samples (waiting on a socket) are counted, under the frame that waits."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    callers: dict[str, Counter[str]] = {}
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [f for f in stack.split(";") if f.strip()]
        if not frames:
            own["(no Python frame: start-up, exit)"] += samples
            continue
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
        # The nearest caller outside the innermost frame's own module.
        module = frames[-1].rpartition("(")[2].split(":")[0]
        caller = next(
            (f for f in reversed(frames[:-1]) if f.rpartition("(")[2].split(":")[0] != module),
            "-",
        )
        callers.setdefault(frames[-1], Counter())[caller] += samples
    chain = {frame for frame, n in inclusive.items() if n >= 0.9 * total}
    print(f"\n--- top {top} by own samples (of {total} samples) ---")
    print(f"{'samples':>9}{'%':>7}  function (file:first line)  <- main caller outside its module")
    for frame, samples in own.most_common(top):
        caller = callers.get(frame, Counter()).most_common(1)
        via = f"  <- {caller[0][0]}" if caller else ""
        print(f"{samples:>9}{100 * samples / total:>7.1f}  {frame}{via}")
    print(
        f"\n--- top {top} by inclusive samples, without the {len(chain)} frames on >= 90% "
        "of the samples (the CLI down to the record loop) ---"
    )
    print(f"{'samples':>9}{'%':>7}  function (file:first line)")
    rest = [(f, n) for f, n in inclusive.most_common() if f not in chain]
    for frame, samples in rest[:top]:
        print(f"{samples:>9}{100 * samples / total:>7.1f}  {frame}")


def profile(args: argparse.Namespace) -> int:
    """One tap-okta run under cProfile, or sampled by py-spy: the top functions."""
    stream = args.profile
    with simulator(args.users, args.events, args.seed) as sim, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        assert sim.ca_file is not None
        output = folder / ("tap.py-spy" if args.py_spy else "tap.prof")
        env = {"REQUESTS_CA_BUNDLE": sim.ca_file, "BENCHMARK_PROFILE_FILE": str(output)}
        if args.py_spy:
            command = [
                str(args.py_spy),
                "record",
                "--format",
                "raw",
                "--function",
                "--idle",
                "--rate",
                "200",
                "--output",
                str(output),
                "--",
                *tap_command(sim, stream, folder),
            ]
        else:
            command = tap_command(sim, stream, folder, launcher=PROFILER)
        run = measure(sim, "tap-okta", stream, command, folder, env)
        profiler = "py-spy" if args.py_spy else "cProfile"
        print(
            f"tap-okta {stream} under {profiler}: {run.records} records in {run.seconds:.1f} s, "
            f"{run.requests} requests, simulator busy {run.server_seconds:.1f} s, peak RSS "
            f"{run.peak_rss_kib / 1024:.0f} MiB" + ("" if run.ok else f"; PROBLEM {run.error}")
        )
        if args.py_spy:
            print_py_spy(output, args.top)
        else:
            print_cprofile(output, args.top)
    return 0 if run.ok else 1


def json_kind(value: Any) -> Any:
    """A decoded JSON value with its JSON type spelled out (5 and 5.0, 1 and true differ)."""
    if isinstance(value, dict):
        return {key: json_kind(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_kind(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return ("integer", value)
    if isinstance(value, Decimal):
        return ("fraction", value)  # compares by value: 1.10 == 1.1
    return value


def singer_output(path: Path) -> tuple[list[tuple[Any, ...]], list[Any], Counter[str]]:
    """RECORD messages (stream, version, typed record), the STATE values, message counts."""
    records: list[tuple[Any, ...]] = []
    states: list[Any] = []
    kinds: Counter[str] = Counter()
    with path.open("rb") as lines:
        for line in lines:
            message = json.loads(line, parse_float=Decimal)
            kinds[message["type"]] += 1
            if message["type"] == "RECORD":
                records.append(
                    (message["stream"], message.get("version"), json_kind(message["record"]))
                )
            elif message["type"] == "STATE":
                states.append(message["value"])
    return records, states, kinds


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new or key not in old:
                found.append(f"{path}/{key}: only in {'old' if key in old else 'new'}")
            else:
                found += differences(old[key], new[key], f"{path}/{key}")
        return found
    return [] if old == new else [f"{path}: {str(old)[:120]} != {str(new)[:120]}"]


# STATE entries written from the clock (Okta's time when a read began, minus a
# margin; the change feed's position; a complete read's table version, its start in
# milliseconds): they differ between any two runs.
CLOCK_KEYS = (
    "horizon",
    "read_started",
    "changes",
    "started",
    "version",
    "last_complete",
    "replication_key_signpost",
)


def identity(args: argparse.Namespace) -> int:
    """The tap at ``--old-commit`` and this one, one after the other, on one simulator:
    RECORD messages (stream, version, values with their JSON types, in order) and the
    final STATE must be the same."""
    streams = tuple(s.strip() for s in args.streams.split(",") if s.strip())
    if not args.old_commit or "," in args.old_commit:
        raise SystemExit("--identity needs one --old-commit")
    same = True
    with (
        ExitStack() as stack,
        simulator(args.users, args.events, args.seed) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        [(commit, root)] = old_commits(args, stack).items()
        folder = Path(tmp)
        assert sim.ca_file is not None
        env = {"REQUESTS_CA_BUNDLE": sim.ca_file}
        # Both runs read the System Log from one point (the 90-day floor moves).
        start = iso(retention_floor(sim) + dt.timedelta(hours=1))
        for stream in streams:
            start_date = start if stream == "logs" else None
            outputs = {}
            for tool, cwd, extra in (
                (f"tap@{commit}", root, tap_env(root)),
                ("tap-okta", ROOT, {}),
            ):
                command = tap_command(sim, stream, folder / tool, start_date=start_date)
                out = folder / f"{tool}-{stream}.jsonl"
                run = measure(sim, tool, stream, command, folder, env | extra, cwd=cwd, keep=out)
                if run.exit_code != 0:
                    raise SystemExit(f"{tool} {stream} failed: {run.error}")
                outputs[tool] = singer_output(out)
            (old_records, old_states, old_kinds), (new_records, new_states, new_kinds) = (
                outputs.values()
            )
            mismatched = [
                i for i, (a, b) in enumerate(zip(old_records, new_records, strict=False)) if a != b
            ]
            # Every STATE message in turn, the final one included.
            state_diff = [
                f"STATE {i + 1}: {d}"
                for i, (a, b) in enumerate(zip(old_states, new_states, strict=False))
                for d in differences(a, b)
            ]
            clock = [d for d in state_diff if any(f"/{k}" in d.split(": ")[1] for k in CLOCK_KEYS)]
            other = [d for d in state_diff if d not in clock]
            ok = (
                len(old_records) == len(new_records)
                and len(old_states) == len(new_states)
                and not mismatched
                and not other
            )
            same &= ok
            print(
                f"{stream}: {len(old_records)} records at {commit}, {len(new_records)} now; "
                f"{len(mismatched)} differ (stream, version, values and JSON types, in order); "
                f"messages {dict(old_kinds)} vs {dict(new_kinds)}; STATE messages: "
                f"{len(other)} differences, {len(clock)} in clock-written entries "
                f"({', '.join(CLOCK_KEYS)}) -> {'IDENTICAL' if ok else 'DIFFERENT'}"
            )
            for index in mismatched[:3]:
                print(
                    f"  record {index}: "
                    + "; ".join(differences(old_records[index], new_records[index])[:5])
                )
            for line in other[:10]:
                print(f"  state {line}")
            for line in clock[:6]:
                print(f"  (clock) state {line}")
    return 0 if same else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=100_000, help="System Log events")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--streams", default="users,logs")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool (median)")
    parser.add_argument("--startup-rounds", type=int, default=5)
    parser.add_argument("--no-airbyte", action="store_true")
    parser.add_argument("--airbyte-version", default=AIRBYTE_VERSION)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path.home() / ".cache" / "tap-okta-bench",
        help="where the Airbyte connector's venv is created",
    )
    parser.add_argument(
        "--memory",
        default=None,
        metavar="N,N,...",
        help="instead: tap-okta's peak RSS on the logs of orgs of N events each",
    )
    parser.add_argument("--memory-users", type=int, default=1000, help="users in --memory orgs")
    parser.add_argument(
        "--profile", choices=tuple(STREAM_KEYS), default=None, help="instead: cProfile one run"
    )
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="PATH",
        help="with --profile: sample with this py-spy binary instead of cProfile",
    )
    parser.add_argument(
        "--old-commit",
        default=None,
        metavar="REV[,REV]",
        help="also run tap-okta at these commits (temporary git worktrees), same simulator",
    )
    parser.add_argument(
        "--identity",
        action="store_true",
        help="instead: compare the records and final STATE of --old-commit and this tap",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the simulator waits before each answer"
    )
    parser.add_argument(
        "--okta-limits",
        action="store_true",
        help="Okta's 60-second windows and the tap's default rate_limit_share",
    )
    args = parser.parse_args()
    if args.identity:
        return identity(args)
    if args.memory:
        return memory(args)
    if args.profile:
        return profile(args)
    return throughput(args)


if __name__ == "__main__":
    sys.exit(main())
