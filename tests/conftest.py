"""Shared test set-up.

Qt runs on the offscreen platform unless a display is asked for with
HMI_TEST_DISPLAY=1, so every test works with no display and no input.
"""

from __future__ import annotations

import os
import tempfile

if os.environ.get("HMI_TEST_DISPLAY") != "1":
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
# No accessibility bus or portal lookups in tests.
os.environ.setdefault("QT_ACCESSIBILITY", "0")
os.environ.setdefault("NO_AT_BRIDGE", "1")

# Config and data (audit trail) never touch the real user's folders during tests.
_SANDBOX = tempfile.mkdtemp(prefix="ipc-hmi-tests-")
for _var, _sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
    os.environ[_var] = os.path.join(_SANDBOX, _sub)
for _var in [v for v in os.environ if v.startswith("IPC_HMI_")]:
    del os.environ[_var]


import pytest  # noqa: E402  (after the environment above, which Qt reads at import)


@pytest.fixture
def berlin_then_english(monkeypatch):
    """Local time is Europe/Berlin for the test (dates near midnight, DST); English again afterwards."""
    import time

    from hmi.core import i18n

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    i18n.set_language("en")
    monkeypatch.undo()
    time.tzset()
