"""The org's security configuration: authenticators, policies, zones, IdPs, …

Each is read in full every run (see ``snapshot``); none is selected by default.
"""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_okta import security_schemas as schemas
from tap_okta.client import ObjectLookup, OktaStream, listing
from tap_okta.errors import OktaAPIError
from tap_okta.redact import blank_client_secret
from tap_okta.streams.snapshot import SnapshotStream

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context, Record

logger = logging.getLogger("tap-okta")


class AuthenticatorsStream(SnapshotStream):
    """The org's authenticators (Identity Engine) and their settings."""

    name = "authenticators"
    path = "/api/v1/authenticators"
    primary_keys = ("id",)
    oauth_scope = "okta.authenticators.read"
    takes_limit = False
    schema = schemas.AUTHENTICATOR.to_dict()


class GroupRulesStream(SnapshotStream):
    """Rules that put users into groups by expression."""

    name = "group_rules"
    path = "/api/v1/groups/rules"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.groups.read"
    schema = schemas.GROUP_RULE.to_dict()


class UserTypesStream(SnapshotStream):
    """User types (the default one and the org's own)."""

    name = "user_types"
    path = "/api/v1/meta/types/user"
    primary_keys = ("id",)
    oauth_scope = "okta.userTypes.read"
    takes_limit = False
    schema = schemas.USER_TYPE.to_dict()


class NetworkZonesStream(SnapshotStream):
    """Network zones (IP, dynamic), the system ones included."""

    name = "network_zones"
    path = "/api/v1/zones"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.networkZones.read"
    schema = schemas.NETWORK_ZONE.to_dict()


class IdentityProvidersStream(SnapshotStream):
    """External identity providers (SAML, OIDC, social)."""

    name = "identity_providers"
    path = "/api/v1/idps"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.idps.read"
    schema = schemas.IDENTITY_PROVIDER.to_dict()

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # OIDC and social IdPs carry the client secret Okta uses with them; like
        # apps' OIDC secrets, only kept when include_client_secrets asks for it.
        client = ((row.get("protocol") or {}).get("credentials") or {}).get("client")
        blank_client_secret(client, keep=self.okta.settings.include_client_secrets)
        return row


class AuthorizationServersStream(SnapshotStream):
    """Custom authorization servers (API Access Management)."""

    name = "authorization_servers"
    path = "/api/v1/authorizationServers"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.authorizationServers.read"
    schema = schemas.AUTHORIZATION_SERVER.to_dict()


class TrustedOriginsStream(SnapshotStream):
    """Trusted origins (CORS, redirect, iframe embedding)."""

    name = "trusted_origins"
    path = "/api/v1/trustedOrigins"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.trustedOrigins.read"
    schema = schemas.TRUSTED_ORIGIN.to_dict()


class ApiTokensStream(SnapshotStream):
    """The org's active API tokens: who holds one, since when, until when. Metadata
    only: Okta shows a token's value once, when it is created, and never lists it."""

    name = "api_tokens"
    path = "/api/v1/api-tokens"
    primary_keys = ("id",)
    takes_limit = False  # Okta documents no paging for this list
    oauth_scope = "okta.apiTokens.read"
    # A new scope that existing service apps lack: asked for, and without it the
    # stream is skipped with a warning rather than failing the run.
    optional_scopes = (oauth_scope,)
    schema = schemas.API_TOKEN.to_dict()

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # Should Okta ever include the secret itself, it never reaches the target.
        row.pop("token", None)
        row.pop("tokenValue", None)
        return row


class LogStreamsStream(SnapshotStream):
    """Where Okta streams the System Log (AWS EventBridge, Splunk Cloud), and whether
    the stream is still active."""

    name = "log_streams"
    path = "/api/v1/logStreams"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.logStreams.read"
    optional_scopes = (oauth_scope,)
    # Okta documents log streaming and hooks as super admin features (its OpenAPI
    # names no role); a narrower role may be refused (403 E0000006).
    admin_role = "Super Administrator"
    schema = schemas.LOG_STREAM.to_dict()

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # Okta takes a Splunk HEC token on create and should not list it back; if it
        # ever does, it is a secret like the others.
        settings = row.get("settings")
        keep = self.okta.settings.include_client_secrets
        if isinstance(settings, dict) and settings.get("token") and not keep:
            settings["token"] = None
        return row


