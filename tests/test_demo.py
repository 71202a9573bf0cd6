"""scripts/demo.py's two moving parts, on one real ``meltano run tap-okta target-duckdb``:

- its progress lines, parsed from Meltano's JSON log, count every stream's records;
- its SQL answers (users per status, largest groups, apps by assigned users, the
  System Log's last day) match the simulated org;
- its access-review answers, from the dbt models after two loads around a change in the
  org, match the truth tests/transform_truth.py computes from the org.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

from tests import transform_truth as truth
from tests.harness import API_KEY, ROOT
from tests.okta_sim import OktaSimulator
from tests.warehouse import WarehouseProject, duckdb_path, install_plugins  # noqa: F401

STREAMS = {"users", "groups", "group_members", "apps", "app_users", "app_groups", "logs"}


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def installed() -> None:
    install_plugins()


def top(counts: dict[str, int], n: int | None = None) -> list[tuple[str, int]]:
    """As the queries order: count descending, then name."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


@pytest.mark.e2e
def test_progress_and_answers_of_a_real_run(
    demo: ModuleType,
    installed: None,
    tmp_path: Path,
    sim: OktaSimulator,
    duckdb_path: Path,  # noqa: F811
) -> None:
    project = WarehouseProject(
        tmp_path, org_url=sim.base_url, api_key=API_KEY, duckdb_path=duckdb_path
    )
    result = project.meltano(
        "--log-format=json", "--environment=simulator", "run", "tap-okta", "target-duckdb"
    )
    out = io.StringIO()
    progress = demo.Progress(out)
    for line in (result.stdout + result.stderr).splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            demo.render(entry)
            progress.feed(entry)
    progress.finish()

    org = sim.org
    users = org.all_users()
    live_users = {u["id"] for u in users}
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        rows = {s: conn.sql(f"select count(*) from okta.{s}").fetchone()[0] for s in STREAMS}  # noqa: S608
        loaded_events = {r[0] for r in conn.sql("select uuid from okta.logs").fetchall()}
    # One line per stream, with the records the tap sent (a first run: no duplicates).
    assert {name: s.records for name, s in progress.streams.items() if name in STREAMS} == rows
    lines = out.getvalue().splitlines()
    for stream in STREAMS:
        assert sum(1 for line in lines if line.split()[:1] == [stream]) == 1, lines
    assert progress.requests > 0
    assert rows["users"] == len(users)

    now = dt.datetime.now(dt.timezone.utc)
    answers = {a.title: a for a in demo.answers(duckdb_path, now)}
    assert all(a.error is None for a in answers.values()), answers
    titles = [title for title, _ in demo.QUERIES.values()]
    by_status = collections.Counter(u["status"] for u in users)
    assert answers[titles[0]].rows == top(by_status)
    groups = {
        g["profile"]["name"]: len(set(org.group_members(g["id"])) & live_users)
        for g in org.all_groups()
    }
    assert answers[titles[1]].rows == top(groups, 5)
    apps = {a["label"]: len(set(org.app_user_ids(a["id"])) & live_users) for a in org.all_apps()}
    assert answers[titles[2]].rows == top({k: v for k, v in apps.items() if v}, 5)
    since = now - dt.timedelta(days=1)
    recent = [
        e
        for e in org.visible_events()
        # Events Okta stored after the tap's read are not the queries' business.
        if e["uuid"] in loaded_events
        and dt.datetime.fromisoformat(e["published"].replace("Z", "+00:00")) >= since
    ]
    assert recent, "the simulated org has events in the last day"
    assert answers[titles[3]].total == len(recent)
    assert answers[titles[3]].rows == top(collections.Counter(e["eventType"] for e in recent), 5)

    printed = io.StringIO()
    demo.print_answers(answers.values(), printed)
    # Compact: per question a blank line, a title and its rows.
    assert len(printed.getvalue().splitlines()) == 4 * 2 + len(by_status) + 3 * 5


def test_answers_of_a_file_without_logs(demo: ModuleType, tmp_path: Path) -> None:
    """A table the run did not load is a line of its own, not a failure."""
    path = tmp_path / "partial.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema okta")
        conn.execute("create table okta.users (id varchar, status varchar)")
        conn.execute("insert into okta.users values ('a', 'ACTIVE'), ('b', 'ACTIVE')")
    answers = demo.answers(path)
    assert answers[0].rows == [("ACTIVE", 2)]
    assert all(a.error for a in answers[1:])
    assert demo.loaded(path)
    assert not demo.loaded(tmp_path / "missing.duckdb")


@pytest.mark.cli
def test_the_printed_command_opens_the_file(
    demo: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "org.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema okta")
        conn.execute("create table okta.users as select 'ACTIVE' as status")
    demo.how_to_open(path)
    line = next(x for x in capsys.readouterr().out.splitlines() if "-c" in x)
    code = line.split('-c "', 1)[1].rstrip('"')
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "ACTIVE" in result.stdout


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_model_answers_of_a_real_build(
    demo: ModuleType,
    installed: None,
    tmp_path: Path,
    sim: OktaSimulator,
    duckdb_path: Path,  # noqa: F811
) -> None:
    """The demo's two loads around a change, dbt-duckdb:build, and its answers from the
    models, against the simulated org (tests/transform_truth.py)."""
    project = WarehouseProject(
        tmp_path, org_url=sim.base_url, api_key=API_KEY, duckdb_path=duckdb_path
    )
    project.env["DBT_DUCKDB_PATH"] = str(duckdb_path)
    project.env["TAP_OKTA__SECURITY__SELECT"] = demo.SECURITY_SELECT
    project.pipeline("tap-okta", "target-duckdb", "tap-okta--security", "target-duckdb")
    org = sim.org
    apps_before = {a["id"]: set(org.app_user_ids(a["id"])) for a in org.all_apps()}
    change = demo.change_an_assignment(sim)
    project.pipeline("tap-okta", "target-duckdb", "dbt-duckdb:build")

    answers = demo.model_answers(duckdb_path, change)
    assert all(a.error is None for a in answers), answers
    access = truth.app_access(org)
    mine = [row for (_, app), row in access.items() if app == change.app_id]
    assert f": {len(mine):,} users, and how" in answers[0].title
    assert answers[0].rows[0] == (
        "assigned directly (scope USER)",
        sum(row["assigned_directly"] for row in mine),
    )
    findings = truth.findings(org, dt.datetime.now(dt.timezone.utc))

    def users(*kinds: str) -> int:
        return len({user for kind, user, _ in findings if kind in kinds})

    totals = [int(a.title.rsplit(": ", 1)[1].split()[0].replace(",", "")) for a in answers[1:4]]
    assert totals == [
        users("deprovisioned_with_app_access", "suspended_with_app_access"),
        users("admin_without_phishing_resistant_mfa"),
        users("dormant_with_app_access"),
    ]
    before, after = apps_before[change.app_id], set(org.app_user_ids(change.app_id))
    assert before != after
    as_of = answers[4]
    assert [count for _, count in as_of.rows] == [len(before), len(after)]
    logins = {u["id"]: u["profile"]["login"] for u in org.all_users()}
    assert as_of.notes == [
        *(f"lost access since {as_of.rows[0][0][9:]}: {logins[u]}" for u in before - after),
        *(f"got access since {as_of.rows[0][0][9:]}: {logins[u]}" for u in after - before),
    ]
    printed = io.StringIO()
    demo.print_answers(answers, printed)
    assert "through group" in printed.getvalue() or not any(r["via_group_ids"] for r in mine)
