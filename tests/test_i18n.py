"""Catalogues: committed and up to date, every text translated, switching at run time, choosing the language."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hmi.core import i18n

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import i18n as tool  # noqa: E402  (tools/i18n.py: what `make i18n` runs)

FIX = "run `make i18n`, translate the new entries in resources/locale/{lang}/LC_MESSAGES/ipc-hmi.po (terms: docs/glossary.md), then run `make i18n` again and commit both files"  # noqa: E501


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


@pytest.fixture(scope="module")
def template():
    return tool.extract()


def test_compiled_catalogues_are_up_to_date(template):
    for lang in tool.languages():
        catalog = tool.updated(lang, template)
        po = tool.po_path(lang)
        assert tool.po_bytes(catalog) == po.read_bytes(), f"{po} is out of date: " + FIX.format(lang=lang)
        assert tool.mo_bytes(catalog) == po.with_suffix(".mo").read_bytes(), f"{po.with_suffix('.mo')} is stale: " + (
            FIX.format(lang=lang)
        )


def test_every_text_in_the_source_has_a_german_translation(template):
    assert "de" in tool.languages()
    problems = tool.problems("de", template)
    assert not problems, f"{len(problems)} text(s) need work; " + FIX.format(lang="de") + ":\n" + "\n".join(problems)


def test_the_check_names_a_new_untranslated_text(template):
    """The message a developer sees after adding a text without translating it."""
    template.add("A sentence nobody translated yet.", None, [("hmi/x.py", 1)])
    problems = tool.problems("de", template)
    assert problems == ["de: no translation for 'A sentence nobody translated yet.'"]


def test_german_at_run_time_and_back():
    assert i18n._("Cancel") == "Cancel"
    assert i18n.set_language("de") is None
    assert i18n.language() == "de"
    assert i18n._("Cancel") == "Abbrechen"
    assert i18n._("Update available: waiting for approval") == "Update verfügbar: wartet auf Freigabe"
    assert i18n.ngettext("Wrong PIN, {n} try left", "Wrong PIN, {n} tries left", 1) == "Falsche PIN, noch {n} Versuch"
    assert i18n.ngettext("Wrong PIN, {n} try left", "Wrong PIN, {n} tries left", 3) == "Falsche PIN, noch {n} Versuche"
    i18n.set_language("en")
    assert i18n._("Cancel") == "Cancel"


def test_module_level_tables_follow_the_language_of_the_moment():
    """Tables built at import (error texts, gate reasons, outcome words) translate when read, not at import."""
    from hmi.core.errors import describe

    assert describe("UNAVAILABLE").operator == "The IPC cannot be reached."
    i18n.set_language("de")
    assert describe("UNAVAILABLE").operator == "Der IPC ist nicht erreichbar."
    assert describe("UNAVAILABLE") == describe("UNAVAILABLE")


@pytest.mark.parametrize("content", [b"", b"\xde\x12\x04\x95garbage", b"not a catalogue at all" * 10])
def test_a_broken_catalogue_falls_back_to_english_with_one_warning(tmp_path, content):
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "ipc-hmi.mo").write_bytes(content)
    warning = i18n.set_language("de", folder=tmp_path)
    assert warning is not None and "continuing in English" in warning and "\n" not in warning
    assert i18n.language() == "en"
    assert i18n._("Cancel") == "Cancel"


def test_a_missing_catalogue_falls_back_to_english(tmp_path):
    warning = i18n.set_language("de", folder=tmp_path)
    assert warning is not None and "German" in warning
    assert i18n._("Cancel") == "Cancel"


def test_listeners_hear_every_switch():
    heard: list[str] = []
    stop = i18n.on_change(heard.append)
    i18n.set_language("de")
    i18n.set_language("en")
    stop()
    i18n.set_language("de")
    assert heard == ["de", "en"]


@given(st.text(alphabet=st.sampled_from("abc XYZ.{}:n01"), max_size=60))
def test_pseudo_is_longer_marked_and_keeps_placeholders(text):
    out = i18n.pseudo(text)
    if not text:
        assert out == ""
        return
    assert out.startswith("⟦") and out.endswith("⟧")
    assert len(out) - 2 >= 1.4 * len(text) - 1
    placeholders = re.findall(r"\{[^{}]*\}", text)
    assert re.findall(r"\{[^{}]*\}", out) == placeholders


def test_pseudo_locale_formats_like_the_source():
    i18n.set_language(i18n.PSEUDO)
    text = i18n._("Install {v}").format(v="1.5.0")
    assert text.startswith("⟦") and "1.5.0" in text
    assert i18n.ngettext("{n} s", "{n} s", 2).format(n=2).startswith("⟦")


@pytest.mark.parametrize(
    ("value", "lang"),
    [("de", "de"), ("DE", "de"), ("de_DE.UTF-8", "de"), ("de-AT", "de"), ("en_GB.utf8", "en"), ("en-XA", "en-XA"),
     ("fr", None), ("", None), ("C", None), ("deutsch", None)],
)  # fmt: skip
def test_language_names_as_people_write_them(value, lang):
    assert i18n.normalise(value) == lang


def test_the_order_of_the_sources():
    env = {"IPC_HMI_LANG": "en", "LC_ALL": "de_DE.UTF-8"}
    assert i18n.choose(flag="de", environ=env, saved="en", config="en") == ("de", "--lang")
    assert i18n.choose(flag=None, environ=env, saved="de", config="de") == ("en", "IPC_HMI_LANG")
    env = {"LANG": "en_US.UTF-8"}
    assert i18n.choose(flag=None, environ=env, saved="de", config="en") == ("de", "panel")
    assert i18n.choose(flag=None, environ=env, config="de") == ("de", "config")
    assert i18n.choose(flag=None, environ={"LANG": "de_DE.UTF-8"}) == ("de", "locale")
    # POSIX: the first variable that is set decides, even when it names a language not on offer.
    assert i18n.choose(flag=None, environ={"LC_ALL": "fr_FR.UTF-8", "LANG": "de_DE.UTF-8"}) == ("en", "default")
    assert i18n.choose(flag=None, environ={"LC_MESSAGES": "de_CH.UTF-8", "LANG": "C"}) == ("de", "locale")
    assert i18n.choose(flag=None, environ={}) == ("en", "default")


@pytest.mark.parametrize(
    ("flag", "env", "where"), [("fr", {}, "--lang"), (None, {"IPC_HMI_LANG": "klingon"}, "IPC_HMI_LANG")]
)
def test_an_unknown_language_is_one_sentence_listing_the_choices(flag, env, where):
    with pytest.raises(i18n.LanguageError) as caught:
        i18n.choose(flag=flag, environ=env)
    message = str(caught.value)
    assert message.startswith(where + ":") and "available: de, en" in message and "\n" not in message


def test_lang_is_taken_from_any_position_and_stops_at_double_dash():
    from hmi.cli import _take_lang

    assert _take_lang(["report", "--lang", "de", "--json"]) == (["report", "--json"], "de")
    assert _take_lang(["--lang=en", "report"]) == (["report"], "en")
    assert _take_lang(["approve", "--", "--lang"]) == (["approve", "--", "--lang"], None)


def test_cli_unknown_lang_is_a_usage_error_listing_the_languages():
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from hmi.cli import main; sys.exit(main())", "report", "--lang", "fr"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == "ipc-hmi: error: --lang: unknown language 'fr'; available: de, en"


def test_config_file_language_is_checked_like_any_setting(tmp_path):
    from hmi.core.config import ConfigError, load_config

    good = tmp_path / "good.toml"
    good.write_text('language = "de"\n')
    assert load_config(None, {"IPC_HMI_CONFIG": str(good), "HOME": str(tmp_path)}).language == "de"
    bad = tmp_path / "bad.toml"
    bad.write_text('language = "fr"\n')
    with pytest.raises(ConfigError, match=r"language: unknown language 'fr'; available: de, en"):
        load_config(None, {"IPC_HMI_CONFIG": str(bad), "HOME": str(tmp_path)})


def test_config_language_ranks_below_the_variable_and_above_the_locale():
    i18n.start(None, {"LANG": "en_US.UTF-8"})
    assert i18n.settle({"LANG": "en_US.UTF-8"}, config="de") is None
    assert i18n.language() == "de"
    i18n.start(None, {"IPC_HMI_LANG": "en"})
    i18n.settle({"IPC_HMI_LANG": "en"}, config="de")
    assert i18n.language() == "en"
