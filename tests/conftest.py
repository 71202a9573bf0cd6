"""Fixtures: a fresh simulated Okta org over real HTTP for every test that needs one;
and the guard that keeps the test tiers' marks honest."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests import harness
from tests.harness import ALL_SCOPES, API_KEY
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ServiceApp

# The fast tier's property tests run a fifth of their examples (at least 10):
# scripts/test.sh --fast loads this profile (--hypothesis-profile=fast), the full suite
# does not (tests.harness.examples).
settings.register_profile("fast", max_examples=10)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a module fixture may run the tap for its tests.
    harness.subprocess_tier = any(item.get_closest_marker(mark) for mark in ("cli", "e2e"))


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (dbt, Meltano's and the SDK's modules, hypothesis) is
    # hundreds of thousands of objects that live to the end: frozen, the collector's
    # full passes skip them. Each full pass otherwise walks them all; gc.collect() in a
    # test took 0.3 s (test_response_bodies: 14 of its 20 s). Objects the tests make
    # are collected as before.
    gc.collect()
    gc.freeze()


@pytest.fixture
def sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=300, seed=11, api_key=API_KEY) as simulator:
        # Okta's buckets reset every minute; 5 s windows keep the same limits (and
        # the tap's pacing) without minute-long waits in the suite.
        simulator.rate_limits.window_seconds = 5
        yield simulator


@pytest.fixture
def api_config(sim: OktaSimulator) -> dict[str, Any]:
    return {"org_url": sim.base_url, "api_key": API_KEY}


@pytest.fixture
def service_app(sim: OktaSimulator) -> ServiceApp:
    return sim.org.register_service_app(scopes=set(ALL_SCOPES))


@pytest.fixture
def oauth_config(sim: OktaSimulator, service_app: ServiceApp) -> dict[str, Any]:
    return {
        "org_url": sim.base_url,
        "client_id": service_app.client_id,
        "key_id": service_app.key_id,
        "private_key": service_app.private_key_pem,
    }
