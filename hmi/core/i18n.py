"""Every user-facing text goes through `_` (and `ngettext` for plurals); the language can change at run time.

Catalogues are GNU gettext files in hmi.resources/locale/<lang>/LC_MESSAGES/ipc-hmi.mo (sources: the .po
files beside them; `make i18n` extracts, updates and compiles, docs/i18n.md). English is the source language
and needs no catalogue. `en-XA` is a pseudo-locale for tests: every text 40 % longer and wrapped in ⟦…⟧, so
a layout test sees whether a longer language still fits and whether a text on screen bypassed the catalogue.

Module-level tables mark their texts with `N_` (extracted, not translated at import) and translate where they
are used: a text translated at import would stay in the language of the moment the module was first imported.

Qt-free: the CLI and the core use it as the console does. Qt's own texts (qtbase_*.qm) are loaded by
hmi.ui.language, which follows `set_language` through `on_change`.
"""

from __future__ import annotations

import datetime
import gettext
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path

DOMAIN = "ipc-hmi"
SOURCE = "en"
LANGUAGES = ("de", "en")  # what an operator may choose (--lang, IPC_HMI_LANG, config, the panel button)
PSEUDO = "en-XA"  # tests only: longer texts in ⟦…⟧ markers
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX order: the first one set decides


class LanguageError(ValueError):
    """An unknown language name; the message is one sentence that lists the languages on offer."""


def locale_dir() -> Path:
    from importlib import resources  # only when a catalogue is loaded: English starts without it

    return Path(str(resources.files("hmi.resources") / "locale"))


def N_(text: str) -> str:  # the gettext convention: marked for extraction, translated later
    """Marks `text` for the catalogue without translating it now (module-level tables)."""
    return text


# --- the pseudo-locale ----------------------------------------------------------------------------------------

# str.format fields ({name}, {n:.0f}) and %-style ones (%(name)s, %s, %r: argparse's own texts) stay as they are.
_PLACEHOLDER = re.compile(r"(\{[^{}]*\}|%\([^()]*\)[a-z]|%[a-z%])")
_WORD = re.compile(r"[A-Za-z]+")
_ACCENTS = str.maketrans("aeiouAEIOU", "áéíöüÅÉÎÖÜ")


def pseudo(text: str) -> str:
    """`text` about 40 % longer (each word padded, so it still wraps between words), accented, in ⟦…⟧.

    Placeholders ({name}, {n:.0f}, %(name)s, %s) stay as they are, so formatting works on the result as on the
    source.
    """
    if not text:
        return text

    def word(match: re.Match[str]) -> str:
        w = match.group(0)
        return w.translate(_ACCENTS) + "·" * math.ceil(len(w) * 0.4)

    parts = _PLACEHOLDER.split(text)
    out = "".join(part if i % 2 else _WORD.sub(word, part) for i, part in enumerate(parts))
    short = math.ceil(len(text) * 1.4) - len(out)
    if short > 0:
        out += "·" * short
    return f"{MARK_OPEN}{out}{MARK_CLOSE}"


class _PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)


# --- the current language -------------------------------------------------------------------------------------

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE
_listeners: list[Callable[[str], None]] = []


