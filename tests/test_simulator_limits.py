"""The simulator's Okta limits over real HTTP: bucket families, the per-token ceiling,
latency, and orgs that lack an engine feature or a licensed one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.okta_sim import OktaSimulator, Org
from tests.okta_sim.launch import cli_simulator
from tests.okta_sim.oauth import ALL_READ_SCOPES, ASSERTION_TYPE, ServiceApp
from tests.okta_sim.ratelimit import DEFAULT_LIMITS, bucket_for

API_KEY = "sim-api-token"


@pytest.fixture(scope="module")
def org() -> Org:
    return Org.generate(seed=23, users=60, events=0)


@pytest.fixture
def sim(org: Org) -> Iterator[OktaSimulator]:
    with OktaSimulator(org) as s:
        s.rate_limits.window_seconds = 30  # no window ends in the middle of a test
        yield s
        assert s.internal_errors == []
    org.engine = "identity"
    org.disabled_features.clear()


def get(url: str, auth: str = f"SSWS {API_KEY}", **kw: Any) -> requests.Response:
    with requests.get(url, headers={"Authorization": auth}, timeout=10, **kw) as r:
        _ = r.content
        return r


def okta_error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["errorCode"] == code, body
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    return body


def headers_of(r: requests.Response) -> tuple[int, int, int]:
    h = r.headers
    return (
        int(h["X-Rate-Limit-Limit"]),
        int(h["X-Rate-Limit-Remaining"]),
        int(h["X-Rate-Limit-Reset"]),
    )


def bearer(sim: OktaSimulator, app: ServiceApp) -> str:
    form = {
        "grant_type": "client_credentials",
        "scope": " ".join(sorted(ALL_READ_SCOPES)),
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": app.client_assertion(sim.token_url),
    }
    with requests.post(sim.token_url, data=form, timeout=10) as r:
        assert r.status_code == 200, r.text
        return "Bearer " + str(r.json()["access_token"])


# --- buckets ----------------------------------------------------------------------------


def test_bucket_families_follow_okta_table() -> None:
    apps = ["/api/v1/apps", "/api/v1/apps/0oa1/users", "/api/v1/apps/0oa1/groups"]
    apps += ["/api/v1/apps/0oa1/users/00u1", "/api/v1/apps/0oa1/groups/00g1"]
    assert {bucket_for(p) for p in apps} == {"/api/v1/apps"}
    # "Get, update, or delete an app by ID" is Okta's own row.
    assert bucket_for("/api/v1/apps/0oa1") == "/api/v1/apps/{id}"
    # Groups: everything but exactly /groups/{id}; a group's roles are "other".
    assert bucket_for("/api/v1/groups/00g1/users") == "/api/v1/groups"
    assert bucket_for("/api/v1/groups/00g1") == "/api/v1/groups/{id}"
    assert bucket_for("/api/v1/groups/00g1/roles") == "/api/v1/*"
    assert bucket_for("/api/v1/groups/rules") == "/api/v1/*"
    assert bucket_for("/api/v1/users/00u1") == "/api/v1/users/{id}"
    assert bucket_for("/api/v1/users/00u1/factors") == "/api/v1/*"
    limits = {b: DEFAULT_LIMITS[b] for b in ("/api/v1/users", "/api/v1/groups", "/api/v1/logs")}
    assert limits == {"/api/v1/users": 600, "/api/v1/groups": 500, "/api/v1/logs": 120}
    assert DEFAULT_LIMITS["/api/v1/apps"] == 100


def test_apps_routes_spend_one_bucket(sim: OktaSimulator) -> None:
    sim.rate_limits.token_share = 1.0  # the org-wide count alone
    sim.rate_limits.limits["/api/v1/apps"] = 4
    app = next(a for a in sim.org.all_apps() if sim.org.app_user_ids(a["id"]))
    user = sim.org.app_user_ids(app["id"])[0]
    paths = [
        "/api/v1/apps",
        f"/api/v1/apps/{app['id']}/users",
        f"/api/v1/apps/{app['id']}/groups",
        f"/api/v1/apps/{app['id']}/users/{user}",
    ]
    rs = [get(sim.url(p)) for p in paths]
    assert [headers_of(r)[:2] for r in rs] == [(4, 3), (4, 2), (4, 1), (4, 0)]
    okta_error(get(sim.url(paths[1])), 429, "E0000047")
    # The app by id is another bucket and still answers.
    r = get(sim.url(f"/api/v1/apps/{app['id']}"))
    assert r.status_code == 200
    assert headers_of(r)[:2] == (500, 499)
    assert sim.stats()["rate_limited"] == {"/api/v1/apps": 1}


def test_group_members_share_the_groups_bucket(sim: OktaSimulator) -> None:
    group = sim.org.all_groups()[0]["id"]
    first = get(sim.url("/api/v1/groups"), params={"limit": 1})
    members = get(sim.url(f"/api/v1/groups/{group}/users"))
    assert headers_of(first)[:2] == (500, 499)
    assert headers_of(members)[:2] == (500, 498)


# --- the per-token ceiling --------------------------------------------------------------


def test_each_api_token_gets_half_a_bucket_unannounced(sim: OktaSimulator) -> None:
    sim.rate_limits.limits["/api/v1/logs"] = 10
    sim.org.add_api_token("second-token")
    url = sim.url("/api/v1/logs")
    first = [get(url) for _ in range(6)]
    assert [r.status_code for r in first] == [200] * 5 + [429]
    # The headers count the org's bucket: nothing warns of the ceiling before the 429.
    assert [headers_of(r)[:2] for r in first[:5]] == [(10, 9), (10, 8), (10, 7), (10, 6), (10, 5)]
    okta_error(first[5], 429, "E0000047")
    assert headers_of(first[5])[:2] == (10, 0)
    assert "Retry-After" not in first[5].headers
    assert headers_of(first[5])[2] == headers_of(first[0])[2]  # the same window
    # Another token has its own half, here all that is left of the org's bucket.
    second = [get(url, auth="SSWS second-token") for _ in range(6)]
    assert [r.status_code for r in second] == [200] * 5 + [429]
    assert [headers_of(r)[1] for r in second] == [4, 3, 2, 1, 0, 0]
    stats = sim.stats()
    assert stats["rate_limited"] == {"/api/v1/logs": 2}
    assert stats["client_ceiling"] == {"/api/v1/logs": 1}  # the second 429 is the org's
    # Other buckets are untouched.
    assert get(sim.url("/api/v1/users"), params={"limit": 1}).status_code == 200


def test_the_org_limit_still_caps_tokens_together(sim: OktaSimulator) -> None:
    sim.rate_limits.token_share = 0.75
    sim.rate_limits.limits["/api/v1/logs"] = 8
    sim.org.add_api_token("second-token")
    url = sim.url("/api/v1/logs")
    assert [get(url).status_code for _ in range(7)] == [200] * 6 + [429]
    second = [get(url, auth="SSWS second-token") for _ in range(3)]
    assert [r.status_code for r in second] == [200, 200, 429]
    stats = sim.stats()
    assert stats["rate_limited"] == {"/api/v1/logs": 2}
    assert stats["client_ceiling"] == {"/api/v1/logs": 1}  # the second one was the org's


def test_a_service_app_is_one_client_whatever_its_tokens(sim: OktaSimulator) -> None:
    sim.rate_limits.limits["/api/v1/apps"] = 6
    app = sim.org.register_service_app(scopes=set(ALL_READ_SCOPES))
    url = sim.url("/api/v1/apps")
    one, two = bearer(sim, app), bearer(sim, app)
    assert one != two
    statuses = [get(url, auth=auth).status_code for auth in (one, two, one, two)]
    assert statuses == [200, 200, 200, 429]
    other = sim.org.register_service_app(scopes=set(ALL_READ_SCOPES))
    assert get(url, auth=bearer(sim, other)).status_code == 200
    # The API token is a client of its own as well.
    assert get(url).status_code == 200
    assert sim.stats()["client_ceiling"] == {"/api/v1/apps": 1}


def test_ceiling_frees_with_the_window_and_share_one_lifts_it(sim: OktaSimulator) -> None:
    sim.rate_limits.window_seconds = 2
    sim.rate_limits.limits["/api/v1/logs"] = 4
    url = sim.url("/api/v1/logs")
    limited = [get(url) for _ in range(3)]
    assert [r.status_code for r in limited] == [200, 200, 429]
    time.sleep(max(0.0, int(limited[-1].headers["X-Rate-Limit-Reset"]) - time.time()) + 0.05)
    assert get(url).status_code == 200
    sim.rate_limits.token_share = 1.0
    sim.reset_rate_limits()
    assert [get(url).status_code for _ in range(5)] == [200] * 4 + [429]
    assert sim.stats()["client_ceiling"] == {"/api/v1/logs": 1}


# --- latency ----------------------------------------------------------------------------


def test_latency_delays_each_answer_without_serializing(sim: OktaSimulator) -> None:
    sim.latency_seconds = 0.4
    url = sim.url("/api/v1/users")
    times: list[float] = []

    def one() -> None:
        t = time.monotonic()
        assert get(url, params={"limit": 1}).status_code == 200
        times.append(time.monotonic() - t)

    started = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    assert len(times) == 6
    assert min(times) >= 0.4
    assert wall < 0.4 * 3, wall  # side by side, not 6 x 0.4 s one after the other
    # The token endpoint is as far away as the rest of Okta.
    app = sim.org.register_service_app(scopes=set(ALL_READ_SCOPES))
    t = time.monotonic()
    bearer(sim, app)
    assert time.monotonic() - t >= 0.4
    sim.latency_seconds = 0.0
    t = time.monotonic()
    get(url, params={"limit": 1})
    assert time.monotonic() - t < 0.4


# --- orgs without a feature -------------------------------------------------------------


def test_classic_engine_has_no_authenticators_or_devices(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes=set(ALL_READ_SCOPES))
    token = bearer(sim, app)
    user = sim.org.users_by_status()["ACTIVE"][0]
    for auth in (f"SSWS {API_KEY}", token):
        assert get(sim.url("/api/v1/authenticators"), auth).status_code == 200
        sim.org.engine = "classic"
        for path in ("/api/v1/authenticators", "/api/v1/devices"):
            body = okta_error(get(sim.url(path), auth), 404, "E0000007")
            assert body["errorSummary"].startswith("Not found: Resource not found: ")
        # The rest of the org answers as before.
        for path in ("/api/v1/users", f"/api/v1/users/{user}/factors", "/api/v1/policies"):
            params = {"type": "OKTA_SIGN_ON"} if path.endswith("policies") else {}
            assert get(sim.url(path), auth, params=params).status_code == 200, path
        # Identity Engine policy types are refused like a type the org lacks.
        access = {"type": "ACCESS_POLICY"}
        okta_error(get(sim.url("/api/v1/policies"), auth, params=access), 400, "E0000002")
        assert sim.org.identity_engine is False
        sim.org.engine = "identity"
        assert get(sim.url("/api/v1/devices"), auth).status_code == 200
        assert get(sim.url("/api/v1/policies"), auth, params=access).status_code == 200
    with pytest.raises(ValueError, match="engine"):
        sim.org.engine = "oie"


@pytest.mark.parametrize(
    ("feature", "paths"),
    [
        ("API_ACCESS_MANAGEMENT", ["/api/v1/authorizationServers"]),
        ("CUSTOM_ADMIN_ROLES", ["/api/v1/iam/roles", "/api/v1/iam/resource-sets"]),
        ("RESOURCE_SETS", ["/api/v1/iam/resource-sets", "/api/v1/iam/roles"]),
    ],
)
def test_a_disabled_feature_answers_e0000015(
    sim: OktaSimulator, feature: str, paths: list[str]
) -> None:
    org = sim.org
    role = next(iter(org.custom_roles))
    resource_set = next(iter(org.resource_sets))
    children = {
        "/api/v1/iam/roles": f"/api/v1/iam/roles/{role}/permissions",
        "/api/v1/iam/resource-sets": f"/api/v1/iam/resource-sets/{resource_set}/resources",
    }
    token = bearer(sim, org.register_service_app(scopes=set(ALL_READ_SCOPES)))
    every = [*paths, *(children[p] for p in paths if p in children)]
    for auth in (f"SSWS {API_KEY}", token):
        assert all(get(sim.url(p), auth).status_code == 200 for p in every)
        org.disabled_features.add(feature)
        for path in every:
            body = okta_error(get(sim.url(path), auth), 401, "E0000015")
            assert "feature" in body["errorSummary"]
        # Standard admin roles and the rest of the security API stay.
        for path in ("/api/v1/iam/assignees/users", "/api/v1/idps", "/api/v1/zones"):
            assert get(sim.url(path), auth).status_code == 200, path
        org.disabled_features.discard(feature)


# --- CLI --------------------------------------------------------------------------------


def test_cli_flags_for_limits_latency_and_features(tmp_path: Path) -> None:
    with cli_simulator(
        tmp_path / "ready",
        *("--users", "20", "--seed", "3"),
        *("--rate-limit", "/api/v1/logs=8", "--token-share", "0.25", "--latency", "0.3"),
        *("--engine", "classic", "--disable-feature", "API_ACCESS_MANAGEMENT"),
    ) as base:
        t = time.monotonic()
        logs = [get(base + "/api/v1/logs") for _ in range(3)]
        assert time.monotonic() - t >= 0.9
        assert [r.status_code for r in logs] == [200, 200, 429]
        okta_error(get(base + "/api/v1/authenticators"), 404, "E0000007")
        okta_error(get(base + "/api/v1/authorizationServers"), 401, "E0000015")
        assert get(base + "/api/v1/idps").status_code == 200
