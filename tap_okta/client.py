"""``OktaStream``: the org URL, paging, rate limits, retries and errors.

One request's path through this module:
``get_http_request`` (first page from the stream's params, later pages from
Okta's ``next`` link) -> ``request_decorator`` (pace the bucket, retry
faults, wait out 429s, renew a rejected OAuth token once) -> the SDK signs
and sends it -> ``validate_response`` (bookkeeping, then Okta error -> clear
exception) -> ``parse_response`` -> ``OktaLinkPaginator`` follows ``next``
on the org's own origin only.
"""

from __future__ import annotations

import decimal
import functools
import json
import logging
import typing as t
import weakref
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import msgspec
import requests
from singer_sdk.exceptions import RetriableAPIError, SyncLifecycleSignal
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.streams import RESTStream
from typing_extensions import override

from tap_okta import sdk_compat
from tap_okta.auth import OktaApiKeyAuthenticator, OktaServiceAppAuthenticator
from tap_okta.budget import RunCapReached
from tap_okta.errors import (
    OktaAPIError,
    OktaTapError,
    OktaUnavailableError,
    TokenExpiredError,
    UnreadableBody,
    UnsafeURLError,
    api_error_for,
    json_body,
    okta_error_body,
    summarize_okta_error,
    www_authenticate_params,
)
from tap_okta.ratelimit import RateLimiter, ServerClock
from tap_okta.retry import TRANSIENT_ERRORS, Backoff, describe_transient, fail_fast, never_reached
from tap_okta.sessions import open_session
from tap_okta.settings import API_KEY, origin_of
from tap_okta.transport import guard

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from urllib.parse import SplitResult

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import RecordMessage
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_okta.budget import RunBudget
    from tap_okta.run import RunContext
    from tap_okta.settings import OktaSettings, OrgURL
    from tap_okta.tap import TapOkta

logger = logging.getLogger("tap-okta")

Authenticator: t.TypeAlias = OktaApiKeyAuthenticator | OktaServiceAppAuthenticator


class RateLimitedError(RetriableAPIError):
    """A 429: wait until the bucket resets, not an exponential backoff."""

    def __init__(self, message: str, response: requests.Response) -> None:
        super().__init__(message, response)
        self.okta_response = response


class PagingCycleError(OktaAPIError):
    """Okta's next links lead back to a page this read already had."""


class TransientResponseError(RetriableAPIError):
    """A 5xx or an unreadable body: retry with backoff."""

    def __init__(
        self, what: str, response: requests.Response, *, max_attempts: int | None = None
    ) -> None:
        super().__init__(what, response)
        self.what = what
        self.max_attempts = max_attempts


# Okta's JSON, numbers with a fraction as Decimal (as json.loads with parse_float),
# in a third of json.loads' time; what it refuses goes to json.loads, which accepts
# a little more (NaN, UTF-16, a byte-order mark) and fails as before on the rest.
_DECODER = msgspec.json.Decoder(float_hook=decimal.Decimal)


def decode_json(content: bytes) -> t.Any:
    """``json.loads(content, parse_float=decimal.Decimal)``, faster."""
    try:
        return _DECODER.decode(content)
    except msgspec.DecodeError:
        return json.loads(content, parse_float=decimal.Decimal)


# A non-JSON answer is usually a login page or a proxy's error page: worth a
# retry or two, not the full backoff.
UNREADABLE_ATTEMPTS = 3


V = t.TypeVar("V")


class PerResponse(weakref.WeakKeyDictionary[requests.Response, V]):
    """Something worked out from a response (its decoded body, a page's summary),
    kept for as long as the response lives.

    Never keyed by ``id(response)``: once a response is freed, the next one may get
    its id and would be answered with the old page.
    """

    def kept(self, response: requests.Response, make: Callable[[], V]) -> V:
        """The value kept for ``response``, made (and kept) now if there is none."""
        try:
            return self[response]
        except KeyError:
            value = self[response] = make()
            return value


RETRYABLE: tuple[type[BaseException], ...] = (TransientResponseError, *TRANSIENT_ERRORS)


