"""A state (or config) the tap cannot read ends with one line naming the key, the
stream and the way out, never a traceback; a state the tap can read runs correctly."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tap_okta.retry import TIME_SCALE_ENV
from tap_okta.state_check import StateError
from tap_okta.tap import TapOkta
from tests.harness import (
    API_KEY,
    TIME_SCALE,
    TapRun,
    assert_clean_failure,
    examples,
    run_in_process,
    run_tap,
)
from tests.okta_sim import OktaSimulator

STREAMS = ("users", "groups", "group_members", "logs")
OFFLINE = {"org_url": "https://acme.okta.com", "api_key": API_KEY}
WAY_OUT = "meltano state clear <state ID>"


def one_line_failure(run: TapRun) -> str:
    """The run ended as ``main`` ends an expected failure: exit 1, its last line an
    ERROR, no traceback anywhere."""
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    last = run.stderr.splitlines()[-1]
    assert last.startswith("ERROR "), last
    return last


@pytest.fixture(scope="module")
def small_org() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=20, apps=3, seed=31, api_key=API_KEY) as sim:
        sim.rate_limits.window_seconds = 5
        yield sim


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIME_SCALE_ENV, str(TIME_SCALE))


@pytest.fixture(scope="module")
def good_state(small_org: OktaSimulator) -> dict[str, Any]:
    """A real state of the small org, every key the four streams write."""
    first = run_in_process({"org_url": small_org.base_url, "api_key": API_KEY}, streams=STREAMS)
    assert first.returncode == 0, first.stderr[-3000:]
    return first.final_state


# --- each wrong type: one line naming the key and the stream ------------------------------


def refused_with(
    sim: OktaSimulator, good_state: dict[str, Any], stream: str, key: str, value: Any
) -> str:
    """A sync with ``value`` at ``bookmarks.<stream>.<key>``: refused in one line that
    names the key, the stream and the way out, before anything is read."""
    state = copy.deepcopy(good_state)
    state["bookmarks"].setdefault(stream, {})[key] = value
    config = {"org_url": sim.base_url, "api_key": API_KEY}
    run = run_in_process(config, state=state, streams=STREAMS)
    line = one_line_failure(run)
    assert f"bookmarks.{stream}.{key}" in line
    assert f"stream '{stream}'" in line
    assert WAY_OUT in line
    assert run.messages == []  # nothing read with a state it cannot trust
    return line


WRONG = [
    ("users", "replication_key_value", 5),
    ("users", "replication_key_value", "yesterday"),
    ("logs", "replication_key_value", ["2024-01-01T00:00:00.000Z"]),
    ("users", "delivered", "2024-01-01T00:00:00.000Z 00u1"),
    ("users", "delivered", [5]),
    ("logs", "delivered", ["not-a-time 00u1"]),
    ("users", "full_sync", []),
    ("users", "full_sync", {"last_complete": 5}),
    ("group_members", "full_sync", {"version": "17", "started": "2024-01-01T00:00:00.000Z"}),
    ("users", "changes", "/api/v1/logs"),
    ("users", "changes", {"since": True}),
    ("users", "horizon", {}),
    ("groups", "horizon", "2024-13-45T00:00:00.000Z"),
    ("group_members", "read_started", 3),
    ("group_members", "known", {"00g1": "00u1"}),
    ("group_members", "progress", {"done": 5}),
    ("logs", "cursor", 7),
]


@pytest.mark.parametrize(("stream", "key", "value"), WRONG, ids=[f"{s}.{k}" for s, k, _ in WRONG])
def test_a_wrong_type_is_one_line_naming_key_and_stream(
    small_org: OktaSimulator, good_state: dict[str, Any], stream: str, key: str, value: Any
) -> None:
    refused_with(small_org, good_state, stream, key, value)


@pytest.mark.parametrize(
    "state",
    [
        {"bookmarks": []},
        {"bookmarks": {"users": "2024-01-01"}},
        {"bookmarks": {}, "okta_org": "acme"},
        [],
        [{"bookmarks": {}}],
    ],
    ids=["bookmarks-list", "stream-text", "org-text", "empty-list", "list"],
)
def test_a_state_of_the_wrong_shape_is_one_line(state: Any) -> None:
    with pytest.raises(StateError) as raised:
        TapOkta(config=OFFLINE, state=state, parse_env_config=False)
    assert WAY_OUT in raised.value.message
    assert "\n" not in raised.value.message


FOREIGN = [
    ("logs", "cursor", "/api/v1/users?after=00u1&limit=1000", "/api/v1/users"),
    ("logs", "cursor", "https://evil.example.com/api/v1/logs?after=1", "evil.example.com"),
    ("users", "changes", {"cursor": "/api/v1/groups?after=1"}, "/api/v1/groups"),
    (
        "group_members",
        "changes",
        {"cursor": "https://preview.okta.com/api/v1/logs?after=1", "since": "2024-01-01T00:00:00Z"},
        "preview.okta.com",
    ),
]


@pytest.mark.parametrize(
    ("stream", "key", "value", "where"), FOREIGN, ids=["path", "origin", "feed-path", "feed-origin"]
)
def test_a_saved_position_elsewhere_names_the_users_stream(
    small_org: OktaSimulator,
    good_state: dict[str, Any],
    stream: str,
    key: str,
    value: Any,
    where: str,
) -> None:
    """A System Log position on another path or origin: the stream the user selected
    and the state key, not the internal feed or "Okta's next-page link"."""
    line = refused_with(small_org, good_state, stream, key, value)
    assert where in line
    assert "next-page link" not in line
    assert "directory_changes" not in line


# --- property: any mutation of a real state runs correctly or ends in one line ---------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2024-01-31T12:00:00.000Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "2099-01-01T00:00:00.000Z",
            "/api/v1/logs?after=1",
            "",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every dict key path in a state (lists are replaced whole)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    return found


TIMES = st.sampled_from(
    [
        "2024-01-31T12:00:00.000Z",
        "1970-01-01T00:00:00Z",
        "2000-02-29T23:59:59.999+02:00",
        "2099-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z",
    ]
)
#: None: the key is deleted.
_DELETE = object()


def _same_kind(original: Any) -> st.SearchStrategy[Any]:
    """A value of the type the tap wrote there, so more mutated states get to run."""
    if isinstance(original, str):
        return TIMES | st.text(max_size=20) | st.just(original + "x")
    if isinstance(original, bool):
        return st.booleans()
    if isinstance(original, int):
        return st.integers(min_value=-(2**63), max_value=2**63)
    if isinstance(original, list):
        return st.lists(
            st.builds(lambda when, key: f"{when} {key}", TIMES, st.text(max_size=8)), max_size=3
        )
    return st.dictionaries(st.sampled_from(["cursor", "since", "last_complete", "done"]), TIMES)


def _mutated(state: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(state)
    node = changed
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return changed


def _original(state: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = state
    for key in path:
        node = node[key]
    return node


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_malformed_state_runs_or_ends_in_one_line(
    small_org: OktaSimulator, good_state: dict[str, Any], data: st.DataObject
) -> None:
    paths = _paths(good_state)
    path = data.draw(st.sampled_from(paths), label="path")
    value = data.draw(
        st.one_of(JSON_VALUES, _same_kind(_original(good_state, path)), st.just(_DELETE)),
        label="value",
    )
    state = _mutated(good_state, path, value)
    # run_in_process lets any unexpected exception through: the test fails on it.
    run = run_in_process(
        {"org_url": small_org.base_url, "api_key": API_KEY}, state=state, streams=STREAMS
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    event("refused" if run.returncode else "ran")
    if run.returncode:
        line = one_line_failure(run)
        assert WAY_OUT in line
        return
    # It ran: each record at most once, and the state it leaves is this org's and
    # loads again.
    for stream in ("users", "groups", "logs"):
        key = "uuid" if stream == "logs" else "id"
        assert len(run.ids(stream, key)) == len(set(run.ids(stream, key))), stream
    assert run.final_state["okta_org"]["id"] == small_org.org.org_id
    TapOkta(config=OFFLINE, state=run.final_state, parse_env_config=False)


@settings(max_examples=examples(30), deadline=None)
@given(state=st.dictionaries(st.sampled_from(["bookmarks", "okta_org", "other"]), JSON_VALUES))
# A stream name with a line break once made the message two lines (hypothesis found it).
@example(state={"bookmarks": {"\n": None}})
@example(state={"bookmarks": {"users": {"a\u0085b": "x"}}})
def test_any_state_shape_loads_or_is_one_line(state: dict[str, Any]) -> None:
    """Loading alone (no network): a StateError of one line, or a tap."""
    try:
        TapOkta(config=OFFLINE, state=state, parse_env_config=False)
    except StateError as exc:
        message = exc.message
    else:
        return
    assert "\n" not in message
    assert WAY_OUT in message


# --- files that are not JSON (the CLI) ------------------------------------------------


@pytest.mark.cli
@pytest.mark.parametrize(
    ("which", "text", "fragments"),
    [
        ("state", "{not json", ["state file", "is not JSON", WAY_OUT]),
        ("state", "", ["state file", "is not JSON"]),
        ("state", "[1, 2]", ["state file", "not a JSON object"]),
        ("config", "org_url: https://acme.okta.com\n", ["config file", "is not JSON"]),
        ("config", '"text"', ["config file", "not a JSON object"]),
    ],
    ids=["state-broken", "state-empty", "state-list", "config-yaml", "config-text"],
)
def test_a_file_that_is_not_a_json_object_is_one_line(
    tmp_path: Path, which: str, text: str, fragments: list[str]
) -> None:
    (tmp_path / f"{which}.json").write_text(text)
    extra = ("--state", str(tmp_path / "state.json")) if which == "state" else ()
    if which == "config":
        extra = ("--config", str(tmp_path / "config.json"))
    run = run_tap(OFFLINE, extra_args=extra)
    assert_clean_failure(run, *fragments)


@pytest.mark.cli
def test_a_wrong_state_type_through_the_cli_is_one_line() -> None:
    state = {"bookmarks": {"users": {"full_sync": {"last_complete": 5}}}}
    run = run_tap(OFFLINE, state=state)
    assert_clean_failure(run, "bookmarks.users.full_sync.last_complete", "stream 'users'", WAY_OUT)
    assert run.messages == []
