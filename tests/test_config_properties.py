"""Property-based tests of malformed configs: the tap either accepts a config or ends
with one ``ConfigError`` line (which the CLI's ``main`` prints as its last line, exit
1), never another exception (a traceback), and never quotes a secret.

In-process, as the CLI does it: ``TapOkta(config=...)`` is what ``tap-okta --config``
builds, and its ``__init__`` runs the SDK's schema validation and the tap's own
(``tap_okta.settings.load_settings``) before any request. The examples are bounded,
so this stays a few seconds of the fast tier.
"""

from __future__ import annotations

import json
import logging
import math
import typing as t

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_okta.errors import ConfigError
from tap_okta.tap import TapOkta
from tests.harness import examples

# A secret's core: hex, so no setting name or message word can be one by chance.
_CORE = st.text(alphabet="0123456789abcdef", min_size=16, max_size=40).map(lambda s: "5ec" + s)

_EC_PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)

# Values of the wrong type, or odd, for any setting.
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


def _spoiled(core: str) -> st.SearchStrategy[str]:
    """``core`` as pasted carelessly: a line break, a non-Latin-1 or control character
    inside it, quotes or spaces around it, literal ``\\n`` escapes."""
    half = len(core) // 2
    return st.sampled_from(
        [
            core,
            f"{core[:half]}\n{core[half:]}",
            f"{core[:half]}\r\n{core[half:]}",
            f"{core[:half]}\u20ac{core[half:]}",
            f"{core[:half]}\x00{core[half:]}",
            f"{core[:half]} {core[half:]}",
            f"  {core}\n",
            f'"{core}"',
            f"{core[:half]}\\n{core[half:]}",
        ]
    )


@st.composite
def _configs(draw: st.DrawFn) -> tuple[dict[str, t.Any], list[str]]:
    """A config and the secret cores it holds (which no message may contain)."""
    config: dict[str, t.Any] = {}
    secrets: list[str] = []
    password = draw(_CORE)
    host = draw(
        st.sampled_from(
            [
                "acme.okta.com",
                "acme.okta.com.",
                "acme.okta.com:443",
                "acme-admin.okta.com",
                "bücher.example",
                "acme okta.com",
                "acme.okta.com:notaport",
                "acme.okta.com:99999",
                "[::1",
                "",
                "a\u200db.example",
                "127.0.0.1:8990",
            ]
        )
    )
    scheme = draw(st.sampled_from(["https://", "http://", "ftp://", "", "https:/"]))
    userinfo = draw(st.sampled_from(["", f"admin:{password}@", f"{password}@"]))
    if userinfo:
        secrets.append(password)
    config["org_url"] = draw(
        st.one_of(st.just(f"{scheme}{userinfo}{host}/app/UserHome"), _ANY)
        if not userinfo
        else st.just(f"{scheme}{userinfo}{host}")
    )
    method = draw(st.sampled_from(["api_key", "service_app", "both", "none"]))
    if method in ("api_key", "both"):
        core = draw(_CORE)
        secrets.append(core)
        config["api_key"] = draw(_spoiled(core))
    if method in ("service_app", "both"):
        core = draw(_CORE)
        config["client_id"] = draw(st.one_of(st.text(max_size=20), _ANY))
        config["key_id"] = draw(st.one_of(st.text(max_size=20), _ANY))
        pem_body = _EC_PEM.split("-----")[2].strip()
        secrets.extend(line for line in pem_body.splitlines() if len(line) >= 16)
        config["private_key"] = draw(
            st.sampled_from(
                [
                    _EC_PEM,
                    _EC_PEM.replace("\n", "\\n"),
                    pem_body,
                    pem_body[: len(pem_body) // 2],
                    f"/Users/me/{core}.pem",
                    json.dumps({"kty": "RSA", "d": core}),
                    json.dumps({"kty": "EC", "d": core, "crv": "P-256"}),
                    json.dumps({"kty": "RSA", "d": core, "n": "x", "e": "AQAB"}),
                    json.dumps({"keys": [{"kty": "EC", "d": core}]}),
                    "{" + core,
                    core,
                ]
            )
        )
        secrets.append(core)
    for name in (
        "start_date",
        "scopes",
        "rate_limit_share",
        "rate_limit_max_wait",
        "request_timeout",
        "full_sync_interval_days",
        "max_run_seconds",
        "include_client_secrets",
        "emit_activate_version_messages",
    ):
        if draw(st.booleans()):
            config[name] = draw(
                st.one_of(
                    _ANY,
                    st.sampled_from(
                        ["2024-01-31", "2999-01-01T00:00:00Z", "31/01/2024", "1e999", "inf", "-1"]
                    ),
                )
            )
    return config, secrets


@settings(
    max_examples=examples(150),
    deadline=None,
    # The same examples every run (no flaky CI), and no example database in the tree.
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=_configs())
def test_a_malformed_config_is_accepted_or_one_line_never_a_traceback_or_a_secret(
    case: tuple[dict[str, t.Any], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    config, secrets = case
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    try:
        TapOkta(config=config, parse_env_config=False)
    except ConfigError as exc:
        message = exc.message
        assert "\n" not in message.strip(), message
        assert message.strip(), config
    else:
        message = ""
    said = message + "\n" + caplog.text
    leaked = [secret for secret in secrets if secret in said]
    assert not leaked, said
    if "rate_limit_share" in config and message == "":
        share = config["rate_limit_share"]
        assert share is None or share == "" or math.isfinite(float(share))
