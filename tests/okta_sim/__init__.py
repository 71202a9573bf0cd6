"""Offline Okta Management API simulator for tap-okta's tests and demos.

Start it in-process::

    from tests.okta_sim import OktaSimulator
    with OktaSimulator(users=300, seed=7) as sim:
        ...  # sim.base_url, sim.org (mutate), sim.faults, sim.rate_limits, sim.requests

or from a shell: ``python -m tests.okta_sim --port 8990 --users 2000``.
See README.md in this directory.
"""

from .clock import SimClock
from .faults import Fault, FaultConfig
from .oauth import DPoPKey, IssuedToken, ServiceApp, jwk_thumbprint
from .org import ALL_FAMILIES, USER_STATUSES, Org, Principal
from .ratelimit import BUCKETS, DEFAULT_LIMITS, RateLimitConfig
from .server import OktaSimulator, RequestRecord

__all__ = [
    "ALL_FAMILIES",
    "BUCKETS",
    "DEFAULT_LIMITS",
    "USER_STATUSES",
    "DPoPKey",
    "Fault",
    "FaultConfig",
    "IssuedToken",
    "OktaSimulator",
    "Org",
    "Principal",
    "RateLimitConfig",
    "RequestRecord",
    "ServiceApp",
    "SimClock",
    "jwk_thumbprint",
]
