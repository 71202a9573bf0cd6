"""Plain read-only lists, each declared once: its data and its route.

A plain list is what many of Okta's configuration endpoints are: ``GET`` answers a
bare array of objects with an ``id``, paged with ``Link`` headers in id order or not
paged at all. One ``PlainList`` entry is all the simulator needs to serve one:

- the route (``server.ROUTES``), its permission family (``ALL_FAMILIES``) and the
  scope ``okta.<family>.read`` (``ALL_READ_SCOPES``, the token endpoint's check);
- its page sizes (``endpoints.PAGE_SIZES``), or none;
- its objects, made by ``generate`` from a random stream of its own, so that adding
  a list changes no other object of a generated org (``tests/test_simulator_lists.py``
  checks it);
- the warehouse's view (``Org.snapshot()``, ``Org.snapshot_objects()``, keyed by the
  tap's stream name, ``SECURITY_STREAMS``);
- the System Log events its mutations (``Org.add_listed``/``Org.remove_listed``)
  log, which join the event-type catalogue (``catalog.EVENT_TYPES``).

Turning the list off as an org without the feature: ``org.disabled_features.add(family)``
(401 E0000015, ``features.py``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .app_posture import RANDOM_STREAMS as APP_POSTURE_STREAMS

if TYPE_CHECKING:
    from .org import Org

#: The random streams ``Org`` draws from, ``random.Random(seed * 7919 + k)``: the
#: directory's mutations (1), the System Log (2), profile metadata (3), security
#: generation, mutations and later fields (4, 5, 6), app posture (app_posture.py), role
#: targets and group owners (25, 26: admin_scopes.py, checked by test_role_targets). A
#: plain list takes another k.
RESERVED_RANDOM_STREAMS = frozenset({1, 2, 3, 4, 5, 6, *APP_POSTURE_STREAMS.values()})


@dataclass(frozen=True)
class PlainList:
    """One plain list endpoint of the simulated org."""

    #: The tap's stream name, also the key of ``Org.snapshot()``.
    stream: str
    path: str
    #: The permission family; its endpoints need the scope ``okta.<family>.read``.
    family: str
    #: ``k`` of its own random stream, ``random.Random(seed * 7919 + k)``.
    random_stream: int
    #: The objects by id, made from the org (its admins, its clock) and the stream.
    generate: Callable[[Org, random.Random, int], dict[str, dict[str, Any]]]
    #: (default, largest) page size; None: not paged, every object at once.
    page_sizes: tuple[int, int] | None = None
    #: The key of the object whose list it answers (``{"domains": [...]}``); None: a
    #: bare array.
    records_key: str | None = None
    #: The System Log target type of one object, and the events that add and remove one.
    target_type: str = ""
    create_event: tuple[str, str] | None = None  # (event type, display message)
    delete_event: tuple[str, str] | None = None

    @property
    def scope(self) -> str:
        return f"okta.{self.family}.read"

    def events(self) -> tuple[tuple[str, str], ...]:
        return tuple(e for e in (self.create_event, self.delete_event) if e)


DAY = 86400
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _fmt(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _chars(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


# --- API tokens (Okta's ApiToken: metadata only, never the token's value) --------------

_TOKEN_NAMES = ("Terraform", "SCIM bridge", "Okta Workflows", "Backup export", "SIEM", "HR sync")
# tokenWindow: how long the token may sit idle before it expires (ISO 8601 duration).
_TOKEN_WINDOWS = ("P30D", "P30D", "P7D", "PT5M", "P90D")


def api_token_obj(org: Org, token_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An API token as ``GET /api/v1/api-tokens`` renders it, after Okta's example."""
    return {
        "id": token_id,
        "clientName": "Okta API",
        **fields,
        "_links": {
            "self": {
                "href": org._link(f"/api/v1/api-tokens/{token_id}"),
                "hints": {"allow": ["GET", "DELETE"]},
            },
            "user": {
                "href": org._link(f"/api/v1/users/{fields['userId']}"),
                "hints": {"allow": ["GET"]},
            },
        },
    }


