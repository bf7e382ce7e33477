"""The main window's menu bar (every action with its shortcut), the About box and Help → Open log folder."""

from __future__ import annotations

import logging
import platform
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from mnist_gui.views.theme import THEMES

if TYPE_CHECKING:
    from mnist_gui.views.main_window import MainWindow

log = logging.getLogger(__name__)

_VIEW_LABELS = {"Draw": "&Draw", "Dataset": "Data&set", "Train": "&Train", "Inside": "&Inside"}  # distinct mnemonics


def add_action(window: QWidget, menu: QMenu, text: str, shortcut: object, slot: Callable[..., object]) -> QAction:
    """An action in ``menu`` with a window-wide shortcut (``shortcut`` may be empty)."""
    act = QAction(text, window)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(slot)
    menu.addAction(act)
    return act


def build_menus(w: MainWindow) -> None:
    """File, View, Training and Help; sets ``w.default_action``, ``w.export_model_action`` and ``w.theme_actions``."""
    files = w.files
    m = w.menuBar()
    file_menu = m.addMenu("&File")
    add_action(w, file_menu, "&Open image…", QKeySequence.Open, files.open_image_dialog)
    add_action(w, file_menu, "&Load model…", "Ctrl+L", files.load_model_dialog)
    w.export_model_action = add_action(w, file_menu, "E&xport model…", "Ctrl+Shift+E", files.export_model_dialog)
    add_action(w, file_menu, "&Save drawing…", QKeySequence.Save, files.save_drawing_dialog)
    w.default_action = add_action(w, file_menu, "Use the &default model", "Ctrl+D", w.state.use_default)
    file_menu.addSeparator()
    add_action(w, file_menu, "&Import My digits…", "Ctrl+I", files.import_my_digits_dialog)
    add_action(w, file_menu, "Export My &digits…", "Ctrl+E", files.export_my_digits_dialog)
    file_menu.addSeparator()
    add_action(w, file_menu, "&Quit", "Ctrl+Q", w.close)  # QKeySequence.Quit has no key on Windows

    view = m.addMenu("&View")
    theme_menu = view.addMenu("&Theme")
    group = QActionGroup(w)
    w.theme_actions = {}
    for name in THEMES:
        act = QAction(name.capitalize(), w, checkable=True)
        act.triggered.connect(lambda checked=False, n=name: w.apply_theme(n))
        group.addAction(act)
        theme_menu.addAction(act)
        w.theme_actions[name] = act
    for i in range(w.tabs.count()):
        name = w.tabs.tabText(i).split(maxsplit=1)[-1]  # the tab's name without its symbol
        # ``checked`` takes triggered(bool): with ``lambda i=i`` every tab action showed Draw (i=False).
        add_action(w, view, _VIEW_LABELS.get(name, f"&{name}"), f"Ctrl+{i + 1}",
                   lambda checked=False, i=i: w.tabs.setCurrentIndex(i))

    # Train (Ctrl+T), fine-tune (Ctrl+Shift+T) and stop (Esc) work from every tab: in the menu bar, the
    # Train tab's actions are window-wide (a button's shortcut only works while its tab is shown).
    training_menu = m.addMenu("T&raining")
    for act in w.train_tab.shortcut_actions():
        training_menu.addAction(act)

    help_menu = m.addMenu("&Help")
    add_action(w, help_menu, "Open &log folder", "", lambda: open_log_folder(w))
    add_action(w, help_menu, "&About", QKeySequence.HelpContents, lambda: about(w))


def open_log_folder(w: MainWindow) -> bool:
    """Show the log folder in the file manager (created if missing, so there is something to open)."""
    from mnist_gui.logs import log_dir

    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        w.state.report_error("The log folder could not be created", f"{folder}: {exc.strerror or exc}")
        return False
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        # No file manager (a bare desktop, a container): at least say where the logs are.
        w.state.report_error("The log folder could not be opened", f"The logs are in {folder}")
        return False
    w.state.show_status(f"Log folder: {folder}")
    return True


def about(w: QWidget) -> None:
    import numpy as np
    from PySide6 import __version__ as pyside_version

    from mnist_gui import __version__

    versions = [f"mnist-gui {__version__}", f"Python {platform.python_version()}", f"PySide6 {pyside_version}",
                f"NumPy {np.__version__}"]
    tf = sys.modules.get("tensorflow")  # only if already imported: About must not load it
    if tf is not None:  # while the background import runs, the module is there without its version yet
        versions.append(f"TensorFlow {getattr(tf, '__version__', None) or '(still loading)'}")
    QMessageBox.about(w, "About mnist-gui",
                      "<h3>mnist-gui</h3><p>Draw digits, browse MNIST and watch a Keras network learn.</p>"
                      f"<p>{'<br>'.join(versions)}</p>"
                      "<p>MNIST database © Yann LeCun, Corinna Cortes and Christopher J.C. Burges, "
                      "used under the <a href='https://creativecommons.org/licenses/by-sa/3.0/'>CC BY-SA 3.0</a> license.</p>")
