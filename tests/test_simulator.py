"""The Okta simulator itself, exercised over real HTTP with ``requests``.

These pin the Okta behaviours tap-okta's own tests rely on (see ``docs/okta-api.md``):
paging and Link headers, the DEPROVISIONED trap, filter/search semantics, search lag,
System Log polling, directory changes logged to the System Log, auth flows, rate limits
and injected faults.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.okta_sim import (
    USER_STATUSES,
    DPoPKey,
    OktaSimulator,
    Org,
    RateLimitConfig,
    jwk_thumbprint,
)
from tests.okta_sim.catalog import MUTATION_ONLY_EVENT_TYPES
from tests.okta_sim.launch import cli_simulator
from tests.okta_sim.oauth import ASSERTION_TYPE, ServiceApp
from tests.okta_sim.ratelimit import DEFAULT_LIMITS, bucket_for

UTC = timezone.utc
API_KEY = "sim-api-token"


# --- fixtures & helpers ---------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=300, seed=7) as s:
        yield s
        assert s.internal_errors == []


@pytest.fixture
def quiet_sim() -> Iterator[OktaSimulator]:
    """No generated log events: System Log tests control every event."""
    with OktaSimulator(Org.generate(seed=3, users=40, events=0)) as s:
        yield s
        assert s.internal_errors == []


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"SSWS {API_KEY}"
        s.headers["Accept"] = "application/json"
        yield s


def get(session: requests.Session, url: str, **kw: Any) -> requests.Response:
    kw.setdefault("timeout", 10)
    with session.get(url, **kw) as r:
        _ = r.content  # read fully before the connection goes back to the pool
        return r


def crawl(
    session: requests.Session, url: str, params: dict[str, Any] | None = None, max_pages: int = 500
) -> list[requests.Response]:
    pages = [get(session, url, params=params)]
    while "next" in pages[-1].links and len(pages) < max_pages:
        assert pages[-1].status_code == 200, pages[-1].text
        pages.append(get(session, pages[-1].links["next"]["url"]))
    assert pages[-1].status_code == 200, pages[-1].text
    return pages


def items(pages: list[requests.Response]) -> list[dict[str, Any]]:
    return [obj for p in pages for obj in p.json()]


def link_lines(r: requests.Response) -> list[str]:
    return list(r.raw.headers.getlist("Link"))


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def token_request(
    sim: OktaSimulator,
    app: ServiceApp,
    scope: str | None = "okta.users.read",
    assertion: str | None = None,
    dpop: str | None = None,
    **extra: str,
) -> requests.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion or app.client_assertion(sim.token_url),
    }
    if scope is not None:
        form["scope"] = scope
    form.update(extra)
    headers = {"DPoP": dpop} if dpop else {}
    with requests.post(sim.token_url, data=form, headers=headers, timeout=10) as r:
        _ = r.content  # read fully before the connection goes back to the pool
        return r


def okta_error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["errorCode"] == code, body
    return body


# --- paging ---------------------------------------------------------------------------


def test_users_paging_link_headers_and_limits(sim: OktaSimulator, http: requests.Session) -> None:
    pages = crawl(http, sim.url("/api/v1/users"))
    expected = [u["id"] for u in sim.org.all_users() if u["status"] != "DEPROVISIONED"]
    got = [u["id"] for u in items(pages)]
    assert got == expected  # id order, complete, no duplicates
    assert [len(p.json()) for p in pages[:-1]] == [200] * (len(pages) - 1)
    first = pages[0]
    lines = link_lines(first)
    assert len(lines) == 2  # two separate Link header lines
    assert lines[0] == f'<{sim.base_url}/api/v1/users?limit=200>; rel="self"'
    assert re.fullmatch(
        rf"<{re.escape(sim.base_url)}/api/v1/users\?after=[\w-]+&limit=200>; "
        r'rel="next"',
        lines[1],
    )
    assert link_lines(pages[-1]) == [
        lines for lines in link_lines(pages[-1]) if 'rel="self"' in lines
    ]
    # the self link of a later page echoes its cursor
    assert "after=" in pages[-1].links["self"]["url"]
    # limit above the max is clamped, and the clamped value is echoed and logged
    r = get(http, sim.url("/api/v1/users"), params={"limit": 5000})
    assert len(r.json()) == 200
    assert "limit=200" in r.links["self"]["url"]
    assert sim.requests[-1].effective_limit == 200
    assert "limit=200" in r.links["next"]["url"]
    for bad in ("0", "-3", "abc"):
        okta_error(get(http, sim.url("/api/v1/users"), params={"limit": bad}), 400, "E0000001")


@pytest.mark.parametrize(
    ("kind", "default", "maximum"),
    [
        ("groups", 10000, 10000),
        ("apps", 20, 200),
        ("group_users", 1000, 1000),
        ("app_users", 50, 500),
        ("app_groups", 20, 200),
    ],
)
def test_collection_page_sizes(
    sim: OktaSimulator, http: requests.Session, kind: str, default: int, maximum: int
) -> None:
    org = sim.org
    wiki = next(a["id"] for a in org.all_apps() if a["label"] == "Company Wiki")
    for g in org.all_groups()[:25]:
        org.assign_app_group(wiki, g["id"])
    path, expected = {
        "groups": ("/api/v1/groups", [g["id"] for g in org.all_groups()]),
        "apps": ("/api/v1/apps", [a["id"] for a in org.all_apps()]),
        "group_users": (
            f"/api/v1/groups/{org.everyone_id}/users",
            org.group_members(org.everyone_id),
        ),
        "app_users": (f"/api/v1/apps/{wiki}/users", org.app_user_ids(wiki)),
        "app_groups": (f"/api/v1/apps/{wiki}/groups", org.app_group_ids(wiki)),
    }[kind]
    pages = crawl(http, sim.url(path))
    assert [o["id"] for o in items(pages)] == expected
    assert f"limit={default}" in pages[0].links["self"]["url"]
    assert all(len(p.json()) == default for p in pages[:-1])
    assert "next" not in pages[-1].links
    r = get(http, sim.url(path), params={"limit": maximum + 1})
    assert f"limit={maximum}" in r.links["self"]["url"]
    if kind == "app_users":
        assert len(pages) > 1
        assert pages[0].json()[0]["_links"]["app"]["href"].startswith(sim.base_url)
        assert set(pages[0].json()[0]) >= {"scope", "status", "syncState", "credentials"}
    if kind == "group_users":  # members are full user objects of every status
        assert {u["status"] for u in items(pages)} == set(USER_STATUSES)


def test_next_link_keeps_query_and_link_base(sim: OktaSimulator, http: requests.Session) -> None:
    flt = 'lastUpdated gt "2000-01-01T00:00:00.000Z" and status eq "ACTIVE"'
    r = get(http, sim.url("/api/v1/users"), params={"filter": flt, "limit": 7})
    nxt = r.links["next"]["url"]
    assert "filter=lastUpdated%20gt%20%222000-01-01T00%3A00%3A00.000Z%22%20and" in nxt
    assert nxt.endswith("&limit=7")
    r2 = get(http, nxt)
    assert r2.status_code == 200
    assert len(r2.json()) == 7
    assert r.json()[-1]["id"] < r2.json()[0]["id"]
    sim.link_base = "https://elsewhere.example.com"
    r3 = get(http, sim.url("/api/v1/users"), params={"limit": 7})
    assert r3.links["next"]["url"].startswith("https://elsewhere.example.com/api/v1/users?")


def test_invalid_and_stale_cursors(sim: OktaSimulator, http: requests.Session) -> None:
    users = sim.url("/api/v1/users")
    body = okta_error(get(http, users, params={"after": "garbage!"}), 400, "E0000029")
    assert body["errorSummary"] == "Invalid paging request."
    assert body["errorCauses"] == [{"errorSummary": "Invalid cursor."}]
    body = okta_error(
        get(http, users, params={"search": 'status eq "ACTIVE"', "after": "x"}), 400, "E0000031"
    )
    assert body["errorSummary"] == "Invalid search criteria."
    assert body["errorCauses"] == [{"errorSummary": "Invalid cursor."}]
    okta_error(get(http, sim.url("/api/v1/logs"), params={"after": "nope"}), 400, "E0000029")
    okta_error(get(http, sim.url("/api/v1/apps"), params={"after": "nope"}), 400, "E0000029")
    nxt = get(http, users, params={"limit": 5}).links["next"]["url"]
    assert get(http, nxt).status_code == 200
    sim.org.invalidate_cursors()
    okta_error(get(http, nxt), 400, "E0000029")


# --- users: the trap, filter, search ----------------------------------------------------


def test_deprovisioned_trap(sim: OktaSimulator, http: requests.Session) -> None:
    by_status = sim.org.users_by_status()
    deprov = set(by_status["DEPROVISIONED"])
    assert len(deprov) >= 3
    plain = {u["id"] for u in items(crawl(http, sim.url("/api/v1/users")))}
    assert not plain & deprov
    flt = {
        u["id"]
        for u in items(
            crawl(
                http,
                sim.url("/api/v1/users"),
                {"filter": 'lastUpdated gt "1970-01-01T00:00:00.000Z"'},
            )
        )
    }
    assert deprov <= flt
    assert len(flt) == len(sim.org.users)
    srch = {
        u["id"]
        for u in items(
            crawl(http, sim.url("/api/v1/users"), {"search": 'status eq "DEPROVISIONED"'})
        )
    }
    assert srch == deprov
    one = sim.org.get_user(next(iter(deprov)))
    q = get(http, sim.url("/api/v1/users"), params={"q": one["profile"]["firstName"]})
    assert one["id"] not in {u["id"] for u in q.json()}
    assert "next" not in q.links


def test_filter_gt_vs_ge_on_same_second(sim: OktaSimulator, http: requests.Session) -> None:
    t = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    a, b = sim.org.all_users()[:2]
    sim.org.update_user_profile(a["id"], {"title": "CTO"}, at=t)
    sim.org.set_user_status(b["id"], "SUSPENDED", at=t + timedelta(milliseconds=999))

    def ids(expr: str) -> set[str]:
        return {u["id"] for u in items(crawl(http, sim.url("/api/v1/users"), {"filter": expr}))}

    assert ids('lastUpdated gt "2031-01-02T03:04:05.000Z"') == set()
    assert ids('lastUpdated ge "2031-01-02T03:04:05.000Z"') == {a["id"], b["id"]}
    assert ids('lastUpdated ge "2031-01-02T03:04:05Z"') == {a["id"], b["id"]}  # same instant
    assert ids('lastUpdated ge "2031-01-02T04:04:05.000+01:00"') == {a["id"], b["id"]}
    assert ids('lastUpdated ge "2031-01-02T03:04:05.000Z" and status eq "SUSPENDED"') == {b["id"]}
    assert ids(
        '(status eq "SUSPENDED" or status eq "LOCKED_OUT") and '
        'lastUpdated ge "2031-01-01T00:00:00.000Z"'
    ) == {b["id"]}
    assert sim.org.get_user(b["id"])["lastUpdated"] == "2031-01-02T03:04:05.000Z"
    for bad in (
        'not (status eq "ACTIVE")',
        'status ne "ACTIVE"',
        'profile.department eq "IT"',
        'lastUpdated gt "yesterday"',
        'status eq "ACTIVE" and',
    ):
        okta_error(get(http, sim.url("/api/v1/users"), params={"filter": bad}), 400, "E0000031")


def test_search_custom_attributes_and_operators(sim: OktaSimulator, http: requests.Session) -> None:
    users = sim.org.all_users()

    def search(expr: str) -> set[str]:
        return {u["id"] for u in items(crawl(http, sim.url("/api/v1/users"), {"search": expr}))}

    def where(pred: Any) -> set[str]:
        return {u["id"] for u in users if pred(u["profile"])}

    assert search('profile.department eq "Engineering"') == where(
        lambda p: p.get("department") == "Engineering"
    )
    assert search("profile.isContractor eq true") == where(lambda p: p.get("isContractor") is True)
    assert search("profile.clearanceLevel ge 3") == where(lambda p: p.get("clearanceLevel", 0) >= 3)
    assert search("profile.badgeIds pr") == where(lambda p: bool(p.get("badgeIds")))
    assert search('profile.login sw "j"') == where(lambda p: p["login"].startswith("j"))
    assert search('profile.email co "smith"') == where(lambda p: "smith" in p["email"])
    assert search("profile.department pr and not_a_thing pr") == set()
    okta_error(
        get(http, sim.url("/api/v1/users"), params={"search": 'status eqq "X"'}), 400, "E0000031"
    )


def test_sorted_search_keyset_survives_updates(sim: OktaSimulator, http: requests.Session) -> None:
    params = {
        "search": 'lastUpdated gt "1970-01-01T00:00:00.000Z"',
        "sortBy": "lastUpdated",
        "sortOrder": "asc",
        "limit": 50,
    }
    r = get(http, sim.url("/api/v1/users"), params=params)
    first = r.json()
    assert "sortBy=lastUpdated" in r.links["next"]["url"]
    # While paging: a user already returned changes, and one not yet returned changes.
    seen_early = first[3]["id"]
    later = sorted(sim.org.all_users(), key=lambda u: (u["lastUpdated"], u["id"]))[200]["id"]
    sim.org.update_user_profile(seen_early, {"title": "Moved"})
    sim.org.update_user_profile(later, {"title": "Moved too"})
    pages = [r, *crawl(http, r.links["next"]["url"])]
    got = items(pages)
    keys = [(u["lastUpdated"], u["id"]) for u in got]
    assert keys == sorted(keys)
    ids = [u["id"] for u in got]
    assert ids.count(seen_early) == 2  # re-appears at the end with its new lastUpdated
    assert ids.count(later) == 1  # moved beyond the cursor: not skipped, not duplicated
    assert set(ids) == set(sim.org.users)
    desc = get(http, sim.url("/api/v1/users"), params={**params, "sortOrder": "desc"}).json()
    assert [u["id"] for u in desc[:2]] in ([later, seen_early], [seen_early, later])


def test_search_index_lag(sim: OktaSimulator, http: requests.Session) -> None:
    sim.org.search_lag_seconds = 1.0
    target = sim.org.all_users()[0]["id"]
    sim.org.update_user_profile(target, {"department": "Lagging"})
    new = sim.org.create_user(profile={"department": "Lagging"})

    def search() -> set[str]:
        r = get(
            http, sim.url("/api/v1/users"), params={"search": 'profile.department eq "Lagging"'}
        )
        return {u["id"] for u in r.json()}

    def flt() -> set[str]:
        r = get(http, sim.url("/api/v1/users"), params={"filter": f'id eq "{new["id"]}"'})
        return {u["id"] for u in r.json()}

    assert search() == set()  # index has not caught up
    assert flt() == {new["id"]}  # filter reads the primary store
    time.sleep(1.1)
    assert search() == {target, new["id"]}


# --- groups ---------------------------------------------------------------------------------


def test_group_membership_moves_last_membership_updated(
    sim: OktaSimulator, http: requests.Session
) -> None:
    org = sim.org
    before = datetime(2032, 5, 5, tzinfo=UTC)
    group = org.create_group("Simulated Team", at=before)
    user = org.users_by_status()["DEPROVISIONED"][0]
    org.add_group_member(group["id"], user, at=before + timedelta(hours=1))
    g = get(http, sim.url(f"/api/v1/groups/{group['id']}")).json()
    assert g["lastUpdated"] == "2032-05-05T00:00:00.000Z"
    assert g["lastMembershipUpdated"] == "2032-05-05T01:00:00.000Z"

    def gids(expr: str) -> set[str]:
        return {
            x["id"] for x in get(http, sim.url("/api/v1/groups"), params={"filter": expr}).json()
        }

    assert group["id"] in gids('lastMembershipUpdated gt "2032-05-05T00:30:00.000Z"')
    assert group["id"] not in gids('lastUpdated gt "2032-05-05T00:30:00.000Z"')
    org.update_group_profile(group["id"], {"description": "x"}, at=before + timedelta(hours=2))
    assert group["id"] in gids('lastUpdated gt "2032-05-05T00:30:00.000Z"')
    built_in = gids('type eq "BUILT_IN"')
    assert built_in == {org.everyone_id}
    assert gids('type eq "APP_GROUP"') == {
        x["id"] for x in org.all_groups() if x["type"] == "APP_GROUP"
    }
    members = get(http, sim.url(f"/api/v1/groups/{group['id']}/users")).json()
    assert [m["id"] for m in members] == [user]
    assert members[0]["status"] == "DEPROVISIONED"
    okta_error(
        get(http, sim.url("/api/v1/groups"), params={"filter": 'profile.name eq "x"'}),
        400,
        "E0000031",
    )
    body = okta_error(get(http, sim.url("/api/v1/groups/00gnope/users")), 404, "E0000007")
    assert body["errorSummary"] == "Not found: Resource not found: 00gnope (Group)"
    q = get(http, sim.url("/api/v1/groups"), params={"q": "Simulated"}).json()
    assert [x["id"] for x in q] == [group["id"]]


# --- apps -----------------------------------------------------------------------------------


def test_users_q_single_user_and_methods(sim: OktaSimulator, http: requests.Session) -> None:
    active = next(u for u in sim.org.all_users() if u["status"] == "ACTIVE")
    prefix = active["profile"]["lastName"][:3]
    r = get(http, sim.url("/api/v1/users"), params={"q": prefix, "limit": 5})
    assert 0 < len(r.json()) <= 5
    assert "next" not in r.links  # q= never pages
    for u in r.json():
        p = u["profile"]
        assert any(
            str(p.get(k, "")).lower().startswith(prefix.lower())
            for k in ("firstName", "lastName", "email")
        )
    one = get(http, sim.url(f"/api/v1/users/{active['id']}")).json()
    assert one == active
    by_login = get(http, sim.url(f"/api/v1/users/{active['profile']['login']}")).json()
    assert by_login["id"] == active["id"]
    assert one["_links"]["self"]["href"] == sim.url(f"/api/v1/users/{active['id']}")
    with requests.post(
        sim.url("/api/v1/users"), json={}, timeout=10, headers={"Authorization": f"SSWS {API_KEY}"}
    ) as r:
        assert r.status_code == 405
        assert r.json()["errorCode"] == "E0000022"


def test_apps_shapes_and_filters(sim: OktaSimulator, http: requests.Session) -> None:
    apps = items(crawl(http, sim.url("/api/v1/apps")))
    modes = {a["signOnMode"] for a in apps}
    assert {
        "SAML_2_0",
        "OPENID_CONNECT",
        "BOOKMARK",
        "AUTO_LOGIN",
        "BROWSER_PLUGIN",
        "SECURE_PASSWORD_STORE",
    } <= modes
    oidc = [a for a in apps if a["name"] == "oidc_client"]
    assert oidc
    assert all(a["credentials"]["oauthClient"]["client_secret"] for a in oidc)
    assert any(a["name"] == "saasure" and a["label"] == "Okta Admin Console" for a in apps)
    inactive = {a["id"] for a in apps if a["status"] == "INACTIVE"}
    got = {
        a["id"]
        for a in get(
            http, sim.url("/api/v1/apps"), params={"filter": 'status eq "INACTIVE"', "limit": 200}
        ).json()
    }
    assert inactive
    assert got == inactive
    r = get(http, sim.url("/api/v1/apps"), params={"filter": 'name eq "saasure"'})
    assert [a["label"] for a in r.json()] == ["Okta Admin Console"]
    okta_error(get(http, sim.url("/api/v1/apps/0oanope/users")), 404, "E0000007")
    okta_error(get(http, sim.url("/api/v1/users/00unope")), 404, "E0000007")
    okta_error(get(http, sim.url("/api/v1/nothing")), 404, "E0000022")


# --- System Log -----------------------------------------------------------------------------


def test_logs_polling_next_always_and_late_events(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    org = quiet_sim.org
    now = org.clock.now()
    since = iso(now - timedelta(minutes=10))
    for _ in range(5):
        org.add_event("user.session.start", published=now - timedelta(minutes=2))
    r = get(http, quiet_sim.url("/api/v1/logs"), params={"since": since, "limit": 3})
    assert len(r.json()) == 3
    assert "next" in r.links
    r = get(http, r.links["next"]["url"])
    assert len(r.json()) == 2
    assert "next" in r.links  # the last page still has next
    empty = get(http, r.links["next"]["url"])
    assert empty.json() == []
    assert "next" in empty.links  # even an empty page has next
    # A late event: published before events already returned, persisted only now.
    late = org.add_event("user.account.lock", published=now - timedelta(minutes=8))
    fresh = org.add_event("user.session.end")
    got = get(http, empty.links["next"]["url"])
    assert [e["uuid"] for e in got.json()] == [late["uuid"], fresh["uuid"]]
    again = get(http, empty.links["next"]["url"])  # an empty page's next = same position
    assert [e["uuid"] for e in again.json()] == [late["uuid"], fresh["uuid"]]
    tail = get(http, got.links["next"]["url"])
    assert tail.json() == []
    assert "next" in tail.links
    ev = got.json()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev["published"])
    assert {"actor", "target", "outcome", "debugContext", "transaction", "version"} <= set(ev)


def test_logs_bounded_desc_filter_and_errors(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    org = quiet_sim.org
    now = org.clock.now()
    made = [
        org.add_event(
            "user.session.start" if i % 2 else "user.account.lock",
            published=now - timedelta(minutes=30 - i),
        )
        for i in range(6)
    ]
    logs = quiet_sim.url("/api/v1/logs")
    bounded = {"since": iso(now - timedelta(hours=1)), "until": iso(now), "limit": 4}
    pages = crawl(http, logs, bounded)
    assert [e["uuid"] for e in items(pages)] == [e["uuid"] for e in made]
    assert len(pages) == 2
    assert "next" not in pages[-1].links
    desc = get(http, logs, params={"since": bounded["since"], "sortOrder": "DESCENDING"}).json()
    assert [e["uuid"] for e in desc] == [e["uuid"] for e in reversed(made)]
    locks = get(
        http, logs, params={"since": bounded["since"], "filter": 'eventType eq "user.account.lock"'}
    ).json()
    assert len(locks) == 3
    actor = made[0]["actor"]["id"]
    assert (
        get(
            http,
            logs,
            params={
                "since": bounded["since"],
                "filter": f'actor.id eq "{actor}" and severity eq "INFO"',
            },
        ).status_code
        == 200
    )
    bad = get(http, logs, params={"filter": 'display_message eqq "Create okta user"'})
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "E0000053"
    assert bad.json()["errorSummary"] == (
        "Invalid filter 'display_message eqq \"Create okta user\"': Unrecognized attribute "
        "operator 'eqq' at position 16. Expected: eq,co,sw,pr,gt,ge,lt,le"
    )
    old = get(http, logs, params={"since": iso(now - timedelta(days=181))})
    assert old.status_code == 400
    assert old.json()["errorSummary"] == (
        "Invalid parameter: The since parameter is over 180 days prior to the current day."
    )
    assert old.json()["errorCode"] == "E0000053"
    body = okta_error(get(http, logs, params={"until": "last tuesday"}), 400, "E0000001")
    assert "'until'" in body["errorSummary"]
    future = get(http, logs, params={"since": iso(now + timedelta(days=1))})
    assert future.json() == []
    assert "next" in future.links
    quiet_sim.faults.logs_timeout_over_limit = 500
    body = okta_error(get(http, logs, params={"limit": 1000}), 500, "E0000009")
    assert body["errorSummary"].startswith("Your last request took too long")
    assert get(http, logs, params={"limit": 500}).status_code == 200


def test_logs_retention_and_generated_late_events(
    sim: OktaSimulator, http: requests.Session
) -> None:
    org = sim.org
    now = org.clock.now()
    cutoff = iso(now - timedelta(days=90))
    since = iso(now - timedelta(days=120))
    pages = crawl(http, sim.url("/api/v1/logs"), {"since": since, "until": iso(now), "limit": 1000})
    got = items(pages)
    assert got
    assert all(e["published"] >= cutoff for e in got)
    assert {e["uuid"] for e in got} == org.event_uuids()
    assert org.event_count > len(got)  # some generated events are past retention
    # polling from the same since yields the same set, in persistence order
    polled: list[dict[str, Any]] = []
    r = get(http, sim.url("/api/v1/logs"), params={"since": since, "limit": 1000})
    while r.json():
        polled += r.json()
        r = get(http, r.links["next"]["url"])
    assert {e["uuid"] for e in polled} == org.event_uuids()
    # persistence order: `published` goes backwards now and then
    assert any(a["published"] > b["published"] for a, b in itertools.pairwise(polled))


# --- directory changes in the System Log ------------------------------------------------------

# The event types the tap asks for to learn about removals and deletions (12 alternatives).
DIRECTORY_EVENT_TYPES = (
    "group.user_membership.add",
    "group.user_membership.remove",
    "application.user_membership.add",
    "application.user_membership.remove",
    "group.application_assignment.add",
    "group.application_assignment.remove",
    "user.lifecycle.create",
    "user.lifecycle.deactivate",
    "user.lifecycle.delete.completed",
    "group.lifecycle.create",
    "group.lifecycle.delete",
    "application.lifecycle.delete",
)
DIRECTORY_FILTER = " or ".join(f'eventType eq "{t}"' for t in DIRECTORY_EVENT_TYPES)


def poll_logs(
    session: requests.Session, url: str, params: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """A polling read: follow next links until an empty page; also the link to resume from."""
    r = get(session, url, params=params)
    events: list[dict[str, Any]] = []
    while True:
        assert r.status_code == 200, r.text
        if not r.json():
            return events, r.links["next"]["url"]
        events += r.json()
        r = get(session, r.links["next"]["url"])


def target_keys(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["type"], t["id"]) for t in event["target"]]


def test_mutations_log_directory_events(quiet_sim: OktaSimulator, http: requests.Session) -> None:
    org = quiet_sim.org
    since = iso(org.clock.now() - timedelta(minutes=1))
    user = org.create_user()
    uid = user["id"]
    gid = org.create_group("Auditors")["id"]
    aid = org.create_app("Audit Portal")["id"]
    org.add_group_member(gid, uid)
    org.remove_group_member(gid, uid)
    org.assign_app_user(aid, uid)
    org.unassign_app_user(aid, uid)
    org.assign_app_group(aid, gid)
    org.unassign_app_group(aid, gid)
    org.update_user_profile(uid, {"title": "Auditor"})
    org.update_group_profile(gid, {"description": "Internal audit"})
    org.touch_user(uid)  # a change the tap does not see: no event
    org.set_user_status(uid, "SUSPENDED")
    org.set_user_status(uid, "ACTIVE")
    org.set_user_status(uid, "DEPROVISIONED")
    org.delete_user(uid)
    org.delete_group(gid)
    org.set_app_status(aid, "INACTIVE")
    org.delete_app(aid)

    got, _ = poll_logs(http, quiet_sim.url("/api/v1/logs"), {"since": since, "limit": 5})
    u, g, a = ("User", uid), ("UserGroup", gid), ("AppInstance", aid)
    app_user = ("AppUser", "0ua" + uid[3:])
    assert [(e["eventType"], target_keys(e)) for e in got] == [
        ("user.lifecycle.create", [u]),
        ("group.lifecycle.create", [g]),
        ("application.lifecycle.create", [a]),
        ("group.user_membership.add", [u, g]),
        ("group.user_membership.remove", [u, g]),
        ("application.user_membership.add", [app_user, a, u]),
        ("application.user_membership.remove", [app_user, a, u]),
        ("group.application_assignment.add", [g, a]),
        ("group.application_assignment.remove", [g, a]),
        ("user.account.update_profile", [u]),
        ("group.profile.update", [g]),
        ("user.lifecycle.suspend", [u]),
        ("user.lifecycle.unsuspend", [u]),
        ("user.lifecycle.deactivate", [u]),
        # Deleting the user takes its memberships along, with no event per membership.
        ("user.lifecycle.delete.initiated", [u]),
        ("user.lifecycle.delete.completed", [u]),
        ("group.lifecycle.delete", [g]),
        ("application.lifecycle.deactivate", [a]),
        ("application.lifecycle.delete", [a]),
    ]
    for e in got:
        assert e["actor"]["id"] in org.admin_ids
        assert e["actor"]["type"] == "User"
        assert e["outcome"] == {"reason": None, "result": "SUCCESS"}
        assert e["severity"] == "INFO"
        assert e["displayMessage"]
        assert e["debugContext"]["debugData"]["requestUri"].startswith("/api/v1/")
        assert all(
            set(t) == {"alternateId", "detailEntry", "displayName", "id", "type"}
            for t in e["target"]
        )
    by_type = {e["eventType"]: e for e in got}
    assert by_type["group.user_membership.add"]["legacyEventType"] == (
        "core.user_group_member.user_add"
    )
    assert by_type["group.user_membership.remove"]["legacyEventType"] == (
        "core.user_group_member.user_remove"
    )
    # The deleted user is named as it was (the target is built before the user goes).
    login, p = user["profile"]["login"], user["profile"]
    assert by_type["user.lifecycle.delete.completed"]["target"] == [
        {
            "alternateId": login,
            "detailEntry": None,
            "displayName": f"{p['firstName']} {p['lastName']}",
            "id": uid,
            "type": "User",
        }
    ]
    assert by_type["application.user_membership.add"]["target"][0]["alternateId"] == login
    assert by_type["application.lifecycle.delete"]["target"][0]["displayName"] == "Audit Portal"
    assert by_type["group.lifecycle.delete"]["target"][0]["alternateId"] == "Auditors"


def new_users_group_app(org: Org, group: str, app: str) -> tuple[str, str, str, str, str]:
    """A ``since`` for the log, then two new users, a new group and a new app, unlinked."""
    since = iso(org.clock.now() - timedelta(minutes=1))
    u1, u2 = org.create_user()["id"], org.create_user()["id"]
    return since, u1, u2, org.create_group(group)["id"], org.create_app(app)["id"]


def test_app_assignment_events_and_group_scope(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    """Okta's events for assignments, direct and through groups, each one as Okta writes it."""
    org = quiet_sim.org
    since, u1, u2, g1, aid = new_users_group_app(org, "Sales", "CRM")
    g2 = org.create_group("Sales-EMEA")["id"]
    org.add_group_member(g1, u1)
    org.add_group_member(g2, u1)
    start = org.event_count

    def app_user(uid: str) -> requests.Response:
        return get(http, quiet_sim.url(f"/api/v1/apps/{aid}/users/{uid}"))

    def scope(uid: str) -> str | None:
        r = app_user(uid)
        return r.json()["scope"] if r.status_code == 200 else None

    org.assign_app_group(aid, g1)  # u1 gets the app through g1
    assert scope(u1) == "GROUP"
    org.add_group_member(g1, u2)  # a member joins: u2 gets it too
    assert scope(u2) == "GROUP"
    org.assign_app_user(aid, u2)  # a direct assignment on top turns it USER
    assert scope(u2) == "USER"
    org.remove_group_member(g1, u2)  # the direct assignment stays
    assert scope(u2) == "USER"
    with pytest.raises(ValueError, match="E0000046"):
        org.unassign_app_user(aid, u1)
    org.assign_app_group(aid, g2)  # u1 has the app already: no new app user
    org.remove_group_member(g1, u1)  # g2 still covers u1
    assert scope(u1) == "GROUP"
    org.unassign_app_group(aid, g2)  # nothing covers u1 any more
    okta_error(app_user(u1), 404, "E0000007")
    org.add_group_member(g1, u1)
    org.assign_app_user(aid, u1)
    with pytest.raises(ValueError, match="E0000046"):  # g1 still covers u1
        org.unassign_app_user(aid, u1)
    assert scope(u1) == "USER"
    org.unassign_app_user(aid, u2)  # direct only: gone
    okta_error(app_user(u2), 404, "E0000007")
    org.update_app_group(aid, g1, priority=4)
    org.delete_group(g1)  # u1's direct assignment stays
    assert scope(u1) == "USER"
    org.unassign_app_user(aid, u2)  # not assigned: nothing happens

    got, _ = poll_logs(http, quiet_sim.url("/api/v1/logs"), {"since": since, "limit": 7})
    got = got[start:]
    a, g1t, g2t = ("AppInstance", aid), ("UserGroup", g1), ("UserGroup", g2)
    user1, user2 = ("User", u1), ("User", u2)
    au1, au2 = ("AppUser", "0ua" + u1[3:]), ("AppUser", "0ua" + u2[3:])
    assert [(e["eventType"], target_keys(e)) for e in got] == [
        ("group.application_assignment.add", [g1t, a]),
        ("application.user_membership.add", [au1, a, user1]),
        ("group.user_membership.add", [user2, g1t]),
        ("application.user_membership.add", [au2, a, user2]),
        ("application.user_membership.update", [au2, a, user2]),
        ("group.user_membership.remove", [user2, g1t]),
        ("group.application_assignment.add", [g2t, a]),
        ("group.user_membership.remove", [user1, g1t]),
        ("group.application_assignment.remove", [g2t, a]),
        ("application.user_membership.remove", [au1, a, user1]),
        ("group.user_membership.add", [user1, g1t]),
        ("application.user_membership.add", [au1, a, user1]),
        ("application.user_membership.update", [au1, a, user1]),
        ("application.user_membership.remove", [au2, a, user2]),
        ("group.application_assignment.update", [g1t, a]),
        ("group.lifecycle.delete", [g1t]),
    ]
    uris = [e["debugContext"]["debugData"]["requestUri"] for e in got]
    # An app user that comes or goes through a group names the call that caused it.
    assert uris[1] == f"/api/v1/apps/{aid}/groups/{g1}"
    assert uris[3] == f"/api/v1/groups/{g1}/users/{u2}"
    assert uris[9] == f"/api/v1/apps/{aid}/groups/{g2}"
    by_type = {e["eventType"]: e for e in got}
    assert by_type["application.user_membership.add"]["displayMessage"] == (
        "Add user to application membership"
    )
    assert by_type["application.user_membership.add"]["legacyEventType"] == (
        "app.generic.provision.assign_user_to_app"
    )
    assert by_type["group.application_assignment.add"]["displayMessage"] == (
        "Add assigned application to group"
    )
    for e in got:
        for t in e["target"]:
            assert t["alternateId"], t
            assert t["displayName"], t
    assert {u for a, u in org.snapshot()["app_users"] if a == aid} == {u1}