def generate_api_tokens(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    """One to three active tokens per admin, created in the last year, some limited to a
    network zone; and one of a former admin since deactivated: Okta rejects it while
    its user is not ACTIVE, but keeps listing it (it works again on reactivation)."""
    tokens: dict[str, dict[str, Any]] = {}
    zones = sorted(org.zones)

    def add(user_id: str) -> None:
        token_id = "00T" + _chars(rng, 17)
        created = now_s - rng.randint(2 * DAY, 365 * DAY)
        fields: dict[str, Any] = {
            "name": f"{rng.choice(_TOKEN_NAMES)} {rng.randint(1, 9)}",
            "userId": user_id,
            "tokenWindow": rng.choice(_TOKEN_WINDOWS),
            "created": _fmt(created),
            "lastUpdated": _fmt(rng.randint(created, now_s - DAY)),
            "expiresAt": _fmt(now_s + rng.randint(DAY, 30 * DAY)),
        }
        if rng.random() < 0.6:
            fields["network"] = {"connection": "ANYWHERE"}
        elif zones and rng.random() < 0.5:
            # Only from one zone (Okta's ApiToken network condition); otherwise no
            # network object at all, which Okta treats as anywhere.
            fields["network"] = {"connection": "ZONE", "include": [rng.choice(zones)]}
        tokens[token_id] = api_token_obj(org, token_id, fields)

    for admin in org.admin_ids:
        for _ in range(rng.randint(1, 3)):
            add(admin)
    former = sorted(uid for uid, u in org.users.items() if u["status"] == "DEPROVISIONED")
    if former:
        add(rng.choice(former))
    return tokens


API_TOKENS = PlainList(
    stream="api_tokens",
    path="/api/v1/api-tokens",
    family="apiTokens",
    random_stream=7,
    generate=generate_api_tokens,
    target_type="Token",
    create_event=("system.api_token.create", "Create API token"),
    delete_event=("system.api_token.revoke", "Revoke API token"),
)

# --- log streams (Okta's LogStream: the System Log sent to a SIEM) ---------------------

_AWS_REGIONS = ("us-east-1", "us-east-2", "eu-west-1", "eu-central-1")


def generate_log_streams(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    """One to three streams, AWS EventBridge or Splunk Cloud; some deactivated."""
    streams: dict[str, dict[str, Any]] = {}
    for n in range(rng.randint(1, 3)):
        stream_id = "0oa" + _chars(rng, 17)
        created = now_s - rng.randint(DAY, 400 * DAY)
        if rng.random() < 0.5:
            kind, settings = (
                "aws_eventbridge",
                {
                    "accountId": str(rng.randint(10**11, 10**12 - 1)),
                    "eventSourceName": f"okta-{n}",
                    "region": rng.choice(_AWS_REGIONS),
                },
            )
        else:
            # Okta takes the HEC token on create and does not list it back.
            kind, settings = (
                "splunk_cloud_logstreaming",
                {"edition": "aws", "host": f"acme{n}.splunkcloud.com"},
            )
        status = "INACTIVE" if rng.random() < 0.25 else "ACTIVE"
        link = org._link(f"/api/v1/logStreams/{stream_id}")
        lifecycle = "activate" if status == "INACTIVE" else "deactivate"
        streams[stream_id] = {
            "id": stream_id,
            "type": kind,
            "name": f"SIEM {kind.split('_')[0]} {n + 1}",
            "lastUpdated": _fmt(rng.randint(created, now_s)),
            "created": _fmt(created),
            "status": status,
            "settings": settings,
            "_links": {
                "self": {"href": link, "method": "GET"},
                lifecycle: {"href": f"{link}/lifecycle/{lifecycle}", "method": "POST"},
            },
        }
    return streams


LOG_STREAMS = PlainList(
    stream="log_streams",
    path="/api/v1/logStreams",
    family="logStreams",
    random_stream=8,
    generate=generate_log_streams,
    page_sizes=(20, 200),
    target_type="LogStream",
    create_event=("system.log_stream.lifecycle.create", "Create log stream"),
    delete_event=("system.log_stream.lifecycle.delete", "Delete log stream"),
)


# --- event and inline hooks (their channel carries the secret Okta sends) --------------

_HOOK_EVENTS = (
    "user.lifecycle.create",
    "user.lifecycle.deactivate",
    "group.user_membership.add",
    "user.session.start",
    "application.user_membership.add",
)


def hook_channel(rng: random.Random, uri: str, version: str = "1.0.0") -> dict[str, Any]:
    """An HTTP channel with a header auth scheme and one extra header, both carrying
    secret values (Okta lists them back; the tap blanks them)."""
    return {
        "type": "HTTP",
        "version": version,
        "config": {
            "uri": uri,
            "method": "POST",
            "headers": [{"key": "X-Hook-Key", "value": "hk-" + _chars(rng, 24)}],
            "authScheme": {
                "type": "HEADER",
                "key": "Authorization",
                "value": "Bearer " + _chars(rng, 32),
            },
        },
    }


def generate_event_hooks(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    hooks: dict[str, dict[str, Any]] = {}
    for n in range(rng.randint(1, 4)):
        hook_id = "who" + _chars(rng, 17)
        created = now_s - rng.randint(DAY, 500 * DAY)
        hooks[hook_id] = {
            "id": hook_id,
            "status": "ACTIVE" if rng.random() < 0.8 else "INACTIVE",
            "verificationStatus": "VERIFIED" if rng.random() < 0.9 else "UNVERIFIED",
            "name": f"Event hook {n + 1}",
            "description": None,
            "created": _fmt(created),
            "createdBy": rng.choice(org.admin_ids) if org.admin_ids else None,
            "lastUpdated": _fmt(rng.randint(created, now_s)),
            "events": {
                "type": "EVENT_TYPE",
                "items": rng.sample(_HOOK_EVENTS, rng.randint(1, 3)),
                "filter": None,
            },
            "channel": hook_channel(rng, f"https://hooks{n}.example.com/okta/events"),
            "_links": {"self": {"href": org._link(f"/api/v1/eventHooks/{hook_id}")}},
        }
    return hooks


EVENT_HOOKS = PlainList(
    stream="event_hooks",
    path="/api/v1/eventHooks",
    family="eventHooks",
    random_stream=9,
    generate=generate_event_hooks,
    target_type="EventHook",
    create_event=("event_hook.created", "Event hook created"),
    delete_event=("event_hook.deleted", "Event hook deleted"),
)

_INLINE_HOOK_TYPES = (
    "com.okta.oauth2.tokens.transform",
    "com.okta.saml.tokens.transform",
    "com.okta.import.transform",
    "com.okta.user.pre-registration",
)


def generate_inline_hooks(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    hooks: dict[str, dict[str, Any]] = {}
    for n, kind in enumerate(rng.sample(_INLINE_HOOK_TYPES, rng.randint(1, 3))):
        hook_id = "cal" + _chars(rng, 17)
        created = now_s - rng.randint(DAY, 500 * DAY)
        link = org._link(f"/api/v1/inlineHooks/{hook_id}")
        hooks[hook_id] = {
            "id": hook_id,
            "status": "ACTIVE" if rng.random() < 0.8 else "INACTIVE",
            "name": f"Inline hook {n + 1}",
            "type": kind,
            "version": "1.0.0",
            "channel": hook_channel(rng, f"https://inline{n}.example.com/okta/{kind}"),
            "created": _fmt(created),
            "lastUpdated": _fmt(rng.randint(created, now_s)),
            "_links": {"self": {"href": link}, "execute": {"href": f"{link}/execute"}},
        }
    return hooks


INLINE_HOOKS = PlainList(
    stream="inline_hooks",
    path="/api/v1/inlineHooks",
    family="inlineHooks",
    random_stream=10,
    generate=generate_inline_hooks,
    target_type="InlineHook",
    create_event=("inline_hook.created", "Inline hook created"),
    delete_event=("inline_hook.deleted", "Inline hook deleted"),
)

# --- custom domains (Okta answers {"domains": [...]}, verified and pending alike) ------

_VALIDATION = ("VERIFIED", "VERIFIED", "COMPLETED", "IN_PROGRESS", "NOT_STARTED")


def generate_domains(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    """One or two custom domains; an Okta-managed or a manually uploaded certificate."""
    domains: dict[str, dict[str, Any]] = {}
    for name in rng.sample(("login", "id", "sso", "auth"), rng.randint(1, 2)):
        domain_id = "OcD" + _chars(rng, 17)
        fqdn = f"{name}.example.com"
        status = rng.choice(_VALIDATION)
        obj: dict[str, Any] = {
            "id": domain_id,
            "domain": fqdn,
            "brandId": "bnd" + _chars(rng, 17),
            "certificateSourceType": rng.choice(("MANUAL", "OKTA_MANAGED")),
            "validationStatus": status,
            "dnsRecords": [
                {
                    "fqdn": f"_oktaverification.{fqdn}",
                    "recordType": "TXT",
                    "values": [_chars(rng, 32).lower()],
                },
                {
                    "fqdn": fqdn,
                    "recordType": "CNAME",
                    "values": [f"{_chars(rng, 8).lower()}.customdomains.okta.com"],
                },
            ],
            "_links": {"self": {"href": org._link(f"/api/v1/domains/{domain_id}")}},
        }
        if status in ("VERIFIED", "COMPLETED"):
            obj["publicCertificate"] = {
                "subject": f"CN={fqdn}",
                "fingerprint": ":".join(_chars(rng, 2).upper() for _ in range(20)),
                "expiration": _fmt(now_s + rng.randint(-10 * DAY, 365 * DAY)),
            }
        domains[domain_id] = obj
    return domains


DOMAINS = PlainList(
    stream="domains",
    path="/api/v1/domains",
    family="domains",
    random_stream=11,
    generate=generate_domains,
    records_key="domains",
    target_type="Domain",
)

# --- behavior detection rules (the risk signals sign-on policies rely on) --------------

# Okta's four built-in rules, then an org's own (BehaviorRuleType, settings by type).
_BEHAVIORS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("New Geo-Location", "ANOMALOUS_LOCATION", {"granularity": "LAT_LONG", "radiusKilometers": 20}),
    ("New Device", "ANOMALOUS_DEVICE", {"maxEventsUsedForEvaluation": 20}),
    ("New IP", "ANOMALOUS_IP", {"maxEventsUsedForEvaluation": 50}),
    ("Velocity", "VELOCITY", {"velocityKph": 805}),
    ("New ASN", "ANOMALOUS_ASN", {"maxEventsUsedForEvaluation": 20}),
    ("New Country", "ANOMALOUS_LOCATION", {"granularity": "COUNTRY"}),
)


def generate_behaviors(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for name, kind, settings in _BEHAVIORS[: rng.randint(4, len(_BEHAVIORS))]:
        rule_id = "abh" + _chars(rng, 17)
        created = now_s - rng.randint(30 * DAY, 900 * DAY)
        rules[rule_id] = {
            "id": rule_id,
            "name": name,
            "type": kind,
            "status": "ACTIVE" if rng.random() < 0.85 else "INACTIVE",
            "settings": dict(settings),
            "created": _fmt(created),
            "lastUpdated": _fmt(rng.randint(created, now_s)),
            "_links": {"self": {"href": org._link(f"/api/v1/behaviors/{rule_id}")}},
        }
    return rules


BEHAVIORS = PlainList(
    stream="behaviors",
    path="/api/v1/behaviors",
    family="behaviors",
    random_stream=12,
    generate=generate_behaviors,
    target_type="Behavior",
)


# --- agent pools (AD/LDAP agents: a dead one silently stops imports) -------------------


def generate_agent_pools(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    """One or two AD or LDAP pools of one to three agents; some agents disconnected."""
    pools: dict[str, dict[str, Any]] = {}
    for n in range(rng.randint(1, 2)):
        pool_id = "0oa" + _chars(rng, 17)
        kind = rng.choice(("AD", "AD", "LDAP"))
        agents = []
        for k in range(rng.randint(1, 3)):
            live = rng.random() < 0.75
            agents.append(
                {
                    "id": "a53" + _chars(rng, 17),
                    "name": f"{kind}-AGENT-{n}{k}",
                    "poolId": pool_id,
                    "type": kind,
                    "version": rng.choice(("3.18.0", "3.17.1", "3.16.0")),
                    "active": live,
                    "state": "ACTIVE" if live else "INACTIVE",
                    "operationalStatus": "OPERATIONAL" if live else "DISRUPTED",
                    "lastConnection": (now_s - (60 if live else rng.randint(DAY, 60 * DAY))) * 1000,
                    "upgradeRequired": False,
                    "isHidden": False,
                }
            )
        down = sum(1 for a in agents if not a["active"])
        pools[pool_id] = {
            "id": pool_id,
            "name": f"{kind.lower()}{n}.corp.example.com",
            "type": kind,
            "operationalStatus": "OPERATIONAL" if down < len(agents) else "DISRUPTED",
            "disruptedAgents": down,
            "inactiveAgents": down,
            "agents": agents,
            "_links": {"self": {"href": org._link(f"/api/v1/agentPools/{pool_id}")}},
        }
    return pools


AGENT_POOLS = PlainList(
    stream="agent_pools",
    path="/api/v1/agentPools",
    family="agentPools",
    random_stream=13,
    generate=generate_agent_pools,
    target_type="AgentPool",
)


# --- profile mappings (which attributes flow between Okta and each app) ----------------


def generate_profile_mappings(
    org: Org, rng: random.Random, now_s: int
) -> dict[str, dict[str, Any]]:
    """Both directions for some apps: app user -> Okta user, Okta user -> app user."""
    mappings: dict[str, dict[str, Any]] = {}
    user_type = {
        "id": org.user_type_id,
        "name": "user",
        "type": "user",
        "_links": {"self": {"href": org._link(f"/api/v1/meta/types/user/{org.user_type_id}")}},
    }
    for app_id in sorted(org.apps)[: rng.randint(2, 8)]:
        app = {
            "id": app_id,
            "name": org.apps[app_id].get("name") or "app",
            "type": "appuser",
            "_links": {"self": {"href": org._link(f"/api/v1/apps/{app_id}")}},
        }
        for source, target in ((app, user_type), (user_type, app)):
            mapping_id = "prm" + _chars(rng, 17)
            mappings[mapping_id] = {
                "id": mapping_id,
                "source": source,
                "target": target,
                "_links": {"self": {"href": org._link(f"/api/v1/mappings/{mapping_id}")}},
            }
    return mappings


PROFILE_MAPPINGS = PlainList(
    stream="profile_mappings",
    path="/api/v1/mappings",
    family="profileMappings",
    random_stream=14,
    generate=generate_profile_mappings,
    page_sizes=(20, 200),
    target_type="Mapping",
)

#: Every plain list the simulator serves.
PLAIN_LISTS: tuple[PlainList, ...] = (
    API_TOKENS,
    LOG_STREAMS,
    EVENT_HOOKS,
    INLINE_HOOKS,
    DOMAINS,
    BEHAVIORS,
    AGENT_POOLS,
    PROFILE_MAPPINGS,
)
