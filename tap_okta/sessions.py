"""The HTTP sessions of a run: the API's and the token endpoint's."""

from __future__ import annotations

import requests


def open_session(origin: str) -> requests.Session:
    """A session that trusts the CA bundle the environment names, as requests does.

    The SDK sends with ``Session.send``, which (unlike ``Session.request``) never
    reads ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``: behind a corporate proxy
    that re-signs TLS, every request would fail verification. Without either
    variable, ``verify`` stays True (the certifi bundle).
    """
    session = requests.Session()
    merged = session.merge_environment_settings(origin, {}, None, None, None)
    session.verify = merged["verify"]
    return session
