"""The main job: ``meltano run tap-okta target-jsonl``.

Runs against your Okta org when one is configured (``TAP_OKTA_ORG_URL`` in
the environment or in ``.env``), otherwise against the bundled Okta simulator
(``tests/okta_sim``), started here and stopped afterwards. Ends by saying
where the records landed. Run it through ``scripts/demo.sh``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
BIN = Path(sys.executable).parent
SIM_API_KEY = "sim-demo-token"


def org_configured() -> bool:
    if os.environ.get("TAP_OKTA_ORG_URL"):
        return True
    dotenv = ROOT / ".env"
    return dotenv.exists() and any(
        line.strip().startswith("TAP_OKTA_ORG_URL=") for line in dotenv.read_text().splitlines()
    )


def start_simulator(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    ready = workdir / "sim-url"
    log = (workdir / "sim.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.okta_sim",
            "--port",
            "0",
            "--users",
            os.environ.get("OKTA_SIM_USERS", "2000"),
            "--api-key",
            SIM_API_KEY,
            "--ready-file",
            str(ready),
            # Okta's buckets reset every minute; shorter windows keep the demo
            # quick while still showing the tap pace itself.
            "--window-seconds",
            "10",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not (ready.exists() and ready.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"The Okta simulator did not start; its log: {workdir / 'sim.log'}")
        time.sleep(0.1)
    return process, ready.read_text().strip()


def meltano(*args: str, env: dict[str, str], quiet: bool = False) -> int:
    command = [str(BIN / "meltano"), *args]
    if not quiet:
        return subprocess.call(command, cwd=ROOT, env=env)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode


def summarize(new_files: list[Path], seconds: float) -> None:
    total = 0
    print(f"\nRecords written to {OUTPUT}/ in {seconds:.1f} s:")
    for path in sorted(new_files):
        with path.open("rb") as handle:
            count = sum(1 for _ in handle)
        total += count
        print(f"  {path.name:<40} {count:>8,} records")
    print(f"  {'total':<40} {total:>8,} records")


def main() -> int:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if meltano("install", env=env, quiet=True):
        return 1
    OUTPUT.mkdir(exist_ok=True)
    before = set(OUTPUT.glob("*.jsonl"))
    simulator = None
    with tempfile.TemporaryDirectory() as workdir:
        try:
            if org_configured():
                arguments = ["run", "tap-okta", "target-jsonl"]
                print("Running against the Okta org configured in TAP_OKTA_* settings.")
            else:
                simulator, url = start_simulator(Path(workdir))
                env.update(TAP_OKTA_ORG_URL=url, TAP_OKTA_API_KEY=SIM_API_KEY)
                arguments = ["--environment=simulator", "run", "tap-okta", "target-jsonl"]
                print(f"No Okta org configured: running against the bundled simulator at {url}.")
            started = time.monotonic()
            code = meltano(*arguments, env=env)
            elapsed = time.monotonic() - started
        finally:
            if simulator:
                simulator.terminate()
                simulator.wait(10)
    if code:
        print(f"\nmeltano run failed (exit {code}); see the messages above.", file=sys.stderr)
        return code
    summarize(sorted(set(OUTPUT.glob("*.jsonl")) - before), elapsed)
    environment = "simulator" if simulator else "dev"
    print(
        "Bookmarks are in Meltano's state store: "
        f"meltano --environment={environment} state get "
        f"{environment}:tap-okta-to-target-jsonl"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
