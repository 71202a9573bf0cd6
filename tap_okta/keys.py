"""Load the service app's private key from whatever form the user pasted.

Okta's console offers the key as PEM (PKCS#8) and as a JWK; people also
paste PKCS#1 PEM, PEM with literal ``\\n`` escapes (env vars), a JWK set, or
the wrong thing altogether (the public key, an encrypted key). Each mistake
gets its own message; no message ever contains the key.
"""

from __future__ import annotations

import base64
import binascii
import json
import typing as t
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    load_pem_private_key,
)
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from tap_okta.errors import ConfigError

PrivateKey: t.TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

MIN_RSA_BITS = 2048
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_WHERE = "the service app's private key (Applications > your app > General > Public Keys)"


@dataclass(frozen=True)
class SigningKey:
    """A private key and the JWS algorithm Okta expects for it."""

    key: PrivateKey
    algorithm: str


def load_signing_key(value: str | dict[str, t.Any]) -> SigningKey:
    """Parse ``private_key``; raise ConfigError naming the mistake."""
    key = _load_jwk(value) if _looks_like_jwk(value) else _load_pem_or_der(str(value))
    return _signing_key(key)


def _looks_like_jwk(value: str | dict[str, t.Any]) -> bool:
    return isinstance(value, dict) or value.lstrip().startswith("{")


def _load_jwk(value: str | dict[str, t.Any]) -> t.Any:
    try:
        jwk = value if isinstance(value, dict) else json.loads(value)
    except ValueError:
        raise ConfigError(
            "private_key looks like JSON but does not parse: paste the JWK exactly as "
            f"Okta shows it, or use the PEM form of {_WHERE}."
        ) from None
    keys = jwk.get("keys") if isinstance(jwk, dict) else None
    if isinstance(keys, list):
        if len(keys) != 1:
            raise ConfigError(
                f"private_key is a JWK set with {len(keys)} keys: paste only the one "
                "whose kid is your key_id."
            )
        jwk = keys[0]
    if not isinstance(jwk, dict):
        raise ConfigError("private_key JSON is not a JWK object.")
    if "d" not in jwk:
        raise ConfigError(
            "private_key is a public JWK (it has no 'd' member): paste the private "
            f"key, i.e. {_WHERE}, which Okta shows only once when it generates it."
        )
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            return RSAAlgorithm.from_jwk(jwk)
        if kty == "EC":
            return ECAlgorithm.from_jwk(jwk)
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidKeyError):
        raise ConfigError(
            "private_key is a JWK with missing or malformed members: copy it again "
            "from Okta, or use the PEM form."
        ) from None
    raise ConfigError(f"private_key is a JWK of type {kty!r}: Okta accepts RSA or EC keys only.")


def _load_pem_or_der(text: str) -> t.Any:
    text = text.strip().strip("'\"").replace("\\n", "\n").strip()
    if not text:
        raise ConfigError("private_key is empty.")
    if "-----BEGIN" not in text:
        return _load_bare_base64(text)
    if "PUBLIC KEY-----" in text or "CERTIFICATE-----" in text:
        raise ConfigError(
            "private_key holds a public key or certificate: paste the private key "
            f"(-----BEGIN PRIVATE KEY-----), i.e. {_WHERE}."
        )
    if "ENCRYPTED" in text:
        raise ConfigError(
            "private_key is encrypted with a passphrase: export it without one, "
            "e.g. `openssl pkey -in key.pem -out key-plain.pem`, and paste that."
        )
    if "OPENSSH PRIVATE KEY" in text:
        raise ConfigError(
            "private_key is an OpenSSH key: Okta needs a PEM (PKCS#8) or JWK key; "
            "convert it with `ssh-keygen -p -m PKCS8 -f KEYFILE`."
        )
    try:
        return load_pem_private_key(text.encode(), password=None)
    except TypeError:
        raise ConfigError(
            "private_key is encrypted with a passphrase: export it without one."
        ) from None
    except ValueError:
        raise ConfigError(
            "private_key is not a readable PEM private key: paste the whole key "
            "including the -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- "
            "lines (literal \\n escapes are fine)."
        ) from None


# What a file's path looks like and a key never does: a key's base64 starts with
# "MII" or "ME" (a DER sequence), never with "/", "~" or ".", nor ends in ".pem".
_PATH_STARTS = ("/", "~", "./", "../", ".\\", "..\\")
_KEY_FILE_SUFFIXES = (".pem", ".key", ".p8", ".der", ".json", ".jwk", ".txt")


def _looks_like_path(text: str) -> bool:
    if any(c.isspace() for c in text) or len(text) > 4096:
        return False
    windows_drive = len(text) > 2 and text[0].isalpha() and text[1:3] in (":\\", ":/")
    return (
        text.startswith(_PATH_STARTS) or windows_drive or text.lower().endswith(_KEY_FILE_SUFFIXES)
    )


def _load_bare_base64(text: str) -> t.Any:
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        return load_der_private_key(der, password=None)
    except (binascii.Error, ValueError, TypeError):
        if _looks_like_path(text):
            raise ConfigError(
                "private_key looks like a file path: paste the key's contents (the PEM "
                "text, -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----, or the "
                'JWK JSON), e.g. TAP_OKTA_PRIVATE_KEY="$(cat key.pem)".'
            ) from None
        raise ConfigError(
            "private_key is not a key: expected a PEM private key "
            "(-----BEGIN PRIVATE KEY-----) or the JWK JSON that Okta generated."
        ) from None


def _signing_key(key: t.Any) -> SigningKey:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise ConfigError(
                f"private_key is a {key.key_size}-bit RSA key: Okta requires at least "
                f"{MIN_RSA_BITS} bits; generate a new key in the app's settings."
            )
        return SigningKey(key, "RS256")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = _EC_ALGORITHMS.get(key.curve.name)
        if algorithm is None:
            raise ConfigError(
                f"private_key is an EC key on curve {key.curve.name}: Okta accepts "
                "P-256, P-384 or P-521."
            )
        return SigningKey(key, algorithm)
    raise ConfigError(
        f"private_key is a {type(key).__name__.lstrip('_')}: Okta accepts RSA "
        "(2048 bits or more) or EC (P-256/P-384/P-521) keys."
    )
