"""Run the simulator's CLI in a child process, as scripts and other tools do."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def cli_simulator(ready_file: Path, *args: str, timeout: float = 20) -> Iterator[str]:
    """Start ``python -m tests.okta_sim ARGS``, yield its base URL once it listens.

    The URL comes from stdout, and it must match what ``--ready-file`` says; on exit the
    process gets SIGTERM and must end cleanly (exit status 0).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.okta_sim", "--ready-file", str(ready_file), *args],
        cwd=_REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        deadline = time.time() + timeout
        while not ready_file.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert ready_file.read_text().strip() == base
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0
