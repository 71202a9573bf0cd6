"""Profile schemas and user types (``/api/v1/meta``): bodies shaped like Okta's docs.

Okta describes profiles in a subset of JSON Schema draft 4: ``definitions.base``
(Okta's attributes) and ``definitions.custom`` (the org's), joined by
``properties.profile.allOf``. The simulated org has two user types, the default
``User`` and ``Contractor``, whose custom attributes cover every type Okta allows
(string with ``enum``/``oneOf``, integer, number, boolean, arrays of string and
integer, a ``date-time`` string), one name with different types in the two types
(``jobLevel``: integer for employees, string for contractors), and one attribute
nobody has set (``deskNumber``). The group schema has custom attributes too.

Generated users carry values for the custom attributes of their type (sparse, as in
real orgs), drawn from a random stream of their own (seeded by the user's id), so the
rest of the org comes out exactly as before these attributes existed.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from .clock import fmt_seconds

DAY = 86400
DEFAULT_TYPE, CONTRACTOR_TYPE = "user", "contractor"
_TIMESTAMPS = {"created": "2023-02-06T19:40:32.000Z", "lastUpdated": "2025-11-18T09:12:47.000Z"}


def _permissions(action: str = "READ_WRITE") -> list[dict[str, str]]:
    return [{"principal": "SELF", "action": action}]


def _base(title: str, **extra: Any) -> dict[str, Any]:
    """A base attribute as Okta's default user schema lists it."""
    return {
        "title": title,
        "type": "string",
        "mutability": "READ_WRITE",
        "scope": "NONE",
        "permissions": _permissions(),
        "master": {"type": "PROFILE_MASTER"},
        **extra,
    }


# Okta's default user profile (base subschema), with the formats Okta gives.
BASE_USER_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "login": _base("Username", required=True, minLength=5, maxLength=100, pattern=".+"),
    "firstName": _base("First name", required=True, minLength=1, maxLength=50),
    "lastName": _base("Last name", required=True, minLength=1, maxLength=50),
    "middleName": _base("Middle name"),
    "honorificPrefix": _base("Honorific prefix"),
    "honorificSuffix": _base("Honorific suffix"),
    "email": _base("Primary email", required=True, format="email"),
    "title": _base("Title"),
    "displayName": _base("Display name"),
    "nickName": _base("Nickname"),
    "profileUrl": _base("Profile Url", format="uri"),
    "secondEmail": _base("Secondary email", format="email"),
    "mobilePhone": _base("Mobile phone", maxLength=100),
    "primaryPhone": _base("Primary phone", maxLength=100),
    "streetAddress": _base("Street address"),
    "city": _base("City"),
    "state": _base("State"),
    "zipCode": _base("Zip code"),
    "countryCode": _base("Country code", format="country-code"),
    "postalAddress": _base("Postal Address"),
    "preferredLanguage": _base("Preferred language", format="language-code"),
    "locale": _base("Locale", format="locale"),
    "timezone": _base("Time zone", format="timezone"),
    "userType": _base("User type"),
    "employeeNumber": _base("Employee number"),
    "costCenter": _base("Cost center"),
    "organization": _base("Organization"),
    "division": _base("Division"),
    "department": _base("Department"),
    "managerId": _base("ManagerId"),
    "manager": _base("Manager"),
}


def _custom(title: str, attr_type: str, description: str, **extra: Any) -> dict[str, Any]:
    """A custom attribute as the Admin Console's Profile Editor creates it."""
    return {
        "title": title,
        "description": description,
        "type": attr_type,
        "required": False,
        "mutability": "READ_WRITE",
        "scope": "NONE",
        "unique": "NOT_UNIQUE",
        "permissions": _permissions("READ_ONLY"),
        "master": {"type": "PROFILE_MASTER"},
        **extra,
    }


EMPLOYMENT_TYPES = {"FTE": "Full-time employee", "PTE": "Part-time employee", "INTERN": "Intern"}
AGENCIES = ("Acme Staffing", "Globex Talent", "Initech Contractors")
CONTRACTOR_LEVELS = ("Junior", "Mid", "Senior", "Principal")

# Custom attributes of both user types (generated users have long carried these).
_SHARED_CUSTOM: dict[str, dict[str, Any]] = {
    "isContractor": _custom("Is contractor", "boolean", "Works for an agency"),
    "startDate": _custom("Start date", "string", "First working day (YYYY-MM-DD)"),
    "badgeIds": _custom(
        "Badge IDs", "array", "Building access badges", items={"type": "string"}, union="DISABLE"
    ),
    "clearanceLevel": _custom("Clearance level", "integer", "Security clearance, 1 to 5"),
    # Nobody has set it: the catalog must still name it, and typed targets type it.
    "deskNumber": _custom("Desk number", "integer", "Hot-desk assignment"),
}
CUSTOM_USER_ATTRIBUTES: dict[str, dict[str, dict[str, Any]]] = {
    DEFAULT_TYPE: {
        **_SHARED_CUSTOM,
        "employmentType": _custom(
            "Employment type",
            "string",
            "Contract of employment",
            enum=list(EMPLOYMENT_TYPES),
            oneOf=[{"const": k, "title": v} for k, v in EMPLOYMENT_TYPES.items()],
        ),
        "fte": _custom("FTE", "number", "Full-time equivalent, 0 to 1"),
        "projectCodes": _custom(
            "Project codes", "array", "Projects billed to", items={"type": "integer"}
        ),
        "lastSecurityTraining": _custom(
            "Last security training", "string", "Completed", format="date-time"
        ),
        "jobLevel": _custom("Job level", "integer", "Career level, 1 to 10"),
    },
    CONTRACTOR_TYPE: {
        **_SHARED_CUSTOM,
        "contractorAgency": _custom("Agency", "string", "Staffing agency", enum=list(AGENCIES)),
        "hourlyRate": _custom("Hourly rate", "number", "USD per hour"),
        "contractEnd": _custom("Contract end", "string", "Last day", format="date-time"),
        # The same name as the employees' integer: another type in this user type.
        "jobLevel": _custom("Job level", "string", "Agency seniority"),
    },
}

