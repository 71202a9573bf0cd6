"""The release and CI files that cannot run here (.github/, .pre-commit-config.yaml) are
checked here: GitHub's and Dependabot's schemas, zizmor's audit, actions pinned by
commit, and the commands they run are scripts/test.sh's, so that a green
``scripts/test.sh`` here means a green workflow there. Also: every place that names
the supported Pythons agrees, and CHANGELOG.md keeps its form."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
TEST_SH = ROOT / "scripts" / "test.sh"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
BIN = Path(sys.executable).parent
# owner/repo[/path]@<full commit hash> # vX.Y.Z
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+){1,2}$")


@cache
def workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    loaded["on"] = loaded.pop(True)
    return loaded


def steps(name: str, job: str) -> list[dict[str, Any]]:
    return list(workflow(name)["jobs"][job]["steps"])


def runs(name: str, job: str) -> list[str]:
    return [step["run"].strip() for step in steps(name, job) if "run" in step]


def test_the_workflows() -> None:
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == [
        "ci.yml",
        "release.yml",
        "sdk-next.yml",
    ]


def test_actions_are_pinned_by_commit_with_their_release() -> None:
    """A tag can be moved to other code; a commit hash cannot. One pin per action."""
    pins: dict[str, set[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            if match := re.match(r"^\s*(?:- )?uses: (.*)$", line):
                uses = match.group(1)
                assert PINNED.match(uses), f"{path.name}: {uses}"
                action, _, ref = uses.partition("@")
                pins.setdefault(action, set()).add(ref)
    assert {action for action, refs in pins.items() if len(refs) > 1} == set()
    assert "pypa/gh-action-pypi-publish" in pins


def script_modes() -> set[str]:
    """The modes scripts/test.sh's `case` handles."""
    return set(re.findall(r"^  (--[a-z-]+)\)$", TEST_SH.read_text(), re.MULTILINE))


def test_the_script_has_the_modes_the_workflows_need() -> None:
    assert {"--lint", "--fast", "--python", "--sdk-next", "--dist"} <= script_modes()


def test_every_workflow_command_is_a_test_script_command() -> None:
    modes = script_modes()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in workflow(path.name)["jobs"]:
            for command in runs(path.name, job):
                words = shlex.split(command)
                if words == [".ci/run"]:
                    continue
                if path.name == "release.yml" and words[:2] == ["test", "-f"]:
                    continue  # the tag check, below
                assert words[0] == "scripts/test.sh", f"{path.name} {job}: {command}"
                assert words[1] in modes, f"{path.name} {job}: {command}"
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec scripts/test.sh")


def python_versions() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    prefix = "Programming Language :: Python :: 3."
    return [
        "3." + c.removeprefix(prefix)
        for c in pyproject["project"]["classifiers"]
        if c.startswith(prefix)
    ]


