"""Plain read-only lists, each declared once: its data and its route.

A plain list is what many of Okta's configuration endpoints are: ``GET`` answers a
bare array of objects with an ``id``, paged with ``Link`` headers in id order or not
paged at all. One ``PlainList`` entry is all the simulator needs to serve one:

- the route (``server.ROUTES``), its permission family (``ALL_FAMILIES``) and the
  scope ``okta.<family>.read`` (``ALL_READ_SCOPES``, the token endpoint's check);
- its page sizes (``endpoints.PAGE_SIZES``), or none;
- its objects, made by ``generate`` from a random stream of its own, so that adding
  a list changes no other object of a generated org (``tests/test_simulator_lists.py``
  checks it);
- the warehouse's view (``Org.snapshot()``, ``Org.snapshot_objects()``, keyed by the
  tap's stream name, ``SECURITY_STREAMS``);
- the System Log events its mutations (``Org.add_listed``/``Org.remove_listed``)
  log, which join the event-type catalogue (``catalog.EVENT_TYPES``).

Turning the list off as an org without the feature: ``org.disabled_features.add(family)``
(401 E0000015, ``features.py``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .org import Org

#: The random streams ``Org`` draws from, ``random.Random(seed * 7919 + k)``: the
#: directory's mutations (1), the System Log (2), profile metadata (3), security
#: generation, mutations and later fields (4, 5, 6). A plain list takes another k.
RESERVED_RANDOM_STREAMS = frozenset({1, 2, 3, 4, 5, 6})


@dataclass(frozen=True)
class PlainList:
    """One plain list endpoint of the simulated org."""

    #: The tap's stream name, also the key of ``Org.snapshot()``.
    stream: str
    path: str
    #: The permission family; its endpoints need the scope ``okta.<family>.read``.
    family: str
    #: ``k`` of its own random stream, ``random.Random(seed * 7919 + k)``.
    random_stream: int
    #: The objects by id, made from the org (its admins, its clock) and the stream.
    generate: Callable[[Org, random.Random, int], dict[str, dict[str, Any]]]
    #: (default, largest) page size; None: not paged, every object at once.
    page_sizes: tuple[int, int] | None = None
    #: The System Log target type of one object, and the events that add and remove one.
    target_type: str = ""
    create_event: tuple[str, str] | None = None  # (event type, display message)
    delete_event: tuple[str, str] | None = None

    @property
    def scope(self) -> str:
        return f"okta.{self.family}.read"

    def events(self) -> tuple[tuple[str, str], ...]:
        return tuple(e for e in (self.create_event, self.delete_event) if e)


DAY = 86400
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _fmt(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _chars(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


# --- API tokens (Okta's ApiToken: metadata only, never the token's value) --------------

_TOKEN_NAMES = ("Terraform", "SCIM bridge", "Okta Workflows", "Backup export", "SIEM", "HR sync")
# tokenWindow: how long the token may sit idle before it expires (ISO 8601 duration).
_TOKEN_WINDOWS = ("P30D", "P30D", "P7D", "PT5M", "P90D")


def api_token_obj(org: Org, token_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An API token as ``GET /api/v1/api-tokens`` renders it, after Okta's example."""
    return {
        "id": token_id,
        "clientName": "Okta API",
        **fields,
        "_links": {
            "self": {
                "href": org._link(f"/api/v1/api-tokens/{token_id}"),
                "hints": {"allow": ["GET", "DELETE"]},
            },
            "user": {
                "href": org._link(f"/api/v1/users/{fields['userId']}"),
                "hints": {"allow": ["GET"]},
            },
        },
    }


def generate_api_tokens(org: Org, rng: random.Random, now_s: int) -> dict[str, dict[str, Any]]:
    """One to three active tokens per admin, created in the last year."""
    tokens: dict[str, dict[str, Any]] = {}
    for admin in org.admin_ids:
        for _ in range(rng.randint(1, 3)):
            token_id = "00T" + _chars(rng, 17)
            created = now_s - rng.randint(2 * DAY, 365 * DAY)
            fields: dict[str, Any] = {
                "name": f"{rng.choice(_TOKEN_NAMES)} {rng.randint(1, 9)}",
                "userId": admin,
                "tokenWindow": rng.choice(_TOKEN_WINDOWS),
                "created": _fmt(created),
                "lastUpdated": _fmt(rng.randint(created, now_s - DAY)),
                "expiresAt": _fmt(now_s + rng.randint(DAY, 30 * DAY)),
            }
            if rng.random() < 0.6:
                fields["network"] = {"connection": "ANYWHERE"}
            tokens[token_id] = api_token_obj(org, token_id, fields)
    return tokens


API_TOKENS = PlainList(
    stream="api_tokens",
    path="/api/v1/api-tokens",
    family="apiTokens",
    random_stream=7,
    generate=generate_api_tokens,
    target_type="Token",
    create_event=("system.api_token.create", "Create API token"),
    delete_event=("system.api_token.revoke", "Revoke API token"),
)

#: Every plain list the simulator serves.
PLAIN_LISTS: tuple[PlainList, ...] = (API_TOKENS,)
