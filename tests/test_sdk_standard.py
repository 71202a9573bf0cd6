"""The Meltano Singer SDK's standard tap tests, against the simulator.

``get_tap_test_class`` builds the SDK's own suite (CLI, discovery, every stream's
records against its catalog schema, primary keys, attribute types) and runs one
sync per class in-process. Its config is needed when the class is built, before
any fixture runs: the org and its service app are made at import, and the configs
get the server's address when a module fixture starts it (the SDK keeps the very
dicts given here). Both authentication methods run once.
"""

from __future__ import annotations

from collections.abc import Iterator
from inspect import getattr_static
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_okta.tap import STREAM_TYPES, TapOkta
from tests.harness import API_KEY, select_streams
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ALL_READ_SCOPES

_SIM = OktaSimulator(users=120, seed=17, api_key=API_KEY)  # not started yet
_APP = _SIM.org.register_service_app(scopes=set(ALL_READ_SCOPES))
# Valid until the simulator is up: the class is built (and the tap instantiated to
# list its streams) at collection, which makes no request.
_NOT_STARTED = "http://127.0.0.1:9"
_API_KEY_CONFIG: dict[str, Any] = {"org_url": _NOT_STARTED, "api_key": API_KEY}
_SERVICE_APP_CONFIG: dict[str, Any] = {
    "org_url": _NOT_STARTED,
    "client_id": _APP.client_id,
    "key_id": _APP.key_id,
    "private_key": _APP.private_key_pem,
}
# Every stream, the security streams (not selected by default) included: without a
# catalog the suite's dry run would read only the default selection.
_CATALOG = select_streams(
    TapOkta(config=_API_KEY_CONFIG, parse_env_config=False).catalog_dict,
    tuple(str(getattr_static(s, "name")) for s in STREAM_TYPES),
)


@pytest.fixture(scope="module", autouse=True)
def _serve_the_org() -> Iterator[None]:
    with _SIM:
        _SIM.rate_limits.window_seconds = 1
        for config in (_API_KEY_CONFIG, _SERVICE_APP_CONFIG):
            config["org_url"] = _SIM.base_url
        yield
        for config in (_API_KEY_CONFIG, _SERVICE_APP_CONFIG):
            config["org_url"] = _NOT_STARTED


# Nullable fields a record leaves out (Okta omits many; live records have no
# _sdc_deleted_at) make the suite warn, and this project turns warnings into errors.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Fields in transformed catalog but not in records:UserWarning"
)

# The suite reads at most 150 records per stream; a child stream may have none for
# the first apps it reads.
_SUITE = SuiteConfig(ignore_no_records_for_streams=["app_groups"])

TestTapOktaApiKey = get_tap_test_class(
    TapOkta,
    config=_API_KEY_CONFIG,
    suite_config=_SUITE,
    catalog=_CATALOG,
)

TestTapOktaServiceApp = get_tap_test_class(
    TapOkta,
    config=_SERVICE_APP_CONFIG,
    suite_config=_SUITE,
    include_stream_attribute_tests=False,  # same records as above: once is enough
    catalog=_CATALOG,
)
