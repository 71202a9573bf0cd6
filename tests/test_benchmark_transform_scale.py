"""benchmarks/transform_scale.py at a tiny size, so the script cannot rot unnoticed.

The goal (2 minutes, 4 GiB) means nothing at this size; what must hold at any size:
the seed goes through the real pipeline, every table is copied with disjoint ids, and
``dbt build`` of every model and test passes on the result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from benchmarks.transform_scale import scale
from tests.harness import ROOT


# Runs meltano, the tap and dbt as subprocesses: out of the fast tier.
@pytest.mark.cli
def test_transform_scale_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    command = [sys.executable, "-m", "benchmarks.transform_scale", "--seed-scale", "0.05"]
    command += ["--copies", "3", "--json", str(figures)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(figures.read_text())
    build = report["build"]
    assert build["exit_code"] == 0
    assert "ERROR=0" in build["summary"], build
    assert build["peak_rss_mib"] > 0
    assert build["cpu_seconds"] > 0
    rows = report["rows"]
    assert rows["users"] == 3 * report["seed_org"]["users"]
    assert rows["app_users"] > 0
    assert rows["logs"] > 0


def test_copies_get_disjoint_ids_and_keep_their_joins(tmp_path: Path) -> None:
    seed = tmp_path / "seed.duckdb"
    with duckdb.connect(str(seed)) as conn:
        conn.execute("create schema okta")
        conn.execute("create table okta.users (id varchar, profile json, n bigint)")
        conn.execute(
            "insert into okta.users values ('00u1abcdefghijklmno7',"
            ' \'{"login": "a@x.com", "manager": "00u2abcdefghijklmno7"}\', 1)'
        )
        conn.execute("create table okta.logs (uuid varchar, target json)")
        conn.execute(
            "insert into okta.logs values ('0f0e6b8a-1c2d-11ef-9a3b-5b7e3c2a1d4f',"
            ' \'[{"id": "00u1abcdefghijklmno7"}]\')'
        )
    counts = scale(seed, tmp_path / "scaled.duckdb", 3)
    assert counts == {"logs": 3, "users": 3}
    with duckdb.connect(str(tmp_path / "scaled.duckdb"), read_only=True) as conn:
        users = conn.execute("select id, profile->>'manager', n from okta.users").fetchall()
        logs = conn.execute("select uuid, target->0->>'id' from okta.logs").fetchall()
    assert len({u[0] for u in users}) == 3
    assert all(u[1] == u[0].replace("00u1", "00u2") and u[2] == 1 for u in users)
    assert len({log[0] for log in logs}) == 3
    assert {log[1] for log in logs} == {u[0] for u in users}
