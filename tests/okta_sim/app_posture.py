"""Per-app posture and the org's own settings: scope grants, provisioning, ThreatInsight.

- ``GET /api/v1/apps/{appId}/grants``: the Okta API scopes granted to an app
  (OAuth2ScopeConsentGrant, not paged). OAuth apps (OIDC, service apps) hold them;
  another app answers an empty list. Scope ``okta.appGrants.read``.
- ``GET /api/v1/apps/{appId}/features``: USER_PROVISIONING / INBOUND_PROVISIONING
  (ApplicationFeature). An app whose provisioning is not enabled is refused with
  400 E0000001 "Api validation failed: feature" (Okta's example
  ErrorAppFeatureAPIValidationFailed). Scope ``okta.apps.read``.
- ``GET /api/v1/apps/{appId}/connections/default``: the provisioning connection
  (ProvisioningConnectionResponse: no token, only its scheme). ``okta.apps.read``.
- ``GET /api/v1/org`` (OrgSetting, ``okta.orgs.read``) and
  ``GET /api/v1/threats/configuration`` (ThreatInsightConfiguration,
  ``okta.threatInsights.read``). Okta documents no Classic / Identity Engine
  difference for any of these; ``org.disabled_features.add("threatInsights")`` is an
  org without ThreatInsight (401 E0000015), ``"appGrants"`` one that refuses grants.

Everything is drawn from random streams of its own (``RANDOM_STREAMS``), after the rest
of the org, so adding it changed no other object. Mutations log the events Okta's
event-type catalogue lists: ``app.oauth2.admin.consent.grant`` / ``.revoke`` (an admin
grants or revokes an Okta API scope; target: the app) and
``application.lifecycle.update`` (an app's settings, provisioning included).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .endpoints import Ctx, Result
    from .org import Org

#: ``random.Random(seed * 7919 + k)`` for grants, features, org settings and the ids of
#: mutations (``plain_lists.RESERVED_RANDOM_STREAMS`` holds them too; plain lists take
#: 7-14, and benchmarks/large_org.py's changes 17).
RANDOM_STREAMS = {"grants": 21, "features": 22, "org": 23, "mutations": 24}
#: The tap's streams these endpoints serve (``Org.snapshot()`` keys).
STREAMS = ("app_grants", "app_features", "org_settings")
#: Permission families (scope ``okta.<family>.read``) these endpoints add.
FAMILIES = ("appGrants", "orgs", "threatInsights")
GRANTED = "app.oauth2.admin.consent.grant"
REVOKED = "app.oauth2.admin.consent.revoke"
APP_UPDATED = "application.lifecycle.update"
#: (event type, display message) for the simulator's event-type catalogue.
EVENTS = (
    (GRANTED, "Admin consent granted for an app's Okta API scope"),
    (REVOKED, "Admin consent revoked for an app's Okta API scope"),
    (APP_UPDATED, "Update application"),
)
DAY = 86400
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_READ_SCOPES = ("okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read")
_MANAGE_SCOPES = ("okta.users.manage", "okta.groups.manage", "okta.apps.manage")
# Catalog apps that can push users (SCIM or an API connector).
_PROVISIONING_APPS = frozenset({"salesforce", "slack", "zoomus", "workday", "github"})


def _fmt(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _chars(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


@dataclass
class AppPosture:
    """The org's per-app grants and provisioning, and its settings."""

    #: app id -> grant id -> grant
    grants: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: app id -> features (only apps whose provisioning is enabled)
    features: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    threat_insight: dict[str, Any] = field(default_factory=dict)
    #: The ids its mutations draw (the directory's mutations keep theirs).
    rng: random.Random = field(default_factory=random.Random)

    def objects(self, stream: str) -> list[dict[str, Any]]:
        """One stream's objects as the API renders them, in key order, each with its
        ``app_id`` as the tap writes it (``connection`` on each feature)."""
        if stream == "app_grants":
            return [
                {**self.grants[a][g], "app_id": a}
                for a in sorted(self.grants)
                for g in sorted(self.grants[a])
            ]
        if stream == "app_features":
            return [
                {**f, "app_id": a, "connection": self.connections.get(a)}
                for a in sorted(self.features)
                for f in sorted(self.features[a], key=lambda f: str(f["name"]))
            ]
        return [{**self.settings, "threat_insight": self.threat_insight}]

    def snapshot(self, org: Org) -> dict[str, set[Any]]:
        """Keys a warehouse holds: (app_id, grant id), (app_id, feature name), org id."""
        return {
            "app_grants": {(a, g) for a, grants in self.grants.items() for g in grants},
            "app_features": {(a, f["name"]) for a, fs in self.features.items() for f in fs},
            "org_settings": {self.settings["id"]},
        }


