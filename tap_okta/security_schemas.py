"""JSON schemas of the security streams (admin roles, MFA, devices, policies, …).

Same rules as ``tap_okta.schemas``: every property nullable, settings that
differ by type kept as open objects, each record's parent id where it is a
child, and ``_sdc_deleted_at`` for deletions.
"""

from __future__ import annotations

from singer_sdk import typing as th

from tap_okta.schemas import (
    DELETED_AT,
    EMBEDDED,
    LINKS,
    OPEN_ITEM,
    OPEN_OBJECT,
    _strings,
    _timestamps,
    record,
)


def _id(description: str | None = None) -> th.Property[str]:
    return th.Property("id", th.StringType, required=True, description=description)


def _parent(name: str, what: str) -> th.Property[str]:
    return th.Property(name, th.StringType, required=True, description=f"The {what}'s id.")


_CREATED_UPDATED = _timestamps("created", "lastUpdated")
# A field whose shape depends on the object's type: kept as one JSON column.
ARRAY_OR_OBJECT = th.CustomType({"type": ["array", "object", "null"]})

ROLE_ASSIGNMENT = [
    _id("The role assignment's id."),
    *_strings("label", "type", "status", "assignmentType", "description"),
    # A CUSTOM assignment names its custom role and resource set (Okta spells it
    # "resource-set").
    *_strings("role", "resource-set"),
    *_CREATED_UPDATED,
    LINKS,
    EMBEDDED,
    DELETED_AT,
]

USER_ROLE = record(_parent("userId", "user"), *ROLE_ASSIGNMENT)
GROUP_ROLE = record(_parent("groupId", "group"), *ROLE_ASSIGNMENT)

CUSTOM_ROLE = record(
    _id(),
    *_strings("label", "description"),
    # In Okta's answers since 2025: whether the role can be cloned in the Admin Console.
    th.Property("isCloneable", th.BooleanType),
    *_CREATED_UPDATED,
    LINKS,
    DELETED_AT,
)

