"""The simulator's security endpoints over real HTTP with ``requests``.

Admin roles (/iam), factors, authenticators, devices, group rules, policies, network
zones, IdPs, authorization servers and trusted origins: body shapes modelled on Okta's
API reference, both paging styles (``_links.next`` in /iam bodies, ``Link`` headers
elsewhere) at the largest and at a small page size, search on devices, scopes and
permissions, rate-limit buckets, the mutations' System Log events, and the generator's
guarantees for any seed and clock.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from tests.okta_sim import OktaSimulator, Org
from tests.okta_sim.plain_lists import PLAIN_LISTS
from tests.okta_sim.security import SECURITY_STREAMS
from tests.okta_sim.security_data import FACTOR_KIND_INDEX, POLICY_TYPES

UTC = timezone.utc
API_KEY = "sim-api-token"


# --- fixtures & helpers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=300, seed=17) as s:
        # These crawls read every user's factors with one token: the org-wide limit
        # applies, the per-token ceiling (tested in test_simulator.py) would not let them.
        s.rate_limits.token_share = 1.0
        yield s
        assert s.internal_errors == []


@pytest.fixture(autouse=True)
def fresh_buckets(sim: OktaSimulator) -> None:
    """Each test starts with full buckets (the crawls here use hundreds of requests)."""
    sim.reset_rate_limits()


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"SSWS {API_KEY}"
        s.headers["Accept"] = "application/json"
        yield s


def get(session: requests.Session, url: str, **kw: Any) -> requests.Response:
    kw.setdefault("timeout", 10)
    with session.get(url, **kw) as r:
        _ = r.content
        return r


def ok(r: requests.Response) -> Any:
    assert r.status_code == 200, (r.status_code, r.text[:500])
    return r.json()


def okta_error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()
    assert body["errorCode"] == code, body
    return body


def crawl(
    session: requests.Session, url: str, params: dict[str, Any] | None = None
) -> list[requests.Response]:
    """Follow ``Link: rel="next"`` to the end."""
    pages = [get(session, url, params=params)]
    while "next" in pages[-1].links:
        assert pages[-1].status_code == 200, pages[-1].text
        assert len(pages) < 500
        pages.append(get(session, pages[-1].links["next"]["url"]))
    assert pages[-1].status_code == 200, pages[-1].text
    return pages


def crawl_body(
    session: requests.Session, url: str, key: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Follow an /iam body's ``_links.next.href`` to the end; pages carry no Link header."""
    bodies = [ok(get(session, url, params=params))]
    while "next" in bodies[-1]["_links"]:
        assert len(bodies) < 500
        r = get(session, bodies[-1]["_links"]["next"]["href"])
        assert "Link" not in r.headers
        bodies.append(ok(r))
    return bodies


def items(pages: list[requests.Response]) -> list[dict[str, Any]]:
    return [obj for p in pages for obj in p.json()]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def all_uuids(sim: OktaSimulator) -> set[str]:
    """Every event the org holds, also those persisted late and not visible yet."""
    org = sim.org
    return {org.event_at(i).uuid for i in range(org.event_count)}


def new_events(
    sim: OktaSimulator, http: requests.Session, before: set[str], event_type: str
) -> list[dict[str, Any]]:
    """Events of one type that appeared in /api/v1/logs since ``before`` (uuids)."""
    since = iso(sim.org.clock.now() - timedelta(days=2))
    params = {
        "since": since,
        "filter": f'eventType eq "{event_type}"',
        "sortOrder": "ASCENDING",
        "limit": 1000,
    }
    events = ok(get(http, sim.url("/api/v1/logs"), params=params))
    return [e for e in events if e["uuid"] not in before]


def target_types(event: dict[str, Any]) -> list[str]:
    return [t["type"] for t in event["target"]]


# --- admin roles ------------------------------------------------------------------------


