"""TapOkta: settings, the choice of authentication, the stream list, the CLI."""

from __future__ import annotations

import inspect
import io
import json
import logging
import sys
import time
import typing as t
from contextlib import redirect_stdout
from functools import cached_property
from pathlib import Path

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from typing_extensions import override

from tap_okta import discovery, profile_schemas, sdk_compat, streams
from tap_okta.budget import RunBudget
from tap_okta.changes import ChangeFeed, ChangeLogReader, SecurityChangeLogReader
from tap_okta.client import OktaConnection, OktaStream, log_run_summary
from tap_okta.errors import ConfigError, OktaTapError
from tap_okta.output import OktaMessageWriter
from tap_okta.polling import LOGS_SCOPE
from tap_okta.ratelimit import local_time
from tap_okta.redact import install_log_redaction, redact
from tap_okta.run import RunContext
from tap_okta.settings import (
    DEFAULT_FULL_SYNC_INTERVAL_DAYS,
    DEFAULT_MAX_RUN_SECONDS,
    DEFAULT_RATE_LIMIT_MAX_WAIT,
    DEFAULT_RATE_LIMIT_SHARE,
    DEFAULT_REQUEST_TIMEOUT,
    OktaSettings,
    OrgURL,
    load_settings,
    parse_org_url,
    register_config_secrets,
)
from tap_okta.state_check import ORG, OrgBinding, check_shape, forget_future_times

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

#: Every stream, in the order the tap runs them: derived from the stream classes
#: (``tap_okta.streams.STREAMS``), the default ones first.
STREAM_TYPES: tuple[type[OktaStream], ...] = streams.STREAMS


#: The change feeds a stream may follow (``DirectoryStream.feed_attribute``).
FEED_READERS: dict[str, type[ChangeLogReader]] = {
    "change_feed": ChangeLogReader,
    "security_feed": SecurityChangeLogReader,
}


#: The streams' User-Agent (``OktaStream.user_agent``) unless the config sets one.
USER_AGENT = "tap-okta (Meltano Singer SDK)"
#: Okta's org metadata is a few hundred bytes; more is not Okta's answer.
_ORG_METADATA_MAX = 64 * 1024

#: Every stream's name (a state's other keys are left alone, as the SDK leaves them).
STREAM_NAMES = frozenset(str(kind.__dict__["name"]) for kind in STREAM_TYPES)


def _OPTIONAL_ORDER(scope: str) -> int:
    return 0 if scope == LOGS_SCOPE else 1