CUSTOM_ROLE_PERMISSION = record(
    _parent("roleId", "custom role"),
    th.Property(
        "label", th.StringType, required=True, description="The permission, e.g. okta.users.read."
    ),
    *_CREATED_UPDATED,
    th.Property("conditions", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

RESOURCE_SET = record(
    _id(), *_strings("label", "description"), *_CREATED_UPDATED, LINKS, DELETED_AT
)

RESOURCE_SET_RESOURCE = record(
    _parent("resourceSetId", "resource set"),
    _id("The resource's id within the set."),
    th.Property("orn", th.StringType, description="Okta Resource Name of the covered object."),
    # {"Exclude": {"okta:ORN": [...]}}: e.g. "all apps but these".
    th.Property("conditions", OPEN_OBJECT),
    *_CREATED_UPDATED,
    LINKS,
    DELETED_AT,
)

USER_FACTOR = record(
    _parent("userId", "user"),
    _id("The factor's id."),
    *_strings("factorType", "provider", "vendorName", "status"),
    # Custom TOTP (token:hotp) factors name the factor profile they were enrolled with.
    th.Property("factorProfileId", th.StringType),
    *_CREATED_UPDATED,
    th.Property("profile", OPEN_OBJECT),
    th.Property("verify", OPEN_OBJECT),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

AUTHENTICATOR = record(
    _id(),
    *_strings("key", "status", "name", "type"),
    # Custom app (Okta Verify push) authenticators: the terms were agreed to.
    th.Property("agreeToTerms", th.BooleanType),
    *_CREATED_UPDATED,
    th.Property("settings", OPEN_OBJECT),
    th.Property("provider", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

DEVICE = record(
    _id(),
    *_strings("status", "resourceId", "resourceType", "resourceAlternateId"),
    *_CREATED_UPDATED,
    th.Property(
        "profile",
        th.ObjectType(
            *_strings(
                "displayName",
                "platform",
                "manufacturer",
                "model",
                "osVersion",
                "serialNumber",
                "udid",
                "sid",
                "imei",
                "meid",
                "diskEncryptionType",
                "tpmPublicKeyHash",
            ),
            th.Property("registered", th.BooleanType),
            th.Property("secureHardwarePresent", th.BooleanType),
            th.Property("integrityJailbreak", th.BooleanType),
            th.Property("managed", th.BooleanType),
            additional_properties=True,
        ),
    ),
    th.Property("resourceDisplayName", OPEN_OBJECT),
    LINKS,
    th.Property(
        "_embedded",
        OPEN_OBJECT,
        description="The device's users (managementStatus, screenLockType, user).",
    ),
    DELETED_AT,
)

GROUP_RULE = record(
    _id(),
    *_strings("type", "name", "status"),
    *_CREATED_UPDATED,
    th.Property("conditions", OPEN_OBJECT),
    th.Property("actions", OPEN_OBJECT),
    th.Property("allGroupsValid", th.BooleanType),
    LINKS,
    DELETED_AT,
)

USER_TYPE = record(
    _id(),
    *_strings("name", "displayName", "description", "createdBy", "lastUpdatedBy"),
    th.Property("default", th.BooleanType),
    *_CREATED_UPDATED,
    LINKS,
    DELETED_AT,
)

POLICY = record(
    _id(),
    *_strings("type", "status", "name", "description"),
    th.Property("priority", th.IntegerType),
    th.Property("system", th.BooleanType),
    *_CREATED_UPDATED,
    th.Property("conditions", OPEN_OBJECT),
    th.Property("settings", OPEN_OBJECT),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

POLICY_RULE = record(
    _parent("policyId", "policy"),
    _id(),
    *_strings("type", "status", "name"),
    th.Property("priority", th.IntegerType),
    th.Property("system", th.BooleanType),
    *_CREATED_UPDATED,
    th.Property("conditions", OPEN_OBJECT),
    th.Property("actions", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

NETWORK_ZONE = record(
    _id(),
    *_strings("type", "name", "status", "usage", "proxyType"),
    th.Property("system", th.BooleanType),
    # IP zones: true on the DefaultExemptIpZone when its IPs pass the blocklists.
    th.Property("useAsExemptList", th.BooleanType),
    *_CREATED_UPDATED,
    th.Property("gateways", th.ArrayType(OPEN_ITEM)),
    th.Property("proxies", th.ArrayType(OPEN_ITEM)),
    # Arrays on DYNAMIC zones, {"include": [...], "exclude": [...]} on DYNAMIC_V2 ones.
    th.Property("locations", ARRAY_OR_OBJECT),
    th.Property("asns", ARRAY_OR_OBJECT),
    th.Property("ipServiceCategories", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

IDENTITY_PROVIDER = record(
    _id(),
    *_strings("type", "issuerMode", "name", "status"),
    *_CREATED_UPDATED,
    th.Property("protocol", OPEN_OBJECT),
    th.Property("policy", OPEN_OBJECT),
    th.Property("properties", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

AUTHORIZATION_SERVER = record(
    _id(),
    *_strings("name", "description", "issuer", "issuerMode", "status"),
    th.Property("audiences", th.ArrayType(th.StringType)),
    th.Property("default", th.BooleanType),
    *_CREATED_UPDATED,
    th.Property("credentials", OPEN_OBJECT),
    # Access token encryption: the algorithm (RSA-OAEP-256/384/512) and the keys to
    # encrypt with, given inline (jwks) or by URL (jwks_uri).
    th.Property("accessTokenEncryptedResponseAlgorithm", th.StringType),
    th.Property(
        "jwks",
        th.ObjectType(
            th.Property(
                "keys",
                th.ArrayType(
                    th.ObjectType(
                        *_strings("kid", "kty", "use", "status", "e", "n"),
                        additional_properties=True,
                    )
                ),
            ),
            additional_properties=True,
        ),
    ),
    th.Property("jwks_uri", th.StringType),
    LINKS,
    DELETED_AT,
)

TRUSTED_ORIGIN = record(
    _id(),
    *_strings("name", "origin", "status", "createdBy", "lastUpdatedBy"),
    th.Property("scopes", th.ArrayType(OPEN_ITEM)),
    *_CREATED_UPDATED,
    LINKS,
    DELETED_AT,
)

# Metadata of an API token (Okta's ApiToken); its value is never listed.
API_TOKEN = record(
    _id(),
    *_strings("name", "clientName", "userId", "tokenWindow"),
    *_timestamps("created", "lastUpdated", "expiresAt"),
    th.Property("network", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

# A System Log stream (Okta's LogStream); settings differ by type (AWS, Splunk).
LOG_STREAM = record(
    _id(),
    *_strings("name", "type", "status"),
    *_CREATED_UPDATED,
    th.Property("settings", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

# A hook's channel: where Okta calls and how it proves itself (secrets blanked).
_HOOK_CHANNEL = th.Property("channel", OPEN_OBJECT)

EVENT_HOOK = record(
    _id(),
    *_strings("name", "description", "status", "verificationStatus", "createdBy"),
    *_CREATED_UPDATED,
    # {"type": "EVENT_TYPE", "items": [event types], "filter": ...}
    th.Property("events", OPEN_OBJECT),
    _HOOK_CHANNEL,
    LINKS,
    DELETED_AT,
)

INLINE_HOOK = record(
    _id(),
    # Okta's `version`, renamed (InlineHooksStream.post_process says why).
    *_strings("name", "type", "hookVersion", "status"),
    *_CREATED_UPDATED,
    _HOOK_CHANNEL,
    LINKS,
    DELETED_AT,
)

# A custom domain (Okta's DomainResponse); publicCertificate: subject, fingerprint and
# expiration of the certificate it serves.
DOMAIN = record(
    _id(),
    *_strings("domain", "brandId", "certificateSourceType", "validationStatus"),
    th.Property("dnsRecords", th.ArrayType(OPEN_ITEM)),
    th.Property("publicCertificate", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

# A behavior detection rule (Okta's BehaviorRule); settings differ by type.
BEHAVIOR = record(
    _id(),
    *_strings("name", "type", "status"),
    *_CREATED_UPDATED,
    th.Property("settings", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

# An agent pool (Okta's AgentPool) with its agents (id, version, state, lastConnection…).
AGENT_POOL = record(
    _id(),
    *_strings("name", "type", "operationalStatus"),
    th.Property("disruptedAgents", th.IntegerType),
    th.Property("inactiveAgents", th.IntegerType),
    # An array in Okta's schema, one object in its example.
    th.Property("agents", ARRAY_OR_OBJECT),
    LINKS,
    DELETED_AT,
)

# A profile mapping as listed: its source and target (id, name, type), no expressions.
PROFILE_MAPPING = record(
    _id(),
    th.Property("source", OPEN_OBJECT),
    th.Property("target", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

# One target of one admin role assignment (Okta's RoleBTargetAdmin lists): a group a
# USER_ADMIN, HELP_DESK_ADMIN or GROUP_MEMBERSHIP_ADMIN is scoped to, or an app an
# APP_ADMIN is (an instance by id, or every instance of an OIN app by its name).
ROLE_TARGET = record(
    th.Property("principal_type", th.StringType, required=True, description="user or group."),
    _parent("principal_id", "user or group holding the assignment"),
    _parent("role_assignment_id", "role assignment"),
    th.Property("target_type", th.StringType, required=True, description="group or app."),
    th.Property(
        "target_id",
        th.StringType,
        required=True,
        description="The group id; the app instance id, or the OIN app's name for all of it.",
    ),
    *_strings("role_type", "app_name"),
    th.Property("target", OPEN_OBJECT, description="The object Okta returned, as it came."),
    # What the deletions of ids that disappear are keyed by within the run's state.
    *_strings("role_assignment", "target_key"),
    DELETED_AT,
)

# An owner of a group (Okta's GroupOwner): a user or a group.
GROUP_OWNER = record(
    _parent("group_id", "owned group"),
    _id("The owner's id (a user or a group)."),
    *_strings("type", "displayName", "originId", "originType"),
    th.Property("resolved", th.BooleanType),
    *_timestamps("lastUpdated"),
    DELETED_AT,
)

# An Okta API scope granted to an app (Okta's OAuth2ScopeConsentGrant), per app.
APP_GRANT = record(
    _parent("app_id", "app"),
    _id(),
    *_strings("clientId", "scopeId", "issuer", "status", "source", "userId"),
    *_timestamps("created", "lastUpdated"),
    th.Property("createdBy", OPEN_OBJECT),
    EMBEDDED,
    LINKS,
    DELETED_AT,
)

# An app's provisioning feature (Okta's ApplicationFeature) and its app's default
# provisioning connection (ProvisioningConnectionResponse: scheme, base URL, status).
APP_FEATURE = record(
    _parent("app_id", "app"),
    th.Property("name", th.StringType, required=True),
    *_strings("status", "description"),
    th.Property("capabilities", OPEN_OBJECT),
    th.Property("connection", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)

# The org's general settings (Okta's OrgSetting) and its ThreatInsight configuration.
ORG_SETTINGS = record(
    _id(),
    *_strings(
        "companyName",
        "subdomain",
        "status",
        "website",
        "address1",
        "address2",
        "city",
        "state",
        "country",
        "postalCode",
        "phoneNumber",
        "supportPhoneNumber",
        "endUserSupportHelpURL",
    ),
    *_timestamps("created", "lastUpdated", "expiresAt"),
    th.Property("threat_insight", OPEN_OBJECT),
    LINKS,
    DELETED_AT,
)
