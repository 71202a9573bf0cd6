"""Run the real ``tap-okta`` CLI as a subprocess and read its Singer output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.okta_sim import OktaSimulator, RequestRecord

ROOT = Path(__file__).resolve().parent.parent
TAP = [sys.executable, "-m", "tap_okta.tap"]

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

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "| ERROR" in line]

    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@cache
def discovered_catalog() -> str:
    result = subprocess.run(
        [*TAP, "--discover"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout


def catalog_selecting(streams: tuple[str, ...]) -> dict[str, Any]:
    catalog: dict[str, Any] = json.loads(discovered_catalog())
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


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
) -> TapRun:
    """Run ``tap-okta --config … [--state …] [--catalog …]`` and collect its output."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        args = [*TAP, *extra_args, "--config", str(folder / "config.json")]
        (folder / "config.json").write_text(json.dumps(config))
        if config_from_env:
            args += ["--config", "ENV"]
        if state is not None:
            (folder / "state.json").write_text(json.dumps(state))
            args += ["--state", str(folder / "state.json")]
        if streams is not None:
            (folder / "catalog.json").write_text(json.dumps(catalog_selecting(streams)))
            args += ["--catalog", str(folder / "catalog.json")]
        process_env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_OKTA_")} | {
            "LOGLEVEL": log_level,
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
        process_env |= env or {}
        stderr_path = folder / "stderr.log"
        with stderr_path.open("w") as stderr_file:
            process = subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                text=True,
                cwd=ROOT,
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
    messages = []
    for line in stdout.splitlines():
        if line.strip():
            messages.append(json.loads(line))
    return TapRun(returncode=returncode, stdout=stdout, stderr=stderr, messages=messages)


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


def membership_group_ids(sim: OktaSimulator) -> list[str]:
    """Groups whose members the tap reads: every group, the built-in Everyone included."""
    return [group["id"] for group in sim.org.all_groups()]
