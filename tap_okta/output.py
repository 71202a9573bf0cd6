"""Singer messages on stdout, encoded by msgspec (the SDK's ``contrib`` writer).

The SDK's default writer encodes with simplejson, which is most of the cost of a
record once it is read; msgspec writes the same JSON values several times faster.
Two differences are smoothed over, so the output keeps what the default writer
wrote:

- ``time_extracted`` (a datetime) is written with ``isoformat()`` as the SDK's
  writer does (msgspec's own form ends in ``Z`` instead of ``+00:00``);
- a message msgspec cannot encode (a string with a lone surrogate, which UTF-8
  cannot carry) goes out through the SDK's default writer, ASCII-escaped.

Non-ASCII text is written as UTF-8 rather than ``\\u`` escapes: the same strings
to any JSON reader. Values no JSON decoder makes (datetimes, dates, bytes) are written
in msgspec's forms; the tap's records hold none (the SDK's conformance turns them
into strings where the schema names them).
"""

from __future__ import annotations

import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib.encoding import SimpleSingerWriter
from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message


class OktaMessageWriter(MsgSpecWriter):
    """msgspec's writer; the SDK's default one for what msgspec cannot encode."""

    _fallback = SimpleSingerWriter()

    @override
    def serialize_message(self, message: Message) -> bytearray:
        data = message.to_dict()
        extracted = data.get("time_extracted")
        if extracted is not None:
            data["time_extracted"] = extracted.isoformat(sep="T")
        try:
            return serialize_jsonl(data)
        except UnicodeEncodeError:
            return bytearray(self._fallback.serialize_message(message) + "\n", "utf-8")
