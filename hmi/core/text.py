"""The characters a terminal or screen must never receive raw from the network, in one place.

Light (only `re`): `report --json` uses it without loading the snapshot model.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL, and bidi overrides/isolates that can make a version id read
# differently from what it is. Newlines and tabs are kept in notes only.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def json_for_terminal(text: str) -> str:
    """JSON text with C1 controls, bidi overrides and the like written as \\uXXXX escapes: the same data
    for a JSON reader, nothing a terminal would act on (json.dumps escapes only C0 controls)."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
