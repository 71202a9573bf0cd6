"""HTTP layer: a real loopback server speaking Okta's wire protocol.

Order of processing for every request (mirrors where Okta decides things):
concurrency limit -> rate-limit bucket -> injected faults -> authentication ->
scope / feature / permission checks -> endpoint.  Every response carries
``Date``, ``X-Rate-Limit-*`` and ``x-okta-request-id``; keep-alive (HTTP/1.1)
with an exact ``Content-Length`` unless a fault truncates on purpose.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import ssl
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from . import app_posture, endpoints, errors, features, security_endpoints, tls
from .admin_scopes import ROUTES as PER_PARENT_ROUTES
from .endpoints import ApiError, Ctx, Result
from .faults import Fault, FaultConfig
from .oauth import (
    ALLOWED_ALGS,
    DPoPError,
    IssuedToken,
    handle_token_request,
    verify_dpop_proof,
)
from .org import ALL_FAMILIES, Org, Principal
from .plain_lists import PLAIN_LISTS
from .ratelimit import RateDecision, RateLimitConfig, RateLimiter, bucket_for, reset_header_value

_Handler = Callable[..., Result]
_sec = security_endpoints
# (regex, endpoint, permission family); the first match wins, so /groups/rules comes
# before /groups/{id}.
ROUTES: list[tuple[re.Pattern[str], _Handler, str]] = [
    (re.compile(r"^/api/v1/groups/rules$"), _sec.list_group_rules, "groups"),
    (re.compile(r"^/api/v1/users$"), endpoints.list_users, "users"),
    (re.compile(r"^/api/v1/users/([^/]+)$"), endpoints.get_user, "users"),
    (re.compile(r"^/api/v1/groups$"), endpoints.list_groups, "groups"),
    (re.compile(r"^/api/v1/groups/([^/]+)$"), endpoints.get_group, "groups"),
    (re.compile(r"^/api/v1/groups/([^/]+)/users$"), endpoints.list_group_users, "groups"),
    (re.compile(r"^/api/v1/groups/([^/]+)/apps$"), endpoints.list_group_apps, "groups"),
    (re.compile(r"^/api/v1/apps$"), endpoints.list_apps, "apps"),
    (re.compile(r"^/api/v1/apps/([^/]+)$"), endpoints.get_app, "apps"),
    (re.compile(r"^/api/v1/apps/([^/]+)/users$"), endpoints.list_app_users, "apps"),
    (re.compile(r"^/api/v1/apps/([^/]+)/groups$"), endpoints.list_app_groups, "apps"),
    (re.compile(r"^/api/v1/apps/([^/]+)/users/([^/]+)$"), endpoints.get_app_user, "apps"),
    (re.compile(r"^/api/v1/apps/([^/]+)/groups/([^/]+)$"), endpoints.get_app_group, "apps"),
    (re.compile(r"^/api/v1/logs$"), endpoints.list_logs, "logs"),
    (re.compile(r"^/api/v1/meta/types/user$"), endpoints.list_user_types, "userTypes"),
    (re.compile(r"^/api/v1/meta/types/user/([^/]+)$"), endpoints.get_user_type, "userTypes"),
    (re.compile(r"^/api/v1/meta/schemas/user/([^/]+)$"), endpoints.get_user_schema, "schemas"),
    (re.compile(r"^/api/v1/meta/schemas/group/([^/]+)$"), endpoints.get_group_schema, "schemas"),
    # --- security (security_endpoints.py) ---------------------------------------------
    (re.compile(r"^/api/v1/iam/assignees/users$"), _sec.list_role_assignees, "roles"),
    (re.compile(r"^/api/v1/users/([^/]+)/roles$"), _sec.list_user_roles, "roles"),
    (re.compile(r"^/api/v1/groups/([^/]+)/roles$"), _sec.list_group_roles, "roles"),
    (re.compile(r"^/api/v1/iam/roles$"), _sec.list_custom_roles, "roles"),
    (re.compile(r"^/api/v1/iam/roles/([^/]+)/permissions$"), _sec.list_role_permissions, "roles"),
    (re.compile(r"^/api/v1/iam/resource-sets$"), _sec.list_resource_sets, "roles"),
    (
        re.compile(r"^/api/v1/iam/resource-sets/([^/]+)/resources$"),
        _sec.list_resource_set_resources,
        "roles",
    ),
    (re.compile(r"^/api/v1/users/([^/]+)/factors$"), _sec.list_user_factors, "users"),
    (re.compile(r"^/api/v1/authenticators$"), _sec.list_authenticators, "authenticators"),
    (re.compile(r"^/api/v1/devices$"), _sec.list_devices, "devices"),
    (re.compile(r"^/api/v1/policies$"), _sec.list_policies, "policies"),
    (re.compile(r"^/api/v1/policies/([^/]+)/rules$"), _sec.list_policy_rules, "policies"),
    (re.compile(r"^/api/v1/zones$"), _sec.list_zones, "networkZones"),
    (re.compile(r"^/api/v1/idps$"), _sec.list_idps, "idps"),
    (
        re.compile(r"^/api/v1/authorizationServers$"),
        _sec.list_authorization_servers,
        "authorizationServers",
    ),
    (re.compile(r"^/api/v1/trustedOrigins$"), _sec.list_trusted_origins, "trustedOrigins"),
    # --- plain lists, each declared once (plain_lists.py) -----------------------------
    *(
        (re.compile(f"^{re.escape(entry.path)}$"), endpoints.plain_list(entry), entry.family)
        for entry in PLAIN_LISTS
    ),
    # --- role targets and group owners, one parent at a time (admin_scopes.py) -----------
    *((re.compile(pattern), handler, family) for pattern, handler, family in PER_PARENT_ROUTES),
    # --- per-app grants and provisioning, the org's settings (app_posture.py) ---------
    *app_posture.ROUTES,
]
# Permission family -> the OAuth scope its endpoints need (okta.<family>.read).
SCOPES = {family: f"okta.{family}.read" for family in ALL_FAMILIES}
TOKEN_PATH = "/oauth2/v1/token"
#: The org's id and URLs, readable without credentials (Okta's getWellknownOrgMetadata).
ORG_METADATA_PATH = "/.well-known/okta-organization"

_LB_HTML = {
    502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>",
    503: "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
    "<h1>503 Service Temporarily Unavailable</h1></center></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway "
    "Time-out</h1></center></body></html>",
}
_SUMMARY = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class RequestRecord:
    """One request as the server saw it (tests inspect these)."""

    time: float  # real epoch seconds when received
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    client: str
    bucket: str
    target: str = ""  # raw request target (path?query)
    status: int | None = None
    dropped: bool = False  # connection closed/truncated by a fault
    fault: str | None = None
    effective_limit: int | None = None
    request_id: str = ""
    form: dict[str, str] | None = None  # token endpoint form fields
    duration: float = 0.0

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    rate: RateDecision | None = None
    concurrency_429: bool = False


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], sim: OktaSimulator) -> None:
        self.sim = sim
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(addr, _Handler_)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.sim._tls_context is None:
            return sock, addr
        # The handshake happens in the handler's thread (see handle), not here.
        return self.sim._tls_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return  # client went away / fault closed the socket: not interesting
        self.sim.internal_errors.append(traceback.format_exc())


class _Handler_(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus
    # the client's delayed ACK adds ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _HTTPServer
    timeout = 60  # idle keep-alive connections are closed after a minute

    def setup(self) -> None:
        super().setup()
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.sockets_lock:
                self.server.open_sockets.discard(self.connection)

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                return  # not a TLS client, or it does not trust the certificate
        super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet; the request log is the record

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    # ------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        sim = self.server.sim
        started = time.time()
        split = urlsplit(self.path)
        path = split.path
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        if sim.latency_seconds > 0:
            # The round trip over the internet: this handler thread waits, the others
            # go on. Before processing, so the wait counts neither against Okta's
            # concurrency limit nor in the request's server-side duration.
            time.sleep(sim.latency_seconds)
            started = time.time()
        record = RequestRecord(
            time=started,
            method=self.command,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            client=f"{self.client_address[0]}:{self.client_address[1]}",
            bucket=bucket_for(path),
            target=self.path,
            request_id=secrets.token_hex(16),
        )
        sim._record(record)
        is_api = path.startswith("/api/v1/")
        # in-flight position taken atomically, so the first N concurrent requests always pass
        in_flight = sim._enter() if is_api else 0
        try:
            reply, fault = self._process(sim, record, split.query, raw_body, in_flight)
            self._send(sim, record, reply, fault)
        except Exception:  # noqa: BLE001 - a simulator bug must still produce a response
            sim.internal_errors.append(traceback.format_exc())
            record.fault = record.fault or "internal-error"
            with contextlib.suppress(OSError):
                self._send(sim, record, _Reply(500, _json(errors.internal_error())), None)
        finally:
            if is_api:
                sim._leave()
            record.duration = time.time() - started

    def _process(
        self,
        sim: OktaSimulator,
        record: RequestRecord,
        raw_query: str,
        raw_body: bytes,
        in_flight: int,
    ) -> tuple[_Reply, Fault | None]:
        cfg = sim.rate_limits
        is_api = in_flight > 0
        # 1. concurrency limit: Limit and Remaining both 0, reset ~1 s away
        if is_api and cfg.max_concurrent is not None and in_flight > cfg.max_concurrent:
            sim._count_429(record.bucket)
            return _Reply(429, _json(errors.rate_limited()), concurrency_429=True), None
        # 2. bucket, and the caller's share of it (Okta's per-token ceiling)
        client = sim._client_key(self.headers.get("Authorization")) if is_api else None
        decision = sim._limiter.hit(record.bucket, cfg, client)
        if not decision.allowed:
            sim._count_429(record.bucket, client_ceiling=decision.client_ceiling)
            return _Reply(429, _json(errors.rate_limited()), rate=decision), None
        # 3. faults
        fault: Fault | None = None
        if is_api:
            fault, delay = sim.faults.pick_api(record.path, record.target)
            if delay:
                record.fault = "slow"
                time.sleep(delay)
            if fault is not None:
                record.fault = fault.kind
                if fault.kind != "truncate":
                    return self._fault_reply(sim, record, fault, decision), fault
        elif record.path == TOKEN_PATH:
            fault = sim.faults.pick_token()
            if fault is not None:
                record.fault = "token-error"
                body = (
                    _json(
                        errors.oauth_error(
                            "server_error", "The server encountered an internal error."
                        )
                    )
                    if fault.status == 500
                    else _LB_HTML[503].encode()
                )
                ctype = "application/json" if fault.status == 500 else "text/html"
                return _Reply(fault.status, body, ctype, rate=decision), None
        # 4. the real thing
        if record.path == ORG_METADATA_PATH:
            return self._org_metadata(sim, decision), None
        if record.path == TOKEN_PATH:
            return self._token(sim, record, raw_body, decision), None
        reply = self._api(sim, record, raw_query, decision)
        return reply, fault

    def _fault_reply(
        self, sim: OktaSimulator, record: RequestRecord, fault: Fault, decision: RateDecision
    ) -> _Reply:
        if fault.kind == "drop":
            return _Reply(0, rate=decision)
        if fault.kind == "ratelimit":
            sim._count_429(record.bucket)
            return _Reply(
                429,
                _json(errors.rate_limited()),
                rate=RateDecision(False, decision.limit, 0, decision.reset_real),
            )
        if fault.kind == "fail":
            return _Reply(500, _json(errors.internal_error()), rate=decision)
        if fault.kind == "error":
            if fault.html_body:
                return _Reply(
                    fault.status, _LB_HTML[fault.status].encode(), "text/html", rate=decision
                )
            body = errors.okta_error("E0000009", _SUMMARY[fault.status])
            return _Reply(fault.status, _json(body), rate=decision)
        if fault.kind == "html":
            html = (
                "<!DOCTYPE html><html><head><title>Okta</title></head><body>"
                '<div id="signin-container">Sign in</div></body></html>'
            )
            return _Reply(200, html.encode(), "text/html", rate=decision)
        if fault.kind == "malformed":
            return _Reply(
                200, b'[{"id":"00u1","status":"ACTIVE","profile":{"login":', rate=decision
            )
        # redirect: another loopback host, same port and target
        port = self.server.server_address[1]
        return _Reply(
            302,
            b"",
            headers=[("Location", f"{sim.scheme}://127.0.0.2:{port}{record.target}")],
            rate=decision,
        )

    # --- org metadata (no credentials) -------------------------------------------------

    def _org_metadata(self, sim: OktaSimulator, decision: RateDecision) -> _Reply:
        if self.command != "GET":
            return _Reply(405, _json(errors.unsupported_endpoint()), rate=decision)
        if not sim.org.metadata_served:
            return _Reply(
                404, _json(errors.not_found(ORG_METADATA_PATH, "Resource")), rate=decision
            )
        links: dict[str, Any] = {"organization": {"href": sim.base_url}}
        if sim.org.custom_domain_url:
            links["alternate"] = {"href": sim.org.custom_domain_url}
        body = {
            "id": sim.org.org_id,
            "pipeline": "idx" if sim.org.identity_engine else "v1",
            "_links": links,
        }
        return _Reply(200, _json(body), rate=decision)

    # --- token endpoint -------------------------------------------------------------

    def _token(
        self, sim: OktaSimulator, record: RequestRecord, raw_body: bytes, decision: RateDecision
    ) -> _Reply:
        if self.command != "POST":
            return _Reply(
                405,
                _json(errors.unsupported_endpoint()),
                rate=decision,
                headers=[("Allow", "POST")],
            )
        form = dict(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True))
        record.form = form
        auth = self.headers.get("Authorization", "")
        result = handle_token_request(
            sim.org,
            form,
            dpop_header=self.headers.get("DPoP"),
            token_urls=sim._self_urls(TOKEN_PATH, self.headers.get("Host")),
            has_basic_auth=auth.lower().startswith("basic "),
        )
        return _Reply(result.status, _json(result.body), headers=result.headers, rate=decision)

    # --- management API -------------------------------------------------------------

    def _api(
        self, sim: OktaSimulator, record: RequestRecord, raw_query: str, decision: RateDecision
    ) -> _Reply:
        path = record.path
        route = None
        for pattern, handler, family in ROUTES:
            m = pattern.match(path)
            if m:
                route = (handler, family, m.groups())
                break
        if route is None:
            return _Reply(404, _json(errors.unsupported_endpoint()), rate=decision)
        handler, family, args = route
        if self.command not in ("GET", "HEAD"):
            return _Reply(
                405, _json(errors.unsupported_endpoint()), rate=decision, headers=[("Allow", "GET")]
            )
        denied = self._authorize(sim, family, decision)
        if denied is not None:
            return denied
        org = sim.org
        ctx = Ctx(
            org=org,
            path=path,
            query=record.query,
            query_pairs=parse_qsl(raw_query, keep_blank_values=True),
            link_base=sim.link_base or sim.base_url,
            logs_timeout_over_limit=sim.faults.logs_timeout_over_limit,
        )
        with org.lock:
            try:
                result = handler(ctx, *args)
            except ApiError as exc:
                return _Reply(exc.status, _json(exc.body), headers=exc.headers, rate=decision)
            body = _json(result.body)
            # Stored objects link to the org's domain; point them at this server.
            body = body.replace(org.domain_url.encode(), (org.public_url or sim.base_url).encode())
        record.effective_limit = result.effective_limit
        return _Reply(
            result.status, body, headers=[("Link", v) for v in result.links], rate=decision
        )

    def _authorize(self, sim: OktaSimulator, family: str, decision: RateDecision) -> _Reply | None:
        org = sim.org
        header = self.headers.get("Authorization") or ""
        scheme, _, credential = header.strip().partition(" ")
        scheme = scheme.lower()
        credential = credential.strip()
        base = sim.base_url
        principal: Principal | None = None
        token: IssuedToken | None = None
        with org.lock:
            if scheme == "ssws":
                principal = org.api_tokens.get(credential)
                if (
                    principal is not None
                    and principal.expires_at is not None
                    and (principal.expires_at <= org.clock.now())
                ):
                    principal = None
            elif scheme in ("bearer", "dpop"):
                token = org.find_token(credential)
                if token is not None and (token.revoked or token.expires_at <= org.clock.now()):
                    token = None
        if principal is None and token is None:
            hdrs = []
            if scheme in ("bearer", "dpop"):
                hdrs.append(
                    (
                        "WWW-Authenticate",
                        f'Bearer authorization_uri="{base}/oauth2/v1/authorize", '
                        f'realm="{base}", error="invalid_token", '
                        'error_description="The access token is invalid."',
                    )
                )
            return _Reply(401, _json(errors.invalid_token()), headers=hdrs, rate=decision)
        if token is not None:
            denied = self._check_token_binding(sim, token, scheme, credential, decision)
            if denied is not None:
                return denied
            app = org.service_apps.get(token.client_id)
            principal = Principal(f"app:{token.client_id}", set(app.permissions) if app else set())
            needed = SCOPES[family]
            if needed not in token.scopes:
                algs = " ".join(ALLOWED_ALGS)
                prefix = f'DPoP algs="{algs}", ' if token.jkt else "Bearer "
                www = (
                    f'{prefix}authorization_uri="{base}/oauth2/v1/authorize", '
                    f'realm="{base}", scope="{needed}", error="insufficient_scope", '
                    'error_description="The access token provided does not contain the '
                    f'required scopes.", resource="{self._path_only()}"'
                )
                return _Reply(403, b"", headers=[("WWW-Authenticate", www)], rate=decision)
        assert principal is not None
        path = self._path_only()
        if features.missing_on_engine(org.engine, path):
            return _Reply(404, _json(errors.not_found(path, "Resource")), rate=decision)
        if features.feature_disabled(org.disabled_features, path, family):
            return _Reply(401, _json(errors.feature_unavailable()), rate=decision)
        if family not in principal.permissions:
            return _Reply(403, _json(errors.permission_denied()), rate=decision)
        return None

    def _path_only(self) -> str:
        return urlsplit(self.path).path

    def _check_token_binding(
        self,
        sim: OktaSimulator,
        token: IssuedToken,
        scheme: str,
        credential: str,
        decision: RateDecision,
    ) -> _Reply | None:
        org = sim.org
        base = sim.base_url

        def dpop_error(
            error: str, description: str, extra: list[tuple[str, str]] | None = None
        ) -> _Reply:
            www = (
                f'DPoP algs="{" ".join(ALLOWED_ALGS)}", '
                f'authorization_uri="{base}/oauth2/v1/authorize", realm="{base}", '
                f'error="{error}", error_description="{description}", '
                f'resource="{self._path_only()}"'
            )
            return _Reply(
                401,
                _json(errors.invalid_token()),
                headers=[("WWW-Authenticate", www), *(extra or [])],
                rate=decision,
            )

        if not token.jkt:
            if scheme == "dpop":  # a Bearer token presented with the DPoP scheme
                return _Reply(401, _json(errors.invalid_token()), rate=decision)
            return None
        if scheme != "dpop":
            return dpop_error(
                "invalid_dpop_proof",
                "The DPoP-bound access token must use the DPoP authorization scheme.",
            )
        proof = self.headers.get("DPoP")
        if not proof:
            return dpop_error("invalid_dpop_proof", "The DPoP proof JWT header is missing.")
        with org.lock:
            try:
                jkt, claims = verify_dpop_proof(
                    proof,
                    htm=self.command,
                    htu_candidates=sim._self_urls(self._path_only(), self.headers.get("Host")),
                    used_jtis=org.used_dpop_jtis,
                    access_token=credential,
                )
            except DPoPError as exc:
                return dpop_error("invalid_dpop_proof", exc.description)
            if jkt != token.jkt:
                return dpop_error(
                    "invalid_dpop_proof",
                    "The DPoP proof JWT key does not match the access token binding.",
                )
            nonce = claims.get("nonce")
            if org.require_resource_dpop_nonce and (
                not isinstance(nonce, str) or not org.dpop_nonce_valid(nonce)
            ):
                return dpop_error(
                    "use_dpop_nonce",
                    "Resource server requires nonce in DPoP proof.",
                    [("DPoP-Nonce", org.current_dpop_nonce())],
                )
            org.used_dpop_jtis.add(str(claims["jti"]))
        return None

    # --- writing ----------------------------------------------------------------------

    def _send(
        self, sim: OktaSimulator, record: RequestRecord, reply: _Reply, fault: Fault | None
    ) -> None:
        record.status = reply.status or None
        if reply.status == 0:  # drop: no status line at all, just a closed socket
            record.dropped = True
            self._hard_close()
            return
        cfg = sim.rate_limits
        server_offset = sim.org.clock.offset + cfg.clock_skew_seconds
        now_server = time.time() + server_offset
        self.send_response_only(reply.status)
        date = formatdate(now_server, usegmt=True)
        if fault is not None and sim.faults.fault_date:
            date = sim.faults.fault_date
        self.send_header("Date", date)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.concurrency_429:
            rate_sets = [(0, 0, int(now_server) + 1)]
        elif reply.rate is not None:
            reset = reset_header_value(reply.rate.reset_real, server_offset)
            rate_sets = [(reply.rate.limit, reply.rate.remaining, reset)]
            if cfg.duplicate_headers:
                rate_sets.append(
                    (reply.rate.limit * 2, reply.rate.remaining + reply.rate.limit, reset)
                )
        else:
            rate_sets = []
        for limit, remaining, reset in rate_sets:
            self.send_header("X-Rate-Limit-Limit", str(limit))
            self.send_header("X-Rate-Limit-Remaining", str(remaining))
            self.send_header("X-Rate-Limit-Reset", str(reset))
        self.send_header("x-okta-request-id", record.request_id)
        for name, value in reply.headers:
            self.send_header(name, value)
        truncate = fault is not None and fault.kind == "truncate"
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            record.dropped = True
            self.wfile.write(reply.body[: max(1, len(reply.body) // 2)])
            self._hard_close()
            return
        self.wfile.write(reply.body)

    def _hard_close(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class OktaSimulator:
    """An Okta org behind a loopback HTTP server.

    >>> with OktaSimulator(users=50) as sim:
    ...     requests.get(sim.base_url + "/api/v1/users",
    ...                  headers={"Authorization": "SSWS sim-api-token"})
    """

    def __init__(
        self,
        org: Org | None = None,
        *,
        seed: int = 7,
        users: int = 300,
        groups: int | None = None,
        apps: int | None = None,
        events: int | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        api_key: str | None = "sim-api-token",
        faults: FaultConfig | None = None,
        rate_limits: RateLimitConfig | None = None,
        link_base: str | None = None,
        tls: bool = False,
        latency_seconds: float = 0.0,
    ) -> None:
        self.org = (
            org
            if org is not None
            else Org.generate(seed=seed, users=users, groups=groups, apps=apps, events=events)
        )
        self.api_key = api_key
        if api_key:
            self.org.add_api_token(api_key)
        self.faults = faults if faults is not None else FaultConfig(seed=seed)
        self.rate_limits = rate_limits if rate_limits is not None else RateLimitConfig()
        self.link_base = link_base  # None -> base_url
        # Every answer (token endpoint included) comes this much later, as from Okta
        # over the internet (~0.1 s); concurrent requests wait side by side.
        self.latency_seconds = latency_seconds
        self.internal_errors: list[str] = []
        self._host = host
        self._port = port
        self._limiter = RateLimiter()
        self._log_lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._flight_lock = threading.Lock()
        self._flight = 0
        self._bucket_requests: Counter[str] = Counter()
        self._bucket_429: Counter[str] = Counter()
        self._client_ceiling_429: Counter[str] = Counter()
        self._path_counts: Counter[str] = Counter()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        # tls=True: https with a throwaway self-signed certificate; clients trust
        # ``ca_file`` (e.g. REQUESTS_CA_BUNDLE). Written at start, removed at stop.
        self.tls = tls
        self.ca_file: str | None = None
        self._tls_context: ssl.SSLContext | None = None
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> OktaSimulator:
        if self._server is not None:
            return self
        if self.tls and self._tls_context is None:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="okta-sim-tls-")
            cert, key = tls.write_self_signed(Path(self._tls_dir.name))
            self._tls_context = tls.server_context(cert, key)
            self.ca_file = str(cert)
        self._server = _HTTPServer((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="okta-sim",
            daemon=True,
        )
        self._thread.start()
        self.org.public_url = self.base_url
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with server.sockets_lock:
            for sock in list(server.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir, self._tls_context, self.ca_file = None, None, None

    def __enter__(self) -> OktaSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self._host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    def url(self, path: str) -> str:
        return self.base_url + path

    def _self_urls(self, path: str, host_header: str | None) -> list[str]:
        """This server's URLs for ``path``: canonical first, then as the client addressed it."""
        urls = [self.base_url + path]
        if host_header:
            alt = f"{self.scheme}://{host_header}{path}"
            if alt not in urls:
                urls.append(alt)
        return urls

    # --- request log and stats ----------------------------------------------------------

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._requests.append(record)
            self._bucket_requests[record.bucket] += 1
            self._path_counts[record.path] += 1

    def _count_429(self, bucket: str, *, client_ceiling: bool = False) -> None:
        with self._log_lock:
            self._bucket_429[bucket] += 1
            if client_ceiling:
                self._client_ceiling_429[bucket] += 1

    def _client_key(self, authorization: str | None) -> str | None:
        """Whose share a request spends: its API token, or the service app behind its
        access token. Unknown credentials spend only the org's limit (they get a 401)."""
        scheme, _, credential = (authorization or "").strip().partition(" ")
        credential = credential.strip()
        scheme = scheme.lower()
        if scheme == "ssws" and credential in self.org.api_tokens:
            return "token:" + credential
        if scheme in ("bearer", "dpop"):
            token = self.org.find_token(credential)
            if token is not None:
                return "app:" + token.client_id
        return None

    def _enter(self) -> int:
        with self._flight_lock:
            self._flight += 1
            return self._flight

    def _leave(self) -> None:
        with self._flight_lock:
            self._flight -= 1

    def in_flight(self) -> int:
        """/api/v1 requests currently being processed."""
        with self._flight_lock:
            return self._flight

    @property
    def requests(self) -> list[RequestRecord]:
        """Snapshot of the request log (oldest first)."""
        with self._log_lock:
            return list(self._requests)

    def requests_to(self, path_prefix: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._requests.clear()
            self._bucket_requests.clear()
            self._bucket_429.clear()
            self._client_ceiling_429.clear()
            self._path_counts.clear()

    def stats(self) -> dict[str, Any]:
        with self._log_lock:
            return {
                "total": sum(self._bucket_requests.values()),
                "requests": dict(self._bucket_requests),
                "rate_limited": dict(self._bucket_429),
                # the part of rate_limited refused for one client's share of the bucket
                "client_ceiling": dict(self._client_ceiling_429),
                "paths": dict(self._path_counts),
            }

    def reset_rate_limits(self) -> None:
        """Forget all open windows (every bucket starts fresh)."""
        self._limiter.reset()
