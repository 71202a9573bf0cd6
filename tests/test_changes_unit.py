"""Window.targets: the one way a stream asks which objects these events name."""

from __future__ import annotations

from tap_okta.changes import GROUP_DELETED, MEMBER_ADDED, USER_DELETED, Change, Target, Window


def change(uuid: str, event_type: str, **targets: str) -> Change:
    named = {kind: Target(tid, None, None) for kind, tid in targets.items()}
    return Change(uuid, f"2026-01-01T00:00:0{uuid}.000Z", event_type, named)


def test_each_target_once_with_its_last_event_in_the_order_of_last_events() -> None:
    window = Window(
        changes=[
            change("1", USER_DELETED, User="u1"),
            change("2", GROUP_DELETED, UserGroup="g1"),
            change("3", MEMBER_ADDED, User="u2", UserGroup="g1"),
            change("4", USER_DELETED, User="u3"),
            change("5", USER_DELETED, User="u1"),
        ]
    )
    users = window.targets("User", USER_DELETED)
    assert list(users) == ["u3", "u1"]
    assert users["u1"].uuid == "5"
    # Other event types, and events without that target type, name nothing.
    assert list(window.targets("UserGroup", GROUP_DELETED, USER_DELETED)) == ["g1"]
    assert list(window.targets("User", USER_DELETED, MEMBER_ADDED)) == ["u2", "u3", "u1"]
    assert window.targets("AppInstance", USER_DELETED) == {}
