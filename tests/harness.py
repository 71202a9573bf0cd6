"""Helpers the test modules share: run the real ``tap-okta`` CLI as a subprocess and
read its Singer output, the suite's credentials, and expectations on a simulated org.

Test modules import from here (and from ``tests.okta_sim``), never from one another;
the benchmarks import from here too.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from hypothesis import settings

from tap_okta.errors import OktaTapError
from tap_okta.retry import TIME_SCALE_ENV
from tap_okta.tap import TapOkta
from tests.okta_sim import USER_STATUSES

if TYPE_CHECKING:
    from tests.okta_sim import OktaSimulator, RequestRecord
    from tests.okta_sim.oauth import ServiceApp

ROOT = Path(__file__).resolve().parent.parent
TAP = [sys.executable, "-m", "tap_okta.tap"]

API_KEY = "00sim-api-token-for-tests-7f3c9d2e1b"
ALL_SCOPES = {"okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read"}
# The tap's own backoff and jitter in the CLI runs, shortened (tap_okta.retry.time_scale);
# the rate-limit windows the simulator announces stay real time.
TIME_SCALE = 0.1
#: What Python prints before a traceback; no run of the tap may show one (see run_tap).
TRACEBACK = "Traceback (most recent call last)"
#: Whether the running test may start the tap's CLI (tests/conftest.py sets it from the
#: test's marks, so the fast tier, ``-m "not cli and not e2e"``, stays in-process).
subprocess_tier = True

ALL_STREAMS = ("users", "groups", "group_members", "apps", "app_users", "app_groups", "logs")


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def ids(self, stream: str, key: str = "id") -> list[str]:
        return [r[key] for r in self.records(stream)]

    def counts(self) -> Counter[str]:
        return Counter(m["stream"] for m in self.messages if m["type"] == "RECORD")

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}

    def warning_lines(self) -> list[str]:
        """WARNING lines, as the in-process run (``WARNING | …``) and the CLI (``<time> |
        WARNING  | …``) log them."""
        return [
            line
            for line in self.stderr.split("\n")
            if line.startswith("WARNING") or "| WARNING " in line
        ]

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.split("\n") if "| ERROR" in line]

    def last_line(self) -> str:
        lines = [line for line in self.stderr.split("\n") if line.strip()]
        return lines[-1] if lines else ""


def examples(count: int) -> int:
    """A property test's ``max_examples``: ``count``, or a fifth of it (at least the
    profile's) under the hypothesis profile "fast" (tests/conftest.py)."""
    if settings.get_current_profile_name() != "fast":
        return count
    return max(settings.default.max_examples, count // 5)


@cache
def discovered_catalog() -> str:
    result = subprocess.run(
        [*TAP, "--discover"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout


def service_app_config(sim: OktaSimulator, app: ServiceApp, **settings: Any) -> dict[str, Any]:
    """The tap's config for a service app registered in ``sim``'s org."""
    return {
        "org_url": sim.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
        **settings,
    }


def catalog_selecting(streams: tuple[str, ...]) -> dict[str, Any]:
    return select_streams(json.loads(discovered_catalog()), streams)


def select_streams(catalog: dict[str, Any], streams: tuple[str, ...]) -> dict[str, Any]:
    """``catalog`` with exactly ``streams`` selected (changed in place)."""
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def tap_environment(
    env: dict[str, str] | None = None, *, log_level: str = "INFO"
) -> dict[str, str]:
    """The tap's environment in the suite: none of the caller's TAP_OKTA_* settings, and
    the tap's own waits at TIME_SCALE; ``env`` last."""
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_OKTA_")} | {
        "LOGLEVEL": log_level,
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
        TIME_SCALE_ENV: str(TIME_SCALE),
    }
    return process_env | (env or {})


def run_tap(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: tuple[str, ...] | None = None,
    log_level: str = "INFO",
    env: dict[str, str] | None = None,
    config_from_env: bool = False,
    kill_after_records: int | None = None,
    kill_signal: int = signal.SIGKILL,
    timeout: float = 240,
    extra_args: tuple[str, ...] = (),
    expect_traceback: bool = False,
    tap: tuple[str, ...] = tuple(TAP),
    cwd: Path = ROOT,
) -> TapRun:
    """Run ``tap-okta --config … [--state …] [--catalog …]`` and collect its output.

    A traceback on stderr fails the test unless it passes ``expect_traceback``: the
    tap's promise is one line per failure, whatever the test looks at. ``tap`` and
    ``cwd``: another installation of the tap (tests/test_packaging.py).
    """
    assert subprocess_tier, "a test that runs the tap's CLI is marked @pytest.mark.cli"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        args = [*tap, *extra_args, "--config", str(folder / "config.json")]
        (folder / "config.json").write_text(json.dumps(config))
        if config_from_env:
            args += ["--config", "ENV"]
        if state is not None:
            (folder / "state.json").write_text(json.dumps(state))
            args += ["--state", str(folder / "state.json")]
        if streams is not None:
            (folder / "catalog.json").write_text(json.dumps(catalog_selecting(streams)))
            args += ["--catalog", str(folder / "catalog.json")]
        process_env = tap_environment(env, log_level=log_level)
        stderr_path = folder / "stderr.log"
        with stderr_path.open("w") as stderr_file:
            process = subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                text=True,
                cwd=cwd,
                env=process_env,
            )
            assert process.stdout is not None
            lines: list[str] = []
            records = 0
            try:
                for line in process.stdout:
                    # Whatever reached the pipe was emitted, also after a kill.
                    lines.append(line)
                    if kill_after_records is not None and line.startswith('{"type":"RECORD"'):
                        records += 1
                        if records == kill_after_records:
                            process.send_signal(kill_signal)
                returncode = process.wait(timeout=timeout)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        stdout = "".join(lines)
        stderr = stderr_path.read_text()
    if not expect_traceback:
        assert TRACEBACK not in stderr, f"the tap printed a traceback:\n{stderr[-4000:]}"
    messages = []
    # Singer messages end at "\n" only: str.splitlines() also breaks at U+0085 and
    # U+2028, which a JSON string may carry unescaped (a state key hypothesis drew).
    for line in stdout.split("\n"):
        if line.strip():
            messages.append(json.loads(line))
    return TapRun(returncode=returncode, stdout=stdout, stderr=stderr, messages=messages)


class _LogLines(logging.Handler):
    """The run's log as the CLI writes it to stderr: ``LEVEL | logger | message``,
    tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.levelname} | {record.name} | {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.extend(text.split("\n"))


def sync_in_process(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: tuple[str, ...] | None = None,
) -> TapRun:
    """``run_tap``'s sync in this process, for the fast tier: the same messages, the
    log as ``stderr``, and a failure the CLI reports in one line (``OktaTapError``)
    as its last ERROR line with return code 1."""

    catalog = None
    if streams is not None:
        listed = TapOkta(config=config, parse_env_config=False, validate_config=False)
        catalog = select_streams(listed.catalog_dict, streams)
    handler = _LogLines()
    tap_logger = logging.getLogger("tap-okta")
    level, scale = tap_logger.level, os.environ.get(TIME_SCALE_ENV)
    logging.getLogger().addHandler(handler)
    tap_logger.setLevel(logging.INFO)
    os.environ[TIME_SCALE_ENV] = str(TIME_SCALE)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    failure: str | None = None
    try:
        tap = TapOkta(config=config, catalog=catalog, state=state, parse_env_config=False)
        with redirect_stdout(out):
            tap.sync_all()
    except OktaTapError as exc:
        failure = exc.message
    finally:
        logging.getLogger().removeHandler(handler)
        tap_logger.setLevel(level)
        if scale is None:
            os.environ.pop(TIME_SCALE_ENV, None)
        else:
            os.environ[TIME_SCALE_ENV] = scale
    out.flush()
    stdout = written_bytes(out).decode()
    messages = [json.loads(line) for line in stdout.split("\n") if line.strip()]
    if failure is not None:  # main() logs it last, after whatever the unwinding logged
        handler.lines.append(f"ERROR | tap-okta | {failure}")
    stderr = "\n".join(handler.lines) + "\n"
    return TapRun(
        returncode=0 if failure is None else 1, stdout=stdout, stderr=stderr, messages=messages
    )


def written_bytes(out: io.TextIOWrapper) -> bytes:
    buffer = out.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


def run_in_process(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: tuple[str, ...] = ALL_STREAMS,
) -> TapRun:
    """``sync_in_process`` of every stream unless told otherwise."""
    return sync_in_process(config, state=state, streams=streams)


def backoff_gap(failures: int, *, slack: float = 0.2) -> tuple[float, float]:
    """The bounds of the pause after the ``failures``-th failure in a row, at TIME_SCALE:
    a 1 s step doubling to at most 30 s, equal jitter (half the step to the whole), and
    ``slack`` for the request itself (not scaled: the machine, not the tap, sets it)."""
    step = TIME_SCALE * min(30.0, 2.0 ** (failures - 1))
    return step / 2, step + slack


def report(name: str, **figures: Any) -> None:
    """Figures quoted in the closing notes; visible with ``pytest -s``."""
    print(f"\nFIGURES {name}: {json.dumps(figures, sort_keys=True)}")


def tap_api_requests(sim: OktaSimulator) -> list[RequestRecord]:
    """The tap's /api/v1 requests, in the order the simulator received them."""
    return [
        r
        for r in sim.requests
        if r.path.startswith("/api/v1/") and r.headers.get("User-Agent", "").startswith("tap-okta")
    ]


def is_change_feed(record: RequestRecord) -> bool:
    """The directory streams' filtered System Log query (not the logs stream)."""
    return record.path == "/api/v1/logs" and "eventType" in " ".join(record.query.get("filter", []))


def page_key(record: RequestRecord) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Which page a request asks for: path and query, ignoring the page size."""
    query = tuple(sorted((k, tuple(v)) for k, v in record.query.items() if k != "limit"))
    return record.path, query


def assert_no_secrets(run: TapRun, *secrets: str) -> None:
    for secret in secrets:
        assert secret, "empty secret given to the check"
        assert secret not in run.stdout, "a secret leaked to stdout"
        assert secret not in run.stderr, "a secret leaked to stderr"
        for line in secret.splitlines():
            if len(line.strip()) >= 16 and "-----" not in line:
                assert line.strip() not in run.output, "a line of a secret leaked"


def assert_clean_failure(run: TapRun, *fragments: str) -> None:
    """Non-zero exit, no traceback, and the last line names the cause."""
    assert run.returncode != 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    last = run.last_line()
    assert "ERROR" in last, last
    for fragment in fragments:
        assert fragment.lower() in last.lower(), f"{fragment!r} not in last line: {last}"


# --- what a simulated org should yield ----------------------------------------------


def membership_group_ids(sim: OktaSimulator) -> list[str]:
    """Groups whose members the tap reads: every group, the built-in Everyone included."""
    return [group["id"] for group in sim.org.all_groups()]


def expected_memberships(sim: OktaSimulator) -> set[tuple[str, str]]:
    return {
        (group_id, user_id)
        for group_id in membership_group_ids(sim)
        for user_id in sim.org.group_members(group_id)
    }


def assert_everything_exactly_once(run: TapRun, sim: OktaSimulator) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    users = run.ids("users")
    assert len(users) == len(set(users))
    assert set(users) == {u["id"] for u in sim.org.all_users()}
    statuses = Counter(r["status"] for r in run.records("users"))
    assert set(statuses) == set(USER_STATUSES), statuses  # DEPROVISIONED included
    groups = run.ids("groups")
    assert sorted(groups) == sorted(g["id"] for g in sim.org.all_groups())
    apps = run.ids("apps")
    assert sorted(apps) == sorted(a["id"] for a in sim.org.all_apps())
    uuids = run.ids("logs", "uuid")
    assert len(uuids) == len(set(uuids))
    assert set(uuids) == sim.org.event_uuids()
    members = [(r["groupId"], r["userId"]) for r in run.records("group_members")]
    assert len(members) == len(set(members))
    assert set(members) == expected_memberships(sim)
    app_users = [(r["appId"], r["id"]) for r in run.records("app_users")]
    assert sorted(app_users) == sorted(
        (a["id"], u) for a in sim.org.all_apps() for u in sim.org.app_user_ids(a["id"])
    )
    app_groups = [(r["appId"], r["id"]) for r in run.records("app_groups")]
    assert sorted(app_groups) == sorted(
        (a["id"], g) for a in sim.org.all_apps() for g in sim.org.app_group_ids(a["id"])
    )


def remove_a_member_without_event(sim: OktaSimulator) -> None:
    """A member gone without a System Log event (as after an import): only a
    complete read can tell."""
    sim.org.log_directory_changes = False
    group = next(
        g["id"]
        for g in sim.org.all_groups()
        if g["type"] == "OKTA_GROUP" and sim.org.group_members(g["id"])
    )
    sim.org.remove_group_member(group, sim.org.group_members(group)[0])
    sim.org.log_directory_changes = True


# --- record values, with their JSON types -------------------------------------------


def typed(value: Any) -> Any:
    """A value with its types spelled out (5 and 5.0, True and 1 differ; NaN == NaN)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, float | decimal.Decimal):
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