class HookStream(SnapshotStream):
    """A list of hooks: each one's channel carries the secret Okta sends its endpoint,
    only kept when include_client_secrets asks for it. Declares no stream itself."""

    primary_keys = ("id",)
    takes_limit = False  # Okta documents no paging for either list
    admin_role = "Super Administrator"

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        channel = row.get("channel")
        config = channel.get("config") if isinstance(channel, dict) else None
        if isinstance(config, dict) and not self.okta.settings.include_client_secrets:
            # What the hook sends its endpoint as proof: the auth header's value, each
            # extra header's value, an OAuth client secret. The header names stay: which
            # header a hook authenticates with is for a reviewer to see.
            scheme = config.get("authScheme")
            if isinstance(scheme, dict) and scheme.get("value"):
                scheme["value"] = None
            for header in config.get("headers") or ():
                if isinstance(header, dict) and header.get("value"):
                    header["value"] = None
            if config.get("clientSecret"):
                config["clientSecret"] = None
        return row


class EventHooksStream(HookStream):
    """Event hooks: the outbound calls Okta makes with System Log events, where to."""

    name = "event_hooks"
    path = "/api/v1/eventHooks"
    oauth_scope = "okta.eventHooks.read"
    optional_scopes = (oauth_scope,)
    schema = schemas.EVENT_HOOK.to_dict()


class InlineHooksStream(HookStream):
    """Inline hooks: the calls Okta makes mid-flow (token, SAML, import, registration)."""

    name = "inline_hooks"
    path = "/api/v1/inlineHooks"
    oauth_scope = "okta.inlineHooks.read"
    optional_scopes = (oauth_scope,)
    schema = schemas.INLINE_HOOK.to_dict()

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # Okta's `version` (the hook's contract version) lands as `hookVersion`:
        # MeltanoLabs target-postgres's ACTIVATE_VERSION soft delete binds a parameter
        # named "version", which SQLAlchemy refuses on a table with a column of that name.
        if "version" in row:
            row["hookVersion"] = row.pop("version")
        return super().post_process(row, context)


class DomainsStream(SnapshotStream):
    """The org's custom domains: validation status, DNS records and certificate."""

    name = "domains"
    path = "/api/v1/domains"
    primary_keys = ("id",)
    takes_limit = False  # Okta documents no paging for this list
    records_key = "domains"  # Okta answers {"domains": [...]}
    oauth_scope = "okta.domains.read"
    optional_scopes = (oauth_scope,)
    schema = schemas.DOMAIN.to_dict()


class BehaviorsStream(SnapshotStream):
    """Behavior detection rules: the risk signals (new device, new location, velocity)
    sign-on policies can require."""

    name = "behaviors"
    path = "/api/v1/behaviors"
    primary_keys = ("id",)
    takes_limit = False  # Okta documents no page size for this list
    oauth_scope = "okta.behaviors.read"
    optional_scopes = (oauth_scope,)
    schema = schemas.BEHAVIOR.to_dict()


class AgentPoolsStream(SnapshotStream):
    """AD and LDAP agent pools and their agents' health: a dead agent silently stops
    imports and deprovisioning."""

    name = "agent_pools"
    path = "/api/v1/agentPools"
    primary_keys = ("id",)
    takes_limit = False  # Okta pages it by `after` with limitPerPoolType, not `limit`
    oauth_scope = "okta.agentPools.read"
    optional_scopes = (oauth_scope,)
    schema = schemas.AGENT_POOL.to_dict()


class ProfileMappingsStream(SnapshotStream):
    """Profile mappings: which profile (user type or app) feeds which. The list names
    source and target only; the attribute expressions are one request per mapping."""

    name = "profile_mappings"
    path = "/api/v1/mappings"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.profileMappings.read"
    optional_scopes = (oauth_scope,)
    schema = schemas.PROFILE_MAPPING.to_dict()


THREAT_INSIGHT_SCOPE = "okta.threatInsights.read"


class ThreatInsightLookup(ObjectLookup, internal=True):
    """``/api/v1/threats/configuration``: the org's ThreatInsight configuration."""

    name = "org_settings"
    path = "/api/v1/threats/configuration"
    oauth_scope = THREAT_INSIGHT_SCOPE


