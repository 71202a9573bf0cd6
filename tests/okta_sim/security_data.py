"""Static vocabularies for the security data: admin roles, factors, devices, policies, zones.

Shapes and values follow Okta's management API reference (the OpenAPI spec behind
developer.okta.com/docs/api/openapi/okta-management/): role types and labels, factor
types and providers, authenticator keys, device profiles, policy types with their
settings and rule actions, network zone types.  Kept apart from ``security.py`` so
the generator reads without scrolling past word lists.
"""

from __future__ import annotations

import base64
from typing import Any

# --- admin roles ---------------------------------------------------------------------

# type -> (label, System Log ROLE target id).  MOBILE_ADMIN is not a role type in
# Okta's current RoleType enum, so it is not offered.
STANDARD_ROLES: dict[str, tuple[str, str]] = {
    "SUPER_ADMIN": ("Super Administrator", "SuperOrgAdmin"),
    "ORG_ADMIN": ("Organization Administrator", "OrgAdmin"),
    "APP_ADMIN": ("Application Administrator", "AppAdmin"),
    "USER_ADMIN": ("User Administrator", "UserAdmin"),
    "HELP_DESK_ADMIN": ("Help Desk Administrator", "HelpDeskAdmin"),
    "READ_ONLY_ADMIN": ("Read Only Administrator", "ReadOnlyAdmin"),
    "API_ACCESS_MANAGEMENT_ADMIN": (
        "API Access Management Administrator",
        "ApiAccessManagementAdmin",
    ),
    "REPORT_ADMIN": ("Report Administrator", "ReportAdmin"),
    "GROUP_MEMBERSHIP_ADMIN": ("Group Membership Administrator", "GroupMembershipAdmin"),
}
# How often generated admins hold each type (SUPER_ADMIN goes to the org's own admins).
ROLE_WEIGHTS: dict[str, int] = {
    "ORG_ADMIN": 3,
    "APP_ADMIN": 3,
    "USER_ADMIN": 4,
    "HELP_DESK_ADMIN": 6,
    "READ_ONLY_ADMIN": 6,
    "API_ACCESS_MANAGEMENT_ADMIN": 1,
    "REPORT_ADMIN": 3,
    "GROUP_MEMBERSHIP_ADMIN": 2,
}
GROUP_ROLE_TYPES = ("HELP_DESK_ADMIN", "READ_ONLY_ADMIN", "GROUP_MEMBERSHIP_ADMIN", "APP_ADMIN")


def standard_assignment_id(role_type: str) -> str:
    """A user's standard role assignment id: base32 of the type, the same for every user.

    Okta's examples show it (``KVJUKUS7IFCE2SKO`` is base32 of ``USER_ADMIN``), so an
    assignment id is unique per assignee only: key the table on (user id, id).
    """
    return base64.b32encode(role_type.encode()).decode().rstrip("=")


CUSTOM_ROLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "UserCreator",
        "Create and activate users",
        ("okta.users.create", "okta.users.read", "okta.users.lifecycle.activate"),
    ),
    (
        "GroupMembershipManager",
        "Manage the members of delegated groups",
        ("okta.groups.read", "okta.groups.members.manage", "okta.users.read"),
    ),
    (
        "HelpdeskLite",
        "Reset passwords and factors of delegated users",
        (
            "okta.users.read",
            "okta.users.credentials.resetPassword",
            "okta.users.credentials.resetFactors",
            "okta.users.credentials.expirePassword",
            "okta.users.lifecycle.unlock",
            "okta.users.lifecycle.unsuspend",
        ),
    ),
    (
        "AppAssignmentManager",
        "Assign delegated apps to users and groups",
        (
            "okta.apps.read",
            "okta.apps.assignment.manage",
            "okta.groups.read",
            "okta.users.read",
            "okta.groups.appAssignment.manage",
        ),
    ),
    (
        "SecurityAuditor",
        "Read-only view of users, groups, apps, policies and logs",
        (
            "okta.users.read",
            "okta.groups.read",
            "okta.apps.read",
            "okta.policies.read",
            "okta.authzServers.read",
            "okta.devices.read",
            "okta.iam.read",
            "okta.logs.read",
        ),
    ),
)
RESOURCE_SETS: tuple[tuple[str, str], ...] = (
    ("Regional IT", "Groups, users and apps the regional IT team administers"),
    ("Contractor Management", "Contractor groups and their apps"),
    ("Sales Apps", "The sales team's apps"),
)

