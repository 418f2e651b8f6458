"""Switching the console's language at run time: Qt's own texts, and every text already on screen.

`retranslate(window, old)` walks the window's widgets once and gives each text the new language: a text
equal to a translation in the old language becomes the same message in the new one, and a text that is a
formatted message ("Install {v}") is matched against the old translation's pattern and rebuilt in the new
one with the same values. Then the window re-renders from its current state, so everything that depends on
the state is written afresh. Widgets keep their state: an open confirmation keeps its version, its timer
and its hold progress, because nothing is rebuilt, only texts are set.

Why a walk and not a `retranslate()` per widget: the texts live where they are used (one `_()` call each),
so no second list of them can drift; the pseudo-locale test (tests/ui/test_i18n_layout.py) switches a full
window to `en-XA` and fails on any visible text left without markers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator
from PySide6.QtWidgets import QAbstractButton, QLabel, QTabWidget, QWidget

from hmi.core import i18n
from hmi.core.retext import index_for_current_language, translator_between

_qt_translator: QTranslator | None = None


def load_qt_translations(lang: str) -> bool:
    """Qt's own texts (qtbase_de.qm from the PySide6 wheel) in `lang`; English needs none. True when loaded."""
    global _qt_translator
    app = QCoreApplication.instance()
    if app is None:
        return False
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if lang not in i18n.LANGUAGES or lang == i18n.SOURCE:
        return False
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(f"qtbase_{lang}", folder):
        return False
    app.installTranslator(translator)
    _qt_translator = translator
    return True


@lru_cache(maxsize=1)
def retranslate_widgets(root: QWidget, convert: Callable[[str], str]) -> int:
    """Every text of `root` and its children through `convert`; returns how many changed."""
    changed = 0

    def apply(getter: Callable[[], str], setter: Callable[[str], object]) -> None:
        nonlocal changed
        text = getter()
        if text:
            new = convert(text)
            if new != text:
                setter(new)
                changed += 1

    from hmi.ui.widgets import ElideButton

    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, ElideButton):
            apply(widget.full_text, widget.set_full_text)
        elif isinstance(widget, (QAbstractButton, QLabel)):
            apply(widget.text, widget.setText)
        if isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                apply(partial(widget.tabText, i), partial(widget.setTabText, i))
                apply(partial(widget.tabToolTip, i), partial(widget.setTabToolTip, i))
        apply(widget.toolTip, widget.setToolTip)
        apply(widget.accessibleName, widget.setAccessibleName)
        apply(widget.accessibleDescription, widget.setAccessibleDescription)
        if widget.isWindow():  # "IPC Update Console — DEMO — simulated IPC": two messages joined by a dash
            head, sep, tail = widget.windowTitle().partition(" — ")
            title = convert(head) + sep + convert(tail) if sep else convert(head)
            if title != widget.windowTitle():
                widget.setWindowTitle(title)
                changed += 1
    return changed


def switch(window: QWidget, lang: str, *, rerender: Callable[[], object] | None = None) -> str | None:
    """Switches the whole console to `lang` now; returns a warning when its catalogue could not be loaded."""
    old = index_for_current_language()
    warning = i18n.set_language(lang)
    load_qt_translations(i18n.language())
    convert = translator_between(old)
    retranslate_widgets(window, convert)
    for holder in [window, *window.findChildren(QWidget)]:  # lists whose rows are not widgets (the timeline)
        hook = getattr(holder, "retranslate_items", None)
        if callable(hook):
            hook(convert)
    if rerender is not None:
        rerender()
    return warning


def wire(window: QWidget, status_bar: object, data_dir: object, rerender: Callable[[], object]) -> None:
    """The status bar's language button switches the console and saves the choice in `data_dir` (off the GUI
    thread; a failed save is a notice on stderr, the switch stands)."""
    import asyncio
    import sys
    from pathlib import Path

    def on_request(lang: str) -> None:
        warning = switch(window, lang, rerender=rerender)
        status_bar.show_language()  # type: ignore[attr-defined]
        if warning:
            print(f"ipc-hmi: {warning}", file=sys.stderr)
        folder = Path(str(data_dir))

        def save() -> None:
            try:
                i18n.save_choice(folder, i18n.language())
            except OSError as exc:
                print(f"ipc-hmi: notice: the language choice was not saved in {folder}: {exc}", file=sys.stderr)

        try:
            asyncio.get_running_loop().run_in_executor(None, save)
        except RuntimeError:  # no loop running (tests that drive the window directly)
            save()

    status_bar.languageRequested.connect(on_request)  # type: ignore[attr-defined]


def rerender_console(window: QWidget) -> None:
    """After a switch: the console draws its current state again, and an open history fills its table again
    (table cells are not widgets the walk reaches; the records are already loaded, nothing is read)."""
    window._render()  # type: ignore[attr-defined]
    history = getattr(window, "_history_sheet", None)  # only if built: one built later is in the new language
    view = getattr(history, "view", None)
    if view is not None:
        view._apply_columns()
        view._fill()
