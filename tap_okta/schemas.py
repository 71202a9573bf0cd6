"""JSON schemas of the Okta objects, built from Okta's documented fields.

Okta sends many fields as null and adds new ones over time, so every
property is nullable and every object, a record's root included, is open
(``additionalProperties``): custom profile attributes, app settings, log details
and a top-level field Okta adds after these schemas were written reach the
output instead of being dropped.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

#: What an internal listing (never in the catalog) keeps of each object.
ID_ONLY: dict[str, t.Any] = {"type": "object", "properties": {"id": {"type": "string"}}}

# Objects whose shape varies by org, app or event: keep them open and untyped.
# No (empty) ``properties``: with flattening on, the SDK then writes such an object
# as one JSON column its SCHEMA declares, instead of expanding it into columns
# (``_links__self``) that no SCHEMA message declares and typed targets drop.
OPEN_OBJECT = th.CustomType({"type": "object", "additionalProperties": True})
# As array items the SDK's type conformance needs ``properties`` (empty is fine).
OPEN_ITEM = th.ObjectType(additional_properties=True)
LINKS = th.Property("_links", OPEN_OBJECT)
EMBEDDED = th.Property("_embedded", OPEN_OBJECT)


# Singer's convention for a deletion: the record's keys plus this timestamp.
DELETED_AT = th.Property(
    "_sdc_deleted_at",
    th.DateTimeType,
    description=(
        "Set when Okta removed or deleted the object (the time Okta recorded it); "
        "null for live records."
    ),
)


def record(*properties: th.Property[t.Any]) -> th.PropertiesList:
    """A stream's record schema, open at the root as the nested objects are: the
    SDK drops (with a warning) any top-level field a closed root does not name."""
    return th.PropertiesList(*properties, additional_properties=True)


def _strings(*names: str) -> list[th.Property[str]]:
    return [th.Property(name, th.StringType) for name in names]


def _timestamps(*names: str) -> list[th.Property[str]]:
    return [th.Property(name, th.DateTimeType) for name in names]


# Okta's base user profile; custom attributes pass through (open object).
USER_PROFILE = th.ObjectType(
    *_strings(
        "login",
        "email",
        "secondEmail",
        "firstName",
        "lastName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "title",
        "displayName",
        "nickName",
        "profileUrl",
        "primaryPhone",
        "mobilePhone",
        "streetAddress",
        "city",
        "state",
        "zipCode",
        "countryCode",
        "postalAddress",
        "preferredLanguage",
        "locale",
        "timezone",
        "userType",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "managerId",
        "manager",
    ),
    additional_properties=True,
)

USER_CREDENTIALS = th.ObjectType(
    th.Property("password", OPEN_OBJECT),
    th.Property("recovery_question", th.ObjectType(th.Property("question", th.StringType))),
    th.Property(
        "provider",
        th.ObjectType(th.Property("type", th.StringType), th.Property("name", th.StringType)),
    ),
    th.Property(
        "emails",
        th.ArrayType(th.ObjectType(*_strings("value", "status", "type"))),
    ),
)

USER = record(
    th.Property("id", th.StringType, required=True),
    th.Property("status", th.StringType),
    th.Property("transitioningToStatus", th.StringType),
    *_timestamps(
        "created", "activated", "statusChanged", "lastLogin", "lastUpdated", "passwordChanged"
    ),
    th.Property("type", th.ObjectType(th.Property("id", th.StringType))),
    th.Property("realmId", th.StringType),
    th.Property("profile", USER_PROFILE),
    th.Property("credentials", USER_CREDENTIALS),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

GROUP = record(
    th.Property("id", th.StringType, required=True),
    *_timestamps("created", "lastUpdated", "lastMembershipUpdated"),
    th.Property(
        "lastChanged",
        th.DateTimeType,
        description=(
            "Computed by tap-okta: the later of lastUpdated and lastMembershipUpdated. "
            "The replication key, so membership changes re-emit the group."
        ),
    ),
    th.Property("objectClass", th.ArrayType(th.StringType)),
    th.Property("type", th.StringType),
    th.Property(
        "profile",
        th.ObjectType(
            *_strings("name", "description"),
            # Groups imported from Active Directory (APP_GROUP) carry these; they are
            # not in the org's group schema (discovery adds that one's attributes).
            *_strings(
                "samAccountName",
                "dn",
                "windowsDomainQualifiedName",
                "externalId",
                "groupType",
                "groupScope",
                "objectSid",
                "managedBy",
            ),
            additional_properties=True,
        ),
    ),
    th.Property("source", th.ObjectType(th.Property("id", th.StringType))),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

APP = record(
    th.Property("id", th.StringType, required=True),
    *_strings("orn", "name", "label", "status", "signOnMode"),
    *_timestamps("created", "lastUpdated"),
    th.Property(
        "accessibility",
        th.ObjectType(
            th.Property("selfService", th.BooleanType),
            th.Property("errorRedirectUrl", th.StringType),
            th.Property("loginRedirectUrl", th.StringType),
        ),
    ),
    th.Property(
        "visibility",
        th.ObjectType(
            th.Property("autoLaunch", th.BooleanType),
            th.Property("autoSubmitToolbar", th.BooleanType),
            th.Property("hide", OPEN_OBJECT),
            th.Property("appLinks", OPEN_OBJECT),
        ),
    ),
    th.Property("features", th.ArrayType(th.StringType)),
    th.Property(
        "credentials",
        th.ObjectType(
            th.Property("scheme", th.StringType),
            th.Property("userNameTemplate", OPEN_OBJECT),
            th.Property("signing", OPEN_OBJECT),
            th.Property("oauthClient", OPEN_OBJECT),
            th.Property("userName", th.StringType),
            th.Property("password", OPEN_OBJECT),
            th.Property("revealPassword", th.BooleanType),
        ),
    ),
    th.Property("settings", OPEN_OBJECT),
    th.Property("licensing", OPEN_OBJECT),
    th.Property("profile", OPEN_OBJECT),
    th.Property("universalLogout", OPEN_OBJECT),
    th.Property(
        "expressConfiguration",
        th.ObjectType(
            th.Property("supportedCapabilities", th.ArrayType(th.StringType)),
            th.Property("enabledCapabilities", th.ArrayType(th.StringType)),
            additional_properties=True,
        ),
    ),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

APP_USER = record(
    th.Property("appId", th.StringType, required=True, description="The app's id."),
    th.Property("id", th.StringType, required=True, description="The user's id."),
    *_strings("externalId", "scope", "status", "syncState"),
    *_timestamps("created", "lastUpdated", "statusChanged", "passwordChanged", "lastSync"),
    th.Property(
        "credentials",
        th.ObjectType(th.Property("userName", th.StringType), th.Property("password", OPEN_OBJECT)),
    ),
    th.Property("profile", OPEN_OBJECT),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

APP_GROUP = record(
    th.Property("appId", th.StringType, required=True, description="The app's id."),
    th.Property("id", th.StringType, required=True, description="The group's id."),
    th.Property("lastUpdated", th.DateTimeType),
    th.Property("priority", th.IntegerType),
    th.Property("profile", OPEN_OBJECT),
    LINKS,
    EMBEDDED,
    DELETED_AT,
)

GROUP_MEMBER = record(
    th.Property("groupId", th.StringType, required=True),
    th.Property("userId", th.StringType, required=True),
    DELETED_AT,
)

# System Log: a documented skeleton; every nested object stays open because
# its contents differ per event type.
_ACTOR = th.ObjectType(
    *_strings("id", "type", "alternateId", "displayName"),
    th.Property("detailEntry", OPEN_OBJECT),
)
_GEO = th.ObjectType(
    *_strings("city", "state", "country", "postalCode"),
    th.Property("geolocation", OPEN_OBJECT),
)

LOG_EVENT = record(
    th.Property("uuid", th.StringType, required=True),
    th.Property("published", th.DateTimeType),
    *_strings("eventType", "version", "severity", "legacyEventType", "displayMessage"),
    th.Property("actor", _ACTOR),
    th.Property(
        "client",
        th.ObjectType(
            *_strings("id", "ipAddress", "device", "zone"),
            th.Property("userAgent", OPEN_OBJECT),
            th.Property("geographicalContext", _GEO),
        ),
    ),
    th.Property("device", OPEN_OBJECT),
    th.Property("request", th.ObjectType(th.Property("ipChain", th.ArrayType(OPEN_ITEM)))),
    th.Property("outcome", th.ObjectType(*_strings("result", "reason"))),
    th.Property("target", th.ArrayType(_ACTOR)),
    th.Property(
        "transaction",
        th.ObjectType(*_strings("id", "type"), th.Property("detail", OPEN_OBJECT)),
    ),
    th.Property("debugContext", th.ObjectType(th.Property("debugData", OPEN_OBJECT))),
    th.Property("authenticationContext", OPEN_OBJECT),
    th.Property("securityContext", OPEN_OBJECT),
)