BASE_GROUP_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "name": _base("Name", required=True, description="Name"),
    "description": _base("Description", description="Description"),
}
CLASSIFICATIONS = {"PUBLIC": "Public", "INTERNAL": "Internal", "CONFIDENTIAL": "Confidential"}
CUSTOM_GROUP_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "groupOwner": _custom("Owner", "string", "Who approves membership", format="email"),
    "reviewCadenceDays": _custom("Review cadence", "integer", "Days between access reviews"),
    "dataClassification": _custom(
        "Data classification",
        "string",
        "Most sensitive data the group reaches",
        enum=list(CLASSIFICATIONS),
        oneOf=[{"const": k, "title": v} for k, v in CLASSIFICATIONS.items()],
    ),
    "isPrivileged": _custom("Privileged", "boolean", "Grants admin rights somewhere"),
}


def profile_schema(
    *,
    schema_url: str,
    name: str,
    title: str,
    description: str,
    base: dict[str, dict[str, Any]],
    custom: dict[str, dict[str, Any]],
    links: dict[str, Any],
) -> dict[str, Any]:
    """An Okta profile schema body (``GET /api/v1/meta/schemas/...``)."""
    required = [n for n, a in base.items() if a.get("required")]
    return {
        "id": schema_url,
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": name,
        "title": title,
        "description": description,
        **_TIMESTAMPS,
        "definitions": {
            "custom": {
                "id": "#custom",
                "type": "object",
                "properties": copy.deepcopy(custom),
                "required": [],
            },
            "base": {
                "id": "#base",
                "type": "object",
                "properties": copy.deepcopy(base),
                "required": required,
            },
        },
        "type": "object",
        "properties": {
            "profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}
        },
        "_links": links,
    }


def user_type_obj(
    *, type_id: str, name: str, display_name: str, description: str, default: bool, links: Any
) -> dict[str, Any]:
    """A user type (``GET /api/v1/meta/types/user``)."""
    return {
        "id": type_id,
        "displayName": display_name,
        "name": name,
        "description": description,
        "createdBy": "00u1admin0000000000x",
        "lastUpdatedBy": "00u1admin0000000000x",
        **_TIMESTAMPS,
        "default": default,
        "_links": links,
    }


# --- values of generated users and groups ---------------------------------------------


def _value_rng(object_id: str) -> random.Random:
    # Its own stream: the org's main generator draws exactly what it drew before.
    return random.Random(f"profile:{object_id}")


def custom_user_values(user_id: str, user_type: str, created: int, now_s: int) -> dict[str, Any]:
    """The custom attributes a generated user of ``user_type`` carries (never deskNumber)."""
    rng = _value_rng(user_id)
    values: dict[str, Any] = {}
    if user_type == CONTRACTOR_TYPE:
        if rng.random() < 0.8:
            values["contractorAgency"] = rng.choice(AGENCIES)
        if rng.random() < 0.7:
            values["hourlyRate"] = round(rng.uniform(45, 180), 2)
        if rng.random() < 0.6:
            values["contractEnd"] = fmt_seconds(now_s + rng.randint(30, 365) * DAY)
        if rng.random() < 0.6:
            values["jobLevel"] = rng.choice(CONTRACTOR_LEVELS)
        return values
    if rng.random() < 0.8:
        values["employmentType"] = rng.choice(list(EMPLOYMENT_TYPES))
    if rng.random() < 0.7:
        values["fte"] = rng.choice((1.0, 0.8, 0.6, 0.5))
    if rng.random() < 0.4:
        values["projectCodes"] = sorted(rng.sample(range(1000, 10000), rng.randint(1, 3)))
    if rng.random() < 0.6:
        values["lastSecurityTraining"] = fmt_seconds(rng.randint(created, max(created, now_s)))
    if rng.random() < 0.7:
        values["jobLevel"] = rng.randint(1, 10)
    return values


def custom_group_values(group_id: str, name: str) -> dict[str, Any]:
    """The custom attributes a generated OKTA_GROUP carries."""
    rng = _value_rng(group_id)
    values: dict[str, Any] = {}
    if rng.random() < 0.7:
        owner = "".join(c for c in name.lower() if c.isalnum())
        values["groupOwner"] = f"{owner}.owner@example.com"
    if rng.random() < 0.6:
        values["reviewCadenceDays"] = rng.choice((30, 90, 180))
    if rng.random() < 0.6:
        values["dataClassification"] = rng.choice(list(CLASSIFICATIONS))
    if rng.random() < 0.5:
        values["isPrivileged"] = name.endswith("-Admins") or rng.random() < 0.1
    return values
