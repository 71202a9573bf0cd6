"""Bounds on one HTTP answer: its total time and its decompressed size.

``requests``' timeout bounds the wait for each byte, not the whole answer: a reply
that trickles a byte every half second never times out. And a small gzip body can
inflate to gigabytes. ``GuardedAdapter`` reads every body itself, a chunk at a
time: past the request's timeout in total, the request fails as a timeout (retried
like any other); past ``MAX_BODY_BYTES`` decompressed, it fails with one line.
Mounted on the API session and the token endpoint's session alike.
"""

from __future__ import annotations

import time
import typing as t
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from tap_okta.errors import OktaTapError

#: The largest answer the tap reads, decompressed. Okta's largest pages (1000
#: System Log events, 200 users with large profiles) are a few MiB.
MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole answer took longer than the request's timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the whole answer took longer than request_timeout={seconds:g} s")
        self.seconds = seconds


class ResponseTooLargeError(OktaTapError):
    """An answer larger than ``MAX_BODY_BYTES`` once decompressed."""


def total_seconds(timeout: t.Any) -> float | None:
    """The whole-request deadline for ``requests``' ``timeout`` argument: the read
    timeout (the setting ``request_timeout``), now applied to the whole answer."""
    if isinstance(timeout, tuple):
        timeout = timeout[-1]
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None


class GuardedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that bounds each answer's total time and size."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: t.Any = None,
        verify: t.Any = True,
        cert: t.Any = None,
        proxies: t.Any = None,
    ) -> requests.Response:
        started = time.monotonic()
        response = super().send(
            request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )
        seconds = total_seconds(timeout)
        try:
            content = _read_body(response, started, seconds)
        except BaseException:
            response.close()
            raise
        # What requests does for stream=False, with the body read here: the
        # response then behaves as any other (``content``, ``json()``).
        response._content = content
        setattr(response, "_content_consumed", True)  # noqa: B010 (as requests does)
        response.raw.release_conn()
        return response


def _read_body(response: requests.Response, started: float, seconds: float | None) -> bytes:
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while True:
        if seconds is not None and time.monotonic() - started > seconds:
            raise DeadlineExceeded(seconds)
        try:
            # read1: whatever has arrived (a trickle returns at once, so the
            # deadline is checked between its bytes); decompressed at most _CHUNK
            # at a time (urllib3 bounds the inflating, so a bomb never fills memory).
            chunk = raw.read1(_CHUNK, decode_content=True)
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except ReadTimeoutError as exc:
            raise requests.exceptions.ConnectionError(exc) from None
        except SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            path = urlsplit(response.url or "").path or "/"
            raise ResponseTooLargeError(
                f"The answer to {path} is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB "
                f"once decompressed (Content-Encoding: "
                f"{response.headers.get('Content-Encoding') or 'none'}): refusing to read "
                "it. Okta's pages are a few MiB; a proxy or other middlebox between the "
                "tap and Okta is mangling answers. Check org_url and the network path."
            )
        chunks.append(chunk)


def guard(session: requests.Session) -> requests.Session:
    """Mount ``GuardedAdapter`` on ``session`` for http and https."""
    adapter = GuardedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
