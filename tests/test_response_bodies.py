"""A response's decoded body is kept with the response, never by ``id()``.

The stream decodes a page once (in ``validate_response``) and reads it again in
``parse_response`` and the paginators. Keyed by ``id(response)``, a freed
response's body would be handed to the next response that gets the same id.
"""

from __future__ import annotations

import gc
import typing as t
import weakref

import requests

from tap_okta.client import OktaStream
from tap_okta.tap import TapOkta
from tests.conftest import API_KEY

CONFIG = {"org_url": "https://acme.okta.com", "api_key": API_KEY}


def _users() -> OktaStream:
    return t.cast("OktaStream", TapOkta(config=CONFIG, parse_env_config=False).streams["users"])


def _page(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = "application/json"
    response._content = body
    return response


def test_each_response_gets_its_own_body_even_when_it_reuses_a_freed_ones_id() -> None:
    stream = _users()
    seen_ids: set[int] = set()
    for n in range(50):  # CPython hands a freed object's address to the next one
        response = _page(b'[{"id": "%d"}]' % n)
        seen_ids.add(id(response))
        assert stream.body_of(response) == [{"id": str(n)}]
        assert list(stream.parse_response(response)) == [{"id": str(n)}]
        freed = weakref.ref(response)
        del response
        # A full collection walks every object of the session (0.3 s each late in a
        # run): only when a reference cycle still holds the response.
        if freed() is not None:
            gc.collect()
        assert freed() is None
    assert len(seen_ids) < 50  # ids were reused: the case this guards against


def test_a_body_is_decoded_once_and_freed_with_its_response() -> None:
    stream = _users()
    response = _page(b'[{"id": "a"}]')
    first = stream.body_of(response)
    assert stream.body_of(response) is first
    assert len(stream._bodies) == 1
    del response
    gc.collect()
    assert len(stream._bodies) == 0
