"""The building blocks: labels that keep their value, the press-and-hold button, inert notes."""

from __future__ import annotations

import http.server
import threading
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest

from hmi.core.model import snapshot_from_proto
from hmi.ui import theme
from hmi.ui.widgets import ElideButton, ElideLabel, HoldButton, NotesView, WrapLabel, bounded_markdown

from .states import LONG_ID, info


@pytest.fixture(autouse=True)
def _app(qapp):
    from hmi.app import _prepare_app

    _prepare_app(qapp)


def accessible_name(widget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name) if iface is not None else ""


def test_elide_label_keeps_the_full_value_for_tooltips_and_assistive_tech(qtbot):
    label = ElideLabel(LONG_ID)
    qtbot.addWidget(label)
    label.setStyleSheet(f"font-size: {theme.VALUE_PX}px;")
    label.resize(200, 40)
    label.show()
    assert label.text() == LONG_ID
    assert label.is_elided()
    assert "…" in label.displayed_text()
    assert LONG_ID in label.toolTip()
    assert label.accessibleName() == ""  # unset: the value itself is what a screen reader hears
    assert LONG_ID in accessible_name(label)
    label.setText("1.5.0")
    assert not label.is_elided() and label.toolTip() == ""


def test_wrap_label_breaks_a_long_id_inside_the_word_instead_of_growing(qtbot):
    label = WrapLabel(LONG_ID)
    qtbot.addWidget(label)
    one_line = label.fontMetrics().height()
    assert label.minimumSizeHint().width() < 200
    assert label.heightForWidth(300) >= 3 * one_line
    assert label.heightForWidth(5000) < 2 * one_line


