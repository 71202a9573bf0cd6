"""The tap, meltano.yml and the README describe the same settings and streams."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from typing import Any

import yaml

from tests.harness import ALL_STREAMS, ROOT, TAP

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


def readme_table_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    return set(re.findall(r"^\| `(\w+)`", readme, re.MULTILINE))


def test_settings_and_capabilities_agree() -> None:
    info = json.loads(about())
    extractor = meltano_extractor()
    tap_settings = our_settings(info)
    meltano_settings = {s["name"] for s in extractor["settings"]}

    assert meltano_settings == tap_settings
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
    assert set(ALL_STREAMS) <= readme_table_names()


def test_about_as_markdown_lists_every_setting() -> None:
    info = json.loads(about())
    markdown = about("markdown")
    for name in our_settings(info):
        assert f"| {name} " in markdown, name
