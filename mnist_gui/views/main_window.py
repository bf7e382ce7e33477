"""The main window: the tabs, the status bar, and the wiring between them and ``AppState``.

The work lives beside it: start-up and the lazy TensorFlow import in ``startup_loader.py``, the File
menu's actions in ``file_actions.py``, the menu bar in ``menus.py``. This module only builds and connects.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QIcon, QPaintEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSizePolicy, QTabWidget

from mnist_gui.paths import resource_path
from mnist_gui.views.dataset_tab import DatasetTab
from mnist_gui.views.draw_tab import DrawTab
from mnist_gui.views.file_actions import FileActions
from mnist_gui.views.inside_tab import InsideTab
from mnist_gui.views.menus import build_menus
from mnist_gui.views.settings import DRAW_WHY, AppSettings
from mnist_gui.views.startup_loader import StartupLoader
from mnist_gui.views.state import AppState
from mnist_gui.views.theme import THEMES, apply_theme
from mnist_gui.views.threads import wait_all
from mnist_gui.views.train_tab import TrainTab

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    firstPainted = Signal()
    last_error = ""  # the text of the last error dialog (tests and the start-up wait read it)

    def __init__(self, data_path: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("MNIST — handwritten digits")
        icon = resource_path("icon.png")
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self.setAcceptDrops(True)
        self.state = AppState()
        self.data_path = data_path
        self.settings = AppSettings()  # typed: a damaged stored value reads as its default, never raises
        self._painted = False

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # All tabs are built now; their heavy imports (matplotlib, pyqtgraph, TensorFlow) wait for first use.
        self.draw_tab = DrawTab(self.state)
        self.dataset_tab = DatasetTab(self.state)
        self.train_tab = TrainTab(self.state)
        self.inside_tab = InsideTab(self.state)
        for tab, label in ((self.draw_tab, "✎  Draw"), (self.dataset_tab, "▦  Dataset"), (self.train_tab, "▶  Train"),
                           (self.inside_tab, "◉  Inside")):
            self.tabs.addTab(tab, label)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        # "System" follows the desktop when it switches between light and dark while the app runs
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self.setCentralWidget(self.tabs)

        self.status_msg = QLabel("Starting…")
        # A long status line must never widen the window (it is elided by the layout instead).
        self.status_msg.setMinimumWidth(1)
        self.status_msg.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.model_label = QLabel("Model: loading…")
        self.statusBar().addWidget(self.status_msg, 1)
        self.statusBar().addPermanentWidget(self.model_label)

        # The AppState contract: the tabs report through the state; this window is where it shows.
        self.state.modelChanged.connect(self._on_model_changed)
        self.state.errorRaised.connect(self.error)
        self.state.statusMessage.connect(self.show_status)
        self.state.openInDataset.connect(lambda split, index: self.tabs.setCurrentWidget(self.dataset_tab))
        # "Send to canvas" from any tab shows the Draw tab (the Draw tab takes the image itself).
        self.state.sendToCanvas.connect(lambda *_: self.tabs.setCurrentWidget(self.draw_tab))
        self.state.sendStrokesToCanvas.connect(lambda *_: self.tabs.setCurrentWidget(self.draw_tab))

        self.files = FileActions(self)
        self.train_tab.loadModelRequested.connect(self.files.load_model_dialog)  # the Train tab's "Load model…"
        self.loader = StartupLoader(self.state, self.settings, self.files.load_model, data_path, parent=self)
        build_menus(self)
        self.theme = self.settings.theme
        geometry = self.settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            if geometry is not None:
                log.warning("the saved window geometry could not be restored: using the default size")
            # Not larger than the screen: 1100×720 does not fit a 1024×600 netbook.
            screen = self.screen()
            avail = screen.availableGeometry() if screen is not None else None
            self.resize(min(1100, avail.width()) if avail else 1100, min(720, avail.height()) if avail else 720)
        self.draw_tab.brush.setValue(self.settings.brush)
        self.draw_tab.why.button.setChecked(self.settings.get(DRAW_WHY) == "on")

    # --- start-up -----------------------------------------------------------------------------------
    def start_background_work(self) -> None:
        """Called once the window has shown: theme, then the loader's start-up work (TensorFlow waits for a request)."""
        if self.state.closing:
            return
        self.apply_theme(self.theme)
        self.loader.start()
        if self.state.model is None:  # no model at all: say so rather than "loading…" forever
            self.model_label.setText("Model: none")

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.firstPainted.emit)

    def _on_tab_changed(self, index: int) -> None:
        # The Train tab needs TensorFlow: start the import the moment it shows, so Train never waits silently.
        if self.tabs.widget(index) is self.train_tab:
            self.state.request_tensorflow()

    def apply_theme(self, name: str) -> None:
        if name not in THEMES:  # never a KeyError below, and never an unknown name saved at close
            log.warning("unknown theme %r: using the system theme", name)
            name = "system"
        self.theme = name
        dark = apply_theme(name) == "dark"
        self.theme_actions[name].setChecked(True)
        for i in range(self.tabs.count()):
            set_dark = getattr(self.tabs.widget(i), "set_dark", None)
            if set_dark is not None:
                set_dark(dark)

    def _on_color_scheme_changed(self, *_: object) -> None:
        if self.theme == "system" and not self.state.closing:
            self.apply_theme("system")

    # --- file actions (the File menu's work is in ``FileActions``; kept here for callers and tests) --
    def open_image(self, path: str) -> None:
        self.files.open_image(path)

    def save_drawing(self, path: str) -> bool:
        return self.files.save_drawing(path)

    def load_model(self, path: str) -> None:
        self.files.load_model(path)

    def import_my_digits(self, path: str) -> bool:
        return self.files.import_my_digits(path)

    def export_my_digits(self, path: str) -> bool:
        return self.files.export_my_digits(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            if urls[0].endswith(".keras"):
                self.load_model(urls[0])
            else:
                self.open_image(urls[0])
            event.acceptProposedAction()

    def changeEvent(self, event: QEvent) -> None:
        """When the window comes to the front, pick up digits another window or command added meanwhile."""
        super().changeEvent(event)
        if event.type() == QEvent.ActivationChange and self.isActiveWindow() and not self.state.closing:
            self.state.refresh_my_digits()

    # --- status and errors ------------------------------------------------------------------------------
    def _on_model_changed(self) -> None:
        m = self.state.model
        self.model_label.setText(m.label() if m else "Model: none")
        self.default_action.setEnabled(m is not None and m.kind != "default")
        # Remembered for the next start: a model the user trained, fine-tuned or loaded stays active.
        if m is None or m.kind == "default" or m.path is None:
            self.settings.clear_active_model()
        else:
            self.settings.set_active_model(m.path, m.kind)

    def show_status(self, text: str) -> None:
        self.status_msg.setText(text)

    def error(self, title: str, message: str) -> None:
        """The one place errors are shown (and logged): a non-blocking dialog, so a test or callback never hangs."""
        log.warning("%s: %s", title, message)
        box = QMessageBox(QMessageBox.Warning, title, title, QMessageBox.Ok, self)
        box.setInformativeText(message)
        # the message only (the icon is a QLabel too): a message with a path wraps into a narrow column otherwise
        box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 440px; }")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModal)
        box.show()
        self.last_error = message

    def closeEvent(self, event: QCloseEvent) -> None:
        self.state.closing = True
        self.train_tab.shutdown()
        # Each value is checked on the way out too: the store never holds what the next start would reject.
        self.settings.geometry = self.saveGeometry()
        self.settings.theme = self.theme
        self.settings.brush = self.draw_tab.brush.value()
        self.settings.set(DRAW_WHY, "on" if self.draw_tab.why.button.isChecked() else "off")
        self.settings.sync()
        wait_all()
        super().closeEvent(event)
        # Results that arrive from threads that finished while closing must not start new work.
        self.state.blockSignals(True)
