"""The HTTP sessions of a run: the API's and the token endpoint's."""

from __future__ import annotations

import os

import requests

from tap_okta.errors import ConfigError


def open_session(origin: str) -> requests.Session:
    """A session that trusts the CA bundle the environment names.

    The SDK sends with ``Session.send``, which (unlike ``Session.request``) never
    reads ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``: behind a corporate proxy
    that re-signs TLS, every request would fail verification. requests never reads
    OpenSSL's ``SSL_CERT_FILE`` either (it trusts certifi's bundle), though many
    machines set only that one: it is honoured after the other two. Without any of
    them, ``verify`` stays True (the certifi bundle). Proxies (``HTTPS_PROXY``,
    ``NO_PROXY``) need nothing here: requests reads them for every request.
    """
    session = requests.Session()
    merged = session.merge_environment_settings(origin, {}, None, None, None)
    session.verify = merged["verify"]
    cert_file = os.environ.get("SSL_CERT_FILE", "").strip()
    if session.verify is True and cert_file:
        if not os.path.isfile(cert_file):
            raise ConfigError(
                f"SSL_CERT_FILE names {cert_file}, which is not a file: point it (or "
                "REQUESTS_CA_BUNDLE) at a PEM file of trusted CA certificates, or unset it."
            )
        session.verify = cert_file
    return session
