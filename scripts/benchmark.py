"""Benchmark tap-okta against a large simulated org.

    .venv/bin/python scripts/benchmark.py                      # 50,000 users, Okta's limits
    .venv/bin/python scripts/benchmark.py --window-seconds 5   # same limits, 5 s windows
    .venv/bin/python scripts/benchmark.py --users 5000 --auth service_app \
        --rate-limit /api/v1/users=20

Runs the real ``tap-okta`` CLI as a subprocess against the bundled simulator and
reports, per stream: records, requests made versus the least number of pages the
data needs at the tap's page sizes, 429s received; and for the run: records per
second, wall time, peak memory (RSS) of the tap process. It also checks every record
arrived exactly once, so a fast but lossy run cannot look good.

This is a measurement, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from inspect import getattr_static
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tap_okta.tap import STREAM_TYPES  # noqa: E402
from tests.harness import ALL_STREAMS, catalog_selecting  # noqa: E402
from tests.okta_sim import OktaSimulator, RequestRecord  # noqa: E402
from tests.okta_sim.ratelimit import RateLimitConfig  # noqa: E402
from tests.test_sync import membership_group_ids  # noqa: E402

API_KEY = "benchmark-okta-token"
# The tap's own page sizes and keys: the minimum number of pages follows from them.
# (Class attributes here; the SDK types name and primary_keys as instance properties.)
NAMES = [str(getattr_static(stream, "name")) for stream in STREAM_TYPES]
PAGE_SIZES: dict[str, int] = dict(zip(NAMES, (s.page_size for s in STREAM_TYPES), strict=True))
KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(getattr_static(stream, "primary_keys"))
    for name, stream in zip(NAMES, STREAM_TYPES, strict=True)
}

# Runs the tap and, at exit, writes its own peak RSS (KiB). VmHWM belongs to the
# process image after exec; getrusage's ru_maxrss would also count the forked copy
# of this benchmark process, simulator and org included.
LAUNCHER = """
import atexit, os, resource, runpy, sys

def peak_rss():
    try:
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kib = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with open(os.environ["BENCHMARK_PEAK_RSS_FILE"], "w") as out:
        out.write(kib)

