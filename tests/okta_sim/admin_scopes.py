"""Per-parent posture data: the targets of admin role assignments, and group owners.

Both are read one parent at a time (a role assignment, a group), so they are not plain
lists (``plain_lists.py``); their data and routes are declared here, once.

- Role targets (Okta's RoleBTargetAdmin API): a USER_ADMIN, HELP_DESK_ADMIN or
  GROUP_MEMBERSHIP_ADMIN assignment may be scoped to groups
  (``.../roles/{roleAssignmentId}/targets/groups``, Okta's Group objects), an APP_ADMIN
  one to apps (``.../targets/catalog/apps``, CatalogApplication: an app instance carries
  its ``id``, an OIN catalog app, all instances of it, does not). An assignment without
  targets covers the whole org: the list is empty. Any other type: 404 E0000007 (Okta
  answers so for a role that takes no targets). Paged by ``after``/``limit`` (default 20,
  largest 200), ``Link`` headers, the same on both engines.
- Group owners (``/api/v1/groups/{groupId}/owners``, GroupOwner): paged by
  ``after``/``limit`` (default 1000). Group ownership needs Okta Identity Governance;
  an org without it (``"GROUP_OWNERS"`` in ``org.disabled_features``) answers 401
  E0000015 here, an assumption: Okta documents no answer for it.

Each is generated from a random stream of its own (``RANDOM_STREAMS``), after everything
else, so no other object of a generated org changes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from . import endpoints as _endpoints
from . import errors
from .endpoints import ApiError, Ctx, Result, _id_page

if TYPE_CHECKING:
    from .org import Org

#: ``random.Random(seed * 7919 + k)`` of each generator (see plain_lists.RESERVED_...).
RANDOM_STREAMS = {"role_targets": 25, "group_owners": 26}
GROUP_TARGET_TYPES = frozenset({"USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"})
APP_TARGET_TYPES = frozenset({"APP_ADMIN"})
#: OIN catalog apps an APP_ADMIN may be scoped to as a whole (every instance).
CATALOG_APPS = {"salesforce": "Salesforce.com", "box": "Box", "slack": "Slack"}
PAGE_SIZES = {"role_targets": (20, 200), "group_owners": (1000, 1000)}
GROUP_OWNERS_FEATURE = "GROUP_OWNERS"


def _fmt(epoch: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


# --- generation -----------------------------------------------------------------------


def _assignments(org: Org) -> list[tuple[str, str, str, str]]:
    """(principal type, principal id, assignment id, role type), in a fixed order."""
    out = [
        ("user", uid, aid, stored["type"])
        for uid in sorted(org.user_roles)
        for aid, stored in sorted(org.user_roles[uid].items())
    ]
    out += [
        ("group", gid, aid, stored["type"])
        for gid in sorted(org.group_roles)
        for aid, stored in sorted(org.group_roles[gid].items())
    ]
    return out


def generate_role_targets(org: Org, rng: random.Random) -> None:
    """About two in three targetable assignments are scoped, the first always (so that
    every org has one for the models to find); the rest are org-wide."""
    okta_groups = sorted(g for g, o in org.groups.items() if o["type"] == "OKTA_GROUP")
    apps = sorted(org.apps)
    first = True
    for kind, principal, aid, role_type in _assignments(org):
        key = (kind, principal, aid)
        takes_groups = role_type in GROUP_TARGET_TYPES and okta_groups
        takes_apps = role_type in APP_TARGET_TYPES and apps
        if not (takes_groups or takes_apps):
            continue
        scoped = rng.random() < 0.67 or first
        first = False
        if takes_groups and scoped:
            picked = rng.sample(okta_groups, k=min(len(okta_groups), rng.randint(1, 3)))
            org.role_targets[key] = {"groups": sorted(picked), "apps": []}
        elif takes_apps and scoped:
            picked = rng.sample(apps, k=min(len(apps), rng.randint(1, 2)))
            if rng.random() < 0.5:
                picked.append(rng.choice(sorted(CATALOG_APPS)))
            org.role_targets[key] = {"groups": [], "apps": sorted(picked)}


def generate_group_owners(org: Org, rng: random.Random, now_s: int) -> None:
    """About one group in four has owners, the first always: users, now and then a
    group."""
    active = sorted(u for u, o in org.users.items() if o["status"] == "ACTIVE")
    groups = sorted(org.groups)
    if not active:
        return
    for gid in groups:
        if org.groups[gid]["type"] == "BUILT_IN" or (rng.random() >= 0.25 and org.group_owners):
            continue
        owners: dict[str, dict[str, Any]] = {}
        for uid in rng.sample(active, k=min(len(active), rng.randint(1, 2))):
            owners[uid] = {"type": "USER", "displayName": _user_name(org, uid)}
        if rng.random() < 0.2:
            other = rng.choice(groups)
            if other != gid:
                owners[other] = {
                    "type": "GROUP",
                    "displayName": org.groups[other]["profile"]["name"],
                }
        for oid, owner in owners.items():
            owner.update(
                id=oid,
                originId=None,
                originType="OKTA_DIRECTORY",
                resolved=True,
                lastUpdated=_fmt(now_s - rng.randint(3600, 300 * 86400)),
            )
        org.group_owners[gid] = owners


def _user_name(org: Org, uid: str) -> str:
    profile = org.users[uid]["profile"]
    return f"{profile.get('firstName', '')} {profile.get('lastName', '')}".strip()


def generate(org: Org, seed: int, now_s: int) -> None:
    generate_role_targets(org, random.Random(seed * 7919 + RANDOM_STREAMS["role_targets"]))
    generate_group_owners(org, random.Random(seed * 7919 + RANDOM_STREAMS["group_owners"]), now_s)


# --- changes a test makes (Okta logs none that names the target or owner) -----------------


def scope_role(
    org: Org,
    kind: str,
    principal: str,
    assignment_id: str,
    *,
    groups: tuple[str, ...] = (),
    apps: tuple[str, ...] = (),
) -> None:
    """Set a role assignment's targets (none: org-wide again), as an admin does."""
    with org.lock:
        if groups or apps:
            org.role_targets[(kind, principal, assignment_id)] = {
                "groups": sorted(groups),
                "apps": sorted(apps),
            }
        else:
            org.role_targets.pop((kind, principal, assignment_id), None)


