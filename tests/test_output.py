"""The message writer writes every message as a whole line, whatever stops the run.

``tap_okta.output.OktaMessageWriter`` writes each message as it comes: all of it on a
raw stdout that takes part of a write, and a line longer than ``PIPE_BUF`` with
SIGTERM and SIGINT held, so the SDK's last STATE never cuts it. A target that closes
stdout ends the run with one line.
"""

from __future__ import annotations

import io
import json
import select
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.singerlib import RecordMessage

from tap_okta import output
from tap_okta.output import OktaMessageWriter
from tap_okta.tap import TapOkta
from tests.harness import API_KEY, ROOT, TAP, catalog_selecting, select_streams
from tests.okta_sim import OktaSimulator


class _ShortWrites(io.RawIOBase):
    """A raw stdout (PYTHONUNBUFFERED) that takes at most a few bytes per write."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.calls += 1
        taken = bytes(chunk[: self.most])
        self.data += taken
        return len(taken)


def _stdout(raw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", types.SimpleNamespace(buffer=raw, flush=lambda: None))


def _record(n: int, padding: int = 0) -> RecordMessage:
    return RecordMessage(stream="users", record={"id": f"00u{n}", "n": n, "pad": "x" * padding})


def _lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


def test_a_raw_stdout_taking_part_of_a_write_gets_every_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = _ShortWrites(most=7)
    _stdout(raw, monkeypatch)
    writer = OktaMessageWriter()
    for n in range(50):
        writer.write_message(_record(n))
    assert [line["record"]["n"] for line in _lines(bytes(raw.data))] == list(range(50))
    assert raw.calls > 50


def test_an_in_process_sync_has_every_record_when_sync_all_returns(sim: OktaSimulator) -> None:
    # The SDK's test runner reads stdout as soon as sync_all returns: the STATE the
    # SDK writes as each stream ends, not interpreter exit, writes the last records.
    config = {"org_url": sim.base_url, "api_key": API_KEY}
    catalog = TapOkta(config=config, parse_env_config=False).catalog_dict
    tap = TapOkta(
        config=config,
        catalog=select_streams(catalog, ("users", "apps")),
        parse_env_config=False,
    )
    captured = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(captured):
        tap.sync_all()
    captured.seek(0)
    records: dict[str, set[str]] = {"users": set(), "apps": set()}
    for line in captured.read().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records[message["stream"]].add(message["record"]["id"])
    assert records["users"] == set(sim.org.users)
    assert records["apps"] == set(sim.org.apps)


def _users_sync(sim: OktaSimulator, tmp_path: Path) -> subprocess.Popen[bytes]:
    """``tap-okta`` syncing users into a pipe; its log goes to ``stderr.log``."""
    (tmp_path / "config.json").write_text(json.dumps({"org_url": sim.base_url, "api_key": API_KEY}))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_selecting(("users",))))
    command = [*TAP, "--config", str(tmp_path / "config.json")]
    command += ["--catalog", str(tmp_path / "catalog.json")]
    with (tmp_path / "stderr.log").open("w") as stderr:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)


def _assert_ends_with_one_line(tmp_path: Path, returncode: int, message: str) -> None:
    log = (tmp_path / "stderr.log").read_text()
    assert returncode == 1
    assert "Traceback" not in log
    assert "Exception ignored" not in log
    assert log.strip().splitlines()[-1].endswith(message)


@pytest.mark.cli
def test_a_target_that_stops_reading_ends_the_run_with_one_line(
    sim: OktaSimulator, tmp_path: Path
) -> None:
    process = _users_sync(sim, tmp_path)
    assert process.stdout is not None
    assert process.stdout.read(1000)  # the target reads a little, then exits
    process.stdout.close()
    _assert_ends_with_one_line(tmp_path, process.wait(timeout=120), output.STDOUT_CLOSED)


@pytest.fixture
def own_signal_handlers() -> Iterator[None]:
    # A tap made in the test process installs its handlers for SIGTERM and SIGINT.
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


class _SigtermMidWrite(_ShortWrites):
    """A stdout the process gets SIGTERM from while a line is part-way out."""

    def write(self, chunk: Any) -> int:
        taken = super().write(chunk)
        if self.calls == 2:
            signal.raise_signal(signal.SIGTERM)  # its Python handler runs here
        return taken


def _write_records_until_exit(writer: OktaMessageWriter) -> tuple[int, SystemExit]:
    """The number of the record being written when the process exited."""
    n = 0
    try:
        while n < 100_000:
            writer.write_message(_record(n, padding=3 * select.PIPE_BUF))
            n += 1
    except SystemExit as exc:
        return n, exc
    raise AssertionError("no exit")


@pytest.mark.usefixtures("own_signal_handlers")
def test_sigterm_during_a_long_line_writes_its_state_after_the_whole_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tap = TapOkta(
        config={"org_url": "https://acme.okta.com", "api_key": API_KEY}, parse_env_config=False
    )
    assert signal.getsignal(signal.SIGTERM) == tap._handle_termination
    raw = _SigtermMidWrite(most=1000)
    _stdout(raw, monkeypatch)
    writer = tap.message_writer
    assert isinstance(writer, OktaMessageWriter)
    tap.state["bookmarks"] = {"users": {"replication_key_value": "2026-12-01T00:00:00.000Z"}}
    n, exited = _write_records_until_exit(writer)
    assert exited.code == 0
    lines = _lines(bytes(raw.data))  # every line whole
    assert [line["record"]["n"] for line in lines[:-1]] == list(range(n + 1))
    assert lines[-1] == {"type": "STATE", "value": tap.state}


@pytest.fixture
def stopped_while_blocked(sim: OktaSimulator, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A users sync into a pipe nobody reads, sent SIGTERM once its writes wait."""
    process = _users_sync(sim, tmp_path)
    seen, still_since = -1, time.monotonic()
    while time.monotonic() - still_since < 1.5:  # no new page asked for: the writes wait
        pages = sum(r.path == "/api/v1/users" for r in sim.requests)
        if pages != seen or pages == 0:
            seen, still_since = pages, time.monotonic()
        assert process.poll() is None
        time.sleep(0.1)
    assert seen < 5  # of the 300-user org's 2 pages of 200 and the last, empty one
    assert process.stdout is not None
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    yield process
    if process.poll() is None:  # a failed test leaves no tap behind
        process.kill()
        process.wait()


@pytest.mark.cli
def test_sigterm_while_the_target_is_slow_ends_with_whole_lines_and_a_last_state(
    sim: OktaSimulator, tmp_path: Path, stopped_while_blocked: subprocess.Popen[bytes]
) -> None:
    # The record whose write waits was not written (a line up to PIPE_BUF goes into
    # the pipe whole or not at all); the STATE covers the records before it.
    process = stopped_while_blocked
    assert process.stdout is not None
    lines = process.stdout.read().decode().splitlines()  # the target reads again
    assert process.wait(timeout=60) == 0
    messages = [json.loads(line) for line in lines]  # every line whole
    assert messages[-1]["type"] == "STATE"
    records = [m["record"]["id"] for m in messages if m["type"] == "RECORD"]
    assert 0 < len(records) < len(sim.org.users)
    assert len(set(records)) == len(records)
    log = (tmp_path / "stderr.log").read_text()
    assert "Gracefully shutting down" in log
    assert "Traceback" not in log