def test_ci_runs_lint_each_python_s_fast_tier_and_the_full_suite() -> None:
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"pull_request", "push", "workflow_dispatch"}
    assert ci["permissions"] == {"contents": "read"}
    assert runs("ci.yml", "lint") == ["scripts/test.sh --lint"]
    fast = ci["jobs"]["fast"]
    assert fast["strategy"]["matrix"]["python"] == python_versions()
    [run_step] = [s for s in fast["steps"] if "run" in s]
    assert run_step["run"] == 'scripts/test.sh --python "python$PYTHON_VERSION" --fast'
    assert run_step["env"] == {"PYTHON_VERSION": "${{ matrix.python }}"}
    [setup] = [s for s in fast["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert runs("ci.yml", "full") == [".ci/run"]
    # The packaging test reads the version hatch-vcs derives from the tags.
    [checkout] = [s for s in steps("ci.yml", "full") if "checkout" in s.get("uses", "")]
    assert checkout["with"]["fetch-depth"] == 0


def test_the_weekly_run_uses_the_next_sdk() -> None:
    sdk_next = workflow("sdk-next.yml")
    [schedule] = sdk_next["on"]["schedule"]
    *_, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*"), schedule
    assert weekday.isdigit(), schedule
    assert runs("sdk-next.yml", "sdk-next") == ["scripts/test.sh --sdk-next"]


def test_the_release_builds_checks_and_publishes_with_trusted_publishing() -> None:
    release = workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {}
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    assert runs("release.yml", "build")[0] == "scripts/test.sh --dist"
    assert build["permissions"] == {"contents": "read"}
    # Only the publishing job may ask for an OIDC token, and it stores no secret.
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    text = (WORKFLOWS / "release.yml").read_text()
    assert "secrets." not in text
    assert "password" not in text
    [publisher] = [s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert "with" not in publisher  # trusted publishing is the action's default
    # The dist/ that was checked is the one published, and its version is the tag's.
    [upload] = [s for s in build["steps"] if "upload-artifact" in s.get("uses", "")]
    [download] = [s for s in publish["steps"] if "download-artifact" in s.get("uses", "")]
    assert upload["with"]["name"] == download["with"]["name"]
    assert upload["with"]["path"] == download["with"]["path"] == "dist/"
    assert 'test -f "dist/tap_okta-${TAG#v}-py3-none-any.whl"' in runs("release.yml", "build")
    [checkout] = [s for s in build["steps"] if "checkout" in s.get("uses", "")]
    assert checkout["with"]["fetch-depth"] == 0


def test_dependabot_groups_its_updates() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"uv", "github-actions"}
    for update in ecosystems.values():
        assert update["groups"], update


def test_every_place_names_the_same_pythons() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    versions = python_versions()
    lowest = versions[0]
    major, minor = lowest.split(".")
    assert pyproject["project"]["requires-python"] == f">={lowest}"
    assert pyproject["tool"]["mypy"]["python_version"] == lowest
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{major}{minor}"
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert f"sys.version_info < ({major}, {minor})" in setup
    assert f"needs Python {lowest} or newer" in setup
    # Each minor from the lowest up, none skipped.
    assert [int(v.split(".")[1]) for v in versions] == list(
        range(int(minor), int(minor) + len(versions))
    )


def lint_commands() -> list[str]:
    body = re.search(r"^lint\(\) \{\n(.*?)^\}", TEST_SH.read_text(), re.MULTILINE | re.DOTALL)
    assert body, "scripts/test.sh has a lint() function"
    return [line.strip() for line in body.group(1).splitlines() if line.strip()]


def pre_commit_hooks() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(PRE_COMMIT.read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_pre_commit_runs_the_lint_of_test_sh() -> None:
    hooks = pre_commit_hooks()
    commands = lint_commands()
    for hook_id in ("ruff-check", "ruff-format", "mypy"):
        entry = hooks[hook_id]["entry"]
        assert any(c == entry or c.startswith(entry + " ") for c in commands), (hook_id, entry)
    assert len(commands) == 3  # no lint step without its hook
    assert {"check-yaml", "check-meltano", "zizmor"} <= set(hooks)
    for hook in hooks.values():
        # Tools at the lock's versions, never fetched by pre-commit.
        assert hook["entry"].startswith(".venv/bin/"), hook


def test_changelog_keeps_a_changelog_form() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "# Changelog"
    assert "https://keepachangelog.com/en/1.1.0/" in text
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]"
    for heading in headings[1:]:
        assert re.fullmatch(r"## \[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", heading), heading
    kinds = {line for line in lines if line.startswith("### ")}
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert kinds <= {f"### {kind}" for kind in allowed}, kinds
    unreleased = text.split("## [Unreleased]", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^- ", unreleased, re.MULTILINE), "Unreleased lists the changes"


# --- the checks the workflows cannot run here, run here ------------------------------


def tool(name: str, *args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


#: Folders tools write into the tree (dbt's, in transform/; transform/.gitignore).
BUILD_OUTPUT = frozenset({"target", "dbt_packages", "logs", "output"})


def repository_files(pattern: str) -> list[Path]:
    """The repository's own files: not in .venv*, .meltano or another hidden folder,
    nor in what dbt builds."""
    return [
        path
        for path in ROOT.rglob(pattern)
        if path.is_file()
        and not any(
            (part.startswith(".") and part != ".github") or part in BUILD_OUTPUT
            for part in path.relative_to(ROOT).parent.parts
        )
    ]


@pytest.mark.cli
@pytest.mark.parametrize(
    "hook",
    ["check-yaml", "check-meltano", "check-github-workflows", "check-dependabot", "zizmor"],
)
def test_the_file_checks_pass(hook: str) -> None:
    """The pre-commit hooks that check the files .github/ and meltano.yml, as configured."""
    assert tool("pre-commit", "validate-config", PRE_COMMIT).returncode == 0
    entry = shlex.split(pre_commit_hooks()[hook]["entry"])
    files = {
        "check-yaml": [PRE_COMMIT, *repository_files("*.yml"), *repository_files("*.yaml")],
        "check-meltano": [ROOT / "meltano.yml"],
        "check-github-workflows": sorted(WORKFLOWS.glob("*.yml")),
        "check-dependabot": [ROOT / ".github" / "dependabot.yml"],
        "zizmor": [ROOT / ".github"],
    }[hook]
    assert files
    result = tool(Path(entry[0]).name, *entry[1:], *files)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


DANGEROUS_WORKFLOW = """\
on: pull_request_target
permissions:
  contents: write
jobs:
  test:
    RUNS_ON: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


@pytest.mark.cli
def test_the_file_checks_can_fail(tmp_path: Path) -> None:
    """A misspelt key fails the schema; running a fork's code and title with write
    access fails the audit."""
    misspelt = tmp_path / "misspelt" / ".github" / "workflows" / "ci.yml"
    misspelt.parent.mkdir(parents=True)
    misspelt.write_text(DANGEROUS_WORKFLOW.replace("RUNS_ON", "runs-onn"))
    schema = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", misspelt)
    assert schema.returncode != 0
    assert "runs-onn" in schema.stdout + schema.stderr
    dangerous = tmp_path / "dangerous" / ".github" / "workflows" / "ci.yml"
    dangerous.parent.mkdir(parents=True)
    dangerous.write_text(DANGEROUS_WORKFLOW.replace("RUNS_ON", "runs-on"))
    audit = tool("zizmor", "--offline", dangerous.parent.parent, cwd=tmp_path)
    assert audit.returncode != 0
    for finding in ("dangerous-triggers", "template-injection", "unpinned-uses"):
        assert finding in audit.stdout, finding
