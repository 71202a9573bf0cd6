"""Expected failures, and the one-line messages users see for them.

Every error a user can fix (a setting, a role, a scope, an unreachable org)
is an ``OktaTapError``: ``tap_okta.tap.main`` prints its message as one line
and exits non-zero, without a traceback. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import json
import re
import typing as t

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_okta.redact import redact

if t.TYPE_CHECKING:
    import requests


class OktaTapError(Exception):
    """An expected failure with a message that says what to do."""

    def __init__(self, message: str) -> None:
        # Messages may quote Okta or the user's input; never let a secret through.
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(OktaTapError):
    """A setting is missing, malformed or inconsistent."""


class OktaAPIError(OktaTapError, FatalAPIError):
    """Okta answered with an error that retrying will not fix."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        #: Okta's own words (errorCode and errorSummary), secret-free.
        self.summary = ""


class OktaAuthError(OktaAPIError):
    """Okta rejected the credentials (API token, service app or its token)."""


class UnsafeURLError(OktaTapError):
    """A URL outside the org's origin; credentials are never sent there."""


class OktaUnavailableError(OktaTapError):
    """Okta (or the network) kept failing past the retry and wait budgets."""


class TLSVerificationError(OktaTapError):
    """The org's TLS certificate is not trusted here; retrying cannot help.

    Not an ``OktaUnavailableError``: the change feed rides those out as a
    degraded System Log, and this fails every request of the run alike.
    """


class TokenExpiredError(RetriableAPIError):
    """An OAuth access token was rejected mid-run; fetch a new one and retry."""


class UnreadableBody(ValueError):
    """A response body that is not the JSON it should be; says what it is instead."""


def json_body(
    response: requests.Response,
    *,
    parse_float: t.Callable[[str], t.Any] | None = None,
    json_content_type: bool = False,
    decode: t.Callable[[bytes], t.Any] | None = None,
) -> t.Any:
    """A response's decoded JSON body: the one reader of API pages, error bodies
    and token answers. ``json_content_type``: refuse a body not labelled JSON
    (a login or proxy page that happens to parse). ``decode``: the decoder of
    API pages (faster than ``json.loads``, same values)."""
    if json_content_type:
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type.lower():
            raise UnreadableBody(
                f"Okta answered with {content_type or 'no content type'} instead of JSON "
                "(a login page or proxy in between? org_url must be https://NAME.okta.com)"
            )
    try:
        if decode is not None:
            return decode(response.content or b"")
        return json.loads(response.content or b"", parse_float=parse_float)
    except ValueError:
        raise UnreadableBody(
            "Okta's answer was not valid JSON (truncated or mangled in transit)"
        ) from None
    except RecursionError:
        raise UnreadableBody(
            "Okta's answer was JSON nested too deep to read (mangled in transit?)"
        ) from None


def json_object(response: requests.Response) -> dict[str, t.Any] | None:
    """The body when it is a JSON object (an error, a token answer), else None."""
    try:
        body = json_body(response)
    except UnreadableBody:
        return None
    return body if isinstance(body, dict) else None


def okta_error_body(response: requests.Response) -> dict[str, t.Any]:
    """The Okta error JSON of a response, or {} when the body is not one."""
    return json_object(response) or {}


def summarize_okta_error(response: requests.Response) -> str:
    """``E0000006 You do not have permission…`` or a short status line."""
    body = okta_error_body(response)
    code = body.get("errorCode") or body.get("error")
    summary = body.get("errorSummary") or body.get("error_description") or ""
    causes = [
        c.get("errorSummary", "")
        for c in body.get("errorCauses") or []
        if isinstance(c, dict) and c.get("errorSummary")
    ]
    if causes:
        summary = f"{summary} ({'; '.join(causes)})"
    if code:
        return f"{code} {summary}".strip()
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


_WWW_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


def www_authenticate_params(response: requests.Response) -> dict[str, str]:
    """Parameters of a ``WWW-Authenticate`` challenge (error, scope, …)."""
    return dict(_WWW_AUTH_PARAM.findall(response.headers.get("WWW-Authenticate", "")))