class RenewAuthError(TokenExpiredError):
    """401 on an OAuth call: renew the token (or take the DPoP nonce) and retry once."""

    def __init__(self, response: requests.Response, *, renew: bool) -> None:
        super().__init__("OAuth token rejected", response)
        self.okta_response = response
        self.renew = renew


@dataclass
class OktaConnection:
    """Everything the streams of one run share: one session, one token, one clock."""

    settings: OktaSettings
    authenticator: Authenticator
    rate_limiter: RateLimiter
    session: requests.Session
    backoff: Backoff = field(default_factory=Backoff)
    requests_by_bucket: Counter[str] = field(default_factory=Counter)
    reached_org: bool = False

    @classmethod
    def open(
        cls,
        settings: OktaSettings,
        scopes: t.Sequence[str],
        *,
        optional_scopes: t.Sequence[str] = (),
        needed_by: t.Mapping[str, t.Sequence[str]] | None = None,
    ) -> OktaConnection:
        clock = ServerClock()
        limiter = RateLimiter(
            share=settings.rate_limit_share,
            max_wait=settings.rate_limit_max_wait,
            server_clock=clock,
        )
        authenticator: Authenticator
        if settings.auth_method == API_KEY:
            authenticator = OktaApiKeyAuthenticator(
                api_key=settings.api_key or "", org=settings.org
            )
        else:
            assert settings.client_id and settings.key_id and settings.signing_key
            authenticator = OktaServiceAppAuthenticator(
                org=settings.org,
                client_id=settings.client_id,
                key_id=settings.key_id,
                signing_key=settings.signing_key,
                scopes=scopes,
                optional_scopes=optional_scopes,
                needed_by=needed_by,
                rate_limiter=limiter,
                timeout=settings.request_timeout,
            )
        connection = cls(
            settings=settings,
            authenticator=authenticator,
            rate_limiter=limiter,
            session=guard(open_session(settings.org.origin)),
        )
        OPENED.append(connection)
        return connection

    def observe(self, bucket: str, response: requests.Response) -> None:
        """Bookkeeping every response feeds, before anything judges it."""
        self.requests_by_bucket[bucket] += 1
        self.rate_limiter.server_clock.observe(response)
        self.rate_limiter.observe(bucket, response)
        self.authenticator.observe(response)


#: The connections this process opened (a sync's, discovery's), for the run summary.
OPENED: list[OktaConnection] = []


def log_run_summary() -> None:
    """One INFO line for the run, if it talked to Okta: requests per bucket,
    pacing and 429s, what shaped its duration."""
    requests: Counter[str] = Counter()
    for connection in OPENED:
        requests.update(connection.requests_by_bucket)
    if not requests:
        return
    limiters = [connection.rate_limiter for connection in OPENED]
    logger.info(
        "Run summary: %d API requests (%s); waited %.1f s for rate-limit windows; "
        "%d x 429, waited %.1f s.",
        sum(requests.values()),
        ", ".join(f"{bucket} {count}" for bucket, count in requests.most_common()),
        sum(limiter.paced_seconds for limiter in limiters),
        sum(limiter.throttled_responses for limiter in limiters),
        sum(limiter.throttled_seconds for limiter in limiters),
    )


class OktaLinkPaginator(BaseHATEOASPaginator):
    """Follow ``Link: <…>; rel="next"`` within the org's origin only."""

    def __init__(
        self, org: OrgURL, stream_name: str, stop: Callable[[], bool] | None = None
    ) -> None:
        super().__init__()
        self._org = org
        self._stream_name = stream_name
        #: Asked after each page's records are written: True ends the read there.
        self._stop = stop
        #: The next links followed in this read, to catch a cycle.
        self._followed: set[str] = set()

    @override
    def has_more(self, response: requests.Response) -> bool:
        return super().has_more(response) and not (self._stop and self._stop())

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        url = response.links.get("next", {}).get("url")
        return self.follow(url) if url else None

    def follow(self, url: str) -> str:
        """Okta's next link, on the org and never one this read already followed:
        links that go round in a circle would read the same pages for ever."""
        link = resolve_org_link(url, self._org, self._stream_name)
        if link in self._followed:
            raise PagingCycleError(
                f"Okta's next-page links for stream '{self._stream_name}' go round in a "
                f"circle: {org_relative(link)} was already read in this run. Stopping "
                "rather than emitting the same records again; a proxy or cache between "
                "the tap and Okta may be rewriting Link headers. Re-run later: the run "
                "resumes from its last saved state."
            )
        self._followed.add(link)
        return link


