"""Texts of one language back to their message, and into another language (Qt-free).

A text on screen or in a record is a message of the catalogue, possibly formatted ("Install {v}"). `_Index`
knows every text of one language: exact texts, and a pattern per formatted one. `translator_between(old)`
turns a text of the old language into the language now set (hmi.ui.language uses it for the run-time switch
of the panel); `to_source(text)` turns a text of the language now set into English, the source, which is how
the audit trail keeps its values English whatever the operator's screen showed (hmi.core.audit).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from hmi.core import i18n

# Placeholders whose value is itself a translated sentence ("{reason} Nothing was sent."): translated too.
_NESTED = {
    "reason",
    "why",
    "sentence",
    "words",
    "p",
    "title",
    "conn",
    "locked",
    "e",
    "message",
    "err",
    "expected",
    "what",
    "problem",
    "allowed",
}
_FIELD = re.compile(r"\{([A-Za-z_]\w*)(?:[:!][^{}]*)?\}")


def _messages() -> tuple[tuple[str, str | None], ...]:
    """Every message as (msgid, msgid_plural or None), from the English catalogue (identity translations,
    compiled by `make i18n` so the plural source texts are known at run time)."""
    try:
        catalog = i18n.load_catalogue_file(i18n.SOURCE)
    except OSError:
        return ()
    table: dict[object, str] = getattr(catalog, "_catalog", {})
    out: dict[str, str | None] = {}
    for key in table:
        if isinstance(key, tuple):
            out[str(key[0])] = table.get((key[0], 1), str(key[0]))
        elif isinstance(key, str) and key and key not in out:
            out[key] = None
    return tuple(out.items())


def _forms(msgid: str, plural: str | None) -> list[str]:
    """The texts `msgid` has in the current language (both plural forms)."""
    if plural is None:
        return [i18n._(msgid)]
    return [i18n.ngettext(msgid, plural, 1), i18n.ngettext(msgid, plural, 2)]


class _Index:
    """Texts of one language -> their message: exact texts, and patterns for the formatted ones."""

    def __init__(self, forms: Callable[[str, str | None], list[str]] | None = None) -> None:
        self.exact: dict[str, tuple[str, str | None, int]] = {}
        patterns: list[tuple[int, re.Pattern[str], str, str | None, int]] = []
        for msgid, plural in _messages():
            for form_index, text in enumerate((forms or _forms)(msgid, plural)):
                if not _FIELD.search(text):
                    self.exact.setdefault(text, (msgid, plural, form_index))
                    continue
                parts = _FIELD.split(text)  # literal, name, literal, name, …
                literal = "".join(parts[0::2])
                if not literal.strip():
                    continue  # "{n} s"-like texts with almost no words would match anything
                regex = "".join(
                    re.escape(part) if i % 2 == 0 else (f"(?P={part})" if part in parts[1:i:2] else f"(?P<{part}>.*?)")
                    for i, part in enumerate(parts)
                )
                patterns.append((len(literal), re.compile(regex, re.DOTALL), msgid, plural, form_index))
        patterns.sort(key=lambda p: -p[0])  # the most specific first
        self.patterns = patterns


def _new_text(msgid: str, plural: str | None, form: int) -> str:
    if plural is None:
        return i18n._(msgid)
    return i18n.ngettext(msgid, plural, 1 if form == 0 else 2)


def _fill(template: str, values: dict[str, str]) -> str:
    """`template` with each {name[:spec]} replaced by the text it had on screen (already formatted)."""

    def one(m: re.Match[str]) -> str:
        return values.get(m.group(1), m.group(0))

    return _FIELD.sub(one, template)


def translator_between(
    old: _Index, new_text: Callable[[str, str | None, int], str] | None = None
) -> Callable[[str], str]:
    """A function turning a text of the old language into the current one (unchanged when not a message);
    `new_text` picks the new text of a message (default: the language now set)."""
    make = new_text or _new_text

    def convert(text: str, depth: int = 0) -> str:
        if not text or depth > 3:
            return text
        hit = old.exact.get(text)
        if hit is not None:
            return make(*hit)
        for _length, pattern, msgid, plural, form in old.patterns:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            values = {
                k: convert(v, depth + 1) if k in _NESTED else v for k, v in match.groupdict().items() if v is not None
            }
            return _fill(make(msgid, plural, form), values)
        return text

    return convert


def index_for_current_language() -> _Index:
    return _Index()


def _source_text(msgid: str, plural: str | None, form: int) -> str:
    return msgid if plural is None or form == 0 else plural


_source_indexes: dict[str, _Index] = {}
_source_lock = threading.Lock()


def to_source(text: str) -> str:
    """`text`, a text in the language now set, in English: each message it is made of becomes its source text,
    values (version ids, addresses, an IPC's own words) stay as they are. English text comes back unchanged.
    The index of a language is built once (some ms) at its first use; call from a worker thread."""
    lang = i18n.language()
    if lang == i18n.SOURCE or not text:
        return text
    return _by_sentence(translator_between(_index_of(lang), _source_text), text)


def from_source(text: str) -> str:
    """The reverse of `to_source`: an English text (a stored audit message) in the language now set."""
    if i18n.language() == i18n.SOURCE or not text:
        return text
    return _by_sentence(translator_between(_index_of(i18n.SOURCE)), text)


def _source_forms(msgid: str, plural: str | None) -> list[str]:
    return [msgid] if plural is None else [msgid, plural]


def _index_of(lang: str) -> _Index:
    """The index of `lang`'s texts (built under that language; English from the source texts), cached."""
    with _source_lock:
        index = _source_indexes.get(lang)
        if index is None:
            index = _source_indexes[lang] = _Index(_source_forms if lang == i18n.SOURCE else None)
        return index


def _by_sentence(convert: Callable[[str], str], text: str) -> str:
    whole = convert(text)
    if whole != text:
        return whole
    # Sentences joined by the caller ("The IPC cannot be reached." + " " + "Nothing was sent."): one by one.
    parts = _SENTENCES.split(text)
    return " ".join(convert(part) for part in parts) if len(parts) > 1 else text


_SENTENCES = re.compile(r"(?<=[.!?])\s+")
