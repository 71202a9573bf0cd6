"""The org's security configuration: admin roles, MFA factors, devices, policies, zones ...

:class:`SecurityMixin` is part of :class:`~tests.okta_sim.org.Org` (its state, seeded
generator, mutations and queries live here so ``org.py`` stays about the directory).
It uses the Org's lock, clock, id generator, link builder and System Log writer.

Generation draws from a random stream of its own (seed * 7919 + 4) and only ever asks
it for fixed-size draws (``random()``, fixed ranges, choices from fixed lists), so the
security data does not vary with the wall clock the way the directory's now-relative
``randint`` draws do.  Which users and groups it picks is by position in the
directory (insertion order, never a set's iteration order), and every kind the
simulator promises (a CUSTOM role assignment, a group holding a role, a user without
factors, two WebAuthn factors of one user, every device status, every group-rule
status, an INACTIVE custom network zone ...) is placed explicitly, not left to luck.

Large collections are compact: factors are small records materialised per request,
devices are stored without their links.  A 50,000-user org gets ~70,000 factors and
40,000 devices in about a second.
"""

from __future__ import annotations

import base64
import copy
import random
import string
import time
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import TYPE_CHECKING, Any, TypeVar

from .app_posture import STREAMS as APP_POSTURE_STREAMS
from .app_posture import AppPosture
from .catalog import CITIES, DEPARTMENTS, FIRST_NAMES, TITLES
from .features import ENGINES, IDENTITY_ENGINE_POLICY_TYPES
from .plain_lists import PLAIN_LISTS
from .security_data import (
    AUTHENTICATORS,
    CUSTOM_POLICY_NAMES,
    CUSTOM_ROLES,
    DEFAULT_DISABLED_POLICY_TYPES,
    DEFAULT_POLICY_NAMES,
    DEFAULT_PROVIDER,
    DEVICE_MODELS,
    DEVICE_STATUS_WEIGHTS,
    DEVICE_STATUSES,
    FACTOR_KIND_INDEX,
    FACTOR_KINDS,
    GROUP_ROLE_TYPES,
    GROUP_RULE_ATTRIBUTES,
    LOG_POLICY_TYPES,
    OKTA_VERIFY,
    PASSWORD_SETTINGS,
    PHONES,
    POLICY_TYPES,
    QUESTIONS,
    REPEATABLE_FACTORS,
    RESOURCE_SETS,
    ROLE_WEIGHTS,
    RULE_TYPES,
    SCREEN_LOCKS,
    SINGLE_POLICY_TYPES,
    STANDARD_ROLES,
    TRUSTED_ORIGINS,
    WEBAUTHN_NAMES,
    ZONE_LOCATIONS,
    standard_assignment_id,
)

DAY = 86400
_T = TypeVar("_T")
# The org id in ORNs; the same tenant id the apps' ``orn`` already carries.
ORG_ID = "00onwlw0o4KFVCgzO5d7"


def _org_id(seed: int) -> str:
    alphabet = string.ascii_letters + string.digits
    rng = random.Random(f"org-id-{seed}")
    return "00o" + "".join(rng.choice(alphabet) for _ in range(17))


_ALNUM = string.ascii_letters + string.digits
_UPPER = string.ascii_uppercase + string.digits
_FACTOR_CUM = list(accumulate(k[4] for k in FACTOR_KINDS))  # cumulative weights
_ROLE_TYPES = tuple(ROLE_WEIGHTS)
_ROLE_CUM = list(accumulate(ROLE_WEIGHTS.values()))
_DEVICE_CUM = list(accumulate(DEVICE_STATUS_WEIGHTS))
# Users in these statuses have signed in at least once: they can hold factors and devices.
_EPOCH = datetime(1970, 1, 1)
_SIGNED_IN = frozenset({"ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED"})

# Stream name -> what Org.snapshot() / snapshot_objects() call it (the tap's stream names).
SECURITY_STREAMS = (
    "user_roles",
    "group_roles",
    "custom_roles",
    "custom_role_permissions",
    "resource_sets",
    "resource_set_resources",
    "user_factors",
    "devices",
    "group_rules",
    "authenticators",
    "policies",
    "policy_rules",
    "network_zones",
    "identity_providers",
    "authorization_servers",
    "trusted_origins",
    "user_types",
    *(entry.stream for entry in PLAIN_LISTS),
    "role_targets",  # these two: admin_scopes.py
    "group_owners",
    *APP_POSTURE_STREAMS,
)


@dataclass(slots=True)
class _Factor:
    """One enrolled factor, compact; :meth:`SecurityMixin.factor_obj` renders it."""

    id: str
    kind: int  # index into FACTOR_KINDS
    status: str
    created: int
    last_updated: int
    profile: dict[str, Any]
    activation: dict[str, Any] | None = None  # _embedded.activation of a pending TOTP
    factor_profile_id: str | None = None  # a Custom TOTP (token:hotp) factor's profile


def _between(rng: random.Random, lo: int, hi: int) -> int:
    """A second in [lo, hi) from one fixed-size draw (no clock-dependent rejection)."""
    return lo + int(rng.random() * max(0, hi - lo))


_TABLES: dict[str, bytes] = {}


def _chars(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    """``n`` random characters of ``alphabet`` (random bytes mapped through a table:
    ten times faster than ``choices``; the slight bias does not matter here)."""
    table = _TABLES.get(alphabet)
    if table is None:
        table = _TABLES[alphabet] = bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))
    return rng.randbytes(n).translate(table).decode("ascii")


