"""Translatable strings from day one: every user-facing text goes through `_`.

No catalogue ships yet; gettext falls back to the English source text.
"""

from __future__ import annotations

import gettext
from pathlib import Path

_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_translation = gettext.translation("ipc-hmi", localedir=_LOCALE_DIR, fallback=True)


def _(text: str) -> str:
    return _translation.gettext(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)
