"""The real pipeline: ``meltano run tap-okta target-jsonl`` against the simulator.

Real Meltano (from the dev extras), the real target-jsonl, and state kept in
Meltano's own store (a system database per test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import API_KEY
from tests.meltano_project import Project, install_plugins
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ServiceApp

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def installed() -> None:
    """Plugin venvs live in .meltano/ of the project; installed once per session."""
    install_plugins()


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
    seen_events = sim.org.event_uuids()
    sim.org.update_user_profile(user, {"title": "Changed between runs"})
    sim.org.add_events(3)
    # The simulator may log the profile change itself, as Okta does: take whatever is new.
    new_events = sim.org.event_uuids() - seen_events

    second = project.run("tap-okta", "target-jsonl")
    assert [u["id"] for u in second["users"]] == [user]
    assert {e["uuid"] for e in second["logs"]} == new_events
    assert len(second["apps"]) == len(sim.org.all_apps())  # full table every run
    after = project.state(state_id)["bookmarks"]
    assert after["users"]["replication_key_value"] > before["users"]["replication_key_value"]
    assert after["logs"]["replication_key_value"] > before["logs"]["replication_key_value"]
    assert after["logs"]["cursor"] != before["logs"]["cursor"]
    # Meltano keeps the state's org, so the second run knew its bookmarks were this org's.
    assert project.state(state_id)["okta_org"]["id"] == sim.org.org_id


def test_scheduled_jobs_keep_separate_state(project: Project, sim: OktaSimulator) -> None:
    logs = project.run("okta-logs")
    directory = project.run("okta-directory")
    apps = project.run("okta-apps")
    assert set(logs) == {"logs"}
    # Split by Okta bucket: users and groups apart from the apps family.
    assert set(directory) == {"users", "groups", "group_members"}
    assert set(apps) == {"apps", "app_users", "app_groups"}
    listed = project.meltano("--environment=simulator", "state", "list").stdout.split()
    assert "simulator:tap-okta--logs-to-target-jsonl" in listed
    assert "simulator:tap-okta--directory-to-target-jsonl" in listed
    assert "simulator:tap-okta--apps-to-target-jsonl" in listed
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


def test_two_orgs_in_one_project_keep_their_state_and_rows_apart(
    installed: None, tmp_path: Path, sim: OktaSimulator
) -> None:
    """A fleet: one Meltano environment per org (README, "Fleets of orgs"), so each
    org has its own state ID; a second org's run never sees the first's bookmarks."""
    with OktaSimulator(users=120, seed=99, api_key=API_KEY) as other:
        orgs = {"dev": sim, "prod": other}
        for env in orgs:
            (tmp_path / env).mkdir()
        projects = {
            env: Project(
                tmp_path / env, {"TAP_OKTA_ORG_URL": org.base_url, "TAP_OKTA_API_KEY": API_KEY}
            )
            for env, org in orgs.items()
        }
        # Both projects share one system database: one Meltano project, two orgs.
        shared_db = projects["dev"].env["MELTANO_DATABASE_URI"]
        projects["prod"].env["MELTANO_DATABASE_URI"] = shared_db
        first = {
            env: project.run("tap-okta--directory", "target-jsonl", environment=env)
            for env, project in projects.items()
        }
        for env, org in orgs.items():
            assert {u["id"] for u in first[env]["users"]} == {u["id"] for u in org.org.all_users()}
        assert not {u["id"] for u in first["dev"]["users"]} & {
            u["id"] for u in first["prod"]["users"]
        }
        listed = projects["dev"].meltano("state", "list").stdout.split()
        assert {
            "dev:tap-okta--directory-to-target-jsonl",
            "prod:tap-okta--directory-to-target-jsonl",
        } <= set(listed)

        changed = sim.org.all_users()[0]["id"]
        sim.org.update_user_profile(changed, {"title": "Only in the first org"})
        second = {
            env: project.run("tap-okta--directory", "target-jsonl", environment=env)
            for env, project in projects.items()
        }
        assert [u["id"] for u in second["dev"].get("users", [])] == [changed]
        assert second["prod"].get("users", []) == []
        dev_state = projects["dev"].state("dev:tap-okta--directory-to-target-jsonl", "dev")
        prod_state = projects["prod"].state("prod:tap-okta--directory-to-target-jsonl", "prod")
        assert dev_state["bookmarks"]["users"] != prod_state["bookmarks"]["users"]