class OrgSettingsStream(SnapshotStream):
    """The org itself (one record): its identity, status and support contacts, with its
    ThreatInsight configuration (none, audit, block) in ``threat_insight``."""

    name = "org_settings"
    path = "/api/v1/org"
    primary_keys = ("id",)
    single_object = True
    takes_limit = False
    oauth_scope = "okta.orgs.read"
    # Both scopes are new to existing service apps: without the first the stream is
    # skipped with a warning; without the second the org lands without ThreatInsight.
    optional_scopes = (oauth_scope, THREAT_INSIGHT_SCOPE)
    schema = schemas.ORG_SETTINGS.to_dict()

    def records_of(self, parent: str) -> Iterator[dict[str, t.Any]]:
        for org in self.request_records(None):
            org["threat_insight"] = self._threat_insight()
            yield org

    def _threat_insight(self) -> dict[str, t.Any] | None:
        why = None
        if not self.okta.authenticator.grants(THREAT_INSIGHT_SCOPE):
            why = f"the service app's token does not carry the scope {THREAT_INSIGHT_SCOPE}"
        else:
            try:
                for row in listing(self, ThreatInsightLookup).request_records(None):
                    return row
            except OktaAPIError as exc:
                # An org without ThreatInsight (E0000015) or an admin without the role
                # (E0000006): the org's settings still land.
                if exc.code not in ("E0000015", "E0000006"):
                    raise
                why = f"Okta refused /api/v1/threats/configuration ({exc.code})"
        logger.warning(
            "Stream 'org_settings': threat_insight is null: %s. Grant the scope (and the "
            "%s role) to read it, or ignore this if the org has no ThreatInsight.",
            why,
            self.admin_role,
        )
        return None


# Okta lists policies one type at a time: every value of the `type` parameter of
# "List all policies" (PolicyType in Okta's management OpenAPI spec). Authorization
# server policies (OAUTH_AUTHORIZATION_POLICY) are listed under each server instead.
POLICY_TYPES: tuple[str, ...] = (
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


class PolicyListing(OktaStream, internal=True):
    """``/api/v1/policies?type=…`` for every type the org has."""

    name = "policies"
    path = "/api/v1/policies"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.policies.read"
    schema = schemas.POLICY.to_dict()

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        assert context is not None
        return {"type": context["type"]}

    def every_policy(self) -> Iterator[dict[str, t.Any]]:
        for policy_type in POLICY_TYPES:
            try:
                yield from self.request_records({"type": policy_type})
            except OktaAPIError as exc:
                # A type whose feature the org lacks (Identity Engine only, or
                # not licensed) is refused; the other types still count.
                if exc.status != 400 and exc.code != "E0000015":
                    raise
                logger.info(
                    "Stream '%s': Okta lists no %s policies on this org (%s); skipping the type.",
                    self.name,
                    policy_type,
                    exc.code or exc.status,
                )


class PoliciesStream(SnapshotStream):
    """Every policy of every type Okta lists (sign-on, password, MFA enrolment, …)."""

    name = "policies"
    path = "/api/v1/policies"
    primary_keys = ("id",)
    oauth_scope = "okta.policies.read"
    schema = PolicyListing.schema

    def records_of(self, parent: str) -> Iterator[dict[str, t.Any]]:
        return t.cast("PolicyListing", listing(self, PolicyListing)).every_policy()


class PolicyRulesStream(SnapshotStream):
    """The rules of every policy."""

    name = "policy_rules"
    path = "/api/v1/policies/{policyId}/rules"
    primary_keys = ("policyId", "id")
    page_size = 200
    oauth_scope = "okta.policies.read"
    takes_limit = False  # a limit only caps the list
    schema = schemas.POLICY_RULE.to_dict()
    parent_field = "policyId"

    def parents(self) -> Iterator[str]:
        policies = t.cast("PolicyListing", listing(self, PolicyListing))
        for policy in policies.every_policy():
            yield str(policy["id"])


__all__ = [
    "AgentPoolsStream",
    "ApiTokensStream",
    "AuthenticatorsStream",
    "AuthorizationServersStream",
    "BehaviorsStream",
    "DomainsStream",
    "EventHooksStream",
    "GroupRulesStream",
    "IdentityProvidersStream",
    "InlineHooksStream",
    "LogStreamsStream",
    "NetworkZonesStream",
    "OrgSettingsStream",
    "PoliciesStream",
    "PolicyRulesStream",
    "ProfileMappingsStream",
    "TrustedOriginsStream",
    "UserTypesStream",
]