def catalog_name(app: dict[str, Any]) -> str:
    """The app's catalog name without the ``_2`` of a second instance."""
    return re.sub(r"_\d+$", "", str(app.get("name") or ""))


def is_oauth_app(app: dict[str, Any]) -> bool:
    """An OAuth client the org made (not Okta's own built-in apps)."""
    return app.get("signOnMode") == "OPENID_CONNECT" and catalog_name(app) == "oidc_client"


def application_type(org: Org, app_id: str) -> str | None:
    """An OIDC app's client type (settings.oauthClient.application_type)."""
    settings = org.apps[app_id].get("settings") or {}
    return (settings.get("oauthClient") or {}).get("application_type")


def make_service_app(app: dict[str, Any]) -> None:
    """An API Services app: client credentials, no redirect (Okta's client type service)."""
    client = app["settings"]["oauthClient"]
    client.update(
        application_type="service",
        grant_types=["client_credentials"],
        response_types=["token"],
        redirect_uris=[],
    )
    app["credentials"]["oauthClient"]["token_endpoint_auth_method"] = "private_key_jwt"


def grant_obj(org: Org, app: dict[str, Any], grant_id: str, scope: str, at: int) -> dict[str, Any]:
    """A grant as Okta's ListAppGrantsEx shows one."""
    app_id = app["id"]
    client_id = ((app.get("credentials") or {}).get("oauthClient") or {}).get("client_id") or app_id
    return {
        "id": grant_id,
        "status": "ACTIVE",
        "created": _fmt(at),
        "createdBy": {"id": org.admin_ids[0] if org.admin_ids else "00u0", "type": "User"},
        "lastUpdated": _fmt(at),
        "issuer": org.domain_url,
        "clientId": client_id,
        "scopeId": scope,
        "source": "ADMIN",
        "_embedded": {"scope": {"id": scope}},
        "_links": {
            "app": {"href": org._link(f"/api/v1/apps/{app_id}"), "title": app.get("label")},
            "self": {
                "href": org._link(f"/api/v1/apps/{app_id}/grants/{grant_id}"),
                "hints": {"allow": ["GET", "DELETE"]},
            },
            "client": {"href": org._link(f"/oauth2/v1/clients/{client_id}")},
        },
    }


def feature_obj(
    org: Org, app_id: str, name: str, *, create: bool, deactivate: bool, profile: bool
) -> dict[str, Any]:
    """USER_PROVISIONING as Okta's AppFeatureListResponseEx shows it."""

    def status(on: bool) -> dict[str, str]:
        return {"status": "ENABLED" if on else "DISABLED"}

    return {
        "name": name,
        "status": "ENABLED",
        "description": "User provisioning settings from Okta to a downstream application",
        "capabilities": {
            "create": {"lifecycleCreate": status(create)},
            "update": {
                "profile": status(profile),
                "lifecycleDeactivate": status(deactivate),
                "password": {"status": "DISABLED", "seed": "RANDOM", "change": "KEEP_EXISTING"},
            },
        },
        "_links": {
            "self": {
                "href": org._link(f"/api/v1/apps/{app_id}/features/{name}"),
                "hints": {"allow": ["GET", "PUT"]},
            }
        },
    }