atexit.register(peak_rss)
sys.argv[0] = "tap-okta"
runpy.run_module("tap_okta.tap", run_name="__main__", alter_sys=True)
"""


def stream_of(path: str) -> str | None:
    """Which stream an API request served."""
    parts = path.strip("/").split("/")  # api, v1, family[, id, child]
    if len(parts) == 3:
        return {"users": "users", "groups": "groups", "apps": "apps", "logs": "logs"}.get(parts[2])
    if len(parts) == 5:
        return {
            ("groups", "users"): "group_members",
            ("apps", "users"): "app_users",
            ("apps", "groups"): "app_groups",
        }.get((parts[2], parts[4]))
    return None


def pages(count: int, size: int, *, short_last_page: bool = False) -> int:
    """Pages to read ``count`` items; the System Log also needs a short last page."""
    if short_last_page:
        return count // size + 1
    return max(1, math.ceil(count / size))


def expected(sim: OktaSimulator) -> tuple[dict[str, set[tuple[str, ...]]], dict[str, int]]:
    """The keys each stream must deliver, and the fewest pages that can carry them."""
    org = sim.org
    groups = org.all_groups()
    apps = org.all_apps()
    members = {g: org.group_members(g) for g in membership_group_ids(sim)}
    app_users = {a["id"]: org.app_user_ids(a["id"]) for a in apps}
    app_groups = {a["id"]: org.app_group_ids(a["id"]) for a in apps}
    keys: dict[str, set[tuple[str, ...]]] = {
        "users": {(u["id"],) for u in org.all_users()},
        "groups": {(g["id"],) for g in groups},
        "group_members": {(g, u) for g, users in members.items() for u in users},
        "apps": {(a["id"],) for a in apps},
        "app_users": {(a, u) for a, users in app_users.items() for u in users},
        "app_groups": {(a, g) for a, ids in app_groups.items() for g in ids},
        "logs": {(uuid,) for uuid in org.event_uuids()},
    }
    children = {"group_members": members, "app_users": app_users, "app_groups": app_groups}
    minimum = {
        stream: sum(pages(len(v), PAGE_SIZES[stream]) for v in parents.values())
        for stream, parents in children.items()
    }
    for stream in ("users", "groups", "apps"):
        minimum[stream] = pages(len(keys[stream]), PAGE_SIZES[stream])
    minimum["logs"] = pages(len(keys["logs"]), PAGE_SIZES["logs"], short_last_page=True)
    return keys, minimum


def tap_config(sim: OktaSimulator, args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {"org_url": sim.base_url}
    if args.auth == "service_app":
        app = sim.org.register_service_app()
        config |= {
            "client_id": app.client_id,
            "key_id": app.key_id,
            "private_key": app.private_key_pem,
        }
    else:
        config["api_key"] = API_KEY
    if args.share is not None:
        config["rate_limit_share"] = args.share
    return config


@dataclass
class TapResult:
    exit_code: int
    seconds: float
    seen: dict[str, Counter[tuple[str, ...]]]  # record key -> times emitted
    log: Path
    peak_rss_kib: int


def run_tap(config: dict[str, Any], streams: tuple[str, ...], folder: Path) -> TapResult:
    """Run the tap; count every record's key as it arrives on stdout."""
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "catalog.json").write_text(json.dumps(catalog_selecting(streams)))
    stderr_path = folder / "tap.log"
    rss_path = folder / "peak-rss"
    seen: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    command = [
        sys.executable,
        "-c",
        LAUNCHER,
        "--config",
        str(folder / "config.json"),
        "--catalog",
        str(folder / "catalog.json"),
    ]
    started = time.monotonic()
    with (
        stderr_path.open("w") as stderr,
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=ROOT,
            env=os.environ | {"BENCHMARK_PEAK_RSS_FILE": str(rss_path)},
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            if not line.startswith('{"type":"RECORD"'):
                continue
            message = json.loads(line)
            stream, record = message["stream"], message["record"]
            seen[stream][tuple(str(record[k]) for k in KEYS[stream])] += 1
        returncode = process.wait()
    seconds = time.monotonic() - started
    peak = int(rss_path.read_text()) if rss_path.exists() else 0
    return TapResult(returncode, seconds, seen, stderr_path, peak)


def summarise(
    requests: list[RequestRecord],
    streams: tuple[str, ...],
    wanted: dict[str, set[tuple[str, ...]]],
    allowed: dict[str, set[tuple[str, ...]]],
    minimum: dict[str, int],
    seen: dict[str, Counter[tuple[str, ...]]],
) -> dict[str, dict[str, int]]:
    """Per stream: records, duplicates, ``wanted`` keys missing, keys not ``allowed``,
    requests, the minimum number of pages, 429s."""
    made: Counter[str] = Counter()
    throttled: Counter[str] = Counter()
    for request in requests:
        stream = stream_of(request.path)
        if stream is None:
            continue
        made[stream] += 1
        if request.status == 429:
            throttled[stream] += 1
    return {
        stream: {
            "records": sum(seen[stream].values()),
            "expected": len(wanted[stream]),
            "duplicates": sum(n - 1 for n in seen[stream].values() if n > 1),
            "missing": len(wanted[stream] - seen[stream].keys()),
            "unexpected": len(seen[stream].keys() - allowed[stream]),
            "requests": made[stream],
            "min_pages": minimum[stream],
            "429s": throttled[stream],
        }
        for stream in streams
    }


def print_report(report: dict[str, Any]) -> None:
    per_stream = report["streams"]
    header = f"{'stream':<14}{'records':>10}{'dup':>6}{'miss':>6}{'extra':>6}{'requests':>10}"
    print(header + f"{'min pages':>11}{'429s':>7}")
    for stream, row in per_stream.items():
        print(
            f"{stream:<14}{row['records']:>10}{row['duplicates']:>6}{row['missing']:>6}"
            f"{row['unexpected']:>6}"
            f"{row['requests']:>10}{row['min_pages']:>11}{row['429s']:>7}"
        )
    run = report["run"]
    print(
        f"\n{run['records']} records in {run['tap_seconds']:.1f} s = "
        f"{run['records_per_second']:.0f} records/s; {run['api_requests']} API requests for "
        f"{run['min_pages']} minimum pages; {run['token_requests']} token requests; "
        f"{run['429s']} x 429; peak RSS of the tap {run['peak_rss_mib']:.0f} MiB; "
        f"exit {run['exit_code']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--auth", choices=("api_key", "service_app"), default="api_key")
    parser.add_argument(
        "--window-seconds", type=float, default=60.0, help="rate-limit window (Okta: 60)"
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="BUCKET=N",
        help="override a bucket's limit, e.g. /api/v1/users=20 (repeatable)",
    )
    parser.add_argument("--share", type=float, default=None, help="rate_limit_share for the tap")
    parser.add_argument("--streams", default=",".join(ALL_STREAMS))
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    streams = tuple(s.strip() for s in args.streams.split(",") if s.strip())

    limits = RateLimitConfig(window_seconds=args.window_seconds)
    for override in args.rate_limit:
        bucket, _, value = override.rpartition("=")
        limits.limits[bucket] = int(value)

    print(f"Generating an org of {args.users} users (seed {args.seed}) ...", file=sys.stderr)
    generated = time.monotonic()
    with (
        OktaSimulator(users=args.users, seed=args.seed, api_key=API_KEY, rate_limits=limits) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        wanted, minimum = expected(sim)
        print(
            f"... done in {time.monotonic() - generated:.0f} s; running tap-okta "
            f"({args.auth}, windows of {args.window_seconds:g} s).",
            file=sys.stderr,
        )
        config = tap_config(sim, args)
        result = run_tap(config, streams, Path(tmp))
        # Over a long run the oldest events age out of the 90-day retention and new
        # ones may be stored: only events visible throughout must arrive, and only
        # events visible at some point may.
        logs_at_end = {(uuid,) for uuid in sim.org.event_uuids()}
        requests = list(sim.requests)
        if result.exit_code != 0:
            print(result.log.read_text()[-3000:], file=sys.stderr)
    allowed = wanted | {"logs": wanted["logs"] | logs_at_end}
    wanted["logs"] &= logs_at_end
    per_stream = summarise(requests, streams, wanted, allowed, minimum, result.seen)
    total = sum(row["records"] for row in per_stream.values())
    report = {
        "settings": {
            "users": args.users,
            "seed": args.seed,
            "auth": args.auth,
            "window_seconds": args.window_seconds,
            "rate_limits": limits.limits,
            "share": args.share,
        },
        "streams": per_stream,
        "run": {
            "exit_code": result.exit_code,
            "records": total,
            "tap_seconds": round(result.seconds, 2),
            "records_per_second": round(total / result.seconds, 1),
            "api_requests": sum(row["requests"] for row in per_stream.values()),
            "min_pages": sum(row["min_pages"] for row in per_stream.values()),
            "429s": sum(row["429s"] for row in per_stream.values()),
            "token_requests": sum(1 for r in requests if r.path == "/oauth2/v1/token"),
            "peak_rss_mib": round(result.peak_rss_kib / 1024, 1),
        },
    }
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    lossless = all(
        r["duplicates"] == r["missing"] == r["unexpected"] == 0 for r in per_stream.values()
    )
    return 0 if result.exit_code == 0 and lossless else 1


if __name__ == "__main__":
    sys.exit(main())