# --- MFA factors ---------------------------------------------------------------------
# (factorType, provider, vendorName, id prefix, weight, System Log factor name)
FACTOR_KINDS: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("push", "OKTA", "OKTA", "opf", 30, "OKTA_VERIFY_PUSH"),
    ("signed_nonce", "OKTA", "OKTA", "aen", 14, "SIGNED_NONCE"),
    ("token:software:totp", "OKTA", "OKTA", "ostf", 10, "OKTA_SOFT_TOKEN"),
    ("token:software:totp", "GOOGLE", "GOOGLE", "uft", 6, "GOOGLE_AUTHENTICATOR"),
    ("sms", "OKTA", "OKTA", "sms", 16, "OKTA_SMS"),
    ("call", "OKTA", "OKTA", "clf", 3, "OKTA_CALL"),
    ("email", "OKTA", "OKTA", "emf", 12, "OKTA_EMAIL"),
    ("webauthn", "FIDO", "FIDO", "fwf", 10, "FIDO_WEBAUTHN"),
    ("u2f", "FIDO", "FIDO", "fuf", 1, "FIDO_U2F"),
    ("question", "OKTA", "OKTA", "ufs", 6, "OKTA_QUESTION"),
    ("token:hardware", "YUBICO", "YUBICO", "ykf", 2, "YUBIKEY_TOKEN"),
    ("token", "RSA", "RSA", "rsa", 1, "RSA_SECURID"),
    # Custom TOTP: a hardware token set up as an org factor profile.  Weight 0: never
    # drawn, so the random mix stays what it was; the generator places one explicitly.
    # The vendor is the profile's name (Okta's example: Entrust Datacard); the System
    # Log name is the credential type Okta's SSF credential-change event lists.
    ("token:hotp", "CUSTOM", "Entrust Datacard", "chf", 0, "HOTP_FACTOR"),
)
FACTOR_KIND_INDEX = {(k[0], k[1]): i for i, k in enumerate(FACTOR_KINDS)}
DEFAULT_PROVIDER = {
    "push": "OKTA",
    "signed_nonce": "OKTA",
    "token:software:totp": "OKTA",
    "sms": "OKTA",
    "call": "OKTA",
    "email": "OKTA",
    "webauthn": "FIDO",
    "u2f": "FIDO",
    "question": "OKTA",
    "token:hardware": "YUBICO",
    "token": "RSA",
    "token:hotp": "CUSTOM",
}
# Types a user may hold more than once (one security key per device).
REPEATABLE_FACTORS = frozenset({"webauthn", "u2f"})
# Unenrolling one of these unenrolls the user's other Okta Verify factors too.
OKTA_VERIFY = frozenset(
    {("push", "OKTA"), ("signed_nonce", "OKTA"), ("token:software:totp", "OKTA")}
)
WEBAUTHN_NAMES = (
    "MacBook Touch ID",
    "YubiKey 5 NFC",
    "YubiKey 5C",
    "Windows Hello",
    "iCloud Keychain",
    "Google Password Manager",
)
PHONES = (
    ("SmartPhone_IPhone", "IOS", "iPhone", "17.5.1"),
    ("SmartPhone_IPhone", "IOS", "iPhone 15 Pro", "18.1"),
    ("SmartPhone_Android", "ANDROID", "Pixel 8", "14"),
    ("SmartPhone_Android", "ANDROID", "Galaxy S23", "14"),
)
QUESTIONS = (
    ("disliked_food", "What is the food you least liked as a child?"),
    ("name_of_first_plush_toy", "What is the name of your first stuffed animal?"),
    ("favorite_art_piece", "What is your favorite piece of art?"),
    ("first_award", "What did you earn your first medal or award for?"),
)