def generate(org: Org, seed: int, now_s: int) -> AppPosture:
    posture = AppPosture(rng=random.Random(seed * 7919 + RANDOM_STREAMS["mutations"]))
    rng = random.Random(seed * 7919 + RANDOM_STREAMS["grants"])
    oauth_apps = [a for a in sorted(org.apps) if is_oauth_app(org.apps[a])]
    for index, app_id in enumerate(oauth_apps):
        app = org.apps[app_id]
        scopes = rng.sample(_READ_SCOPES, rng.randint(0, 3))
        # Some service apps hold a manage scope (the first always): the finding a
        # review looks for.
        if index == 0 or rng.random() < 0.4:
            scopes.append(rng.choice(_MANAGE_SCOPES))
        if index % 2 == 0:
            # Every other one (the first too) is a service app, the kind Okta API scopes
            # are granted to; the rest are web apps, whose manage scope is no finding.
            make_service_app(app)
        posture.grants[app_id] = {}
        for scope in scopes:
            grant_id = "oag" + _chars(rng, 17)
            at = now_s - rng.randint(DAY, 400 * DAY)
            posture.grants[app_id][grant_id] = grant_obj(org, app, grant_id, scope, at)
    rng = random.Random(seed * 7919 + RANDOM_STREAMS["features"])
    pushing = [a for a in sorted(org.apps) if catalog_name(org.apps[a]) in _PROVISIONING_APPS]
    for index, app_id in enumerate(pushing):
        # The first two always provision (one without deactivation, one with), the
        # others by chance.
        if index > 1 and rng.random() < 0.3:
            continue
        # Some push new users but never deactivate them: accounts outlive offboarding.
        deactivate = index == 1 or (index > 1 and rng.random() < 0.6)
        posture.features[app_id] = [
            feature_obj(
                org, app_id, "USER_PROVISIONING", create=True, deactivate=deactivate, profile=True
            )
        ]
        posture.connections[app_id] = {
            "authScheme": "TOKEN",
            "status": "ENABLED",
            "baseUrl": f"https://scim.example.com/{app_id}/scim/v2",
            "profile": {"authScheme": "TOKEN"},
            "_links": {
                "self": {
                    "href": org._link(f"/api/v1/apps/{app_id}/connections/default"),
                    "hints": {"allow": ["GET", "POST"]},
                }
            },
        }
    rng = random.Random(seed * 7919 + RANDOM_STREAMS["org"])
    created = now_s - rng.randint(400 * DAY, 2000 * DAY)
    subdomain = org.domain_url.split("//")[-1].split(".")[0]
    posture.settings = {
        "id": org.org_id,
        "companyName": subdomain.capitalize() + " Corp",
        "subdomain": subdomain,
        "website": f"https://www.{subdomain}.example.com",
        "address1": "100 1st St",
        "address2": None,
        "city": "San Francisco",
        "state": "California",
        "country": "United States",
        "postalCode": "94105",
        "phoneNumber": "+14155550100",
        "supportPhoneNumber": "+14155550101",
        "endUserSupportHelpURL": None,
        "status": "ACTIVE",
        "created": _fmt(created),
        "lastUpdated": _fmt(rng.randint(created, now_s - DAY)),
        "expiresAt": None,
        "_links": {
            "preferences": {"href": org._link("/api/v1/org/preferences")},
            "oktaSupport": {"href": org._link("/api/v1/org/privacy/oktaSupport")},
            "contacts": {"href": org._link("/api/v1/org/contacts")},
        },
    }
    ti_created = rng.randint(created, now_s - DAY)
    posture.threat_insight = {
        "action": rng.choice(("none", "audit", "block")),
        "excludeZones": [],
        "created": _fmt(ti_created),
        "lastUpdated": _fmt(rng.randint(ti_created, now_s - DAY)),
        "_links": {
            "self": {
                "href": org._link("/api/v1/threats/configuration"),
                "hints": {"allow": ["GET", "POST"]},
            }
        },
    }
    return posture


# --- mutations (an admin in the Admin Console), each logged ---------------------------


def grant_scope(org: Org, app_id: str, scope: str, at: datetime | None = None) -> str:
    """An admin grants ``scope`` to an OAuth app; returns the grant id."""
    with org.lock:
        app = org.apps[app_id]
        grant_id = "oag" + _chars(org.app_posture.rng, 17)
        now_s = int(org.clock.time())
        org.app_posture.grants.setdefault(app_id, {})[grant_id] = grant_obj(
            org, app, grant_id, scope, now_s
        )
        org._log_change(GRANTED, [org._target("app", app_id)], at, f"/api/v1/apps/{app_id}/grants")
    return grant_id


