"""``@override`` marks exactly the methods that override the Singer SDK's.

The tap hooks into the SDK by overriding its methods (``get_records``,
``parse_response``, ``validate_response``, the authenticators' and paginators'
hooks ...). When an SDK release renames or drops one, the override silently stops
being called. So, for every class in ``tap_okta`` that subclasses an SDK class:

- every method marked ``@override`` must exist on one of its SDK base classes
  (an SDK rename makes this fail), and
- every method whose name exists on one of its SDK base classes must be marked
  ``@override`` (so the first check covers every override; a new unmarked one
  fails here).

Dunder methods (``__init__``...) are exempt from the second rule: every class
has them. ``typing_extensions.override`` (``typing.override`` on 3.12+) sets
``__override__ = True`` on the function it decorates; for a property it is the
getter, for a ``cached_property`` its function.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import typing as t

from singer_sdk import Tap
from singer_sdk.pagination import BaseHATEOASPaginator
from singer_sdk.streams import RESTStream
from typing_extensions import override

import tap_okta


def _is_sdk(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "singer_sdk"


def sdk_bases(cls: type) -> list[type]:
    return [base for base in cls.__mro__[1:] if _is_sdk(base)]


def _functions(member: object) -> list[t.Any]:
    """The functions behind a class attribute (none for plain data)."""
    if isinstance(member, property):
        return [f for f in (member.fget, member.fset, member.fdel) if f is not None]
    if isinstance(member, functools.cached_property):
        return [member.func]
    if isinstance(member, (staticmethod, classmethod)):
        return [member.__func__]
    if inspect.isfunction(member):
        return [member]
    return []


def problems(cls: type) -> list[str]:
    """What is wrong with ``cls``'s own methods' ``@override`` marks."""
    bases = sdk_bases(cls)
    found = []
    for name, member in vars(cls).items():
        functions = _functions(member)
        if not functions:
            continue
        marked = any(getattr(f, "__override__", False) for f in functions)
        in_sdk = [base.__qualname__ for base in bases if name in vars(base)]
        where = f"{cls.__module__}.{cls.__qualname__}.{name}"
        if marked and not in_sdk:
            found.append(f"{where} is marked @override but no SDK base class has it")
        elif in_sdk and not marked and not (name.startswith("__") and name.endswith("__")):
            found.append(f"{where} overrides {in_sdk[0]}.{name} without @override")
    return found


def tap_classes() -> list[type]:
    """Every class defined in tap_okta that subclasses an SDK class."""
    classes: dict[str, type] = {}
    for info in pkgutil.walk_packages(tap_okta.__path__, "tap_okta."):
        if info.name == "tap_okta.__main__":
            continue
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__ and sdk_bases(cls):
                classes[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(classes.values())


def marked_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in vars(cls).items()
        if any(getattr(f, "__override__", False) for f in _functions(member))
    }


def test_every_sdk_override_is_marked_and_still_overrides() -> None:
    classes = tap_classes()
    names = {cls.__name__ for cls in classes}
    # The walk found the tap's SDK subclasses (so the check below is not vacuous).
    assert {
        "TapOkta",
        "OktaStream",
        "OktaLinkPaginator",
        "OktaApiKeyAuthenticator",
        "OktaServiceAppAuthenticator",
        "LogsStream",
    } <= names
    assert sum(len(marked_methods(cls)) for cls in classes) >= 30

    found = [problem for cls in classes for problem in problems(cls)]
    assert not found, "\n".join(found)


def test_the_check_catches_both_mistakes() -> None:
    """A renamed SDK hook and an unmarked override are both reported."""

    class Stream(RESTStream[t.Any]):
        url_base = "https://example.invalid"

        @override
        def parse_response(self, response: t.Any) -> t.Any:  # an SDK method: fine
            return []

        @override  # what an SDK rename leaves behind
        def parse_the_response(self, response: t.Any) -> t.Any:
            return []

        def validate_response(self, response: t.Any) -> None:  # overrides, unmarked
            return None

        @property
        def timeout(self) -> int:  # an SDK property, unmarked
            return 1

        def helper(self) -> None:  # not the SDK's: needs no mark
            return None

    class Paginator(BaseHATEOASPaginator):
        @override
        def get_next_url(self, response: t.Any) -> str | None:
            return None

    class MyTap(Tap):
        name = "tap-example"

        def discover_streams(self) -> list[t.Any]:  # unmarked
            return []

    assert reported(Stream) == {
        ("parse_the_response", "is marked @override but no SDK base class has it"),
        ("validate_response", "without @override"),
        ("timeout", "without @override"),
    }
    assert reported(Paginator) == set()
    assert reported(MyTap) == {("discover_streams", "without @override")}


def reported(cls: type) -> set[tuple[str, str]]:
    """(method, what is wrong) for each of ``problems(cls)``."""
    prefix = f"{cls.__module__}.{cls.__qualname__}."
    found = set()
    for problem in problems(cls):
        assert problem.startswith(prefix), problem
        method, rest = problem[len(prefix) :].split(" ", 1)
        if rest.endswith("without @override"):
            assert rest.startswith("overrides "), rest
            rest = "without @override"
        found.add((method, rest))
    return found