def set_group_owners(org: Org, group_id: str, owners: dict[str, dict[str, Any]]) -> None:
    """Replace a group's owners (owner id -> GroupOwner without its ``id``)."""
    with org.lock:
        org.group_owners[group_id] = {oid: {**o, "id": oid} for oid, o in owners.items()}


# --- what a warehouse holds ------------------------------------------------------------


def snapshot(org: Org) -> dict[str, set[Any]]:
    """role_targets: (principal type, principal id, assignment id, target type, target
    id) of assignments that still exist; group_owners: (group id, owner id)."""
    targets: set[tuple[str, ...]] = set()
    for kind, principal, aid, _ in _assignments(org):
        scoped = org.role_targets.get((kind, principal, aid)) or {}
        for gid in scoped.get("groups", ()):
            if gid in org.groups:
                targets.add((kind, principal, aid, "group", gid))
        for app in scoped.get("apps", ()):
            if app in org.apps or app in CATALOG_APPS:
                targets.add((kind, principal, aid, "app", app))
    owners = {
        (gid, oid) for gid, held in org.group_owners.items() if gid in org.groups for oid in held
    }
    return {"role_targets": targets, "group_owners": owners}


def objects(org: Org, stream: str) -> list[dict[str, Any]]:
    """The rows of ``stream`` as the tap writes them (the target or owner as Okta renders
    it), in key order."""
    if stream == "group_owners":
        return [
            {**org.group_owners[gid][oid], "group_id": gid}
            for gid, oid in sorted(snapshot(org)["group_owners"])
        ]
    rows = []
    for kind, principal, aid, target_type, target_id in sorted(snapshot(org)["role_targets"]):
        target = org.groups[target_id] if target_type == "group" else _catalog_app(org, target_id)
        rows.append(
            {
                "principal_type": kind,
                "principal_id": principal,
                "role_assignment_id": aid,
                "target_type": target_type,
                "target_id": target_id,
                "target": target,
            }
        )
    return rows


