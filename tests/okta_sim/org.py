"""The simulated Okta org: data model, seeded generator, mutation and query API.

Objects are stored as the JSON dicts the API returns (shapes from
``okta-examples/``), so serving a page is ``json.dumps`` of stored dicts.  Large
collections that the API materialises per request (app assignments, System Log
events) are kept compact and expanded on output, so a 50,000-user org with
150,000 events fits in a few hundred MB and generates in seconds.

Every public method takes ``self.lock`` (an RLock); the HTTP layer holds the
same lock while it computes a page, so a page is always a consistent snapshot.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import string
import threading
import time
import unicodedata
from bisect import insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar, cast

from . import app_posture, meta
from .assignments import DIRECT, PROVISIONED, SYNCHRONIZED, AppUserTable
from .catalog import (
    APP_CATALOG,
    CITIES,
    DEPARTMENTS,
    EVENT_TYPE_INDEX,
    EVENT_TYPES,
    EVENT_WEIGHTS,
    FIRST_NAMES,
    GEO,
    LAST_NAMES,
    MUTATION_ONLY_EVENT_TYPES,
    OUTCOME_ALLOW,
    OUTCOME_DENY,
    OUTCOME_FAIL,
    OUTCOME_OK,
    TITLES,
    USER_AGENTS,
)
from .clock import UTC, SimClock, fmt_ms, fmt_seconds, to_epoch
from .filters import resolve
from .oauth import (
    ALL_READ_SCOPES,
    IssuedToken,
    PublicKey,
    ServiceApp,
    generate_private_key,
    load_public_key,
    new_kid,
    private_key_pem,
    random_token,
)
from .plain_lists import PLAIN_LISTS, PlainList
from .security import SecurityMixin

# Sign-on modes whose apps keep credentials for their users (Okta's password vault):
# their app users carry a password and their settings a shared secret.
_VAULTED_MODES = ("AUTO_LOGIN", "SECURE_PASSWORD_STORE")


def sim_secret(*parts: str) -> str:
    """A stable secret-looking value (no rng drawn: the generated org stays the same)."""
    return "sim-" + hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


ALL_FAMILIES = frozenset(
    {
        "users",
        "groups",
        "apps",
        "logs",
        "schemas",
        "userTypes",
        # the security endpoints (security.py)
        "roles",
        "authenticators",
        "devices",
        "policies",
        "networkZones",
        "idps",
        "authorizationServers",
        "trustedOrigins",
        # the plain lists (plain_lists.py)
        *(entry.family for entry in PLAIN_LISTS),
        *app_posture.FAMILIES,
    }
)
USER_STATUSES = (
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
    "DEPROVISIONED",
)
_STATUS_WEIGHTS = (4, 5, 66, 3, 3, 3, 5, 11)
GROUP_TYPES = ("OKTA_GROUP", "APP_GROUP", "BUILT_IN")
_ID_ALPHABET = string.ascii_letters + string.digits
DAY = 86400
_T = TypeVar("_T")
# Who a directory change is logged as when the org has no admin users (an empty ``Org()``).
_SYSTEM_ACTOR: dict[str, Any] = {
    "id": "0oa1systemprincipal1",
    "type": "SystemPrincipal",
    "alternateId": "system@okta.com",
    "displayName": "Okta System",
    "detailEntry": None,
}


@dataclass
class Principal:
    """Whoever stands behind a credential: an admin (API token) or a service app."""

    name: str
    permissions: set[str] = field(default_factory=lambda: set(ALL_FAMILIES))
    expires_at: datetime | None = None


@dataclass(slots=True)
class _Event:
    """Compact System Log event; expanded to the full JSON shape on output."""

    seq: int
    uuid: str
    published_ms: int
    stored_ms: int
    kind: int
    severity: str
    actor: dict[str, Any]
    targets: tuple[dict[str, Any], ...]
    outcome: dict[str, Any]
    geo: int
    agent: int
    overrides: dict[str, Any] | None = None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


def _sort_value(values: list[Any]) -> list[Any]:
    """Total-order key for one attribute: numbers < strings < arrays/objects < missing."""
    if not values or values[0] is None:
        return [3, ""]
    v = values[0]
    if isinstance(v, bool):
        return [0, int(v)]
    if isinstance(v, (int, float)):
        return [0, v]
    if isinstance(v, str):
        return [1, v]
    return [2, json.dumps(v, sort_keys=True)]


class Org(SecurityMixin):
    """All org state.  Build one with :meth:`generate` (seeded) or empty with ``Org()``.

    The security configuration (admin roles, factors, devices, policies ...) is in
    :class:`~tests.okta_sim.security.SecurityMixin`.
    """

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 7,
        domain_url: str = "https://acme.okta.com",
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SimClock()
        self.domain_url = domain_url
        # Where the org is served (set by OktaSimulator.start); exported objects and API
        # responses link there instead of domain_url, so helpers and API output compare equal.
        self.public_url: str | None = None
        # A custom domain of the same org (its ``alternate`` link), when a test sets one.
        self.custom_domain_url: str | None = None
        # False: /.well-known/okta-organization answers 404 (a proxy that blocks it).
        self.metadata_served = True
        self._rng = random.Random(seed * 7919 + 1)  # ids/data of objects created by mutations
        # The events mutations log draw from their own stream, so turning logging off (or
        # on) never changes the ids of the objects a test creates.
        self._log_rng = random.Random(seed * 7919 + 2)
        self._ids: set[str] = set()

        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.memberships: dict[str, set[str]] = {}
        self.apps: dict[str, dict[str, Any]] = {}
        # app id -> its app users (scope USER when assigned directly, GROUP when only
        # through an assigned group)
        self.app_users: dict[str, AppUserTable] = {}
        # app id -> group id -> (lastUpdated, priority)
        self.app_groups: dict[str, dict[str, tuple[str, int]]] = {}
        self._events: list[_Event] = []
        self._by_stored: list[tuple[int, int]] = []
        self._by_published: list[tuple[int, int]] = []
        self._uuids: set[str] = set()

        # --- auth --------------------------------------------------------------------
        self.api_tokens: dict[str, Principal] = {}
        self.service_apps: dict[str, ServiceApp] = {}
        self._kid_owner: dict[str, tuple[str, PublicKey]] = {}
        self.issued_tokens: list[IssuedToken] = []
        self._tokens: dict[str, IssuedToken] = {}
        self.used_assertion_jtis: set[str] = set()
        self.used_dpop_jtis: set[str] = set()
        self._dpop_nonces: dict[str, float] = {}  # nonce -> real time issued
        self.dpop_nonce_lifetime_seconds = 600.0
        self.token_lifetime_seconds = 3600
        self.require_resource_dpop_nonce = False

        # --- behaviour knobs ---------------------------------------------------------
        self.search_lag_seconds = 0.0
        self.disabled_features: set[str] = set()
        self.cursor_epoch = 0
        self.log_retention_days = 90
        self.log_max_since_days = 180
        # Mutations log their System Log events, as Okta logs every directory change.
        # False models changes Okta does not log one row at a time (e.g. an import).
        self.log_directory_changes = True

        # --- fixed ids -----------------------------------------------------------------
        self.user_type_id = "oty" + self._rand_chars(self._rng, 17)
        # User types and profile schemas (/api/v1/meta): ids from a stream of their own,
        # so every other id is what it was before they existed.
        meta_rng = random.Random(seed * 7919 + 3)
        self.user_type_ids = {
            meta.DEFAULT_TYPE: self.user_type_id,
            meta.CONTRACTOR_TYPE: "oty" + self._rand_chars(meta_rng, 17),
        }
        self.user_schema_ids = {
            key: "osc" + self._rand_chars(meta_rng, 17) for key in self.user_type_ids
        }
        # Custom attributes per user type, and of groups (the Profile Editor's view).
        self.custom_user_attributes = copy.deepcopy(meta.CUSTOM_USER_ATTRIBUTES)
        self.custom_group_attributes = copy.deepcopy(meta.CUSTOM_GROUP_ATTRIBUTES)
        self.everyone_id = ""
        self.admin_ids: list[str] = []

        # --- caches (invalidated by version counters) -----------------------------------
        self._ver = {"users": 0, "groups": 0, "apps": 0}
        self._cache: dict[tuple[Any, ...], tuple[int, Any]] = {}
        self._member_cache: dict[str, list[str]] = {}
        self._app_group_cache: dict[str, list[str]] = {}
        # search-index lag: user id -> [(monotonic time, visible version or None)]
        self._pending: dict[str, list[tuple[float, dict[str, Any] | None]]] = {}
        self._actor_cache: dict[str, dict[str, Any]] = {}
        self._target_cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._init_security(seed)
        # Plain list -> its objects by id (plain_lists.py).
        self.listed: dict[str, dict[str, dict[str, Any]]] = {e.stream: {} for e in PLAIN_LISTS}
        # (principal type, principal id, role assignment id) -> {"groups"|"apps": [...]},
        # and group id -> owner id -> GroupOwner (admin_scopes.py).
        self.role_targets: dict[tuple[str, str, str], dict[str, list[str]]] = {}
        self.group_owners: dict[str, dict[str, dict[str, Any]]] = {}
        # Per-app grants and provisioning, the org's settings (app_posture.py).
        self.app_posture = app_posture.AppPosture()

    # ================================================================================
    # generation
    # ================================================================================

    @classmethod
    def generate(
        cls,
        seed: int = 7,
        users: int = 300,
        groups: int | None = None,
        apps: int | None = None,
        events: int | None = None,
        now: datetime | None = None,
        *,
        domain_url: str = "https://acme.okta.com",
        app_assignments: int | None = None,
    ) -> Org:
        """A realistic org, deterministic for (seed, sizes, now).

        ``app_assignments`` aims the app users (direct and through groups, over all
        apps) at about that many; by default each app has 1-6% of the active users
        directly, plus the members of 0-3 assigned groups.
        """
        clock = SimClock(now)
        org = cls(clock=clock, seed=seed, domain_url=domain_url)
        rng = random.Random(seed)
        now_s = int(clock.time())
        n_groups = groups if groups is not None else users // 15 + 5
        n_apps = apps if apps is not None else 25
        n_events = events if events is not None else users * 3
        with org.lock:
            org._generate_users(rng, users, now_s)
            org._generate_groups(rng, max(n_groups, 1), now_s)
            org._generate_apps(rng, max(n_apps, 4), now_s, app_assignments)
            org._generate_events(rng, n_events, now_s * 1000)
            # Last, from a random stream of its own: the directory is what it was before.
            org._generate_security(now_s)
            for entry in PLAIN_LISTS:  # each from its own stream too
                rng_of_list = random.Random(seed * 7919 + entry.random_stream)
                org.listed[entry.stream] = entry.generate(org, rng_of_list, now_s)
            from . import admin_scopes  # its endpoints import this module

            admin_scopes.generate(org, seed, now_s)  # from streams of their own too
            org.app_posture = app_posture.generate(org, seed, now_s)
        return org

    @staticmethod
    def _rand_chars(rng: random.Random, n: int) -> str:
        return "".join(rng.choices(_ID_ALPHABET, k=n))

    def _new_id(self, prefix: str, rng: random.Random | None = None) -> str:
        r = rng or self._rng
        while True:
            candidate = prefix + self._rand_chars(r, 17)
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def _link(self, path: str) -> str:
        return f"{self.domain_url}{path}"

    # --- users ----------------------------------------------------------------------

    def _generate_users(self, rng: random.Random, n: int, now_s: int) -> None:
        # Every status appears a few times even in tiny orgs, the rest by weight.
        statuses: list[str] = []
        if n >= len(USER_STATUSES):
            per = min(3, n // len(USER_STATUSES))
            statuses = [s for s in USER_STATUSES for _ in range(per)]
        statuses += rng.choices(USER_STATUSES, weights=_STATUS_WEIGHTS, k=n - len(statuses))
        rng.shuffle(statuses)
        logins: set[str] = set()
        ids: list[str] = []
        for i, status in enumerate(statuses):
            uid = self._new_id("00u", rng)
            created = now_s - rng.randint(2 * 3600, 3 * 365 * DAY)
            last_updated = rng.randint(created, max(created, now_s - 3600))
            user = self._build_user(rng, uid, status, created, last_updated, now_s, logins, ids)
            self.users[uid] = user
            ids.append(uid)
            if i < 3 and status == "ACTIVE":
                self.admin_ids.append(uid)
        if not self.admin_ids and ids:
            self.admin_ids = ids[:1]
        self._bump("users")

    def _build_user(
        self,
        rng: random.Random,
        uid: str,
        status: str,
        created: int,
        last_updated: int,
        now_s: int,
        logins: set[str],
        earlier_ids: list[str],
        profile_overrides: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{_slug(first)}.{_slug(last)}"
        login = f"{base}@example.com"
        n = 1
        while login in logins:
            n += 1
            login = f"{base}{n}@example.com"
        logins.add(login)

        activated = status_changed = last_login = password_changed = None
        if status == "STAGED":
            pass
        elif status == "PROVISIONED":
            activated = rng.randint(created, last_updated)
            status_changed = activated
        else:
            activated = rng.randint(created, last_updated)
            status_changed = rng.randint(activated, last_updated)
            if status == "DEPROVISIONED":
                status_changed = last_updated
            if rng.random() < 0.85:
                password_changed = rng.randint(activated, last_updated)
            if rng.random() < 0.85:
                last_login = rng.randint(activated, max(activated, now_s - 60))

        profile: dict[str, Any] = {
            "firstName": first,
            "lastName": last,
            "mobilePhone": f"+1 555-01{rng.randint(0, 99):02d}" if rng.random() < 0.4 else None,
            "secondEmail": f"{base}@personal.example.org" if rng.random() < 0.1 else None,
            "login": login,
            "email": login,
        }
        # Custom attributes: each present on only some users (sparse, like real orgs).
        if rng.random() < 0.5:
            profile["displayName"] = f"{first} {last}"
        if rng.random() < 0.7:
            profile["department"] = rng.choice(DEPARTMENTS)
        if rng.random() < 0.6:
            profile["title"] = rng.choice(TITLES)
        if rng.random() < 0.8:
            profile["employeeNumber"] = str(100000 + len(earlier_ids))
        if rng.random() < 0.4:
            profile["costCenter"] = f"CC-{rng.randint(1000, 9999)}"
        if earlier_ids and rng.random() < 0.5:
            profile["managerId"] = rng.choice(earlier_ids[-50:])
        if rng.random() < 0.6:
            profile["isContractor"] = rng.random() < 0.15
        if rng.random() < 0.5:
            profile["startDate"] = fmt_seconds(created)[:10]
        if rng.random() < 0.3:
            profile["badgeIds"] = [
                f"B{rng.randint(100000, 999999)}" for _ in range(rng.randint(1, 3))
            ]
        if rng.random() < 0.25:
            profile["clearanceLevel"] = rng.randint(1, 5)
        if rng.random() < 0.4:
            city, country = rng.choice(CITIES)
            profile["city"] = city
            profile["countryCode"] = country
        if profile_overrides:
            profile.update(profile_overrides)
        # Contractors have a user type of their own, with its own custom attributes.
        user_type = (
            meta.CONTRACTOR_TYPE if profile.get("isContractor") is True else meta.DEFAULT_TYPE
        )
        for name, value in meta.custom_user_values(uid, user_type, created, now_s).items():
            profile.setdefault(name, value)

        credentials: dict[str, Any] = {}
        if status not in ("STAGED", "PROVISIONED"):
            credentials["password"] = {}
        credentials["emails"] = [
            {"value": profile.get("email"), "status": "VERIFIED", "type": "PRIMARY"}
        ]
        if rng.random() < 0.1:
            credentials["recovery_question"] = {"question": "What is your favourite colour?"}
        credentials["provider"] = {"type": "OKTA", "name": "OKTA"}

        def ts(v: int | None) -> str | None:
            return None if v is None else fmt_seconds(v)

        return {
            "id": uid,
            "status": status,
            "created": fmt_seconds(created),
            "activated": ts(activated),
            "statusChanged": ts(status_changed),
            "lastLogin": ts(last_login),
            "lastUpdated": fmt_seconds(last_updated),
            "passwordChanged": ts(password_changed),
            "type": {"id": self.user_type_ids[user_type]},
            "profile": profile,
            "credentials": credentials,
            "_links": {"self": {"href": self._link(f"/api/v1/users/{uid}")}},
        }

    # --- groups ---------------------------------------------------------------------

    _GROUP_LOGOS: ClassVar[list[dict[str, str]]] = [
        {
            "name": "medium",
            "href": "https://ok11static.oktacdn.com/assets/img/logos/groups/"
            "okta-medium.d7fb831bc4e7e1a5d8bd35dfaf405d9e.png",
            "type": "image/png",
        },
        {
            "name": "large",
            "href": "https://ok11static.oktacdn.com/assets/img/logos/groups/"
            "okta-large.511fcb0de9da185b52589cb14d581c2c.png",
            "type": "image/png",
        },
    ]

    def _group_obj(
        self,
        gid: str,
        gtype: str,
        name: str,
        description: str | None,
        created: int,
        last_updated: int,
        last_membership: int,
        *,
        source_app: str | None = None,
        extra_profile: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        links: dict[str, Any] = {"logo": copy.deepcopy(self._GROUP_LOGOS)}
        if source_app:
            links["source"] = {"href": self._link(f"/api/v1/apps/{source_app}")}
        links["users"] = {"href": self._link(f"/api/v1/groups/{gid}/users")}
        links["apps"] = {"href": self._link(f"/api/v1/groups/{gid}/apps")}
        profile: dict[str, Any] = {"name": name, "description": description}
        profile.update(extra_profile or {})
        return {
            "id": gid,
            "created": fmt_seconds(created),
            "lastUpdated": fmt_seconds(last_updated),
            "lastMembershipUpdated": fmt_seconds(last_membership),
            "objectClass": (
                ["okta:windows_security_principal"] if gtype == "APP_GROUP" else ["okta:user_group"]
            ),
            "type": gtype,
            "profile": profile,
            "_links": links,
        }

    def _generate_groups(self, rng: random.Random, n: int, now_s: int) -> None:
        org_created = now_s - 3 * 365 * DAY - 30 * DAY
        everyone = self._new_id("00g", rng)
        self.everyone_id = everyone
        self.groups[everyone] = self._group_obj(
            everyone,
            "BUILT_IN",
            "Everyone",
            "All users in your organization",
            org_created,
            org_created,
            now_s - rng.randint(3600, 5 * DAY),
        )
        self.memberships[everyone] = set(self.users)
        # The directory app that APP_GROUPs come from is created with the apps, but its id
        # is needed now for the groups' _links.source.
        self._ad_app_id = self._new_id("0oa", rng)
        names: set[str] = {"Everyone"}
        regular: list[str] = []
        for i in range(n - 1):
            gtype = "APP_GROUP" if rng.random() < 0.25 else "OKTA_GROUP"
            base = rng.choice(DEPARTMENTS)
            suffix = rng.choice(("", "-Leads", "-EMEA", "-APAC", "-Contractors", "-Admins", ""))
            name = f"{base}{suffix}"
            if name in names:
                name = f"{name}-{i}"
            names.add(name)
            gid = self._new_id("00g", rng)
            created = now_s - rng.randint(2 * DAY, 3 * 365 * DAY)
            lu = rng.randint(created, now_s - 3600)
            lmu = rng.randint(created, now_s - 3600)
            if gtype == "APP_GROUP":
                sam = name.replace(" ", "")
                extra = {
                    "groupType": "Security",
                    "samAccountName": sam,
                    "objectSid": f"S-1-5-21-{rng.randint(10**9, 4 * 10**9)}-"
                    f"{rng.randint(1000, 9999)}",
                    "groupScope": "Global",
                    "dn": f"CN={sam},OU=Groups,DC=acme,DC=local",
                    "windowsDomainQualifiedName": f"ACME\\{sam}",
                    "externalId": self._rand_chars(rng, 22) + "==",
                }
                group = self._group_obj(
                    gid,
                    gtype,
                    name,
                    f"{name} (AD)",
                    created,
                    lu,
                    lmu,
                    source_app=self._ad_app_id,
                    extra_profile=extra,
                )
            else:
                desc = rng.choice((None, f"{name} team", ""))
                group = self._group_obj(
                    gid,
                    gtype,
                    name,
                    desc,
                    created,
                    lu,
                    lmu,
                    extra_profile=meta.custom_group_values(gid, name),
                )
            self.groups[gid] = group
            self.memberships[gid] = set()
            regular.append(gid)
        if regular:
            for uid in self.users:
                k = min(len(regular), rng.choice((0, 1, 1, 2, 2, 3, 4)))
                for gid in rng.sample(regular, k=k):
                    self.memberships[gid].add(uid)
        self._bump("groups")

    # --- apps -----------------------------------------------------------------------

    def _app_obj(
        self,
        aid: str,
        name: str,
        label: str,
        mode: str | None,
        status: str,
        created: int,
        last_updated: int,
        rng: random.Random,
    ) -> dict[str, Any]:
        tenant = self.org_id
        settings: dict[str, Any] = {
            "app": {},
            "notifications": {
                "vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None}
            },
            "manualProvisioning": False,
            "implicitAssignment": False,
            "notes": {"admin": None, "enduser": None},
        }
        credentials: dict[str, Any] = {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
        }
        links: dict[str, Any] = {}
        visibility: dict[str, Any] = {
            "autoLaunch": False,
            "autoSubmitToolbar": False,
            "hide": {"iOS": False, "web": False},
            "appLinks": {"login": True},
        }
        if mode == "SAML_2_0":
            credentials["signing"] = {"kid": self._rand_chars(rng, 43)}
            settings["app"] = {"subDomain": "acme", "audience_uri": None, "acs_url": None}
            settings["signOn"] = {
                "defaultRelayState": None,
                "ssoAcsUrlOverride": None,
                "audienceOverride": None,
                "recipientOverride": None,
                "destinationOverride": None,
                "attributeStatements": [],
                "configuredAttributeStatements": [
                    {
                        "type": "GROUP",
                        "name": "IMGroup",
                        "namespace": None,
                        "filterType": None,
                        "filterValue": None,
                    },
                ],
            }
            # Okta links some app pages on the -admin host; keep that quirk.
            links["help"] = {
                "href": self.domain_url.replace("://acme.", "://acme-admin.")
                + f"/app/{name}/{aid}/setup/help/SAML_2_0/external-doc",
                "type": "text/html",
            }
            links["metadata"] = {
                "href": self._link(f"/api/v1/apps/{aid}/sso/saml/metadata"),
                "type": "application/xml",
            }
        elif mode == "OPENID_CONNECT" and name == "oidc_client":
            credentials = {
                "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                "signing": {"kid": self._rand_chars(rng, 43)},
                "oauthClient": {
                    "autoKeyRotation": True,
                    "client_id": aid,
                    "client_secret": self._rand_chars(rng, 40) + "-" + self._rand_chars(rng, 23),
                    "token_endpoint_auth_method": "client_secret_basic",
                },
            }
            settings["oauthClient"] = {
                "client_uri": None,
                "logo_uri": None,
                "redirect_uris": [
                    f"https://{_slug(label)}.example.com/authorization-code/callback"
                ],
                "post_logout_redirect_uris": [],
                "response_types": ["code"],
                "grant_types": ["authorization_code", "refresh_token"],
                "application_type": "web",
                "consent_method": "REQUIRED",
                "issuer_mode": "DYNAMIC",
            }
        elif mode in ("BOOKMARK",):
            settings["app"] = {
                "requestIntegration": False,
                "url": f"https://{_slug(label)}.example.com/",
            }
        elif mode in ("AUTO_LOGIN", "BROWSER_PLUGIN", "SECURE_PASSWORD_STORE", "BASIC_AUTH"):
            credentials["scheme"] = "EDIT_USERNAME_AND_PASSWORD"
            credentials["revealPassword"] = False
            settings["app"] = {
                "url": f"https://{_slug(label)}.example.com/login",
                "loginUrlRegex": None,
            }
            if mode in _VAULTED_MODES:
                # Secrets app templates carry: a provisioning API token and, for
                # shared-credential apps, the shared password (never in a warehouse
                # unless include_client_secrets).
                settings["app"]["apiToken"] = sim_secret(aid, "apiToken")
                settings["app"]["tokenUrl"] = f"https://{_slug(label)}.example.com/token"
                if mode == "SECURE_PASSWORD_STORE":
                    credentials["scheme"] = "SHARED_USERNAME_AND_PASSWORD"
                    credentials["userName"] = f"shared@{_slug(label)}.example.com"
                    credentials["password"] = {"value": sim_secret(aid, "password")}
            if mode == "BROWSER_PLUGIN":
                settings["app"].update(
                    {
                        "buttonField": "btn-login",
                        "passwordField": "password",
                        "usernameField": "username",
                    }
                )
        elif mode == "WS_FEDERATION":
            settings["app"] = {
                "realm": f"urn:{_slug(label)}",
                "wReplyURL": f"https://{_slug(label)}.example.com/_trust/",
                "siteURL": f"https://{_slug(label)}.example.com/",
            }
        links.update(
            {
                "uploadLogo": {
                    "href": self._link(f"/api/v1/apps/{aid}/logo"),
                    "hints": {"allow": ["POST"]},
                },
                "appLinks": [
                    {
                        "name": "login",
                        "href": self._link(f"/home/{name}/{aid}/1835"),
                        "type": "text/html",
                    }
                ],
                "groups": {"href": self._link(f"/api/v1/apps/{aid}/groups")},
                "logo": [
                    {
                        "name": "medium",
                        "href": "https://ok12static.oktacdn.com/fs/bcg/4/"
                        + self._rand_chars(rng, 20),
                        "type": "image/png",
                    }
                ],
                "users": {"href": self._link(f"/api/v1/apps/{aid}/users")},
            }
        )
        if status == "ACTIVE":
            links["deactivate"] = {"href": self._link(f"/api/v1/apps/{aid}/lifecycle/deactivate")}
        else:
            links["activate"] = {"href": self._link(f"/api/v1/apps/{aid}/lifecycle/activate")}
        return {
            "id": aid,
            "orn": f"orn:okta:idp:{tenant}:apps:{name}:{aid}",
            "name": name,
            "label": label,
            "status": status,
            "lastUpdated": fmt_seconds(last_updated),
            "created": fmt_seconds(created),
            "accessibility": {
                "selfService": False,
                "errorRedirectUrl": None,
                "loginRedirectUrl": None,
            },
            "visibility": visibility,
            "features": [],
            "signOnMode": mode,
            "credentials": credentials,
            "universalLogout": None,
            "settings": settings,
            "_links": links,
        }

    def _builtin_admin_console(self, aid: str, created: int, rng: random.Random) -> dict[str, Any]:
        app = self._app_obj(
            aid,
            "saasure",
            "Okta Admin Console",
            "OPENID_CONNECT",
            "ACTIVE",
            created,
            created + 86400 * 30,
            rng,
        )
        app["visibility"] = {
            "autoSubmitToolbar": False,
            "hide": {"iOS": False, "web": False},
            "appLinks": {"admin": True},
        }
        app["credentials"] = {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {"kid": self._rand_chars(rng, 43)},
        }
        app["settings"].pop("notes", None)
        app["_links"]["appLinks"] = [
            {"name": "admin", "href": self._link(f"/home/saasure/{aid}/2"), "type": "text/html"}
        ]
        return app

    def _generate_apps(
        self, rng: random.Random, n: int, now_s: int, assignments: int | None = None
    ) -> None:
        org_created = now_s - 3 * 365 * DAY - 30 * DAY
        admin_console = self._new_id("0oa", rng)
        self.apps[admin_console] = self._builtin_admin_console(admin_console, org_created, rng)
        dashboard = self._new_id("0oa", rng)
        dash = self._app_obj(
            dashboard,
            "okta_enduser",
            "Okta Dashboard",
            "OPENID_CONNECT",
            "ACTIVE",
            org_created,
            org_created,
            rng,
        )
        self.apps[dashboard] = dash
        ad = self._ad_app_id
        self.apps[ad] = self._app_obj(
            ad,
            "active_directory",
            "acme.local",
            None,
            "ACTIVE",
            org_created + DAY,
            now_s - rng.randint(DAY, 60 * DAY),
            rng,
        )
        user_ids = [u for u, obj in self.users.items() if obj["status"] != "DEPROVISIONED"]
        app_groups = [g for g, obj in self.groups.items() if obj["type"] != "BUILT_IN"]
        active = set(user_ids)
        user_created = {uid: int(to_epoch_str(u["created"])) for uid, u in self.users.items()}
        # Rows per app while generating: user id -> (created, lastUpdated, flags).
        rows: dict[str, dict[str, tuple[int, int, int]]] = {}
        n_generated = 0
        for i in range(n - 3):
            name, label, mode = APP_CATALOG[i % len(APP_CATALOG)]
            if i >= len(APP_CATALOG):
                label = f"{label} {i // len(APP_CATALOG) + 1}"
                if name not in ("oidc_client", "bookmark"):
                    name = f"{name}_{i // len(APP_CATALOG) + 1}"
            aid = self._new_id("0oa", rng)
            created = now_s - rng.randint(DAY, 2 * 365 * DAY)
            lu = rng.randint(created, now_s - 3600)
            # The last one is always INACTIVE: the draws vary with the wall clock
            # (randint's rejection sampling over now-relative ranges), and every org
            # needs one to deactivate and delete.
            inactive = rng.random() < 0.2 and i > 0
            status = "INACTIVE" if inactive or i == n - 4 else "ACTIVE"
            self.apps[aid] = self._app_obj(aid, name, label, mode, status, created, lu, rng)
            self.app_groups[aid] = {}
            app_rows = rows[aid] = {}
            if label == "Company Wiki":
                # One app assigned to Everyone: a big apps/{id}/users collection.
                assigned = [self.everyone_id]
            else:
                assigned = rng.sample(app_groups, k=min(len(app_groups), rng.randint(0, 3)))
            for prio, gid in enumerate(assigned):
                self.app_groups[aid][gid] = (fmt_seconds(rng.randint(created, now_s - 3600)), prio)
                for uid in self.memberships[gid]:
                    if uid in active:
                        app_rows[uid] = self._gen_app_user(
                            rng, uid, 0, created, now_s, user_created
                        )
            if user_ids:
                frac = rng.uniform(0.01, 0.06)
                k = max(1, int(len(user_ids) * frac))
                if assignments is not None:
                    # Spread what is left of the budget over the apps still to come.
                    share = (assignments - n_generated) / (n - 3 - i)
                    k = min(len(user_ids), max(1, int(share * frac / 0.035) - len(app_rows)))
                for uid in rng.sample(user_ids, k=k):
                    app_rows[uid] = self._gen_app_user(
                        rng, uid, DIRECT, created, now_s, user_created
                    )
            n_generated += len(app_rows)
        for aid in (admin_console, dashboard, ad):
            self.app_groups[aid] = {}
            rows[aid] = {}
        for uid in self.admin_ids:
            rows[admin_console][uid] = self._gen_app_user(
                rng, uid, DIRECT, org_created, now_s, user_created
            )
        for aid, app_rows in rows.items():
            self.app_users[aid] = AppUserTable.from_rows(
                (uid, *row) for uid, row in app_rows.items()
            )
        self._bump("apps")

    @staticmethod
    def _gen_app_user(
        rng: random.Random,
        uid: str,
        flags: int,
        app_created: int,
        now_s: int,
        user_created: dict[str, int],
    ) -> tuple[int, int, int]:
        start = max(app_created, user_created[uid])
        created = rng.randint(start, max(start, now_s - 3600))
        lu = rng.randint(created, max(created, now_s - 3600))
        if rng.random() < 0.15:
            flags |= PROVISIONED
        if rng.random() < 0.3:
            flags |= SYNCHRONIZED
        return created, lu, flags

    # --- events ---------------------------------------------------------------------

    def _actor(self, uid: str) -> dict[str, Any]:
        actor = self._actor_cache.get(uid)
        if actor is None:
            u = self.users.get(uid)
            p = u["profile"] if u else {}
            actor = {
                "id": uid,
                "type": "User",
                "alternateId": p.get("login", "unknown"),
                "displayName": f"{p.get('firstName', '')} {p.get('lastName', '')}".strip(),
                "detailEntry": None,
            }
            self._actor_cache[uid] = actor
        return actor

    def _target(self, kind: str, oid: str) -> dict[str, Any]:
        key = (kind, oid)
        t = self._target_cache.get(key)
        if t is not None:
            return t
        if kind == "user":
            p = self.users[oid]["profile"] if oid in self.users else {}
            t = {
                "alternateId": p.get("login", "unknown"),
                "detailEntry": None,
                "displayName": f"{p.get('firstName', '')} {p.get('lastName', '')}".strip(),
                "id": oid,
                "type": "User",
            }
        elif kind == "appuser":
            p = self.users[oid]["profile"] if oid in self.users else {}
            t = {
                "alternateId": p.get("login", "unknown"),
                "detailEntry": None,
                "displayName": f"{p.get('firstName', '')} {p.get('lastName', '')}".strip(),
                "id": "0ua" + oid[3:],
                "type": "AppUser",
            }
        elif kind == "app":
            a = self.apps.get(oid, {})
            t = {
                "alternateId": a.get("label", oid),
                "detailEntry": {"signOnModeType": a.get("signOnMode")},
                "displayName": a.get("label", oid),
                "id": oid,
                "type": "AppInstance",
            }
        elif kind == "group":
            g = self.groups.get(oid, {})
            name = g.get("profile", {}).get("name", oid)
            t = {
                "alternateId": name,
                "detailEntry": None,
                "displayName": name,
                "id": oid,
                "type": "UserGroup",
            }
        elif kind == "policy":
            t = {
                "alternateId": "unknown",
                "detailEntry": {"policyType": "OktaSignOn"},
                "displayName": "Default Policy",
                "id": oid,
                "type": "PolicyEntity",
            }
        elif kind == "role":
            t = {
                "alternateId": "JBCUYUC7IRCVGS27IFCE2SKO",
                "detailEntry": None,
                "displayName": "Help Desk Administrator",
                "id": "HelpDeskAdmin",
                "type": "ROLE",
            }
        else:  # token
            t = {
                "alternateId": "unknown",
                "detailEntry": None,
                "displayName": "tap-okta",
                "id": oid,
                "type": "Token",
            }
        self._target_cache[key] = t
        return t

    def _make_event(
        self,
        rng: random.Random,
        kind: int,
        published_ms: int,
        stored_ms: int,
        overrides: dict[str, Any] | None = None,
    ) -> _Event:
        et = EVENT_TYPES[kind]
        user_ids = self._user_id_pool
        app_ids = self._app_id_pool
        group_ids = self._group_id_pool
        uid = rng.choice(user_ids) if user_ids else "00uunknownunknownun"
        if et.actor == "admin" and self.admin_ids:
            actor = self._actor(rng.choice(self.admin_ids))
        else:
            actor = self._actor(uid)
        targets: list[dict[str, Any]] = []
        for tk in et.targets:
            if tk in ("user", "appuser"):
                targets.append(self._target(tk, uid))
            elif tk == "app" and app_ids:
                targets.append(self._target("app", rng.choice(app_ids)))
            elif tk == "group" and group_ids:
                targets.append(self._target("group", rng.choice(group_ids)))
            elif tk == "policy":
                targets.append(self._target("policy", "00pnwlw0ondwQvdLM5d7"))
            elif tk in ("role", "token"):
                targets.append(self._target(tk, "00Tnwlw0oqkQmjg665d7"))
        failed = et.event_type in ("user.session.start", "user.authentication.auth_via_mfa") and (
            rng.random() < 0.08
        )
        if et.event_type == "policy.evaluate_sign_on":
            outcome = OUTCOME_ALLOW if rng.random() < 0.95 else OUTCOME_DENY
        elif failed:
            outcome = OUTCOME_FAIL
        else:
            outcome = OUTCOME_OK
        severity = "WARN" if failed or et.event_type == "user.account.lock" else "INFO"
        return _Event(
            seq=len(self._events),
            uuid=self._new_uuid(rng, published_ms),
            published_ms=published_ms,
            stored_ms=stored_ms,
            kind=kind,
            severity=severity,
            actor=actor,
            targets=tuple(targets),
            outcome=outcome,
            geo=rng.randrange(len(GEO)),
            agent=rng.randrange(len(USER_AGENTS)),
            overrides=overrides,
        )

    def _new_uuid(self, rng: random.Random, published_ms: int) -> str:
        # Okta's uuids are v1-like (time-based); uniqueness is what matters.
        while True:
            bits = rng.getrandbits(96)
            hi = (published_ms * 10_000) & 0xFFFFFFFFFFFF
            h = f"{hi:012x}{bits:024x}"
            u = f"{h[4:12]}-{h[0:4]}-11{h[14:16]}-{h[16:20]}-{h[20:32]}"
            if u not in self._uuids:
                self._uuids.add(u)
                return u

    def _refresh_pools(self) -> None:
        self._user_id_pool = list(self.users)
        self._app_id_pool = list(self.apps)
        self._group_id_pool = [g for g in self.groups if g != self.everyone_id]

    def _generate_events(self, rng: random.Random, n: int, now_ms: int) -> None:
        self._refresh_pools()
        span = 100 * DAY * 1000
        kinds = rng.choices(range(len(EVENT_TYPES)), weights=EVENT_WEIGHTS, k=n)
        i = 0
        while i < n:
            # Events come in bursts (a sign-in touches several event types within seconds),
            # and ~10% of the activity is in the last day.
            window = DAY * 1000 if rng.random() < 0.1 else span
            center = now_ms - rng.randint(3000, window)
            for _ in range(min(n - i, rng.choice((1, 1, 2, 3, 4, 6)))):
                published = center + rng.randint(0, 3000)
                # Usually persisted within 2 s (so `published` order and persistence order
                # differ a little); ~1% land 1-10 minutes late (the polling trap).
                lag = rng.randint(60_000, 600_000) if rng.random() < 0.01 else rng.randint(0, 2000)
                self._events.append(self._make_event(rng, kinds[i], published, published + lag))
                i += 1
        self._by_stored = sorted((e.stored_ms, e.seq) for e in self._events)
        self._by_published = sorted((e.published_ms, e.seq) for e in self._events)

    def materialize_event(self, ev: _Event) -> dict[str, Any]:
        et = EVENT_TYPES[ev.kind]
        city, country, state, postal, lat, lon, ip = GEO[ev.geo]
        browser, os_name, raw_ua = USER_AGENTS[ev.agent]
        geo = {
            "city": city,
            "country": country,
            "geolocation": {"lat": lat, "lon": lon},
            "postalCode": postal,
            "state": state,
        }
        txn = ev.uuid.replace("-", "")[:32]
        session = "102" + txn[:22]
        out: dict[str, Any] = {
            "actor": ev.actor,
            "authenticationContext": {
                "authenticationProvider": None,
                "authenticationStep": 0,
                "credentialProvider": None,
                "credentialType": None,
                "externalSessionId": session,
                "interface": None,
                "issuer": None,
                "rootSessionId": session,
            },
            "client": {
                "device": "Computer",
                "geographicalContext": geo,
                "id": None,
                "ipAddress": ip,
                "userAgent": {"browser": browser, "os": os_name, "rawUserAgent": raw_ua},
                "zone": "null",
            },
            "debugContext": {
                "debugData": {
                    "requestId": txn,
                    "requestUri": "/api/v1/authn",
                    "url": "/api/v1/authn?",
                }
            },
            "device": None,
            "displayMessage": et.display,
            "eventType": et.event_type,
            "legacyEventType": et.legacy,
            "outcome": ev.outcome,
            "published": fmt_ms(ev.published_ms),
            "request": {
                "ipChain": [{"geographicalContext": geo, "ip": ip, "source": None, "version": "V4"}]
            },
            "securityContext": {
                "asNumber": 7018,
                "asOrg": "at&t enterprises  llc",
                "domain": "sbcglobal.net",
                "isProxy": False,
                "isp": "att corp",
            },
            "severity": ev.severity,
            "target": list(ev.targets),
            "transaction": {"detail": {}, "id": txn, "type": "WEB"},
            "uuid": ev.uuid,
            "version": "0",
        }
        if et.actor == "admin":
            out["client"] = {
                "device": None,
                "geographicalContext": None,
                "id": None,
                "ipAddress": None,
                "userAgent": None,
                "zone": None,
            }
            out["request"] = {"ipChain": []}
            out["securityContext"] = {
                "asNumber": None,
                "asOrg": None,
                "domain": None,
                "ipDetails": None,
                "isProxy": None,
                "isp": None,
                "risk": None,
                "userBehaviors": None,
            }
            out["transaction"] = {"detail": {}, "id": txn, "type": "JOB"}
        if ev.overrides:
            out.update(ev.overrides)
        return out

    # ================================================================================
    # caches and versions
    # ================================================================================

    def _bump(self, collection: str) -> None:
        self._ver[collection] += 1
        if collection == "groups":
            self._member_cache.clear()
        elif collection == "apps":
            self._app_group_cache.clear()

    def _cached(self, key: tuple[Any, ...], collection: str, build: Callable[[], Any]) -> Any:
        ver = self._ver[collection]
        hit = self._cache.get(key)
        if hit is not None and hit[0] == ver:
            return hit[1]
        value = build()
        self._cache[key] = (ver, value)
        return value

    def sorted_ids(self, collection: str) -> list[str]:
        """Ids of users/groups/apps in id order (cached until the collection changes)."""
        store: dict[str, dict[str, Any]] = getattr(self, collection)
        result: list[str] = self._cached(("ids", collection), collection, lambda: sorted(store))
        return result

    def sort_keys(
        self, collection: str, attr: str, view: dict[str, dict[str, Any]] | None = None
    ) -> list[tuple[tuple[Any, ...], str]]:
        """[(sort key, id)] ordered by one attribute then id (keyset paging for search)."""

        def build(src: dict[str, dict[str, Any]]) -> list[tuple[tuple[Any, ...], str]]:
            return sorted((tuple(_sort_value(resolve(obj, attr))), oid) for oid, obj in src.items())

        if view is not None:
            return build(view)
        store: dict[str, dict[str, Any]] = getattr(self, collection)
        result: list[tuple[tuple[Any, ...], str]] = self._cached(
            ("sort", collection, attr), collection, lambda: build(store)
        )
        return result

    @staticmethod
    def sort_key_of(obj: dict[str, Any], attr: str) -> tuple[Any, ...]:
        return tuple(_sort_value(resolve(obj, attr)))

    def sorted_members(self, group_id: str) -> list[str]:
        ids = self._member_cache.get(group_id)
        if ids is None:
            ids = sorted(self.memberships.get(group_id, ()))
            self._member_cache[group_id] = ids
        return ids

    def sorted_app_users(self, app_id: str) -> list[str]:
        """The app's user ids in order: the live list, read it under the lock."""
        table = self.app_users.get(app_id)
        return table.ids if table is not None else []

    def sorted_app_groups(self, app_id: str) -> list[str]:
        ids = self._app_group_cache.get(app_id)
        if ids is None:
            ids = sorted(self.app_groups.get(app_id, {}))
            self._app_group_cache[app_id] = ids
        return ids

    def app_user_obj(self, app_id: str, user_id: str) -> dict[str, Any] | None:
        """The app user as the API renders it, or None when the user is not assigned."""
        table = self.app_users.get(app_id)
        row = table.get(user_id) if table is not None else None
        if table is None or row is None:
            return None
        extras = table.extras.get(user_id, {})
        login = self.users[user_id]["profile"].get("login") if user_id in self.users else None
        created = fmt_seconds(row.created)
        credentials: dict[str, Any] = {"userName": extras.get("userName", login)}
        if self.apps.get(app_id, {}).get("signOnMode") in _VAULTED_MODES:
            credentials["password"] = {"value": sim_secret(app_id, user_id, "password")}
        return {
            "id": user_id,
            "externalId": None,
            "created": created,
            "lastUpdated": fmt_seconds(row.last_updated),
            "scope": row.scope,
            "status": row.status,
            "statusChanged": created,
            "passwordChanged": None,
            "syncState": row.sync_state,
            "credentials": credentials,
            "profile": copy.deepcopy(extras.get("profile", {})),
            "_links": {
                "app": {"href": self._link(f"/api/v1/apps/{app_id}")},
                "user": {"href": self._link(f"/api/v1/users/{user_id}")},
            },
        }

    def app_group_obj(self, app_id: str, group_id: str) -> dict[str, Any] | None:
        """The group assignment as the API renders it, or None when there is none."""
        assignment = self.app_groups.get(app_id, {}).get(group_id)
        if assignment is None:
            return None
        lu, priority = assignment
        return {
            "id": group_id,
            "lastUpdated": lu,
            "priority": priority,
            "profile": {},
            "_links": {
                "app": {"href": self._link(f"/api/v1/apps/{app_id}")},
                "self": {"href": self._link(f"/api/v1/apps/{app_id}/groups/{group_id}")},
                "group": {"href": self._link(f"/api/v1/groups/{group_id}")},
            },
        }

    # --- search index lag -------------------------------------------------------------

    def _before_user_change(self, uid: str) -> None:
        """Call before mutating a user: remembers what search may still show."""
        if self.search_lag_seconds <= 0 and uid not in self._pending:
            return
        if uid not in self._pending:
            prev = self.users.get(uid)
            self._pending[uid] = [(float("-inf"), copy.deepcopy(prev) if prev else None)]

    def _after_user_change(self, uid: str) -> None:
        hist = self._pending.get(uid)
        if hist is not None:
            cur = self.users.get(uid)
            hist.append((time.monotonic(), copy.deepcopy(cur) if cur else None))

    def user_search_view(self) -> dict[str, dict[str, Any]] | None:
        """Users as the (lagging) search index sees them, or None when it is up to date."""
        if not self._pending:
            return None
        lag = self.search_lag_seconds
        horizon = time.monotonic() - max(lag, 0.0)
        overlay: dict[str, dict[str, Any] | None] = {}
        for uid in list(self._pending):
            hist = self._pending[uid]
            # Drop versions superseded by a newer version that is already visible.
            while len(hist) > 1 and hist[1][0] <= horizon:
                hist.pop(0)
            if len(hist) == 1:
                # Only the latest version is left and it is visible: index caught up.
                del self._pending[uid]
                continue
            overlay[uid] = hist[0][1]
        if not overlay:
            return None
        view = dict(self.users)
        for uid, version in overlay.items():
            if version is None:
                view.pop(uid, None)
            else:
                view[uid] = version
        return view

    # ================================================================================
    # mutation API
    # ================================================================================

    def _export(self, obj: _T) -> _T:
        """A deep copy as the API would render it (links on ``public_url``)."""
        text = json.dumps(obj, ensure_ascii=False)
        if self.public_url:
            text = text.replace(self.domain_url, self.public_url)
        return cast(_T, json.loads(text))

    def _stamp(self, at: datetime | None) -> int:
        return int(to_epoch(at)) if at is not None else int(self.clock.time())

    def _user(self, user_id: str) -> dict[str, Any]:
        try:
            return self.users[user_id]
        except KeyError:
            raise KeyError(f"no such user: {user_id}") from None

    def _group(self, group_id: str) -> dict[str, Any]:
        try:
            return self.groups[group_id]
        except KeyError:
            raise KeyError(f"no such group: {group_id}") from None

    def _app(self, app_id: str) -> dict[str, Any]:
        try:
            return self.apps[app_id]
        except KeyError:
            raise KeyError(f"no such app: {app_id}") from None

    def _touch_membership(self, group_id: str, ts: int) -> None:
        self.groups[group_id]["lastMembershipUpdated"] = fmt_seconds(ts)
        self._member_cache.pop(group_id, None)
        self._bump("groups")

    # --- fields a newer Okta adds ---------------------------------------------------------

    #: One top-level field per object kind that no schema of the tap names (a string,
    #: an object, a number), as a newer Okta would add them to its answers.
    NEW_FIELDS: ClassVar[dict[str, tuple[str, Any]]] = {
        "users": ("lifecycleReason", "ADMIN_ACTION"),
        "groups": ("sourceDirectory", {"type": "ACTIVE_DIRECTORY", "domain": "corp.example"}),
        "apps": ("priorityLevel", 3),
    }

    def add_new_fields(self) -> None:
        """Give every user, group and app its ``NEW_FIELDS`` field (no rng drawn, no
        event logged: a rollout, not a change an admin made)."""
        with self.lock:
            for kind, (name, value) in self.NEW_FIELDS.items():
                objects: dict[str, dict[str, Any]] = getattr(self, kind)
                for obj in objects.values():
                    obj[name] = copy.deepcopy(value)
                self._bump(kind)

    # --- System Log entries for directory changes --------------------------------------

    def _log_change(
        self,
        event_type: str,
        targets: list[dict[str, Any]],
        at: datetime | None,
        request_uri: str,
        *,
        debug: dict[str, Any] | None = None,
        outcome: dict[str, Any] | None = None,
    ) -> None:
        """Log a directory change as Okta does: an admin did it, SUCCESS, INFO.

        ``debug`` adds to ``debugContext.debugData`` (e.g. ``privilegeGranted``);
        ``outcome`` replaces the plain SUCCESS (e.g. a reason).

        ``published`` is the change's time (``at``, else now); the event is persisted now,
        so a past ``at`` makes a late event, as :meth:`add_event` models.  Build
        ``targets`` before removing an object: a target names the object as it was.
        """
        if not self.log_directory_changes:
            return
        now_ms = self.clock.now_ms()
        published = _epoch_ms(at) if at is not None else now_ms
        uuid = self._new_uuid(self._log_rng, published)
        # Admin events name the API call that made the change (requestId = transaction id).
        debug_data = {
            "requestId": uuid.replace("-", "")[:32],
            "requestUri": request_uri,
            "url": f"{request_uri}?",
        }
        if debug:
            debug_data.update(debug)
        actor = (
            self._actor(self._log_rng.choice(self.admin_ids)) if self.admin_ids else _SYSTEM_ACTOR
        )
        self._append_event(
            _Event(
                seq=len(self._events),
                uuid=uuid,
                published_ms=published,
                stored_ms=max(now_ms, published),
                kind=EVENT_TYPE_INDEX[event_type],
                severity="INFO",
                actor=actor,
                targets=tuple(targets),
                outcome=outcome or OUTCOME_OK,
                geo=0,
                agent=0,
                overrides={"debugContext": {"debugData": debug_data}},
            )
        )

    def _user_target(self, user_id: str) -> dict[str, Any]:
        return self._target("user", user_id)

    def _app_user_targets(self, app_id: str, user_id: str) -> list[dict[str, Any]]:
        # Okta's order for application.user_membership.*: AppUser, AppInstance, User.
        return [
            self._target("appuser", user_id),
            self._target("app", app_id),
            self._target("user", user_id),
        ]

    def _forget_targets(self, user_id: str) -> None:
        """A profile change renames the user in later events (earlier ones keep the old name)."""
        self._actor_cache.pop(user_id, None)
        self._target_cache.pop(("user", user_id), None)
        self._target_cache.pop(("appuser", user_id), None)

    # --- users -------------------------------------------------------------------------

    def create_user(
        self,
        status: str = "ACTIVE",
        profile: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Add a user (also to Everyone, which moves Everyone's lastMembershipUpdated).

        Logs ``user.lifecycle.create``.  Everyone's membership is implicit: Okta logs no
        ``group.user_membership.add`` for it.
        """
        if status not in USER_STATUSES:
            raise ValueError(f"unknown status {status}")
        with self.lock:
            ts = self._stamp(at)
            uid = self._new_id("00u")
            logins = {u["profile"].get("login") for u in self.users.values()}
            user = self._build_user(
                self._rng, uid, status, ts, ts, ts, logins, list(self.users)[-50:], profile
            )
            for k in ("activated", "statusChanged", "lastLogin", "passwordChanged"):
                if user[k] is not None:
                    user[k] = fmt_seconds(ts)
            if user["lastLogin"] is not None:
                user["lastLogin"] = None
            self._before_user_change(uid)
            self.users[uid] = user
            self._after_user_change(uid)
            self._bump("users")
            if self.everyone_id:
                self.memberships[self.everyone_id].add(uid)
                self._touch_membership(self.everyone_id, ts)
            self._refresh_pools()
            self._log_change("user.lifecycle.create", [self._user_target(uid)], at, "/api/v1/users")
            return self._export(user)

    def update_user_profile(
        self, user_id: str, changes: dict[str, Any], at: datetime | None = None
    ) -> dict[str, Any]:
        """Logs ``user.account.update_profile`` unless ``changes`` is empty (see touch_user)."""
        with self.lock:
            user = self._user(user_id)
            self._before_user_change(user_id)
            user["profile"].update(changes)
            if "email" in changes:
                user["credentials"]["emails"][0]["value"] = changes["email"]
            user["lastUpdated"] = fmt_seconds(self._stamp(at))
            self._after_user_change(user_id)
            self._forget_targets(user_id)
            self._bump("users")
            if changes:
                self._log_change(
                    "user.account.update_profile",
                    [self._user_target(user_id)],
                    at,
                    f"/api/v1/users/{user_id}",
                )
            return self._export(user)

    def set_user_status(
        self, user_id: str, status: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Logs the lifecycle event of the transition, if Okta has one (see _status_event)."""
        if status not in USER_STATUSES:
            raise ValueError(f"unknown status {status}")
        with self.lock:
            user = self._user(user_id)
            previous = user["status"]
            self._before_user_change(user_id)
            stamp = fmt_seconds(self._stamp(at))
            user["status"] = status
            user["statusChanged"] = stamp
            user["lastUpdated"] = stamp
            if status not in ("STAGED", "PROVISIONED", "DEPROVISIONED") and not user["activated"]:
                user["activated"] = stamp
            self._after_user_change(user_id)
            self._bump("users")
            logged = _status_event(previous, status)
            if logged is not None:
                event_type, operation = logged
                self._log_change(
                    event_type,
                    [self._user_target(user_id)],
                    at,
                    f"/api/v1/users/{user_id}/lifecycle/{operation}",
                )
            return self._export(user)

    def touch_user(self, user_id: str, at: datetime | None = None) -> dict[str, Any]:
        """Move lastUpdated only (e.g. a change to a field the tap does not see): no event."""
        return self.update_user_profile(user_id, {}, at=at)

    def delete_user(self, user_id: str, at: datetime | None = None) -> None:
        """Hard delete: gone from every list.  Okta deletes only DEPROVISIONED users.

        Logs ``user.lifecycle.delete.initiated`` and ``.completed``.  The user's group
        memberships and app assignments go with it, unlogged: Okta writes no event per
        membership, so the delete event is the only news of them.
        """
        with self.lock:
            user = self._user(user_id)
            if user["status"] != "DEPROVISIONED":
                raise ValueError(
                    f"cannot delete user {user_id} in status {user['status']}: "
                    "Okta deletes only DEPROVISIONED users (deactivate first)"
                )
            target = self._user_target(user_id)
            ts = self._stamp(at)
            self._before_user_change(user_id)
            del self.users[user_id]
            self._after_user_change(user_id)
            for gid, members in self.memberships.items():
                if user_id in members:
                    members.discard(user_id)
                    self._touch_membership(gid, ts)
            for table in self.app_users.values():
                table.pop(user_id)
            if user_id in self.admin_ids:
                self.admin_ids.remove(user_id)
            # Factors, admin roles and device links go too, unlogged (as in Okta).
            self._forget_user_security(user_id)
            self._bump("users")
            self._bump("apps")
            self._refresh_pools()
            uri = f"/api/v1/users/{user_id}"
            self._log_change("user.lifecycle.delete.initiated", [target], at, uri)
            self._log_change("user.lifecycle.delete.completed", [target], at, uri)

    # --- groups ------------------------------------------------------------------------

    def create_group(
        self,
        name: str,
        type: str = "OKTA_GROUP",
        at: datetime | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Logs ``group.lifecycle.create``."""
        if type not in GROUP_TYPES:
            raise ValueError(f"unknown group type {type}")
        with self.lock:
            ts = self._stamp(at)
            gid = self._new_id("00g")
            group = self._group_obj(
                gid,
                type,
                name,
                description,
                ts,
                ts,
                ts,
                source_app=getattr(self, "_ad_app_id", None) if type == "APP_GROUP" else None,
            )
            self.groups[gid] = group
            self.memberships[gid] = set()
            self._bump("groups")
            self._refresh_pools()
            self._log_change(
                "group.lifecycle.create", [self._target("group", gid)], at, "/api/v1/groups"
            )
            return self._export(group)

    def update_group_profile(
        self, group_id: str, changes: dict[str, Any], at: datetime | None = None
    ) -> dict[str, Any]:
        """Profile change: moves lastUpdated, not lastMembershipUpdated.

        Logs ``group.profile.update`` unless ``changes`` is empty.
        """
        with self.lock:
            group = self._group(group_id)
            group["profile"].update(changes)
            group["lastUpdated"] = fmt_seconds(self._stamp(at))
            self._target_cache.pop(("group", group_id), None)
            self._bump("groups")
            if changes:
                self._log_change(
                    "group.profile.update",
                    [self._target("group", group_id)],
                    at,
                    f"/api/v1/groups/{group_id}",
                )
            return self._export(group)

    def add_group_member(self, group_id: str, user_id: str, at: datetime | None = None) -> None:
        """Membership change: moves lastMembershipUpdated only (lastUpdated stays).

        Logs ``group.user_membership.add`` when the user was not a member yet.
        """
        with self.lock:
            self._group(group_id)
            self._user(user_id)
            added = user_id not in self.memberships[group_id]
            self.memberships[group_id].add(user_id)
            self._touch_membership(group_id, self._stamp(at))
            if added:
                self._log_membership("group.user_membership.add", group_id, user_id, at)
                uri = f"/api/v1/groups/{group_id}/users/{user_id}"
                for app_id in self._apps_assigned_to(group_id):
                    self._cover_app_user(app_id, user_id, at, uri)

    def remove_group_member(self, group_id: str, user_id: str, at: datetime | None = None) -> None:
        """Logs ``group.user_membership.remove`` when the user was a member."""
        with self.lock:
            self._group(group_id)
            removed = user_id in self.memberships[group_id]
            self.memberships[group_id].discard(user_id)
            self._touch_membership(group_id, self._stamp(at))
            if removed:
                self._log_membership("group.user_membership.remove", group_id, user_id, at)
                uri = f"/api/v1/groups/{group_id}/users/{user_id}"
                for app_id in self._apps_assigned_to(group_id):
                    self._uncover_app_user(app_id, user_id, at, uri)

    def _log_membership(
        self, event_type: str, group_id: str, user_id: str, at: datetime | None
    ) -> None:
        self._log_change(
            event_type,
            [self._user_target(user_id), self._target("group", group_id)],
            at,
            f"/api/v1/groups/{group_id}/users/{user_id}",
        )

    def delete_group(self, group_id: str, at: datetime | None = None) -> None:
        """Logs ``group.lifecycle.delete``; Everyone (BUILT_IN) cannot be deleted.

        Memberships and app assignments of the group go with it, unlogged (as in Okta).
        The app users that only the group covered go too, each logged
        (``application.user_membership.remove``) as when the group is unassigned.
        """
        with self.lock:
            group = self._group(group_id)
            if group["type"] == "BUILT_IN":
                raise ValueError(f"cannot delete the built-in group {group_id} (Everyone)")
            target = self._target("group", group_id)
            apps = self._apps_assigned_to(group_id)
            members = sorted(self.memberships[group_id])
            # Targets first: a delete event names the group as it was.
            self._log_change("group.lifecycle.delete", [target], at, f"/api/v1/groups/{group_id}")
            del self.groups[group_id]
            del self.memberships[group_id]
            for assignments in self.app_groups.values():
                assignments.pop(group_id, None)
            uri = f"/api/v1/groups/{group_id}"
            for app_id in apps:
                for user_id in members:
                    self._uncover_app_user(app_id, user_id, at, uri)
            self._forget_group_security(group_id)
            self._bump("groups")
            self._bump("apps")
            self._refresh_pools()

    # --- apps --------------------------------------------------------------------------

    def create_app(
        self,
        label: str,
        sign_on_mode: str | None = "BOOKMARK",
        *,
        name: str | None = None,
        status: str = "ACTIVE",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Logs ``application.lifecycle.create``."""
        with self.lock:
            ts = self._stamp(at)
            aid = self._new_id("0oa")
            if name is None:
                name = {"OPENID_CONNECT": "oidc_client", "BOOKMARK": "bookmark"}.get(
                    sign_on_mode or "", f"acme_{_slug(label)}_1"
                )
            app = self._app_obj(aid, name, label, sign_on_mode, status, ts, ts, self._rng)
            self.apps[aid] = app
            self.app_users[aid] = AppUserTable()
            self.app_groups[aid] = {}
            self._bump("apps")
            self._refresh_pools()
            self._log_change(
                "application.lifecycle.create", [self._target("app", aid)], at, "/api/v1/apps"
            )
            return self._export(app)

    def set_app_status(self, app_id: str, status: str, at: datetime | None = None) -> None:
        """Logs ``application.lifecycle.activate`` / ``.deactivate`` when the status changes."""
        if status not in ("ACTIVE", "INACTIVE"):
            raise ValueError(f"unknown app status {status}")
        with self.lock:
            app = self._app(app_id)
            changed = app["status"] != status
            app["status"] = status
            app["lastUpdated"] = fmt_seconds(self._stamp(at))
            self._bump("apps")
            if changed:
                operation = "activate" if status == "ACTIVE" else "deactivate"
                self._log_change(
                    f"application.lifecycle.{operation}",
                    [self._target("app", app_id)],
                    at,
                    f"/api/v1/apps/{app_id}/lifecycle/{operation}",
                )

    def delete_app(self, app_id: str, at: datetime | None = None) -> None:
        """Logs ``application.lifecycle.delete``; Okta deletes only INACTIVE apps.

        The app's user and group assignments go with it, unlogged (as in Okta).
        """
        with self.lock:
            app = self._app(app_id)
            if app["status"] != "INACTIVE":
                raise ValueError(
                    f"cannot delete app {app_id} in status {app['status']}: "
                    "Okta deletes only INACTIVE apps (deactivate first)"
                )
            target = self._target("app", app_id)
            del self.apps[app_id]
            self.app_users.pop(app_id, None)
            self.app_groups.pop(app_id, None)
            self._forget_app_security(app_id)
            app_posture.forget_app(self, app_id)
            self._bump("apps")
            self._refresh_pools()
            self._log_change("application.lifecycle.delete", [target], at, f"/api/v1/apps/{app_id}")

    # Assignments.  An app user has scope USER when assigned directly and GROUP when only
    # an assigned group covers it; a direct assignment wins.  Okta logs the app users
    # that come and go through groups one at a time, with the same
    # application.user_membership.* events and targets as direct ones (README, "App
    # assignments").

    def _table(self, app_id: str) -> AppUserTable:
        self._app(app_id)
        return self.app_users[app_id]

    def _apps_assigned_to(self, group_id: str) -> list[str]:
        return sorted(aid for aid, groups in self.app_groups.items() if group_id in groups)

    def _covered(self, app_id: str, user_id: str) -> bool:
        """Whether a group assigned to the app has the user as a member."""
        return any(user_id in self.memberships.get(g, ()) for g in self.app_groups[app_id])

    def _log_app_user(
        self, event_type: str, app_id: str, user_id: str, at: datetime | None, uri: str
    ) -> None:
        self._log_change(event_type, self._app_user_targets(app_id, user_id), at, uri)

    def _cover_app_user(self, app_id: str, user_id: str, at: datetime | None, uri: str) -> None:
        """A group assignment reached the user: a GROUP app user unless one exists."""
        table = self.app_users[app_id]
        if user_id in table or self.users[user_id]["status"] == "DEPROVISIONED":
            return
        stamp = self._stamp(at)
        table.put(user_id, stamp, stamp, 0)
        self._log_app_user("application.user_membership.add", app_id, user_id, at, uri)

    def _uncover_app_user(self, app_id: str, user_id: str, at: datetime | None, uri: str) -> None:
        """A group assignment left the user: its GROUP app user goes unless still covered."""
        table = self.app_users[app_id]
        row = table.get(user_id)
        if row is None or row.flags & DIRECT or self._covered(app_id, user_id):
            return
        table.pop(user_id)
        self._log_app_user("application.user_membership.remove", app_id, user_id, at, uri)

    def assign_app_user(
        self, app_id: str, user_id: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Assign the user directly (scope USER).

        Logs ``application.user_membership.add`` for a new app user.  A user the app
        had through a group becomes USER-scoped, logged as
        ``application.user_membership.update`` (the simulator's choice: the catalogue
        documents no event for this conversion).  Assigning again logs nothing.
        """
        with self.lock:
            table = self._table(app_id)
            self._user(user_id)
            row = table.get(user_id)
            stamp = self._stamp(at)
            uri = f"/api/v1/apps/{app_id}/users"
            if row is None:
                table.put(user_id, stamp, stamp, DIRECT)
                self._log_app_user("application.user_membership.add", app_id, user_id, at, uri)
            elif not row.flags & DIRECT:
                table.put(user_id, row.created, stamp, row.flags | DIRECT)
                self._log_app_user("application.user_membership.update", app_id, user_id, at, uri)
            return cast(dict[str, Any], self._export(self.app_user_obj(app_id, user_id)))

    def unassign_app_user(self, app_id: str, user_id: str, at: datetime | None = None) -> None:
        """Remove the user's direct assignment: logs ``application.user_membership.remove``.

        While an assigned group covers the user, Okta refuses (403 E0000046 "Deactivate
        application for user forbidden": "The application cannot be unassigned from the
        user while their group memberships grant them access"), whatever the scope:
        ``ValueError`` here; remove the membership or the group's assignment instead.
        Nothing assigned: nothing happens.
        """
        with self.lock:
            table = self.app_users.get(app_id)
            if table is None or user_id not in table:
                return
            if self._covered(app_id, user_id):
                raise ValueError(
                    f"user {user_id} has app {app_id} through a group: Okta refuses to "
                    "unassign it (E0000046); remove the group membership or the group's "
                    "assignment instead"
                )
            target = self._app_user_targets(app_id, user_id)
            table.pop(user_id)
            self._log_change(
                "application.user_membership.remove",
                target,
                at,
                f"/api/v1/apps/{app_id}/users/{user_id}",
            )

    def update_app_user(
        self,
        app_id: str,
        user_id: str,
        *,
        profile: dict[str, Any] | None = None,
        user_name: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """An admin edits an app user: its app profile and/or ``credentials.userName``.

        Moves lastUpdated.  Logs ``application.user_membership.update`` for a profile
        change and ``application.user_membership.change_username`` for a new user name
        (Okta's event-type catalogue).  ``KeyError`` when the user is not assigned.
        """
        with self.lock:
            table = self._table(app_id)
            row = table.get(user_id)
            if row is None:
                raise KeyError(f"user {user_id} is not assigned to app {app_id}")
            extras = table.extras.setdefault(user_id, {})
            uri = f"/api/v1/apps/{app_id}/users/{user_id}"
            table.put(user_id, row.created, self._stamp(at), row.flags)
            if profile is not None and profile != extras.get("profile", {}):
                extras["profile"] = copy.deepcopy(profile)
                self._log_app_user("application.user_membership.update", app_id, user_id, at, uri)
            if user_name is not None and user_name != extras.get("userName"):
                extras["userName"] = user_name
                self._log_app_user(
                    "application.user_membership.change_username", app_id, user_id, at, uri
                )
            return cast(dict[str, Any], self._export(self.app_user_obj(app_id, user_id)))

    def recompute_app_user_profile(
        self, app_id: str, user_id: str, profile: dict[str, Any], at: datetime | None = None
    ) -> None:
        """Okta re-applies the app's profile mappings (say, after a mapping edit).

        The app user's profile and lastUpdated change and nothing is logged: a change
        the System Log does not show, which only a complete read of ``app_users`` sees.
        ``KeyError`` when the user is not assigned.
        """
        with self.lock:
            table = self._table(app_id)
            row = table.get(user_id)
            if row is None:
                raise KeyError(f"user {user_id} is not assigned to app {app_id}")
            table.extras.setdefault(user_id, {})["profile"] = copy.deepcopy(profile)
            table.put(user_id, row.created, self._stamp(at), row.flags)

    def assign_app_group(
        self, app_id: str, group_id: str, at: datetime | None = None, priority: int | None = None
    ) -> dict[str, Any]:
        """Logs ``group.application_assignment.add`` for a new assignment.

        Then each member the app did not have yet gets a GROUP app user, logged one at
        a time (``application.user_membership.add``, in user id order).  Assigning
        again logs nothing (a new ``priority`` is :meth:`update_app_group`).
        """
        with self.lock:
            self._app(app_id)
            self._group(group_id)
            added = group_id not in self.app_groups[app_id]
            if added:
                prio = priority if priority is not None else len(self.app_groups[app_id])
                self.app_groups[app_id][group_id] = (fmt_seconds(self._stamp(at)), prio)
                self._app_group_cache.pop(app_id, None)
                self._log_app_group("group.application_assignment.add", app_id, group_id, at)
                uri = f"/api/v1/apps/{app_id}/groups/{group_id}"
                for user_id in sorted(self.memberships[group_id]):
                    self._cover_app_user(app_id, user_id, at, uri)
            return cast(dict[str, Any], self._export(self.app_group_obj(app_id, group_id)))

    def update_app_group(
        self, app_id: str, group_id: str, priority: int, at: datetime | None = None
    ) -> dict[str, Any]:
        """A new priority: logs ``group.application_assignment.update`` when it changes."""
        with self.lock:
            self._app(app_id)
            current = self.app_groups[app_id].get(group_id)
            if current is None:
                raise KeyError(f"group {group_id} is not assigned to app {app_id}")
            if current[1] != priority:
                self.app_groups[app_id][group_id] = (fmt_seconds(self._stamp(at)), priority)
                self._log_app_group("group.application_assignment.update", app_id, group_id, at)
            return cast(dict[str, Any], self._export(self.app_group_obj(app_id, group_id)))

    def unassign_app_group(self, app_id: str, group_id: str, at: datetime | None = None) -> None:
        """Logs ``group.application_assignment.remove`` when the group was assigned.

        Then the members' GROUP app users that no other assigned group covers go, each
        logged (``application.user_membership.remove``); direct ones stay.
        """
        with self.lock:
            self._app(app_id)
            if self.app_groups[app_id].pop(group_id, None) is None:
                return
            self._app_group_cache.pop(app_id, None)
            self._log_app_group("group.application_assignment.remove", app_id, group_id, at)
            uri = f"/api/v1/apps/{app_id}/groups/{group_id}"
            for user_id in sorted(self.memberships.get(group_id, ())):
                self._uncover_app_user(app_id, user_id, at, uri)

    def _log_app_group(
        self, event_type: str, app_id: str, group_id: str, at: datetime | None
    ) -> None:
        # Okta's order for group.application_assignment.*: UserGroup, then AppInstance.
        self._log_change(
            event_type,
            [self._target("group", group_id), self._target("app", app_id)],
            at,
            f"/api/v1/apps/{app_id}/groups/{group_id}",
        )

    # --- System Log -------------------------------------------------------------------

    def add_event(
        self,
        event_type: str = "user.session.start",
        published: datetime | None = None,
        stored_at: datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Append an event; ``published`` in the past + default ``stored_at`` = a late event.

        ``fields`` replace top-level keys of the event (``actor=``, ``target=``,
        ``outcome=``, ``severity=`` ...).  Returns the event as the API will show it.
        Directory-change types (memberships, assignments, lifecycle) need ``target=``:
        random targets would report changes that never happened; the mutation methods
        log those events with their real targets.
        """
        if event_type in MUTATION_ONLY_EVENT_TYPES and "target" not in fields:
            raise ValueError(
                f"{event_type} events come from the mutation methods (or pass target=)"
            )
        with self.lock:
            now_ms = self.clock.now_ms()
            pub = int(to_epoch(published) * 1000) if published is not None else now_ms
            # Default: persisted now (a past ``published`` makes it a late event).
            stored = int(to_epoch(stored_at) * 1000) if stored_at is not None else now_ms
            stored = max(stored, pub)
            kind = EVENT_TYPE_INDEX.get(event_type)
            overrides = dict(fields)
            if kind is None:
                kind = 0
                overrides.setdefault("eventType", event_type)
                overrides.setdefault("legacyEventType", None)
                overrides.setdefault("displayMessage", event_type)
            if not self._user_id_pool_ok():
                self._refresh_pools()
            ev = self._make_event(self._rng, kind, pub, stored, overrides or None)
            self._append_event(ev)
            return self._export(self.materialize_event(ev))

    def _append_event(self, ev: _Event) -> None:
        self._events.append(ev)
        insort(self._by_stored, (ev.stored_ms, ev.seq))
        insort(self._by_published, (ev.published_ms, ev.seq))

    def _user_id_pool_ok(self) -> bool:
        return hasattr(self, "_user_id_pool")

    def add_events(
        self, n: int, *, event_type: str | None = None, spread_seconds: float = 0.0
    ) -> list[dict[str, Any]]:
        """``n`` random events published now (or spread over the last ``spread_seconds``)."""
        with self.lock:
            out = []
            now = self.clock.time()
            for _ in range(n):
                et = (
                    event_type
                    or self._rng.choices(
                        [e.event_type for e in EVENT_TYPES], weights=EVENT_WEIGHTS
                    )[0]
                )
                pub = now - self._rng.uniform(0, spread_seconds) if spread_seconds else now
                out.append(self.add_event(et, published=_dt(pub), stored_at=_dt(now)))
            return out

    def event_at(self, seq: int) -> _Event:
        return self._events[seq]

    # ================================================================================
    # auth administration
    # ================================================================================

    def add_api_token(
        self,
        token: str,
        *,
        name: str = "sim-admin",
        permissions: Iterable[str] = ALL_FAMILIES,
        expires_at: datetime | None = None,
    ) -> Principal:
        with self.lock:
            principal = Principal(name, set(permissions), expires_at)
            self.api_tokens[token] = principal
            return principal

    def revoke_api_token(self, token: str) -> None:
        with self.lock:
            self.api_tokens.pop(token, None)

    def register_service_app(
        self,
        client_id: str | None = None,
        *,
        scopes: Iterable[str] = ALL_READ_SCOPES,
        key_type: str = "RSA",
        require_dpop: bool = False,
        permissions: Iterable[str] = ALL_FAMILIES,
    ) -> ServiceApp:
        """A service app with a fresh key pair (PKCS#8 PEM private key handed back)."""
        key = generate_private_key(key_type)
        with self.lock:
            cid = client_id or self._new_id("0oa")
            kid = new_kid()
            app = ServiceApp(
                client_id=cid,
                scopes=set(scopes),
                require_dpop=require_dpop,
                permissions=set(permissions),
                key_id=kid,
                private_key_pem=private_key_pem(key),
                private_key=key,
                public_key=key.public_key(),
            )
            app.keys[kid] = app.public_key
            self.service_apps[cid] = app
            self._kid_owner[kid] = (cid, app.public_key)
            return app

    def add_key(self, client_id: str, public_key: Any, kid: str) -> None:
        """Register another public key (object, PEM or JWK) for an existing service app."""
        key = load_public_key(public_key)
        with self.lock:
            app = self.service_apps[client_id]
            app.keys[kid] = key
            self._kid_owner[kid] = (client_id, key)

    def remove_key(self, client_id: str, kid: str) -> None:
        with self.lock:
            self.service_apps[client_id].keys.pop(kid, None)
            self._kid_owner.pop(kid, None)

    def key_owner(self, kid: Any) -> tuple[ServiceApp, PublicKey] | None:
        if not isinstance(kid, str) or kid not in self._kid_owner:
            return None
        cid, key = self._kid_owner[kid]
        app = self.service_apps.get(cid)
        return (app, key) if app else None

    def issue_token(
        self, client_id: str, scopes: list[str], *, jkt: str | None = None
    ) -> IssuedToken:
        with self.lock:
            now = self.clock.now()
            tok = IssuedToken(
                access_token=random_token(),
                client_id=client_id,
                scopes=list(scopes),
                issued_at=now,
                expires_at=_dt(now.timestamp() + self.token_lifetime_seconds),
                jkt=jkt,
            )
            self.issued_tokens.append(tok)
            self._tokens[tok.access_token] = tok
            return tok

    def find_token(self, access_token: str) -> IssuedToken | None:
        return self._tokens.get(access_token)

    def revoke_token(self, access_token: str) -> None:
        with self.lock:
            tok = self._tokens.get(access_token)
            if tok:
                tok.revoked = True

    def current_dpop_nonce(self) -> str:
        with self.lock:
            now = time.time()
            fresh = [
                n
                for n, t in self._dpop_nonces.items()
                if now - t < self.dpop_nonce_lifetime_seconds / 2
            ]
            if fresh:
                return fresh[-1]
            nonce = self._rand_chars(random.Random(), 32)
            self._dpop_nonces[nonce] = now
            return nonce

    def dpop_nonce_valid(self, nonce: str) -> bool:
        issued = self._dpop_nonces.get(nonce)
        return issued is not None and time.time() - issued < self.dpop_nonce_lifetime_seconds

    def rotate_dpop_nonces(self) -> None:
        """Forget every nonce: the next DPoP request gets use_dpop_nonce again."""
        with self.lock:
            self._dpop_nonces.clear()

    def invalidate_cursors(self) -> None:
        """Every ``after`` cursor issued so far becomes "Invalid cursor."."""
        with self.lock:
            self.cursor_epoch += 1

    # ================================================================================
    # profile schemas and user types (/api/v1/meta)
    # ================================================================================

    _TYPE_NAMES: ClassVar[dict[str, tuple[str, str]]] = {
        meta.DEFAULT_TYPE: ("User", "Okta user profile template with default permission settings"),
        meta.CONTRACTOR_TYPE: ("Contractor", "Agency staff"),
    }

    def add_user_attribute(
        self, name: str, attribute: dict[str, Any], user_type: str = meta.DEFAULT_TYPE
    ) -> None:
        """An admin adds a custom attribute to a user type's profile (Profile Editor)."""
        with self.lock:
            self.custom_user_attributes[user_type][name] = copy.deepcopy(attribute)

    def add_group_attribute(self, name: str, attribute: dict[str, Any]) -> None:
        """An admin adds a custom attribute to the group profile."""
        with self.lock:
            self.custom_group_attributes[name] = copy.deepcopy(attribute)

    def user_type_key(self, type_id: str) -> str | None:
        """``meta.DEFAULT_TYPE`` or ``meta.CONTRACTOR_TYPE`` for a user type id."""
        return next((k for k, v in self.user_type_ids.items() if v == type_id), None)

    def user_type_obj(self, key: str) -> dict[str, Any]:
        type_id, schema_id = self.user_type_ids[key], self.user_schema_ids[key]
        display, description = self._TYPE_NAMES[key]
        return meta.user_type_obj(
            type_id=type_id,
            name=key,
            display_name=display,
            description=description,
            default=key == meta.DEFAULT_TYPE,
            links={
                "schema": {
                    "rel": "schema",
                    "href": self._link(f"/api/v1/meta/schemas/user/{schema_id}"),
                    "method": "GET",
                },
                "self": {
                    "rel": "self",
                    "href": self._link(f"/api/v1/meta/types/user/{type_id}"),
                    "method": "GET",
                },
            },
        )

    def user_schema(self, schema_ref: str) -> dict[str, Any] | None:
        """``/api/v1/meta/schemas/user/{default | schema id}``, or None (404)."""
        if schema_ref == "default":
            key: str | None = meta.DEFAULT_TYPE
        else:
            key = next((k for k, v in self.user_schema_ids.items() if v == schema_ref), None)
        if key is None:
            return None
        display, description = self._TYPE_NAMES[key]
        path = f"/api/v1/meta/schemas/user/{self.user_schema_ids[key]}"
        return meta.profile_schema(
            # Okta names the default type's schema ".../meta/schemas/user/default".
            schema_url=self._link(f"/meta/schemas/user/{schema_ref}"),
            name="user",
            title=display,
            description=description,
            base=meta.BASE_USER_ATTRIBUTES,
            custom=self.custom_user_attributes[key],
            links={
                "self": {"rel": "self", "href": self._link(path), "method": "GET"},
                "type": {
                    "rel": "type",
                    "href": self._link(f"/api/v1/meta/types/user/{self.user_type_ids[key]}"),
                    "method": "GET",
                },
            },
        )

    def group_schema(self) -> dict[str, Any]:
        """``/api/v1/meta/schemas/group/default``."""
        return meta.profile_schema(
            schema_url=self._link("/meta/schemas/group/default"),
            name="group",
            title="Okta group",
            description="Okta group profile template",
            base=meta.BASE_GROUP_ATTRIBUTES,
            custom=self.custom_group_attributes,
            links={
                "self": {
                    "href": self._link("/api/v1/meta/schemas/group/default"),
                    "method": "GET",
                }
            },
        )

    # ================================================================================
    # query helpers for tests (deep copies: mutate freely)
    # ================================================================================

    def get_user(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            return self._export(self._user(user_id))

    def all_users(self) -> list[dict[str, Any]]:
        with self.lock:
            return self._export([self.users[i] for i in self.sorted_ids("users")])

    def users_by_status(self) -> dict[str, list[str]]:
        with self.lock:
            out: dict[str, list[str]] = {s: [] for s in USER_STATUSES}
            for uid in self.sorted_ids("users"):
                out[self.users[uid]["status"]].append(uid)
            return out

    def all_groups(self) -> list[dict[str, Any]]:
        with self.lock:
            return self._export([self.groups[i] for i in self.sorted_ids("groups")])

    def group_members(self, group_id: str) -> list[str]:
        with self.lock:
            return list(self.sorted_members(group_id))

    def all_apps(self) -> list[dict[str, Any]]:
        with self.lock:
            return self._export([self.apps[i] for i in self.sorted_ids("apps")])

    def app_user_ids(self, app_id: str, scope: str | None = None) -> list[str]:
        """The app's user ids in order; ``scope`` "USER" or "GROUP" keeps only those."""
        with self.lock:
            ids = self.sorted_app_users(app_id)
            if scope is None:
                return list(ids)
            table = self.app_users[app_id]
            want = scope == "USER"
            return [u for u in ids if bool(cast(Any, table.get(u)).flags & DIRECT) == want]

    def removable_app_user_ids(self, app_id: str) -> list[str]:
        """The app users ``unassign_app_user`` can remove: direct, and no group covers them."""
        with self.lock:
            table = self.app_users[app_id]
            return [
                u
                for u in table.ids
                if cast(Any, table.get(u)).flags & DIRECT and not self._covered(app_id, u)
            ]

    def app_user(self, app_id: str, user_id: str) -> dict[str, Any] | None:
        """The app user as ``GET /api/v1/apps/{app}/users/{user}`` shows it, or None."""
        with self.lock:
            return self._export(self.app_user_obj(app_id, user_id))

    def app_group_ids(self, app_id: str) -> list[str]:
        with self.lock:
            return list(self.sorted_app_groups(app_id))

    def snapshot(self) -> dict[str, set[Any]]:
        """What a warehouse loaded from this org should hold now: table -> primary keys.

        ``group_members`` covers every group, Everyone included; pairs are
        (group id, user id), (app id, user id) and (app id, group id).  The security
        streams follow, named as the tap names them (``user_roles``: (user id,
        assignment id), ``user_factors``: (user id, factor id), ``policies`` of the
        enabled types only ...; see ``security.py``).
        """
        from . import admin_scopes  # its endpoints import this module

        with self.lock:
            return {
                "users": set(self.users),
                "groups": set(self.groups),
                "group_members": {
                    (gid, uid) for gid, members in self.memberships.items() for uid in members
                },
                "apps": set(self.apps),
                "app_users": {
                    (aid, uid) for aid, assigned in self.app_users.items() for uid in assigned
                },
                "app_groups": {
                    (aid, gid) for aid, assigned in self.app_groups.items() for gid in assigned
                },
                **self._security_snapshot(),
                **{stream: set(objects) for stream, objects in self.listed.items()},
                **admin_scopes.snapshot(self),
                **self.app_posture.snapshot(self),
            }

    # --- plain lists (plain_lists.py) ------------------------------------------------

    def _plain_list(self, stream: str) -> PlainList:
        return next(entry for entry in PLAIN_LISTS if entry.stream == stream)

    def _listed_target(self, entry: PlainList, obj: dict[str, Any]) -> dict[str, Any]:
        name = obj.get("name") or obj["id"]
        return {
            "alternateId": name,
            "detailEntry": None,
            "displayName": name,
            "id": obj["id"],
            "type": entry.target_type,
        }

    def add_listed(self, stream: str, obj: dict[str, Any], at: datetime | None = None) -> None:
        """An admin adds ``obj`` (with its ``id``) to a plain list; Okta logs it."""
        entry = self._plain_list(stream)
        with self.lock:
            self.listed[stream][obj["id"]] = obj
            if entry.create_event:
                target = self._listed_target(entry, obj)
                self._log_change(entry.create_event[0], [target], at, entry.path)

    def remove_listed(self, stream: str, oid: str, at: datetime | None = None) -> None:
        """An admin removes one object of a plain list (a revoked token ...); Okta logs it."""
        entry = self._plain_list(stream)
        with self.lock:
            target = self._listed_target(entry, self.listed[stream][oid])
            del self.listed[stream][oid]
            if entry.delete_event:
                self._log_change(entry.delete_event[0], [target], at, f"{entry.path}/{oid}")

    def event_visible(self, ev: _Event, now_ms: int) -> bool:
        retention_ms = now_ms - self.log_retention_days * DAY * 1000
        return ev.stored_ms <= now_ms and ev.published_ms >= retention_ms

    def visible_events(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Retained and persisted events, in persistence order (what polling returns)."""
        with self.lock:
            now_ms = int(to_epoch(now) * 1000) if now else self.clock.now_ms()
            return [
                self._export(self.materialize_event(self._events[seq]))
                for _, seq in self._by_stored
                if self.event_visible(self._events[seq], now_ms)
            ]

    def event_uuids(self, now: datetime | None = None) -> set[str]:
        with self.lock:
            now_ms = int(to_epoch(now) * 1000) if now else self.clock.now_ms()
            return {e.uuid for e in self._events if self.event_visible(e, now_ms)}

    @property
    def event_count(self) -> int:
        return len(self._events)


def _status_event(previous: str, status: str) -> tuple[str, str] | None:
    """(event type, lifecycle operation) Okta logs when an admin moves a user's status.

    None for moves that are no admin lifecycle call (password expiry, recovery, a lockout
    by failed sign-ins) or no move at all.
    """
    if previous == status:
        return None
    if status == "DEPROVISIONED":
        return "user.lifecycle.deactivate", "deactivate"
    if status == "SUSPENDED":
        return "user.lifecycle.suspend", "suspend"
    if status == "ACTIVE" and previous == "SUSPENDED":
        return "user.lifecycle.unsuspend", "unsuspend"
    if status == "ACTIVE" and previous == "LOCKED_OUT":
        return "user.account.unlock_by_admin", "unlock"
    if status in ("ACTIVE", "PROVISIONED") and previous in ("STAGED", "DEPROVISIONED"):
        return "user.lifecycle.activate", "activate"
    return None


def _epoch_ms(when: datetime) -> int:
    """Whole milliseconds since the epoch, exactly (a float epoch can land 1 ms early)."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def to_epoch_str(ts: str) -> float:
    from .clock import parse_iso

    return parse_iso(ts).timestamp()