class IamPaginator(OktaLinkPaginator):
    """``/api/v1/iam/*``: the next page is ``_links.next.href`` in the body."""

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        href = ((body.get("_links") or {}).get("next") or {}).get("href")
        return self.follow(href) if href and isinstance(href, str) else None


def listing(stream: OktaStream, listing_type: type[OktaStream]) -> OktaStream:
    """An internal listing (never in the catalog) that reports errors as ``stream``."""
    return listing_type(tap=stream.okta_tap, name=stream.name)


def resolve_org_link(url: str, org: OrgURL, stream_name: str) -> str:
    """An Okta link made absolute on the org; admin-host links moved to the API host."""
    parts = urlsplit(urljoin(org.origin + "/", url))
    host = (parts.hostname or "").lower()
    if org.admin_host and host == org.admin_host and parts.scheme == org.scheme:
        # Okta sometimes links its own -admin twin; it is the same org.
        parts = parts._replace(netloc=urlsplit(org.origin).netloc)
    link = urlunsplit(parts)
    if not org.owns(link):
        raise UnsafeURLError(
            f"Okta's next-page link for stream '{stream_name}' points at {origin_of(link)}, "
            f"not at the org {org.origin}: refusing to follow it (credentials only go to "
            "the org). Check org_url and any proxy that rewrites Okta's responses."
        )
    return link


