"""Keep secrets out of every log line and error message.

Secrets (the API token, the private key, access tokens, client assertions)
are registered here as soon as the tap sees them. A log-record factory
rewrites every record, whatever logger or level produced it, so a secret
that slips into a message, an argument or a traceback is masked before any
handler formats it. This is a safety net: code should not log secrets in the
first place.
"""

from __future__ import annotations

import logging
import threading
import traceback
import typing as t

MASK = "[redacted]"
# Shorter strings would mask ordinary words; real secrets are far longer.
_MIN_SECRET_LENGTH = 8

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def register_secret(value: str | None) -> None:
    """Mask ``value`` (and, for multi-line secrets, each long line) from now on."""
    if not value:
        return
    candidates = {value.strip(), *(line.strip() for line in value.splitlines())}
    # Env vars often carry PEM keys with literal "\n" escapes.
    candidates.update(part.strip() for part in value.split("\\n"))
    with _lock:
        _secrets.update(c for c in candidates if len(c) >= _MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by a mask."""
    if not _secrets or not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def install_log_redaction() -> None:
    """Route every future log record through ``redact`` (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not _secrets:
            return record
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        clean = redact(message)
        # Leave clean records untouched: structured handlers may rely on msg/args.
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            clean_text = redact(text)
            if clean_text != text:
                record.exc_text, record.exc_info = clean_text, None
        return record

    logging.setLogRecordFactory(factory)


def blank_client_secret(client: object, *, keep: bool) -> None:
    """Blank an OAuth client's ``client_secret`` (an app's, an IdP's) unless ``keep``."""
    if isinstance(client, dict) and client.get("client_secret") and not keep:
        client["client_secret"] = None


# Key names of an app's settings that hold a credential: a template app's shared
# password, a provisioning integration's API token or secret key (AWS's
# ``secretKey``, ``apiToken``, ``clientSecret``).
_SECRET_KEY_WORDS = ("password", "secret", "token")
_NOT_SECRET_SUFFIXES = ("field", "url", "uri")


def _blank_password_value(credentials: object) -> None:
    password = credentials.get("password") if isinstance(credentials, dict) else None
    if isinstance(password, dict) and password.get("value"):
        password["value"] = None


def blank_app_secrets(app: dict[str, t.Any], *, keep: bool) -> None:
    """Blank the credentials an ``apps`` record can carry, unless ``keep``:
    ``credentials.oauthClient.client_secret``, ``credentials.password.value`` and
    every non-empty string of ``settings.app`` whose key names a password, secret
    or token (but not a form field, URL or URI: ``passwordField``, ``tokenUrl``)."""
    if keep:
        return
    credentials = app.get("credentials")
    if isinstance(credentials, dict):
        blank_client_secret(credentials.get("oauthClient"), keep=False)
        _blank_password_value(credentials)
    settings = app.get("settings")
    values = settings.get("app") if isinstance(settings, dict) else None
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, str) and value and _names_a_secret(key):
                values[key] = None


def blank_app_user_secrets(app_user: dict[str, t.Any], *, keep: bool) -> None:
    """Blank an ``app_users`` record's ``credentials.password.value``, unless ``keep``."""
    if not keep:
        _blank_password_value(app_user.get("credentials"))


def _names_a_secret(key: str) -> bool:
    lowered = key.lower()
    # Not a secret: a password-vault template's form-field selector (``passwordField``
    # names the login form's input) or an endpoint (``tokenUrl``).
    if lowered.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(word in lowered for word in _SECRET_KEY_WORDS)
