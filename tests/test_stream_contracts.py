"""The contract every stream keeps, checked in this process for each declared stream.

Parametrised over ``STREAM_TYPES`` (the stream classes themselves): a new stream is
covered by declaring it. Each stream alone, against a simulated org over real HTTP,
writes every object exactly once, valid against the schema it sends, asks Okta for
its own scopes only and for its declared page size, repeats nothing on the next run
(streams read in full every run write the same keys again, and no deletion), and
fails in one line naming stream and scope when the token lacks the scope, or, for a
stream whose scope is optional, is skipped with one warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from inspect import getattr_static
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker

from tap_okta.client import OktaStream
from tap_okta.streams.snapshot import SnapshotStream
from tap_okta.tap import STREAM_TYPES
from tests.harness import (
    API_KEY,
    TapRun,
    assert_clean_failure,
    assert_no_secrets,
    page_key,
    service_app_config,
    sync_in_process,
)
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ALL_READ_SCOPES

LOGS_SCOPE = "okta.logs.read"
STREAMS: dict[str, type[OktaStream]] = {str(getattr_static(s, "name")): s for s in STREAM_TYPES}


@pytest.fixture(scope="module")
def org() -> Iterator[OktaSimulator]:
    # Small enough that a per-user read fits one rate-limit window of the suite's 5 s.
    with OktaSimulator(users=120, seed=23, api_key=API_KEY) as simulator:
        simulator.rate_limits.window_seconds = 5
        yield simulator


@pytest.fixture(scope="module")
def oauth(org: OktaSimulator) -> dict[str, Any]:
    return service_app_config(org, org.org.register_service_app(scopes=set(ALL_READ_SCOPES)))


def expected(sim: OktaSimulator, stream: str) -> set[tuple[str, ...]]:
    """The primary keys a warehouse loaded from the org holds for ``stream``."""
    if stream == "logs":
        return {(uuid,) for uuid in sim.org.event_uuids()}
    return {k if isinstance(k, tuple) else (k,) for k in sim.org.snapshot()[stream]}


def keys(stream: str, run: TapRun, *, deleted: bool = False) -> list[tuple[str, ...]]:
    fields = STREAMS[stream].primary_keys or ()
    return [
        tuple(str(r[f]) for f in fields)
        for r in run.records(stream)
        if bool(r.get("_sdc_deleted_at")) == deleted
    ]


def read_in_full(stream: type[OktaStream]) -> bool:
    """Written whole every run (no change filter), not only what changed."""
    return issubclass(stream, SnapshotStream) or bool(getattr(stream, "always_complete", False))


def own_path(stream: type[OktaStream]) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(stream.path)) + "$")


def asked_scopes(sim: OktaSimulator, since: int) -> set[str]:
    tokens = [r for r in sim.requests[since:] if r.path == "/oauth2/v1/token"]
    return set(" ".join((r.form or {}).get("scope", "") for r in tokens).split())


def scope_is_optional(stream: type[OktaStream]) -> bool:
    return stream.oauth_scope in stream.optional_scopes


@pytest.mark.parametrize("name", list(STREAMS))
def test_each_stream_alone_writes_the_org_exactly_once(
    org: OktaSimulator, oauth: dict[str, Any], name: str
) -> None:
    stream = STREAMS[name]
    start = len(org.requests)
    run = sync_in_process(oauth, streams=(name,))
    assert run.returncode == 0, run.stderr[-3000:]
    written = keys(name, run)
    assert len(written) == len(set(written)), f"{name}: a record written twice"
    assert expected(org, name), f"the simulated org has no {name}"
    assert set(written) == expected(org, name)
    assert not keys(name, run, deleted=True)
    assert set(run.counts()) == {name}
    assert_no_secrets(run, oauth["private_key"])

    # Every record matches the schema the target is given (real targets validate).
    [schema] = [m["schema"] for m in run.messages if m["type"] == "SCHEMA"]
    validator = Draft7Validator(schema, format_checker=FormatChecker())
    for record in run.records(name):
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (name, errors[:3], record.get("id"))

    # Its own scopes; the optional ones it may use besides.
    asked = asked_scopes(org, start)
    own = {stream.oauth_scope, *stream.extra_scopes}
    assert own <= asked, asked
    assert asked - own <= {*stream.optional_scopes, LOGS_SCOPE}, asked

    # The declared page size on its own path, and no page asked for twice.
    requests = [r for r in org.requests[start:] if r.path.startswith("/api/v1/")]
    pages = Counter(page_key(r) for r in requests if r.path != "/api/v1/logs")
    assert not [p for p, n in pages.items() if n > 1], "a page asked for twice"
    own_requests = [r for r in requests if own_path(stream).match(r.path)]
    assert own_requests, f"{name}: no request to {stream.path}"
    limit = stream.limit_sent()
    for request in own_requests:
        if name != "logs" and request.path == "/api/v1/logs":
            continue  # the change feed, not this stream's list
        assert request.param("limit") == (str(limit) if limit else None), request.path

    # The next run from this run's state: nothing twice, no deletion of what is there.
    again = sync_in_process(oauth, state=run.final_state, streams=(name,))
    assert again.returncode == 0, again.stderr[-3000:]
    assert not keys(name, again, deleted=True), f"{name}: a deletion of nothing"
    rewritten = keys(name, again)
    assert len(rewritten) == len(set(rewritten))
    if read_in_full(stream):
        assert set(rewritten) == expected(org, name)
    else:
        assert not rewritten, f"{name}: the next run wrote again what nothing changed"


@pytest.mark.parametrize("name", list(STREAMS))
def test_a_token_without_the_stream_scope_names_stream_and_scope(
    org: OktaSimulator, oauth: dict[str, Any], name: str
) -> None:
    """``scopes`` set by hand without the stream's: Okta answers 403 insufficient_scope.
    A stream whose scope is optional is skipped with one warning instead."""
    stream = STREAMS[name]
    scopes = sorted(ALL_READ_SCOPES - {stream.oauth_scope})
    run = sync_in_process({**oauth, "scopes": scopes}, streams=(name,))
    assert_no_secrets(run, oauth["private_key"])
    if scope_is_optional(stream):
        assert run.returncode == 0, run.stderr[-3000:]
        warnings = [line for line in run.stderr.splitlines() if line.startswith("WARNING")]
        assert len(warnings) == 1, warnings
        assert name in warnings[0], warnings[0]
        assert stream.oauth_scope in warnings[0], warnings[0]
        assert not run.records(name)
        return
    assert_clean_failure(run, name, stream.oauth_scope)
