"""The Meltano Singer SDK's standard tap tests, against the simulator.

``get_tap_test_class`` builds the SDK's own suite (CLI, discovery, every stream's
records against its catalog schema, primary keys, attribute types) and runs one
sync per class in-process. Its config is needed when the class is built, so the
simulator for these classes starts when the module is imported and stops at exit.
Both authentication methods run once.
"""

from __future__ import annotations

import atexit
from inspect import getattr_static

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_okta.tap import STREAM_TYPES, TapOkta
from tests.conftest import API_KEY
from tests.harness import catalog_selecting
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ALL_READ_SCOPES

_SIM = OktaSimulator(users=120, seed=17, api_key=API_KEY)
_SIM.start()
_SIM.rate_limits.window_seconds = 1
atexit.register(_SIM.stop)
_APP = _SIM.org.register_service_app(scopes=set(ALL_READ_SCOPES))
# Every stream, the security streams (not selected by default) included: without a
# catalog the suite's dry run would read only the default selection.
_CATALOG = catalog_selecting(tuple(str(getattr_static(s, "name")) for s in STREAM_TYPES))

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
    config={"org_url": _SIM.base_url, "api_key": API_KEY},
    suite_config=_SUITE,
    catalog=_CATALOG,
)

TestTapOktaServiceApp = get_tap_test_class(
    TapOkta,
    config={
        "org_url": _SIM.base_url,
        "client_id": _APP.client_id,
        "key_id": _APP.key_id,
        "private_key": _APP.private_key_pem,
    },
    suite_config=_SUITE,
    include_stream_attribute_tests=False,  # same records as above: once is enough
    catalog=_CATALOG,
)