def api_error_for(
    response: requests.Response,
    *,
    stream: str,
    auth_method: str,
    scope: str | None = None,
    role: str | None = None,
) -> OktaAPIError:
    """Turn a non-retryable Okta response into a message that says what to fix.

    ``scope`` and ``role``: what the stream needs, when the path alone does not tell.
    """
    error = _api_error(response, stream=stream, auth_method=auth_method, scope=scope, role=role)
    error.status = response.status_code
    error.code = str(okta_error_body(response).get("errorCode") or "")
    error.summary = summarize_okta_error(response)
    return error


def _api_error(
    response: requests.Response,
    *,
    stream: str,
    auth_method: str,
    scope: str | None,
    role: str | None,
) -> OktaAPIError:
    path = response.request.path_url.split("?")[0] if response.request else ""
    status = response.status_code
    body = okta_error_body(response)
    code = body.get("errorCode", "")
    summary = summarize_okta_error(response)
    challenge = www_authenticate_params(response)
    credential = (
        "the API token in api_key" if auth_method == "api_key" else "the service app's access token"
    )

    if challenge.get("error") == "insufficient_scope":
        needed = challenge.get("scope") or scope or "the needed scope"
        return OktaAuthError(
            f"Stream '{stream}' needs the OAuth scope {needed}, which the service app's "
            f"token does not carry: grant {needed} to the app in the Okta Admin Console "
            "(Applications > your app > Okta API Scopes; its admin role must allow the "
            f"read too, e.g. {role or 'Read-Only Administrator'}), or deselect the stream."
        )
    if challenge.get("error") == "invalid_dpop_proof" or (
        response.headers.get("WWW-Authenticate", "").startswith("DPoP") and status == 401
    ):
        return OktaAuthError(
            f"Okta rejected the DPoP proof for stream '{stream}' "
            f"({challenge.get('error_description', summary)}): this is a bug in tap-okta "
            "or a clock far off; as a workaround turn off 'Require Demonstrating "
            "Proof of Possession (DPoP)' for the service app."
        )
    if code in {"E0000011", "E0000004"} or (status == 401 and not code):
        if auth_method == "api_key":
            return OktaAuthError(
                f"Okta rejected {credential} ({summary}): create a new token in the "
                "Okta Admin Console (Security > API > Tokens) and set it as api_key "
                "(TAP_OKTA_API_KEY). Tokens expire after 30 days without use and "
                "die with the admin who created them."
            )
        return OktaAuthError(
            f"Okta rejected {credential} ({summary}) even after fetching a new one: "
            "check that the service app is active and still has its admin role."
        )
    if code == "E0000006":
        who = (
            "the admin who created the API token" if auth_method == "api_key" else "the service app"
        )
        return OktaAuthError(
            f"Okta denied stream '{stream}' ({summary}): give {who} an admin role "
            f"that can read {path or 'this resource'} (e.g. {role or 'Read-Only Administrator'}; "
            "Security > Administrators), or deselect the stream."
        )
    if code == "E0000015":
        return OktaAPIError(
            f"Stream '{stream}' needs an Okta feature this org does not have "
            f"({summary}): deselect the stream or ask Okta to enable the feature."
        )
    if status in {301, 302, 303, 307, 308}:
        location = response.headers.get("Location", "")
        return OktaAPIError(
            f"Okta answered {path} with a redirect ({status} to {location!r}); "
            "tap-okta does not follow redirects with credentials. Check that org_url "
            "is the org's API URL (https://NAME.okta.com), not a proxy or login page."
        )
    if status == 404:
        return OktaAPIError(
            f"Okta answered 404 for {path} (stream '{stream}', {summary}): check that "
            "org_url points at the Okta org itself (https://NAME.okta.com)."
        )
    return OktaAPIError(
        f"Okta refused the request for stream '{stream}' ({status} on {path}: {summary})."
    )
