"""Security endpoints: admin roles (/iam), factors, authenticators, devices, group rules,
policies, network zones, IdPs, authorization servers and trusted origins.

Same conventions as ``endpoints.py`` (callers hold ``org.lock``; keyset paging on id with
opaque cursors).  Two paging styles, as Okta has them:

* the ``/api/v1/iam/*`` lists answer an object whose ``_links.next.href`` is the next
  page (no ``Link`` header): ``{"value"|"roles"|"resource-sets"|"resources": [...],
  "_links": {...}}``; ``next`` is left out on the last page;
* the other lists answer a bare array and page with ``Link`` headers.

``/users/{id}/roles``, ``/groups/{id}/roles``, ``/users/{id}/factors``,
``/authenticators``, ``/iam/roles/{id}/permissions`` and ``/policies/{id}/rules`` are not
paged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors
from .endpoints import (
    ApiError,
    Ctx,
    Result,
    _compile,
    _decode,
    _encode,
    _id_page,
    _scan_ids,
    _take,
    _url,
    parse_limit,
)
from .filters import (
    DEVICE_SEARCH,
    TRUSTED_ORIGIN_FILTER,
    ZONE_FILTER,
    FilterError,
    evaluate,
    parse,
    resolve,
)
from .security_data import POLICY_TYPES


def _body_next(ctx: Ctx, cursor: str | None, limit: int | None) -> dict[str, Any]:
    """``_links`` of an /iam list body: ``next`` keeps the caller's other parameters."""
    if cursor is None:
        return {}
    base = [(k, v) for k, v in ctx.query_pairs if k not in ("after", "limit")]
    pairs = [*base, ("after", cursor)]
    if limit is not None:
        pairs.append(("limit", str(limit)))
    return {"next": {"href": _url(ctx, pairs)}}