def test_role_assignees_page_by_body_links(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    url = sim.url("/api/v1/iam/assignees/users")
    expected = org.role_assignee_ids()
    assert len(expected) > 7
    for limit in (100, 7):
        bodies = crawl_body(http, url, "value", {"limit": limit})
        got = [u["id"] for b in bodies for u in b["value"]]
        assert got == expected  # id order, each user once
        assert [len(b["value"]) for b in bodies[:-1]] == [limit] * (len(bodies) - 1)
        assert "next" not in bodies[-1]["_links"]
    first = ok(get(http, url, params={"limit": 7}))
    href = first["_links"]["next"]["href"]
    assert re.fullmatch(rf"{re.escape(url)}\?after=[\w-]+&limit=7", href)
    assert "Link" not in get(http, url).headers  # the body carries the paging
    user = first["value"][0]
    assert user == {
        "id": user["id"],
        "orn": f"orn:okta:directory:{org.org_id}:users:{user['id']}",
        "_links": {
            "self": {"href": sim.url(f"/api/v1/users/{user['id']}")},
            "roles": {"href": sim.url(f"/api/v1/users/{user['id']}/roles")},
        },
    }
    # limit default 100 (also the maximum); a bad cursor is Okta's paging error.
    assert len(ok(get(http, url))["value"]) == min(100, len(expected))
    assert len(ok(get(http, url, params={"limit": 5000}))["value"]) == min(100, len(expected))
    assert sim.requests[-1].effective_limit == 100  # clamped to the maximum
    okta_error(get(http, url, params={"after": "nope"}), 400, "E0000029")


def test_user_and_group_roles(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    # A member of a group that holds a role lists that role, assignmentType GROUP.
    gid = sorted(org.group_roles)[0]
    member = sorted(org.group_members(gid))[0]
    roles = ok(get(http, sim.url(f"/api/v1/users/{member}/roles")))
    via_group = [r for r in roles if r["assignmentType"] == "GROUP"]
    assert via_group
    for r in via_group:
        holder = r["_links"]["assignee"]["href"].rsplit("/groups/", 1)[1]
        assert holder in org.group_roles
        assert member in org.group_members(holder)
    assert {r["id"] for r in ok(get(http, sim.url(f"/api/v1/groups/{gid}/roles")))} <= {
        r["id"] for r in roles
    }
    group_roles = ok(get(http, sim.url(f"/api/v1/groups/{gid}/roles")))
    assert {r["assignmentType"] for r in group_roles} == {"GROUP"}
    # Direct assignments: standard ids are base32 of the type, the same for every user.
    direct = [
        (uid, a)
        for uid in org.role_assignee_ids()
        for a in ok(get(http, sim.url(f"/api/v1/users/{uid}/roles")))
        if a["assignmentType"] == "USER"
    ]
    kinds = {a["type"] for _, a in direct}
    assert "SUPER_ADMIN" in kinds
    assert "CUSTOM" in kinds
    for uid, a in direct:
        assert a["_links"]["assignee"]["href"] == sim.url(f"/api/v1/users/{uid}")
        assert a["status"] == "ACTIVE"
        assert a["created"]
        assert a["lastUpdated"]
        assert a["label"]
        if a["type"] == "CUSTOM":
            assert a["id"].startswith("irb")
            assert a["role"] in org.custom_roles
            assert a["resource-set"] in org.resource_sets
            assert set(a["_links"]) == {"assignee", "resource-set", "member", "role", "permissions"}
        else:
            padded = a["id"] + "=" * (-len(a["id"]) % 8)
            assert base64.b32decode(padded).decode() == a["type"]
    by_id = Counter(a["id"] for _, a in direct)
    assert max(by_id.values()) > 1  # an assignment id is unique per assignee only
    for path in ("users", "groups"):
        body = okta_error(get(http, sim.url(f"/api/v1/{path}/nope/roles")), 404, "E0000007")
        assert "nope" in body["errorSummary"]


def test_custom_roles_permissions_and_resource_sets(
    sim: OktaSimulator, http: requests.Session
) -> None:
    org = sim.org
    org.iam_page_size = 2  # Okta pages these with "after" only; few items, small pages
    try:
        bodies = crawl_body(http, sim.url("/api/v1/iam/roles"), "roles")
        roles = [r for b in bodies for r in b["roles"]]
        assert len(bodies) >= 2
        assert [r["id"] for r in roles] == sorted(org.custom_roles)
        assert 3 <= len(roles) <= 5
        assert set(roles[0]) == {
            "id",
            "label",
            "description",
            "isCloneable",
            "created",
            "lastUpdated",
            "_links",
        }
        assert bodies[0]["_links"]["next"]["href"].startswith(sim.url("/api/v1/iam/roles?after="))
        sets = [
            s
            for b in crawl_body(http, sim.url("/api/v1/iam/resource-sets"), "resource-sets")
            for s in b["resource-sets"]
        ]
        assert [s["id"] for s in sets] == sorted(org.resource_sets)
        assert set(sets[0]["_links"]) == {"self", "resources", "bindings"}
    finally:
        org.iam_page_size = 20
    with_conditions = 0
    for role in roles:
        for ref in (role["id"], role["label"]):  # id or label
            perms = ok(get(http, sim.url(f"/api/v1/iam/roles/{ref}/permissions")))
            assert set(perms) == {"permissions"}
            assert 2 <= len(perms["permissions"]) <= 8
        for p in perms["permissions"]:
            assert p["label"].startswith("okta.")
            assert p["created"]
            assert p["lastUpdated"]
            assert p["_links"]["role"]["href"] == sim.url(f"/api/v1/iam/roles/{role['id']}")
            with_conditions += "conditions" in p
    assert with_conditions >= 1
    okta_error(get(http, sim.url("/api/v1/iam/roles/nope/permissions")), 404, "E0000007")
    # Resources: limit (default 100); the first set spans pages of 20.
    sizes = {}
    conditional: list[str] = []
    for s in sets:
        url = sim.url(f"/api/v1/iam/resource-sets/{s['id']}/resources")
        for limit in (100, 20):
            bodies = crawl_body(http, url, "resources", {"limit": limit})
            got = [r["id"] for b in bodies for r in b["resources"]]
            assert got == sorted(org.resource_set_resources[s["id"]])
            assert bodies[0]["_links"]["resource-set"]["href"].endswith(f"/resource-sets/{s['id']}")
        sizes[s["id"]] = (len(got), len(bodies))
        for r in (r for b in bodies for r in b["resources"]):
            assert r["orn"].startswith("orn:okta:")
            assert org.org_id in r["orn"]
            assert set(r["_links"]) == {"self", "resource"}
            if "conditions" in r:  # all apps but some, as in Okta's example
                assert r["orn"] == f"orn:okta:idp:{org.org_id}:apps"
                assert r["_links"]["self"]["href"] == sim.url("/api/v1/apps")
                excluded = r["conditions"]["Exclude"]["okta:ORN"]
                assert excluded[-1] == f"{r['orn']}:slack"
                assert excluded[0] in {a["orn"] for a in org.all_apps()}
                conditional.append(r["id"])
    assert len(conditional) == 1
    assert max(n for n, _ in sizes.values()) > 20
    assert max(p for _, p in sizes.values()) > 1
    assert all(3 <= n <= 30 for n, _ in sizes.values())


# --- factors and authenticators ---------------------------------------------------------


FACTOR_PREFIXES = {
    ("push", "OKTA"): "opf",
    ("signed_nonce", "OKTA"): "aen",
    ("token:software:totp", "OKTA"): "ostf",
    ("token:software:totp", "GOOGLE"): "uft",
    ("sms", "OKTA"): "sms",
    ("call", "OKTA"): "clf",
    ("email", "OKTA"): "emf",
    ("webauthn", "FIDO"): "fwf",
    ("u2f", "FIDO"): "fuf",
    ("question", "OKTA"): "ufs",
    ("token:hardware", "YUBICO"): "ykf",
    ("token", "RSA"): "rsa",
    ("token:hotp", "CUSTOM"): "chf",
}


def test_factors(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    by_status = org.users_by_status()
    seen: Counter[str] = Counter()
    per_user = []
    for uid in sorted(org.users):
        factors = ok(get(http, sim.url(f"/api/v1/users/{uid}/factors")))
        per_user.append((uid, factors))
        for f in factors:
            seen[f["factorType"]] += 1
            assert f["id"].startswith(FACTOR_PREFIXES[(f["factorType"], f["provider"])])
            assert f["status"] in ("ACTIVE", "PENDING_ACTIVATION")
            assert f["vendorName"]
            assert f["created"] <= f["lastUpdated"]
            assert f["_links"]["user"]["href"] == sim.url(f"/api/v1/users/{uid}")
            profile = f["profile"]
            if f["factorType"] in ("sms", "call"):
                assert re.fullmatch(r"\+1555\d{7}", profile["phoneNumber"])
            elif f["factorType"] == "webauthn":
                assert profile["authenticatorName"]
                assert len(profile["credentialId"]) > 40
            elif f["factorType"] == "email":
                assert profile["email"] == org.users[uid]["profile"]["email"]
            elif f["factorType"] == "question":
                assert profile["question"]
                assert profile["questionText"]
            if f["status"] == "PENDING_ACTIVATION":
                assert f["_links"]["next"]["name"] == "activate"
            # Only Custom TOTP factors name the factor profile they were enrolled with.
            assert f.get("factorProfileId") == (
                org.custom_totp_profile_id if f["factorType"] == "token:hotp" else None
            )
    with_factors = sum(1 for _, fs in per_user if fs)
    assert 0.6 < with_factors / len(per_user) < 0.95
    assert all(
        len(fs) <= 3 or sum(f["factorType"] == "webauthn" for f in fs) == 2 for _, fs in per_user
    )
    assert any(sum(f["factorType"] == "webauthn" for f in fs) == 2 for _, fs in per_user)
    assert any(not fs for uid, fs in per_user if uid in by_status["ACTIVE"])
    assert {"push", "sms", "email", "webauthn", "token:hotp"} <= set(seen)
    assert org.custom_totp_profile_id.startswith("fpr")
    # A DEPROVISIONED user still answers (the generated ones hold none); unknown: 404.
    gone = by_status["DEPROVISIONED"][0]
    assert ok(get(http, sim.url(f"/api/v1/users/{gone}/factors"))) == []
    okta_error(get(http, sim.url("/api/v1/users/nope/factors")), 404, "E0000007")


def test_authenticators(sim: OktaSimulator, http: requests.Session) -> None:
    r = get(http, sim.url("/api/v1/authenticators"))
    body = ok(r)
    assert "Link" not in r.headers  # not paged
    keys = {a["key"] for a in body}
    assert {
        "okta_password",
        "okta_email",
        "phone_number",
        "okta_verify",
        "webauthn",
        "security_question",
        "google_otp",
    } <= keys
    for a in body:
        assert a["id"].startswith("aut")
        assert a["status"] in ("ACTIVE", "INACTIVE")
        assert a["name"]
        assert a["type"]
        assert a["created"]
        assert a["lastUpdated"]
        assert a["_links"]["self"]["href"] == sim.url(f"/api/v1/authenticators/{a['id']}")
    verify = next(a for a in body if a["key"] == "okta_verify")
    assert verify["settings"]["channelBinding"]["style"] == "NUMBER_CHALLENGE"
    assert any("provider" in a for a in body)


# --- devices ----------------------------------------------------------------------------


def test_devices_paging_expand_and_shape(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    url = sim.url("/api/v1/devices")
    expected = sorted(org.devices)
    for limit in (200, 7):
        pages = crawl(http, url, {"limit": limit})
        assert [d["id"] for d in items(pages)] == expected
        assert [len(p.json()) for p in pages[:-1]] == [limit] * (len(pages) - 1)
    assert len(ok(get(http, url))) == 200  # default 200, also the maximum
    assert len(ok(get(http, url, params={"limit": 1000}))) == 200
    devices = items(crawl(http, url, {"limit": 200, "expand": "user"}))
    statuses = Counter(d["status"] for d in devices)
    assert set(statuses) == {"ACTIVE", "SUSPENDED", "DEACTIVATED", "CREATED"}
    shared = 0
    for d in devices:
        assert d["id"].startswith("guo")
        assert d["resourceId"] == d["id"]
        assert d["resourceType"] == "UDDevice"
        assert d["resourceAlternateId"] is None
        assert d["resourceDisplayName"] == {
            "value": d["profile"]["displayName"],
            "sensitive": False,
        }
        assert d["profile"]["platform"] in ("WINDOWS", "MACOS", "IOS", "ANDROID")
        assert {"registered", "secureHardwarePresent", "diskEncryptionType"} <= set(d["profile"])
        links = d["_embedded"]["users"]
        shared += len(links) == 2
        if d["status"] in ("DEACTIVATED", "CREATED"):
            assert links == []
        for link in links:
            assert link["managementStatus"] in ("MANAGED", "NOT_MANAGED")
            assert link["screenLockType"] in ("NONE", "PASSCODE", "BIOMETRIC")
            assert link["user"] == org.get_user(link["user"]["id"])  # the full user object
    assert shared >= 2
    assert 0.7 < len(devices) / len(org.users) < 0.9
    plain = ok(get(http, url, params={"limit": 3}))
    assert all("_embedded" not in d for d in plain)
    summary = ok(get(http, url, params={"limit": 50, "expand": "userSummary"}))
    user = next(link["user"] for d in summary for link in d["_embedded"]["users"])
    assert set(user) == {"id", "realmId", "profile", "_links"}
    assert set(user["profile"]) == {"firstName", "lastName", "login", "email"}
    okta_error(get(http, url, params={"expand": "users"}), 400, "E0000001")


def test_device_search(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    url = sim.url("/api/v1/devices")
    devices = [org.devices[d] for d in sorted(org.devices)]

    def search(expr: str, limit: int = 200) -> list[str]:
        return [d["id"] for d in items(crawl(http, url, {"search": expr, "limit": limit}))]

    suspended = [d["id"] for d in devices if d["status"] == "SUSPENDED"]
    assert search('status eq "SUSPENDED"') == suspended
    both = [d["id"] for d in devices if d["status"] in ("SUSPENDED", "CREATED")]
    assert search('status eq "SUSPENDED" or status eq "CREATED"', limit=3) == both
    stamps = sorted({d["lastUpdated"] for d in devices})
    pivot = stamps[len(stamps) // 2]
    gt = [d["id"] for d in devices if d["lastUpdated"] > pivot]
    ge = [d["id"] for d in devices if d["lastUpdated"] >= pivot]
    assert search(f'lastUpdated gt "{pivot}"', limit=9) == gt
    assert search(f'lastUpdated ge "{pivot}"') == ge
    assert len(ge) > len(gt)
    active_recent = [d for d in gt if org.devices[d]["status"] == "ACTIVE"]
    assert search(f'lastUpdated gt "{pivot}" and status eq "ACTIVE"') == active_recent
    assert search(
        '(status eq "ACTIVE" or status eq "SUSPENDED") and profile.platform eq "IOS"'
    ) == [
        d["id"]
        for d in devices
        if d["status"] in ("ACTIVE", "SUSPENDED") and d["profile"]["platform"] == "IOS"
    ]
    name = devices[0]["profile"]["displayName"]
    assert devices[0]["id"] in search(f'profile.displayName co "{name[2:6].lower()}"')
    for bad in (
        'status ne "ACTIVE"',
        'profile.model co "Pixel"',
        'created gt "2020-01-01T00:00:00.000Z"',
        'lastUpdated gt "yesterday"',
        "status eq",
    ):
        okta_error(get(http, url, params={"search": bad}), 400, "E0000031")


# --- group rules ----------------------------------------------------------------------------


def test_group_rules(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    url = sim.url("/api/v1/groups/rules")
    for limit in (200, 2):
        pages = crawl(http, url, {"limit": limit})
        assert [r["id"] for r in items(pages)] == sorted(org.group_rules)
    rules = ok(get(http, url))  # default 50
    assert 3 <= len(rules) <= 8
    assert {r["status"] for r in rules} >= {"ACTIVE", "INACTIVE", "INVALID"}
    for r in rules:
        assert r["type"] == "group_rule"
        assert r["id"].startswith("0pr")
        assert r["conditions"]["expression"]["type"] == "urn:okta:expression:1.0"
        assert set(r["conditions"]["people"]) == {"users", "groups"}
        for gid in r["actions"]["assignUserToGroups"]["groupIds"]:
            assert org.groups[gid]["type"] == "OKTA_GROUP"
        for uid in r["conditions"]["people"]["users"]["exclude"]:
            assert uid in org.users
        assert r["allGroupsValid"] is True
    expanded = ok(get(http, url, params={"expand": "groupIdToGroupNameMap"}))
    names = expanded[0]["_embedded"]["groupIdToGroupNameMap"]
    assert names == {
        g: org.groups[g]["profile"]["name"]
        for g in rules[0]["actions"]["assignUserToGroups"]["groupIds"]
    }
    word = rules[0]["name"].split()[0]
    assert rules[0]["id"] in {r["id"] for r in ok(get(http, url, params={"search": word}))}


# --- policies ---------------------------------------------------------------------------


def test_policies_types_paging_and_rules(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    url = sim.url("/api/v1/policies")
    body = okta_error(get(http, url), 400, "E0000001")
    assert body["errorSummary"] == "Api validation failed: type"
    for refused in ("ENTITY_RISK", "DEVICE_SIGNAL_COLLECTION", "NOT_A_TYPE"):
        body = okta_error(get(http, url, params={"type": refused}), 400, "E0000002")
        assert body["errorSummary"] == "The request was not valid: Invalid policy type specified"
    enabled = [t for t in POLICY_TYPES if t not in org.disabled_policy_types]
    assert enabled == [
        "OKTA_SIGN_ON",
        "PASSWORD",
        "MFA_ENROLL",
        "IDP_DISCOVERY",
        "ACCESS_POLICY",
        "PROFILE_ENROLLMENT",
        "POST_AUTH_SESSION",
    ]
    seen = []
    for ptype in enabled:
        pages = crawl(http, url, {"type": ptype, "limit": 1})
        policies = items(pages)
        assert policies == ok(get(http, url, params={"type": ptype, "limit": 200}))
        assert 1 <= len(policies) <= 4
        assert len(pages) == len(policies)
        assert {p["type"] for p in policies} == {ptype}
        assert sum(p["system"] for p in policies) == 1  # the default policy
        for p in policies:
            seen.append(p["id"])
            assert {
                "id",
                "status",
                "name",
                "description",
                "priority",
                "system",
                "type",
                "conditions",
                "created",
                "lastUpdated",
                "_links",
            } <= set(p)
            assert ("settings" in p) == (ptype in ("PASSWORD", "MFA_ENROLL"))
            rules = ok(get(http, sim.url(f"/api/v1/policies/{p['id']}/rules")))
            assert 1 <= len(rules) <= 3
            assert [r["priority"] for r in rules] == sorted(r["priority"] for r in rules)
            for r in rules:
                assert {
                    "id",
                    "status",
                    "name",
                    "priority",
                    "system",
                    "type",
                    "conditions",
                    "actions",
                    "created",
                    "lastUpdated",
                    "_links",
                } <= set(r)
                assert r["type"] == ("SIGN_ON" if ptype == "OKTA_SIGN_ON" else ptype)
            assert (
                len(
                    ok(get(http, sim.url(f"/api/v1/policies/{p['id']}/rules"), params={"limit": 1}))
                )
                == 1
            )
    password = ok(get(http, url, params={"type": "PASSWORD"}))[0]
    assert password["settings"]["password"]["complexity"]["minLength"] >= 8
    assert sorted(seen) == sorted(org.snapshot()["policies"])
    # Turning a feature on shows its policies; a disabled type's policy is a 404.
    risk = next(p for p in org.policies.values() if p["type"] == "ENTITY_RISK")
    okta_error(get(http, sim.url(f"/api/v1/policies/{risk['id']}/rules")), 404, "E0000007")
    org.disabled_policy_types.discard("ENTITY_RISK")
    try:
        assert [p["id"] for p in ok(get(http, url, params={"type": "ENTITY_RISK"}))] == [risk["id"]]
        assert risk["id"] in org.snapshot()["policies"]
    finally:
        org.disabled_policy_types.add("ENTITY_RISK")
    okta_error(get(http, sim.url("/api/v1/policies/nope/rules")), 404, "E0000007")


# --- zones, IdPs, authorization servers, trusted origins -----------------------------------


def test_zones_idps_authorization_servers_trusted_origins(
    sim: OktaSimulator, http: requests.Session
) -> None:
    org = sim.org
    zones_url = sim.url("/api/v1/zones")
    r = get(http, zones_url)  # limit -1 by default: every zone, no next link
    zones = ok(r)
    assert [z["id"] for z in zones] == sorted(org.zones)
    assert "next" not in r.links
    assert [z["id"] for z in items(crawl(http, zones_url, {"limit": 2}))] == sorted(org.zones)
    names = {z["name"] for z in zones if z["system"]}
    assert names == {
        "LegacyIpZone",
        "BlockedIpZone",
        "DefaultEnhancedDynamicZone",
        "DefaultExemptIpZone",
    }
    assert {z["type"] for z in zones} >= {"IP", "DYNAMIC_V2"}
    assert {z["usage"] for z in zones} == {"POLICY", "BLOCKLIST"}
    exempt = [z["name"] for z in zones if z.get("useAsExemptList")]
    assert exempt == ["DefaultExemptIpZone"]
    ip = next(z for z in zones if z["name"] == "Corporate Offices")
    assert {g["type"] for g in ip["gateways"]} == {"CIDR", "RANGE"}
    system = ok(get(http, zones_url, params={"filter": "system eq true"}))
    assert {z["name"] for z in system} == names
    okta_error(get(http, zones_url, params={"filter": 'name eq "x"'}), 400, "E0000031")

    cases = [
        (
            "/api/v1/idps",
            org.idps,
            20,
            (
                "id",
                "type",
                "issuerMode",
                "name",
                "status",
                "created",
                "lastUpdated",
                "protocol",
                "policy",
                "_links",
            ),
        ),
        (
            "/api/v1/authorizationServers",
            org.authorization_servers,
            200,
            (
                "id",
                "name",
                "description",
                "audiences",
                "issuer",
                "issuerMode",
                "status",
                "created",
                "lastUpdated",
                "credentials",
                "default",
                "_links",
            ),
        ),
        (
            "/api/v1/trustedOrigins",
            org.trusted_origins,
            20,
            (
                "id",
                "name",
                "origin",
                "scopes",
                "status",
                "created",
                "createdBy",
                "lastUpdated",
                "lastUpdatedBy",
                "_links",
            ),
        ),
    ]
    for path, store, default, fields in cases:
        url = sim.url(path)
        for limit in (200, 1):
            assert [o["id"] for o in items(crawl(http, url, {"limit": limit}))] == sorted(store)
        first = get(http, url)
        assert re.search(rf"limit={default}>", first.headers["Link"])
        for obj in ok(first):
            assert set(fields) <= set(obj), (path, set(fields) - set(obj))
    idps = list(org.idps.values())
    assert 2 <= len(idps) <= 3
    assert {"GOOGLE", "SAML2"} <= {i["type"] for i in idps}
    servers = list(org.authorization_servers.values())
    assert [s["name"] for s in servers if s["default"]] == ["default"]
    default = next(s for s in servers if s["default"])
    assert default["issuer"] == org.domain_url + "/oauth2/default"
    # Access token encryption: keys by URL on the default server, inline on Partner API.
    assert default["jwks_uri"].startswith("https://")
    assert default["accessTokenEncryptedResponseAlgorithm"] == "RSA-OAEP-384"
    partner = next(s for s in servers if s["name"] == "Partner API")
    assert partner["accessTokenEncryptedResponseAlgorithm"] == "RSA-OAEP-256"
    [key] = partner["jwks"]["keys"]
    assert (key["kty"], key["use"], key["e"]) == ("RSA", "enc", "AQAB")
    assert set(default["credentials"]["signing"]) == {
        "rotationMode",
        "lastRotated",
        "nextRotation",
        "kid",
    }
    origins = ok(get(http, sim.url("/api/v1/trustedOrigins"), params={"limit": 200}))
    assert 2 <= len(origins) <= 4
    assert {s["type"] for o in origins for s in o["scopes"]} <= {"CORS", "REDIRECT", "IFRAME_EMBED"}
    cors = ok(get(http, sim.url("/api/v1/trustedOrigins"), params={"filter": 'type eq "CORS"'}))
    assert cors
    assert all(any(s["type"] == "CORS" for s in o["scopes"]) for o in cors)
    portal = ok(get(http, sim.url("/api/v1/trustedOrigins"), params={"q": "company"}))
    assert [o["name"] for o in portal] == ["Company Portal"]


# --- auth and rate limits -------------------------------------------------------------------


ENDPOINTS = {
    "/api/v1/iam/assignees/users": "okta.roles.read",
    "/api/v1/users/{user}/roles": "okta.roles.read",
    "/api/v1/groups/{group}/roles": "okta.roles.read",
    "/api/v1/iam/roles": "okta.roles.read",
    "/api/v1/iam/roles/{role}/permissions": "okta.roles.read",
    "/api/v1/iam/resource-sets": "okta.roles.read",
    "/api/v1/iam/resource-sets/{set}/resources": "okta.roles.read",
    "/api/v1/users/{user}/factors": "okta.users.read",
    "/api/v1/authenticators": "okta.authenticators.read",
    "/api/v1/devices": "okta.devices.read",
    "/api/v1/groups/rules": "okta.groups.read",
    "/api/v1/policies?type=PASSWORD": "okta.policies.read",
    "/api/v1/policies/{policy}/rules": "okta.policies.read",
    "/api/v1/zones": "okta.networkZones.read",
    "/api/v1/idps": "okta.idps.read",
    "/api/v1/authorizationServers": "okta.authorizationServers.read",
    "/api/v1/trustedOrigins": "okta.trustedOrigins.read",
    **{entry.path: entry.scope for entry in PLAIN_LISTS},
}


def endpoint_urls(sim: OktaSimulator) -> dict[str, str]:
    org = sim.org
    ids = {
        "user": org.role_assignee_ids()[0],
        "group": sorted(org.group_roles)[0],
        "role": sorted(org.custom_roles)[0],
        "set": sorted(org.resource_sets)[0],
        "policy": next(p for p in sorted(org.policies) if org.visible_policy(p)),
    }
    return {sim.url(path.format(**ids)): scope for path, scope in ENDPOINTS.items()}


def test_scopes_permissions_and_buckets(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    urls = endpoint_urls(sim)
    scopes = sorted(set(urls.values()))
    # A token with every scope but the one an endpoint needs: 403, empty body, the scope
    # named in WWW-Authenticate.
    app = org.register_service_app(scopes=set(scopes))
    for scope in scopes:
        token = org.issue_token(app.client_id, sorted(set(scopes) - {scope})).access_token
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {token}"
            for url, needed in urls.items():
                r = get(s, url)
                if needed == scope:
                    assert r.status_code == 403, (url, r.status_code)
                    assert r.content == b""
                    www = r.headers["WWW-Authenticate"]
                    assert 'error="insufficient_scope"' in www
                    assert f'scope="{scope}"' in www
                else:
                    assert r.status_code == 200, (url, r.status_code, r.text[:200])
    # An API token whose admin lacks the permission: 403 E0000006.
    org.add_api_token("no-security", permissions={"users", "groups", "apps", "logs"})
    with requests.Session() as s:
        s.headers["Authorization"] = "SSWS no-security"
        for url, needed in urls.items():
            r = get(s, url)
            if needed in ("okta.users.read", "okta.groups.read"):
                assert r.status_code == 200, url
            else:
                okta_error(r, 403, "E0000006")
    # Buckets: devices has its own, the rest are "most other API actions".
    sim.clear_requests()
    for url in urls:
        r = get(http, url)
        assert {"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} <= set(
            r.headers
        )
    buckets = {r.path: r.bucket for r in sim.requests}
    assert buckets["/api/v1/devices"] == "/api/v1/devices"
    assert {b for p, b in buckets.items() if p != "/api/v1/devices"} == {"/api/v1/*"}
    # Only GET exists.
    with requests.post(sim.url("/api/v1/zones"), headers=http.headers, timeout=10) as r:
        okta_error(r, 405, "E0000022")


# --- mutations and their System Log events --------------------------------------------------


def test_role_mutations_log_privilege_events(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    assignees = set(org.role_assignee_ids())
    user = next(u for u in org.users_by_status()["ACTIVE"] if u not in assignees)
    before = all_uuids(sim)
    granted = org.assign_user_role(user, "REPORT_ADMIN")
    assert granted["assignmentType"] == "USER"
    assert granted["type"] == "REPORT_ADMIN"
    assert user in {
        u["id"]
        for b in crawl_body(http, sim.url("/api/v1/iam/assignees/users"), "value")
        for u in b["value"]
    }
    assert granted in ok(get(http, sim.url(f"/api/v1/users/{user}/roles")))
    custom = org.assign_user_role(
        user,
        "CUSTOM",
        role_id=sorted(org.custom_roles)[0],
        resource_set_id=sorted(org.resource_sets)[0],
    )
    [grant, custom_grant] = new_events(sim, http, before, "user.account.privilege.grant")
    assert target_types(grant) == ["User", "ROLE_ASSIGNED", "ROLE"]
    assert grant["target"][0]["id"] == user
    assert grant["target"][2] == {
        "alternateId": granted["id"],
        "detailEntry": None,
        "displayName": "Report Administrator",
        "id": "ReportAdmin",
        "type": "ROLE",
    }
    assert grant["debugContext"]["debugData"]["privilegeGranted"] == "Report Administrator (all)"
    assert grant["debugContext"]["debugData"]["requestUri"] == f"/api/v1/users/{user}/roles"
    assert grant["actor"]["id"] in org.admin_ids
    assert grant["outcome"]["result"] == "SUCCESS"
    assert custom_grant["target"][2]["id"] == custom["role"]
    with pytest.raises(ValueError, match="already holds"):
        org.assign_user_role(user, "REPORT_ADMIN")
    with pytest.raises(ValueError, match="unknown role type"):
        org.assign_user_role(user, "MOBILE_ADMIN")

    org.unassign_user_role(user, granted["id"])
    org.unassign_user_role(user, custom["id"])
    revokes = new_events(sim, http, before, "user.account.privilege.revoke")
    assert [target_types(e) for e in revokes] == [["User", "ROLE"], ["User", "ROLE"]]
    assert (
        revokes[0]["debugContext"]["debugData"]["privilegeRevoked"] == "Report Administrator (all)"
    )
    assert user not in org.role_assignee_ids()

    # A role a user holds through a group is the group's to revoke.
    gid = sorted(org.group_roles)[0]
    member = sorted(org.group_members(gid))[0]
    via_group = next(iter(org.group_roles[gid]))
    with pytest.raises(KeyError):
        org.unassign_user_role(member, via_group)
    group = next(
        g["id"]
        for g in org.all_groups()
        if g["type"] == "OKTA_GROUP" and g["id"] not in org.group_roles
    )
    assignment = org.assign_group_role(group, "HELP_DESK_ADMIN")
    assert assignment["id"].startswith("gra")
    assert assignment["assignmentType"] == "GROUP"
    assert ok(get(http, sim.url(f"/api/v1/groups/{group}/roles"))) == [assignment]
    org.unassign_group_role(group, assignment["id"])
    assert ok(get(http, sim.url(f"/api/v1/groups/{group}/roles"))) == []
    [g_grant] = new_events(sim, http, before, "group.privilege.grant")
    [g_revoke] = new_events(sim, http, before, "group.privilege.revoke")
    assert target_types(g_grant) == ["UserGroup", "ROLE_ASSIGNED", "ROLE"]
    assert target_types(g_revoke) == ["UserGroup", "ROLE"]
    assert g_grant["target"][0]["id"] == group == g_revoke["target"][0]["id"]


def test_factor_mutations_log_factor_events(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    active = org.users_by_status()["ACTIVE"]
    user = next(u for u in active if not org.factors.get(u))
    before = all_uuids(sim)
    totp = org.enroll_factor(user, "token:software:totp")
    sms = org.enroll_factor(user, "sms")
    push = org.enroll_factor(user, "push")
    keys = [org.enroll_factor(user, "webauthn") for _ in range(2)]  # one per security key
    pending = org.enroll_factor(user, "token:software:totp", "GOOGLE", status="PENDING_ACTIVATION")
    assert pending["_embedded"]["activation"]["encoding"] == "base32"
    listed = ok(get(http, sim.url(f"/api/v1/users/{user}/factors")))
    assert [f["id"] for f in listed] == [f["id"] for f in (totp, sms, push, *keys, pending)]
    activated = new_events(sim, http, before, "user.mfa.factor.activate")
    assert len(activated) == 5  # the pending enrolment logs nothing yet
    assert all(target_types(e) == ["User"] and e["target"][0]["id"] == user for e in activated)
    assert [e["debugContext"]["debugData"]["factor"] for e in activated] == [
        "OKTA_SOFT_TOKEN",
        "OKTA_SMS",
        "OKTA_VERIFY_PUSH",
        "FIDO_WEBAUTHN",
        "FIDO_WEBAUTHN",
    ]
    # The factor id is in no target, only in the API path the event names.
    assert all(push["id"] not in str(e["target"]) for e in activated)
    with pytest.raises(ValueError, match="already has a sms"):
        org.enroll_factor(user, "sms")
    with pytest.raises(ValueError, match="FastPass"):
        org.enroll_factor(user, "signed_nonce")

    org.reset_factor(user, sms["id"])
    [reset] = new_events(sim, http, before, "user.mfa.factor.deactivate")
    assert target_types(reset) == ["User"]
    assert reset["target"][0]["id"] == user
    assert reset["outcome"] == {"reason": "User reset OKTA_SMS factor", "result": "SUCCESS"}
    assert (
        reset["debugContext"]["debugData"]["requestUri"]
        == f"/api/v1/users/{user}/factors/{sms['id']}"
    )
    # Unenrolling Okta Verify push takes the Okta TOTP along (Okta's documented rule).
    org.reset_factor(user, push["id"])
    left = {f["id"] for f in ok(get(http, sim.url(f"/api/v1/users/{user}/factors")))}
    assert left == {keys[0]["id"], keys[1]["id"], pending["id"]}
    assert len(new_events(sim, http, before, "user.mfa.factor.deactivate")) == 3

    # Reset all: Identity Engine logs one deactivate per factor, Classic one reset_all.
    org.reset_all_factors(user)
    assert ok(get(http, sim.url(f"/api/v1/users/{user}/factors"))) == []
    assert len(new_events(sim, http, before, "user.mfa.factor.deactivate")) == 6
    assert new_events(sim, http, before, "user.mfa.factor.reset_all") == []
    org.enroll_factor(user, "email")
    org.identity_engine = False
    try:
        org.reset_all_factors(user)
    finally:
        org.identity_engine = True
    [reset_all] = new_events(sim, http, before, "user.mfa.factor.reset_all")
    assert target_types(reset_all) == ["User"]
    assert reset_all["target"][0]["id"] == user
    assert reset_all["debugContext"]["debugData"]["requestUri"].endswith("/lifecycle/reset_factors")
    with pytest.raises(KeyError):
        org.reset_factor(user, "nope")
    # A deactivated user's factors can't be unenrolled (Okta's rule).
    org.enroll_factor(user, "email")
    org.set_user_status(user, "DEPROVISIONED")
    with pytest.raises(ValueError, match="deactivated"):
        org.reset_all_factors(user)
    assert len(ok(get(http, sim.url(f"/api/v1/users/{user}/factors")))) == 1


def test_device_mutations(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    url = sim.url("/api/v1/devices")
    active = [d for d in sorted(org.devices) if org.devices[d]["status"] == "ACTIVE"]
    changed, retired = active[0], active[1]
    before = all_uuids(sim)
    org.clock.advance(5)
    since = org.devices[changed]["lastUpdated"]
    updated = org.update_device(changed, {"osVersion": "15.0.0"})
    assert updated["lastUpdated"] > since
    found = ok(get(http, url, params={"search": f'lastUpdated ge "{updated["lastUpdated"]}"'}))
    assert [d["id"] for d in found] == [changed]
    assert found[0]["profile"]["osVersion"] == "15.0.0"
    with pytest.raises(ValueError, match="only DEACTIVATED"):
        org.delete_device(retired)
    name = org.devices[retired]["profile"]["displayName"]
    assert org.device_user_ids(retired)
    org.deactivate_device(retired)
    org.deactivate_device(retired)  # already deactivated: nothing more
    shown = ok(get(http, url, params={"search": f'id eq "{retired}"', "expand": "user"}))
    assert shown[0]["status"] == "DEACTIVATED"
    assert shown[0]["_embedded"]["users"] == []
    org.delete_device(retired)
    assert retired not in {d["id"] for d in items(crawl(http, url))}
    [deactivated] = new_events(sim, http, before, "device.lifecycle.deactivate")
    [deleted] = new_events(sim, http, before, "device.lifecycle.delete")
    for event in (deactivated, deleted):
        assert event["target"] == [
            {
                "alternateId": "unknown",
                "detailEntry": None,
                "displayName": name,
                "id": retired,
                "type": "Device",
            }
        ]
    assert deleted["debugContext"]["debugData"]["requestUri"] == f"/api/v1/devices/{retired}"
    with pytest.raises(KeyError):
        org.delete_device(retired)


def test_policy_rule_zone_deletes_and_updates(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    before = all_uuids(sim)
    snap = org.snapshot()
    # The first (policy, rule) in key order is always deletable; a default rule is not.
    policy, rule = sorted(snap["policy_rules"])[0]
    assert not org.policy_rules[policy][rule]["system"]
    default = next(
        (p, r) for p, r in sorted(snap["policy_rules"]) if org.policy_rules[p][r]["system"]
    )
    with pytest.raises(ValueError, match="default rule"):
        org.delete_policy_rule(*default)
    org.delete_policy_rule(policy, rule)
    assert rule not in {r["id"] for r in ok(get(http, sim.url(f"/api/v1/policies/{policy}/rules")))}
    [deleted] = new_events(sim, http, before, "policy.rule.delete")
    assert target_types(deleted) == ["PolicyEntity", "PolicyRule"]
    assert [t["id"] for t in deleted["target"]] == [policy, rule]
    assert deleted["target"][0]["detailEntry"] == {"policyType": "OktaSignOn"}

    updated = org.update_policy(policy, {"description": "Tightened"})
    assert (
        ok(get(http, sim.url("/api/v1/policies"), params={"type": "OKTA_SIGN_ON", "limit": 200}))[0]
        == updated
    )
    [update] = new_events(sim, http, before, "policy.lifecycle.update")
    assert update["target"][0]["id"] == policy
    assert target_types(update) == ["PolicyEntity"]
    with pytest.raises(ValueError, match="read-only"):
        org.update_policy(policy, {"type": "PASSWORD"})

    group_rule = sorted(snap["group_rules"])[0]
    org.delete_group_rule(group_rule)
    assert group_rule not in {r["id"] for r in ok(get(http, sim.url("/api/v1/groups/rules")))}

    # Zones: system and ACTIVE zones can't go; the first custom one (INACTIVE) can.
    zones = org.snapshot_objects("network_zones")
    custom = [z for z in zones if not z["system"]]
    assert custom[0]["status"] == "INACTIVE"
    assert not org.zone_in_use(custom[0]["id"])
    with pytest.raises(ValueError, match="system zone"):
        org.delete_zone(next(z["id"] for z in zones if z["system"]))
    corporate = next(z["id"] for z in custom if z["name"] == "Corporate Offices")
    with pytest.raises(ValueError, match="ACTIVE"):
        org.delete_zone(corporate)
    org.set_zone_status(corporate, "INACTIVE")
    with pytest.raises(ValueError, match="used by a policy rule"):
        org.delete_zone(corporate)
    org.set_zone_status(corporate, "ACTIVE")
    org.delete_zone(custom[0]["id"])
    assert custom[0]["id"] not in {z["id"] for z in ok(get(http, sim.url("/api/v1/zones")))}
    [zone_delete] = new_events(sim, http, before, "zone.delete")
    assert zone_delete["target"][0]["id"] == custom[0]["id"]
    assert target_types(zone_delete) == ["NetworkZone"]
    assert len(new_events(sim, http, before, "zone.deactivate")) == 1
    assert len(new_events(sim, http, before, "zone.activate")) == 1
    # Group rules are deleted without an event: Okta's catalog has none.
    kinds = {e["eventType"] for e in org.visible_events() if e["uuid"] not in before}
    assert kinds == {
        "policy.rule.delete",
        "policy.lifecycle.update",
        "zone.delete",
        "zone.deactivate",
        "zone.activate",
    }


def test_deleting_a_user_drops_its_security_data_unlogged(
    sim: OktaSimulator, http: requests.Session
) -> None:
    org = sim.org
    user = next(
        u
        for u in org.role_assignee_ids()
        if org.factors.get(u)
        and u in org.user_roles
        and org.users[u]["status"] == "ACTIVE"
        and any(u == link[0] for links in org.device_users.values() for link in links)
    )
    devices = [d for d, links in org.device_users.items() if any(link[0] == user for link in links)]
    org.set_user_status(user, "DEPROVISIONED")
    before = all_uuids(sim)
    org.delete_user(user)
    kinds = [e["eventType"] for e in org.visible_events() if e["uuid"] not in before]
    assert kinds == ["user.lifecycle.delete.initiated", "user.lifecycle.delete.completed"]
    snap = org.snapshot()
    assert not any(u == user for u, _ in snap["user_factors"] | snap["user_roles"])
    assert not any(u == user for _, u in snap["device_users"])
    assert user not in {
        u["id"]
        for b in crawl_body(http, sim.url("/api/v1/iam/assignees/users"), "value")
        for u in b["value"]
    }
    for device in devices:  # the device stays, without the user
        assert device in org.devices
        assert user not in org.device_user_ids(device)
    okta_error(get(http, sim.url(f"/api/v1/users/{user}/factors")), 404, "E0000007")


# --- the snapshot and the generator ----------------------------------------------------------


def test_snapshot_matches_the_security_listings(sim: OktaSimulator, http: requests.Session) -> None:
    org = sim.org
    snap = org.snapshot()
    assert set(SECURITY_STREAMS) <= set(snap)

    def pages(path: str, **params: Any) -> list[dict[str, Any]]:
        return items(crawl(http, sim.url(path), {"limit": 200, **params}))

    def iam(path: str, key: str) -> list[dict[str, Any]]:
        return [o for b in crawl_body(http, sim.url(path), key, {"limit": 100}) for o in b[key]]

    def plain(entry: Any) -> list[dict[str, Any]]:
        # A plain list Okta wraps in an object ({"domains": [...]}) is not paged.
        if entry.records_key:
            return list(ok(get(http, sim.url(entry.path)))[entry.records_key])
        return pages(entry.path)

    assignees = [u["id"] for u in iam("/api/v1/iam/assignees/users", "value")]
    listed = {
        "user_roles": {
            (u, r["id"])
            for u in assignees
            for r in ok(get(http, sim.url(f"/api/v1/users/{u}/roles")))
        },
        "group_roles": {
            (g["id"], r["id"])
            for g in pages("/api/v1/groups")
            for r in ok(get(http, sim.url(f"/api/v1/groups/{g['id']}/roles")))
        },
        "custom_roles": {r["id"] for r in iam("/api/v1/iam/roles", "roles")},
        "resource_sets": {s["id"] for s in iam("/api/v1/iam/resource-sets", "resource-sets")},
        "user_factors": {
            (u["id"], f["id"])
            for u in pages("/api/v1/users", search='lastUpdated ge "1970-01-01T00:00:00.000Z"')
            for f in ok(get(http, sim.url(f"/api/v1/users/{u['id']}/factors")))
        },
        "devices": {d["id"] for d in pages("/api/v1/devices")},
        "group_rules": {r["id"] for r in pages("/api/v1/groups/rules")},
        "authenticators": {a["id"] for a in ok(get(http, sim.url("/api/v1/authenticators")))},
        "network_zones": {z["id"] for z in pages("/api/v1/zones")},
        "identity_providers": {i["id"] for i in pages("/api/v1/idps")},
        "authorization_servers": {s["id"] for s in pages("/api/v1/authorizationServers")},
        "trusted_origins": {o["id"] for o in pages("/api/v1/trustedOrigins")},
        "user_types": {t["id"] for t in ok(get(http, sim.url("/api/v1/meta/types/user")))},
        **{e.stream: {o["id"] for o in plain(e)} for e in PLAIN_LISTS},
    }
    policies = []
    for ptype in POLICY_TYPES:
        r = get(http, sim.url("/api/v1/policies"), params={"type": ptype, "limit": 200})
        if r.status_code == 200:
            policies += [p["id"] for p in r.json()]
    listed["policies"] = set(policies)
    listed["policy_rules"] = {
        (p, r["id"])
        for p in policies
        for r in ok(get(http, sim.url(f"/api/v1/policies/{p}/rules")))
    }
    listed["custom_role_permissions"] = {
        (r, p["label"])
        for r in listed["custom_roles"]
        for p in ok(get(http, sim.url(f"/api/v1/iam/roles/{r}/permissions")))["permissions"]
    }
    listed["resource_set_resources"] = {
        (s, o["id"])
        for s in listed["resource_sets"]
        for o in iam(f"/api/v1/iam/resource-sets/{s}/resources", "resources")
    }
    for stream, keys in listed.items():
        assert keys == snap[stream], stream
        assert keys, stream
        objects = org.snapshot_objects(stream)
        assert len(objects) == len(keys), stream


def test_generation_guarantees_for_any_seed_and_clock() -> None:
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    webauthn = FACTOR_KIND_INDEX[("webauthn", "FIDO")]
    for seed in range(8):
        for users in (30, 60, 250):
            org = Org.generate(seed=seed, users=users, now=start + timedelta(hours=seed * 7))
            snap = org.snapshot()
            assigned = [a for held in org.user_roles.values() for a in held.values()]
            assert {a["type"] for a in assigned} >= {"SUPER_ADMIN", "CUSTOM"}
            assert len(org.user_roles) >= 3
            assert 1 <= len(org.group_roles) <= 3
            first = org.role_assignee_ids()[0]
            assert any(a["type"] != "CUSTOM" for a in org.user_roles[first].values())
            assert 3 <= len(org.custom_roles) <= 5
            assert all(2 <= len(p) <= 8 for p in org.role_permissions.values())
            assert 2 <= len(org.resource_sets) <= 3
            assert max(len(r) for r in org.resource_set_resources.values()) > 20
            active = org.users_by_status()["ACTIVE"]
            assert any(not org.factors.get(u) for u in active)
            assert any(sum(f.kind == webauthn for f in fs) == 2 for fs in org.factors.values())
            assert {d["status"] for d in org.devices.values()} == {
                "ACTIVE",
                "SUSPENDED",
                "DEACTIVATED",
                "CREATED",
            }
            assert sum(len(links) == 2 for links in org.device_users.values()) >= 2
            assert {r["status"] for r in org.group_rules.values()} >= {
                "ACTIVE",
                "INACTIVE",
                "INVALID",
            }
            policy, rule = sorted(snap["policy_rules"])[0]
            assert not org.policy_rules[policy][rule]["system"]
            custom_zones = [z for z in org.snapshot_objects("network_zones") if not z["system"]]
            assert custom_zones[0]["status"] == "INACTIVE"
            assert 2 <= len(org.idps) <= 3
            assert 2 <= len(org.trusted_origins) <= 4
            assert 2 <= len(org.authorization_servers) <= 3
    # Deterministic: the same seed and clock give the same security data.
    a = Org.generate(seed=4, users=120, now=start)
    b = Org.generate(seed=4, users=120, now=start)
    assert a.snapshot() == b.snapshot()
    assert a.snapshot_objects("devices") == b.snapshot_objects("devices")
    # An empty org answers empty lists.
    with OktaSimulator(Org()) as empty, requests.Session() as s:
        s.headers["Authorization"] = f"SSWS {API_KEY}"
        assert ok(get(s, empty.url("/api/v1/devices"))) == []
        assert ok(get(s, empty.url("/api/v1/policies"), params={"type": "PASSWORD"})) == []
        assert ok(get(s, empty.url("/api/v1/iam/assignees/users"))) == {"value": [], "_links": {}}
