"""The real Meltano project of this repo, driven as a subprocess by the end-to-end tests.

Plugins are installed once per test session (into ``.meltano/`` of the project), by
whichever pytest-xdist worker needs them first; each :class:`Project` keeps its state
in its own system database, so tests do not share bookmarks, and each ``meltano run``
has its own run folder (``.meltano/run/elt/<state id>/<run id>``), so workers do not
share files.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.harness import ROOT

MELTANO = str(Path(sys.executable).with_name("meltano"))
# Variables of the caller's shell that would change what a pipeline reads or writes.
_OWN_PREFIXES = ("TAP_OKTA_", "TARGET_JSONL_", "TARGET_POSTGRES_", "TARGET_DUCKDB_")


@functools.cache
def install_plugins() -> float:
    """``meltano install`` once per test session (every module that needs it shares it).

    Returns the seconds it took this process: the install, or the wait for another
    worker's.
    """
    started = time.monotonic()
    folder = ROOT / ".meltano"
    folder.mkdir(exist_ok=True)
    # The workers of one session share PYTEST_XDIST_TESTRUNUID; a run without xdist
    # is one process.
    session = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"
    mark = folder / "tests-installed"
    with (folder / "tests-install.lock").open("w") as lock:
        # One install at a time, and one per session: a second `meltano install`
        # reinstalls tap-okta into its venv, under another worker's `meltano run`.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (mark.exists() and mark.read_text() == session):
            result = subprocess.run(
                [MELTANO, "install"], cwd=ROOT, capture_output=True, text=True, timeout=600
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            mark.write_text(session)
    return time.monotonic() - started


class Project:
    """One test's view of the project: its own environment and system database."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)},
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **env,
        }
        self.runs = 0

    def meltano(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [MELTANO, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
        return result

    def pipeline(
        self, *blocks: str, environment: str = "simulator", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """One ``meltano run`` of the given blocks (or a job)."""
        self.runs += 1
        return self.meltano(f"--environment={environment}", "run", *blocks, check=check)

    def run(self, *blocks: str, environment: str = "simulator") -> dict[str, list[dict[str, Any]]]:
        """One ``meltano run`` into target-jsonl; returns the records it wrote, per stream."""
        output = self.workdir / f"output-{self.runs + 1}"
        self.env["TARGET_JSONL_DESTINATION_PATH"] = str(output)
        self.pipeline(*blocks, environment=environment)
        records: dict[str, list[dict[str, Any]]] = {}
        for path in output.glob("*.jsonl"):
            stream = path.name.rsplit("-", 1)[0]
            records[stream] = [json.loads(line) for line in path.read_text().splitlines()]
        return records

    def state(self, state_id: str, environment: str = "simulator") -> dict[str, Any]:
        result = self.meltano(f"--environment={environment}", "state", "get", state_id)
        return json.loads(result.stdout)["singer_state"]
