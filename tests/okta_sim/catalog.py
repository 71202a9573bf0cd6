"""Static vocabularies for the generated org: names, places, apps, System Log event types.

Kept apart from org.py so the data model reads without scrolling past word lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .app_posture import EVENTS as APP_POSTURE_EVENTS
from .plain_lists import PLAIN_LISTS

FIRST_NAMES = (
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Margaret",
    "Priya",
    "Wei",
    "Hiroshi",
    "Fatima",
    "Olga",
    "José",
    "Zoë",
    "Søren",
    "Anaïs",
    "Łukasz",
    "Aarav",
    "Chloé",
    "Mateo",
    "Ingrid",
    "Kwame",
    "Amara",
    "Yuki",
    "Siobhán",
    "Björn",
    "Noor",
    "Luca",
    "Emma",
    "Oliver",
    "Sofia",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "O'Brien",
    "Müller",
    "Nakamura",
    "Kowalski",
    "Singh",
    "Chen",
    "Ivanova",
    "Dubois",
    "Rossi",
    "Andersen",
    "Okafor",
    "van der Berg",
    "García-López",
    "Nguyễn",
    "Kim",
    "Papadopoulos",
    "Haddad",
    "Novak",
    "Fischer",
    "Silva",
    "Cohen",
)
DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Legal",
    "Support",
    "Operations",
    "Product",
    "IT",
    "Security",
    "Research",
)
TITLES = (
    "Software Engineer",
    "Senior Software Engineer",
    "Account Executive",
    "Analyst",
    "Manager",
    "Director",
    "VP",
    "Recruiter",
    "Counsel",
    "Support Specialist",
    "Designer",
    "SRE",
)
CITIES = (
    ("San Francisco", "US"),
    ("New York", "US"),
    ("London", "GB"),
    ("Berlin", "DE"),
    ("Paris", "FR"),
    ("Tokyo", "JP"),
    ("Toronto", "CA"),
    ("Sydney", "AU"),
    ("São Paulo", "BR"),
    ("Bengaluru", "IN"),
)
GEO = (
    ("Miami", "United States", "Florida", "33143", 25.7034, -80.2927, "162.200.141.72"),
    ("Seattle", "United States", "Washington", "98101", 47.6062, -122.3321, "73.109.22.14"),
    ("London", "United Kingdom", "England", "EC1A", 51.5072, -0.1276, "81.2.69.160"),
    ("Berlin", "Germany", "Land Berlin", "10115", 52.52, 13.405, "85.214.132.117"),
    ("Tokyo", "Japan", "Tokyo", "100-0001", 35.6762, 139.6503, "126.78.1.9"),
)
USER_AGENTS = (
    (
        "CHROME",
        "Mac OS X",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    (
        "FIREFOX",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    ),
    (
        "SAFARI",
        "iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    ),
    ("UNKNOWN", "Unknown", "okta-sdk-python/2.9.0 python/3.11.7 Linux/6.1"),
)


@dataclass(frozen=True)
class _EventType:
    event_type: str
    legacy: str | None
    display: str
    actor: str  # user | admin | system
    targets: tuple[str, ...]  # app | appuser | user | group | policy | token | role
    weight: int  # share of the random background mix; 0 = logged by mutations only


# Background activity: Org.generate's history and Org.add_events pick from these by weight,
# with random actors and targets.
_RANDOM_EVENT_TYPES: tuple[_EventType, ...] = (
    _EventType(
        "user.session.start", "core.user_auth.login_success", "User login to Okta", "user", (), 30
    ),
    _EventType(
        "user.authentication.sso",
        "app.auth.sso",
        "User single sign on to app",
        "user",
        ("app", "appuser"),
        25,
    ),
    _EventType(
        "policy.evaluate_sign_on", None, "Evaluation of sign-on policy", "user", ("policy",), 12
    ),
    _EventType(
        "user.session.end", "core.user_auth.logout_success", "User logout from Okta", "user", (), 8
    ),
    _EventType(
        "user.authentication.auth_via_mfa",
        "core.user.factor.attempt_success",
        "Authentication of user via MFA",
        "user",
        (),
        8,
    ),
    _EventType(
        "user.account.lock",
        "core.user_auth.account_locked",
        "Max sign in attempts exceeded",
        "user",
        (),
        2,
    ),
    _EventType(
        "user.lifecycle.create",
        "core.user.config.user_creation.success",
        "Create Okta user",
        "admin",
        ("user",),
        2,
    ),
    _EventType(
        "user.lifecycle.deactivate",
        "core.user.config.user_deactivated",
        "Deactivate Okta user",
        "admin",
        ("user",),
        1,
    ),
    _EventType(
        "user.account.update_profile",
        "core.user.config.profile_update.success",
        "Update user profile for Okta",
        "admin",
        ("user",),
        2,
    ),
    _EventType(
        "user.account.privilege.grant",
        "core.user.admin_privilege.granted",
        "Grant user privilege",
        "admin",
        ("user", "role"),
        1,
    ),
    _EventType(
        "system.api_token.create", "api.token.create", "Create API token", "admin", ("token",), 1
    ),
)

# Directory changes, logged only by Org's mutation methods, with the real targets: a random
# target would claim a membership, assignment or deletion that never happened, and the tap
# applies these events to the tables it loads.  Names follow Okta's event-type catalog,
# legacy names its /events -> /logs migration table (None where that table lists none).
_MUTATION_EVENT_TYPES: tuple[_EventType, ...] = tuple(
    _EventType(event_type, legacy, display, "admin", targets, 0)
    for event_type, legacy, display, targets in (
        (
            "group.user_membership.add",
            "core.user_group_member.user_add",
            "Add user to group membership",
            ("user", "group"),
        ),
        (
            "group.user_membership.remove",
            "core.user_group_member.user_remove",
            "Remove user from group membership",
            ("user", "group"),
        ),
        (
            "application.user_membership.add",
            "app.generic.provision.assign_user_to_app",
            "Add user to application membership",
            ("appuser", "app", "user"),
        ),
        (
            "application.user_membership.remove",
            "app.generic.provision.deactivate_user_from_app",
            "Remove users application membership",
            ("appuser", "app", "user"),
        ),
        (
            "application.user_membership.update",
            "app.generic.config.app_user_property_update",
            "Updated user application property",
            ("appuser", "app", "user"),
        ),
        (
            "application.user_membership.change_username",
            "app.generic.config.app_username_update",
            "Change users application username",
            ("appuser", "app", "user"),
        ),
        (
            "group.application_assignment.add",
            "group.application_assignment.add",
            "Add assigned application to group",
            ("group", "app"),
        ),
        (
            "group.application_assignment.update",
            "group.application_assignment.update",
            "Update assigned application in group",
            ("group", "app"),
        ),
        (
            "group.application_assignment.remove",
            "group.application_assignment.remove",
            "Remove assigned application from group",
            ("group", "app"),
        ),
        (
            "user.lifecycle.activate",
            "core.user.config.user_activated",
            "Activate Okta user",
            ("user",),
        ),
        (
            "user.lifecycle.suspend",
            "core.user.config.user_status.suspended",
            "Suspend Okta user",
            ("user",),
        ),
        (
            "user.lifecycle.unsuspend",
            "core.user.config.user_status.unsuspended",
            "Unsuspend Okta user",
            ("user",),
        ),
        (
            "user.account.unlock_by_admin",
            "core.user_auth.account_unlocked_by_admin",
            "Unlock user account by admin",
            ("user",),
        ),
        (
            "user.lifecycle.delete.initiated",
            "core.user.config.user_status.delete.initiated",
            "Delete Okta user initiated",
            ("user",),
        ),
        (
            "user.lifecycle.delete.completed",
            "core.user.config.user_status.delete.completed",
            "Delete Okta user completed",
            ("user",),
        ),
        ("group.lifecycle.create", None, "Create Okta group", ("group",)),
        ("group.profile.update", None, "Update Okta group profile", ("group",)),
        ("group.lifecycle.delete", None, "Delete Okta group", ("group",)),
        ("application.lifecycle.create", None, "Create application", ("app",)),
        (
            "application.lifecycle.activate",
            "app.generic.config.app_activated",
            "Activate application",
            ("app",),
        ),
        (
            "application.lifecycle.deactivate",
            "app.generic.config.app_deactivated",
            "Deactivate application",
            ("app",),
        ),
        (
            "application.lifecycle.delete",
            "app.generic.config.app_deleted",
            "Delete application",
            ("app",),
        ),
        # Security configuration (security.py).  user.account.privilege.grant is in the
        # random mix above; its mutation (assign_user_role) reuses that entry.
        (
            "user.account.privilege.revoke",
            "core.user.admin_privilege.revoked",
            "Revoke user privilege",
            ("user", "role"),
        ),
        ("group.privilege.grant", None, "Grant group privilege", ("group", "role")),
        ("group.privilege.revoke", None, "Revoke group privilege", ("group", "role")),
        (
            "user.mfa.factor.activate",
            "core.user.factor.activate",
            "Activate factor or authenticator for user",
            ("user",),
        ),
        (
            "user.mfa.factor.deactivate",
            "core.user.factor.deactivate",
            "Reset factor for user",
            ("user",),
        ),
        (
            "user.mfa.factor.reset_all",
            "core.user.factor.reset_all",
            "Reset all factors for user",
            ("user",),
        ),
        ("device.lifecycle.deactivate", None, "Deactivate device", ()),
        ("device.lifecycle.delete", None, "Delete device", ()),
        ("policy.lifecycle.update", "core.policy.lifecycle.update", "Update policy", ("policy",)),
        ("policy.rule.delete", None, "Delete policy rule", ("policy",)),
        ("zone.activate", None, "Activate network zone", ()),
        ("zone.deactivate", None, "Deactivate network zone", ()),
        ("zone.delete", None, "Delete network zone", ()),
    )
)
# The plain lists' events (plain_lists.py), after the others: a zero weight at the end
# changes no draw of the random mix. One the background mix has already (an API token
# created) stays there, as it was.
_MUTATION_EVENT_TYPES += tuple(
    _EventType(event_type, None, display, "admin", ("token",), 0)
    for entry in PLAIN_LISTS
    for event_type, display in entry.events()
    if event_type not in {e.event_type for e in _RANDOM_EVENT_TYPES}
)
# Per-app grants and provisioning (app_posture.py), likewise after the others.
_MUTATION_EVENT_TYPES += tuple(
    _EventType(event_type, None, display, "admin", ("app",), 0)
    for event_type, display in APP_POSTURE_EVENTS
)
EVENT_TYPES: tuple[_EventType, ...] = _RANDOM_EVENT_TYPES + _MUTATION_EVENT_TYPES
EVENT_WEIGHTS = tuple(e.weight for e in EVENT_TYPES)
EVENT_TYPE_INDEX = {e.event_type: i for i, e in enumerate(EVENT_TYPES)}
MUTATION_ONLY_EVENT_TYPES = frozenset(e.event_type for e in _MUTATION_EVENT_TYPES)

APP_CATALOG: tuple[tuple[str, str, str | None], ...] = (
    ("zoomus", "Zoom", "SAML_2_0"),
    ("salesforce", "Salesforce.com", "SAML_2_0"),
    ("amazon_aws_sso", "AWS IAM Identity Center", "SAML_2_0"),
    ("slack", "Slack", "SAML_2_0"),
    ("oidc_client", "Internal Portal", "OPENID_CONNECT"),
    ("oidc_client", "Grafana", "OPENID_CONNECT"),
    ("bookmark", "Company Wiki", "BOOKMARK"),
    ("acme_legacycrm_1", "Legacy CRM", "AUTO_LOGIN"),
    ("github", "GitHub", "BROWSER_PLUGIN"),
    ("template_sps", "Shared Social Account", "SECURE_PASSWORD_STORE"),
    ("template_basic_auth", "Intranet (Basic Auth)", "BASIC_AUTH"),
    ("template_wsfed", "SharePoint", "WS_FEDERATION"),
    ("workday", "Workday", "SAML_2_0"),
    ("oidc_client", "Expense Tracker", "OPENID_CONNECT"),
    ("bookmark", "Benefits Portal", "BOOKMARK"),
)

OUTCOME_OK: dict[str, Any] = {"reason": None, "result": "SUCCESS"}
OUTCOME_FAIL: dict[str, Any] = {"reason": "INVALID_CREDENTIALS", "result": "FAILURE"}
OUTCOME_ALLOW: dict[str, Any] = {
    "reason": "Sign-on policy evaluation resulted in ALLOW",
    "result": "ALLOW",
}
OUTCOME_DENY: dict[str, Any] = {
    "reason": "Sign-on policy evaluation resulted in DENY",
    "result": "DENY",
}