def okta_records(sim: OktaSimulator) -> dict[str, list[dict[str, Any]]]:
    """What Okta answers for each stream, decoded as the tap decodes it."""
    session = requests.Session()
    session.headers["Authorization"] = f"SSWS {API_KEY}"
    since = (sim.org.clock.now() - dt.timedelta(days=89)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    paths = {
        "users": "/api/v1/users?limit=200",
        "groups": "/api/v1/groups?limit=200",
        "apps": "/api/v1/apps?limit=200",
        "logs": f"/api/v1/logs?limit=1000&since={since}",
    }
    found = {}
    for name, path in paths.items():
        response = session.get(sim.base_url + path, timeout=30)
        response.raise_for_status()
        found[name] = json.loads(response.content, parse_float=decimal.Decimal)
    app = found["apps"][0]["id"]
    for name, path in (("app_users", "users"), ("app_groups", "groups")):
        response = session.get(f"{sim.base_url}/api/v1/apps/{app}/{path}", timeout=30)
        found[name] = [dict(r, appId=app) for r in json.loads(response.content)]
    found["group_members"] = [{"groupId": "00g1", "userId": u["id"]} for u in found["users"]]
    return found


#: Values Okta should never send, for records that must still come out right.
ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    5,
    5.0,
    decimal.Decimal("5.0"),
    decimal.Decimal("1E+999999"),  # a float's infinity to the SDK
    float("nan"),
    float("inf"),
    "",
    "yes",
    "2024-01-31T12:00:00.000Z",
    dt.datetime(2024, 1, 31, 12, tzinfo=dt.timezone.utc),
    dt.date(2024, 1, 31),
    b"\x00",
    [],
    [1, "a", None],
    [{"x": 1}],
    {},
    {"nested": {"x": float("nan")}},
]