@settings(max_examples=40, deadline=None)
@given(words=st.integers(1, 60), height_lines=st.floats(0.2, 6.0), max_lines=st.sampled_from([None, 2, 4]))
def test_a_squeezed_wrap_label_shows_whole_lines_ending_in_an_ellipsis(qapp, words, height_lines, max_lines):
    """Whatever its layout gives it, a WrapLabel paints only lines that fit whole (at least one), the last one
    ending in "…" when text is left out, and then the tooltip holds the whole text."""
    text = " ".join(f"word{i}" for i in range(words))
    label = WrapLabel(text, max_lines=max_lines)  # qapp, not qtbot: hypothesis runs the body many times
    line = label.fontMetrics().height()
    label.resize(240, max(1, int(height_lines * line)))
    label.show()  # the resize reaches the label (and its tooltip) once it is shown
    label.deleteLater()
    rect = label.contentsRect()
    layout, _height = label._layout(rect.width(), rect.height())
    shown = "".join(
        text_of_line
        for i in range(layout.lineCount())
        for text_of_line in [
            layout.text()[layout.lineAt(i).textStart() : layout.lineAt(i).textStart() + layout.lineAt(i).textLength()]
        ]
    )
    if layout.lineCount() > 1:
        assert layout.lineAt(layout.lineCount() - 1).rect().bottom() <= rect.height() + 0.5
    whole = label._lay(text, rect.width())[0]  # the text unabridged
    step = whole.lineAt(0).height()
    room = max(1, int((rect.height() + 0.5) // step))  # whole lines that fit the height, at least one
    allowed = min(max_lines or whole.lineCount(), room if whole.lineCount() * step > rect.height() else 10**6)
    assert layout.lineCount() <= max(1, allowed)
    assert label.is_elided() == (whole.lineCount() > allowed)
    if label.is_elided():
        assert shown.rstrip().endswith("…") and label.toolTip()
    else:
        assert shown.replace("\u2028", "").strip() == text and not label.toolTip()


def test_version_ids_are_never_read_as_html_or_mnemonics(qtbot):
    hostile = "<img src='file:///etc/passwd'>&x<b>1.5</b>"
    label = ElideLabel(hostile)
    qtbot.addWidget(label)
    assert label.textFormat() == Qt.TextFormat.PlainText
    button = ElideButton("Install " + hostile)
    qtbot.addWidget(button)
    button.resize(2000, 80)
    assert button.text() == ("Install " + hostile).replace("&", "&&")  # '&' shown, not a shortcut
    assert button.accessibleName() == "Install " + hostile


@pytest.mark.parametrize("head, tail", [("Install ", ""), ("", " installieren"), ("⟦Íñstáll·· ", "⟧")])
def test_a_narrow_button_shortens_only_the_id_and_keeps_the_words_on_either_side(qtbot, head, tail):
    long_id = "2025.06.17-rc3+build.8c1f2e9a4b7d6e5f0a1b2c3d4e5f6a7b8c9d0e1f"
    button = ElideButton()
    qtbot.addWidget(button)
    button.resize(260, 72)
    button.set_full_text(head + long_id + tail, keep=len(head), keep_end=len(tail))
    shown = button.text()
    assert button.is_elided() and "…" in shown
    assert shown.startswith(head) and shown.endswith(tail)
    assert button.accessibleName() == head + long_id + tail


def test_hold_button_click_or_short_press_never_confirms(qtbot):
    button = HoldButton("Hold to install", hold_seconds=0.3)
    qtbot.addWidget(button)
    button.show()
    fired = []
    button.held.connect(lambda: fired.append(1))
    button.click()  # what an accessibility "press" action does
    button.animateClick()
    qtbot.wait(150)
    QTest.mousePress(button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    qtbot.wait(400)
    assert fired == []
    assert button.progress == 0.0


def test_hold_button_confirms_once_after_the_hold_with_visible_fill(qtbot):
    button = HoldButton("Hold to install", hold_seconds=0.3)
    qtbot.addWidget(button)
    button.show()
    fills = []
    button.progressChanged.connect(fills.append)
    with qtbot.waitSignal(button.held, timeout=3000):
        QTest.mousePress(button, Qt.MouseButton.LeftButton)
    assert any(0.0 < f < 1.0 for f in fills), "the fill must grow visibly while held"
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    second = []
    button.held.connect(lambda: second.append(1))
    QTest.mousePress(button, Qt.MouseButton.LeftButton)  # a second hold on the same sheet
    qtbot.wait(500)
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    assert second == []


def test_hold_button_keyboard_equivalent_is_holding_space(qtbot):
    button = HoldButton("Hold to install", hold_seconds=0.3)
    qtbot.addWidget(button)
    button.show()
    button.setFocus()
    with qtbot.waitSignal(button.held, timeout=3000):
        QTest.keyPress(button, Qt.Key.Key_Space)
    QTest.keyRelease(button, Qt.Key.Key_Space)


def test_hold_button_sliding_off_cancels(qtbot):
    button = HoldButton("Hold to install", hold_seconds=0.3)
    qtbot.addWidget(button)
    button.resize(300, 80)
    button.show()
    fired = []
    button.held.connect(lambda: fired.append(1))
    QTest.mousePress(button, Qt.MouseButton.LeftButton, pos=QPoint(150, 40))
    QTest.mouseMove(button, QPoint(600, 40))
    qtbot.wait(500)
    assert fired == [] and not button.holding()


@pytest.fixture
def notes(qtbot):
    view = NotesView()
    qtbot.addWidget(view)
    view.setStyleSheet(theme.stylesheet())
    view.resize(600, 400)
    view.show()
    return view


def test_html_in_notes_is_shown_as_text(notes):
    notes.set_notes("# Title\n\n<b>bold</b> <script>alert(1)</script>\n\n<img src='x.png'>", "")
    text = notes.toPlainText()
    assert "<b>bold</b>" in text
    assert "<script>alert(1)</script>" in text
    assert notes.blocked == []  # raw HTML <img> is text, so nothing is even asked for


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Counter.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_images_in_notes_are_never_loaded_remote_or_local(notes, qtbot, tmp_path):
    from PySide6.QtGui import QColor, QImage

    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        image = tmp_path / "secret.png"
        img = QImage(40, 40, QImage.Format.Format_RGB32)
        img.fill(QColor("red"))
        img.save(str(image))
        url = f"http://127.0.0.1:{server.server_port}/track.png"
        notes.set_notes(f"Remote ![r]({url})\n\nLocal ![l]({image.as_uri()}) and ![rel](secret.png)", "")
        notes.grab()  # lays out and paints: this is when Qt asks for images
        qtbot.wait(200)
        assert _Counter.hits == []
        assert url in notes.blocked
        assert image.as_uri() in notes.blocked
        # Nothing red was painted: the local image did not load.
        shot = notes.grab().toImage()
        pixels = [shot.pixelColor(x, y) for x in range(0, shot.width(), 4) for y in range(0, shot.height(), 4)]
        reds = sum(1 for c in pixels if c.red() > 200 and c.green() < 60)
        assert reds == 0
    finally:
        server.shutdown()


def test_links_in_notes_are_not_followed(notes, qtbot):
    notes.set_notes("Read the [release notes](https://example.com/evil) first.", "")
    cursor = notes.document().find("release notes")
    rect = notes.cursorRect(cursor)
    clicked = []
    notes.anchorClicked.connect(clicked.append)
    QTest.mouseClick(notes.viewport(), Qt.MouseButton.LeftButton, pos=rect.center() - QPoint(20, 0))
    qtbot.wait(50)
    assert notes.source().isEmpty()
    assert "Read the release notes first." in notes.toPlainText()
    assert notes.openLinks() is False and notes.openExternalLinks() is False


def test_megabyte_notes_render_a_bounded_prefix_and_say_so(notes):
    big = ("- a line of release notes that repeats\n" * 140_000)[: 5 * 1024 * 1024]
    snap = snapshot_from_proto(info(notes=big), received_at=0.0, received_wall=0.0)
    assert len(snap.available.notes) == len(big)  # the model keeps all of it
    notes.set_notes(snap.available.notes, "")
    assert notes.truncated
    assert notes.document().characterCount() < 60_000
    assert "Notes truncated for display" in notes.toPlainText()
    assert "5120 kB" in notes.toPlainText()


def test_control_characters_never_reach_the_screen(notes):
    raw = "Safe\x1b[31m red\x00 text \u202egnp.exe\u202c and \x07bell"
    snap = snapshot_from_proto(info(notes=raw), received_at=0.0, received_wall=0.0)
    notes.set_notes(snap.available.notes, "")
    text = notes.toPlainText()
    for ch in ("\x1b", "\x00", "\u202e", "\u202c", "\x07"):
        assert ch not in text


def test_bounded_markdown_cuts_at_a_line_end():
    text = "line\n" * 100
    head, cut = bounded_markdown(text, limit=52)
    assert cut and head.startswith("line\n" * 10) and "truncated" in head
    assert bounded_markdown("short", limit=52) == ("short", False)
