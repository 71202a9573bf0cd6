"""What each dbt mart in transform/ must hold, computed from the simulator's own state.

The models read the tap's tables; this module reads the simulated org (``Org``: its
users, memberships, app-user tables, role assignments and factors) and never the
models' SQL, so a model that joins the wrong way disagrees with it.

Every function returns rows keyed by the mart's grain, with the contract's columns
(issue 21): ``{key: {column: value}}``. :func:`normalize` turns what a warehouse
returns (lists, arrays, comma-separated text, timestamps with or without zone) into
the same plain values, so the comparison is exact on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.okta_sim import Org
from tests.okta_sim.app_posture import application_type
from tests.okta_sim.assignments import DIRECT
from tests.okta_sim.security_data import FACTOR_KINDS

UTC = timezone.utc
# Okta's phishing-resistant authenticators among the factor types: FIDO2 (WebAuthn) and
# Okta Verify FastPass (signed_nonce). Legacy FIDO U2F keys are not on Okta's list.
PHISHING_RESISTANT = frozenset({"webauthn", "signed_nonce"})
DORMANT_DAYS = 90
Key = tuple[Any, ...]
Rows = dict[Key, dict[str, Any]]


def parse_time(value: Any) -> datetime | None:
    """An Okta timestamp (text) or a warehouse timestamp as an aware UTC datetime, to
    the second (Okta's directory timestamps carry whole seconds)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
        value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    if value.tzinfo is None:  # the models store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def id_list(value: Any) -> tuple[str, ...]:
    """A list of ids however a warehouse returns it: sorted, as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return tuple(sorted(str(v) for v in json.loads(text)))
        text = text.strip("{}")
        return tuple(sorted(p.strip().strip('"') for p in text.split(",") if p.strip()))
    return tuple(sorted(str(v) for v in value))


def _user_facts(org: Org, uid: str) -> dict[str, Any]:
    user = org.users[uid]
    return {
        "user_login": user["profile"].get("login"),
        "user_status": user["status"],
        "last_login": parse_time(user["lastLogin"]),
    }


def app_access(org: Org) -> Rows:
    """``okta_app_access``: every (user, app) in Okta's app-user lists, group-derived
    included, and the assigned groups the user is a member of (``via_group_ids``)."""
    rows: Rows = {}
    with org.lock:
        for app_id, app in org.apps.items():
            table = org.app_users.get(app_id)
            if table is None:
                continue
            groups = org.app_groups.get(app_id, {})
            for uid in table.ids:
                if uid not in org.users:
                    continue
                row = table.get(uid)
                assert row is not None
                via = tuple(sorted(g for g in groups if uid in org.memberships.get(g, ())))
                rows[(uid, app_id)] = {
                    **_user_facts(org, uid),
                    "app_label": app["label"],
                    "app_status": app["status"],
                    "assigned_directly": bool(row.flags & DIRECT),
                    "via_group_ids": via,
                    "scope": row.scope,
                }
    return rows


def user_mfa(org: Org) -> Rows:
    """``okta_user_mfa``: one row per user, from the user's ACTIVE factors."""
    rows: Rows = {}
    with org.lock:
        for uid in org.users:
            active = [f for f in org.factors.get(uid, []) if f.status == "ACTIVE"]
            types = tuple(sorted({FACTOR_KINDS[f.kind][0] for f in active}))
            rows[(uid,)] = {
                "active_factor_types": types,
                "active_factor_count": len(active),
                "has_mfa": bool(active),
                "has_phishing_resistant_mfa": any(t in PHISHING_RESISTANT for t in types),
            }
    return rows


# The role types Okta can limit to groups or apps (role targets); the others reach the
# whole org, or, a custom role, its resource set.
TARGETABLE_ROLES = frozenset(
    {"USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN", "APP_ADMIN"}
)
#: Role targets: (principal type, principal id, assignment id) -> [(target type, id)].
Targets = Mapping[tuple[str, str, str], Iterable[tuple[str, str]]]


def role_targets(org: Org) -> Targets:
    """The org's role targets as the stream ``role_targets`` serves them: a group by
    its id, an app by its instance id or its catalog name."""
    with org.lock:
        return {
            key: [
                *(("group", g) for g in targets["groups"]),
                *(("app", a) for a in targets["apps"]),
            ]
            for key, targets in org.role_targets.items()
        }


def _scope(stored: Mapping[str, Any], targets: list[tuple[str, str]] | None) -> dict[str, Any]:
    """``scope`` and the target lists; ``targets`` None: role_targets not loaded."""
    if targets:
        scope = "targeted"
    elif stored["type"] == "CUSTOM":
        scope = "resource_set"
    elif stored["type"] not in TARGETABLE_ROLES or targets is not None:
        scope = "org"
    else:
        scope = "unknown"
    lists = {
        f"targeted_{kind}_ids": None
        if scope == "unknown"
        else tuple(sorted({t for k, t in targets or () if k == kind}))
        for kind in ("group", "app")
    }
    return {"scope": scope, **lists}


def admin_access(org: Org, targets: Targets | None = None) -> Rows:
    """``okta_admin_access``: each role assignment a user holds, keyed (user, role
    assignment, group it comes through or None for a direct one). ``targets`` None:
    role_targets was not loaded, so a role Okta can limit has scope unknown."""
    mfa = user_mfa(org)
    rows: Rows = {}

    def targets_of(principal: tuple[str, str], assignment: str) -> list[tuple[str, str]] | None:
        if targets is None:
            return None
        return list(targets.get((*principal, assignment), ()))

    def add(uid: str, stored: Mapping[str, Any], via: str | None) -> None:
        if uid not in org.users:
            return
        custom = stored["type"] == "CUSTOM"
        principal = ("group", via) if via else ("user", uid)
        rows[(uid, stored["id"], via)] = {
            **_scope(stored, targets_of(principal, stored["id"])),
            **_user_facts(org, uid),
            "role_type": stored["type"],
            "role_label": stored["label"],
            "custom_role_id": stored.get("role") if custom else None,
            "resource_set_id": stored.get("resource-set") if custom else None,
            "via_group_id": via,
            "has_mfa": mfa[(uid,)]["has_mfa"],
            "has_phishing_resistant_mfa": mfa[(uid,)]["has_phishing_resistant_mfa"],
        }

    with org.lock:
        for uid, held in org.user_roles.items():
            for stored in held.values():
                add(uid, stored, None)
        for gid, held in org.group_roles.items():
            for uid in org.memberships.get(gid, ()):
                for stored in held.values():
                    add(uid, stored, gid)
    return rows


# Users who can sign in: the dormancy findings look only at them (a STAGED or
# PROVISIONED user is still being set up; deprovisioned and suspended have their own).
SIGNING_IN = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"})


def findings(
    org: Org, now: datetime, dormant_days: int = DORMANT_DAYS, *, security: bool = True
) -> set[Key]:
    """``okta_access_findings`` as (finding, user_id, object_id).

    App findings name the app; admin findings name each role assignment the user
    holds without (phishing-resistant) MFA. ``security=False``: only the default
    streams were loaded, so there are no admin findings.
    """
    out: set[Key] = set()
    cutoff = now - timedelta(days=dormant_days)
    for (uid, app_id), row in app_access(org).items():
        status, last = row["user_status"], row["last_login"]
        if status == "DEPROVISIONED":
            out.add(("deprovisioned_with_app_access", uid, app_id))
        elif status == "SUSPENDED":
            out.add(("suspended_with_app_access", uid, app_id))
        elif status in SIGNING_IN and last is None:
            out.add(("never_signed_in_with_app_access", uid, app_id))
        elif status in SIGNING_IN and last < cutoff:
            out.add(("dormant_with_app_access", uid, app_id))
    if security:
        for (uid, assignment, _via), row in admin_access(org).items():
            if not row["has_mfa"]:
                out.add(("admin_without_mfa", uid, assignment))
            if not row["has_phishing_resistant_mfa"]:
                out.add(("admin_without_phishing_resistant_mfa", uid, assignment))
        out |= posture_findings(org)
    return out


def posture_findings(org: Org) -> set[Key]:
    """The findings over the posture streams (api_tokens, log_streams, app_grants,
    app_features), as (finding, user_id, object_id); user_id None for a finding about
    an object alone (a log stream, an app)."""
    out: set[Key] = set()
    with org.lock:
        for token_id, token in org.listed["api_tokens"].items():
            uid = token.get("userId")
            user = org.users.get(uid) if uid else None
            # Not ACTIVE, or deleted: Okta rejects the token but still lists it.
            if user is None or user["status"] != "ACTIVE":
                out.add(("api_token_of_inactive_user", uid, token_id))
            # No network object, or one without a connection, is anywhere.
            if ((token.get("network") or {}).get("connection") or "ANYWHERE") == "ANYWHERE":
                out.add(("api_token_without_network_restriction", uid, token_id))
        for stream_id, stream in org.listed["log_streams"].items():
            if stream.get("status") != "ACTIVE":
                out.add(("log_stream_inactive", None, stream_id))
        posture = org.app_posture
        for app_id, grants in posture.grants.items():
            manage = any(
                g["status"] == "ACTIVE" and re.fullmatch(r"okta\..*\.manage", g["scopeId"])
                for g in grants.values()
            )
            if manage and app_id in org.apps and application_type(org, app_id) == "service":
                out.add(("service_app_with_manage_scopes", None, app_id))
    assigned = {app_id for _uid, app_id in app_access(org)}
    with org.lock:
        for app_id in assigned:
            deprovisions = any(
                f["name"] == "USER_PROVISIONING"
                and f["status"] == "ENABLED"
                and f["capabilities"]["update"]["lifecycleDeactivate"]["status"] == "ENABLED"
                for f in org.app_posture.features.get(app_id, ())
            )
            if org.apps[app_id]["status"] == "ACTIVE" and not deprovisions:
                out.add(("app_without_deprovisioning", None, app_id))
    return out


@dataclass
class Timeline:
    """Who could use each app at chosen instants: the org's app-user lists, recorded
    by the test between rounds (the simulator keeps no history of its own)."""

    instants: list[tuple[datetime, dict[str, frozenset[str]]]] = field(default_factory=list)

    def record(self, org: Org, at: datetime) -> None:
        users: dict[str, set[str]] = {}
        for uid, app_id in app_access(org):
            users.setdefault(app_id, set()).add(uid)
        self.instants.append((at, {a: frozenset(u) for a, u in users.items()}))

    def users_of(self, app_id: str, at: datetime) -> frozenset[str]:
        state = max((i for i in self.instants if i[0] <= at), key=lambda i: i[0], default=None)
        assert state is not None, f"no recorded state at or before {at}"
        return state[1].get(app_id, frozenset())


def normalize(column: str, value: Any) -> Any:
    """One mart value as the truth functions write it."""
    if column in ("via_group_ids", "active_factor_types"):
        return id_list(value)
    if column in ("targeted_group_ids", "targeted_app_ids"):
        return None if value is None else id_list(value)
    if column in ("last_login", "valid_from", "valid_to", "since"):
        return parse_time(value)
    if column.startswith(("has_", "assigned_")) and value is not None:
        return bool(value)
    if column.endswith("_count") and value is not None:
        return int(value)
    return value


def mart_rows(
    records: Iterable[Mapping[str, Any]], key: tuple[str, ...], columns: Iterable[str]
) -> Rows:
    """Rows a warehouse returned, keyed and normalized like the truth functions' rows.

    A key seen twice fails: the mart's grain is part of its contract.
    """
    wanted = list(columns)
    out: Rows = {}
    for record in records:
        k = tuple(record[c] for c in key)
        assert k not in out, f"two rows for key {k}"
        out[k] = {c: normalize(c, record[c]) for c in wanted}
    return out


def differences(want: Rows, have: Rows, limit: int = 5) -> list[str]:
    """Human-readable differences, at most ``limit`` of each kind (empty: equal)."""
    lines: list[str] = []
    missing = [k for k in want if k not in have]
    extra = [k for k in have if k not in want]
    lines += [f"missing {k}: {want[k]}" for k in missing[:limit]]
    lines += [f"extra {k}: {have[k]}" for k in extra[:limit]]
    wrong = [
        (k, c, want[k][c], have[k][c])
        for k in want
        if k in have
        for c in want[k]
        if c in have[k] and want[k][c] != have[k][c]
    ]
    lines += [f"{k} {c}: want {w!r}, have {h!r}" for k, c, w, h in wrong[:limit]]
    if missing or extra or wrong:
        lines.insert(0, f"{len(missing)} missing, {len(extra)} extra, {len(wrong)} wrong values")
    return lines