# --- devices -------------------------------------------------------------------------
# (platform, manufacturer, model, osVersion, secure hardware, disk encryption)
DEVICE_MODELS: tuple[tuple[str, str, str, str, bool, str], ...] = (
    ("WINDOWS", "Dell Inc.", "Latitude 7440", "10.0.22631.3593", True, "ALL_INTERNAL_VOLUMES"),
    ("WINDOWS", "LENOVO", "ThinkPad X1 Carbon Gen 11", "10.0.22631.3737", True, "SYSTEM_VOLUME"),
    ("WINDOWS", "HP", "EliteBook 840 G10", "10.0.19045.4529", False, "NONE"),
    ("MACOS", "APPLE", "MacBookPro18,3", "14.5.0", True, "ALL_INTERNAL_VOLUMES"),
    ("MACOS", "APPLE", "Mac14,2", "14.6.1", True, "ALL_INTERNAL_VOLUMES"),
    ("IOS", "APPLE", "iPhone15,2", "17.5.1", True, "FULL"),
    ("IOS", "APPLE", "iPhone16,1", "18.1.0", True, "FULL"),
    ("ANDROID", "Google", "Pixel 8", "14:2024-05-05", True, "USER"),
    ("ANDROID", "samsung", "SM-S911B", "14:2024-04-01", True, "USER"),
)
DEVICE_STATUSES = ("ACTIVE", "SUSPENDED", "DEACTIVATED", "CREATED")
DEVICE_STATUS_WEIGHTS = (85, 4, 6, 5)
SCREEN_LOCKS = ("BIOMETRIC", "PASSCODE", "NONE")

# --- authenticators ------------------------------------------------------------------
# (key, type, name, status, settings, provider)
AUTHENTICATORS: tuple[tuple[str, str, str, str, dict[str, Any] | None, Any], ...] = (
    ("okta_password", "password", "Password", "ACTIVE", None, None),
    (
        "okta_email",
        "email",
        "Email",
        "ACTIVE",
        {"allowedFor": "any", "tokenLifetimeInMinutes": 5},
        None,
    ),
    ("phone_number", "phone", "Phone", "ACTIVE", {"allowedFor": "any"}, None),
    (
        "okta_verify",
        "app",
        "Okta Verify",
        "ACTIVE",
        {
            "channelBinding": {"style": "NUMBER_CHALLENGE", "required": "HIGH_RISK_ONLY"},
            "compliance": {"fips": "OPTIONAL"},
            "userVerification": "PREFERRED",
            "appInstanceId": None,  # the Okta Dashboard app's id, filled in
        },
        None,
    ),
    ("webauthn", "security_key", "Security Key or Biometric", "ACTIVE", None, None),
    (
        "security_question",
        "security_question",
        "Security Question",
        "ACTIVE",
        {"allowedFor": "recovery"},
        None,
    ),
    ("google_otp", "app", "Google Authenticator", "ACTIVE", None, None),
    (
        "duo",
        "app",
        "Duo Security",
        "INACTIVE",
        None,
        {
            "type": "DUO",
            "configuration": {
                "host": "api-3f2b1c9d.duosecurity.com",
                "integrationKey": "DIX1ZHC7K5QOTFS2M4WN",
                "userNameTemplate": {"template": "oktaId"},
            },
        },
    ),
)