# --- endpoints -------------------------------------------------------------------------


def _catalog_app(org: Org, key: str) -> dict[str, Any] | None:
    """A CatalogApplication: an instance (with ``id``) or a whole OIN app (without)."""
    if key in CATALOG_APPS:
        return {
            "name": key,
            "displayName": CATALOG_APPS[key],
            "status": "ACTIVE",
            "category": "CRM",
            "signOnModes": ["SAML_2_0"],
            "_links": {"logo": [{"name": "medium", "href": org._link(f"/img/{key}.png")}]},
        }
    app = org.apps.get(key)
    if app is None:
        return None
    return {
        "id": key,
        "name": app["name"],
        "displayName": app["label"],
        "status": app["status"],
        "signOnModes": [app["signOnMode"]] if app.get("signOnMode") else [],
        "lastUpdated": app.get("lastUpdated"),
        "_links": {"appLinks": [{"href": org._link(f"/api/v1/apps/{key}")}]},
    }


def _assignment(org: Org, kind: str, principal: str, aid: str) -> dict[str, Any]:
    held = (org.user_roles if kind == "user" else org.group_roles).get(principal, {})
    if kind == "user" and principal not in org.users:
        raise ApiError(404, errors.not_found(principal, "User"))
    if kind == "group" and principal not in org.groups:
        raise ApiError(404, errors.not_found(principal, "Group"))
    if aid not in held:
        raise ApiError(404, errors.not_found(aid, "Role"))
    stored: dict[str, Any] = held[aid]
    return stored


def list_targets(kind: str, target: str) -> Any:
    """``/api/v1/{users|groups}/{id}/roles/{roleAssignmentId}/targets/{groups|catalog/apps}``."""
    takes = GROUP_TARGET_TYPES if target == "groups" else APP_TARGET_TYPES

    def serve(ctx: Ctx, principal: str, aid: str) -> Result:
        org = ctx.org
        stored = _assignment(org, kind, principal, aid)
        if stored["type"] not in takes:
            raise ApiError(404, errors.not_found(aid, "Role"))
        scoped = (org.role_targets.get((kind, principal, aid)) or {}).get(
            "groups" if target == "groups" else "apps", []
        )
        if target == "groups":
            objects = {g: org.groups[g] for g in scoped if g in org.groups}
        else:
            objects = {a: o for a in scoped if (o := _catalog_app(org, a)) is not None}
        # Keyset paging on the object id; a whole OIN app pages by its name.
        keyed = {k: {**o, "id": o.get("id", k)} for k, o in objects.items()}
        result = _id_page(
            ctx,
            "role_targets",
            f"targets:{kind}:{principal}:{aid}:{target}",
            sorted(keyed),
            keyed.get,
            None,
            errors.invalid_cursor_paging,
        )
        result.body = [objects[str(o["id"])] for o in result.body]
        return result

    return serve


def list_group_owners(ctx: Ctx, group_id: str) -> Result:
    org = ctx.org
    if GROUP_OWNERS_FEATURE in org.disabled_features:
        raise ApiError(401, errors.feature_unavailable())
    if group_id not in org.groups:
        raise ApiError(404, errors.not_found(group_id, "Group"))
    owners = org.group_owners.get(group_id, {})
    return _id_page(
        ctx,
        "group_owners",
        f"owners:{group_id}",
        sorted(owners),
        owners.get,
        None,
        errors.invalid_cursor_paging,
    )


#: (path pattern, handler, permission family), joined to ``server.ROUTES``.
ROUTES: list[tuple[str, Any, str]] = [
    *(
        (
            rf"^/api/v1/{kind}s/([^/]+)/roles/([^/]+)/targets/{path}$",
            list_targets(kind, target),
            "roles",
        )
        for kind in ("user", "group")
        for target, path in (("groups", "groups"), ("apps", "catalog/apps"))
    ),
    (r"^/api/v1/groups/([^/]+)/owners$", list_group_owners, "groups"),
]

# Their page sizes join the other lists' (``parse_limit``).
_endpoints.PAGE_SIZES.update(PAGE_SIZES)
