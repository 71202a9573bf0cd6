"""benchmarks/large_org.py at a tiny size, so the script cannot rot unnoticed.

Its wall-time goals mean nothing at this size (a tap's start-up outweighs a window of
a second), so they are left out; what must hold at any size is checked: both jobs
exit 0, no 429, the apps job makes exactly the fewest pages, the hourly run stays
within the apps bucket's goal, and every table equals the org after each run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT

# A subprocess that runs the tap CLI: out of the fast tier.
pytestmark = pytest.mark.cli


def test_large_org_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    command = [sys.executable, "-m", "benchmarks.large_org", "--scale", "0.003"]
    command += ["--window-seconds", "1", "--json", str(figures)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert figures.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(figures.read_text())
    assert "| 2 hourly | requests to the apps bucket |" in done.stdout
    for run in ("run1", "run2"):
        assert report[run]["throttled"] == 0
        for job, figures_of_job in report[run]["jobs"].items():
            assert figures_of_job["exit_code"] == 0, (run, job, done.stdout[-3000:])
            assert 0 < figures_of_job["peak_rss_mib"] < 150
        for table, check in report[run]["tables"].items():
            assert check["missing"] == check["extra"] == 0, (run, table, check)
    assert all(report["run1"]["tables"][t]["org"] > 0 for t in ("users", "groups", "app_users"))
    first = report["run1"]["jobs"]
    made = {
        job: sum(n for b, n in first[job]["requests"].items() if "429" not in b) for job in first
    }
    least = {job: sum(first[job]["floor_requests"].values()) for job in first}
    assert made["apps"] == least["apps"]
    assert made["directory"] >= least["directory"]
    assert sum(report["changes"].values()) >= 10
    rows = {(row["run"], row["figure"]): row for row in report["rows"]}
    assert rows[("2 hourly", "requests to the apps bucket")]["verdict"] == "PASS"
