"""The real pipeline: ``meltano run tap-okta target-jsonl`` against the simulator.

Real Meltano (from the dev extras), the real target-jsonl, and state kept in
Meltano's own store (a system database per test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY
from tests.harness import ROOT
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ServiceApp

MELTANO = str(Path(sys.executable).with_name("meltano"))


@pytest.fixture(scope="module")
def installed() -> None:
    """Plugin venvs live in .meltano/ of the project; install once per session."""
    result = subprocess.run(
        [MELTANO, "install"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


class Project:
    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_OKTA_")},
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **env,
        }
        self.runs = 0

    def meltano(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [MELTANO, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600
        )
        if check:
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
        return result

    def run(self, *blocks: str, environment: str = "simulator") -> dict[str, list[dict[str, Any]]]:
        """One ``meltano run``; returns the records it wrote, per stream."""
        self.runs += 1
        output = self.workdir / f"output-{self.runs}"
        self.env["TARGET_JSONL_DESTINATION_PATH"] = str(output)
        self.meltano(f"--environment={environment}", "run", *blocks)
        records: dict[str, list[dict[str, Any]]] = {}
        for path in output.glob("*.jsonl"):
            stream = path.name.rsplit("-", 1)[0]
            records[stream] = [json.loads(line) for line in path.read_text().splitlines()]
        return records

    def state(self, state_id: str, environment: str = "simulator") -> dict[str, Any]:
        result = self.meltano(f"--environment={environment}", "state", "get", state_id)
        return json.loads(result.stdout)["singer_state"]


@pytest.fixture
def project(installed: None, tmp_path: Path, sim: OktaSimulator) -> Project:
    return Project(tmp_path, {"TAP_OKTA_ORG_URL": sim.base_url, "TAP_OKTA_API_KEY": API_KEY})


def test_meltano_run_twice_moves_the_bookmarks(project: Project, sim: OktaSimulator) -> None:
    first = project.run("tap-okta", "target-jsonl")
    assert len(first["users"]) == len(sim.org.all_users())
    assert len(first["groups"]) == len(sim.org.all_groups())
    assert len(first["apps"]) == len(sim.org.all_apps())
    assert {e["uuid"] for e in first["logs"]} == sim.org.event_uuids()
    state_id = "simulator:tap-okta-to-target-jsonl"
    before = project.state(state_id)["bookmarks"]

    user = sim.org.all_users()[0]["id"]
    sim.org.update_user_profile(user, {"title": "Changed between runs"})
    new_events = {e["uuid"] for e in sim.org.add_events(3)}

    second = project.run("tap-okta", "target-jsonl")
    assert [u["id"] for u in second["users"]] == [user]
    assert {e["uuid"] for e in second["logs"]} == new_events
    assert len(second["apps"]) == len(sim.org.all_apps())  # full table every run
    after = project.state(state_id)["bookmarks"]
    assert after["users"]["replication_key_value"] > before["users"]["replication_key_value"]
    assert after["logs"]["replication_key_value"] > before["logs"]["replication_key_value"]
    assert after["logs"]["cursor"] != before["logs"]["cursor"]


def test_scheduled_jobs_keep_separate_state(project: Project, sim: OktaSimulator) -> None:
    logs = project.run("okta-logs")
    directory = project.run("okta-directory")
    assert set(logs) == {"logs"}
    assert set(directory) == {"users", "groups", "group_members", "apps", "app_users", "app_groups"}
    listed = project.meltano("--environment=simulator", "state", "list").stdout.split()
    assert "simulator:tap-okta--logs-to-target-jsonl" in listed
    assert "simulator:tap-okta--directory-to-target-jsonl" in listed
    logs_state = project.state("simulator:tap-okta--logs-to-target-jsonl")["bookmarks"]
    assert set(logs_state) == {"logs"}
    schedules = project.meltano("schedule", "list", "--format=json").stdout
    assert "*/5 * * * *" in schedules
    assert "@hourly" in schedules


def test_service_app_through_meltano_with_an_escaped_key(
    installed: None, tmp_path: Path, sim: OktaSimulator, service_app: ServiceApp
) -> None:
    project = Project(
        tmp_path,
        {
            "TAP_OKTA_ORG_URL": sim.base_url,
            "TAP_OKTA_CLIENT_ID": service_app.client_id,
            "TAP_OKTA_KEY_ID": service_app.key_id,
            # As env vars and secret stores often carry PEM keys: one line, "\n" escapes.
            "TAP_OKTA_PRIVATE_KEY": service_app.private_key_pem.replace("\n", "\\n"),
        },
    )
    records = project.run("tap-okta--directory", "target-jsonl", environment="dev")
    assert len(records["users"]) == len(sim.org.all_users())
    assert len(sim.org.issued_tokens) == 1


def test_bad_config_fails_the_pipeline_with_the_tap_message(project: Project) -> None:
    project.env["TAP_OKTA_ORG_URL"] = "http://acme.okta.com"
    project.env["TARGET_JSONL_DESTINATION_PATH"] = str(project.workdir / "out")
    result = project.meltano(
        "--environment=simulator", "run", "tap-okta", "target-jsonl", check=False
    )
    assert result.returncode != 0
    assert "org_url http://acme.okta.com is not https" in result.stdout + result.stderr
    assert API_KEY not in result.stdout + result.stderr
