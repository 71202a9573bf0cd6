"""Okta error bodies, shaped like ``okta-examples/errors.json`` and ``oauth.json``."""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

_ID_ALPHABET = string.ascii_letters + string.digits + "_-"


def error_id() -> str:
    """Management API error ids look like ``oaeXizhkIdPRF-k4Io7T7dgMA``."""
    return "oae" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def okta_error(code: str, summary: str, causes: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": error_id(),
        "errorCauses": [{"errorSummary": c} for c in causes],
    }


def invalid_token() -> dict[str, Any]:
    return okta_error("E0000011", "Invalid token provided")


def permission_denied() -> dict[str, Any]:
    return okta_error("E0000006", "You do not have permission to perform the requested action")


def not_found(resource_id: str, kind: str) -> dict[str, Any]:
    return okta_error("E0000007", f"Not found: Resource not found: {resource_id} ({kind})")


def unsupported_endpoint() -> dict[str, Any]:
    return okta_error("E0000022", "The endpoint does not support the provided HTTP method")


def rate_limited() -> dict[str, Any]:
    return okta_error("E0000047", "API call exceeded rate limit due to too many requests.")


def feature_unavailable() -> dict[str, Any]:
    return okta_error(
        "E0000015", "You do not have permission to access the feature you are requesting"
    )


def validation(field: str, cause: str) -> dict[str, Any]:
    return okta_error("E0000001", f"Api validation failed: {field}", [f"{field}: {cause}"])


def invalid_cursor_paging() -> dict[str, Any]:
    return okta_error("E0000029", "Invalid paging request.", ["Invalid cursor."])


def invalid_search(cause: str = "Invalid cursor.") -> dict[str, Any]:
    return okta_error("E0000031", "Invalid search criteria.", [cause])


def internal_error() -> dict[str, Any]:
    return okta_error(
        "E0000009",
        "Internal Server Error",
    )


# --- System Log errors: the docs show a shorter body (no errorLink, uuid errorId). -----------


def logs_invalid_filter(expr: str, message: str) -> dict[str, Any]:
    return {
        "errorCode": "E0000053",
        "errorSummary": f"Invalid filter '{expr}': {message}",
        "errorId": str(uuid.uuid4()),
    }


def logs_since_too_old() -> dict[str, Any]:
    return {
        "errorCode": "E0000053",
        "errorSummary": "Invalid parameter: The since parameter is over 180 days prior to the "
        "current day.",
        "errorId": str(uuid.uuid4()),
    }


def logs_bad_date(param: str) -> dict[str, Any]:
    fmt = "The date format in your query is not recognized. Please enter dates using ISO8601 "
    fmt += "string format."
    return {
        "errorCode": "E0000001",
        "errorSummary": f"Api validation failed: '{param}': {fmt} '{param}': must be a valid "
        "date-time or empty.",
        "errorId": str(uuid.uuid4()),
        "errorCauses": [
            {"errorSummary": f"{param}: {fmt}"},
            {"errorSummary": f"{param}: must be a valid date-time or empty."},
        ],
    }


def logs_timeout() -> dict[str, Any]:
    return {
        "errorCode": "E0000009",
        "errorSummary": "Your last request took too long to complete. This is likely due to a "
        "load issue on our side. We've logged this and will work to address it. Please either "
        "simplify your query or wait a few minutes and try again.",
    }


# --- OAuth 2.0 token endpoint errors (oauth.json) ----------------------------------------

INVALID_CLIENT_GENERIC = (
    "Client authentication failed. Either the client or the client credentials are invalid."
)
AUD_INVALID = (
    "The audience claim for client_assertion must be the endpoint invoked for the request."
)
EXP_TOO_FAR = "The client_assertion token has an expiration too far into the future."
EXPIRED = "The client_assertion token is expired."
JTI_REUSED = "The client_assertion token has already been used."
SIG_INVALID = "The client_assertion signature is invalid."
KID_INVALID = "The client_assertion JWT kid is invalid."
ALG_INVALID = "The client_assertion JWT signature algorithm is invalid."
NEEDS_PRIVATE_KEY_JWT = (
    "Client Credentials requests to the Org Authorization Server must use the private_key_jwt "
    "token_endpoint_auth_method."
)
SCOPE_INVALID = (
    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the "
    "resource owner."
)
NO_SCOPES = "No scopes were requested."
ASSERTION_TYPE_INVALID = "The client_assertion_type is invalid."
DPOP_MISSING = "The DPoP proof JWT header is missing."
DPOP_NONCE_NEEDED = "Authorization server requires nonce in DPoP proof."


def oauth_error(error: str, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": description}


# --- policies -------------------------------------------------------------------------------


def policy_type_required() -> dict[str, Any]:
    """``GET /api/v1/policies`` without ``type`` (a required query parameter)."""
    return validation("type", "The type query parameter is required.")


def invalid_policy_type() -> dict[str, Any]:
    """An unknown type, or one whose feature the org lacks (okta-sdk-java#629 shows it)."""
    return okta_error("E0000002", "The request was not valid: Invalid policy type specified")
