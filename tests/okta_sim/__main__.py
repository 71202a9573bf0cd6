"""CLI: ``python -m tests.okta_sim --port 8990 --users 2000 --seed 7 --api-key demo-okta-token``.

Prints exactly one line on stdout, the base URL, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from .faults import FaultConfig
from .features import ENGINES, FEATURE_PATHS
from .oauth import ALL_READ_SCOPES
from .org import Org
from .ratelimit import RateLimitConfig
from .server import OktaSimulator


def _limit(text: str) -> tuple[str, int]:
    bucket, _, value = text.rpartition("=")
    if not bucket:
        raise argparse.ArgumentTypeError("use BUCKET=N, e.g. /api/v1/logs=20")
    return bucket, int(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.okta_sim", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--groups", type=int, default=None)
    p.add_argument("--apps", type=int, default=None)
    p.add_argument("--events", type=int, default=None)
    p.add_argument(
        "--app-assignments",
        type=int,
        default=None,
        metavar="N",
        help="about N app users over all apps (default: 1-6%% of users per app, plus groups)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--api-key", default="sim-api-token", help="SSWS token accepted by the org")
    p.add_argument(
        "--service-app-out",
        type=Path,
        default=None,
        help="register a service app and write {client_id,key_id,private_key} here",
    )
    p.add_argument(
        "--service-app-dpop", action="store_true", help="the registered service app requires DPoP"
    )
    p.add_argument(
        "--ready-file", type=Path, default=None, help="write the base URL here once listening"
    )
    p.add_argument("--search-lag", type=float, default=0.0, help="search index lag, seconds")
    p.add_argument("--window-seconds", type=float, default=60.0, help="rate-limit window")
    p.add_argument(
        "--rate-limit",
        type=_limit,
        action="append",
        default=[],
        metavar="BUCKET=N",
        help="override one bucket's limit (repeatable)",
    )
    p.add_argument("--max-concurrent", type=int, default=None)
    p.add_argument(
        "--token-share",
        type=float,
        default=0.5,
        metavar="F",
        help="share of each bucket one API token or service app may use (1.0 = no ceiling)",
    )
    p.add_argument(
        "--latency", type=float, default=0.0, metavar="S", help="delay every answer S seconds"
    )
    p.add_argument("--engine", choices=ENGINES, default="identity", help="Okta engine of the org")
    p.add_argument(
        "--disable-feature",
        action="append",
        default=[],
        metavar="NAME",
        help=f"turn a feature off, E0000015 (repeatable): {', '.join(FEATURE_PATHS)}",
    )
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--slow-rate", type=float, default=0.0)
    p.add_argument(
        "--tls",
        action="store_true",
        help="serve https with a throwaway self-signed certificate for 127.0.0.1/localhost",
    )
    p.add_argument(
        "--ca-file-out",
        type=Path,
        default=None,
        help="with --tls: copy the certificate (the CA file clients trust) here",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.time()
    org = Org.generate(
        seed=args.seed,
        users=args.users,
        groups=args.groups,
        apps=args.apps,
        events=args.events,
        app_assignments=args.app_assignments,
    )
    org.search_lag_seconds = args.search_lag
    org.engine = args.engine
    org.disabled_features.update(args.disable_feature)
    limits = RateLimitConfig(
        window_seconds=args.window_seconds,
        max_concurrent=args.max_concurrent,
        token_share=args.token_share,
    )
    limits.limits.update(dict(args.rate_limit))
    faults = FaultConfig(
        seed=args.seed,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        slow_rate=args.slow_rate,
    )
    sim = OktaSimulator(
        org,
        seed=args.seed,
        port=args.port,
        host=args.host,
        api_key=args.api_key,
        faults=faults,
        rate_limits=limits,
        tls=args.tls,
        latency_seconds=args.latency,
    )
    if args.service_app_out is not None:
        app = org.register_service_app(scopes=ALL_READ_SCOPES, require_dpop=args.service_app_dpop)
        args.service_app_out.write_text(json.dumps(app.as_json(), indent=2))
        os.chmod(args.service_app_out, 0o600)
    sim.start()
    if sim.ca_file is not None:
        print(f"okta-sim: TLS certificate (CA file) {sim.ca_file}", file=sys.stderr, flush=True)
        if args.ca_file_out is not None:
            args.ca_file_out.write_bytes(Path(sim.ca_file).read_bytes())
    print(sim.base_url, flush=True)
    print(
        f"okta-sim: {len(org.users)} users, {len(org.groups)} groups, {len(org.apps)} apps, "
        f"{sum(map(len, org.app_users.values()))} app users, {org.event_count} events; "
        f"ready in {time.time() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    if args.ready_file is not None:
        # write-then-rename: a poller never reads a half-written URL
        tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
        tmp.write_text(sim.base_url + "\n")
        tmp.replace(args.ready_file)

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop.wait(0.5):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