def _iam_page(
    ctx: Ctx,
    cursor_kind: str,
    ids: list[str],
    render: Callable[[str], dict[str, Any] | None],
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    after = _decode(ctx, cursor_kind, errors.invalid_cursor_paging)
    if after is not None and not isinstance(after, str):
        raise ApiError(400, errors.invalid_cursor_paging())
    page, more = _take(_scan_ids(ids, after, render), limit)
    nxt = _encode(ctx, cursor_kind, str(page[-1]["id"])) if more and page else None
    return page, nxt


def _user_or_404(ctx: Ctx, user_id: str) -> None:
    if user_id not in ctx.org.users:
        raise ApiError(404, errors.not_found(user_id, "User"))


# --- admin roles -----------------------------------------------------------------------


def list_role_assignees(ctx: Ctx) -> Result:
    """/api/v1/iam/assignees/users: users with a role, directly or through a group."""
    org = ctx.org
    limit = parse_limit(ctx, "iam_assignees")
    page, nxt = _iam_page(ctx, "assignees", org.role_assignee_ids(), org.assignee_obj, limit)
    return Result(200, {"value": page, "_links": _body_next(ctx, nxt, limit)}, [], limit)


def list_user_roles(ctx: Ctx, user_id: str) -> Result:
    _user_or_404(ctx, user_id)
    return Result(200, ctx.org.user_role_objs(user_id))


def list_group_roles(ctx: Ctx, group_id: str) -> Result:
    if group_id not in ctx.org.groups:
        raise ApiError(404, errors.not_found(group_id, "Group"))
    return Result(200, ctx.org.group_role_objs(group_id))


def list_custom_roles(ctx: Ctx) -> Result:
    """/api/v1/iam/roles: ``after`` only, pages of ``org.iam_page_size``."""
    org = ctx.org
    page, nxt = _iam_page(
        ctx, "iam-roles", sorted(org.custom_roles), org.custom_role_obj, org.iam_page_size
    )
    return Result(200, {"roles": page, "_links": _body_next(ctx, nxt, None)})


def list_role_permissions(ctx: Ctx, role: str) -> Result:
    rid = ctx.org.find_custom_role(role)
    if rid is None:
        raise ApiError(404, errors.not_found(role, "IamRole"))
    return Result(200, {"permissions": ctx.org.permission_objs(rid)})


def list_resource_sets(ctx: Ctx) -> Result:
    org = ctx.org
    page, nxt = _iam_page(
        ctx, "resource-sets", sorted(org.resource_sets), org.resource_set_obj, org.iam_page_size
    )
    return Result(200, {"resource-sets": page, "_links": _body_next(ctx, nxt, None)})


def list_resource_set_resources(ctx: Ctx, resource_set: str) -> Result:
    org = ctx.org
    sid = org.find_resource_set(resource_set)
    if sid is None:
        raise ApiError(404, errors.not_found(resource_set, "ResourceSet"))
    limit = parse_limit(ctx, "iam_resources")
    rows = org.resource_set_resources.get(sid, {})

    def render(rid: str) -> dict[str, Any] | None:
        return org.resource_obj(sid, rows[rid]) if rid in rows else None

    page, nxt = _iam_page(ctx, f"resources:{sid}", sorted(rows), render, limit)
    body_links = _body_next(ctx, nxt, limit)
    body_links["resource-set"] = {"href": org._link(f"/api/v1/iam/resource-sets/{sid}")}
    return Result(200, {"resources": page, "_links": body_links}, [], limit)


# --- factors and authenticators ----------------------------------------------------------


def list_user_factors(ctx: Ctx, user_id: str) -> Result:
    _user_or_404(ctx, user_id)  # a DEPROVISIONED user still answers
    return Result(200, ctx.org.user_factor_objs(user_id))


def list_authenticators(ctx: Ctx) -> Result:
    return Result(200, list(ctx.org.authenticators.values()))


# --- devices ------------------------------------------------------------------------------


def list_devices(ctx: Ctx) -> Result:
    """``search`` (SCIM, DEVICE_SEARCH) and ``expand=user|userSummary``; id order."""
    org = ctx.org
    expand = ctx.param("expand")
    if expand not in (None, "", "user", "userSummary"):
        raise ApiError(
            400, errors.validation("expand", "expand must be one of: user, userSummary.")
        )
    search = ctx.param("search")
    pred: Callable[[Any], bool] | None = None
    kind = "devices"
    if search:
        node = _compile(search, DEVICE_SEARCH)
        kind = "devices-search"

        def pred(d: Any) -> bool:
            return evaluate(node, d)

    def get(did: str) -> dict[str, Any] | None:
        return org.devices.get(did)

    result = _id_page(
        ctx,
        "devices",
        kind,
        org.sorted_device_ids(),
        get,
        pred,
        errors.invalid_search if search else errors.invalid_cursor_paging,
    )
    result.body = [org.device_obj(d["id"], expand) for d in result.body]
    return result


# --- group rules --------------------------------------------------------------------------


def list_group_rules(ctx: Ctx) -> Result:
    org = ctx.org
    keyword = (ctx.param("search") or "").lower()
    expand = ctx.param("expand") == "groupIdToGroupNameMap"

    def pred(rule: Any) -> bool:
        return keyword in rule["name"].lower()

    result = _id_page(
        ctx,
        "group_rules",
        "group-rules",
        sorted(org.group_rules),
        org.group_rules.get,
        pred if keyword else None,
        errors.invalid_cursor_paging,
    )
    if expand:
        rendered = []
        for rule in result.body:
            names = {
                gid: org.groups[gid]["profile"]["name"]
                for gid in rule["actions"]["assignUserToGroups"]["groupIds"]
                if gid in org.groups
            }
            rendered.append({**rule, "_embedded": {"groupIdToGroupNameMap": names}})
        result.body = rendered
    return result


# --- policies -----------------------------------------------------------------------------


def list_policies(ctx: Ctx) -> Result:
    """``type`` is required; a type whose feature the org lacks is a 400 E0000002."""
    org = ctx.org
    ptype = ctx.param("type")
    if not ptype:
        raise ApiError(400, errors.policy_type_required())
    ptype = ptype.upper()
    if ptype not in POLICY_TYPES or not org.policy_type_available(ptype):
        raise ApiError(400, errors.invalid_policy_type())
    status = (ctx.param("status") or "").upper()
    prefix = (ctx.param("q") or "").lower()

    def pred(p: Any) -> bool:
        return bool(
            p["type"] == ptype
            and (not status or p["status"] == status)
            and p["name"].lower().startswith(prefix)
        )

    return _id_page(
        ctx,
        "policies",
        f"policies:{ptype}",
        sorted(org.policies),
        org.policies.get,
        pred,
        errors.invalid_cursor_paging,
    )


def list_policy_rules(ctx: Ctx, policy_id: str) -> Result:
    """Not paged; ``limit`` (documented, with no ``after``) only caps the answer."""
    org = ctx.org
    if org.visible_policy(policy_id) is None:
        raise ApiError(404, errors.not_found(policy_id, "Policy"))
    rules = org.policy_rules.get(policy_id, {})
    ordered = sorted(rules.values(), key=lambda r: (r["priority"], r["id"]))
    raw = ctx.param("limit")
    if raw:
        try:
            cap = int(raw)
        except ValueError:
            raise ApiError(
                400, errors.validation("limit", "The limit must be an integer.")
            ) from None
        if cap < 1:
            raise ApiError(400, errors.validation("limit", "The limit must be greater than 0."))
        ordered = ordered[:cap]
    return Result(200, ordered)


# --- network zones, IdPs, authorization servers, trusted origins --------------------------


def list_zones(ctx: Ctx) -> Result:
    """``limit`` defaults to -1 (every zone); ``filter`` on id, usage and system."""
    org = ctx.org
    pred: Callable[[Any], bool] | None = None
    flt = ctx.param("filter")
    if flt:
        node = _compile(flt, ZONE_FILTER)

        def pred(z: Any) -> bool:
            return evaluate(node, z)

    ids = sorted(org.zones)
    if (ctx.param("limit") or "-1") == "-1":
        if ctx.param("after"):
            raise ApiError(400, errors.invalid_cursor_paging())
        everything, _ = _take(_scan_ids(ids, None, org.zones.get, pred), len(ids) + 1)
        return Result(200, everything)
    return _id_page(ctx, "zones", "zones", ids, org.zones.get, pred, errors.invalid_cursor_paging)


def list_idps(ctx: Ctx) -> Result:
    org = ctx.org
    needle = (ctx.param("q") or "").lower()
    itype = ctx.param("type")

    def pred(i: Any) -> bool:
        return i["name"].lower().startswith(needle) and (not itype or i["type"] == itype)

    return _id_page(
        ctx, "idps", "idps", sorted(org.idps), org.idps.get, pred, errors.invalid_cursor_paging
    )


def list_authorization_servers(ctx: Ctx) -> Result:
    org = ctx.org
    needle = (ctx.param("q") or "").lower()

    def pred(s: Any) -> bool:
        return any(v.lower().startswith(needle) for v in (s["name"], *s["audiences"]))

    return _id_page(
        ctx,
        "authorization_servers",
        "authorization-servers",
        sorted(org.authorization_servers),
        org.authorization_servers.get,
        pred if needle else None,
        errors.invalid_cursor_paging,
    )


def _origin_resolver(obj: Any, path: str) -> list[Any]:
    if path == "type":
        return [s.get("type") for s in obj.get("scopes") or []]
    return resolve(obj, path)


def list_trusted_origins(ctx: Ctx) -> Result:
    org = ctx.org
    needle = (ctx.param("q") or "").lower()
    flt = ctx.param("filter")
    node = None
    if flt:
        try:
            node = parse(flt, TRUSTED_ORIGIN_FILTER)
        except FilterError as exc:
            raise ApiError(400, errors.invalid_search(exc.message)) from None

    def pred(o: Any) -> bool:
        if needle and not any(v.lower().startswith(needle) for v in (o["name"], o["origin"])):
            return False
        return node is None or evaluate(node, o, _origin_resolver)

    return _id_page(
        ctx,
        "trusted_origins",
        "trusted-origins",
        sorted(org.trusted_origins),
        org.trusted_origins.get,
        pred,
        errors.invalid_cursor_paging,
    )
