"""The simulator serves what the tap declares, and its plain lists keep their rules.

Every stream the tap declares has a route in the simulator, a scope a service app
with ``ALL_READ_SCOPES`` holds, and a key in ``Org.snapshot()``; a failure names
the stream and the place to fix. A plain list (``okta_sim/plain_lists.py``) is served
from its declaration alone: its route, scope, permission family, paging, events,
and its objects drawn from a random stream of its own, so adding one changes
nothing else of a generated org.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from inspect import getattr_static
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_okta.tap import STREAM_TYPES
from tests.harness import API_KEY
from tests.okta_sim import ALL_FAMILIES, OktaSimulator, Org
from tests.okta_sim import org as org_module
from tests.okta_sim.catalog import EVENT_TYPE_INDEX, EVENT_TYPES, MUTATION_ONLY_EVENT_TYPES
from tests.okta_sim.oauth import ALL_READ_SCOPES
from tests.okta_sim.plain_lists import PLAIN_LISTS, RESERVED_RANDOM_STREAMS
from tests.okta_sim.security import SECURITY_STREAMS
from tests.okta_sim.server import ROUTES, SCOPES


def name_of(stream: type[Any]) -> str:
    return str(getattr_static(stream, "name"))


def declaration_mismatches() -> list[str]:
    """Each place the simulator lacks something a declared stream needs."""
    problems = []
    snapshot_keys = {*Org.generate(users=20, seed=3).snapshot(), "logs"}
    for stream in STREAM_TYPES:
        name = name_of(stream)
        path = re.sub(r"\{\w+\}", "x", str(getattr_static(stream, "path")))
        route = next((r for r in ROUTES if r[0].match(path)), None)
        if route is None:
            problems.append(f"stream {name}: no simulator route for {path} (server.ROUTES)")
        elif route[2] not in ALL_FAMILIES:
            problems.append(f"stream {name}: family {route[2]} not in ALL_FAMILIES")
        elif SCOPES[route[2]] != stream.oauth_scope and stream.oauth_scope != "okta.roles.read":
            # /users/{id}/roles and /groups/{id}/roles belong to the roles family.
            problems.append(f"stream {name}: the simulator checks {SCOPES[route[2]]} for {path}")
        for scope in (stream.oauth_scope, *stream.extra_scopes):
            if scope not in ALL_READ_SCOPES:
                problems.append(f"stream {name}: scope {scope} not in oauth.ALL_READ_SCOPES")
        if name not in snapshot_keys:
            problems.append(f"stream {name}: Org.snapshot() has no key {name}")
        if not stream.selected_by_default and name not in SECURITY_STREAMS:
            problems.append(f"stream {name}: not in security.SECURITY_STREAMS")
    tap = {name_of(s): s for s in STREAM_TYPES}
    for entry in PLAIN_LISTS:
        declared = tap.get(entry.stream)
        if declared is None:
            problems.append(f"plain list {entry.stream}: no tap stream of that name")
            continue
        if (getattr_static(declared, "path"), declared.oauth_scope) != (entry.path, entry.scope):
            problems.append(f"plain list {entry.stream}: path or scope differs from the tap's")
        limit = declared.limit_sent()
        if getattr_static(declared, "records_key") != entry.records_key:
            problems.append(f"plain list {entry.stream}: records_key differs from the tap's")
        if entry.page_sizes is None and limit is not None:
            problems.append(f"stream {entry.stream}: sends limit {limit} to an unpaged list")
        if entry.page_sizes is not None and limit not in (None, entry.page_sizes[1]):
            problems.append(f"stream {entry.stream}: limit {limit}, Okta's largest is not that")
    return problems


def test_the_simulator_serves_every_declared_stream() -> None:
    assert not declaration_mismatches(), "\n".join(declaration_mismatches())


def test_a_declared_stream_the_simulator_lacks_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    class EmailDomains:
        name = "email_domains"
        path = "/api/v1/email-domains"
        oauth_scope = "okta.emailDomains.read"
        extra_scopes = ()
        selected_by_default = False

    monkeypatch.setattr(
        "tests.test_simulator_lists.STREAM_TYPES", (*STREAM_TYPES, EmailDomains), raising=True
    )
    problems = declaration_mismatches()
    assert "stream email_domains: no simulator route for /api/v1/email-domains (server.ROUTES)" in (
        problems
    )
    assert "stream email_domains: scope okta.emailDomains.read not in oauth.ALL_READ_SCOPES" in (
        problems
    )
    assert "stream email_domains: Org.snapshot() has no key email_domains" in problems
    assert "stream email_domains: not in security.SECURITY_STREAMS" in problems


def test_each_plain_list_draws_from_a_random_stream_of_its_own() -> None:
    """The rule ``Org.generate`` states: a new generator takes a stream nobody uses."""
    taken = [entry.random_stream for entry in PLAIN_LISTS]
    assert len(taken) == len(set(taken)), taken
    assert not set(taken) & RESERVED_RANDOM_STREAMS, taken


def test_the_plain_lists_change_nothing_else_of_a_generated_org(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = Org.generate(users=5, seed=5).clock.now()
    with_lists = Org.generate(users=80, seed=5, now=now)
    monkeypatch.setattr(org_module, "PLAIN_LISTS", ())
    without = Org.generate(users=80, seed=5, now=now)
    others = set(without.snapshot())
    assert {k: v for k, v in with_lists.snapshot().items() if k in others} == without.snapshot()
    assert with_lists.all_users() == without.all_users()
    assert with_lists.visible_events() == without.visible_events()
    for stream in SECURITY_STREAMS:
        if stream in others:
            assert with_lists.snapshot_objects(stream) == without.snapshot_objects(stream), stream


def test_plain_list_events_are_in_the_catalogue() -> None:
    for entry in PLAIN_LISTS:
        for event_type, _ in entry.events():
            assert event_type in EVENT_TYPE_INDEX, event_type
    # Each type once: a type of the background mix is not made mutation-only as well.
    assert len(EVENT_TYPES) == len(EVENT_TYPE_INDEX)
    assert not MUTATION_ONLY_EVENT_TYPES & {e.event_type for e in EVENT_TYPES if e.weight}


# --- each plain list over HTTP -------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=120, seed=29, api_key=API_KEY) as simulator:
        yield simulator
        assert simulator.internal_errors == []


def fetch(sim: OktaSimulator, path: str, authorization: str, **params: Any) -> requests.Response:
    headers = {"Authorization": authorization, "Accept": "application/json"}
    return requests.get(sim.url(path), headers=headers, params=params, timeout=10)


def listed(answer: requests.Response) -> list[dict[str, Any]]:
    """The objects of one answer: a bare array, or the one list of a wrapping object."""
    body = answer.json()
    if isinstance(body, dict):
        [body] = body.values()
    assert isinstance(body, list), body
    return body


def crawl(sim: OktaSimulator, path: str, **params: Any) -> list[dict[str, Any]]:
    answer = fetch(sim, path, f"SSWS {API_KEY}", **params)
    objects = []
    while True:
        assert answer.status_code == 200, answer.text[:300]
        objects += listed(answer)
        if "next" not in answer.links:
            return objects
        next_url = answer.links["next"]["url"]
        answer = requests.get(next_url, headers={"Authorization": f"SSWS {API_KEY}"}, timeout=10)


@pytest.mark.parametrize("entry", PLAIN_LISTS, ids=[e.stream for e in PLAIN_LISTS])
def test_a_plain_list_is_served_as_declared(sim: OktaSimulator, entry: Any) -> None:
    objects = sim.org.snapshot_objects(entry.stream)
    assert objects, f"the generated org has no {entry.stream}"
    assert crawl(sim, entry.path) == objects
    if entry.page_sizes is not None:
        default, largest = entry.page_sizes
        first = fetch(sim, entry.path, f"SSWS {API_KEY}")
        assert len(listed(first)) == min(default, len(objects))
        assert crawl(sim, entry.path, limit=2) == objects
        assert crawl(sim, entry.path, limit=largest + 1) == objects
    # Its scope, and no other, lets a service app read it.
    app = sim.org.register_service_app(scopes=set(ALL_READ_SCOPES))
    without = sim.org.issue_token(app.client_id, sorted(ALL_READ_SCOPES - {entry.scope}))
    refused = fetch(sim, entry.path, f"Bearer {without.access_token}")
    assert refused.status_code == 403
    assert f'scope="{entry.scope}"' in refused.headers["WWW-Authenticate"]
    granted = sim.org.issue_token(app.client_id, [entry.scope])
    assert listed(fetch(sim, entry.path, f"Bearer {granted.access_token}")) == objects
    # An org without the feature: 401 E0000015.
    sim.org.disabled_features.add(entry.family)
    try:
        off = fetch(sim, entry.path, f"SSWS {API_KEY}")
        assert (off.status_code, off.json()["errorCode"]) == (401, "E0000015")
    finally:
        sim.org.disabled_features.discard(entry.family)


@pytest.mark.parametrize("entry", PLAIN_LISTS, ids=[e.stream for e in PLAIN_LISTS])
def test_adding_and_removing_an_object_logs_its_events(sim: OktaSimulator, entry: Any) -> None:
    [first, *_] = sim.org.snapshot_objects(entry.stream)
    sim.org.remove_listed(entry.stream, first["id"])
    assert first["id"] not in sim.org.snapshot()[entry.stream]
    sim.org.add_listed(entry.stream, first)
    assert first["id"] in sim.org.snapshot()[entry.stream]
    logged = [
        e for e in sim.org.visible_events() if e["target"] and e["target"][0]["id"] == first["id"]
    ]
    expected = [e[0] for e in (entry.delete_event, entry.create_event) if e]
    assert [e["eventType"] for e in logged] == expected
    # A list whose changes Okta's catalogue names no event for logs none.
    assert {e["target"][0]["type"] for e in logged} == ({entry.target_type} if expected else set())


def test_every_route_is_reached_by_its_own_paths() -> None:
    """The rule ``server.ROUTES`` states: the first match wins, so a literal route
    (``/groups/rules``) must come before the pattern that would swallow it."""
    for index, (pattern, handler, _) in enumerate(ROUTES):
        sample = pattern.pattern.strip("^$").replace("([^/]+)", "x").replace("\\", "")
        first = next(i for i, route in enumerate(ROUTES) if route[0].match(sample))
        assert first == index, f"{sample} ({handler.__name__}) is taken by route {first}"


def test_the_simulator_readme_describes_every_declared_stream_path() -> None:
    """Each declared stream's path is in tests/okta_sim/README.md, but a plain list's,
    which its entry describes."""
    readme = (Path(__file__).parent / "okta_sim" / "README.md").read_text()
    # Written as `/api/v1/groups/{id}/roles`, or in the paging row as groups/{id}/users.
    found = re.findall(r"(/api/v1/[\w/{}-]+|[\w-]+/\{\w+\}/[\w/{}-]+)", readme)
    described = {re.sub(r"\{\w+\}", "{}", p).removeprefix("/api/v1/") for p in found}
    plain = {entry.path for entry in PLAIN_LISTS}
    missing = [
        f"stream {name_of(stream)}: {path} not in tests/okta_sim/README.md"
        for stream in STREAM_TYPES
        if (path := str(getattr_static(stream, "path"))) not in plain
        and re.sub(r"\{\w+\}", "{}", path).removeprefix("/api/v1/") not in described
    ]
    assert not missing, "\n".join(missing)
