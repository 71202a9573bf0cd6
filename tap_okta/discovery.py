"""Discovery reads Okta's profile schemas, so the catalog names every attribute.

A handful of requests, at discovery only (Meltano runs ``--discover`` before
runs whose catalog it has not cached, so it must stay cheap):

1. ``/api/v1/meta/schemas/user/default``: the default user type's schema;
2. ``/api/v1/meta/types/user``: the org's user types (at most ten);
3. each other type's schema (its ``schema`` link);
4. ``/api/v1/meta/schemas/group/default``: the group profile.

They go through the tap's own ``OktaStream`` machinery (pacing, retries, the
same authenticators and origin checks) on a connection of their own: a
service app asks for ``okta.schemas.read`` and, optionally,
``okta.userTypes.read``, never for the sync's scopes, and the sync never
asks for these. Without them (or without an admin role that can read
schemas) discovery warns once, naming the scope, and the catalog keeps the
open ``profile`` objects; anything else (an unreachable org, a rejected
credential) fails discovery with the tap's usual one-line error, rather than
leaving a degraded catalog that Meltano might cache.
"""

from __future__ import annotations

import logging
import time
import typing as t
from functools import cached_property
from urllib.parse import urlsplit

from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_okta import profile_schemas
from tap_okta.client import OktaConnection, OktaStream, resolve_org_link
from tap_okta.errors import ConfigError, OktaAPIError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_okta.settings import OktaSettings

logger = logging.getLogger("tap-okta")

SCHEMAS_SCOPE = "okta.schemas.read"
USER_TYPES_SCOPE = "okta.userTypes.read"
DEFAULT_USER_SCHEMA = "/api/v1/meta/schemas/user/default"
USER_TYPES = "/api/v1/meta/types/user"
GROUP_SCHEMA = "/api/v1/meta/schemas/group/default"
#: Which stream's ``profile`` each kind of Okta profile schema describes.
USERS, GROUPS = "users", "groups"

Attributes: t.TypeAlias = dict[str, profile_schemas.JSONSchema]