def test_deleted_group_takes_its_app_users(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    org = quiet_sim.org
    since, direct, member, gid, aid = new_users_group_app(org, "Temps", "Timesheets")
    for uid in (direct, member):
        org.add_group_member(gid, uid)
    org.assign_app_group(aid, gid)
    org.assign_app_user(aid, direct)
    start = org.event_count
    org.delete_group(gid)
    assert org.app_user_ids(aid) == [direct]
    okta_error(get(http, quiet_sim.url(f"/api/v1/apps/{aid}/users/{member}")), 404, "E0000007")
    got, _ = poll_logs(http, quiet_sim.url("/api/v1/logs"), {"since": since, "limit": 50})
    a, g = ("AppInstance", aid), ("UserGroup", gid)
    assert [(e["eventType"], target_keys(e)) for e in got[start:]] == [
        ("group.lifecycle.delete", [g]),
        (
            "application.user_membership.remove",
            [("AppUser", "0ua" + member[3:]), a, ("User", member)],
        ),
    ]
    assert got[-1]["debugContext"]["debugData"]["requestUri"] == f"/api/v1/groups/{gid}"


def test_app_user_profile_changes_and_app_lifecycle(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    org = quiet_sim.org
    since = iso(org.clock.now() - timedelta(minutes=1))
    uid = org.create_user()["id"]
    aid = org.create_app("Expenses")["id"]
    org.assign_app_user(aid, uid)
    start = org.event_count
    url = quiet_sim.url(f"/api/v1/apps/{aid}/users/{uid}")

    org.clock.advance(60)
    org.update_app_user(aid, uid, profile={"role": "approver"})
    org.update_app_user(aid, uid, user_name="approver@acme.example")
    org.update_app_user(aid, uid, profile={"role": "approver"})  # no change: no event
    body = get(http, url).json()
    assert body["profile"] == {"role": "approver"}
    assert body["credentials"]["userName"] == "approver@acme.example"
    assert org.event_count == start + 2

    # Okta re-applying the app's profile mappings: a new profile and lastUpdated, no event.
    org.clock.advance(60)
    org.recompute_app_user_profile(aid, uid, {"role": "manager"})
    after = get(http, url).json()
    assert after["profile"] == {"role": "manager"}
    assert after["lastUpdated"] > body["lastUpdated"]
    assert org.event_count == start + 2

    org.set_app_status(aid, "INACTIVE")
    assert get(http, url).status_code == 200  # a deactivated app keeps its assignments
    org.delete_app(aid)
    gone = okta_error(get(http, url), 404, "E0000007")
    assert aid in gone["errorSummary"]

    got, _ = poll_logs(http, quiet_sim.url("/api/v1/logs"), {"since": since, "limit": 50})
    a, u, au = ("AppInstance", aid), ("User", uid), ("AppUser", "0ua" + uid[3:])
    assert [(e["eventType"], target_keys(e)) for e in got[start:]] == [
        ("application.user_membership.update", [au, a, u]),
        ("application.user_membership.change_username", [au, a, u]),
        ("application.lifecycle.deactivate", [a]),
        ("application.lifecycle.delete", [a]),
    ]
    assert got[start + 1]["legacyEventType"] == "app.generic.config.app_username_update"


def test_single_assignment_reads(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    sim.rate_limits.limits["/api/v1/apps/{id}"] = 1000
    wiki = next(a["id"] for a in org.all_apps() if a["label"] == "Company Wiki")
    listed = items(crawl(http, sim.url(f"/api/v1/apps/{wiki}/users"), {"limit": 37}))
    assert [u["id"] for u in listed] == org.app_user_ids(wiki)
    for entry in listed[:: max(1, len(listed) // 10)]:
        r = get(http, sim.url(f"/api/v1/apps/{wiki}/users/{entry['id']}"))
        assert r.status_code == 200
        assert r.json() == entry
        assert "link" not in r.headers
    app = next(a["id"] for a in org.all_apps() if org.app_group_ids(a["id"]))
    for entry in items(crawl(http, sim.url(f"/api/v1/apps/{app}/groups"))):
        assert get(http, sim.url(f"/api/v1/apps/{app}/groups/{entry['id']}")).json() == entry

    outsider = next(u for u in org.users if u not in org.app_user_ids(app))
    not_assigned = okta_error(
        get(http, sim.url(f"/api/v1/apps/{app}/users/{outsider}")), 404, "E0000007"
    )
    assert outsider in not_assigned["errorSummary"]
    group = next(g for g in org.groups if g not in org.app_group_ids(app))
    okta_error(get(http, sim.url(f"/api/v1/apps/{app}/groups/{group}")), 404, "E0000007")
    okta_error(get(http, sim.url(f"/api/v1/apps/{app}/users/00unope")), 404, "E0000007")
    okta_error(get(http, sim.url(f"/api/v1/apps/0oanope/users/{outsider}")), 404, "E0000007")
    okta_error(get(http, sim.url(f"/api/v1/apps/0oanope/groups/{group}")), 404, "E0000007")
    # One bucket with the app lists (Okta's /api/v1/apps* family).
    assert sim.requests[-1].bucket == sim.requests[-2].bucket == bucket_for("/api/v1/apps")

    # okta.apps.read, like the lists
    svc = org.register_service_app(scopes={"okta.users.read"}, permissions={"users", "apps"})
    tok = token_request(sim, svc, scope="okta.users.read").json()["access_token"]
    for path in (f"/api/v1/apps/{app}/users/{outsider}", f"/api/v1/apps/{app}/groups/{group}"):
        r = get(requests, sim.url(path), headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 403
        assert 'scope="okta.apps.read"' in r.headers["WWW-Authenticate"]


def test_generated_app_users_follow_group_assignments(
    sim: OktaSimulator, http: requests.Session
) -> None:
    """Scope GROUP exactly where an assigned group covers a user not assigned directly."""
    org = sim.org
    sim.rate_limits.limits["/api/v1/apps/{id}"] = 1000
    scopes: dict[str, int] = {"USER": 0, "GROUP": 0}
    for app in (a["id"] for a in org.all_apps()):
        rows = items(crawl(http, sim.url(f"/api/v1/apps/{app}/users"), {"limit": 500}))
        groups = org.app_group_ids(app)
        covered = {
            u
            for g in groups
            for u in org.group_members(g)
            if org.get_user(u)["status"] != "DEPROVISIONED"
        }
        listed = {r["id"]: r["scope"] for r in rows}
        assert covered <= set(listed), app
        for uid, scope in listed.items():
            scopes[scope] += 1
            if scope == "GROUP":
                assert uid in covered
        assert set(org.app_user_ids(app, scope="GROUP")) == {
            u for u, s in listed.items() if s == "GROUP"
        }
    assert scopes["USER"] > 0, scopes
    assert scopes["GROUP"] > 0, scopes
    # What the tests may unassign: everything else is refused (E0000046).
    wiki = next(a["id"] for a in org.all_apps() if a["label"] == "Company Wiki")
    removable = org.removable_app_user_ids(wiki)
    assert not removable  # Everyone covers every user
    app = next(a for a in org.apps if org.removable_app_user_ids(a) != org.app_user_ids(a))
    removable = org.removable_app_user_ids(app)
    assert removable
    for uid in set(org.app_user_ids(app)) - set(removable):
        with pytest.raises(ValueError, match="E0000046"):
            org.unassign_app_user(app, uid)
    org.unassign_app_user(app, removable[0])
    assert removable[0] not in org.app_user_ids(app)


def test_app_assignments_knob() -> None:
    org = Org.generate(seed=5, users=2000, groups=60, apps=40, events=0, app_assignments=12000)
    total = sum(len(org.app_user_ids(a)) for a in org.apps)
    assert 11000 <= total <= 13000, total
    default = Org.generate(seed=5, users=2000, groups=60, apps=40, events=0)
    assert sum(len(default.app_user_ids(a)) for a in default.apps) < 0.8 * total
    # The directory is the same; apps are drawn after their assignments, so only their
    # number and names are.
    assert set(org.users) == set(default.users)
    assert [a["label"] for a in org.apps.values()] == [a["label"] for a in default.apps.values()]


def test_mutation_events_are_published_at_the_change_and_stored_now(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    org = quiet_sim.org
    logs = quiet_sim.url("/api/v1/logs")
    now = org.clock.now()
    first, resume = poll_logs(http, logs, {"since": iso(now - timedelta(minutes=10))})
    assert first == []
    gid = org.create_group("Late Joiners", at=now - timedelta(minutes=5))["id"]
    uid = org.users_by_status()["ACTIVE"][0]
    org.add_group_member(gid, uid, at=now - timedelta(minutes=3))
    late, _ = poll_logs(http, resume)  # persisted now: polling from the old position sees them
    assert [e["published"] for e in late] == [
        iso(now - timedelta(minutes=5)),
        iso(now - timedelta(minutes=3)),
    ]
    # The group itself records the change at whole seconds, as Okta does.
    group = next(x for x in org.all_groups() if x["id"] == gid)
    joined = (now - timedelta(minutes=3)).replace(microsecond=0)
    assert group["lastMembershipUpdated"] == iso(joined)


def test_log_directory_changes_off_logs_nothing(quiet_sim: OktaSimulator) -> None:
    org = quiet_sim.org
    org.log_directory_changes = False
    gid = org.create_group("Imported")["id"]
    uid = org.create_user(status="DEPROVISIONED")["id"]
    org.add_group_member(gid, uid)
    org.delete_user(uid)
    org.delete_group(gid)
    assert org.event_count == 0
    org.log_directory_changes = True
    org.create_group("Logged")
    assert [e["eventType"] for e in org.visible_events()] == ["group.lifecycle.create"]


def test_deletes_follow_okta_rules(quiet_sim: OktaSimulator) -> None:
    org = quiet_sim.org
    active = org.users_by_status()["ACTIVE"][0]
    with pytest.raises(ValueError, match="only DEPROVISIONED"):
        org.delete_user(active)
    assert org.get_user(active)["id"] == active
    live_app = next(a["id"] for a in org.all_apps() if a["status"] == "ACTIVE")
    with pytest.raises(ValueError, match="only INACTIVE"):
        org.delete_app(live_app)
    with pytest.raises(ValueError, match="built-in"):
        org.delete_group(org.everyone_id)
    assert org.event_count == 0  # refused deletes log nothing
    with pytest.raises(KeyError):
        org.delete_app("0oanope")

    # A deleted app takes its assignments along.
    app = org.create_app("Retired", status="INACTIVE")["id"]
    org.assign_app_user(app, active)
    org.assign_app_group(app, org.everyone_id)
    org.delete_app(app)
    snap = org.snapshot()
    assert app not in snap["apps"]
    assert not any(a == app for a, _ in snap["app_users"] | snap["app_groups"])


def test_log_filter_event_type_alternatives_while_polling(
    quiet_sim: OktaSimulator, http: requests.Session
) -> None:
    org = quiet_sim.org
    logs = quiet_sim.url("/api/v1/logs")
    params = {
        "since": iso(org.clock.now() - timedelta(minutes=1)),
        "sortOrder": "ASCENDING",
        "filter": DIRECTORY_FILTER,
        "limit": 2,
    }

    def changes() -> set[str]:
        """Uuids of events of the filtered types made since the last call."""
        before = org.event_uuids()
        uid = org.create_user()["id"]
        org.add_events(5, event_type="user.session.start")
        gid = org.create_group("Filtered")["id"]
        org.add_group_member(gid, uid)
        org.add_events(5, event_type="user.authentication.sso")
        org.update_group_profile(gid, {"description": "not in the filter"})
        org.remove_group_member(gid, uid)
        org.set_user_status(uid, "DEPROVISIONED")
        org.delete_user(uid)
        org.delete_group(gid)
        made = [e for e in org.visible_events() if e["uuid"] not in before]
        return {e["uuid"] for e in made if e["eventType"] in DIRECTORY_EVENT_TYPES}

    expected = changes()
    assert len(expected) == 7
    got, resume = poll_logs(http, logs, params)
    assert [e["uuid"] for e in got] == [
        e["uuid"] for e in org.visible_events() if e["uuid"] in expected
    ]
    assert "filter=" in resume  # the next link keeps the filter
    # Resuming from the saved next link returns only the next round's matches.
    again = changes()
    got2, _ = poll_logs(http, resume)
    assert {e["uuid"] for e in got2} == again
    assert {e["eventType"] for e in got + got2} <= set(DIRECTORY_EVENT_TYPES)

    for bad in (
        DIRECTORY_FILTER + " or",
        DIRECTORY_FILTER.replace(" or ", " or or ", 1),
        "(" + DIRECTORY_FILTER,
        'eventType in ("group.lifecycle.delete")',
    ):
        okta_error(get(http, logs, params={**params, "filter": bad}), 400, "E0000053")


def test_random_events_never_claim_directory_changes() -> None:
    org = Org.generate(seed=5, users=200, events=3000)
    assert org.event_count == 3000
    org.add_events(500)
    kinds = {e["eventType"] for e in org.visible_events()}
    assert "user.session.start" in kinds
    assert not kinds & MUTATION_ONLY_EVENT_TYPES
    with pytest.raises(ValueError, match="mutation methods"):
        org.add_event("group.user_membership.remove")
    with pytest.raises(ValueError, match="mutation methods"):
        org.add_events(1, event_type="user.lifecycle.delete.completed")
    uid = org.users_by_status()["ACTIVE"][0]
    explicit = org.add_event("group.user_membership.add", target=[{"id": uid, "type": "User"}])
    assert explicit["target"] == [{"id": uid, "type": "User"}]


def test_snapshot_matches_api_listings(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    sim.rate_limits.limits["/api/v1/apps/{id}"] = 1000
    gone = org.users_by_status()["DEPROVISIONED"][0]
    org.delete_user(gone)
    dropped = next(g["id"] for g in org.all_groups() if g["type"] == "OKTA_GROUP")
    org.delete_group(dropped)
    retired = next(a["id"] for a in org.all_apps() if a["status"] == "INACTIVE")
    org.delete_app(retired)
    snap = org.snapshot()

    every_user = {"filter": 'lastUpdated gt "2000-01-01T00:00:00.000Z"'}
    users = {u["id"] for u in items(crawl(http, sim.url("/api/v1/users"), every_user))}
    groups = {g["id"] for g in items(crawl(http, sim.url("/api/v1/groups")))}
    apps = {a["id"] for a in items(crawl(http, sim.url("/api/v1/apps"), {"limit": 200}))}

    def pairs(path: str, parent: str, limit: int) -> set[tuple[str, str]]:
        url = sim.url(path.format(parent))
        return {(parent, o["id"]) for o in items(crawl(http, url, {"limit": limit}))}

    members = set().union(*(pairs("/api/v1/groups/{}/users", g, 1000) for g in groups))
    app_users = set().union(*(pairs("/api/v1/apps/{}/users", a, 500) for a in apps))
    app_groups = set().union(*(pairs("/api/v1/apps/{}/groups", a, 200) for a in apps))
    directory = ("users", "groups", "group_members", "apps", "app_users", "app_groups")
    assert {k: snap[k] for k in directory} == {
        "users": users,
        "groups": groups,
        "group_members": members,
        "apps": apps,
        "app_users": app_users,
        "app_groups": app_groups,
    }
    assert gone not in users
    assert dropped not in groups
    assert retired not in apps
    assert any(g == org.everyone_id for g, _ in snap["group_members"])
    # A copy: changing it does not change the org.
    snap["users"].clear()
    assert org.snapshot()["users"] == users


# --- authentication ---------------------------------------------------------------------------


def test_ssws_auth_permissions_and_features(sim: OktaSimulator) -> None:
    users = sim.url("/api/v1/users")
    with requests.Session() as s:
        okta_error(get(s, users), 401, "E0000011")
        for header in ("SSWS wrong", "Basic abc", "Bearer nope", "SSWS"):
            okta_error(get(s, users, headers={"Authorization": header}), 401, "E0000011")
        sim.org.add_api_token("users-only", permissions={"users"})
        s.headers["Authorization"] = "SSWS users-only"
        assert get(s, users).status_code == 200
        body = okta_error(get(s, sim.url("/api/v1/groups")), 403, "E0000006")
        assert body["errorSummary"] == (
            "You do not have permission to perform the requested action"
        )
        assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
        sim.org.disabled_features.add("users")
        okta_error(get(s, users), 401, "E0000015")
        sim.org.disabled_features.clear()
        sim.org.add_api_token("expiring", expires_at=sim.org.clock.now() + timedelta(days=30))
        s.headers["Authorization"] = "SSWS expiring"
        assert get(s, users).status_code == 200
        sim.org.clock.advance(31 * 86400)
        okta_error(get(s, users), 401, "E0000011")
    assert sim.requests[-1].headers["Authorization"] == "SSWS expiring"


def test_oauth_bearer_token_flow(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(
        scopes={"okta.users.read", "okta.groups.read"}, permissions={"users", "groups", "apps"}
    )
    r = token_request(sim, app, scope="okta.users.read okta.groups.read")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "okta.users.read okta.groups.read"
    assert len(sim.org.issued_tokens) == 1
    assert sim.org.issued_tokens[0].client_id == app.client_id
    assert sim.requests[-1].form is not None
    assert sim.requests[-1].bucket == "/oauth2/v1/token"
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {body['access_token']}"
        assert get(s, sim.url("/api/v1/users")).status_code == 200
        assert get(s, sim.url(f"/api/v1/groups/{sim.org.everyone_id}/users")).status_code == 200
        apps = get(s, sim.url("/api/v1/apps/0oa123/users"))
        assert apps.status_code == 403
        assert apps.content == b""
        www = apps.headers["WWW-Authenticate"]
        assert www == (
            f'Bearer authorization_uri="{sim.base_url}/oauth2/v1/authorize", '
            f'realm="{sim.base_url}", scope="okta.apps.read", error="insufficient_scope", '
            'error_description="The access token provided does not contain the required '
            'scopes.", resource="/api/v1/apps/0oa123/users"'
        )
        sim.org.clock.advance(3601)
        okta_error(get(s, sim.url("/api/v1/users")), 401, "E0000011")
        sim.org.clock.advance(-3601)
        assert get(s, sim.url("/api/v1/users")).status_code == 200
        sim.org.revoke_token(body["access_token"])
        okta_error(get(s, sim.url("/api/v1/users")), 401, "E0000011")
    # the app lacks the logs admin permission: scope granted but role missing -> E0000006
    app2 = sim.org.register_service_app(scopes={"okta.logs.read"}, permissions={"users"})
    tok = token_request(sim, app2, scope="okta.logs.read").json()["access_token"]
    r = get(requests, sim.url("/api/v1/logs"), headers={"Authorization": f"Bearer {tok}"})
    okta_error(r, 403, "E0000006")


def _case_assertion(app: ServiceApp, sim: OktaSimulator, case: str) -> str:
    aud = sim.token_url
    now = int(time.time())
    if case == "kid":
        return app.client_assertion(aud, headers={"kid": "unknown-kid"})
    if case == "alg":
        return jwt.encode(
            {"iss": app.client_id, "sub": app.client_id, "aud": aud, "exp": now + 60, "jti": "h"},
            "secret" * 8,
            algorithm="HS256",
            headers={"kid": app.key_id},
        )
    if case == "signature":
        other = DPoPKey("EC").private_key  # right key type, wrong key
        return jwt.encode(
            {"iss": app.client_id, "sub": app.client_id, "aud": aud, "exp": now + 60, "jti": "s"},
            other,
            algorithm="ES256",
            headers={"kid": app.key_id},
        )
    if case == "iss":
        return app.client_assertion(aud, sub="0oasomeoneelse")
    if case == "aud":
        return app.client_assertion(sim.base_url + "/oauth2/default/v1/token")
    if case == "expired":
        return app.client_assertion(aud, exp=now - 5)
    if case == "too_far":
        return app.client_assertion(aud, exp=now + 7200)
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "description"),
    [
        ("kid", "The client_assertion JWT kid is invalid."),
        ("alg", "The client_assertion JWT signature algorithm is invalid."),
        ("signature", "The client_assertion signature is invalid."),
        (
            "iss",
            "Client authentication failed. Either the client or the client credentials "
            "are invalid.",
        ),
        (
            "aud",
            "The audience claim for client_assertion must be the endpoint invoked for the request.",
        ),
        ("expired", "The client_assertion token is expired."),
        ("too_far", "The client_assertion token has an expiration too far into the future."),
    ],
)
def test_token_endpoint_invalid_client(sim: OktaSimulator, case: str, description: str) -> None:
    app = sim.org.register_service_app(scopes={"okta.users.read"}, key_type="EC")
    r = token_request(sim, app, assertion=_case_assertion(app, sim, case))
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_client", "error_description": description}
    assert sim.org.issued_tokens == []


def test_token_endpoint_request_and_scope_errors(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes={"okta.users.read", "okta.logs.read"})
    assertion = app.client_assertion(sim.token_url)
    assert token_request(sim, app, assertion=assertion).status_code == 200
    replay = token_request(sim, app, assertion=assertion)
    assert replay.status_code == 401
    assert replay.json()["error_description"] == "The client_assertion token has already been used."
    r = token_request(sim, app, client_assertion_type="urn:nope")
    assert (r.status_code, r.json()) == (
        400,
        {"error": "invalid_request", "error_description": "The client_assertion_type is invalid."},
    )
    r = token_request(sim, app, scope=None)
    assert (r.status_code, r.json()) == (
        400,
        {"error": "invalid_scope", "error_description": "No scopes were requested."},
    )
    r = token_request(sim, app, scope="okta.users.read okta.apps.read")  # one not granted
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"
    with requests.post(
        sim.token_url,
        timeout=10,
        data={
            "grant_type": "client_credentials",
            "scope": "okta.users.read",
            "client_id": app.client_id,
            "client_secret": "s3cret",
        },
    ) as r:
        assert r.status_code == 401
        assert "private_key_jwt" in r.json()["error_description"]
    unknown = Org().register_service_app(scopes={"okta.users.read"})
    r = token_request(sim, unknown)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    # an externally generated key registered with add_key
    ext = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sim.org.add_key(app.client_id, ext.public_key(), "ext-kid")
    assertion = jwt.encode(
        {
            "iss": app.client_id,
            "sub": app.client_id,
            "aud": sim.token_url,
            "exp": int(time.time()) + 300,
            "jti": "ext-1",
        },
        ext,
        algorithm="RS384",
        headers={"kid": "ext-kid"},
    )
    assert token_request(sim, app, assertion=assertion).status_code == 200
    assert len(sim.org.issued_tokens) == 2


def test_dpop_token_and_api_flow(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes={"okta.users.read"}, require_dpop=True)
    r = token_request(sim, app)
    assert (r.status_code, r.json()) == (
        400,
        {
            "error": "invalid_dpop_proof",
            "error_description": "The DPoP proof JWT header is missing.",
        },
    )
    key = DPoPKey()
    r = token_request(sim, app, dpop=key.proof("POST", sim.token_url))
    assert r.status_code == 400
    assert r.json()["error"] == "use_dpop_nonce"
    nonce = r.headers["DPoP-Nonce"]
    bad = token_request(sim, app, dpop=key.proof("POST", sim.base_url + "/other", nonce=nonce))
    assert bad.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "'htu' claim in the DPoP proof JWT is invalid.",
    }
    r = token_request(sim, app, dpop=key.proof("POST", sim.token_url, nonce=nonce))
    assert r.status_code == 200
    assert r.json()["token_type"] == "DPoP"
    token = r.json()["access_token"]
    assert sim.org.issued_tokens[-1].jkt == key.thumbprint == jwk_thumbprint(key.public_jwk)
    users = sim.url("/api/v1/users")

    def call(scheme: str, proof: str | None) -> requests.Response:
        headers = {"Authorization": f"{scheme} {token}"}
        if proof:
            headers["DPoP"] = proof
        return get(requests, users, headers=headers, params={"limit": 2})

    assert call("DPoP", key.proof("GET", users, access_token=token)).status_code == 200
    r = call("Bearer", None)
    assert r.status_code == 401
    assert 'error="invalid_dpop_proof"' in r.headers["WWW-Authenticate"]
    r = call("DPoP", key.proof("GET", users))  # no ath
    assert "'ath' claim" in r.headers["WWW-Authenticate"]
    r = call("DPoP", DPoPKey().proof("GET", users, access_token=token))  # other key
    assert r.status_code == 401
    replayed = key.proof("GET", users, access_token=token, jti="once")
    assert call("DPoP", replayed).status_code == 200
    assert call("DPoP", replayed).status_code == 401
    sim.org.require_resource_dpop_nonce = True
    r = call("DPoP", key.proof("GET", users, access_token=token))
    assert r.status_code == 401
    assert 'error="use_dpop_nonce"' in r.headers["WWW-Authenticate"]
    proof = key.proof("GET", users, access_token=token, nonce=r.headers["DPoP-Nonce"])
    assert call("DPoP", proof).status_code == 200


# --- rate limits ----------------------------------------------------------------------------


def test_rate_limit_headers_window_and_429(sim: OktaSimulator, http: requests.Session) -> None:
    # The org-wide limit alone; the per-token ceiling has its own test.
    sim.rate_limits = RateLimitConfig(window_seconds=2, token_share=1.0)
    sim.rate_limits.limits["/api/v1/apps"] = 3
    sim.reset_rate_limits()
    url = sim.url("/api/v1/apps")
    rs = [get(http, url) for _ in range(4)]
    assert [r.status_code for r in rs] == [200, 200, 200, 429]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in rs] == ["2", "1", "0", "0"]
    assert {r.headers["X-Rate-Limit-Limit"] for r in rs} == {"3"}
    limited = rs[-1]
    assert "Retry-After" not in limited.headers
    okta_error(limited, 429, "E0000047")
    reset = int(limited.headers["X-Rate-Limit-Reset"])
    date = parsedate_to_datetime(limited.headers["Date"]).timestamp()
    assert date <= reset <= date + 3
    # other buckets are independent
    assert get(http, sim.url("/api/v1/users"), params={"limit": 1}).status_code == 200
    time.sleep(max(0.0, reset - time.time()) + 0.05)
    ok = get(http, url)
    assert ok.status_code == 200
    assert ok.headers["X-Rate-Limit-Remaining"] == "2"
    assert int(ok.headers["X-Rate-Limit-Reset"]) > reset - 1
    stats = sim.stats()
    assert stats["rate_limited"]["/api/v1/apps"] == 1
    assert stats["requests"]["/api/v1/apps"] == 5


def test_clock_skew_and_duplicate_headers(sim: OktaSimulator, http: requests.Session) -> None:
    sim.rate_limits.clock_skew_seconds = 3600
    sim.rate_limits.duplicate_headers = True
    r = get(http, sim.url("/api/v1/groups"))
    date = parsedate_to_datetime(r.headers["Date"]).timestamp()
    assert abs(date - (time.time() + 3600)) < 5
    resets = [int(v) for v in r.raw.headers.getlist("X-Rate-Limit-Reset")]
    remaining = [int(v) for v in r.raw.headers.getlist("X-Rate-Limit-Remaining")]
    limits = [int(v) for v in r.raw.headers.getlist("X-Rate-Limit-Limit")]
    assert len(resets) == len(remaining) == len(limits) == 2
    assert remaining[1] > remaining[0] == DEFAULT_LIMITS["/api/v1/groups"] - 1
    assert 0 <= resets[0] - date <= 61  # reset is on the server's (skewed) clock


def test_concurrency_limit(sim: OktaSimulator) -> None:
    sim.rate_limits.max_concurrent = 2
    sim.faults.slow_rate = 1.0
    sim.faults.slow_seconds = 0.6
    results: list[requests.Response] = []
    lock = threading.Lock()

    def worker() -> None:
        r = get(
            requests,
            sim.url("/api/v1/users"),
            params={"limit": 1},
            headers={"Authorization": f"SSWS {API_KEY}"},
        )
        with lock:
            results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) >= 2
    assert statuses.count(429) >= 1
    limited = next(r for r in results if r.status_code == 429)
    assert limited.headers["X-Rate-Limit-Limit"] == "0"
    assert limited.headers["X-Rate-Limit-Remaining"] == "0"
    assert limited.json()["errorCode"] == "E0000047"


# --- faults -----------------------------------------------------------------------------------


def test_faults_each_kind(sim: OktaSimulator, http: requests.Session) -> None:
    url = sim.url("/api/v1/users")
    f = sim.faults
    f.error_rate = 1.0
    for _ in range(6):
        r = get(http, url)
        assert r.status_code in (500, 502, 503, 504)
        assert r.headers["Content-Type"] in ("application/json", "text/html")
    f.error_rate = 0.0
    f.drop_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        get(http, url)
    assert sim.requests[-1].dropped
    assert sim.requests[-1].status is None
    f.drop_rate = 0.0
    f.truncate_rate = 1.0
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        get(http, url)
    assert sim.requests[-1].dropped
    assert sim.requests[-1].fault == "truncate"
    f.truncate_rate = 0.0
    f.html_paths = [r"^/api/v1/groups$"]
    r = get(http, sim.url("/api/v1/groups"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html"
    assert r.text.startswith("<!DOCTYPE html><html>")
    f.malformed_json_paths = [r"/apps$"]
    r = get(http, sim.url("/api/v1/apps"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    f.redirect_paths = [r"/logs"]
    r = get(http, sim.url("/api/v1/logs?limit=5"), allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == f"http://127.0.0.2:{sim.port}/api/v1/logs?limit=5"
    f.fail_paths = [r"after="]
    nxt = get(http, url, params={"limit": 3}).links["next"]["url"]
    assert get(http, nxt).status_code == 500
    assert get(http, nxt).status_code == 500  # permanent
    f.clear()
    assert get(http, url).status_code == 200


def test_faults_do_not_move_cursors_and_queue(sim: OktaSimulator, http: requests.Session) -> None:
    url = sim.url("/api/v1/users")
    nxt = get(http, url, params={"limit": 5}).links["next"]["url"]
    good = get(http, nxt).json()
    sim.faults.queue = ["503", "429", "drop", "truncate", "malformed"]
    assert get(http, nxt).status_code == 503
    r429 = get(http, nxt)
    assert r429.status_code == 429
    assert r429.headers["X-Rate-Limit-Remaining"] == "0"
    with pytest.raises(requests.ConnectionError):
        get(http, nxt)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        get(http, nxt)
    with pytest.raises(json.JSONDecodeError):
        json.loads(get(http, nxt).text)
    assert get(http, nxt).json() == good  # retried request: same page
    sim.faults.token_error_rate = 1.0
    app = sim.org.register_service_app(scopes={"okta.users.read"})
    assert token_request(sim, app).status_code in (500, 503)
    assert sim.org.used_assertion_jtis == set()  # the faulted request consumed nothing


# --- org generation, request log, CLI ------------------------------------------------------


def test_generated_org_is_deterministic_and_realistic() -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    a = Org.generate(seed=11, users=120, now=now)
    b = Org.generate(seed=11, users=120, now=now)
    assert a.all_users() == b.all_users()
    assert a.all_groups() == b.all_groups()
    assert a.event_uuids(now) == b.event_uuids(now)
    users = a.all_users()
    assert all(re.fullmatch(r"00u[A-Za-z0-9]{17}", u["id"]) for u in users)
    assert all(re.fullmatch(r"00g[A-Za-z0-9]{17}", g["id"]) for g in a.all_groups())
    assert all(re.fullmatch(r"0oa[A-Za-z0-9]{17}", x["id"]) for x in a.all_apps())
    counts = {s: len(v) for s, v in a.users_by_status().items()}
    assert all(c >= 3 for c in counts.values()), counts
    assert max(counts, key=lambda s: counts[s]) == "ACTIVE"
    assert all(
        u["lastUpdated"].endswith(":00.000Z") or u["lastUpdated"].endswith(".000Z") for u in users
    )
    assert all(u["created"] <= u["lastUpdated"] <= "2025-05-31T23" for u in users)
    assert any("badgeIds" in u["profile"] for u in users)
    assert not all("department" in u["profile"] for u in users)
    assert {g["type"] for g in a.all_groups()} == {"BUILT_IN", "OKTA_GROUP", "APP_GROUP"}
    assert len({e["uuid"] for e in a.visible_events(now)}) == len(a.visible_events(now))


def test_request_log_records_everything(sim: OktaSimulator, http: requests.Session) -> None:
    sim.clear_requests()
    get(http, sim.url("/api/v1/users"), params={"filter": 'status eq "ACTIVE"', "limit": 10})
    (rec,) = sim.requests
    assert rec.method == "GET"
    assert rec.path == "/api/v1/users"
    assert rec.status == 200
    assert rec.query == {"filter": ['status eq "ACTIVE"'], "limit": ["10"]}
    assert rec.headers["Authorization"] == f"SSWS {API_KEY}"
    assert rec.bucket == "/api/v1/users"
    assert rec.effective_limit == 10
    assert not rec.dropped
    assert rec.client.startswith("127.0.0.1:")
    assert sim.stats()["paths"] == {"/api/v1/users": 1}


@pytest.mark.cli
def test_cli_serves_and_writes_service_app(tmp_path: Path) -> None:
    app_file = tmp_path / "app.json"
    with cli_simulator(
        tmp_path / "ready",
        *("--port", "0", "--users", "30", "--seed", "5", "--api-key", "demo-okta-token"),
        *("--service-app-out", str(app_file)),
    ) as base:
        assert base.startswith("http://127.0.0.1:")
        r = get(requests, base + "/api/v1/users", headers={"Authorization": "SSWS demo-okta-token"})
        assert r.status_code == 200
        assert len(r.json()) > 0
        info = json.loads(app_file.read_text())
        assert set(info) == {"client_id", "key_id", "private_key"}
        assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": info["client_id"],
                "sub": info["client_id"],
                "aud": base + "/oauth2/v1/token",
                "iat": now,
                "exp": now + 300,
                "jti": base64.urlsafe_b64encode(b"cli").decode(),
            },
            info["private_key"],
            algorithm="RS256",
            headers={"kid": info["key_id"]},
        )
        with requests.post(
            base + "/oauth2/v1/token",
            timeout=10,
            data={
                "grant_type": "client_credentials",
                "scope": "okta.logs.read",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            },
        ) as tr:
            assert tr.status_code == 200
            assert tr.json()["token_type"] == "Bearer"


def test_a_groups_assigned_apps_are_listed_and_paged(
    sim: OktaSimulator, http: requests.Session
) -> None:
    org = sim.org
    group = next(
        g for g in org.groups if sum(g in org.app_group_ids(a) for a in org.sorted_ids("apps")) > 1
    )
    expected = [a for a in org.sorted_ids("apps") if group in org.app_group_ids(a)]
    first = get(http, sim.url(f"/api/v1/groups/{group}/apps?limit=1"))
    assert first.status_code == 200
    seen = [a["id"] for a in first.json()]
    nxt = first.links["next"]["url"]
    while nxt:
        page = get(http, nxt)
        seen += [a["id"] for a in page.json()]
        nxt = page.links.get("next", {}).get("url")
    okta_error(get(http, sim.url("/api/v1/groups/00gnope/apps")), 404, "E0000007")
    assert seen == expected
    assert sim.requests[-1].bucket == bucket_for("/api/v1/groups")
