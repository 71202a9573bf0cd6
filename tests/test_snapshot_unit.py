"""KnownKeys: what a stream read in full every run compares against its last run."""

from __future__ import annotations

from typing import Any

from tap_okta.streams import snapshot
from tap_okta.streams.snapshot import KnownKeys


def test_first_run_knows_nothing_and_deletes_nothing() -> None:
    state: dict[str, Any] = {}
    known = KnownKeys(state)
    assert known.replace("", ["a", "b"]) == []
    assert known.unvisited() == {}
    known.save(state, "s")
    assert state["known"] == {"": ["a", "b"]}


def test_ids_gone_since_the_last_run_are_returned_once() -> None:
    state: dict[str, Any] = {"known": {"": ["a", "b", "c"]}}
    known = KnownKeys(state)
    assert known.replace("", ["a", "c", "d"]) == ["b"]
    known.save(state, "s")
    again = KnownKeys(state)
    assert again.replace("", ["a", "c", "d"]) == []


def test_a_parent_no_longer_listed_loses_all_its_ids() -> None:
    state: dict[str, Any] = {"known": {"p1": ["r1"], "p2": ["r2", "r3"]}}
    known = KnownKeys(state)
    assert known.replace("p1", ["r1"]) == []
    assert known.unvisited() == {"p2": ["r2", "r3"]}
    known.save(state, "s")
    assert state["known"] == {"p1": ["r1"]}


def test_a_partial_read_keeps_what_it_did_not_visit() -> None:
    state: dict[str, Any] = {"known": {"p1": ["r1"], "p2": ["r2"]}}
    known = KnownKeys(state)
    assert known.replace("p1", []) == ["r1"]
    known.keep_unvisited()
    known.save(state, "s")
    assert state["known"] == {"p2": ["r2"]}


def test_too_many_ids_are_not_kept(monkeypatch: Any) -> None:
    monkeypatch.setattr(snapshot, "KNOWN_LIMIT", 3)
    state: dict[str, Any] = {"known": {"": ["a"]}}
    known = KnownKeys(state)
    known.replace("", ["a", "b", "c", "d"])
    known.save(state, "s")
    assert "known" not in state
    # With nothing kept, the next run compares against nothing.
    assert KnownKeys(state).replace("", []) == []
