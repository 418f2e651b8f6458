"""Small widgets the console is built from.

- `ElideLabel`: one line, long values shortened in the middle on screen; the label's text stays the
  full value, so screen readers and test robots hear all of it, and the tooltip shows it.
- `WrapLabel`: wraps at word boundaries, and inside a word when one word is wider than the line
  (a 120-character version id never pushes the window wider and is never cut).
- `ElideButton`: a button whose caption names a value that can be long ("Install <version id>").
- `HoldButton`: confirms only after a press-and-hold (touch, mouse, or Space/Enter held), with a
  visible fill. A plain click, an accessibility "press" action or a bounce never confirms.
- `NotesView`: update notes as Markdown through Qt's own renderer, inert: no resource is ever
  loaded, links are not followed, raw HTML shows as text, megabyte notes are cut for display.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QElapsedTimer,
    QEvent,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
    QTextDocument,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QLabel,
    QPushButton,
    QScroller,
    QSizePolicy,
    QTextBrowser,
    QWidget,
)

from hmi.core.i18n import _
from hmi.ui import icons, theme


def _escape(text: str) -> str:
    """html.escape(text), without importing the html package (its entity table costs start-up time)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


# Notes are kept in full in the model; the screen renders at most this much of them.
NOTES_RENDER_LIMIT = 50_000  # measured: 200 kB of list items took 320 ms to lay out, 50 kB about 35 ms
HEADING_SIZE = {1: 2, 2: 1}  # Qt's size steps over the body size: 2 = x-large, 1 = large, 0 = body


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` literally: Qt would otherwise read '<b>…' in a version id as HTML."""
    return f"<p>{_escape(text)}</p>" if text else ""


class ElideLabel(QLabel):
    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle
    ) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        self.updateGeometry()
        self._sync_tooltip()

    def sizeHint(self) -> QSize:
        m = self.contentsMargins()
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self.text()) + m.left() + m.right() + 2, fm.height() + m.top() + m.bottom())

    def minimumSizeHint(self) -> QSize:
        m = self.contentsMargins()
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance("MMM…") + m.left() + m.right(), fm.height() + m.top() + m.bottom())

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def displayed_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), self._mode, self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        align = self.alignment() | Qt.AlignmentFlag.AlignVCenter
        self.style().drawItemText(
            painter, self.contentsRect(), align, self.palette(), self.isEnabled(), self.displayed_text(),
            self.foregroundRole(),
        )  # fmt: skip

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._sync_tooltip()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        self._sync_tooltip()

    def _sync_tooltip(self) -> None:
        self.setToolTip(plain_tooltip(self.text()) if self.is_elided() else "")


class WrapLabel(QLabel):
    """Wraps; with `max_lines`, the last line ends in "…" and the tooltip holds the whole text. Squeezed by its
    layout below the height its lines need, it shows the lines that fit whole, the last one ending in "…",
    never a line cut through the middle."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, max_lines: int | None = None) -> None:
        super().__init__(parent)
        self._max_lines = max_lines
        self._elided = False
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        # Layouts by (text, width, font, line limit): max_lines, or fewer when the layout squeezes the label.
        self._cache: dict[tuple[str, int, str, int | None], tuple[tuple[QTextLayout, int], bool]] = {}
        self.setText(text)

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        self._geometry_changed()
        self.update()
        self._sync_tooltip()

    def _geometry_changed(self) -> None:
        # Qt caches height-for-width per layout item; a container widget between this label and the
        # layout that places it would keep its old height unless every level is told.
        widget: QWidget | None = self
        while widget is not None and not widget.isWindow():
            widget.updateGeometry()
            widget = widget.parentWidget()

    def set_max_lines(self, max_lines: int | None) -> None:
        if max_lines != self._max_lines:
            self._max_lines = max_lines
            self._cache.clear()
            self._geometry_changed()
            self.update()
            self._sync_tooltip()

    def is_elided(self) -> bool:
        """True when the text needs more than `max_lines` lines at the current width, or more lines than fit
        the current height."""
        rect = self.contentsRect()
        self._layout(rect.width(), rect.height())
        return self._elided

    def _lay(self, text: str, width: int) -> tuple[QTextLayout, int]:
        option = QTextOption(self.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout = QTextLayout(text, self.font())
        layout.setTextOption(option)
        layout.beginLayout()
        y = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height()
        layout.endLayout()
        return layout, int(y + 0.999)

    def _layout(self, width: int, height: int | None = None) -> tuple[QTextLayout, int]:
        """The text laid out at `width`, cut after `max_lines` lines and, with `height` (painting), after the
        last line that fits it whole (at least one). An unsqueezed label paints the layout its height was
        measured with."""
        width = max(1, width)
        result, elided = self._cut(width, self._max_lines)
        if height is not None and result[1] > height:
            layout = result[0]
            fit = sum(1 for i in range(layout.lineCount()) if layout.lineAt(i).rect().bottom() <= height + 0.5)
            result, elided = self._cut(width, max(1, fit))
        self._elided = elided
        return result

    def _cut(self, width: int, limit: int | None) -> tuple[tuple[QTextLayout, int], bool]:
        """The text at `width` in at most `limit` lines, the last ending in "…" when text is left out; and
        whether it is. Cached by text, width, font and limit."""
        key = (self.text(), width, self.font().key(), limit)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        text = self.text()
        result = self._lay(text, width)
        elided = False
        if limit and result[0].lineCount() > limit:
            start = result[0].lineAt(limit - 1).textStart()
            last = QFontMetrics(self.font()).elidedText(text[start:], Qt.TextElideMode.ElideRight, width)
            result = self._lay(text[:start] + last, width)
            elided = True
        if len(self._cache) >= 8:
            self._cache.clear()
        self._cache[key] = (result, elided)
        return result, elided

    def _sync_tooltip(self) -> None:
        elided = self.is_elided()
        if self._max_lines or elided or self.toolTip():
            self.setToolTip(plain_tooltip(self.text()) if elided else "")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._sync_tooltip()

    def _margins(self) -> tuple[int, int]:
        m = self.contentsMargins()
        return m.left() + m.right(), m.top() + m.bottom()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        mx, my = self._margins()
        return max(self.fontMetrics().height(), self._layout(width - mx)[1]) + my

    def text_height(self) -> int:
        """Height the text needs at the current width (a test compares it with the real height)."""
        return self.heightForWidth(self.width())

    def sizeHint(self) -> QSize:
        mx, _my = self._margins()
        natural = self.fontMetrics().horizontalAdvance(self.text()) + 2
        width = min(natural, 560) + mx
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        mx, my = self._margins()
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance("MMMM") + mx, fm.height() + my)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        layout, height = self._layout(rect.width(), rect.height())
        top = rect.top()
        if self.alignment() & Qt.AlignmentFlag.AlignVCenter and rect.height() > height:
            top += (rect.height() - height) // 2
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        layout.draw(painter, QPointF(rect.left(), top))


class ElideButton(QPushButton):
    """A button whose caption can be long; the accessible name and tooltip keep it whole."""

    _PADDING = 48  # stylesheet padding and border, both sides
    _SHRINK = 0.8  # a caption that does not fit first gets a font down to 80 % of the stylesheet's, then is elided

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._keep = self._keep_end = 0
        self._base_px = 0  # the stylesheet's font size, measured while no size of our own is set
        self._fitting = False
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str, *, keep: int = 0, keep_end: int = 0) -> None:
        """`keep`, `keep_end`: how many leading and trailing characters are never elided (the words around the
        version id: "Install <id>", "<id> installieren"); only what lies between is shortened."""
        keep_end = max(0, min(keep_end, len(text) - keep))
        if text == self._full and (keep, keep_end) == (self._keep, self._keep_end):
            return
        self._full, self._keep, self._keep_end = text, keep, keep_end
        self.setAccessibleName(text)
        self.updateGeometry()
        self._apply()

    def _fitted_metrics(self, room: int) -> QFontMetrics:
        """The metrics of the largest font, from the stylesheet's size down to 80 % of it, in which the whole
        caption fits `room` (the smallest when none does): a longer language shrinks the words a little
        before any of them is cut ("Update installieren" at 800x480)."""
        if not self.styleSheet():
            self._base_px = self.font().pixelSize()
        base = self._base_px
        if base <= 0:
            return self.fontMetrics()
        font = QFont(self.font())
        size, floor = base, max(12, int(base * self._SHRINK))
        while True:
            font.setPixelSize(size)
            if size <= floor or QFontMetrics(font).horizontalAdvance(self._full) <= room:
                break
            size -= 1
        wanted = "" if size == base else f"font-size: {size}px;"
        if self.styleSheet() != wanted and not self._fitting:
            self._fitting = True  # setStyleSheet re-polishes and sends a StyleChange, which calls _apply again
            try:
                self.setStyleSheet(wanted)
            finally:
                self._fitting = False
        return QFontMetrics(font)

    def _apply(self) -> None:
        self.ensurePolished()
        room = max(10, self.width() - self._PADDING)
        fm = self._fitted_metrics(room)
        end = len(self._full) - self._keep_end
        head, middle, tail = self._full[: self._keep], self._full[self._keep : end], self._full[end:]
        if fm.horizontalAdvance(self._full) <= room or not (head or tail):
            shown = fm.elidedText(self._full, Qt.TextElideMode.ElideMiddle, room)
        else:
            left = max(10, room - fm.horizontalAdvance(head) - fm.horizontalAdvance(tail))
            shown = head + fm.elidedText(middle, Qt.TextElideMode.ElideMiddle, left) + tail
        super().setText(shown.replace("&", "&&"))  # '&' in a version id is not a keyboard mnemonic
        self.setToolTip(plain_tooltip(self._full) if shown != self._full else "")

    def is_elided(self) -> bool:
        return self.text().replace("&&", "&") != self._full

    def sizeHint(self) -> QSize:
        self.ensurePolished()
        base = super().sizeHint()
        width = min(self.fontMetrics().horizontalAdvance(self._full) + self._PADDING + 8, 560)
        return QSize(max(width, 240), max(base.height(), theme.PRIMARY_PX))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, theme.PRIMARY_PX)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self._full and not self._fitting:
            self._apply()


class HoldButton(QPushButton):
    """Confirms after being held for `hold_seconds`; releasing, sliding off or losing focus early cancels."""

    held = Signal()
    progressChanged = Signal(float)

    _KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)

    def __init__(self, text: str, parent: QWidget | None = None, *, hold_seconds: float = 1.5) -> None:
        super().__init__(text, parent)
        self.hold_seconds = hold_seconds
        self._progress = 0.0
        self._fired = False
        self._elapsed = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.setInterval(16)
        self._tick.timeout.connect(self._advance)
        self.setAutoDefault(False)
        self.setMinimumHeight(theme.PRIMARY_PX)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    @property
    def progress(self) -> float:
        return self._progress

    def holding(self) -> bool:
        return self._tick.isActive()

    def rearm(self) -> None:
        self._stop()
        self._fired = False

    # -- input -------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._start()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.holding() and not self.rect().contains(event.position().toPoint()):
            self._stop()  # sliding off the button is the natural way to change one's mind
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._stop()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in self._KEYS:
            if not event.isAutoRepeat():
                self._start()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() in self._KEYS:
            if not event.isAutoRepeat():
                self._stop()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._stop()
        super().focusOutEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._stop()
        super().hideEvent(event)

    # -- hold --------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._fired or not self.isEnabled() or self.holding():
            return
        self._elapsed.start()
        self._tick.start()
        self._set_progress(0.0)

    def _stop(self) -> None:
        if self._tick.isActive():
            self._tick.stop()
        if not self._fired:
            self._set_progress(0.0)

    def _advance(self) -> None:
        fraction = min(1.0, self._elapsed.elapsed() / 1000.0 / max(0.01, self.hold_seconds))
        self._set_progress(fraction)
        if fraction >= 1.0 and not self._fired:
            self._fired = True  # once per sheet: a long hold or a second hold never sends twice
            self._tick.stop()
            self.held.emit()

    def _set_progress(self, value: float) -> None:
        if value != self._progress:
            self._progress = value
            self.progressChanged.emit(value)
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.rect().adjusted(1, 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(r, 8, 8)
        enabled = self.isEnabled()
        painter.fillPath(path, QColor(theme.ACCENT_TINT if enabled else theme.DISABLED_BG))
        fill = QRect(r)
        fill.setWidth(int(r.width() * self._progress))
        painter.save()
        painter.setClipRect(fill)
        painter.fillPath(path, QColor(theme.ACCENT))
        painter.restore()
        pen_colour = QColor(theme.TEXT if self.hasFocus() else theme.ACCENT)
        pen = painter.pen()
        pen.setColor(pen_colour if enabled else QColor(theme.BORDER))
        pen.setWidth(4 if self.hasFocus() else 2)
        if not enabled:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawPath(path)
        # The caption is drawn twice, clipped: white over the fill, dark over the rest (contrast ≥ 7:1).
        font = self.font()
        font.setBold(True)
        painter.setFont(font)
        text_rect = r.adjusted(12, 0, -12, 0)
        caption = QFontMetrics(font).elidedText(self.text(), Qt.TextElideMode.ElideRight, text_rect.width())
        for clip, colour in (
            (fill, theme.WHITE),
            (QRect(fill.right() + 1, r.top(), r.width(), r.height()), theme.TEXT),
        ):
            painter.save()
            painter.setClipRect(clip)
            painter.setPen(QColor(colour if enabled else theme.DISABLED_TEXT))
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, caption)
            painter.restore()

    def sizeHint(self) -> QSize:
        font = self.font()
        font.setBold(True)
        return QSize(QFontMetrics(font).horizontalAdvance(self.text()) + 48, theme.PRIMARY_PX)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


def bounded_markdown(notes: str, limit: int = NOTES_RENDER_LIMIT) -> tuple[str, bool]:
    """At most `limit` characters of `notes`, cut at a line end, with a line saying so."""
    if len(notes) <= limit:
        return notes, False
    cut = notes.rfind("\n", 0, limit)
    head = notes[: cut if cut > limit // 2 else limit]
    note = _("Notes truncated for display: showing the first {shown} kB of {total} kB.").format(
        shown=len(head.encode("utf-8", "replace")) // 1024, total=len(notes.encode("utf-8", "replace")) // 1024
    )
    return f"{head}\n\n---\n\n*{note}*\n", True


_PLACEHOLDER: list[QImage] = []


def _placeholder_image() -> QImage:
    """A small grey box with a cross: 'an image was here and was not loaded'."""
    if not _PLACEHOLDER:
        image = QImage(24, 24, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(theme.DISABLED_BG))
        painter = QPainter(image)
        painter.setPen(QColor(theme.TEXT_MUTED))
        painter.drawRect(0, 0, 23, 23)
        painter.drawLine(4, 4, 19, 19)
        painter.drawLine(19, 4, 4, 19)
        painter.end()
        _PLACEHOLDER.append(image)
    return _PLACEHOLDER[0]


def grab_touch_scroll(area: QAbstractScrollArea, *, drag: bool = False) -> None:
    """Kinetic scrolling of `area` by touch, and with `drag` by mouse drag (kiosk panels that send
    touches as mouse events).

    The first `viewport()` call of a process costs about 15 ms and 1 MB: PySide resolves the type of
    the C++ viewport by loading every QWidget subclass it has not loaded yet (60 enum types).
    """
    viewport = area.viewport()
    QScroller.grabGesture(viewport, QScroller.ScrollerGestureType.TouchGesture)
    if drag:
        QScroller.grabGesture(viewport, QScroller.ScrollerGestureType.LeftMouseButtonGesture)


class NotesView(QTextBrowser):
    """Update notes, inert. `blocked` lists every resource URL the document asked for (none is loaded)."""

    MARKDOWN = QTextDocument.MarkdownFeature.MarkdownNoHTML | QTextDocument.MarkdownFeature.MarkdownDialectGitHub

    def __init__(self, parent: QWidget | None = None, *, drag_scroll: bool = False, touch_scroll: bool = True) -> None:
        """`touch_scroll=False` leaves the gestures to a later `enable_touch_scroll()` (see ConsoleWindow)."""
        super().__init__(parent)
        self._drag_scroll = drag_scroll
        self._touch_scroll = False
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.document().setDocumentMargin(12)
        self.blocked: list[str] = []
        self.truncated = False
        self.placeholder_shown = ""
        self._shown: tuple[str | None, str] | None = None
        if touch_scroll:
            self.enable_touch_scroll()
        self.highlighted.connect(self._show_link)

    def enable_touch_scroll(self) -> None:
        """Scrolling by touch (and by mouse drag on kiosk panels). Idempotent."""
        if self._touch_scroll:
            return
        self._touch_scroll = True
        grab_touch_scroll(self, drag=self._drag_scroll)

    def loadResource(self, kind: int, url: QUrl | str) -> QImage:
        # Nothing is ever fetched: not remote images, not local files, not data: or qrc URLs. Returning
        # None is not enough: QTextDocument then reads local files itself. A placeholder is returned.
        name = url.toString() if isinstance(url, QUrl) else url
        if len(self.blocked) < 100 and name not in self.blocked:
            self.blocked.append(name)
        return _placeholder_image()

    def set_notes(self, notes: str | None, placeholder: str) -> None:
        key = (notes, placeholder)
        if key == self._shown:
            return
        self._shown = key
        self.truncated = False
        if not notes or not notes.strip():
            # Our own sentence, in muted grey; Qt's placeholder text would not wrap on a small panel.
            self.setHtml(f'<p style="color:{theme.TEXT_MUTED}">{_escape(placeholder)}</p>' if placeholder else "")
            self.placeholder_shown = placeholder
            return
        from PySide6.QtGui import QTextCursor  # not needed (nor its enum types built) before there are notes

        self.placeholder_shown = ""
        text, self.truncated = bounded_markdown(notes)
        self.document().setMarkdown(text, self.MARKDOWN)
        self._tame_headings()
        self.moveCursor(QTextCursor.MoveOperation.Start)  # new notes are read from the top
        self.verticalScrollBar().setValue(0)

    def _tame_headings(self) -> None:
        # Markdown's default heading sizes would outshout the state headline; keep them modest.
        from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextFormat

        doc = self.document()
        block = doc.begin()
        while block.isValid():
            level = block.blockFormat().headingLevel()
            if level:
                cursor = QTextCursor(block)
                cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
                char = QTextCharFormat()
                char.setProperty(QTextFormat.Property.FontSizeAdjustment, HEADING_SIZE.get(level, 0))
                cursor.mergeCharFormat(char)
                fmt = block.blockFormat()
                fmt.setTopMargin(12 if block != doc.begin() else 0)
                fmt.setBottomMargin(4)
                cursor.setBlockFormat(fmt)
            block = block.next()

    def _show_link(self, url: QUrl) -> None:
        # Links are never opened on a tap; hovering (mouse) shows where one would lead.
        self.setToolTip(
            plain_tooltip(_("Links are not opened here: {url}").format(url=url.toString()))
            if url.isValid() and not url.isEmpty()
            else ""
        )


class IconLabel(QLabel):
    """A state icon, re-rendered when the device-pixel ratio changes (moving between screens)."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._name = ""
        self._rendered: tuple[str, float] | None = None  # (name, device-pixel ratio) of the pixmap shown
        self.setFixedSize(size, size)
        self.setAccessibleName("")

    def set_icon(self, name: str) -> None:
        """Shows icon `name`; it is rendered when the label is (or becomes) visible, at the screen's ratio."""
        self._name = name
        if self.isVisible():
            self._render()

    def _render(self) -> None:
        dpr = self.devicePixelRatioF()
        if not self._name or (self._name, dpr) == self._rendered:
            return
        self._rendered = (self._name, dpr)
        self.setPixmap(icons.pixmap(self._name, self._size, dpr))

    def icon_name(self) -> str:
        return self._name

    def showEvent(self, event: QShowEvent) -> None:
        self._render()  # before the first paint; hidden icons (a closed sheet, the drawer) are never rendered
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self._name and self.isVisible():
            self._render()  # a new device-pixel ratio (moved to another screen) renders it again
