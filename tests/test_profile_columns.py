"""Custom profile attributes land as typed columns in real targets.

``meltano run tap-okta--directory target-postgres`` (and ``target-duckdb``) with the
SDK's flattening on (``flattening_enabled: true``, ``flattening_max_depth: 1``):
Meltano runs ``--discover`` first (this project installs the tap editable, so Meltano
never caches its catalog), the catalog names every attribute of Okta's profile
schemas, and the targets create one typed column per attribute, the one nobody has
set included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from psycopg import sql

from tests.harness import API_KEY
from tests.okta_sim import OktaSimulator
from tests.warehouse import (  # noqa: F401 (fixtures)
    SCHEMA,
    PostgresInfo,
    WarehouseProject,
    duckdb_path,
    duckdb_table_name,
    install_plugins,
    postgres,
    postgres_database,
    postgres_types,
)

pytestmark = pytest.mark.e2e

FLATTENED = {"flattening_enabled": True, "flattening_max_depth": 1}
# Column -> PostgreSQL type, as target-postgres (MeltanoLabs, SDK) creates them.
POSTGRES_USERS = {
    "profile__login": "text",
    "profile__email": "text",
    "profile__costCenter": "text",
    "profile__isContractor": "boolean",
    "profile__clearanceLevel": "bigint",
    "profile__deskNumber": "bigint",  # nobody has set it
    "profile__fte": "numeric",
    "profile__hourlyRate": "numeric",
    "profile__lastSecurityTraining": "timestamp without time zone",
    "profile__contractEnd": "timestamp without time zone",
    "profile__employmentType": "text",
    "profile__jobLevel": "text",  # integer for employees, string for contractors
    "profile__badgeIds": "text",  # flattening writes arrays as JSON text
    "profile__projectCodes": "text",
}
POSTGRES_GROUPS = {
    "profile__name": "text",
    "profile__groupOwner": "text",
    "profile__reviewCadenceDays": "bigint",
    "profile__isPrivileged": "boolean",
    "profile__dataClassification": "text",
    "profile__samAccountName": "text",
}
# target-duckdb (pipelinewise) lower-cases column names; integers become HUGEINT.
DUCKDB_USERS = {
    "profile__isContractor": "BOOLEAN",
    "profile__clearanceLevel": "HUGEINT",
    "profile__deskNumber": "HUGEINT",
    "profile__fte": "DOUBLE",
    "profile__lastSecurityTraining": "TIMESTAMP",
    "profile__employmentType": "VARCHAR",
    "profile__jobLevel": "VARCHAR",
}


@pytest.fixture(scope="module")
def installed() -> None:
    install_plugins()  # once per session, shared with the other Meltano tests


def postgres_count(info: PostgresInfo, table: str, column: str) -> int:
    """Rows with a value in ``column``."""
    query = sql.SQL("SELECT count({c}) FROM {t}").format(
        c=sql.Identifier(column), t=sql.Identifier(SCHEMA, table)
    )
    with info.connect() as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def duckdb_types(path: Path, table: str) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ?",
            [SCHEMA, duckdb_table_name(table)],
        ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def test_postgres_gets_a_typed_column_per_attribute(
    installed: None,
    tmp_path: Path,
    sim: OktaSimulator,
    postgres_database: PostgresInfo,  # noqa: F811
) -> None:
    project = WarehouseProject(
        tmp_path,
        org_url=sim.base_url,
        api_key=API_KEY,
        postgres=postgres_database,
        tap_settings=FLATTENED,
    )
    project.load("target-postgres")
    users = postgres_types(postgres_database, "users")
    assert {c: users.get(c) for c in POSTGRES_USERS} == POSTGRES_USERS
    groups = postgres_types(postgres_database, "groups")
    assert {c: groups.get(c) for c in POSTGRES_GROUPS} == POSTGRES_GROUPS
    # No profile object column: every attribute is a column of its own.
    assert "profile" not in users
    # Values landed in their columns; the never-set attribute's column is empty.
    for column in ("profile__fte", "profile__lastSecurityTraining", "profile__isContractor"):
        assert postgres_count(postgres_database, "users", column) > 0, column
    assert postgres_count(postgres_database, "users", "profile__deskNumber") == 0
    assert postgres_count(postgres_database, "users", "profile__login") == len(sim.org.all_users())

    # An admin adds an attribute and sets it: the next run's discovery names it.
    user = sim.org.all_users()[0]["id"]
    sim.org.add_user_attribute("parkingSpot", {"title": "Parking spot", "type": "integer"})
    sim.org.update_user_profile(user, {"parkingSpot": 117})
    project.load("target-postgres")
    assert postgres_types(postgres_database, "users")["profile__parkingSpot"] == "bigint"
    assert postgres_count(postgres_database, "users", "profile__parkingSpot") == 1


def test_duckdb_gets_typed_columns_too(
    installed: None,
    tmp_path: Path,
    sim: OktaSimulator,
    duckdb_path: Path,  # noqa: F811
) -> None:
    project = WarehouseProject(
        tmp_path,
        org_url=sim.base_url,
        api_key=API_KEY,
        duckdb_path=duckdb_path,
        tap_settings=FLATTENED,
    )
    project.load("target-duckdb")
    users = duckdb_types(duckdb_path, "users")
    wanted: dict[str, Any] = {c.lower(): kind for c, kind in DUCKDB_USERS.items()}
    assert {c: users.get(c) for c in wanted} == wanted
