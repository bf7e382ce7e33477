"""Light, dark and system themes on Qt's Fusion style."""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

THEMES = ("system", "light", "dark")
DEFAULT_THEME = "system"

# The palettes' Window, Base (what fields and charts are drawn on) and Text, per theme: charts and picture panels
# take theirs from here (chart_colors, window_color), so a plot's background is the same grey as a list's.
WINDOW = {False: (246, 246, 247), True: (43, 45, 48)}
BASE = {False: (255, 255, 255), True: (30, 31, 34)}
TEXT = {False: (28, 28, 30), True: (223, 225, 229)}
AMBER = (201, 138, 0)  # "unsure": the canvas's boxes and tags, the answer's warning; as text, AMBER_TEXT
AMBER_TEXT = {False: (138, 92, 0), True: (255, 191, 71)}  # ≥ 4.5:1 on the light (236) and dark (55) button grey


def hex_color(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def chart_colors(dark: bool) -> tuple[str, str]:
    """(background, text) of a plot or picture panel in the theme: the palette's Base and Text."""
    return hex_color(BASE[dark]), hex_color(TEXT[dark])


def window_color(dark: bool) -> str:
    """The palette's Window colour: around a figure that sits on the page, not in a field."""
    return hex_color(WINDOW[dark])


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(*BASE[True]), QColor(*WINDOW[True]), QColor(*TEXT[True])
    for role, color in [
        (QPalette.Window, window), (QPalette.WindowText, text), (QPalette.Base, base),
        (QPalette.AlternateBase, QColor(50, 52, 56)), (QPalette.ToolTipBase, window), (QPalette.ToolTipText, text),
        (QPalette.Text, text), (QPalette.Button, QColor(55, 57, 61)), (QPalette.ButtonText, text),
        (QPalette.BrightText, QColor(255, 90, 90)), (QPalette.Highlight, QColor(53, 116, 240)),
        (QPalette.HighlightedText, QColor(255, 255, 255)), (QPalette.Link, QColor(110, 160, 255)),
        (QPalette.PlaceholderText, QColor(140, 143, 148)),
    ]:
        p.setColor(role, color)
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, QColor(120, 122, 126))
    # The frame shades (3-D lines, shaded frames) derived from Button as QPalette(button, window) does; left unset
    # they were the light theme's (Light white). Fusion's own borders come from Window: see _field_palette.
    button = p.color(QPalette.Button)
    for role, color in [(QPalette.Light, button.lighter(150)), (QPalette.Midlight, button.lighter(125)),
                        (QPalette.Mid, button.darker(150)), (QPalette.Dark, button.darker(200)), (QPalette.Shadow, QColor(0, 0, 0))]:
        p.setColor(role, color)
    return p


# Fusion draws the border of a check box, radio button, line edit and spin box in ``Window.darker(140)``, whatever
# the frame shades (Light, Mid, Dark…) say: in the dark theme that is (31, 32, 34), the colour of the box itself
# (Base), so boxes and fields showed no edge at all. These classes get a palette of their own whose Window (never
# painted by them: they fill with Base) makes that border a clear grey; dimmer when disabled.
FIELD_CLASSES = ("QCheckBox", "QRadioButton", "QLineEdit", "QAbstractSpinBox")
DARK_FIELD_BORDER, DARK_FIELD_BORDER_DISABLED = QColor(86, 88, 93), QColor(62, 64, 68)


def _field_palette(p: QPalette, dark: bool) -> QPalette:
    """The palette of ``FIELD_CLASSES`` from the app's ``p``: ``p`` itself in the light theme (its borders show)."""
    p = QPalette(p)
    if dark:
        for group, border in ((QPalette.Active, DARK_FIELD_BORDER), (QPalette.Inactive, DARK_FIELD_BORDER),
                              (QPalette.Disabled, DARK_FIELD_BORDER_DISABLED)):
            p.setColor(group, QPalette.Window, border.lighter(140))
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    window, text = QColor(*WINDOW[False]), QColor(*TEXT[False])
    for role, color in [
        (QPalette.Window, window), (QPalette.WindowText, text), (QPalette.Base, QColor(*BASE[False])),
        (QPalette.AlternateBase, QColor(240, 240, 242)), (QPalette.Text, text), (QPalette.Button, QColor(236, 236, 238)),
        (QPalette.ButtonText, text), (QPalette.Highlight, QColor(38, 99, 221)), (QPalette.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ToolTipBase, QColor(255, 255, 225)), (QPalette.ToolTipText, text), (QPalette.PlaceholderText, QColor(130, 130, 135)),
    ]:
        p.setColor(role, color)
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, QColor(160, 160, 165))
    return p


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    try:
        from PySide6.QtCore import Qt

        return hints.colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:
        return False


_CHECKED_TOOL_BUTTON = ("QToolButton:checked { background-color: palette(highlight); color: palette(highlighted-text); "
                       "border: 1px solid palette(highlight); border-radius: 3px; padding: 2px 4px; }")


def apply_theme(name: str) -> str:
    """Apply ``name`` (system/light/dark); returns the effective ``light`` or ``dark``.

    An unknown name (a damaged setting) is the system theme, never an error: start-up goes on.
    """
    if name not in THEMES:
        log.warning("unknown theme %r: using %r", name, DEFAULT_THEME)
        name = DEFAULT_THEME
    app = QApplication.instance()
    if app is None:
        return "light"
    app.setStyle("Fusion")
    dark = name == "dark" or (name == "system" and system_is_dark())
    app.setPalette(_dark_palette() if dark else _light_palette())
    for cls in FIELD_CLASSES:  # in both themes: a class palette outlives the next app.setPalette
        app.setPalette(_field_palette(app.palette(), dark), cls)  # (the app's: every role resolved)
    # Fusion shows a checked tool button (Pen/Eraser, ◐ Why) only a shade darker: hard to tell in the dark theme
    app.setStyleSheet(_CHECKED_TOOL_BUTTON)
    return "dark" if dark else "light"


def is_dark() -> bool:
    app = QApplication.instance()
    return bool(app) and app.palette().color(QPalette.Window).lightness() < 128
