"""Opaque ``after`` cursors.

A cursor is urlsafe base64 of a tiny JSON document: the collection it belongs
to, the org's cursor epoch when it was issued and the keyset position.  Clients
must treat it as opaque; :meth:`Org.invalidate_cursors` bumps the epoch so every
earlier cursor becomes "Invalid cursor." (a stale cursor after a long pause).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


class InvalidCursor(ValueError):
    pass


def encode(kind: str, epoch: int, position: Any) -> str:
    raw = json.dumps({"k": kind, "e": epoch, "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, kind: str, epoch: int) -> Any:
    try:
        padded = token + "=" * (-len(token) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor(token) from None
    if not isinstance(doc, dict) or doc.get("k") != kind or doc.get("e") != epoch or "p" not in doc:
        raise InvalidCursor(token)
    return doc["p"]