def _fmt(epoch: int) -> str:
    """Okta's whole-second timestamp (``clock.fmt_seconds``, three times faster)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _epoch(stamp: str) -> int:
    """Epoch seconds of an Okta timestamp (``2024-05-06T07:08:09.000Z``)."""
    return int((datetime.fromisoformat(stamp[:19]) - _EPOCH).total_seconds())


def _pick(rng: random.Random, seq: Any) -> Any:
    """``rng.choice`` from one ``random()`` draw (faster; the hot loops use it)."""
    return seq[int(rng.random() * len(seq))]


def _weighted(rng: random.Random, cum: list[int]) -> int:
    """An index drawn by cumulative weights from one ``random()`` draw."""
    return bisect_right(cum, rng.random() * cum[-1])


def _href(href: str, *allow: str) -> dict[str, Any]:
    link: dict[str, Any] = {"href": href}
    if allow:
        link["hints"] = {"allow": list(allow)}
    return link


class SecurityMixin:
    """State, generation, rendering, mutations and queries of the security data.

    Mixed into ``Org``; relies on its ``lock``, ``clock``, ``users``, ``groups``,
    ``memberships``, ``apps``, ``admin_ids``, ``everyone_id``, ``_ids``, ``_link``,
    ``_stamp``, ``_export``, ``_target``, ``_log_change`` and ``_ver``.
    """

    if TYPE_CHECKING:  # provided by Org
        import threading

        lock: threading.RLock
        users: dict[str, dict[str, Any]]
        groups: dict[str, dict[str, Any]]
        memberships: dict[str, set[str]]
        apps: dict[str, dict[str, Any]]
        admin_ids: list[str]
        everyone_id: str
        user_type_ids: dict[str, str]
        listed: dict[str, dict[str, dict[str, Any]]]
        app_posture: AppPosture
        _ids: set[str]
        _ver: dict[str, int]

        def _link(self, path: str) -> str: ...
        def _stamp(self, at: datetime | None) -> int: ...
        def _export(self, obj: _T) -> _T: ...
        def _bump(self, collection: str) -> None: ...
        def _user(self, user_id: str) -> dict[str, Any]: ...
        def _group(self, group_id: str) -> dict[str, Any]: ...
        def _target(self, kind: str, oid: str) -> dict[str, Any]: ...
        def user_type_obj(self, key: str) -> dict[str, Any]: ...
        def _log_change(
            self,
            event_type: str,
            targets: list[dict[str, Any]],
            at: datetime | None,
            request_uri: str,
            *,
            debug: dict[str, Any] | None = None,
            outcome: dict[str, Any] | None = None,
        ) -> None: ...

    # ================================================================================
    # state
    # ================================================================================

    def _init_security(self, seed: int) -> None:
        # Generation and the objects security mutations create draw from streams of
        # their own: the directory's ids and data are what they were before these existed.
        self._sec_rng = random.Random(seed * 7919 + 4)
        self._sec_mut_rng = random.Random(seed * 7919 + 5)
        # Fields added later (Okta documents them; the org carried none) draw from here,
        # so every object generated before them is unchanged.
        self._sec_extra_rng = random.Random(seed * 7919 + 6)
        # The org's Custom TOTP factor profile, which token:hotp factors are enrolled with.
        self.custom_totp_profile_id = ""
        # The org's id (ORNs, /.well-known/okta-organization): one per seed, so two
        # simulated orgs of different seeds are different orgs; the default seed's is
        # the one its objects always carried.
        self.org_id = ORG_ID if seed == 7 else _org_id(seed)
        # user id -> assignment id -> stored assignment (direct, assignmentType USER)
        self.user_roles: dict[str, dict[str, dict[str, Any]]] = {}
        # group id -> assignment id -> stored assignment (assignmentType GROUP)
        self.group_roles: dict[str, dict[str, dict[str, Any]]] = {}
        self.custom_roles: dict[str, dict[str, Any]] = {}
        self.role_permissions: dict[str, list[dict[str, Any]]] = {}
        self.resource_sets: dict[str, dict[str, Any]] = {}
        # resource set id -> resource id -> stored resource (``_ref`` = (kind, object id))
        self.resource_set_resources: dict[str, dict[str, dict[str, Any]]] = {}
        self.factors: dict[str, list[_Factor]] = {}
        self.devices: dict[str, dict[str, Any]] = {}
        # device id -> [(user id, created, managementStatus, screenLockType)]
        self.device_users: dict[str, list[tuple[str, str, str, str]]] = {}
        self.group_rules: dict[str, dict[str, Any]] = {}
        self.authenticators: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.policy_rules: dict[str, dict[str, dict[str, Any]]] = {}
        self.zones: dict[str, dict[str, Any]] = {}
        self.idps: dict[str, dict[str, Any]] = {}
        self.authorization_servers: dict[str, dict[str, Any]] = {}
        self.trusted_origins: dict[str, dict[str, Any]] = {}
        # --- knobs ------------------------------------------------------------------
        # /api/v1/policies?type=T for these answers 400 E0000002 (the feature is off).
        self.disabled_policy_types: set[str] = set(DEFAULT_DISABLED_POLICY_TYPES)
        # Page size of /api/v1/iam/roles and /api/v1/iam/resource-sets (no limit param).
        self.iam_page_size = 20
        # Identity Engine logs a reset of all factors as one user.mfa.factor.deactivate
        # per factor; Classic Engine (False) as one user.mfa.factor.reset_all, and has
        # no Identity Engine-only endpoints (``engine``, features.py).
        self.identity_engine = True
        self._sec_ver = 0
        self._sec_cache: dict[Any, tuple[Any, Any]] = {}
        self._corporate_zone = ""  # the zone generated policy rules use
        self._saml_idp = ""  # the IdP the generated IdP discovery rule routes to

    @property
    def engine(self) -> str:
        """``"identity"`` (the default) or ``"classic"``: another view of ``identity_engine``."""
        return "identity" if self.identity_engine else "classic"

    @engine.setter
    def engine(self, value: str) -> None:
        if value not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {value!r}")
        self.identity_engine = value == "identity"

    def policy_type_available(self, policy_type: str) -> bool:
        """False for types the org lacks: disabled ones, and on Classic Engine the
        Identity Engine-only ones."""
        if policy_type in self.disabled_policy_types:
            return False
        return self.identity_engine or policy_type not in IDENTITY_ENGINE_POLICY_TYPES

    def _sec_bump(self) -> None:
        self._sec_ver += 1

    def _sec_cached(self, key: Any, version: Any, build: Any) -> Any:
        hit = self._sec_cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        self._sec_cache[key] = (version, value)
        return value

    def _sec_id(self, prefix: str, rng: random.Random, length: int = 20) -> str:
        while True:
            candidate = prefix + _chars(rng, length - len(prefix))
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    # ================================================================================
    # generation
    # ================================================================================

    def _generate_security(self, now_s: int) -> None:
        rng = self._sec_rng
        org_created = now_s - 3 * 365 * DAY - 30 * DAY
        self.custom_totp_profile_id = self._sec_id("fpr", self._sec_extra_rng)
        self._gen_custom_roles(rng, org_created, now_s)
        self._gen_resource_sets(rng, org_created, now_s)
        self._gen_role_assignments(rng, org_created, now_s)
        self._gen_factors(rng, now_s)
        self._gen_devices(rng, now_s)
        self._gen_group_rules(rng, org_created, now_s)
        self._gen_authenticators(rng, org_created, now_s)
        self._gen_zones(rng, org_created, now_s)
        self._gen_idps(rng, org_created, now_s)
        self._gen_policies(rng, org_created, now_s)
        self._gen_authorization_servers(rng, org_created, now_s)
        self._gen_trusted_origins(rng, org_created, now_s)
        self._sec_bump()

    def _user_created(self, uid: str) -> int:
        return _epoch(self.users[uid]["created"])

    # --- custom roles and resource sets ------------------------------------------------

    def _gen_custom_roles(self, rng: random.Random, org_created: int, now_s: int) -> None:
        n = 3 + int(rng.random() * 3)  # 3-5
        for i, (label, description, perms) in enumerate(rng.sample(CUSTOM_ROLES, k=n)):
            rid = self._sec_id("cr0", rng)
            created = _between(rng, org_created + 30 * DAY, now_s - 30 * DAY)
            updated = _between(rng, created, now_s - DAY)
            self.custom_roles[rid] = {
                "id": rid,
                "label": label,
                "description": description,
                # Okta answers with it since 2025 (the Admin Console's "Clone role").
                "isCloneable": True,
                "created": _fmt(created),
                "lastUpdated": _fmt(updated),
            }
            k = max(2, min(len(perms), 2 + int(rng.random() * (len(perms) - 1))))
            rows = []
            for label_ in perms[:k]:
                row: dict[str, Any] = {
                    "label": label_,
                    "created": _fmt(created),
                    "lastUpdated": _fmt(_between(rng, created, updated + 1)),
                }
                if i == 0 and label_ == "okta.users.read":
                    # A permission limited to some profile attributes (Okta's example).
                    row["conditions"] = {
                        "include": {
                            "okta:ResourceAttribute/User/Profile": ["city", "department", "title"]
                        }
                    }
                rows.append(row)
            self.role_permissions[rid] = rows

    def _resource_candidates(self) -> list[tuple[str, str, str]]:
        """(kind, object id, orn) of what a resource set can hold, in directory order."""
        org = self.org_id
        out: list[tuple[str, str, str]] = [("users", "", f"orn:okta:directory:{org}:users")]
        for gid, g in self.groups.items():
            if g["type"] == "BUILT_IN":
                continue
            out.append(("group", gid, f"orn:okta:directory:{org}:groups:{gid}"))
            out.append(
                ("members", gid, f"orn:okta:directory:{org}:groups:{gid}:contained_resources")
            )
        for aid, a in self.apps.items():
            if a["name"] in ("saasure", "okta_enduser", "active_directory"):
                continue
            out.append(("app", aid, f"orn:okta:idp:{org}:apps:{a['name']}:{aid}"))
        for n, (uid, u) in enumerate(self.users.items()):
            if n >= 400:
                break
            if u["status"] == "ACTIVE":
                out.append(("user", uid, f"orn:okta:directory:{org}:users:{uid}"))
        return out

    def _gen_resource_sets(self, rng: random.Random, org_created: int, now_s: int) -> None:
        candidates = self._resource_candidates()
        n = 2 + int(rng.random() < 0.5)  # 2-3
        for i, (label, description) in enumerate(RESOURCE_SETS[:n]):
            sid = self._sec_id("iam", rng)
            created = _between(rng, org_created + 60 * DAY, now_s - 20 * DAY)
            updated = _between(rng, created, now_s - DAY)
            self.resource_sets[sid] = {
                "id": sid,
                "label": label,
                "description": description,
                "created": _fmt(created),
                "lastUpdated": _fmt(updated),
            }
            # The first set is always larger than the 20-item pages tests page with.
            size = 21 + int(rng.random() * 10) if i == 0 else 3 + int(rng.random() * 10)
            picked = rng.sample(candidates, k=min(size, len(candidates)))
            resources: dict[str, dict[str, Any]] = {}
            for kind, oid, orn in picked:
                rid = self._sec_id("ire", rng)
                stamp = _fmt(_between(rng, created, updated + 1))
                resources[rid] = {
                    "id": rid,
                    "orn": orn,
                    "created": stamp,
                    "lastUpdated": stamp,
                    "_ref": (kind, oid),
                }
            if i == 1:
                resources.update(self._all_apps_but(candidates, created, updated))
            self.resource_set_resources[sid] = resources

    def _all_apps_but(
        self, candidates: list[tuple[str, str, str]], created: int, updated: int
    ) -> dict[str, dict[str, Any]]:
        """A resource covering every app but one app and every Slack app (Okta's example)."""
        rng = self._sec_extra_rng
        apps = [orn for kind, _, orn in candidates if kind == "app"]
        rid = self._sec_id("ire", rng)
        stamp = _fmt(_between(rng, created, updated + 1))
        all_apps = f"orn:okta:idp:{self.org_id}:apps"
        return {
            rid: {
                "id": rid,
                "orn": all_apps,
                "conditions": {"Exclude": {"okta:ORN": [*apps[:1], f"{all_apps}:slack"]}},
                "created": stamp,
                "lastUpdated": stamp,
                "_ref": ("apps", ""),
            }
        }

    # --- role assignments --------------------------------------------------------------

    def _assignment(
        self,
        aid: str,
        role_type: str,
        assignment_type: str,
        created: int,
        *,
        role_id: str | None = None,
        resource_set: str | None = None,
    ) -> dict[str, Any]:
        if role_type == "CUSTOM":
            label = self.custom_roles[role_id]["label"] if role_id else "Custom role"
            return {
                "id": aid,
                "role": role_id,
                "label": label,
                "type": "CUSTOM",
                "status": "ACTIVE",
                "created": _fmt(created),
                "lastUpdated": _fmt(created),
                "assignmentType": assignment_type,
                "resource-set": resource_set,
            }
        return {
            "id": aid,
            "label": STANDARD_ROLES[role_type][0],
            "type": role_type,
            "status": "ACTIVE",
            "created": _fmt(created),
            "lastUpdated": _fmt(created),
            "assignmentType": assignment_type,
        }

    def _gen_role_assignments(self, rng: random.Random, org_created: int, now_s: int) -> None:
        users: dict[str, dict[str, Any]] = self.users
        active = [u for u, obj in users.items() if obj["status"] == "ACTIVE"]
        if not active:
            return
        org_admins = [u for u in self.admin_ids if u in users]
        want = max(3, min(200, round(len(users) * 0.01)))
        taken = set(org_admins)
        others = [u for u in active if u not in taken]
        extra = rng.sample(others, k=max(0, min(len(others), want - len(org_admins))))
        admins = org_admins + extra
        roles = list(self.custom_roles)
        sets = list(self.resource_sets)

        def grant(uid: str, role_type: str, **custom: Any) -> None:
            start = max(org_created, self._user_created(uid))
            created = _between(rng, start, max(start + 1, now_s - 3600))
            if role_type == "CUSTOM":
                aid = self._sec_id("irb", rng)
            else:
                aid = standard_assignment_id(role_type)
            self.user_roles.setdefault(uid, {})[aid] = self._assignment(
                aid, role_type, "USER", created, **custom
            )

        for n, uid in enumerate(admins):
            if uid in org_admins:
                grant(uid, "SUPER_ADMIN" if n == 0 or rng.random() < 0.5 else "ORG_ADMIN")
                continue
            picks = rng.choices(_ROLE_TYPES, cum_weights=_ROLE_CUM, k=1 + int(rng.random() < 0.3))
            for role_type in dict.fromkeys(picks):
                grant(uid, role_type)
        if roles and sets:
            # At least one CUSTOM assignment (a custom role bound to a resource set).
            holder = extra[0] if extra else admins[-1]
            grant(holder, "CUSTOM", role_id=roles[0], resource_set=sets[0])

        # 2-3 groups hold roles, so their members are admins through the group.
        groups: dict[str, dict[str, Any]] = self.groups
        memberships: dict[str, set[str]] = self.memberships
        candidates = [
            g for g, obj in groups.items() if obj["type"] == "OKTA_GROUP" and memberships.get(g)
        ]
        if not candidates:
            okta_groups = [g for g, obj in groups.items() if obj["type"] == "OKTA_GROUP"]
            if okta_groups:
                # A directory too small to have members: give the first group one.
                memberships[okta_groups[0]].add(active[0])
                self._bump("groups")
                candidates = okta_groups[:1]
        chosen = rng.sample(candidates, k=min(len(candidates), 2 + int(rng.random() < 0.5)))
        for n, gid in enumerate(chosen):
            created = _between(rng, org_created + 30 * DAY, now_s - 3600)
            aid = self._sec_id("gra", rng)
            role_type = GROUP_ROLE_TYPES[n % len(GROUP_ROLE_TYPES)]
            self.group_roles.setdefault(gid, {})[aid] = self._assignment(
                aid, role_type, "GROUP", created
            )
            if n == 0 and len(roles) > 1 and sets:
                bid = self._sec_id("irb", rng)
                self.group_roles[gid][bid] = self._assignment(
                    bid,
                    "CUSTOM",
                    "GROUP",
                    created,
                    role_id=roles[1],
                    resource_set=sets[-1],
                )
        # The admin first in id order holds a role of its own (not only through a group),
        # so "the first admin" is always one a test can unassign a role from.
        assignees = self.role_assignee_ids()
        if assignees:
            first = assignees[0]
            direct = self.user_roles.get(first, {})
            if not any(a["type"] != "CUSTOM" for a in direct.values()):
                grant(first, "READ_ONLY_ADMIN")

    # --- factors ------------------------------------------------------------------------

    def _factor_profile(
        self, rng: random.Random, kind: int, user: dict[str, Any]
    ) -> dict[str, Any]:
        ftype = FACTOR_KINDS[kind][0]
        login = user["profile"].get("login")
        if ftype in ("sms", "call"):
            return {"phoneNumber": f"+1555{1_000_000 + int(rng.random() * 9_000_000)}"}
        if ftype == "email":
            return {"email": user["profile"].get("email")}
        if ftype in ("push", "signed_nonce"):
            device_type, platform, name, version = _pick(rng, PHONES)
            return {
                "credentialId": login,
                "deviceType": device_type,
                "name": name,
                "platform": platform,
                "version": version,
            }
        if ftype == "webauthn":
            raw = base64.urlsafe_b64encode(rng.randbytes(64)).decode().rstrip("=")
            return {"credentialId": raw, "authenticatorName": rng.choice(WEBAUTHN_NAMES)}
        if ftype == "u2f":
            raw = base64.urlsafe_b64encode(rng.randbytes(64)).decode().rstrip("=")
            return {"credentialId": raw, "version": "U2F_V2"}
        if ftype == "question":
            question, text = rng.choice(QUESTIONS)
            return {"question": question, "questionText": text}
        if ftype == "token:hardware":
            return {"credentialId": f"0000{rng.randrange(10_000_000, 100_000_000)}"}
        return {"credentialId": login}  # TOTP, RSA

    def _new_factor(
        self,
        rng: random.Random,
        uid: str,
        kind: int,
        status: str,
        created: int,
        last_updated: int,
    ) -> _Factor:
        prefix = FACTOR_KINDS[kind][3]
        factor = _Factor(
            id=self._sec_id(prefix, rng),
            kind=kind,
            status=status,
            created=created,
            last_updated=last_updated,
            profile=self._factor_profile(rng, kind, self.users[uid]),
        )
        if FACTOR_KINDS[kind][0] == "token:hotp":
            factor.factor_profile_id = self.custom_totp_profile_id
        if status == "PENDING_ACTIVATION" and FACTOR_KINDS[kind][0] == "token:software:totp":
            # Okta's example: a pending TOTP enrolment shows its shared secret.
            factor.activation = {
                "timeStep": 30,
                "sharedSecret": _chars(rng, 16, string.ascii_uppercase + "234567"),
                "encoding": "base32",
                "keyLength": 16,
            }
        return factor

    def _gen_factors(self, rng: random.Random, now_s: int) -> None:
        users: dict[str, dict[str, Any]] = self.users
        for uid, user in users.items():
            if user["status"] not in _SIGNED_IN or rng.random() >= 0.93:
                continue
            r = rng.random()
            k = 1 if r < 0.4 else (2 if r < 0.85 else 3)
            picked = list(dict.fromkeys(_weighted(rng, _FACTOR_CUM) for _ in range(k)))
            start = self._user_created(uid)
            factors = []
            for kind in picked:
                created = _between(rng, start, max(start + 1, now_s - 3600))
                updated = _between(rng, created, max(created + 1, now_s - 60))
                status = "PENDING_ACTIVATION" if rng.random() < 0.03 else "ACTIVE"
                factors.append(self._new_factor(rng, uid, kind, status, created, updated))
            self.factors[uid] = factors
        # Guarantees, whatever the draws: an ACTIVE user with no factor, one with two
        # WebAuthn factors (Okta allows one per security key), a pending enrolment.
        active = [u for u, obj in users.items() if obj["status"] == "ACTIVE"]
        if not active:
            return
        self.factors.pop(active[-1], None)
        webauthn = FACTOR_KIND_INDEX[("webauthn", "FIDO")]
        totp = FACTOR_KIND_INDEX[("token:software:totp", "GOOGLE")]
        for n, uid in enumerate(active[:-1][:2]):
            start = self._user_created(uid)
            have = self.factors.setdefault(uid, [])
            if n == 0:
                have[:] = [f for f in have if f.kind != webauthn]
                for _ in range(2):
                    created = _between(rng, start, max(start + 1, now_s - 3600))
                    have.append(self._new_factor(rng, uid, webauthn, "ACTIVE", created, created))
            elif not any(
                f.status == "PENDING_ACTIVATION" for fs in self.factors.values() for f in fs
            ):
                have[:] = [f for f in have if f.kind != totp]
                created = _between(rng, start, max(start + 1, now_s - 3600))
                have.append(
                    self._new_factor(rng, uid, totp, "PENDING_ACTIVATION", created, created)
                )
        # A Custom TOTP factor, which only an admin's factor profile makes possible: for
        # a user with room for one more (at most 3 factors each).
        extra = self._sec_extra_rng
        custom = FACTOR_KIND_INDEX[("token:hotp", "CUSTOM")]
        uid = next((u for u in active[2:-1] if len(self.factors.get(u, [])) < 3), None)
        if uid is not None:
            start = self._user_created(uid)
            created = _between(extra, start, max(start + 1, now_s - 3600))
            self.factors.setdefault(uid, []).append(
                self._new_factor(extra, uid, custom, "ACTIVE", created, created)
            )

    # --- devices -------------------------------------------------------------------------

    def _gen_devices(self, rng: random.Random, now_s: int) -> None:
        users: dict[str, dict[str, Any]] = self.users
        if not users:
            return
        owners = [u for u, obj in users.items() if obj["status"] in _SIGNED_IN] or list(users)
        n = max(4, int(len(users) * 0.8))
        for i in range(n):
            # Every status, whatever the draws: the first four devices have one each,
            # the 5th and 6th are shared (a kiosk, a family iPad) by two users.
            shared = i in (4, 5)
            if i < len(DEVICE_STATUSES):
                status = DEVICE_STATUSES[i]
            else:
                status = "ACTIVE" if shared else DEVICE_STATUSES[_weighted(rng, _DEVICE_CUM)]
            owner = _pick(rng, owners)
            linked = [owner]
            if (
                status in ("ACTIVE", "SUSPENDED")
                and len(owners) > 1
                and (shared or rng.random() < 0.03)
            ):
                second = _pick(rng, owners)
                if second == owner:
                    second = owners[(owners.index(owner) + 1) % len(owners)]
                linked.append(second)
            start = self._user_created(owner)
            created = _between(rng, start, max(start + 1, now_s - 3600))
            if rng.random() < 0.05:  # some changed in the last day
                updated = _between(rng, max(created, now_s - DAY), now_s - 60)
            else:
                updated = _between(rng, created, max(created + 1, now_s - 60))
            did = self._sec_id("guo", rng)
            self.devices[did] = {
                "id": did,
                "status": status,
                "created": _fmt(created),
                "lastUpdated": _fmt(updated),
                "profile": self._device_profile(rng, users[owner]),
            }
            # A deactivated device has lost its user links; a new one has none yet.
            if status in ("DEACTIVATED", "CREATED"):
                continue
            self.device_users[did] = [
                (
                    uid,
                    _fmt(created),
                    "MANAGED" if rng.random() < 0.4 else "NOT_MANAGED",
                    _pick(rng, SCREEN_LOCKS),
                )
                for uid in linked
            ]

    def _device_profile(self, rng: random.Random, owner: dict[str, Any]) -> dict[str, Any]:
        platform, maker, model, os_version, secure, disk = _pick(rng, DEVICE_MODELS)
        first = owner["profile"].get("firstName") or _pick(rng, FIRST_NAMES)
        profile: dict[str, Any]
        if platform == "WINDOWS":
            profile = {
                "displayName": f"DESKTOP-{_chars(rng, 7, _UPPER)}",
                "platform": platform,
                "manufacturer": maker,
                "model": model,
                "osVersion": os_version,
                "serialNumber": _chars(rng, 10, _UPPER),
                "sid": "S-1-5-21-" + "-".join(str(rng.getrandbits(31)) for _ in range(3)),
            }
        elif platform == "MACOS":
            profile = {
                "displayName": f"{first}'s MacBook Pro",
                "platform": platform,
                "manufacturer": maker,
                "model": model,
                "osVersion": os_version,
                "serialNumber": _chars(rng, 12, _UPPER),
                "udid": _uuid(rng).upper(),
            }
        else:
            profile = {
                "displayName": "iPhone" if platform == "IOS" else model,
                "platform": platform,
                "manufacturer": maker,
                "model": model,
                "osVersion": os_version,
                "imei": f"35{rng.getrandbits(43) % 10**13:013d}",
                "integrityJailbreak": False,
            }
            if platform == "ANDROID" and rng.random() < 0.3:
                profile["meid"] = f"A{_chars(rng, 13, '0123456789ABCDEF')}"
            if platform == "IOS":
                profile["udid"] = _uuid(rng).upper()
        profile["registered"] = True
        profile["secureHardwarePresent"] = secure
        profile["diskEncryptionType"] = disk
        profile["managed"] = rng.random() < 0.4
        return profile

    # --- group rules ---------------------------------------------------------------------

    def _gen_group_rules(self, rng: random.Random, org_created: int, now_s: int) -> None:
        groups: dict[str, dict[str, Any]] = self.groups
        okta_groups = [g for g, obj in groups.items() if obj["type"] == "OKTA_GROUP"]
        if not okta_groups:
            return
        user_ids = list(self.users)
        n = min(8, 3 + int(rng.random() * 3) + len(groups) // 1000)
        values = {"department": DEPARTMENTS, "title": TITLES, "city": tuple(c for c, _ in CITIES)}
        for i in range(n):
            attr, path = GROUP_RULE_ATTRIBUTES[int(rng.random() * 3)]
            value = rng.choice(values[attr])
            status = ("ACTIVE", "INACTIVE", "INVALID")[i] if i < 3 else None
            if status is None:
                status = "ACTIVE" if rng.random() < 0.8 else "INACTIVE"
            expression = f'{path}=="{value}"'
            if status == "INVALID":
                # Okta invalidates a rule whose expression names a removed attribute.
                expression = 'user.legacyEmployeeType=="FTE"'
            targets = rng.sample(okta_groups, k=min(len(okta_groups), 1 + int(rng.random() < 0.3)))
            exclude = rng.sample(user_ids, k=min(len(user_ids), int(rng.random() * 3)))
            created = _between(rng, org_created + 30 * DAY, now_s - 7 * DAY)
            rid = self._sec_id("0pr", rng)
            self.group_rules[rid] = {
                "type": "group_rule",
                "id": rid,
                "status": status,
                "name": f"{value} by {attr}"[:50],
                "created": _fmt(created),
                "lastUpdated": _fmt(_between(rng, created, now_s - 3600)),
                "conditions": {
                    "people": {"users": {"exclude": exclude}, "groups": {"exclude": []}},
                    "expression": {"value": expression, "type": "urn:okta:expression:1.0"},
                },
                "actions": {"assignUserToGroups": {"groupIds": targets}},
                "allGroupsValid": True,
            }

    # --- authenticators ------------------------------------------------------------------

    def _gen_authenticators(self, rng: random.Random, org_created: int, now_s: int) -> None:
        for key, atype, name, status, settings, provider in AUTHENTICATORS:
            aid = self._sec_id("aut", rng)
            created = _between(rng, org_created, org_created + 30 * DAY)
            obj: dict[str, Any] = {
                "type": atype,
                "id": aid,
                "key": key,
                "status": status,
                "name": name,
                "created": _fmt(created),
                "lastUpdated": _fmt(_between(rng, created, now_s - DAY)),
            }
            if settings is not None:
                obj["settings"] = copy.deepcopy(settings)
                if key == "okta_verify":
                    obj["settings"]["appInstanceId"] = self._sec_id("0oa", rng)
            if provider is not None:
                obj["provider"] = copy.deepcopy(provider)
            base = f"/api/v1/authenticators/{aid}"
            links: dict[str, Any] = {
                "self": _href(self._link(base), "GET", "PUT"),
                "methods": _href(self._link(f"{base}/methods"), "GET"),
            }
            if key != "okta_password":
                op = "deactivate" if status == "ACTIVE" else "activate"
                links[op] = _href(self._link(f"{base}/lifecycle/{op}"), "POST")
            if key == "webauthn":
                links["aaguids"] = _href(self._link(f"{base}/aaguids"), "GET", "POST")
            obj["_links"] = links
            self.authenticators[aid] = obj

    # --- network zones ------------------------------------------------------------------

    def _zone(
        self,
        zid: str,
        ztype: str,
        name: str,
        status: str,
        usage: str,
        system: bool,
        created: int,
        updated: int,
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "type": ztype,
            "id": zid,
            "name": name,
            "status": status,
            "usage": usage,
            "created": _fmt(created),
            "lastUpdated": _fmt(updated),
            "system": system,
        }
        obj.update(fields)
        op = "deactivate" if status == "ACTIVE" else "activate"
        obj["_links"] = {
            "self": _href(self._link(f"/api/v1/zones/{zid}"), "GET", "PUT", "DELETE"),
            op: _href(self._link(f"/api/v1/zones/{zid}/lifecycle/{op}"), "POST"),
        }
        return obj

    def _gen_zones(self, rng: random.Random, org_created: int, now_s: int) -> None:
        def span() -> tuple[int, int]:
            created = _between(rng, org_created, now_s - 30 * DAY)
            return created, _between(rng, created, now_s - DAY)

        empty: dict[str, list[Any]] = {"include": [], "exclude": []}
        system: list[tuple[str, str, str, dict[str, Any]]] = [
            ("IP", "LegacyIpZone", "POLICY", {"gateways": None, "proxies": None}),
            ("IP", "BlockedIpZone", "BLOCKLIST", {"gateways": None, "proxies": None}),
            (
                "DYNAMIC_V2",
                "DefaultEnhancedDynamicZone",
                "BLOCKLIST",
                {
                    "locations": copy.deepcopy(empty),
                    "asns": copy.deepcopy(empty),
                    "ipServiceCategories": {"include": ["ALL_ANONYMIZERS"], "exclude": []},
                },
            ),
            # Its IPs pass the blocklist zones (Okta's example of the zone).
            (
                "IP",
                "DefaultExemptIpZone",
                "POLICY",
                {"useAsExemptList": True, "gateways": None, "proxies": None},
            ),
        ]
        for ztype, name, usage, fields in system:
            zid = self._sec_id("nzo", rng)
            self.zones[zid] = self._zone(
                zid, ztype, name, "ACTIVE", usage, True, org_created, org_created, fields
            )
        # Custom zones; the first in id order is INACTIVE and used by no rule, so it can
        # be deleted (Identity Engine refuses to delete an ACTIVE zone or one in use).
        n_custom = 2 + int(rng.random() < 0.5)
        ids = sorted(self._sec_id("nzo", rng) for _ in range(n_custom))
        retired, corporate = ids[0], ids[1]
        created, updated = span()
        self.zones[retired] = self._zone(
            retired,
            "IP",
            "Old VPN egress",
            "INACTIVE",
            "POLICY",
            False,
            created,
            updated,
            {"gateways": [{"type": "CIDR", "value": "198.51.100.0/24"}], "proxies": None},
        )
        created, updated = span()
        self.zones[corporate] = self._zone(
            corporate,
            "IP",
            "Corporate Offices",
            "ACTIVE",
            "POLICY",
            False,
            created,
            updated,
            {
                "gateways": [
                    {"type": "CIDR", "value": "203.0.113.0/24"},
                    {"type": "RANGE", "value": "192.0.2.10-192.0.2.40"},
                ],
                "proxies": [{"type": "CIDR", "value": "203.0.113.250/32"}],
            },
        )
        self._corporate_zone = corporate
        if n_custom == 3:
            created, updated = span()
            self.zones[ids[2]] = self._zone(
                ids[2],
                "DYNAMIC",
                "Embargoed Countries",
                "ACTIVE",
                "BLOCKLIST",
                False,
                created,
                updated,
                {
                    "locations": rng.sample(ZONE_LOCATIONS, k=2 + int(rng.random() * 2)),
                    "proxyType": "NotTorAnonymizer",
                    "asns": ["23457"],
                },
            )

    # --- identity providers ---------------------------------------------------------------

    def _gen_idps(self, rng: random.Random, org_created: int, now_s: int) -> None:
        policy = {
            "provisioning": {
                "action": "AUTO",
                "profileMaster": False,
                "groups": {"action": "NONE"},
                "conditions": {
                    "deprovisioned": {"action": "NONE"},
                    "suspended": {"action": "NONE"},
                },
            },
            "accountLink": {"filter": None, "action": "AUTO"},
            "subject": {
                "userNameTemplate": {"template": "idpuser.email"},
                "filter": None,
                "matchType": "USERNAME",
                "matchAttribute": None,
            },
            "maxClockSkew": 0,
        }
        specs: list[tuple[str, str, str, str]] = [
            ("GOOGLE", "Google Workspace", "ACTIVE", "DYNAMIC"),
            ("SAML2", "Partner SAML IdP", "ACTIVE", "ORG_URL"),
        ]
        if rng.random() < 0.5:
            specs.append(("MICROSOFT", "Microsoft Entra ID", "INACTIVE", "DYNAMIC"))
        for itype, name, status, issuer_mode in specs:
            iid = self._sec_id("0oa", rng)
            created = _between(rng, org_created + 10 * DAY, now_s - 30 * DAY)
            if itype == "SAML2":
                self._saml_idp = iid
                protocol: dict[str, Any] = {
                    "type": "SAML2",
                    "endpoints": {
                        "sso": {
                            "url": "https://idp.partner.example.com/sso/saml",
                            "binding": "HTTP-POST",
                            "destination": "https://idp.partner.example.com/sso/saml",
                        },
                        "acs": {"binding": "HTTP-POST", "type": "INSTANCE"},
                    },
                    "algorithms": {
                        "request": {"signature": {"algorithm": "SHA-256", "scope": "REQUEST"}},
                        "response": {"signature": {"algorithm": "SHA-256", "scope": "ANY"}},
                    },
                    "settings": {
                        "nameFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
                    },
                    "credentials": {
                        "trust": {
                            "issuer": "https://idp.partner.example.com",
                            "audience": f"https://www.okta.com/saml2/service-provider/{iid}",
                            "kid": _uuid(rng),
                            "revocation": None,
                            "revocationCacheLifetime": 0,
                        }
                    },
                }
                links = {
                    "metadata": _href(self._link(f"/api/v1/idps/{iid}/metadata.xml"), "GET"),
                    "acs": _href(self._link(f"/sso/saml2/{iid}"), "POST"),
                    "users": _href(self._link(f"/api/v1/idps/{iid}/users"), "GET"),
                }
            else:
                google = itype == "GOOGLE"
                protocol = {
                    "type": "OIDC",
                    "endpoints": {
                        "authorization": {
                            "url": "https://accounts.google.com/o/oauth2/auth"
                            if google
                            else "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                            "binding": "HTTP-REDIRECT",
                        },
                        "token": {
                            "url": "https://www.googleapis.com/oauth2/v3/token"
                            if google
                            else "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                            "binding": "HTTP-POST",
                        },
                    },
                    "scopes": ["profile", "email", "openid"],
                    # Okta's IdP objects carry the client secret, as its examples show.
                    "credentials": {
                        "client": {
                            "client_id": f"{rng.randrange(10**11, 10**12)}-{_chars(rng, 32)}"
                            ".apps.googleusercontent.com"
                            if google
                            else _uuid(rng),
                            "client_secret": _chars(rng, 35),
                        }
                    },
                }
                links = {
                    "authorize": {
                        "href": self._link(
                            f"/oauth2/v1/authorize?idp={iid}&client_id={{clientId}}"
                            "&response_type={responseType}&response_mode={responseMode}"
                            "&scope={scopes}&redirect_uri={redirectUri}&state={state}"
                        ),
                        "templated": True,
                        "hints": {"allow": ["GET"]},
                    },
                    "clientRedirectUri": _href(self._link("/oauth2/v1/authorize/callback"), "POST"),
                }
            op = "deactivate" if status == "ACTIVE" else "activate"
            links[op] = _href(self._link(f"/api/v1/idps/{iid}/lifecycle/{op}"), "POST")
            self.idps[iid] = {
                "id": iid,
                "type": itype,
                "issuerMode": issuer_mode,
                "name": name,
                "status": status,
                "created": _fmt(created),
                "lastUpdated": _fmt(_between(rng, created, now_s - DAY)),
                "protocol": protocol,
                "policy": copy.deepcopy(policy),
                "properties": None,
                "_links": links,
            }

    # --- policies ------------------------------------------------------------------------

    def _policy_plan(self, rng: random.Random) -> list[tuple[str, str, bool]]:
        """(type, name, is default) of every policy, the custom sign-on policy first."""
        plan: list[tuple[str, str, bool]] = []
        for ptype in POLICY_TYPES:
            if ptype in SINGLE_POLICY_TYPES:
                plan.append((ptype, DEFAULT_POLICY_NAMES[ptype], True))
                continue
            names = CUSTOM_POLICY_NAMES.get(ptype, ())
            low = 1 if ptype in ("OKTA_SIGN_ON", "ACCESS_POLICY") else 0
            k = min(len(names), low + int(rng.random() * (3 - low)))
            plan.extend((ptype, name, False) for name in names[:k])
            plan.append((ptype, DEFAULT_POLICY_NAMES[ptype], True))
        return plan

    def _gen_policies(self, rng: random.Random, org_created: int, now_s: int) -> None:
        groups: dict[str, dict[str, Any]] = self.groups
        okta_groups = [g for g, obj in groups.items() if obj["type"] == "OKTA_GROUP"]
        everyone = self.everyone_id
        plan = self._policy_plan(rng)
        # The lowest policy id goes to a custom sign-on policy, whose first rule (rule ids
        # ascend with priority) is no default rule: the first (policy, rule) pair in key
        # order can always be deleted.
        ids = sorted(self._sec_id("00p", rng) for _ in plan)
        first = next(i for i, (t, _, d) in enumerate(plan) if t == "OKTA_SIGN_ON" and not d)
        order = [first] + [i for i in range(len(plan)) if i != first]
        counters: dict[str, int] = {}
        for pid, index in zip(ids, order, strict=True):
            ptype, name, is_default = plan[index]
            counters[ptype] = counters.get(ptype, 0) + 1
            customs = sum(1 for t, _, d in plan if t == ptype and not d)
            priority = customs + 1 if is_default else counters[ptype]
            created = (
                org_created if is_default else _between(rng, org_created + DAY, now_s - 30 * DAY)
            )
            updated = _between(rng, created, now_s - DAY)
            group = rng.choice(okta_groups) if okta_groups else everyone
            include = [everyone] if is_default and everyone else ([group] if group else [])
            conditions: dict[str, Any] | None = None
            if ptype in ("OKTA_SIGN_ON", "MFA_ENROLL"):
                conditions = {"people": {"groups": {"include": include}}}
            elif ptype == "PASSWORD":
                provider = "ACTIVE_DIRECTORY" if name == "AD-sourced Users" else "OKTA"
                conditions = {
                    "people": {"groups": {"include": include}},
                    "authProvider": {"provider": provider},
                }
            policy: dict[str, Any] = {
                "type": ptype,
                "id": pid,
                "status": "ACTIVE" if is_default or rng.random() < 0.85 else "INACTIVE",
                "name": name,
                "description": (
                    f"The default {ptype.replace('_', ' ').lower()} policy"
                    if is_default
                    else f"{name} ({ptype.replace('_', ' ').lower()})"
                ),
                "priority": priority,
                "system": is_default,
                "conditions": conditions,
                "created": _fmt(created),
                "lastUpdated": _fmt(updated),
            }
            if ptype == "PASSWORD":
                settings = copy.deepcopy(PASSWORD_SETTINGS)
                if not is_default:
                    settings["password"]["complexity"]["minLength"] = 14
                    settings["password"]["age"]["maxAgeDays"] = 90
                policy["settings"] = settings
            elif ptype == "MFA_ENROLL":
                policy["settings"] = {
                    "type": "AUTHENTICATORS",
                    "authenticators": [
                        {
                            "key": a["key"],
                            "enroll": {
                                "self": "REQUIRED"
                                if a["key"] in ("okta_password", "okta_verify")
                                else "OPTIONAL"
                            },
                        }
                        for a in self.authenticators.values()
                        if a["status"] == "ACTIVE"
                    ],
                }
            links: dict[str, Any] = {
                "self": _href(self._link(f"/api/v1/policies/{pid}"), "GET", "PUT", "DELETE"),
                "rules": _href(self._link(f"/api/v1/policies/{pid}/rules"), "GET", "POST"),
            }
            if not is_default:
                op = "deactivate" if policy["status"] == "ACTIVE" else "activate"
                links[op] = _href(self._link(f"/api/v1/policies/{pid}/lifecycle/{op}"), "POST")
            policy["_links"] = links
            self.policies[pid] = policy
            self.policy_rules[pid] = self._gen_policy_rules(
                rng, pid, ptype, is_default, created, now_s
            )

    def _gen_policy_rules(
        self,
        rng: random.Random,
        pid: str,
        ptype: str,
        is_default: bool,
        policy_created: int,
        now_s: int,
    ) -> dict[str, dict[str, Any]]:
        # (name, system) in priority order: custom rules first, the default rule last.
        specs: list[tuple[str, bool]] = []
        if ptype == "PROFILE_ENROLLMENT":
            specs = [("Catch-all Rule", True)]  # one rule per user profile policy
        elif ptype in SINGLE_POLICY_TYPES:
            if ptype in ("IDP_DISCOVERY", "POST_AUTH_SESSION", "SESSION_VIOLATION_DETECTION"):
                specs = [("Route partners", False)] if ptype == "IDP_DISCOVERY" else []
                if ptype != "IDP_DISCOVERY" and rng.random() < 0.6:
                    specs.append(("High risk sessions", False))
            specs.append(("Default Rule" if ptype == "IDP_DISCOVERY" else "Catch-all Rule", True))
        else:
            n_custom = (1 if not is_default else 0) + int(rng.random() * 2)
            names = {
                "OKTA_SIGN_ON": ("Require MFA off network", "Short sessions"),
                "PASSWORD": ("Self-service reset", "No self-service unlock"),
                "MFA_ENROLL": ("Enroll on first sign-in", "Challenge off network"),
                "ACCESS_POLICY": ("Corporate network: 1 factor", "Anywhere else: 2 factors"),
                "DEVICE_SIGNAL_COLLECTION": ("Collect from Okta Verify", "Chrome device trust"),
            }[ptype]
            specs = [(names[i], False) for i in range(n_custom)]
            if is_default or ptype == "ACCESS_POLICY":
                specs.append(
                    ("Catch-all Rule" if ptype == "ACCESS_POLICY" else "Default Rule", True)
                )
        prefix = "rul" if ptype == "PROFILE_ENROLLMENT" else "0pr"
        ids = sorted(self._sec_id(prefix, rng) for _ in specs)
        rules: dict[str, dict[str, Any]] = {}
        for n, (rid, (name, system)) in enumerate(zip(ids, specs, strict=True)):
            priority = 99 if system and ptype == "ACCESS_POLICY" else n + 1
            created = policy_created if system else _between(rng, policy_created, now_s - DAY)
            rule: dict[str, Any] = {
                "id": rid,
                "status": "ACTIVE",
                "name": name,
                "priority": priority,
                "created": _fmt(created),
                "lastUpdated": _fmt(_between(rng, created, now_s - 3600)),
                "system": system,
                "conditions": self._rule_conditions(ptype, system, n),
                "actions": self._rule_actions(ptype, system, n),
                "type": RULE_TYPES[ptype],
            }
            base = f"/api/v1/policies/{pid}/rules/{rid}"
            links: dict[str, Any] = {
                "self": _href(self._link(base), "GET", "PUT", *(() if system else ("DELETE",))),
            }
            if not system:
                links["deactivate"] = _href(self._link(f"{base}/lifecycle/deactivate"), "POST")
            rule["_links"] = links
            rules[rid] = rule
        return rules

    def _rule_conditions(self, ptype: str, system: bool, n: int) -> dict[str, Any] | None:
        corporate = self._corporate_zone
        people: dict[str, Any] = {"users": {"exclude": []}}
        if ptype == "OKTA_SIGN_ON":
            network: dict[str, Any] = {"connection": "ANYWHERE"}
            if not system and n == 0 and corporate:
                network = {"connection": "ZONE", "exclude": [corporate]}
            return {
                "people": people,
                "network": network,
                "risk": {"behaviors": []},
                "riskScore": {"level": "ANY"},
                "identityProvider": {"provider": "ANY"},
            }
        if ptype in ("PASSWORD", "MFA_ENROLL"):
            return {"people": people, "network": {"connection": "ANYWHERE"}}
        if ptype == "IDP_DISCOVERY":
            patterns = [] if system else [{"matchType": "SUFFIX", "value": "partner.example.com"}]
            return {
                "network": {"connection": "ANYWHERE"},
                "platform": {"include": [], "exclude": []},
                "userIdentifier": {"patterns": patterns, "type": "IDENTIFIER"},
                "app": {"include": [], "exclude": []},
            }
        if ptype == "ACCESS_POLICY" and not system and n == 0 and corporate:
            return {"network": {"connection": "ZONE", "include": [corporate]}, "people": people}
        if ptype == "DEVICE_SIGNAL_COLLECTION" and not system:
            return {"platform": {"include": [{"type": "DESKTOP", "os": {"type": "MACOS"}}]}}
        if ptype in ("POST_AUTH_SESSION", "SESSION_VIOLATION_DETECTION") and not system:
            return {"people": people}
        return None

    def _rule_actions(self, ptype: str, system: bool, n: int) -> dict[str, Any]:
        if ptype == "OKTA_SIGN_ON":
            return {
                "signon": {
                    "access": "ALLOW",
                    "requireFactor": not system,
                    "factorPromptMode": "ALWAYS" if not system else "SESSION",
                    "factorLifetime": 15,
                    "primaryFactor": "PASSWORD_IDP_ANY_FACTOR",
                    "session": {
                        "maxSessionIdleMinutes": 120 if not system else 720,
                        "maxSessionLifetimeMinutes": 0,
                        "usePersistentCookie": False,
                    },
                }
            }
        if ptype == "PASSWORD":
            return {
                "passwordChange": {"access": "ALLOW"},
                "selfServicePasswordReset": {
                    "access": "ALLOW",
                    "requirement": {
                        "primary": {"methods": ["email"]},
                        "stepUp": {"required": False},
                    },
                },
                "selfServiceUnlock": {"access": "DENY" if n else "ALLOW"},
            }
        if ptype == "MFA_ENROLL":
            return {"enroll": {"self": "CHALLENGE" if system else "LOGIN"}}
        if ptype == "IDP_DISCOVERY":
            providers = [{"type": "OKTA"}]
            if not system and self._saml_idp:
                providers = [{"type": "SAML2", "id": self._saml_idp}]
            return {
                "idp": {
                    "providers": providers,
                    "idpSelectionType": "SPECIFIC",
                    "shouldFallBackToOkta": False,
                }
            }
        if ptype == "ACCESS_POLICY":
            factor_mode = "1FA" if system or n == 0 else "2FA"
            return {
                "appSignOn": {
                    "access": "ALLOW",
                    "verificationMethod": {
                        "factorMode": factor_mode,
                        "type": "ASSURANCE",
                        "reauthenticateIn": "PT12H" if system else "PT2H",
                        "constraints": [],
                    },
                }
            }
        if ptype == "PROFILE_ENROLLMENT":
            return {
                "profileEnrollment": {
                    "access": "ALLOW",
                    "preRegistrationInlineHooks": None,
                    "profileAttributes": [
                        {"name": "email", "label": "Email", "required": True},
                        {"name": "firstName", "label": "First name", "required": True},
                        {"name": "lastName", "label": "Last name", "required": True},
                    ],
                    "targetGroupIds": None,
                    "unknownUserAction": "DENY",
                    "activationRequirements": {"emailVerification": True},
                    "progressiveProfilingAction": "DISABLED",
                }
            }
        if ptype == "POST_AUTH_SESSION":
            return {
                "postAuthSession": {
                    "failureActions": [] if system else [{"action": "TERMINATE_SESSION"}]
                }
            }
        if ptype == "ENTITY_RISK":
            return {"entityRisk": {"actions": []}}
        if ptype == "DEVICE_SIGNAL_COLLECTION":
            return {
                "deviceSignalCollection": {
                    "deviceContextProviders": [
                        {"key": "OKTA_VERIFY", "userIdentification": "IGNORE"}
                    ]
                }
            }
        if ptype == "SESSION_VIOLATION_DETECTION":
            return {"sessionViolationDetection": {"policyEvaluation": {"enabled": True}}}
        if ptype == "IDENTITY_CLAIM_SOURCING":
            return {"claimSourcing": {"redirectType": "IDP_DISCOVERY"}}
        return {}

    # --- authorization servers and trusted origins -----------------------------------------

    def _gen_authorization_servers(self, rng: random.Random, org_created: int, now_s: int) -> None:
        specs = [
            ("default", "Default Authorization Server", "api://default", "ACTIVE"),
            (
                "Partner API",
                "Tokens for the partner integration API",
                "https://api.example.com/partners",
                "ACTIVE",
            ),
        ]
        if rng.random() < 0.5:
            specs.append(
                ("Legacy Mobile API", "Retired mobile backend", "api://mobile", "INACTIVE")
            )
        for name, description, audience, status in specs:
            sid = self._sec_id("aus", rng)
            created = (
                org_created if name == "default" else _between(rng, org_created, now_s - 60 * DAY)
            )
            rotated = _between(rng, now_s - 80 * DAY, now_s - DAY)
            path = "default" if name == "default" else sid
            base = f"/api/v1/authorizationServers/{sid}"
            op = "deactivate" if status == "ACTIVE" else "activate"
            self.authorization_servers[sid] = {
                "id": sid,
                "name": name,
                "description": description,
                "audiences": [audience],
                "issuer": self._link(f"/oauth2/{path}"),
                "issuerMode": "ORG_URL",
                "status": status,
                "created": _fmt(created),
                "lastUpdated": _fmt(_between(rng, created, now_s - DAY)),
                "credentials": {
                    "signing": {
                        "rotationMode": "AUTO",
                        "lastRotated": _fmt(rotated),
                        "nextRotation": _fmt(rotated + 90 * DAY),
                        "kid": _chars(rng, 43, _ALNUM + "-_"),
                    }
                },
                "default": name == "default",
                "_links": {
                    "scopes": _href(self._link(f"{base}/scopes"), "GET"),
                    "claims": _href(self._link(f"{base}/claims"), "GET"),
                    "policies": _href(self._link(f"{base}/policies"), "GET"),
                    "self": _href(self._link(base), "GET", "DELETE", "PUT"),
                    "metadata": [
                        {
                            "name": doc,
                            "href": self._link(f"/oauth2/{path}/.well-known/{doc}"),
                            "hints": {"allow": ["GET"]},
                        }
                        for doc in ("oauth-authorization-server", "openid-configuration")
                    ],
                    "rotateKey": _href(
                        self._link(f"{base}/credentials/lifecycle/keyRotate"), "POST"
                    ),
                    op: _href(self._link(f"{base}/lifecycle/{op}"), "POST"),
                },
            }
            self.authorization_servers[sid].update(self._token_encryption(name))

    def _token_encryption(self, server: str) -> dict[str, Any]:
        """Access token encryption: keys given by URL on one server, inline on another."""
        if server == "default":
            return {
                "accessTokenEncryptedResponseAlgorithm": "RSA-OAEP-384",
                "jwks_uri": "https://api.example.com/.well-known/jwks.json",
            }
        if server != "Partner API":
            return {}
        rng = self._sec_extra_rng
        key = {
            "kty": "RSA",
            "id": self._sec_id("apk", rng),
            "status": "ACTIVE",
            "kid": "encKey",
            "use": "enc",
            "e": "AQAB",
            "n": base64.urlsafe_b64encode(rng.randbytes(256)).decode().rstrip("="),
        }
        return {"accessTokenEncryptedResponseAlgorithm": "RSA-OAEP-256", "jwks": {"keys": [key]}}

    def _gen_trusted_origins(self, rng: random.Random, org_created: int, now_s: int) -> None:
        admins = [u for u in self.admin_ids if u in self.users] or list(self.users)[:1]
        n = 2 + int(rng.random() * 3)  # 2-4
        for name, origin, scopes, status in TRUSTED_ORIGINS[:n]:
            oid = self._sec_id("tos", rng)
            created = _between(rng, org_created, now_s - 30 * DAY)
            by = rng.choice(admins) if admins else None
            op = "deactivate" if status == "ACTIVE" else "activate"
            self.trusted_origins[oid] = {
                "id": oid,
                "name": name,
                "origin": origin,
                "scopes": [{"type": s} for s in scopes],
                "status": status,
                "created": _fmt(created),
                "createdBy": by,
                "lastUpdated": _fmt(_between(rng, created, now_s - DAY)),
                "lastUpdatedBy": by,
                "_links": {
                    "self": _href(
                        self._link(f"/api/v1/trustedOrigins/{oid}"), "GET", "PUT", "DELETE"
                    ),
                    op: _href(self._link(f"/api/v1/trustedOrigins/{oid}/lifecycle/{op}"), "POST"),
                },
            }

    # ================================================================================
    # rendering (objects as the API shows them; callers hold the lock)
    # ================================================================================

    def user_orn(self, uid: str) -> str:
        return f"orn:okta:directory:{self.org_id}:users:{uid}"

    def role_assignee_ids(self) -> list[str]:
        """Users holding a role, directly or through a group, in id order (cached)."""

        def build() -> list[str]:
            ids = set(self.user_roles)
            memberships: dict[str, set[str]] = self.memberships
            for gid in self.group_roles:
                ids |= memberships.get(gid, set())
            users = self.users
            return sorted(u for u in ids if u in users)

        version = (self._sec_ver, self._ver["groups"], self._ver["users"])
        result: list[str] = self._sec_cached("assignees", version, build)
        return result

    def assignee_obj(self, uid: str) -> dict[str, Any]:
        return {
            "id": uid,
            "orn": self.user_orn(uid),
            "_links": {
                "self": {"href": self._link(f"/api/v1/users/{uid}")},
                "roles": {"href": self._link(f"/api/v1/users/{uid}/roles")},
            },
        }

    def assignment_obj(self, stored: dict[str, Any], assignee: str) -> dict[str, Any]:
        """A role assignment; ``assignee`` is the user or group it is assigned to."""
        obj = dict(stored)
        kind = "groups" if stored["assignmentType"] == "GROUP" else "users"
        links: dict[str, Any] = {"assignee": {"href": self._link(f"/api/v1/{kind}/{assignee}")}}
        if stored["type"] == "CUSTOM":
            role, rset = stored["role"], stored["resource-set"]
            links["resource-set"] = {"href": self._link(f"/api/v1/iam/resource-sets/{rset}")}
            links["member"] = {
                "href": self._link(
                    f"/api/v1/iam/resource-sets/{rset}/bindings/{role}/members/{stored['id']}"
                )
            }
            links["role"] = {"href": self._link(f"/api/v1/iam/roles/{role}")}
            links["permissions"] = {
                "href": self._link(f"/api/v1/iam/permission-sets/{role}/permissions")
            }
        obj["_links"] = links
        return obj

    def user_role_objs(self, uid: str) -> list[dict[str, Any]]:
        """/users/{id}/roles: the user's own assignments, then those of its groups."""
        out = [self.assignment_obj(a, uid) for a in self.user_roles.get(uid, {}).values()]
        memberships: dict[str, set[str]] = self.memberships
        for gid in sorted(self.group_roles):
            if uid in memberships.get(gid, ()):
                out.extend(self.assignment_obj(a, gid) for a in self.group_roles[gid].values())
        return out

    def group_role_objs(self, gid: str) -> list[dict[str, Any]]:
        return [self.assignment_obj(a, gid) for a in self.group_roles.get(gid, {}).values()]

    def custom_role_obj(self, rid: str) -> dict[str, Any]:
        obj = dict(self.custom_roles[rid])
        obj["_links"] = {
            "permissions": {"href": self._link(f"/api/v1/iam/roles/{rid}/permissions")},
            "self": {"href": self._link(f"/api/v1/iam/roles/{rid}")},
        }
        return obj

    def find_custom_role(self, id_or_label: str) -> str | None:
        if id_or_label in self.custom_roles:
            return id_or_label
        return next((r for r, o in self.custom_roles.items() if o["label"] == id_or_label), None)

    def permission_objs(self, rid: str) -> list[dict[str, Any]]:
        out = []
        for row in self.role_permissions.get(rid, []):
            obj = dict(row)
            obj["_links"] = {
                "role": {"href": self._link(f"/api/v1/iam/roles/{rid}")},
                "self": {"href": self._link(f"/api/v1/iam/roles/{rid}/permissions/{row['label']}")},
            }
            out.append(obj)
        return out

    def resource_set_obj(self, sid: str) -> dict[str, Any]:
        obj = dict(self.resource_sets[sid])
        base = f"/api/v1/iam/resource-sets/{sid}"
        obj["_links"] = {
            "self": {"href": self._link(base)},
            "resources": {"href": self._link(f"{base}/resources")},
            "bindings": {"href": self._link(f"{base}/bindings")},
        }
        return obj

    def find_resource_set(self, id_or_label: str) -> str | None:
        if id_or_label in self.resource_sets:
            return id_or_label
        return next((s for s, o in self.resource_sets.items() if o["label"] == id_or_label), None)

    def resource_obj(self, sid: str, stored: dict[str, Any]) -> dict[str, Any]:
        kind, oid = stored["_ref"]
        target = {
            "users": "/api/v1/users",
            "group": f"/api/v1/groups/{oid}",
            "members": f"/api/v1/groups/{oid}/users",
            "app": f"/api/v1/apps/{oid}",
            "apps": "/api/v1/apps",
            "user": f"/api/v1/users/{oid}",
        }[kind]
        obj = {k: v for k, v in stored.items() if k != "_ref"}
        obj["_links"] = {
            "self": {"href": self._link(target)},
            "resource": {
                "href": self._link(f"/api/v1/iam/resource-sets/{sid}/resources/{stored['id']}")
            },
        }
        return obj

    def factor_obj(self, uid: str, f: _Factor) -> dict[str, Any]:
        ftype, provider, vendor, *_ = FACTOR_KINDS[f.kind]
        base = f"/api/v1/users/{uid}/factors/{f.id}"
        links: dict[str, Any] = {}
        if f.status == "PENDING_ACTIVATION":
            links["next"] = {
                "name": "activate",
                **_href(self._link(f"{base}/lifecycle/activate"), "POST"),
            }
        elif ftype == "question":
            links["questions"] = _href(self._link(f"/api/v1/users/{uid}/factors/questions"), "GET")
        elif ftype not in ("signed_nonce",):
            links["verify"] = _href(self._link(f"{base}/verify"), "POST")
        links["self"] = _href(self._link(base), "GET", "DELETE")
        links["user"] = _href(self._link(f"/api/v1/users/{uid}"), "GET")
        obj: dict[str, Any] = {
            "id": f.id,
            "factorType": ftype,
            "provider": provider,
            "vendorName": vendor,
            "status": f.status,
            "created": _fmt(f.created),
            "lastUpdated": _fmt(f.last_updated),
            "profile": dict(f.profile),
            "_links": links,
        }
        if f.factor_profile_id is not None:
            obj["factorProfileId"] = f.factor_profile_id
        if f.activation is not None:
            obj["_embedded"] = {"activation": dict(f.activation)}
        return obj

    def user_factor_objs(self, uid: str) -> list[dict[str, Any]]:
        return [self.factor_obj(uid, f) for f in self.factors.get(uid, [])]

    def sorted_device_ids(self) -> list[str]:
        result: list[str] = self._sec_cached("devices", self._sec_ver, lambda: sorted(self.devices))
        return result

    def device_obj(self, did: str, expand: str | None = None) -> dict[str, Any]:
        stored = self.devices[did]
        obj = dict(stored)
        obj["profile"] = dict(stored["profile"])
        name = stored["profile"].get("displayName")
        obj["resourceId"] = did
        obj["resourceDisplayName"] = {"value": name, "sensitive": False}
        obj["resourceType"] = "UDDevice"
        obj["resourceAlternateId"] = None
        base = f"/api/v1/devices/{did}"
        links: dict[str, Any] = {}
        status = stored["status"]
        for op in {
            "ACTIVE": ("suspend", "deactivate"),
            "SUSPENDED": ("unsuspend", "deactivate"),
            "DEACTIVATED": ("activate",),
            "CREATED": ("activate",),
        }[status]:
            links[op] = _href(self._link(f"{base}/lifecycle/{op}"), "POST")
        if status == "DEACTIVATED":
            links["delete"] = _href(self._link(base), "DELETE")
        links["self"] = _href(self._link(base), "GET", "PATCH", "PUT")
        links["users"] = _href(self._link(f"{base}/users"), "GET")
        obj["_links"] = links
        if expand in ("user", "userSummary"):
            users: dict[str, dict[str, Any]] = self.users
            embedded = []
            for uid, created, managed, lock in self.device_users.get(did, []):
                user = users.get(uid)
                if user is None:
                    continue
                if expand == "user":
                    shown: dict[str, Any] = user
                else:
                    p = user["profile"]
                    shown = {
                        "id": uid,
                        "realmId": None,
                        "profile": {
                            "firstName": p.get("firstName"),
                            "lastName": p.get("lastName"),
                            "login": p.get("login"),
                            "email": p.get("email"),
                        },
                        "_links": {"self": {"href": self._link(f"/api/v1/users/{uid}")}},
                    }
                embedded.append(
                    {
                        "created": created,
                        "managementStatus": managed,
                        "screenLockType": lock,
                        "user": shown,
                    }
                )
            obj["_embedded"] = {"users": embedded}
        return obj

    def visible_policy(self, pid: str) -> dict[str, Any] | None:
        """A policy of a type the org has (None for unknown ids and disabled types)."""
        policy = self.policies.get(pid)
        if policy is None or not self.policy_type_available(policy["type"]):
            return None
        return policy

    # ================================================================================
    # System Log targets of security changes
    # ================================================================================

    def _role_targets(self, stored: dict[str, Any], granted: bool) -> list[dict[str, Any]]:
        """Okta's privilege events: [assignee, ROLE_ASSIGNED marker, ROLE] (see examples)."""
        if stored["type"] == "CUSTOM":
            role_id, label = stored["role"], stored["label"]
        else:
            label, role_id = STANDARD_ROLES[stored["type"]]
        role = {
            "alternateId": stored["id"],
            "detailEntry": None,
            "displayName": label,
            "id": role_id,
            "type": "ROLE",
        }
        if not granted:
            return [role]
        marker = {
            "alternateId": "unknown",
            "detailEntry": None,
            "displayName": "Role Assigned",
            "id": "ROLE_ASSIGNED",
            "type": "ROLE_ASSIGNED",
        }
        return [marker, role]

    def _privilege_text(self, stored: dict[str, Any]) -> str:
        if stored["type"] == "CUSTOM":
            rset = self.resource_sets.get(stored.get("resource-set") or "", {})
            return f"{stored['label']} ({rset.get('label', 'resource set')})"
        return f"{STANDARD_ROLES[stored['type']][0]} (all)"

    def _device_target(self, did: str) -> dict[str, Any]:
        name = self.devices[did]["profile"].get("displayName") if did in self.devices else did
        return {
            "alternateId": "unknown",
            "detailEntry": None,
            "displayName": name,
            "id": did,
            "type": "Device",
        }

    def _policy_target(self, policy: dict[str, Any]) -> dict[str, Any]:
        return {
            "alternateId": "unknown",
            "detailEntry": {"policyType": LOG_POLICY_TYPES[policy["type"]]},
            "displayName": policy["name"],
            "id": policy["id"],
            "type": "PolicyEntity",
        }

    def _zone_target(self, zone: dict[str, Any]) -> dict[str, Any]:
        return {
            "alternateId": "unknown",
            "detailEntry": None,
            "displayName": zone["name"],
            "id": zone["id"],
            "type": "NetworkZone",
        }

    # ================================================================================
    # mutations (each logs what Okta logs, through Org._log_change)
    # ================================================================================

    def _role_assignment(
        self,
        table: dict[str, dict[str, dict[str, Any]]],
        owner: str,
        role_type: str,
        assignment_type: str,
        role_id: str | None,
        resource_set_id: str | None,
        ts: int,
    ) -> dict[str, Any]:
        if role_type != "CUSTOM" and role_type not in STANDARD_ROLES:
            raise ValueError(f"unknown role type {role_type}")
        held = table.get(owner, {})
        if role_type == "CUSTOM":
            if role_id not in self.custom_roles or resource_set_id not in self.resource_sets:
                raise ValueError(
                    "a CUSTOM assignment needs an existing role_id and resource_set_id"
                )
            if any(
                a.get("role") == role_id and a.get("resource-set") == resource_set_id
                for a in held.values()
            ):
                raise ValueError("that custom role is already bound to this assignee")
            aid = self._sec_id("irb", self._sec_mut_rng)
        else:
            if any(a["type"] == role_type for a in held.values()):
                raise ValueError(f"{owner} already holds {role_type}")
            if assignment_type == "GROUP":
                aid = self._sec_id("gra", self._sec_mut_rng)
            else:
                aid = standard_assignment_id(role_type)
        stored = self._assignment(
            aid, role_type, assignment_type, ts, role_id=role_id, resource_set=resource_set_id
        )
        table.setdefault(owner, {})[aid] = stored
        self._sec_bump()
        return stored

    def assign_user_role(
        self,
        user_id: str,
        role_type: str,
        *,
        role_id: str | None = None,
        resource_set_id: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Assign a standard role (or ``CUSTOM`` with a role and resource set) to a user.

        Logs ``user.account.privilege.grant`` with targets User, ROLE_ASSIGNED, ROLE.
        """
        with self.lock:
            self._user(user_id)
            stored = self._role_assignment(
                self.user_roles,
                user_id,
                role_type,
                "USER",
                role_id,
                resource_set_id,
                self._stamp(at),
            )
            self._log_change(
                "user.account.privilege.grant",
                [self._target("user", user_id), *self._role_targets(stored, True)],
                at,
                f"/api/v1/users/{user_id}/roles",
                debug={"privilegeGranted": self._privilege_text(stored)},
            )
            return self._export(self.assignment_obj(stored, user_id))

    def unassign_user_role(
        self, user_id: str, assignment_id: str, at: datetime | None = None
    ) -> None:
        """Remove a user's own assignment; logs ``user.account.privilege.revoke``.

        A role the user holds through a group is the group's: ``KeyError``, as Okta's 404.
        """
        with self.lock:
            self._user(user_id)
            stored = self.user_roles.get(user_id, {}).pop(assignment_id, None)
            if stored is None:
                raise KeyError(f"{user_id} has no role assignment {assignment_id} of its own")
            if not self.user_roles[user_id]:
                del self.user_roles[user_id]
            self._sec_bump()
            self._log_change(
                "user.account.privilege.revoke",
                [self._target("user", user_id), *self._role_targets(stored, False)],
                at,
                f"/api/v1/users/{user_id}/roles/{assignment_id}",
                debug={"privilegeRevoked": self._privilege_text(stored)},
            )

    def assign_group_role(
        self,
        group_id: str,
        role_type: str,
        *,
        role_id: str | None = None,
        resource_set_id: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Logs ``group.privilege.grant`` with targets UserGroup, ROLE_ASSIGNED, ROLE."""
        with self.lock:
            self._group(group_id)
            stored = self._role_assignment(
                self.group_roles,
                group_id,
                role_type,
                "GROUP",
                role_id,
                resource_set_id,
                self._stamp(at),
            )
            self._log_change(
                "group.privilege.grant",
                [self._target("group", group_id), *self._role_targets(stored, True)],
                at,
                f"/api/v1/groups/{group_id}/roles",
                debug={"privilegeGranted": self._privilege_text(stored)},
            )
            return self._export(self.assignment_obj(stored, group_id))

    def unassign_group_role(
        self, group_id: str, assignment_id: str, at: datetime | None = None
    ) -> None:
        """Logs ``group.privilege.revoke``."""
        with self.lock:
            self._group(group_id)
            stored = self.group_roles.get(group_id, {}).pop(assignment_id, None)
            if stored is None:
                raise KeyError(f"group {group_id} has no role assignment {assignment_id}")
            if not self.group_roles[group_id]:
                del self.group_roles[group_id]
            self._sec_bump()
            self._log_change(
                "group.privilege.revoke",
                [self._target("group", group_id), *self._role_targets(stored, False)],
                at,
                f"/api/v1/groups/{group_id}/roles/{assignment_id}",
                debug={"privilegeRevoked": self._privilege_text(stored)},
            )

    def enroll_factor(
        self,
        user_id: str,
        factor_type: str,
        provider: str | None = None,
        *,
        status: str = "ACTIVE",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """An admin enrolls (and, by default, activates) a factor for a user.

        Logs ``user.mfa.factor.activate`` (target: the User; the factor is named only in
        ``debugData.factor``) when the factor is ACTIVE; a PENDING_ACTIVATION enrolment
        logs nothing.  Okta refuses ``signed_nonce`` (FastPass) and a second factor of one
        type and provider other than webauthn/u2f: ``ValueError``.
        """
        provider = provider or DEFAULT_PROVIDER.get(factor_type, "OKTA")
        kind = FACTOR_KIND_INDEX.get((factor_type, provider))
        if kind is None:
            raise ValueError(f"unknown factor {factor_type} / {provider}")
        if factor_type == "signed_nonce":
            raise ValueError(
                "Okta FastPass (signed_nonce) is enrolled from Okta Verify, not the API"
            )
        if status not in ("ACTIVE", "PENDING_ACTIVATION"):
            raise ValueError(f"an enrolled factor is ACTIVE or PENDING_ACTIVATION, not {status}")
        with self.lock:
            user = self._user(user_id)
            if user["status"] not in _SIGNED_IN:
                raise ValueError(f"cannot enroll a factor for a {user['status']} user")
            have = self.factors.get(user_id, [])
            if factor_type not in REPEATABLE_FACTORS and any(f.kind == kind for f in have):
                raise ValueError(f"{user_id} already has a {factor_type} factor of {provider}")
            ts = self._stamp(at)
            factor = self._new_factor(self._sec_mut_rng, user_id, kind, status, ts, ts)
            self.factors.setdefault(user_id, []).append(factor)
            self._sec_bump()
            if status == "ACTIVE":
                self._log_change(
                    "user.mfa.factor.activate",
                    [self._target("user", user_id)],
                    at,
                    f"/api/v1/users/{user_id}/factors",
                    debug={"factor": FACTOR_KINDS[kind][5]},
                )
            return self._export(self.factor_obj(user_id, factor))

    def _log_factor_reset(
        self, user_id: str, factors: Iterable[_Factor], at: datetime | None, uri: str
    ) -> None:
        for f in factors:
            name = FACTOR_KINDS[f.kind][5]
            self._log_change(
                "user.mfa.factor.deactivate",
                [self._target("user", user_id)],
                at,
                uri,
                debug={"factor": name},
                outcome={"reason": f"User reset {name} factor", "result": "SUCCESS"},
            )

    def _check_can_reset(self, user_id: str) -> list[_Factor]:
        user = self._user(user_id)
        if user["status"] == "DEPROVISIONED":
            raise ValueError("Okta can't unenroll a factor of a deactivated user")
        return self.factors.get(user_id, [])

    def reset_factor(self, user_id: str, factor_id: str, at: datetime | None = None) -> None:
        """Unenroll one factor; logs ``user.mfa.factor.deactivate`` (target: the User).

        As Okta documents, unenrolling Okta Verify push or FastPass unenrolls the user's
        other Okta Verify factors (push, signed_nonce, Okta TOTP) too: one event each.
        """
        with self.lock:
            have = self._check_can_reset(user_id)
            factor = next((f for f in have if f.id == factor_id), None)
            if factor is None:
                raise KeyError(f"{user_id} has no factor {factor_id}")
            gone = [factor]
            ftype = FACTOR_KINDS[factor.kind][0]
            if ftype in ("push", "signed_nonce"):
                gone += [
                    f for f in have if f is not factor and FACTOR_KINDS[f.kind][:2] in OKTA_VERIFY
                ]
            keep = [f for f in have if all(f is not g for g in gone)]
            if keep:
                self.factors[user_id] = keep
            else:
                self.factors.pop(user_id, None)
            self._sec_bump()
            self._log_factor_reset(
                user_id, gone, at, f"/api/v1/users/{user_id}/factors/{factor_id}"
            )

    def reset_all_factors(self, user_id: str, at: datetime | None = None) -> None:
        """Unenroll every factor of a user (``/lifecycle/reset_factors``).

        Identity Engine (``org.identity_engine``, the default) logs one
        ``user.mfa.factor.deactivate`` per factor; Classic Engine one
        ``user.mfa.factor.reset_all``.  A user without factors logs nothing.
        """
        with self.lock:
            have = list(self._check_can_reset(user_id))
            if not have:
                return
            self.factors.pop(user_id, None)
            self._sec_bump()
            uri = f"/api/v1/users/{user_id}/lifecycle/reset_factors"
            if self.identity_engine:
                self._log_factor_reset(user_id, have, at, uri)
            else:
                self._log_change(
                    "user.mfa.factor.reset_all", [self._target("user", user_id)], at, uri
                )

    def _device(self, device_id: str) -> dict[str, Any]:
        try:
            return self.devices[device_id]
        except KeyError:
            raise KeyError(f"no such device: {device_id}") from None

    def update_device(
        self,
        device_id: str,
        profile: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Okta Verify reports new device facts: ``lastUpdated`` moves, nothing is logged."""
        with self.lock:
            device = self._device(device_id)
            device["profile"].update(profile or {})
            device["lastUpdated"] = _fmt(self._stamp(at))
            self._sec_bump()
            return self._export(self.device_obj(device_id, "user"))

    def deactivate_device(self, device_id: str, at: datetime | None = None) -> None:
        """Logs ``device.lifecycle.deactivate`` (target type Device); the device loses its
        user links, as Okta documents.  An already DEACTIVATED device: nothing happens."""
        with self.lock:
            device = self._device(device_id)
            if device["status"] == "DEACTIVATED":
                return
            device["status"] = "DEACTIVATED"
            device["lastUpdated"] = _fmt(self._stamp(at))
            self.device_users.pop(device_id, None)
            self._sec_bump()
            self._log_change(
                "device.lifecycle.deactivate",
                [self._device_target(device_id)],
                at,
                f"/api/v1/devices/{device_id}/lifecycle/deactivate",
            )

    def delete_device(self, device_id: str, at: datetime | None = None) -> None:
        """Logs ``device.lifecycle.delete``; Okta deletes only DEACTIVATED devices."""
        with self.lock:
            device = self._device(device_id)
            if device["status"] != "DEACTIVATED":
                raise ValueError(
                    f"cannot delete device {device_id} in status {device['status']}: "
                    "Okta deletes only DEACTIVATED devices (deactivate first)"
                )
            target = self._device_target(device_id)
            del self.devices[device_id]
            self.device_users.pop(device_id, None)
            self._sec_bump()
            self._log_change(
                "device.lifecycle.delete", [target], at, f"/api/v1/devices/{device_id}"
            )

    def _policy(self, policy_id: str) -> dict[str, Any]:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise KeyError(f"no such policy: {policy_id}") from None

    def update_policy(
        self, policy_id: str, changes: dict[str, Any] | None = None, at: datetime | None = None
    ) -> dict[str, Any]:
        """Logs ``policy.lifecycle.update`` (target PolicyEntity); ``lastUpdated`` moves."""
        with self.lock:
            policy = self._policy(policy_id)
            changes = changes or {}
            for key in changes:
                if key in ("id", "type", "system", "created", "lastUpdated", "_links"):
                    raise ValueError(f"{key} is read-only")
            for key, value in changes.items():
                policy[key] = copy.deepcopy(value)
            policy["lastUpdated"] = _fmt(self._stamp(at))
            self._sec_bump()
            self._log_change(
                "policy.lifecycle.update",
                [self._policy_target(policy)],
                at,
                f"/api/v1/policies/{policy_id}",
            )
            return self._export(policy)

    def delete_policy_rule(self, policy_id: str, rule_id: str, at: datetime | None = None) -> None:
        """Logs ``policy.rule.delete`` (targets PolicyEntity, PolicyRule).

        A default rule (``system: true``) can't be deleted: ``ValueError``.
        """
        with self.lock:
            policy = self._policy(policy_id)
            rule = self.policy_rules.get(policy_id, {}).get(rule_id)
            if rule is None:
                raise KeyError(f"policy {policy_id} has no rule {rule_id}")
            if rule["system"]:
                raise ValueError(f"rule {rule_id} is the policy's default rule: Okta keeps it")
            del self.policy_rules[policy_id][rule_id]
            self._sec_bump()
            self._log_change(
                "policy.rule.delete",
                [
                    self._policy_target(policy),
                    {
                        "alternateId": "unknown",
                        "detailEntry": {"policyRuleType": rule["type"]},
                        "displayName": rule["name"],
                        "id": rule_id,
                        "type": "PolicyRule",
                    },
                ],
                at,
                f"/api/v1/policies/{policy_id}/rules/{rule_id}",
            )

    def delete_group_rule(self, rule_id: str, at: datetime | None = None) -> None:
        """Remove a group rule.  Okta's event catalog has no group-rule delete event
        (only ``group.user_membership.rule.*`` evaluation events): nothing is logged."""
        with self.lock:
            if self.group_rules.pop(rule_id, None) is None:
                raise KeyError(f"no such group rule: {rule_id}")
            self._sec_bump()

    def _zone_or_key_error(self, zone_id: str) -> dict[str, Any]:
        try:
            return self.zones[zone_id]
        except KeyError:
            raise KeyError(f"no such network zone: {zone_id}") from None

    def set_zone_status(self, zone_id: str, status: str, at: datetime | None = None) -> None:
        """Logs ``zone.activate`` / ``zone.deactivate`` when the status changes."""
        if status not in ("ACTIVE", "INACTIVE"):
            raise ValueError(f"unknown zone status {status}")
        with self.lock:
            zone = self._zone_or_key_error(zone_id)
            if zone["status"] == status:
                return
            zone["status"] = status
            zone["lastUpdated"] = _fmt(self._stamp(at))
            op, old = (
                ("activate", "deactivate") if status == "ACTIVE" else ("deactivate", "activate")
            )
            zone["_links"].pop(old, None)
            zone["_links"][op] = _href(
                self._link(f"/api/v1/zones/{zone_id}/lifecycle/{op}"), "POST"
            )
            self._sec_bump()
            self._log_change(
                f"zone.{op}",
                [self._zone_target(zone)],
                at,
                f"/api/v1/zones/{zone_id}/lifecycle/{op}",
            )

    def zone_in_use(self, zone_id: str) -> bool:
        for rules in self.policy_rules.values():
            for rule in rules.values():
                network = (rule.get("conditions") or {}).get("network") or {}
                if zone_id in network.get("include", []) or zone_id in network.get("exclude", []):
                    return True
        return False

    def delete_zone(self, zone_id: str, at: datetime | None = None) -> None:
        """Logs ``zone.delete`` (target NetworkZone).

        Okta refuses (``ValueError``) a system zone, an ACTIVE zone (Identity Engine) and
        a zone a policy rule uses; ``set_zone_status(zone, "INACTIVE")`` first.
        """
        with self.lock:
            zone = self._zone_or_key_error(zone_id)
            if zone["system"]:
                raise ValueError(f"{zone['name']} is a system zone: Okta keeps it")
            if zone["status"] == "ACTIVE":
                raise ValueError(f"zone {zone_id} is ACTIVE: deactivate it first")
            if self.zone_in_use(zone_id):
                raise ValueError(f"zone {zone_id} is used by a policy rule")
            target = self._zone_target(zone)
            del self.zones[zone_id]
            self._sec_bump()
            self._log_change("zone.delete", [target], at, f"/api/v1/zones/{zone_id}")

    # --- cascades of directory deletes (unlogged, as in Okta) -----------------------------

    def _forget_user_security(self, user_id: str) -> None:
        self.factors.pop(user_id, None)
        self.user_roles.pop(user_id, None)
        for did in list(self.device_users):
            links = [link for link in self.device_users[did] if link[0] != user_id]
            if links:
                self.device_users[did] = links
            else:
                del self.device_users[did]
        self._forget_resources("user", user_id)
        for rule in self.group_rules.values():
            exclude = rule["conditions"]["people"]["users"]["exclude"]
            if user_id in exclude:
                exclude.remove(user_id)
        self._sec_bump()

    def _forget_group_security(self, group_id: str) -> None:
        self.group_roles.pop(group_id, None)
        self._forget_resources("group", group_id)
        self._forget_resources("members", group_id)
        for rule in self.group_rules.values():
            targets = rule["actions"]["assignUserToGroups"]["groupIds"]
            if group_id in targets:
                # The rule points at a group that is gone: Okta marks it invalid.
                rule["allGroupsValid"] = False
                rule["status"] = "INVALID"
        self._sec_bump()

    def _forget_app_security(self, app_id: str) -> None:
        self._forget_resources("app", app_id)
        self._sec_bump()

    def _forget_resources(self, kind: str, oid: str) -> None:
        for resources in self.resource_set_resources.values():
            for rid in [r for r, o in resources.items() if o["_ref"] == (kind, oid)]:
                del resources[rid]

    # ================================================================================
    # queries for tests (deep copies)
    # ================================================================================

    def _security_snapshot(self) -> dict[str, set[Any]]:
        assignees = self.role_assignee_ids()
        memberships: dict[str, set[str]] = self.memberships
        user_roles: set[tuple[str, str]] = set()
        for uid in assignees:
            user_roles.update((uid, aid) for aid in self.user_roles.get(uid, {}))
            for gid, held in self.group_roles.items():
                if uid in memberships.get(gid, ()):
                    user_roles.update((uid, aid) for aid in held)
        visible = {pid for pid in self.policies if self.visible_policy(pid) is not None}
        return {
            "user_roles": user_roles,
            "group_roles": {(g, a) for g, held in self.group_roles.items() for a in held},
            "custom_roles": set(self.custom_roles),
            "custom_role_permissions": {
                (r, p["label"]) for r, rows in self.role_permissions.items() for p in rows
            },
            "resource_sets": set(self.resource_sets),
            "resource_set_resources": {
                (s, r) for s, rows in self.resource_set_resources.items() for r in rows
            },
            "user_factors": {(u, f.id) for u, fs in self.factors.items() for f in fs},
            "devices": set(self.devices),
            "device_users": {
                (d, link[0]) for d, links in self.device_users.items() for link in links
            },
            "group_rules": set(self.group_rules),
            "authenticators": set(self.authenticators),
            "policies": visible,
            "policy_rules": {(p, r) for p in visible for r in self.policy_rules.get(p, {})},
            "network_zones": set(self.zones),
            "identity_providers": set(self.idps),
            "authorization_servers": set(self.authorization_servers),
            "trusted_origins": set(self.trusted_origins),
            "user_types": set(self.user_type_ids.values()),
        }

    def snapshot_objects(self, stream: str) -> list[dict[str, Any]]:
        """The objects of one security stream as the API renders them, in key order.

        Child rows carry their parent's id as the tap does (``userId``, ``groupId``,
        ``roleId``, ``resourceSetId``, ``policyId``).
        """
        with self.lock:
            out: list[dict[str, Any]] = []
            if stream == "user_roles":
                for uid in self.role_assignee_ids():
                    out += [{**o, "userId": uid} for o in self.user_role_objs(uid)]
            elif stream == "group_roles":
                for gid in sorted(self.group_roles):
                    out += [{**o, "groupId": gid} for o in self.group_role_objs(gid)]
            elif stream == "custom_roles":
                out = [self.custom_role_obj(r) for r in sorted(self.custom_roles)]
            elif stream == "custom_role_permissions":
                for rid in sorted(self.role_permissions):
                    out += [{**o, "roleId": rid} for o in self.permission_objs(rid)]
            elif stream == "resource_sets":
                out = [self.resource_set_obj(s) for s in sorted(self.resource_sets)]
            elif stream == "resource_set_resources":
                for sid in sorted(self.resource_set_resources):
                    rows = self.resource_set_resources[sid]
                    out += [
                        {**self.resource_obj(sid, rows[r]), "resourceSetId": sid}
                        for r in sorted(rows)
                    ]
            elif stream == "user_factors":
                for uid in sorted(self.factors):
                    out += [{**o, "userId": uid} for o in self.user_factor_objs(uid)]
            elif stream == "devices":
                out = [self.device_obj(d, "user") for d in self.sorted_device_ids()]
            elif stream == "user_types":
                out = [self.user_type_obj(k) for k in self.user_type_ids]
            elif stream == "policies":
                out = [self.policies[p] for p in sorted(self.policies) if self.visible_policy(p)]
            elif stream == "policy_rules":
                for pid in sorted(self.policies):
                    if self.visible_policy(pid):
                        rules = self.policy_rules.get(pid, {})
                        out += [{**rules[r], "policyId": pid} for r in sorted(rules)]
            elif stream in ("role_targets", "group_owners"):
                from . import admin_scopes  # its endpoints import this module

                out = admin_scopes.objects(self, stream)  # type: ignore[arg-type]
            elif stream in APP_POSTURE_STREAMS:
                out = self.app_posture.objects(stream)
            else:
                store = {
                    "group_rules": self.group_rules,
                    "authenticators": self.authenticators,
                    "network_zones": self.zones,
                    "identity_providers": self.idps,
                    "authorization_servers": self.authorization_servers,
                    "trusted_origins": self.trusted_origins,
                    **self.listed,
                }.get(stream)
                if store is None:
                    raise KeyError(f"no security stream {stream!r}")
                out = [store[k] for k in sorted(store)]
            return self._export(out)

    def device_user_ids(self, device_id: str) -> list[str]:
        with self.lock:
            return [link[0] for link in self.device_users.get(device_id, [])]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:32]}"