def _(text: str) -> str:
    return _translation.gettext(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def language() -> str:
    """The language texts are translated into now: "en", "de" or the pseudo-locale."""
    return _language


def load_catalogue(lang: str, folder: Path | None = None) -> gettext.NullTranslations:
    """The catalogue of `lang`. Raises OSError when it is missing or unreadable (a broken .mo is one too)."""
    if lang == SOURCE:
        return gettext.NullTranslations()
    if lang == PSEUDO:
        return _PseudoTranslations()
    return load_catalogue_file(lang, folder)


def load_catalogue_file(lang: str, folder: Path | None = None) -> gettext.GNUTranslations:
    """The compiled catalogue of `lang` as it is on disk (English too: its identity catalogue knows the plural
    source texts, which hmi.ui.language needs). Raises OSError when it is missing or broken."""
    path = (folder or locale_dir()) / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    except OSError as exc:
        raise OSError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # gettext raises OSError, struct.error, UnicodeDecodeError, IndexError… on a bad file
        raise OSError(f"{path} is not a valid catalogue ({type(exc).__name__})") from None


def set_language(lang: str, folder: Path | None = None) -> str | None:
    """Switches every later `_` to `lang`. A missing or broken catalogue falls back to English and returns the
    one warning sentence to show (None when all went well). Listeners (`on_change`) hear the language now used."""
    global _translation, _language
    warning = None
    try:
        translation = load_catalogue(lang, folder)
    except OSError as exc:
        warning = f"warning: the {lang_name(lang)} texts cannot be loaded ({exc}); continuing in English."
        translation, lang = gettext.NullTranslations(), SOURCE
    _translation, _language = translation, lang
    for listener in list(_listeners):
        listener(lang)
    return warning


def on_change(listener: Callable[[str], None]) -> Callable[[], None]:
    """Calls `listener(lang)` after every `set_language`; returns a function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def lang_name(lang: str) -> str:
    return {"de": "German", "en": "English", PSEUDO: "pseudo-locale"}.get(lang, lang)


# --- dates and times -------------------------------------------------------------------------------------
# Locale data, not translations: a date pattern in the catalogue would let the run-time switch (hmi.ui.language)
# match any "a-b-c" text as a date. Both languages use the 24-hour clock. English dates are ISO 8601
# (2026-12-02): a mixed crew reads them one way only, where 12/02/2026 means two different days.
_DATE_FORMATS = {"de": "%d.%m.%Y", "en": "%Y-%m-%d"}


def format_date(moment: datetime.datetime) -> str:
    """The local date of an aware datetime: "02.12.2026" in German, "2026-12-02" in English."""
    return format_day(moment.astimezone().date())


def format_day(day: datetime.date) -> str:
    """A calendar day, already in the zone it was taken in: "02.12.2026" / "2026-12-02"."""
    return day.strftime(_DATE_FORMATS.get(_language, _DATE_FORMATS[SOURCE]))


def format_time(moment: datetime.datetime) -> str:
    """The local time of day, 24-hour, with seconds: "23:59:52"."""
    return moment.astimezone().strftime("%H:%M:%S")


def format_datetime(moment: datetime.datetime) -> str:
    """Local date and time: "02.12.2026 23:59:52" / "2026-12-02 23:59:52"."""
    return f"{format_date(moment)} {format_time(moment)}"


def format_stamp(wall: float, today: float) -> str:
    """A time stamp for a list that is mostly about today (the timeline, `--watch`): the time of day alone when
    `wall` falls on the same local day as `today`, else the date and the time, so an entry from 00:00:02
    never reads as if it came before one from 23:59:52 of the day before."""
    moment = datetime.datetime.fromtimestamp(wall).astimezone()
    if moment.date() == datetime.datetime.fromtimestamp(today).date():
        return format_time(moment)
    return format_datetime(moment)


# --- which language ----------------------------------------------------------------------------------------


def normalise(value: str) -> str | None:
    """A language name as people write it ("de", "DE", "de_DE.UTF-8", "de-AT", "en_GB") -> "de"/"en"/"en-XA",
    or None when it names no language on offer."""
    text = value.strip()
    if text.lower().replace("_", "-") == PSEUDO.lower():
        return PSEUDO
    base = re.split(r"[-_.@]", text, maxsplit=1)[0].lower()
    return base if base in LANGUAGES else None


def parse_choice(value: str, where: str) -> str:
    """An explicit choice (--lang, IPC_HMI_LANG, config): raises LanguageError naming the languages on offer."""
    lang = normalise(value)
    if lang is None:
        shown = value if len(value) <= 40 and value.isprintable() else repr(value[:40])
        raise LanguageError(f"{where}: unknown language '{shown}'; available: {', '.join(LANGUAGES)}")
    return lang


def from_locale(environ: Mapping[str, str]) -> str | None:
    """The language of the system locale: the first of LC_ALL, LC_MESSAGES, LANG that is set decides
    (POSIX); "C"/"POSIX" and languages not on offer give None (English)."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            lang = normalise(value)
            return lang if lang != PSEUDO else None
    return None


def choose(
    *,
    flag: str | None,
    environ: Mapping[str, str],
    saved: str | None = None,
    config: str | None = None,
) -> tuple[str, str]:
    """(language, where it came from): --lang, then IPC_HMI_LANG, then the panel's saved choice, then the config
    file's `language`, then the system locale, then English. Raises LanguageError for a bad --lang or variable."""
    if flag is not None:
        return parse_choice(flag, "--lang"), "--lang"
    env = environ.get("IPC_HMI_LANG")
    if env:
        return parse_choice(env, "IPC_HMI_LANG"), "IPC_HMI_LANG"
    if saved is not None:
        return saved, "panel"
    if config is not None:
        return config, "config"
    system = from_locale(environ)
    if system is not None:
        return system, "locale"
    return SOURCE, "default"


# --- the process's choice -------------------------------------------------------------------------------------

_flag: str | None = None  # --lang as given on the command line, kept for `settle`


def start(flag: str | None, environ: Mapping[str, str]) -> str | None:
    """At start-up, before any text: --lang, IPC_HMI_LANG or the locale. Raises LanguageError for a bad value;
    returns a warning when the catalogue cannot be loaded (English then)."""
    global _flag
    lang, _source = choose(flag=flag, environ=environ)
    _flag = flag
    return set_language(lang) if lang != _language else None


def settle(environ: Mapping[str, str], *, saved: str | None = None, config: str | None = None) -> str | None:
    """Once the config file (and the panel's saved choice) are known: the language by the whole order."""
    lang, _source = choose(flag=_flag, environ=environ, saved=saved, config=config)
    return set_language(lang) if lang != _language else None


# --- the panel's saved choice ---------------------------------------------------------------------------------

PANEL_FILE = "panel.json"  # in the console's data folder, beside the audit trail


def read_saved(folder: Path) -> tuple[str | None, str | None]:
    """(language chosen on this console's panel, or None; a notice when the file is there but unusable).
    A bad file is ignored, never fatal: the next choice on the panel writes a good one."""
    import json

    path = folder / PANEL_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"notice: {path} cannot be read ({exc.strerror or exc}); the panel's language choice is ignored."
    try:
        data = json.loads(raw.decode("utf-8"))
        lang = normalise(data["language"]) if isinstance(data, dict) and isinstance(data.get("language"), str) else None
    except (ValueError, UnicodeDecodeError):
        lang = None
    if lang is None or lang == PSEUDO:
        return None, f"notice: {path} is not a valid panel settings file; the panel's language choice is ignored."
    return lang, None


def save_choice(folder: Path, lang: str) -> None:
    """Writes the panel's choice atomically (a crash leaves the old file or the new one, never half of one).
    Raises OSError; slow disks: call it off the GUI thread."""
    from hmi.core.atomic import write_json

    write_json(folder / PANEL_FILE, {"language": lang}, prefix=".panel-")
