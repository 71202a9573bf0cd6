"""The package as a user gets it from PyPI: the sdist and the wheel ``uv build`` makes
(the wheel built from the sdist), installed into a fresh virtualenv with no repository
around, run as ``tap-okta`` against the simulator. Proves that the wheel carries all the
tap needs and that the version comes from git.

``scripts/test.sh --dist`` builds into dist/ and runs this module on what it built
(``TAP_OKTA_DIST``): the release workflow's command, so what is tested is what is
published.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness import ROOT, TAP, assert_everything_exactly_once, run_tap
from tests.okta_sim import OktaSimulator

pytestmark = pytest.mark.cli

DIST_ENV = "TAP_OKTA_DIST"
# pyproject.toml's [tool.hatch.version] fallback-version.
FALLBACK_VERSION = "0.1.0.dev0"
UV = Path(sys.executable).with_name("uv")


def clean_env() -> dict[str, str]:
    """The caller's environment without what would point a tool at the repository."""
    own = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")
    return {k: v for k, v in os.environ.items() if k not in own} | {"UV_PYTHON_DOWNLOADS": "never"}


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def build(source: Path, out: Path, *which: str) -> None:
    assert UV.exists(), "uv comes with the dev group (scripts/setup.sh)"
    run(UV, "build", *which, "--python", sys.executable, "--out-dir", out, source, cwd=source)


def wheel_version(dist: Path) -> str:
    [wheel] = dist.glob("tap_okta-*.whl")
    return wheel.name.split("-")[1]


@dataclass(frozen=True)
class Installed:
    version: str
    python: Path
    tap: Path
    home: Path  # an empty folder, the installed tap's working directory


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if given := os.environ.get(DIST_ENV):
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    build(ROOT, out)
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    folder = tmp_path_factory.mktemp("installed")
    home = folder / "home"
    home.mkdir()
    [wheel] = dist.glob("tap_okta-*.whl")
    # The runtime dependencies at uv.lock's versions (what the suite ran on);
    # `--frozen` reads the lock only.
    constraints = folder / "constraints.txt"
    run(
        *(UV, "export", "--frozen", "--quiet", "--no-dev", "--no-emit-project"),
        *("--no-hashes", "--no-header", "--output-file", constraints),
        cwd=ROOT,
    )
    venv = folder / "venv"
    run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=home)
    python = venv / "bin" / "python"
    run(
        *(UV, "pip", "install", "--quiet", "--python", python),
        *("--constraints", constraints, wheel),
        cwd=home,
    )
    return Installed(wheel_version(dist), python, venv / "bin" / "tap-okta", home)


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    """What PyPI checks on upload: metadata, and a README that renders."""
    [sdist] = dist.glob("tap_okta-*.tar.gz")
    [wheel] = dist.glob("tap_okta-*.whl")
    assert sdist.name == f"tap_okta-{wheel_version(dist)}.tar.gz"
    run(Path(sys.executable).with_name("twine"), "check", "--strict", sdist, wheel, cwd=dist)


def test_wheel_holds_the_package_and_its_metadata(dist: Path) -> None:
    [wheel] = dist.glob("tap_okta-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tap_okta").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert modules <= names, modules - names
    assert not [n for n in names if n.startswith("tests/")], "the simulator stays out"
    assert "Requires-Python: >=3.11" in metadata
    assert "License-Expression: Apache-2.0" in metadata
    assert f"Version: {wheel_version(dist)}" in metadata
    [sdist] = dist.glob("tap_okta-*.tar.gz")
    with tarfile.open(sdist) as archive:
        top = f"tap_okta-{wheel_version(dist)}"
        sdist_names = set(archive.getnames())
    for needed in ("PKG-INFO", "pyproject.toml", "LICENSE", "README.md", "tap_okta/tap.py"):
        assert f"{top}/{needed}" in sdist_names, needed


def git(*args: str) -> str:
    return run("git", *args, cwd=ROOT).strip()


def test_version_comes_from_git(dist: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the version is the fallback (tested below)")
    version = wheel_version(dist)
    head = git("rev-parse", "HEAD")
    exact = subprocess.run(
        ["git", "describe", "--tags", "--exact-match"], cwd=ROOT, capture_output=True, text=True
    )
    clean = not git("status", "--porcelain", "--untracked-files=no")
    if exact.returncode == 0 and clean:
        assert version == exact.stdout.strip().removeprefix("v")
    else:
        # A development release after the last tag (or before the first), naming
        # the commit it was built from.
        match = re.fullmatch(r"\d+\.\d+\.\d+\.dev\d+\+g([0-9a-f]+)(\.d\d{8})?", version)
        assert match, version
        assert head.startswith(match.group(1)), (version, head)


def test_without_git_the_version_is_the_fallback(tmp_path: Path) -> None:
    """Built from a copy of the source without .git (an archive of it; not the sdist,
    whose PKG-INFO carries the version)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: this one is such a copy")
    source = tmp_path / "source"
    for name in git("ls-files", "-z").split("\0"):
        if name and (ROOT / name).is_file():  # as the working tree has it
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    build(source, out, "--wheel")
    assert wheel_version(out) == FALLBACK_VERSION


def test_installed_tap_runs_from_the_wheel_alone(installed: Installed) -> None:
    """Nothing of the repository is on the installed tap's path."""
    found = run(
        *(installed.python, "-I", "-c"),
        "import importlib.metadata as m, tap_okta; print(tap_okta.__file__, m.version('tap-okta'))",
        cwd=installed.home,
    ).split()
    location = Path(found[0]).resolve()
    assert location.is_relative_to(installed.python.parent.parent.resolve()), location
    assert not location.is_relative_to(ROOT), location
    assert found[1] == installed.version


def test_about_and_version_of_the_installed_tap(installed: Installed) -> None:
    about = json.loads(run(installed.tap, "--about", "--format=json", cwd=installed.home))
    assert about["version"] == installed.version
    # The same plugin as the repository's: settings, capabilities, streams.
    here = json.loads(run(*TAP, "--about", "--format=json", cwd=ROOT))
    for key in set(about) | set(here):
        if key != "version":
            assert about.get(key) == here.get(key), key
    version = run(installed.tap, "--version", cwd=installed.home)
    assert version.startswith(f"tap-okta v{installed.version}, Meltano SDK v"), version


def test_discover_and_sync_with_the_installed_tap(
    installed: Installed, sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    config = installed.home / "config.json"
    config.write_text(json.dumps(api_config))
    catalog = json.loads(run(installed.tap, "--config", config, "--discover", cwd=installed.home))
    here = json.loads(run(*TAP, "--config", config, "--discover", cwd=ROOT))
    assert catalog == here
    run_ = run_tap(api_config, tap=(str(installed.tap),), cwd=installed.home)
    assert_everything_exactly_once(run_, sim)