class TapOkta(Tap):
    """Singer tap for Okta: users, groups, apps, memberships and the System Log."""

    name = "tap-okta"
    package_name = "tap-okta"
    # msgspec instead of simplejson: the same messages, a fraction of the CPU.
    message_writer_class = OktaMessageWriter

    # BATCH is left out on purpose: bookmarks advance as records are written to
    # stdout, which batch files would not honour. ACTIVATE_VERSION is the plugin
    # one: singer-sdk 0.54 has it in both enums (same value), 0.55 only there.
    capabilities: t.ClassVar[list[t.Any]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "org_url",
            th.StringType,
            required=True,
            title="Org URL",
            description=(
                "Your Okta org, e.g. https://acme.okta.com (an Admin Console URL such as "
                "https://acme-admin.okta.com is corrected). https only, except loopback."
            ),
        ),
        th.Property(
            "api_key",
            th.StringType,
            secret=True,
            title="API token",
            description="API key method: an Okta API token (Security > API > Tokens).",
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description="Service app method: the OAuth 2.0 service app's client ID.",
        ),
        th.Property(
            "key_id",
            th.StringType,
            title="Key ID",
            description="Service app method: the Key ID (kid) of the app's public key.",
        ),
        th.Property(
            "private_key",
            th.CustomType({"type": ["string", "object"]}),
            secret=True,
            title="Private key",
            description=(
                "Service app method: the private key, as PEM (PKCS#8 or PKCS#1; literal "
                "\\n escapes are fine) or as the JWK JSON Okta generates. RSA or EC."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description=(
                "Earliest change (users, groups) or event (logs) to read on the first "
                "run. Without it: everything, and the System Log from the oldest event "
                "Okta retains (90 days)."
            ),
        ),
        th.Property(
            "scopes",
            th.CustomType({"type": ["array", "string"], "items": {"type": "string"}}),
            title="OAuth scopes",
            description=(
                "Service app method: scopes to request instead of the ones the selected "
                "streams need (e.g. okta.users.read, okta.groups.read, okta.apps.read, "
                "okta.logs.read; the security streams' are in the README). Every scope "
                "must be granted to the app."
            ),
        ),
        th.Property(
            "rate_limit_share",
            th.NumberType,
            default=DEFAULT_RATE_LIMIT_SHARE,
            title="Rate limit share",
            description=(
                "Fraction (0.05-1) of each Okta rate-limit bucket this tap may use before "
                "it waits for the bucket to reset, leaving the rest to the org's other "
                "integrations."
            ),
        ),
        th.Property(
            "rate_limit_max_wait",
            th.NumberType,
            default=DEFAULT_RATE_LIMIT_MAX_WAIT,
            title="Rate limit max wait",
            description=(
                "Seconds a run may spend waiting on 429 answers, and on buckets other "
                "integrations emptied, in total before it fails (the tap's own pacing to "
                "its share does not count)."
            ),
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=DEFAULT_REQUEST_TIMEOUT,
            title="Request timeout",
            description=(
                "Seconds one Okta response may take, its whole body included, before retrying."
            ),
        ),
        th.Property(
            "full_sync_interval_days",
            th.NumberType,
            default=DEFAULT_FULL_SYNC_INTERVAL_DAYS,
            title="Full sync interval (days)",
            description=(
                "Every this many days, read users, groups, group_members, app_users, "
                "app_groups (and the security streams user_factors, group_roles, devices) "
                "completely "
                "(and send ACTIVATE_VERSION after the read when "
                "emit_activate_version_messages is on), so targets drop what disappeared "
                "without a System Log event, such as the members of a deleted group. "
                "0: only the first run reads everything."
            ),
        ),
        th.Property(
            "max_run_seconds",
            th.NumberType,
            default=DEFAULT_MAX_RUN_SECONDS,
            title="Max run seconds",
            description=(
                "Seconds after which a run stops at a page boundary, writes its state and "
                "exits 0, saying what remains; the next run goes on from there (a System "
                "Log backfill, a complete read app by app and group by group). 0: no cap."
            ),
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=False,
            title="Emit ACTIVATE_VERSION messages",
            description=(
                "After a complete read of a stream, send ACTIVATE_VERSION so targets that "
                "honour it (e.g. MeltanoLabs target-postgres) delete or mark deleted every "
                "row the read did not send. Incremental runs never send it."
            ),
        ),
        th.Property(
            "include_client_secrets",
            th.BooleanType,
            default=False,
            title="Include client secrets",
            description=(
                "Keep credentials in apps records (OIDC client secrets, shared "
                "passwords, settings.app passwords, secrets and tokens), app users' "
                "passwords in app_users, identity providers' client secrets in "
                "identity_providers records, and the auth header and header values of "
                "event_hooks and inline_hooks records. Off by default: they are blanked."
            ),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, validate_config: bool = True, **kwargs: t.Any) -> None:
        install_log_redaction()
        state = kwargs.get("state")
        if state is not None and not isinstance(state, (dict, str, Path)):
            check_shape(state, (), None)  # raises: a state is a JSON object
        try:
            super().__init__(*args, validate_config=validate_config, **kwargs)
        except ConfigValidationError as exc:
            # The SDK's messages quote the offending values, and its CLI would log
            # each on a line of its own: one redacted line instead. The config
            # (env settings merged) is set before it is validated, so its secrets
            # can be registered now.
            register_config_secrets(self.config)
            errors = [redact(str(e)) for e in exc.errors]
            if any("'org_url' is a required property" in e for e in errors):
                parse_org_url(None)  # raises the friendly message
            raise ConfigError(f"Invalid config: {'; '.join(errors)}.") from None
        if validate_config:
            _ = self.okta_settings  # fail fast, before any output
        seconds = self.okta_settings.max_run_seconds if validate_config else 0
        #: What this run's streams share (time cap, change feeds, what one read listed).
        self.run_context = RunContext(RunBudget(seconds), self._open_feed)
        BUDGETS.append(self.run_context.budget)

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """Check the state before any stream reads it (``tap_okta.state_check``), keep
        its org binding, and forget the streams whose saved times lie in the future."""
        org = self._config_org()
        check_shape(state, STREAM_NAMES, org)
        super().load_state(state)
        forget_future_times(self.whole_state, local_time())
        binding = OrgBinding.from_state(state.get(ORG))
        if binding is not None:
            self.whole_state[ORG] = binding.to_state()

    @property
    def whole_state(self) -> dict[str, t.Any]:
        """The tap's state with its top-level keys (the SDK's type names only bookmarks)."""
        return t.cast("dict[str, t.Any]", self.state)

    def _config_org(self) -> OrgURL | None:
        try:
            return parse_org_url(self.config.get("org_url"))
        except OktaTapError:
            return None  # the config's own check says why

    def bind_state(self) -> None:
        """Bind the state to this run's org; never apply another org's bookmarks.

        Called once, before any stream reads its state. Okta's org id (from
        ``/.well-known/okta-organization``, which needs no credentials) names the
        org whatever its URL (a custom domain is the same org); without it, the
        URL does. A state of another org is set aside: every stream starts over,
        with one WARNING naming both orgs (README: "When something is wrong").
        """
        if self._bound:
            return
        self._bound = True
        current = OrgBinding(self._read_org_id(), self.okta_settings.org.origin)
        state = self.whole_state
        saved = OrgBinding.from_state(state.get(ORG))
        if saved is not None and not saved.same_org(current):
            streams = sorted(
                name for name, value in self.state.get("bookmarks", {}).items() if value
            )
            if streams:
                logging.getLogger("tap-okta").warning(
                    "State: the state was saved for another Okta org, %s, not for this "
                    "run's org, %s (org_url changed under the same state ID?). Its "
                    "bookmarks are not used: %s start over from start_date, as on a "
                    "first run, and the state is bound to this org from now on.",
                    saved.describe(),
                    current.describe(),
                    ", ".join(streams),
                )
            state.get("bookmarks", {}).clear()
        elif saved is not None and not current.id and saved.id:
            current = saved  # the same URL: keep the id read last time
        state[ORG] = current.to_state()

    _bound = False

    @override
    def _reset_state_progress_markers(self) -> None:
        # The first step of the SDK's sync_all, before any stream reads its state
        # (see tap_okta.sdk_compat: "Before any stream syncs").
        self.bind_state()
        super()._reset_state_progress_markers()

    def _read_org_id(self) -> str | None:
        """Okta's org id, or None when the org does not say (the URL binds then)."""
        url = self.okta_settings.org.origin + "/.well-known/okta-organization"
        timeout = self.okta_settings.request_timeout
        body = None
        try:
            with self.connection.session.get(
                url,
                timeout=timeout,
                allow_redirects=False,
                headers={
                    "Accept": "application/json",
                    "User-Agent": str(self.config.get("user_agent") or USER_AGENT),
                },
                stream=True,
            ) as response:
                if response.status_code == 200:
                    # A small document: read a bounded amount for a bounded time, so
                    # a hostile or trickling answer cannot hold the run.
                    deadline = time.monotonic() + 2 * timeout
                    raw = b""
                    for chunk in response.iter_content(4096):
                        raw += chunk
                        if len(raw) > _ORG_METADATA_MAX or time.monotonic() > deadline:
                            raw = b""
                            break
                    body = json.loads(raw) if raw else None
        except (OSError, ValueError, RecursionError, requests.RequestException):
            body = None
        org_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(org_id, str) or not org_id:
            logging.getLogger("tap-okta").info(
                "State: Okta's org id could not be read from %s; the state is bound to org_url.",
                url,
            )
            return None
        return org_id

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        # The SDK orders streams by name; the tap runs them in STREAM_TYPES order:
        # the default streams first, so one that fails or is skipped never keeps
        # users and groups from landing.
        found = super().streams
        order: dict[type, int] = {kind: i for i, kind in enumerate(STREAM_TYPES)}
        ranked = sorted(found.items(), key=lambda item: order.get(type(item[1]), len(order)))
        return dict(ranked)

    @classmethod
    @override
    def print_about(cls, output_format: str | None = None) -> None:
        # The SDK's about, and the streams from their declarations, so that it cannot
        # drift from them (JSON: a "streams" key).
        printed = io.StringIO()
        with redirect_stdout(printed):
            super().print_about(output_format)
        if output_format == "json":
            info = json.loads(printed.getvalue())
            info["streams"] = describe_streams(STREAM_TYPES)
            print(json.dumps(info, indent=2))
            return
        print(printed.getvalue().rstrip("\n") + "\n\n" + about_streams(output_format))

    @cached_property
    def okta_settings(self) -> OktaSettings:
        return load_settings(self.config)

    @cached_property
    def connection(self) -> OktaConnection:
        """Opened on the first request, once the catalog says which streams run."""
        return OktaConnection.open(
            self.okta_settings,
            self.required_scopes(),
            optional_scopes=self.optional_scopes(),
            needed_by=self.scope_users(),
        )

    def _open_feed(self, name: str) -> ChangeFeed:
        """``change_feed``: the System Log as the directory streams' source of removals
        and deletions; ``security_feed``: what changed for factors, roles and devices."""
        return ChangeFeed(FEED_READERS[name](tap=self))

    def _running(self) -> list[OktaStream]:
        return [
            t.cast("OktaStream", stream)
            for stream in self.streams.values()
            if stream.selected or stream.has_selected_descendents
        ]

    def required_scopes(self) -> tuple[str, ...]:
        """Only the scopes the selected streams need: Okta refuses the whole token
        request if any requested scope was not granted to the app."""
        if self.okta_settings.scopes:
            return self.okta_settings.scopes
        running = self._running()
        needed = {s for stream in running for s in stream.needed_scopes()}
        if not needed and any(stream.optional_scopes for stream in running):
            # Only streams whose own scope is optional run: all are asked for as
            # optional, and a refusal of every one is one line naming them.
            return ()
        return tuple(sorted(needed)) or ("okta.users.read",)

    def scope_users(self) -> dict[str, list[str]]:
        """Each required scope and the selected streams that need it."""
        users: dict[str, list[str]] = {}
        for stream in self._running():
            for scope in (stream.oauth_scope, *stream.extra_scopes):
                users.setdefault(scope, []).append(stream.name)
        return users

    def optional_scopes(self) -> tuple[str, ...]:
        """Scopes that make the selected streams cheaper or more exact but that an
        existing service app may not have been granted: asked for, and dropped (the
        stream then does without) if Okta refuses them. In order of use: the
        change feed's first."""
        if self.okta_settings.scopes:
            return ()
        required = set(self.required_scopes())
        wanted = [s for stream in self._running() for s in stream.optional_scopes]
        return tuple(
            dict.fromkeys(s for s in sorted(wanted, key=_OPTIONAL_ORDER) if s not in required)
        )

    @override
    def discover_streams(self) -> list[Stream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @override
    def run_discovery(self) -> str:
        self.discover_profile_attributes()
        return super().run_discovery()

    def discover_profile_attributes(self) -> dict[str, dict[str, t.Any]]:
        """Name and type every profile attribute of users and groups, from Okta's schemas.

        At discovery only (see ``tap_okta.discovery``). A sync uses the catalog it
        is given, Meltano's, so it needs neither these requests nor their scopes;
        without a catalog it keeps the built-in, open profiles.
        """
        found = discovery.read_profile_attributes(self, lambda: self.okta_settings)
        for name, attributes in found.items():
            stream = self.streams.get(name)
            if stream is not None and attributes:
                typed = profile_schemas.with_profile(stream.schema, attributes)
                sdk_compat.replace_schema(stream, typed)
        return found


def describe_streams(stream_types: t.Iterable[type[OktaStream]]) -> list[dict[str, t.Any]]:
    """Each stream as it is declared: what ``--about`` lists."""
    described = []
    for stream in stream_types:
        # The SDK declares these as instance properties; the streams as class values.
        name, path, keys = (
            inspect.getattr_static(stream, a) for a in ("name", "path", "primary_keys")
        )
        described.append(
            {
                "name": name,
                "path": path,
                "primary_keys": list(keys or ()),
                "scopes": [stream.oauth_scope, *stream.extra_scopes],
                "page_size": stream.limit_sent(),
                "admin_role": stream.admin_role,
                "selected_by_default": stream.selected_by_default,
            }
        )
    return described


def about_streams(output_format: str | None) -> str:
    """The streams section ``--about`` adds to the SDK's, in the same format."""
    rows = [
        (
            s["name"],
            s["path"],
            ", ".join(s["primary_keys"]),
            ", ".join(s["scopes"]),
            str(s["page_size"] or "-"),
            s["admin_role"],
            "yes" if s["selected_by_default"] else "no",
        )
        for s in describe_streams(STREAM_TYPES)
    ]
    header = ("stream", "path", "key", "scopes", "page size", "admin role", "selected by default")
    if output_format == "markdown":
        lines = ["## Streams", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])
    return "Streams:\n" + "\n".join(f"  - {'; '.join(row)}" for row in rows)


#: The runs of this process (one for a sync), for the line that says what remains.
BUDGETS: list[RunBudget] = []


def _log_end_of_run() -> None:
    log_run_summary()
    for budget in BUDGETS:
        line = budget.summary()
        if line:
            logging.getLogger("tap-okta").info("%s", line)


#: The CLI options whose value is a JSON file, and what the file must hold.
JSON_FILE_OPTIONS = {"--config": "config", "--state": "state", "--catalog": "catalog"}


def check_json_files(argv: t.Sequence[str]) -> None:
    """Each ``--config``/``--state``/``--catalog`` file is a JSON object, or one line.

    The SDK's CLI reads them with no message of its own: a file that is not JSON
    (an empty file, a YAML one, a truncated write) would end in a traceback.
    """
    pairs = []
    for i, arg in enumerate(argv):
        name, equals, value = arg.partition("=")
        if name in JSON_FILE_OPTIONS:
            if equals:
                pairs.append((name, value))
            elif i + 1 < len(argv):
                pairs.append((name, argv[i + 1]))
    for option, path in pairs:
        if option == "--config" and path == "ENV":
            continue
        what = JSON_FILE_OPTIONS[option]
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ConfigError(
                f"The {what} file {path} ({option}) cannot be read: {reason}."
            ) from None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                f"The {what} file {path} ({option}) is not JSON ({exc}). Give a JSON object"
                + (
                    ", or clear the state with `meltano state clear <state ID>`."
                    if what == "state"
                    else "."
                )
            ) from None
        if not isinstance(value, dict):
            raise ConfigError(
                f"The {what} file {path} ({option}) holds {type(value).__name__} JSON, not "
                "a JSON object."
            )


def main() -> None:
    """Console entry point: expected failures end with one line, exit code 1."""
    install_log_redaction()
    try:
        check_json_files(sys.argv[1:])
    except OktaTapError as exc:
        sdk_compat.setup_cli_logging(TapOkta.name)  # the CLI's log, which never ran
        logging.getLogger("tap-okta").error("%s", exc.message)
        sys.exit(1)
    try:
        TapOkta.cli()
    except OktaTapError as exc:
        log_run_summary()  # before the error, which must stay the last line
        logging.getLogger("tap-okta").error("%s", exc.message)
        sys.exit(1)
    except SystemExit as exc:  # how click ends a run
        if exc.code in (0, None):
            _log_end_of_run()
        else:
            log_run_summary()
        raise
    _log_end_of_run()


if __name__ == "__main__":
    main()
