"""msgspec reads Okta's JSON and writes the Singer messages: the same values as before.

The tap decoded with ``json.loads(..., parse_float=decimal.Decimal)`` and wrote with
the SDK's default (simplejson) writer; ``tap_okta.client.decode_json`` and
``tap_okta.output.OktaMessageWriter`` must give the same values with the same JSON
types, on what Okta sends and on what it should never send.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import pytest
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage
from singer_sdk.singerlib.encoding import SimpleSingerWriter

from tap_okta.client import decode_json
from tap_okta.output import OktaMessageWriter
from tests.harness import ODD_VALUES, okta_records, typed

DOCUMENTS = [
    b"[1] ",
    b" \n[1]\r\n",
    b"\xef\xbb\xbf[1]",  # byte-order mark: msgspec refuses, json.loads takes it
    b"[NaN, Infinity, -Infinity]",  # not JSON, but json.loads takes it
    b'["\xed\xa0\x80"]',  # a lone surrogate in UTF-8
    b'["\\ud800", "\\u00e9\\ud83d\\ude00", "\xc3\xa9"]',
    b'{"a":1,"a":2,"b":3}',
    b"[-0, -0.0, 1E2, 1e-2, -1.5e+3, 1.10, 123456789012345678901234567890, 1e400]",
    b'[true, false, null, {"": {}}, []]',
    "[1]".encode("utf-16"),
]
NOT_JSON = [b"", b"[1]\x00", b'["\xff"]', b"[01]", b"[1.]", b"[.5]", b"[+1]", b'["\t"]', b"[1]x"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_decoding_gives_what_json_loads_gives(document: bytes) -> None:
    expected = json.loads(document, parse_float=decimal.Decimal)
    assert typed(decode_json(document)) == typed(expected)


@pytest.mark.parametrize("document", NOT_JSON)
def test_what_json_loads_refuses_is_refused(document: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (json.loads' own errors)
        json.loads(document, parse_float=decimal.Decimal)
    with pytest.raises(ValueError):  # noqa: PT011
        decode_json(document)


def _written(writer: Any, message: Any) -> Any:
    line = writer.format_message(message)
    text = line.decode("utf-8") if isinstance(line, bytearray | bytes) else line + "\n"
    assert text.endswith("\n")
    assert text.count("\n") == 1
    return json.loads(text, parse_float=decimal.Decimal)


def _same_output(message: Any) -> None:
    ours = _written(OktaMessageWriter(), message)
    sdks = _written(SimpleSingerWriter(), message)
    assert typed(ours) == typed(sdks)
    assert list(ours) == list(sdks)  # the same keys in the same order


def test_records_from_okta_are_written_as_the_sdk_writes_them(sim: Any) -> None:
    extracted = dt.datetime(2024, 1, 31, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)
    for name, records in okta_records(sim).items():
        for record in records:
            body = decode_json(json.dumps(record, default=str).encode())
            _same_output(RecordMessage(name, body, time_extracted=extracted))
            _same_output(RecordMessage(name, body, version=1706702400000))


# Python values a JSON decoder makes (dates and bytes come only from code, and the
# SDK's conformance turns them into strings where the schema names them).
DECODED_ODD_VALUES = [v for v in ODD_VALUES if not isinstance(v, dt.date | bytes)]


@pytest.mark.parametrize("value", [*DECODED_ODD_VALUES, "\ud800", "é😀", {"k": "\udfff"}, 2**80])
def test_odd_values_are_written_as_the_sdk_writes_them(value: Any) -> None:
    _same_output(RecordMessage("users", {"id": "00u1", "value": value}))


def test_other_messages_are_written_as_the_sdk_writes_them() -> None:
    _same_output(SchemaMessage("users", {"type": "object", "properties": {}}, ["id"], None))
    _same_output(StateMessage({"bookmarks": {"users": {"delivered": ["a b"], "n": 1}}}))
