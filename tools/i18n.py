"""`make i18n`: extract every marked text from hmi/, update each .po catalogue, compile the .mo files.

    python tools/i18n.py            extract, update resources/locale/*/LC_MESSAGES/ipc-hmi.po, compile the .mo
    python tools/i18n.py --check    exit 1 when a .po or .mo is out of date or a text lacks a translation
    python tools/i18n.py --pot F    also write the template to F (to start a new language)

Uses Babel (a dev dependency): extraction and compilation run at make time, and the compiled .mo files are
committed, so an installed console needs only the standard library's gettext (docs/i18n.md). New texts land in
the .po with an empty translation; translate them (docs/glossary.md), then run `make i18n` again to compile.
Texts that disappeared from the source are dropped from the .po.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "resources" / "locale"
DOMAIN = "ipc-hmi"
SOURCE = "en"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extract():
    """A Babel catalogue of every `_`, `N_` and `ngettext` text under hmi/ (generated protobuf code skipped)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="ipc-hmi", charset="utf-8", fuzzy=False)
    method_map = [("pb/**", "ignore"), ("**.py", "python")]
    found = extract_from_dir(
        str(ROOT / "hmi"), method_map=method_map, keywords=KEYWORDS, comment_tags=("Translators:",),
        strip_comment_tags=True,
    )  # fmt: skip
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(f"hmi/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str):
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang, domain=DOMAIN)


def po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    # No line numbers: they change with every edit and would make every branch's catalogue conflict.
    write_po(out, catalog, width=100, include_lineno=False, ignore_obsolete=True, sort_by_file=False)
    return out.getvalue()


def mo_bytes(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def updated(lang: str, template):
    """The .po of `lang` merged with the fresh template (its header dates kept, so a re-run changes nothing)."""
    catalog = read(lang)
    template.creation_date = catalog.creation_date
    catalog.update(template, update_header_comment=False)
    if lang == SOURCE:  # the source language's catalogue: every text is its own translation
        for message in catalog:
            if message.id:
                message.string = message.id
                message.flags.discard("fuzzy")
                message.previous_id = []
    return catalog


def problems(lang: str, template) -> list[str]:
    """Texts in the source with no (or only a fuzzy) translation in `lang`, and translations whose
    placeholders differ from the source's (they would raise at run time)."""
    import re

    catalog = read(lang)
    out = []
    for message in template:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        entry = catalog.get(message.id)
        strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
        if entry is None or entry.fuzzy or not all(strings) or not strings:
            out.append(f"{lang}: no translation for {ids[0]!r}")
            continue
        want = set(re.findall(r"\{[^{}]*\}", " ".join(ids)))
        for string in strings:
            if set(re.findall(r"\{[^{}]*\}", string)) != want:
                out.append(f"{lang}: placeholders of {ids[0]!r} differ in {string!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when something is out of date")
    parser.add_argument("--pot", type=Path, help="also write the extracted template here")
    args = parser.parse_args(argv)
    template = extract()
    if args.pot:
        args.pot.write_bytes(po_bytes(template))
    status = 0
    for lang in languages():
        catalog = updated(lang, template)
        po, mo = po_bytes(catalog), mo_bytes(catalog)
        mo_path = po_path(lang).with_suffix(".mo")
        if args.check:
            if po != po_path(lang).read_bytes() or not mo_path.is_file() or mo != mo_path.read_bytes():
                print(f"{lang}: out of date; run `make i18n`", file=sys.stderr)
                status = 1
        else:
            po_path(lang).write_bytes(po)
            # Compiled from the merged catalogue: untranslated and fuzzy texts fall back to English at run time.
            mo_path.write_bytes(mo)
        todo = problems(lang, template) if args.check else []
        missing = sum(1 for m in catalog if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple)
                                                                               else (m.string,))))  # fmt: skip
        for line in todo:
            print(line, file=sys.stderr)
        status = status or (1 if todo else 0)
        print(f"{lang}: {len([m for m in catalog if m.id])} texts, {missing} still to translate in {po_path(lang)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
