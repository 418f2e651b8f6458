"""Shared test set-up.

Qt runs on the offscreen platform unless a display is asked for with
HMI_TEST_DISPLAY=1, so every test works with no display and no input.
"""

from __future__ import annotations

import os

if os.environ.get("HMI_TEST_DISPLAY") != "1":
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
# No accessibility bus or portal lookups in tests.
os.environ.setdefault("QT_ACCESSIBILITY", "0")
os.environ.setdefault("NO_AT_BRIDGE", "1")