def org_relative(url: str) -> str:
    """A link without scheme and host: what the state keeps of Okta's links."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def query_value(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def with_limit(url: str, limit: int) -> str:
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    query["limit"] = [str(limit)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


#: Every stream class, in the order they were defined (see ``OktaStream.__init_subclass__``).
DECLARED: list[type[OktaStream]] = []


class OktaStream(RESTStream["SplitResult"]):
    """Base class: every Okta list endpoint pages, limits and fails the same way."""

    #: Largest page Okta serves (and recommends) for this endpoint.
    page_size: t.ClassVar[int] = 200
    #: OAuth scope Okta requires to read this stream.
    oauth_scope: t.ClassVar[str]
    #: Scopes of the other lists the stream reads (e.g. the groups whose roles it asks for).
    extra_scopes: t.ClassVar[tuple[str, ...]] = ()
    #: Scopes the stream uses when granted and does without otherwise (see
    #: ``TapOkta.optional_scopes``); check with ``authenticator.grants``.
    optional_scopes: t.ClassVar[tuple[str, ...]] = ()
    #: False where Okta documents no page size (lists it does not page, where a
    #: ``limit`` would only cut the list short, or pages by ``after`` alone).
    takes_limit: t.ClassVar[bool] = True
    #: An admin role that can read the stream (named in permission errors).
    admin_role: t.ClassVar[str] = "Read-Only Administrator"
    # A redirect would carry credentials elsewhere: treat it as an error.
    allow_redirects = False
    # Frequent STATE keeps a killed run's re-work small; state is consistent
    # after every record (see bookmarks).
    STATE_MSG_FREQUENCY = 1000
    #: ``/api/v1/iam/*`` lists answer with an object: the records under this key and
    #: the next page in ``_links.next.href``. None: a bare array and a ``Link`` header.
    records_key: t.ClassVar[str | None] = None
    #: Stops at a page boundary once ``max_run_seconds`` is reached (its state then
    #: says where the next run goes on): sorted or cursor-driven reads only.
    resumes_by_page: t.ClassVar[bool] = False
    #: The path names one object, not a list (no paging, no ``limit``).
    single_object: t.ClassVar[bool] = False
    #: A child stream's field naming its parent, also the placeholder in ``path``.
    parent_field: t.ClassVar[str | None] = None

    def __init_subclass__(cls, *, internal: bool = False, **kwargs: t.Any) -> None:
        # A class that names itself is a stream of the catalog: the one declaration
        # the tap's stream list, --about and the consistency tests derive from
        # (``tap_okta.streams.STREAMS``). ``internal``: a listing that reads under
        # a stream's name (``listing()``), never in the catalog.
        super().__init_subclass__(**kwargs)
        if not internal and "name" in cls.__dict__:
            DECLARED.append(cls)

    @classmethod
    def needed_scopes(cls) -> tuple[str, ...]:
        """The scopes a token must carry to read the stream. A stream that lists its own
        scope among its ``optional_scopes`` (one an existing service app is unlikely
        to have) is skipped with a warning when Okta does not grant it."""
        return tuple(
            s for s in (cls.oauth_scope, *cls.extra_scopes) if s not in cls.optional_scopes
        )

    @classmethod
    def limit_sent(cls) -> int | None:
        """The ``limit`` the stream's own ``path`` is asked with (None: no limit)."""
        return cls.page_size if cls.takes_limit and not cls.single_object else None

    def __init__(self, tap: Tap, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(tap, *args, **kwargs)
        # The SDK keeps its tap private; the run's shared objects live on it.
        self.okta_tap = t.cast("TapOkta", tap)
        self._page_limit = self.page_size
        #: This run stopped the stream early at ``max_run_seconds``.
        self.cut_short = False
        self._bodies: PerResponse[t.Any] = PerResponse()

    @override
    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        # The SDK logs "An unhandled error occurred while syncing" at ERROR for
        # every stream it unwinds. For a --test dry run's deliberate stop, or an
        # Okta error that main() reports in one clear line, that only buries the
        # line that matters: keep it for DEBUG.
        if level >= logging.ERROR and sdk_compat.unwinding(SyncLifecycleSignal, OktaTapError):
            level = logging.DEBUG
        super().log(message, *args, level=level, **kwargs)

    @override
    def _generate_record_messages(
        self, record: dict[str, t.Any]
    ) -> Generator[RecordMessage, None, None]:
        # The SDK's, minus pruning and conformance walks that change nothing.
        return sdk_compat.generate_record_messages(self, record, self.TYPE_CONFORMANCE_LEVEL)

    @cached_property
    def okta(self) -> OktaConnection:
        return self.okta_tap.connection

    @property
    @override
    def url_base(self) -> str:
        return self.okta.settings.org.origin

    @property
    @override
    def authenticator(self) -> Authenticator:
        return self.okta.authenticator

    @property
    @override
    def requests_session(self) -> requests.Session:
        # One session (keep-alive pool) for all streams of the run.
        return self.okta.session

    @property
    @override
    def timeout(self) -> int:
        return int(self.okta.settings.request_timeout)

    @property
    @override
    def user_agent(self) -> str:
        return str(self.config.get("user_agent") or "tap-okta (Meltano Singer SDK)")

    # --- records -------------------------------------------------------------

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The SDK's hook; streams implement ``read_records``. A stream the org does
        not offer is skipped with a warning, and the run goes on with the others."""
        if self.skipped_by_test():
            return
        if self.budget.expired:
            self.budget.stop(self.name, "not started this run")
            return
        if self.oauth_scope not in self.needed_scopes() and not self.okta.authenticator.grants(
            self.oauth_scope
        ):
            logger.warning(
                "Stream '%s' was skipped: the service app's token does not carry the scope "
                "%s. Grant it to the app (Okta API Scopes) to read this stream, or "
                "deselect the stream to silence this warning.",
                self.name,
                self.oauth_scope,
            )
            return
        try:
            yield from self.read_records(context)
        except OktaAPIError as exc:
            if exc.code == "E0000006" and self.oauth_scope in self.optional_scopes:
                # An opt-in stream whose role the admin lacks: jobs that select every
                # opt-in stream (tap-okta--security) must not fail when one is added.
                logger.warning(
                    "Stream '%s' was skipped: the admin behind the credentials lacks the "
                    "permission (%s). Give it the %s role to read this stream, or deselect "
                    "the stream to silence this warning.",
                    self.name,
                    exc.code,
                    self.admin_role,
                )
                return
            meaning = self.not_on_this_org(exc)
            if meaning is None:
                raise
            logger.warning(
                "Stream '%s' is not available on this org and was skipped (%s): %s. "
                "The other streams go on; deselect this one to silence this warning.",
                self.name,
                exc.summary or exc.status,
                meaning,
            )

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The stream's records (by default its own list, page by page)."""
        yield from self.request_records(context)

    def not_on_this_org(self, exc: OktaAPIError) -> str | None:
        """What Okta's refusal of a stream's list means, when it means that the org
        lacks the feature rather than that the configuration is wrong (None).

        Per-parent reads never get here (a parent gone is skipped by
        ``read_parent``): this is a top-level list. A 404 on the run's first call
        still blames org_url, since nothing showed the org is right.
        """
        if exc.code == "E0000015":
            return "Okta answers so when the org has not licensed or enabled the feature"
        if exc.status == 404 and exc.code == "E0000007" and self.okta.reached_org:
            return (
                "Okta answers so on a Classic Engine org for endpoints of the Identity "
                "Engine only (authenticators, devices), or when a feature is not enabled"
            )
        return None

    # --- requests ------------------------------------------------------------

    @override
    def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        try:
            yield from super().request_records(context)
        except RunCapReached:
            # A wait for a rate-limit window would end past max_run_seconds: stop
            # before the page, as at a page boundary (only reads that resume by
            # page are asked, see run_left).
            self.cut_short = True
            self.budget.stop(self.name, self.resumes_from())
        except OktaTapError:
            # State always matches what was written (see bookmarks): save it, so
            # a re-run resumes here rather than at the last periodic STATE.
            sdk_compat.write_state(self)
            raise

    @override
    def get_new_paginator(self) -> OktaLinkPaginator:
        stop = self.out_of_time if self.resumes_by_page else None
        if self.records_key:
            return IamPaginator(self.okta.settings.org, self.name, stop)
        return OktaLinkPaginator(self.okta.settings.org, self.name, stop)

    # --- the run's time cap ------------------------------------------------------

    @property
    def budget(self) -> RunBudget:
        return self.run_context.budget

    @property
    def run_context(self) -> RunContext:
        """What this run's streams share (``tap_okta.run``)."""
        return self.okta_tap.run_context

    def out_of_time(self) -> bool:
        """Past ``max_run_seconds``: the read stops here and says where it resumes."""
        if not self.budget.expired:
            return False
        self.cut_short = True
        self.budget.stop(self.name, self.resumes_from())
        return True

    def run_left(self) -> float | None:
        """Seconds a rate-limit wait may take before the read stops instead (None:
        no cap, or a read that cannot stop between pages and must finish)."""
        return self.budget.seconds_left() if self.resumes_by_page else None

    def resumes_from(self) -> str:
        """What the next run reads of this stream, when this one was cut short."""
        return "the next run goes on from the saved state"

    # --- what every stream shares: selection, table versions, parents ---------

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        # The SDK would send ACTIVATE_VERSION at the start of every sync() of a
        # full-table stream; the tap sends it after a complete read only
        # (``reconcile.end_read``).
        return False

    @property
    def activate_version_wanted(self) -> bool:
        return bool(self.config.get("emit_activate_version_messages", False))

    def skipped_by_test(self) -> bool:
        """True for a stream not selected by default, in the SDK's ``--test``, which
        forces every stream and takes no catalog: credentials made for the default
        streams must pass it."""
        if self.selected_by_default or self.okta_tap.input_catalog is not None:
            return False
        logger.info("Stream '%s' is not selected by default: --test skips it.", self.name)
        return True

    def read_parent(self, parent: str) -> Iterator[dict[str, t.Any]]:
        """One parent's records (``path`` names it as ``{parent_field}``), each
        carrying the parent's id; a parent deleted since it was listed has none.

        The one way a tap-okta stream reads children: a stream lists its parents
        itself (``parents()``), so it can read only some of them (the ones a
        change names) or resume after the last one a bounded run finished.
        """
        field_name = self.parent_field
        assert field_name, f"{self.name} has no parent_field"
        try:
            for row in self.request_records({field_name: parent}):
                row[field_name] = parent
                yield row
        except OktaAPIError as exc:
            if exc.status != 404:
                raise
            logger.info("Stream '%s': %s %s is gone; skipping it.", self.name, field_name, parent)

    def split_link(self, link: str) -> tuple[str, dict[str, t.Any]]:
        """The URL and query parameters to request one of Okta's links."""
        parts = urlsplit(link)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return url, self.get_url_params(context=None, next_page_token=parts)

    def requested_limit(self, response: requests.Response) -> int:
        """The page size a response was asked for (a shorter page is the last)."""
        return int(query_value(response.request.url or "", "limit") or self.page_size)

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: SplitResult | None
    ) -> dict[str, t.Any]:
        """Query of the first page; later pages use Okta's ``next`` link as is."""
        if next_page_token is not None:
            params: dict[str, t.Any] = parse_qs(next_page_token.query, keep_blank_values=True)
            if self.takes_limit:
                params["limit"] = self._page_limit
            return params
        first = self.first_page_params(context)
        return {"limit": self._page_limit, **first} if self.takes_limit else first

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        """Filters and sorting of the first page (none by default)."""
        return {}

    @override
    def get_http_request(self, *, page: PageContext[SplitResult]) -> HTTPRequest:
        request = super().get_http_request(page=page)
        if page.next_page_token is not None:
            token = page.next_page_token
            request.url = urlunsplit((token.scheme, token.netloc, token.path, "", ""))
        return request

    @override
    def request_decorator(self, func: Callable[..., requests.Response]) -> t.Any:
        """Pacing and retries; replaces the SDK's fixed backoff, which ignores 429 resets."""

        @functools.wraps(func)
        def send(prepared_request: requests.PreparedRequest, context: Context | None) -> t.Any:
            failures = throttles = 0
            renewed = False
            while True:
                self.okta.rate_limiter.before_request(self.path or "", self.run_left())
                try:
                    response = func(prepared_request, context)
                except RateLimitedError as exc:
                    throttles += 1
                    self.okta.rate_limiter.after_429(
                        self.path or "", exc.okta_response, throttles, self.run_left()
                    )
                    continue
                except RenewAuthError as exc:
                    if renewed:
                        raise self._api_error(exc.okta_response) from None
                    renewed = True
                    if exc.renew:
                        logger.info("Okta rejected the access token; fetching a new one.")
                        self.authenticator.invalidate()
                    continue
                except RETRYABLE as exc:
                    failures += 1
                    self._back_off(prepared_request, exc, failures)
                    continue
                self.okta.reached_org = True
                return response

        return send

    def _back_off(
        self, prepared_request: requests.PreparedRequest, exc: BaseException, failures: int
    ) -> None:
        fail_fast(exc, self.okta.settings.org.origin)
        what = exc.what if isinstance(exc, TransientResponseError) else describe_transient(exc)
        path = urlsplit(prepared_request.url or "").path
        reached = self.okta.reached_org or not never_reached(exc)
        backoff = self.okta.backoff
        limit = getattr(exc, "max_attempts", None) or backoff.max_attempts
        if backoff.gives_up(failures, reached=reached, limit=limit):
            if not reached:
                raise OktaUnavailableError(
                    f"Cannot reach the Okta org at {self.okta.settings.org.origin} ({what}): "
                    "check org_url (TAP_OKTA_ORG_URL) and the network, proxy or firewall."
                ) from None
            raise OktaUnavailableError(
                f"Okta kept failing for stream '{self.name}' on {path}: {what}, "
                f"{failures} attempts in a row. Re-run later: the run resumes from "
                "its last saved state."
            ) from None
        if self._shrink_page_on_timeout(exc, prepared_request):
            what += f"; retrying with limit={self._page_limit}"
        backoff.pause(failures, f"Stream '{self.name}': {what} on {path}", limit=limit)

    def _shrink_page_on_timeout(
        self, exc: BaseException, prepared_request: requests.PreparedRequest
    ) -> bool:
        """E0000009 is Okta's query timeout: a smaller page is the documented cure."""
        response = getattr(exc, "response", None)
        if response is None or okta_error_body(response).get("errorCode") != "E0000009":
            return False
        smaller = max(self._page_limit // 2, min(self.page_size, 20))
        if smaller >= self._page_limit:
            return False
        self._page_limit = smaller
        prepared_request.prepare_url(with_limit(prepared_request.url or "", smaller), None)
        return True

    # --- responses -----------------------------------------------------------

    @override
    def validate_response(self, response: requests.Response) -> None:
        self.okta.observe(self.path or "", response)
        status = response.status_code
        if status == 429:
            raise RateLimitedError(summarize_okta_error(response), response)
        if status == 401 and self.okta.settings.auth_method != API_KEY:
            challenge = www_authenticate_params(response).get("error")
            if challenge == "use_dpop_nonce":
                raise RenewAuthError(response, renew=False)
            if (
                challenge in {None, "invalid_token"}
                or okta_error_body(response).get("errorCode") == "E0000011"
            ):
                raise RenewAuthError(response, renew=True)
        if status >= 500:
            raise TransientResponseError(
                f"Okta answered HTTP {status} ({summarize_okta_error(response)})", response
            )
        if status >= 300:
            raise self._api_error(response)
        self.body_of(response)  # an unreadable body is retried like a 5xx

    def body_of(self, response: requests.Response) -> t.Any:
        """The response's JSON body, decoded once."""
        return self._bodies.kept(response, lambda: self._json_body(response))

    def _api_error(self, response: requests.Response) -> OktaAPIError:
        return api_error_for(
            response,
            stream=self.name,
            auth_method=self.okta.settings.auth_method,
            scope=self.oauth_scope,
            role=self.admin_role,
        )

    def _json_body(self, response: requests.Response) -> t.Any:
        try:
            return json_body(response, json_content_type=True, decode=decode_json)
        except UnreadableBody as exc:
            raise TransientResponseError(
                str(exc), response, max_attempts=UNREADABLE_ATTEMPTS
            ) from None

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        body = self.body_of(response)
        path = urlsplit(response.url).path
        if isinstance(body, dict) and body.get("errorCode"):
            # A 200 that carries Okta's error (a gateway or proxy rewrote the status).
            raise OktaAPIError(
                f"Okta answered {path} for stream '{self.name}' with HTTP "
                f"{response.status_code} but an error in the body "
                f"({summarize_okta_error(response)}); re-run later, and if it persists "
                "check any proxy between the tap and Okta.",
                status=response.status_code,
                code=str(body.get("errorCode")),
            )
        if self.single_object and isinstance(body, dict):
            yield body
            return
        if self.records_key:
            items = body.get(self.records_key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise OktaAPIError(
                    f"Okta answered {self.path} for stream '{self.name}' without the list "
                    f"'{self.records_key}' it documents: check org_url."
                )
            yield from self._checked_items(items, path)
            return
        if not isinstance(body, list):
            raise OktaAPIError(
                f"Okta answered {path} for stream '{self.name}' with "
                f"a JSON {type(body).__name__} where a list was expected: check org_url."
            )
        yield from self._checked_items(body, path)

    #: Fields every item of the stream's list carries (the tap keys records by them);
    #: None: ``id`` when it is part of the primary key.
    required_fields: t.ClassVar[tuple[str, ...] | None] = None

    def _checked_items(self, items: list[t.Any], path: str) -> list[dict[str, t.Any]]:
        """The page's items, refused unless each is an object with the required fields:
        anything else is a mangled answer, and would fail later without saying so."""
        required = self.required_fields
        if required is None:
            required = ("id",) if "id" in (self.primary_keys or ()) else ()
        for item in items:
            if not isinstance(item, dict):
                raise OktaAPIError(
                    f"Okta answered {path} for stream '{self.name}' with a list holding "
                    f"a JSON {type(item).__name__} where each item should be an object: "
                    "the answer was mangled (a proxy in between?). Re-run later: the run "
                    "resumes from its last saved state."
                )
            missing = [name for name in required if item.get(name) in (None, "")]
            if missing:
                raise OktaAPIError(
                    f"Okta answered {path} for stream '{self.name}' with a record without "
                    f"'{missing[0]}', which every {self.name} record has: the answer was "
                    "mangled (a proxy in between?). Re-run later: the run resumes from its "
                    "last saved state."
                )
        return items


class ObjectLookup(OktaStream, internal=True):
    """One object a stream asks for beside its records (no paging, no ``limit``, no
    keys): named after that stream, so its errors name it. Read with ``listing()``."""

    primary_keys = ()
    single_object = True
    takes_limit = False
    schema: t.ClassVar[dict[str, t.Any]] = {"type": "object", "properties": {}}