def revoke_grant(org: Org, app_id: str, grant_id: str, at: datetime | None = None) -> None:
    with org.lock:
        del org.app_posture.grants[app_id][grant_id]
        uri = f"/api/v1/apps/{app_id}/grants/{grant_id}"
        org._log_change(REVOKED, [org._target("app", app_id)], at, uri)


def set_deprovisioning(org: Org, app_id: str, enabled: bool, at: datetime | None = None) -> None:
    """An admin turns "Deactivate Users" of an app's provisioning on or off."""
    with org.lock:
        for feature in org.app_posture.features[app_id]:
            if feature["name"] == "USER_PROVISIONING":
                lifecycle = feature["capabilities"]["update"]["lifecycleDeactivate"]
                lifecycle["status"] = "ENABLED" if enabled else "DISABLED"
        uri = f"/api/v1/apps/{app_id}/features/USER_PROVISIONING"
        org._log_change(APP_UPDATED, [org._target("app", app_id)], at, uri)


def disable_provisioning(org: Org, app_id: str, at: datetime | None = None) -> None:
    """An admin turns an app's provisioning off: its features list is refused again."""
    with org.lock:
        org.app_posture.features.pop(app_id, None)
        org.app_posture.connections.pop(app_id, None)
        uri = f"/api/v1/apps/{app_id}/connections/default/lifecycle/deactivate"
        org._log_change(APP_UPDATED, [org._target("app", app_id)], at, uri)


def forget_app(org: Org, app_id: str) -> None:
    """The app was deleted: its grants and provisioning go with it."""
    org.app_posture.grants.pop(app_id, None)
    org.app_posture.features.pop(app_id, None)
    org.app_posture.connections.pop(app_id, None)


# --- endpoints ------------------------------------------------------------------------


def _app(ctx: Ctx, app_id: str) -> dict[str, Any]:
    from .endpoints import ApiError

    app = ctx.org.apps.get(app_id)
    if app is None:
        raise ApiError(404, errors.not_found(app_id, "AppInstance"))
    return app


def list_grants(ctx: Ctx, app_id: str) -> Result:
    from .endpoints import Result

    _app(ctx, app_id)
    grants = ctx.org.app_posture.grants.get(app_id, {})
    return Result(200, [grants[k] for k in sorted(grants)])


def list_features(ctx: Ctx, app_id: str) -> Result:
    from .endpoints import ApiError, Result

    _app(ctx, app_id)
    features = ctx.org.app_posture.features.get(app_id)
    if features is None:
        raise ApiError(
            400,
            errors.okta_error(
                "E0000001",
                "Api validation failed: feature",
                ["Provisioning is not enabled for the app instance."],
            ),
        )
    return Result(200, features)


def get_connection(ctx: Ctx, app_id: str) -> Result:
    from .endpoints import Result

    _app(ctx, app_id)
    connection = ctx.org.app_posture.connections.get(app_id)
    if connection is None:
        return Result(200, {"status": "DISABLED", "profile": {"authScheme": "NONE"}})
    return Result(200, connection)


def get_org(ctx: Ctx) -> Result:
    from .endpoints import Result

    return Result(200, ctx.org.app_posture.settings)


def get_threat_insight(ctx: Ctx) -> Result:
    from .endpoints import Result

    return Result(200, ctx.org.app_posture.threat_insight)


_Handler = Callable[..., "Result"]
ROUTES: tuple[tuple[re.Pattern[str], _Handler, str], ...] = (
    (re.compile(r"^/api/v1/apps/([^/]+)/grants$"), list_grants, "appGrants"),
    (re.compile(r"^/api/v1/apps/([^/]+)/features$"), list_features, "apps"),
    (re.compile(r"^/api/v1/apps/([^/]+)/connections/default$"), get_connection, "apps"),
    (re.compile(r"^/api/v1/org$"), get_org, "orgs"),
    (re.compile(r"^/api/v1/threats/configuration$"), get_threat_insight, "threatInsights"),
)