# --- policies ------------------------------------------------------------------------
# Every type of Okta's PolicyType enum.
POLICY_TYPES = (
    "OKTA_SIGN_ON",
    "PASSWORD",
    "MFA_ENROLL",
    "IDP_DISCOVERY",
    "ACCESS_POLICY",
    "PROFILE_ENROLLMENT",
    "POST_AUTH_SESSION",
    "ENTITY_RISK",
    "DEVICE_SIGNAL_COLLECTION",
    "SESSION_VIOLATION_DETECTION",
    "CLIENT_UPDATE",
    "IDENTITY_CLAIM_SOURCING",
)
# Rejected by default (a feature the org lacks): Identity Threat Protection's entity
# risk and session violation detection, the Early Access device signal collection,
# client update and identity claims sourcing.
DEFAULT_DISABLED_POLICY_TYPES = frozenset(
    {
        "ENTITY_RISK",
        "DEVICE_SIGNAL_COLLECTION",
        "SESSION_VIOLATION_DETECTION",
        "CLIENT_UPDATE",
        "IDENTITY_CLAIM_SOURCING",
    }
)
# Types an org has exactly one policy of.
SINGLE_POLICY_TYPES = frozenset(
    {
        "IDP_DISCOVERY",
        "POST_AUTH_SESSION",
        "ENTITY_RISK",
        "SESSION_VIOLATION_DETECTION",
        "CLIENT_UPDATE",
        "IDENTITY_CLAIM_SOURCING",
    }
)
# Policy type -> rule type (a sign-on policy's rules are SIGN_ON).
RULE_TYPES = {t: t for t in POLICY_TYPES} | {"OKTA_SIGN_ON": "SIGN_ON"}
# Policy type -> System Log detailEntry.policyType.
LOG_POLICY_TYPES = {
    "OKTA_SIGN_ON": "OktaSignOn",
    "PASSWORD": "Password",
    "MFA_ENROLL": "MfaEnroll",
    "IDP_DISCOVERY": "IdpDiscovery",
    "ACCESS_POLICY": "AccessPolicy",
    "PROFILE_ENROLLMENT": "ProfileEnrollment",
    "POST_AUTH_SESSION": "PostAuthSession",
    "ENTITY_RISK": "EntityRisk",
    "DEVICE_SIGNAL_COLLECTION": "DeviceSignalCollection",
    "SESSION_VIOLATION_DETECTION": "SessionViolationDetection",
    "CLIENT_UPDATE": "ClientUpdate",
    "IDENTITY_CLAIM_SOURCING": "IdentityClaimSourcing",
}
DEFAULT_POLICY_NAMES = {
    "OKTA_SIGN_ON": "Default Policy",
    "PASSWORD": "Default Policy",
    "MFA_ENROLL": "Default Policy",
    "IDP_DISCOVERY": "Idp Discovery Policy",
    "ACCESS_POLICY": "Default Policy",
    "PROFILE_ENROLLMENT": "Default Policy",
    "POST_AUTH_SESSION": "Session Protection",
    "ENTITY_RISK": "Entity Risk Policy",
    "DEVICE_SIGNAL_COLLECTION": "Default Policy",
    "SESSION_VIOLATION_DETECTION": "Session Violation Detection Policy",
    "CLIENT_UPDATE": "Client Update Policy",
    "IDENTITY_CLAIM_SOURCING": "Default policy",
}
CUSTOM_POLICY_NAMES = {
    "OKTA_SIGN_ON": ("Admins Session Policy", "Contractors Session Policy", "Kiosk Sessions"),
    "PASSWORD": ("AD-sourced Users", "Service Accounts", "Executives"),
    "MFA_ENROLL": ("Admins: phishing resistant", "Contractors MFA", "Frontline Workers"),
    "ACCESS_POLICY": ("Okta Dashboard", "Okta Admin Console", "Any two factors"),
    "PROFILE_ENROLLMENT": ("Partner self-registration", "Customer portal sign-up"),
    "DEVICE_SIGNAL_COLLECTION": ("Managed laptops",),
}
PASSWORD_SETTINGS: dict[str, Any] = {
    "password": {
        "complexity": {
            "minLength": 12,
            "minLowerCase": 1,
            "minUpperCase": 1,
            "minNumber": 1,
            "minSymbol": 0,
            "excludeUsername": True,
            "dictionary": {"common": {"exclude": True}},
            "excludeAttributes": ["firstName", "lastName"],
        },
        "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": 4},
        "lockout": {
            "maxAttempts": 10,
            "autoUnlockMinutes": 0,
            "userLockoutNotificationChannels": [],
            "showLockoutFailures": False,
        },
    },
    "recovery": {
        "factors": {
            "recovery_question": {
                "status": "INACTIVE",
                "properties": {"complexity": {"minLength": 4}},
            },
            "okta_email": {
                "status": "ACTIVE",
                "properties": {"recoveryToken": {"tokenLifetimeMinutes": 60}},
            },
            "okta_sms": {"status": "INACTIVE"},
            "okta_call": {"status": "INACTIVE"},
        }
    },
    "delegation": {"options": {"skipUnlock": False}},
}

# --- network zones, IdPs, authorization servers, trusted origins ---------------------
ZONE_LOCATIONS = (
    {"country": "KP", "region": None},
    {"country": "IR", "region": None},
    {"country": "RU", "region": "RU-MOW"},
    {"country": "CU", "region": None},
)
TRUSTED_ORIGINS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("Company Portal", "https://portal.example.com", ("CORS", "REDIRECT"), "ACTIVE"),
    ("Help Center widget", "https://help.example.com", ("IFRAME_EMBED",), "ACTIVE"),
    ("Mobile app (Capacitor)", "capacitor://localhost", ("CORS", "REDIRECT"), "ACTIVE"),
    ("Local development", "http://localhost:3000", ("CORS",), "INACTIVE"),
)
GROUP_RULE_ATTRIBUTES = (
    ("department", "user.department"),
    ("title", "user.title"),
    ("city", "user.city"),
    ("costCenter", "user.costCenter"),
)
