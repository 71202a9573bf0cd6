"""What an org lacks: Identity Engine-only endpoints on a Classic Engine org, and
licensed features that are off.

Okta answers the first with 404 E0000007 (the endpoint does not exist there) and the
second with 401 E0000015 (see ``../shared/okta-api-notes.md``, Errors).
"""

from __future__ import annotations

from .security_data import POLICY_TYPES

ENGINES = ("identity", "classic")

# Among the simulator's endpoints, only Identity Engine orgs have these: the
# Authenticators administration API and the Devices API are Identity Engine features.
IDENTITY_ENGINE_ONLY = ("/api/v1/authenticators", "/api/v1/devices")
# A Classic Engine org has the classic policy types only; the others (authentication,
# profile enrollment, Identity Threat Protection's ...) are refused like a type it
# lacks (400 E0000002).
CLASSIC_POLICY_TYPES = frozenset({"OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY"})
IDENTITY_ENGINE_POLICY_TYPES = frozenset(POLICY_TYPES) - CLASSIC_POLICY_TYPES

# Okta feature name -> the endpoint families that need it.  Custom admin roles and
# resource sets are one licensed feature; either name turns both off.
_CUSTOM_ROLES = ("/api/v1/iam/roles", "/api/v1/iam/resource-sets")
FEATURE_PATHS: dict[str, tuple[str, ...]] = {
    "API_ACCESS_MANAGEMENT": ("/api/v1/authorizationServers",),
    "CUSTOM_ADMIN_ROLES": _CUSTOM_ROLES,
    "RESOURCE_SETS": _CUSTOM_ROLES,
}


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def missing_on_engine(engine: str, path: str) -> bool:
    """True when ``path`` does not exist on an org of this engine."""
    return engine == "classic" and _under(path, IDENTITY_ENGINE_ONLY)


def feature_disabled(disabled: set[str], path: str, family: str) -> bool:
    """True when a feature ``path`` needs is off.

    ``disabled`` holds Okta feature names (``FEATURE_PATHS``) and, as before, permission
    families (``"users"``, ``"logs"`` ...) that turn a whole family off.
    """
    if family in disabled:
        return True
    return any(_under(path, FEATURE_PATHS.get(name, ())) for name in disabled)
