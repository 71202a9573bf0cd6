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


def test_read_writes_the_rows_then_a_deletion_per_id_gone() -> None:
    state: dict[str, Any] = {"known": {"g1": ["r1", "r2"], "g2": ["r3"]}}
    known = KnownKeys(state, parent_field="groupId")
    rows = [{"groupId": "g1", "id": "r2"}, {"groupId": "g1", "id": "r4"}]
    out = list(known.read("g1", iter(rows), "2026-01-01T00:00:00.000Z"))
    assert out == [
        *rows,
        {"id": "r1", "groupId": "g1", "_sdc_deleted_at": "2026-01-01T00:00:00.000Z"},
    ]
    assert list(known.vanished("T")) == [{"id": "r3", "groupId": "g2", "_sdc_deleted_at": "T"}]


def test_a_resumed_read_keeps_the_ids_its_cut_run_wrote() -> None:
    """A complete read cut short after g1: g1's ids as read go into the state at once;
    the run that resumes keeps them (it does not read g1 again) and deletes nothing
    for g1 at its end, while g2, never listed again, loses its ids."""
    state: dict[str, Any] = {"known": {"g1": ["old"], "g2": ["r3"]}}
    cut = KnownKeys(state, parent_field="groupId")
    assert [r["id"] for r in cut.read("g1", iter([{"id": "new"}]), "T")] == ["new", "old"]
    cut.checkpoint(state, "g1")
    assert state["known"] == {"g1": ["new"], "g2": ["r3"]}
    resumed = KnownKeys(state, parent_field="groupId")
    resumed.keep("g1")
    assert [r["id"] for r in resumed.vanished("T")] == ["r3"]
    resumed.save(state, "s")
    assert state["known"] == {"g1": ["new"]}
