"""The console's look: a neutral grey high-performance HMI (ISA-101), colour only for attention.

Every text colour on every background the console uses is listed in `ROLES`, the
stylesheet is generated from it, and a test checks each pair for a WCAG contrast
of at least 7:1. Colours here are plain hex strings so this module imports no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from hmi.core.view import Severity

# Sizes in logical pixels (Qt scales them for the device-pixel ratio).
BODY_PX = 18  # body text: the floor for anything an operator reads
VALUE_PX = 22  # version ids and other values
DETAIL_PX = 20  # the headline's second line
TITLE_PX = 34  # the state headline
SHEET_TITLE_PX = 26
SHEET_ID_PX = 40  # the version id on the confirmation sheet: the largest text there, read from a metre
SHEET_ID_COMPACT_PX = 24  # on a small panel (800×480) a wrapped 120-character id must leave the notes room
TOUCH_PX = 48  # smallest touch target
LANGUAGE_PAD_PX = 8  # the language button's padding left and right (its text is a two-letter code)
BUTTON_FOCUS_PX = 3  # a focused push button's border
PRIMARY_PX = 72  # the Approve button and the sheet's buttons
ICON_PX = 56  # headline icon
SMALL_ICON_PX = 28
FONT_FAMILY = "DejaVu Sans"
MONO_FAMILY = "DejaVu Sans Mono"

# Neutral greys.
BG = "#D3D3D3"  # window
PANEL = "#E4E4E4"  # cards
PAPER = "#F2F2F2"  # notes, timeline, sheet
TEXT = "#111111"
TEXT_MUTED = "#333333"
BORDER = "#7A7A7A"
SCRIM = "#000000"  # behind the confirmation sheet, drawn at 55 % alpha
WHITE = "#FFFFFF"
DISABLED_BG = "#C4C4C4"
DISABLED_TEXT = "#2E2E2E"

# Attention colours, each with a light tint for backgrounds.
ACCENT = "#083F80"  # update offered, approval, progress
ACCENT_TINT = "#D6E4F5"
ALARM = "#8A0016"  # fault
ALARM_TINT = "#F5D5D5"
DEGRADED = "#5A3700"  # not live, unknown state
DEGRADED_TINT = "#F2E1B5"
DEGRADED_HATCH = "#E2C780"  # hatch lines over DEGRADED_TINT
DEMO = "#55197F"  # everything that belongs to the simulated IPC
DEMO_TINT = "#EADDF4"
SUCCESS = "#154A18"  # only as the icon/bar of a success notice, never for a whole area


@dataclass(frozen=True, slots=True)
class Tone:
    """How one severity looks: card background, accent bar and icon colour, hatch or not."""

    background: str
    accent: str
    hatch: bool = False


TONES: dict[Severity, Tone] = {
    Severity.NORMAL: Tone(PANEL, "#5A5A5A"),
    Severity.ATTENTION: Tone(ACCENT_TINT, ACCENT),
    Severity.ACTIVE: Tone(PANEL, ACCENT),
    Severity.ALARM: Tone(ALARM_TINT, ALARM),
    Severity.DEGRADED: Tone(DEGRADED_TINT, DEGRADED, hatch=True),
}

# Every (text, background) pair the console paints. The contrast test walks this list.
ROLES: dict[str, tuple[str, str]] = {
    "window": (TEXT, BG),
    "window-muted": (TEXT_MUTED, BG),
    "panel": (TEXT, PANEL),
    "panel-muted": (TEXT_MUTED, PANEL),
    "paper": (TEXT, PAPER),
    "paper-muted": (TEXT_MUTED, PAPER),
    "attention": (TEXT, ACCENT_TINT),
    "attention-muted": (TEXT_MUTED, ACCENT_TINT),
    "attention-strong": (ACCENT, ACCENT_TINT),
    "alarm": (TEXT, ALARM_TINT),
    "alarm-muted": (TEXT_MUTED, ALARM_TINT),
    "alarm-strong": (ALARM, ALARM_TINT),
    "degraded": (TEXT, DEGRADED_TINT),
    "degraded-muted": (TEXT_MUTED, DEGRADED_TINT),
    "degraded-strong": (DEGRADED, DEGRADED_TINT),
    "degraded-on-hatch": (TEXT, DEGRADED_HATCH),
    "degraded-muted-on-hatch": (TEXT_MUTED, DEGRADED_HATCH),
    "primary-button": (WHITE, ACCENT),
    "primary-button-disabled": (DISABLED_TEXT, DISABLED_BG),
    "button": (TEXT, PAPER),
    "hold-button-empty": (TEXT, ACCENT_TINT),
    "hold-button-filled": (WHITE, ACCENT),
    "demo-badge": (WHITE, DEMO),
    "demo-drawer": (TEXT, DEMO_TINT),
    "demo-drawer-strong": (DEMO, DEMO_TINT),
    "success-strong": (SUCCESS, PANEL),
    "tab-selected": (TEXT, PAPER),
    "tab": (TEXT, DISABLED_BG),
    "progress-text": (WHITE, ACCENT),
    "tooltip": (TEXT, PAPER),
    "selection": (WHITE, ACCENT),
}


def _channel(c: int) -> float:
    s = c / 255.0
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of '#RRGGBB'."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio, 1.0 to 21.0."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def stylesheet() -> str:
    """The console's Qt stylesheet, built from the palette above."""
    return f"""
QWidget {{ color: {TEXT}; font-family: "{FONT_FAMILY}"; font-size: {BODY_PX}px; }}
QMainWindow, #central {{ background: {BG}; }}
QLabel {{ background: transparent; }}
QLabel[muted="true"] {{ color: {TEXT_MUTED}; }}
QLabel[role="caption"] {{ color: {TEXT_MUTED}; }}
QLabel[role="value"] {{ font-size: {VALUE_PX}px; font-weight: bold; }}
#stateHeadline {{ font-size: {TITLE_PX}px; font-weight: bold; }}
#headlineDetail {{ font-size: {DETAIL_PX}px; }}
#statusBar {{ background: {PANEL}; border-bottom: 1px solid {BORDER}; }}
#statusBar[health="degraded"] {{ background: {DEGRADED_TINT}; border-bottom: 3px solid {DEGRADED}; }}
#connectionStatus {{ font-weight: bold; }}
#sideCard, #sheetCard, #exitCard {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; }}
#sheetCard, #exitCard {{ background: {PAPER}; border: 2px solid {ACCENT}; }}
#exitCard {{ border-color: {TEXT_MUTED}; }}
#sheetTitle, #exitTitle {{ font-size: {SHEET_TITLE_PX}px; font-weight: bold; }}
#sheetVersion {{ font-family: "{MONO_FAMILY}"; font-size: {SHEET_ID_PX}px; font-weight: bold; }}
#sheetWarning {{ color: {ALARM}; font-weight: bold; }}
#noticeText[severity="alarm"] {{ color: {TEXT}; }}
QTextBrowser, QListWidget, QPlainTextEdit {{
    background: {PAPER}; border: 1px solid {BORDER}; border-radius: 4px;
    selection-background-color: {ACCENT}; selection-color: {WHITE};
}}
QListWidget::item {{ padding: 6px 4px; border-bottom: 1px solid {DISABLED_BG}; }}
QListWidget::item:selected {{ background: {ACCENT}; color: {WHITE}; }}
QPushButton {{
    background: {PAPER}; color: {TEXT}; border: 2px solid {BORDER}; border-radius: 6px;
    min-height: {TOUCH_PX - 12}px; padding: 4px 16px;
}}
QPushButton:focus {{ border: {BUTTON_FOCUS_PX}px solid {ACCENT}; }}
QPushButton:pressed {{ background: {DISABLED_BG}; }}
QPushButton#approveButton {{
    background: {ACCENT}; color: {WHITE}; border: 2px solid {ACCENT}; font-size: {VALUE_PX}px; font-weight: bold;
    min-height: {PRIMARY_PX - 12}px;
}}
QPushButton#approveButton:focus {{ border: 4px solid {TEXT}; }}
QPushButton#approveButton:disabled {{
    background: {DISABLED_BG}; color: {DISABLED_TEXT}; border: 2px dashed {BORDER}; font-weight: normal;
}}
QPushButton#cancelButton, QPushButton#exitStay {{
    min-height: {PRIMARY_PX - 12}px; font-size: {VALUE_PX}px; font-weight: bold;
}}
HoldButton#confirmButton {{ font-size: {VALUE_PX}px; }}
QPushButton#exitConfirm {{ min-height: {PRIMARY_PX - 12}px; font-size: {VALUE_PX}px; }}
QPushButton#noticeClose {{ padding: 0px; min-height: {TOUCH_PX - 4}px; min-width: {TOUCH_PX - 4}px; }}
QPushButton#languageButton {{ padding: 4px {LANGUAGE_PAD_PX}px; }}
QPushButton#demoToggle {{
    background: {DEMO}; color: {WHITE}; border: 2px solid {DEMO}; font-weight: bold;
}}
QPushButton#demoToggle:focus {{ border: 3px solid {TEXT}; }}
#demoDrawer {{ background: {DEMO_TINT}; border: 3px dashed {DEMO}; border-radius: 6px; }}
#demoTitle {{ color: {DEMO}; font-size: {VALUE_PX}px; font-weight: bold; }}
#demoDrawer QPushButton {{ min-height: 44px; text-align: left; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; background: {PAPER}; top: -1px; }}
QTabBar::tab {{
    background: {DISABLED_BG}; color: {TEXT}; border: 1px solid {BORDER}; padding: 8px 20px; min-height: 32px;
    min-width: 120px;
}}
QTabBar::tab:selected {{ background: {PAPER}; font-weight: bold; border-bottom-color: {PAPER}; }}
QProgressBar {{
    background: {PAPER}; border: 2px solid {BORDER}; border-radius: 4px; min-height: 36px; text-align: center;
    color: {TEXT};
}}
QProgressBar::chunk {{ background: {ACCENT}; }}
QToolTip {{ background: {PAPER}; color: {TEXT}; border: 1px solid {BORDER}; font-size: {BODY_PX}px; }}
QScrollBar:vertical {{ width: 24px; }}
QScrollBar:horizontal {{ height: 24px; }}
"""
