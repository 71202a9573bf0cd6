"""Resource endpoints: users, groups, apps (+ children) and the System Log.

Pure functions of (org, request) -> result; the HTTP layer (server.py) does auth,
rate limits, faults and serialisation.  Callers hold ``org.lock``.

Paging is keyset based: every list is walked in a stable order (id, or
(sort value, id) for sorted search, or (persisted time, seq) for log polling)
and the cursor records the last position returned, so concurrent changes never
shift a page boundary.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from . import cursors, errors
from .clock import parse_iso, to_epoch
from .filters import (
    APP_FILTER,
    GROUP_FILTER,
    LOG_FILTER,
    SEARCH,
    USER_FILTER,
    Dialect,
    FilterError,
    Node,
    evaluate,
    parse,
)
from .org import DAY, Org
from .plain_lists import PLAIN_LISTS, PlainList

# (default, max) page sizes per list endpoint
PAGE_SIZES: dict[str, tuple[int, int]] = {
    "users": (200, 200),
    "groups": (10000, 10000),
    "apps": (20, 200),
    "logs": (100, 1000),
    "group_users": (1000, 1000),
    "app_users": (50, 500),
    "app_groups": (20, 200),
    "group_apps": (20, 200),
    # security endpoints (security_endpoints.py); Okta's documented defaults and maxima
    "iam_assignees": (100, 100),
    "iam_resources": (100, 100),
    "devices": (200, 200),
    "group_rules": (50, 200),
    "policies": (20, 200),
    "zones": (200, 200),  # no limit means every zone (Okta's default is -1)
    "idps": (20, 200),
    "authorization_servers": (200, 200),
    "trusted_origins": (20, 200),
    # the plain lists that are paged (plain_lists.py)
    **{entry.stream: entry.page_sizes for entry in PLAIN_LISTS if entry.page_sizes},
}
POLL_DEFAULT_SINCE_MS = 15 * 60 * 1000
BOUNDED_DEFAULT_SPAN_MS = 7 * DAY * 1000


class ApiError(Exception):
    def __init__(
        self, status: int, body: Any, headers: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or []


@dataclass
class Ctx:
    org: Org
    path: str
    query: dict[str, list[str]]
    query_pairs: list[tuple[str, str]]
    link_base: str
    logs_timeout_over_limit: int | None = None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Result:
    status: int
    body: Any
    links: list[str] = field(default_factory=list)
    effective_limit: int | None = None


# --- shared helpers ------------------------------------------------------------------


def parse_limit(ctx: Ctx, kind: str) -> int:
    default, maximum = PAGE_SIZES[kind]
    raw = ctx.param("limit")
    if raw is None or raw == "":
        return default
    try:
        n = int(raw)
    except ValueError:
        raise ApiError(400, errors.validation("limit", "The limit must be an integer.")) from None
    if n < 1:
        raise ApiError(400, errors.validation("limit", "The limit must be greater than 0."))
    return min(n, maximum)


def _url(ctx: Ctx, pairs: list[tuple[str, str]]) -> str:
    qs = urlencode(pairs, quote_via=quote, safe="")
    return f"{ctx.link_base}{ctx.path}?{qs}" if qs else f"{ctx.link_base}{ctx.path}"


def links(ctx: Ctx, limit: int, next_cursor: str | None) -> list[str]:
    """``self`` echoes the request with the effective limit; ``next`` adds the cursor."""
    base = [(k, v) for k, v in ctx.query_pairs if k not in ("after", "limit")]
    self_pairs = list(base)
    after = ctx.param("after")
    if after is not None:
        self_pairs.append(("after", after))
    self_pairs.append(("limit", str(limit)))
    out = [f'<{_url(ctx, self_pairs)}>; rel="self"']
    if next_cursor is not None:
        out.append(
            f'<{_url(ctx, [*base, ("after", next_cursor), ("limit", str(limit))])}>; rel="next"'
        )
    return out


def _decode(ctx: Ctx, kind: str, bad: Callable[[], dict[str, Any]]) -> Any:
    raw = ctx.param("after")
    if raw is None:
        return None
    try:
        return cursors.decode(raw, kind, ctx.org.cursor_epoch)
    except cursors.InvalidCursor:
        raise ApiError(400, bad()) from None


def _encode(ctx: Ctx, kind: str, position: Any) -> str:
    return cursors.encode(kind, ctx.org.cursor_epoch, position)


def _compile(expr: str, dialect: Dialect) -> Node:
    try:
        return parse(expr, dialect)
    except FilterError as exc:
        raise ApiError(400, errors.invalid_search(exc.message)) from None


def _take(items: Iterator[Any], limit: int) -> tuple[list[Any], bool]:
    """First ``limit`` items and whether at least one more exists."""
    out: list[Any] = []
    for item in items:
        if len(out) == limit:
            return out, True
        out.append(item)
    return out, False


def _scan_ids(
    ids: list[str],
    after: str | None,
    get: Callable[[str], Any | None],
    pred: Callable[[Any], bool] | None = None,
) -> Iterator[Any]:
    start = bisect_right(ids, after) if after is not None else 0
    for i in range(start, len(ids)):
        obj = get(ids[i])
        if obj is not None and (pred is None or pred(obj)):
            yield obj


def _id_page(
    ctx: Ctx,
    kind: str,
    cursor_kind: str,
    ids: list[str],
    get: Callable[[str], Any | None],
    pred: Callable[[Any], bool] | None,
    bad: Callable[[], dict[str, Any]],
) -> Result:
    limit = parse_limit(ctx, kind)
    after = _decode(ctx, cursor_kind, bad)
    if after is not None and not isinstance(after, str):
        raise ApiError(400, bad())
    page, more = _take(_scan_ids(ids, after, get, pred), limit)
    nxt = _encode(ctx, cursor_kind, str(page[-1]["id"])) if more and page else None
    return Result(200, page, links(ctx, limit, nxt), limit)


def _search(ctx: Ctx, collection: str, expr: str, view: dict[str, dict[str, Any]] | None) -> Result:
    """search= with optional sortBy/sortOrder (keyset cursor on (value, id))."""
    org = ctx.org
    node = _compile(expr, SEARCH)
    store: dict[str, dict[str, Any]] = view if view is not None else getattr(org, collection)
    sort_by = ctx.param("sortBy")
    order = (ctx.param("sortOrder") or "asc").lower()
    if order not in ("asc", "desc"):
        raise ApiError(400, errors.invalid_search("sortOrder must be asc or desc."))
    limit = parse_limit(ctx, collection)
    if not sort_by:
        ids = sorted(store) if view is not None else org.sorted_ids(collection)
        return _id_page(
            ctx,
            collection,
            f"{collection}-search",
            ids,
            store.get,
            lambda o: evaluate(node, o),
            errors.invalid_search,
        )
    ckind = f"{collection}-search:{sort_by}:{order}"
    pos = _decode(ctx, ckind, errors.invalid_search)
    keys = org.sort_keys(collection, sort_by, view)
    if pos is not None:
        if not (
            isinstance(pos, list)
            and len(pos) == 2
            and isinstance(pos[0], list)
            and isinstance(pos[1], str)
        ):
            raise ApiError(400, errors.invalid_search())
        anchor = (tuple(pos[0]), pos[1])

    def walk() -> Iterator[tuple[tuple[Any, ...], str]]:
        if order == "asc":
            start = bisect_right(keys, anchor) if pos is not None else 0
            yield from keys[start:]
        else:
            start = bisect_left(keys, anchor) - 1 if pos is not None else len(keys) - 1
            for i in range(start, -1, -1):
                yield keys[i]

    matches = ((k, store[oid]) for k, oid in walk() if evaluate(node, store[oid]))
    page, more = _take(matches, limit)
    nxt = None
    if more and page:
        last_key, last_obj = page[-1]
        nxt = _encode(ctx, ckind, [list(last_key), last_obj["id"]])
    return Result(200, [o for _, o in page], links(ctx, limit, nxt), limit)


def _q_page(ctx: Ctx, collection: str, pred: Callable[[Any], bool]) -> Result:
    """q= : a prefix lookup, at most ``limit`` results and never a next link."""
    limit = parse_limit(ctx, collection)
    store: dict[str, Any] = getattr(ctx.org, collection)
    ids = ctx.org.sorted_ids(collection)
    page, _ = _take(_scan_ids(ids, None, store.get, pred), limit)
    return Result(200, page, links(ctx, limit, None), limit)


# --- users ---------------------------------------------------------------------------


def list_users(ctx: Ctx) -> Result:
    org = ctx.org
    search, flt, q = ctx.param("search"), ctx.param("filter"), ctx.param("q")
    if search is not None:
        # The search index lags behind writes (org.search_lag_seconds).
        return _search(ctx, "users", search, org.user_search_view())
    ids = org.sorted_ids("users")
    if flt is not None:
        node = _compile(flt, USER_FILTER)
        return _id_page(
            ctx,
            "users",
            "users-filter",
            ids,
            org.users.get,
            lambda u: evaluate(node, u),
            errors.invalid_cursor_paging,
        )
    if q is not None:
        needle = q.lower()

        def q_match(u: dict[str, Any]) -> bool:
            if u["status"] == "DEPROVISIONED":
                return False
            p = u["profile"]
            return any(
                str(p.get(a) or "").lower().startswith(needle)
                for a in ("firstName", "lastName", "email")
            )

        return _q_page(ctx, "users", q_match)
    # THE TRAP: a plain list silently leaves out DEPROVISIONED users.
    return _id_page(
        ctx,
        "users",
        "users",
        ids,
        org.users.get,
        lambda u: u["status"] != "DEPROVISIONED",
        errors.invalid_cursor_paging,
    )


def get_user(ctx: Ctx, user_id: str) -> Result:
    org = ctx.org
    user = org.users.get(user_id)
    if user is None:  # Okta also accepts the login
        user = next(
            (
                u
                for u in org.users.values()
                if str(u["profile"].get("login", "")).lower() == user_id.lower()
            ),
            None,
        )
    if user is None:
        raise ApiError(404, errors.not_found(user_id, "User"))
    return Result(200, user)


# --- groups --------------------------------------------------------------------------


def list_groups(ctx: Ctx) -> Result:
    org = ctx.org
    search, flt, q = ctx.param("search"), ctx.param("filter"), ctx.param("q")
    if search is not None:
        return _search(ctx, "groups", search, None)
    ids = org.sorted_ids("groups")
    if flt is not None:
        node = _compile(flt, GROUP_FILTER)
        return _id_page(
            ctx,
            "groups",
            "groups-filter",
            ids,
            org.groups.get,
            lambda g: evaluate(node, g),
            errors.invalid_cursor_paging,
        )
    if q is not None:
        needle = q.lower()
        return _q_page(
            ctx, "groups", lambda g: str(g["profile"].get("name") or "").lower().startswith(needle)
        )
    return _id_page(
        ctx, "groups", "groups", ids, org.groups.get, None, errors.invalid_cursor_paging
    )


def _group_or_404(org: Org, group_id: str) -> dict[str, Any]:
    group = org.groups.get(group_id)
    if group is None:
        raise ApiError(404, errors.not_found(group_id, "Group"))
    return group


def get_group(ctx: Ctx, group_id: str) -> Result:
    return Result(200, _group_or_404(ctx.org, group_id))


def list_group_users(ctx: Ctx, group_id: str) -> Result:
    org = ctx.org
    _group_or_404(org, group_id)
    # Members of every status, DEPROVISIONED included, as full user objects.
    return _id_page(
        ctx,
        "group_users",
        f"members:{group_id}",
        org.sorted_members(group_id),
        org.users.get,
        None,
        errors.invalid_cursor_paging,
    )


# --- apps ----------------------------------------------------------------------------


def list_apps(ctx: Ctx) -> Result:
    org = ctx.org
    flt, q = ctx.param("filter"), ctx.param("q")
    pred: Callable[[Any], bool] | None = None
    if flt is not None:
        node = _compile(flt, APP_FILTER)

        def pred(a: Any) -> bool:
            return evaluate(node, a)

    elif q is not None:
        needle = q.lower()

        def pred(a: Any) -> bool:
            return any(str(a.get(k) or "").lower().startswith(needle) for k in ("name", "label"))

    return _id_page(
        ctx,
        "apps",
        "apps",
        org.sorted_ids("apps"),
        org.apps.get,
        pred,
        errors.invalid_cursor_paging,
    )


def _app_or_404(org: Org, app_id: str) -> dict[str, Any]:
    app = org.apps.get(app_id)
    if app is None:
        raise ApiError(404, errors.not_found(app_id, "AppInstance"))
    return app


def get_app(ctx: Ctx, app_id: str) -> Result:
    return Result(200, _app_or_404(ctx.org, app_id))


def list_app_users(ctx: Ctx, app_id: str) -> Result:
    org = ctx.org
    _app_or_404(org, app_id)
    return _id_page(
        ctx,
        "app_users",
        f"appusers:{app_id}",
        org.sorted_app_users(app_id),
        lambda uid: org.app_user_obj(app_id, uid),
        None,
        errors.invalid_cursor_paging,
    )


def _assignment(ctx: Ctx, app_id: str, oid: str, kind: str) -> Result:
    """One assignment, shaped like a list entry; 404 E0000007 when there is none."""
    org = ctx.org
    _app_or_404(org, app_id)
    obj = org.app_user_obj(app_id, oid) if kind == "AppUser" else org.app_group_obj(app_id, oid)
    if obj is None:
        raise ApiError(404, errors.not_found(oid, kind))
    return Result(200, obj)


def get_app_user(ctx: Ctx, app_id: str, user_id: str) -> Result:
    return _assignment(ctx, app_id, user_id, "AppUser")


def list_app_groups(ctx: Ctx, app_id: str) -> Result:
    org = ctx.org
    _app_or_404(org, app_id)
    return _id_page(
        ctx,
        "app_groups",
        f"appgroups:{app_id}",
        org.sorted_app_groups(app_id),
        lambda gid: org.app_group_obj(app_id, gid),
        None,
        errors.invalid_cursor_paging,
    )


def list_group_apps(ctx: Ctx, group_id: str) -> Result:
    """The apps a group is assigned to (Okta's "List all assigned apps" of a group)."""
    org = ctx.org
    _group_or_404(org, group_id)
    assigned = [a for a in org.sorted_ids("apps") if group_id in org.app_groups.get(a, {})]
    return _id_page(
        ctx,
        "group_apps",
        f"groupapps:{group_id}",
        assigned,
        org.apps.get,
        None,
        errors.invalid_cursor_paging,
    )


def get_app_group(ctx: Ctx, app_id: str, group_id: str) -> Result:
    return _assignment(ctx, app_id, group_id, "ApplicationGroupAssignment")


# --- profile schemas and user types (/api/v1/meta) -----------------------------------
# Not paged: Okta answers the whole object (or list, at most ten user types).


def list_user_types(ctx: Ctx) -> Result:
    org = ctx.org
    return Result(200, [org.user_type_obj(key) for key in org.user_type_ids])


def get_user_type(ctx: Ctx, type_id: str) -> Result:
    key = ctx.org.user_type_key(type_id)
    if key is None:
        raise ApiError(404, errors.not_found(type_id, "UserType"))
    return Result(200, ctx.org.user_type_obj(key))


def get_user_schema(ctx: Ctx, schema_id: str) -> Result:
    """``default`` or a schema id (a user type's ``schema`` link)."""
    body = ctx.org.user_schema(schema_id)
    if body is None:
        raise ApiError(404, errors.not_found(schema_id, "UserSchema"))
    return Result(200, body)


def get_group_schema(ctx: Ctx, schema_id: str) -> Result:
    if schema_id != "default":
        raise ApiError(404, errors.not_found(schema_id, "GroupSchema"))
    return Result(200, ctx.org.group_schema())


# --- System Log ----------------------------------------------------------------------


def _parse_log_time(ctx: Ctx, name: str) -> int | None:
    raw = ctx.param(name)
    if raw is None or raw == "":
        return None
    try:
        return int(to_epoch(parse_iso(raw, require_tz=False)) * 1000)
    except ValueError:
        raise ApiError(400, errors.logs_bad_date(name)) from None


def list_logs(ctx: Ctx) -> Result:
    org = ctx.org
    limit = parse_limit(ctx, "logs")
    if ctx.logs_timeout_over_limit is not None and limit > ctx.logs_timeout_over_limit:
        raise ApiError(500, errors.logs_timeout())
    now_ms = org.clock.now_ms()
    since = _parse_log_time(ctx, "since")
    until = _parse_log_time(ctx, "until")
    if since is not None and since < now_ms - org.log_max_since_days * DAY * 1000:
        raise ApiError(400, errors.logs_since_too_old())
    order = (ctx.param("sortOrder") or "ASCENDING").upper()
    if order not in ("ASCENDING", "DESCENDING"):
        raise ApiError(
            400, errors.validation("sortOrder", "sortOrder must be ASCENDING or DESCENDING.")
        )
    node: Node | None = None
    flt = ctx.param("filter")
    if flt is not None:
        try:
            node = parse(flt, LOG_FILTER)
        except FilterError as exc:
            raise ApiError(400, errors.logs_invalid_filter(flt, exc.message)) from None
    terms = [t.lower() for t in (ctx.param("q") or "").split()]
    retention_ms = now_ms - org.log_retention_days * DAY * 1000
    mode = (
        "poll"
        if until is None and order == "ASCENDING"
        else ("bounded" if order == "ASCENDING" else "desc")
    )
    cur = _decode(ctx, "logs", errors.invalid_cursor_paging)
    if cur is not None and not (isinstance(cur, dict) and cur.get("m") == mode):
        raise ApiError(400, errors.invalid_cursor_paging())
    pos: tuple[int, int] | None = None
    if cur is not None and cur.get("pos") is not None:
        raw_pos = cur["pos"]
        if not (
            isinstance(raw_pos, list)
            and len(raw_pos) == 2
            and all(isinstance(x, int) for x in raw_pos)
        ):
            raise ApiError(400, errors.invalid_cursor_paging())
        pos = (raw_pos[0], raw_pos[1])
    if since is None:
        if cur is not None and isinstance(cur.get("s"), int):
            since = cur["s"]
        elif until is not None:
            since = until - BOUNDED_DEFAULT_SPAN_MS
        else:
            since = now_ms - POLL_DEFAULT_SINCE_MS
    lower = max(since, retention_ms)

    def wanted(seq: int) -> dict[str, Any] | None:
        ev = org.event_at(seq)
        if ev.stored_ms > now_ms or ev.published_ms < lower:
            return None
        if until is not None and ev.published_ms >= until:
            return None
        if node is None and not terms:
            return org.materialize_event(ev)
        full = org.materialize_event(ev)
        if node is not None and not evaluate(node, full):
            return None
        if terms:
            text = json.dumps(full, ensure_ascii=False).lower()
            if not all(t in text for t in terms):
                return None
        return full

    page: list[dict[str, Any]] = []
    last: tuple[int, int] | None = None
    if mode == "poll":
        # Persistence order: a late-persisted event (older `published`) still shows up
        # after the cursor.  The next link is always present, also on an empty page.
        keys = org._by_stored
        start = bisect_left(keys, (since, -1))
        if pos is not None:
            start = max(start, bisect_right(keys, pos))
        for i in range(start, len(keys)):
            stored, seq = keys[i]
            if stored > now_ms:
                break
            ev = wanted(seq)
            if ev is not None:
                page.append(ev)
                last = keys[i]
                if len(page) == limit:
                    break
        new_pos = list(last) if last is not None else (list(pos) if pos is not None else None)
        nxt = _encode(ctx, "logs", {"m": mode, "s": since, "pos": new_pos})
        return Result(200, page, links(ctx, limit, nxt), limit)

    keys = org._by_published
    more = False
    if mode == "bounded":
        start = bisect_left(keys, (lower, -1))
        if pos is not None:
            start = max(start, bisect_right(keys, pos))
        for i in range(start, len(keys)):
            if until is not None and keys[i][0] >= until:
                break
            ev = wanted(keys[i][1])
            if ev is not None:
                if len(page) == limit:
                    more = True
                    break
                page.append(ev)
                last = keys[i]
    else:  # DESCENDING: newest published first, finite
        upper = until if until is not None else now_ms + 1
        start = bisect_left(keys, (upper, -1)) - 1
        if pos is not None:
            start = min(start, bisect_left(keys, pos) - 1)
        for i in range(start, -1, -1):
            if keys[i][0] < lower:
                break
            ev = wanted(keys[i][1])
            if ev is not None:
                if len(page) == limit:
                    more = True
                    break
                page.append(ev)
                last = keys[i]
    finite_next: str | None = None
    if more and last is not None:
        finite_next = _encode(ctx, "logs", {"m": mode, "s": since, "pos": list(last)})
    return Result(200, page, links(ctx, limit, finite_next), limit)


# --- plain lists (plain_lists.py) ------------------------------------------------------


def plain_list(entry: PlainList) -> Callable[[Ctx], Result]:
    """The endpoint of one plain list: a bare array, by ``Link`` pages in id order, or
    every object at once when the list is not paged (inside ``{records_key: …}`` when
    Okta answers so)."""

    def serve(ctx: Ctx) -> Result:
        objects = ctx.org.listed[entry.stream]
        if entry.page_sizes is None:
            listed = [objects[k] for k in sorted(objects)]
            return Result(200, {entry.records_key: listed} if entry.records_key else listed)
        return _id_page(
            ctx,
            entry.stream,
            entry.stream,
            sorted(objects),
            objects.get,
            None,
            errors.invalid_cursor_paging,
        )

    return serve