class MetaReader(OktaStream, internal=True):
    """Internal: one ``/api/v1/meta`` resource, read at discovery (never in the catalog)."""

    name = "profile_schemas"
    primary_keys = ()
    oauth_scope = SCHEMAS_SCOPE
    takes_limit = False  # these resources are not paged
    schema: t.ClassVar[dict[str, t.Any]] = {"type": "object", "properties": {}}

    def __init__(self, *args: t.Any, connection: OktaConnection, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._connection = connection

    @cached_property
    def okta(self) -> OktaConnection:
        # Discovery's connection and scopes, not the sync's.
        return self._connection

    @override
    def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # Not OktaStream's: discovery has no state to save, and stdout is the catalog's.
        yield from RESTStream.request_records(self, context)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        body = self.body_of(response)
        if isinstance(body, dict):
            yield body
        elif isinstance(body, list):
            yield from (item for item in body if isinstance(item, dict))
        else:
            raise OktaAPIError(
                f"Okta answered {urlsplit(response.url).path} with a JSON "
                f"{type(body).__name__} where an object was expected: check org_url."
            )


def _denied(exc: OktaAPIError) -> bool:
    """A missing scope or admin permission (or feature): fall back, do not fail."""
    return exc.status == 403 or exc.code in {"invalid_scope", "E0000015"}


def _reason(exc: OktaAPIError) -> str:
    if exc.code:
        return exc.code
    return "403 insufficient_scope" if exc.status == 403 else f"HTTP {exc.status}"


class ProfileDiscovery:
    """The reads of one discovery, their fallbacks and their figures."""

    def __init__(self, tap: Tap, settings: OktaSettings) -> None:
        self._tap = tap
        self._settings = settings
        scopes: tuple[str, ...]
        optional: tuple[str, ...]
        if settings.scopes:  # the user chose what to request: respect it
            scopes, optional = settings.scopes, ()
        else:
            scopes, optional = (SCHEMAS_SCOPE,), (USER_TYPES_SCOPE,)
        self.connection = OktaConnection.open(settings, scopes, optional_scopes=optional)

    @property
    def requests(self) -> int:
        """API requests made so far (token requests not included)."""
        return sum(self.connection.requests_by_bucket.values())

    def _read(self, path: str) -> list[dict[str, t.Any]]:
        reader = MetaReader(
            tap=self._tap, name=MetaReader.name, path=path, connection=self.connection
        )
        return list(reader.request_records(None))

    def _read_one(self, path: str) -> dict[str, t.Any]:
        bodies = self._read(path)
        return bodies[0] if bodies else {}

    def _schema_path(self, user_type: t.Mapping[str, t.Any]) -> str | None:
        """The path of a user type's schema, from its ``schema`` link (on the org only)."""
        href = ((user_type.get("_links") or {}).get("schema") or {}).get("href")
        if not href:
            return None
        return urlsplit(resolve_org_link(str(href), self._settings.org, MetaReader.name)).path

    def read(self) -> dict[str, Attributes]:
        """Attributes per stream name; a stream left out keeps its built-in profile."""
        default = self._read_or_warn(
            DEFAULT_USER_SCHEMA,
            "Discovery: Okta's profile schemas are not readable with these credentials "
            "(%s), so the catalog does not name custom profile attributes: users and "
            "groups keep an open 'profile' object (every attribute is still synced, "
            f"untyped). To type them, grant the scope {SCHEMAS_SCOPE} (and "
            f"{USER_TYPES_SCOPE}) to the service app, or give the API token's admin a role "
            "that can read profile schemas (e.g. Read-Only Administrator), then refresh the "
            "catalog (meltano run --refresh-catalog ...).",
        )
        if default is None:
            return {}
        default_label, others = self._other_user_types()
        user_schemas = [(default_label, default), *others]
        attributes, conflicts = profile_schemas.merge_profiles(
            (label, profile_schemas.profile_attributes(body)) for label, body in user_schemas
        )
        for conflict in conflicts:
            logger.warning("Discovery: %s", conflict.describe())
        found = {USERS: attributes}
        group = self._read_or_warn(
            GROUP_SCHEMA,
            "Discovery: Okta's group profile schema is not readable (%s): groups keep "
            "an open 'profile' object.",
        )
        if group is not None:
            found[GROUPS] = profile_schemas.profile_attributes(group)
        return found

    def _read_or_warn(self, path: str, warning: str) -> dict[str, t.Any] | None:
        """One schema; None, with ``warning`` (``%s``: Okta's reason), when the
        credentials may not read it."""
        try:
            return self._read_one(path)
        except OktaAPIError as exc:
            if not _denied(exc):
                raise
            logger.warning(warning, _reason(exc))
            return None

    def _other_user_types(self) -> tuple[str, list[tuple[str, dict[str, t.Any]]]]:
        """The default type's name, and the other types' (name, schema)."""
        default_label = "default"
        try:
            user_types = self._read(USER_TYPES)
        except OktaAPIError as exc:
            if not _denied(exc):
                raise
            logger.warning(
                "Discovery: Okta's user types are not readable (%s): only the default user "
                "type's profile attributes are named in the catalog. Grant the scope %s to "
                "the service app to name the other types' too.",
                _reason(exc),
                USER_TYPES_SCOPE,
            )
            return default_label, []
        schemas = []
        for user_type in user_types:
            label = str(
                user_type.get("displayName") or user_type.get("name") or user_type.get("id")
            )
            if user_type.get("default"):
                default_label = label  # its schema is the default one, read already
                continue
            path = self._schema_path(user_type)
            if path is None:
                logger.warning("Discovery: user type '%s' has no schema link; skipped.", label)
                continue
            try:
                body = self._read_one(path)
            except OktaAPIError as exc:
                if exc.status == 404:  # deleted since it was listed
                    continue
                if not _denied(exc):
                    raise
                logger.warning(
                    "Discovery: the schema of user type '%s' is not readable (%s); its own "
                    "attributes are not named in the catalog.",
                    label,
                    _reason(exc),
                )
                continue
            schemas.append((label, body))
        return default_label, schemas


def read_profile_attributes(
    tap: Tap, settings_of: t.Callable[[], OktaSettings]
) -> dict[str, Attributes]:
    """What discovery learns from Okta about ``users.profile`` and ``groups.profile``.

    ``settings_of`` loads the settings; without a usable config (discovery runs
    without one, e.g. ``meltano select --list`` before setup) the catalog keeps
    the built-in schemas.
    """
    if not tap.config.get("org_url"):
        logger.info(
            "Discovery: no org_url, so profile attributes are not read from Okta; users and "
            "groups keep an open 'profile' object."
        )
        return {}
    try:
        settings = settings_of()
    except ConfigError as exc:
        logger.warning(
            "Discovery: profile attributes are not read from Okta (%s); users and groups "
            "keep an open 'profile' object.",
            exc.message,
        )
        return {}
    started = time.monotonic()
    discovery = ProfileDiscovery(tap, settings)
    found = discovery.read()
    logger.info(
        "Discovery: Okta's schemas name %d user and %d group profile attributes "
        "(%d requests, %.2f s).",
        len(found.get(USERS, {})),
        len(found.get(GROUPS, {})),
        discovery.requests,
        time.monotonic() - started,
    )
    return found
