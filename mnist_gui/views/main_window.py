"""The main window: tabs wired together with signals, menus with shortcuts, status bar, settings."""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget

from mnist_gui import __version__
from mnist_gui.errors import UserError
from mnist_gui.paths import resource_path
from mnist_gui.views.dataset_tab import DatasetTab
from mnist_gui.views.draw_tab import DrawTab
from mnist_gui.views.settings import AppSettings
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.theme import THEMES, apply_theme
from mnist_gui.views.threads import run_in_thread, wait_all
from mnist_gui.views.train_tab import TrainTab

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


class MainWindow(QMainWindow):
    firstPainted = Signal()

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
        # All three tabs are built now; their heavy imports (matplotlib, pyqtgraph) wait for their first show.
        self.draw_tab = DrawTab(self.state)
        self.dataset_tab = DatasetTab(self.state)
        self.train_tab = TrainTab(self.state)
        self.tabs.addTab(self.draw_tab, "✎  Draw")
        self.tabs.addTab(self.dataset_tab, "▦  Dataset")
        self.tabs.addTab(self.train_tab, "▶  Train")
        self.train_tab.message.connect(self.show_status)
        self.draw_tab.message.connect(self.show_status)
        self.setCentralWidget(self.tabs)

        self.status_msg = QLabel("Starting…")
        self.model_label = QLabel("Model: loading…")
        self.statusBar().addWidget(self.status_msg, 1)
        self.statusBar().addPermanentWidget(self.model_label)
        self.state.modelChanged.connect(self._on_model_changed)

        self._build_menus()
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

    # --- start-up -----------------------------------------------------------------------------------
    def start_background_work(self) -> None:
        """Called once the window has shown: default model, dataset, then TensorFlow in the background."""
        if self.state.closing:
            return
        self.apply_theme(self.theme)
        self._load_default_model()
        self._load_my_digits()
        self.show_status("Loading MNIST…")
        run_in_thread(_load_data, self.data_path, name="load-data", on_done=self._on_data, on_failed=self._on_data_failed, receiver=self)
        self.show_status("Loading TensorFlow in the background — drawing works already")
        run_in_thread(_import_tensorflow, name="import-tensorflow", on_done=self._on_tf_ready, on_failed=self._on_tf_failed, receiver=self)

    def _load_default_model(self) -> None:
        from mnist_gui.ml.inference import load_default_predictor
        from mnist_gui.ml.model_io import read_metadata
        from mnist_gui.paths import default_model_path

        saved = self.settings.active_model()  # read before the default model replaces it in the store
        try:
            predictor = load_default_predictor()
        except UserError as exc:
            self.error("The pretrained model could not be loaded", str(exc))
        else:
            acc = read_metadata(default_model_path()).get("test_accuracy")
            self.state.set_model(ActiveModel(predictor, "default", default_model_path(), acc))
        if saved is not None:
            self._restore_active_model(*saved)
        if self.state.model is None:  # no model at all: say so rather than "loading…" forever
            self.model_label.setText("Model: none")

    def _restore_active_model(self, path: str, kind: str) -> None:
        """Bring back the model that was active when the app last closed (a trained or fine-tuned one).

        TensorFlow-free: the numpy weights sidecar, checked against its ``.keras`` by hash.
        """
        from mnist_gui.errors import ModelError
        from mnist_gui.ml.model_io import check_model_file, load_predictor_checked, read_metadata

        if not path:
            return
        try:
            if not Path(path).is_file():
                raise UserError(f"{path}: no such file")
            try:
                predictor = load_predictor_checked(path)
            except ModelError:
                # Its cached numpy weights are gone (cache pruned): derive them again via Keras, off this thread.
                check_model_file(path)
                self.load_model(path)
                return
        except (UserError, OSError, ValueError) as exc:  # a stale or damaged file must not stop the start-up
            self.settings.clear_active_model()
            self.error("Your last model could not be restored", f"{exc}\n\nThe pretrained model is used instead.")
            return
        acc = read_metadata(path).get("test_accuracy")
        self.state.set_model(ActiveModel(predictor, kind, Path(path), acc))  # kind: checked by the settings layer

    def _load_my_digits(self) -> None:
        from mnist_gui.ml.my_digits import MyDigits, default_path

        coll, warning = MyDigits.open(default_path())  # a few hundred KB of numpy: fast enough here
        self.state.set_my_digits(coll)
        if warning:
            self.error("Your saved digits could not be read", warning)

    def _on_data(self, data: object) -> None:
        self.state.set_data(data)  # type: ignore[arg-type]
        self.show_status(f"MNIST loaded: {len(data.x_train):,} train, {len(data.x_test):,} test images")  # type: ignore[attr-defined]

    def _on_data_failed(self, message: str, exc: object) -> None:
        self.error("MNIST could not be loaded", message)

    def _on_tf_ready(self, version: object) -> None:
        if self.state.closing:
            return
        self.state.mark_tf_ready()
        self.show_status(f"TensorFlow {version} ready")
        # Pre-import matplotlib's Qt-free parts (font cache, figure) so the Dataset tab opens quickly.
        # Anything that touches Qt (the QtAgg backend, pyqtgraph) is imported on the GUI thread only.
        run_in_thread(_import_plotting, name="import-plotting", receiver=self)

    def _on_tf_failed(self, message: str, exc: object) -> None:
        self.show_status("TensorFlow could not be loaded: training is unavailable")
        self.error("TensorFlow could not be loaded", f"{message}\n\nDrawing and prediction still work; training does not.")

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.firstPainted.emit)

    # --- menus --------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        m = self.menuBar()
        file_menu = m.addMenu("&File")
        self._action(file_menu, "&Open image…", QKeySequence.Open, self.open_image_dialog)
        self._action(file_menu, "&Load model…", "Ctrl+L", self.load_model_dialog)
        self._action(file_menu, "&Save drawing…", QKeySequence.Save, self.save_drawing_dialog)
        self.default_action = self._action(file_menu, "Use the &default model", "Ctrl+D", self.state.use_default)
        file_menu.addSeparator()
        self._action(file_menu, "&Import My digits…", "Ctrl+I", self.import_my_digits_dialog)
        self._action(file_menu, "E&xport My digits…", "Ctrl+E", self.export_my_digits_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.Quit, self.close)

        view = m.addMenu("&View")
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for name in THEMES:
            act = QAction(name.capitalize(), self, checkable=True)
            act.triggered.connect(lambda checked=False, n=name: self.apply_theme(n))
            group.addAction(act)
            theme_menu.addAction(act)
            self.theme_actions[name] = act
        for i, label in enumerate(("&Draw", "Data&set", "&Train")):
            # ``checked`` takes triggered(bool): with ``lambda i=i`` every tab action showed Draw (i=False).
            self._action(view, label, f"Ctrl+{i + 1}", lambda checked=False, i=i: self.tabs.setCurrentIndex(i))

        # Train (Ctrl+T), fine-tune (Ctrl+Shift+T) and stop (Esc) work from every tab: in the menu bar, the
        # Train tab's actions are window-wide (a button's shortcut only works while its tab is shown).
        training_menu = m.addMenu("T&raining")
        for act in self.train_tab.shortcut_actions():
            training_menu.addAction(act)

        help_menu = m.addMenu("&Help")
        self._action(help_menu, "&About", QKeySequence.HelpContents, self.about)

    def _action(self, menu, text: str, shortcut, slot) -> QAction:
        act = QAction(text, self)
        act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def apply_theme(self, name: str) -> None:
        if name not in THEMES:  # never a KeyError below, and never an unknown name saved at close
            log.warning("unknown theme %r: using the system theme", name)
            name = "system"
        self.theme = name
        effective = apply_theme(name)
        self.theme_actions[name].setChecked(True)
        dark = effective == "dark"
        for tab in (self.draw_tab, self.dataset_tab, self.train_tab):
            tab.set_dark(dark)

    # --- files --------------------------------------------------------------------------------------
    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_image(path)

    _image_request = 0  # counts open_image calls: only the latest one's result is shown

    def open_image(self, path: str) -> None:
        """Decode the file off the GUI thread (a 6000×6000 photo takes seconds); it then replaces the drawing.

        Returns at once; the image arrives in ``_on_image_read``, an error in the usual dialog.
        """
        if self.state.closing:
            return
        self._image_request += 1
        self.show_status(f"Opening {Path(path).name}…")
        run_in_thread(_read_image, self._image_request, path, name="open-image", on_done=self._on_image_read,
                      on_failed=self._on_image_failed, receiver=self)

    def _on_image_read(self, result: object) -> None:
        request, path, ink = result  # type: ignore[misc]
        if self.state.closing or request != self._image_request:
            return  # the window is closing, or a later open_image replaced this one
        self.tabs.setCurrentWidget(self.draw_tab)
        self.draw_tab.show_digit(ink)
        self.show_status(f"Opened {Path(path).name}")

    def _on_image_failed(self, message: str, exc: object) -> None:
        self.show_status("The image was not opened")
        self.error("This image cannot be used", message)

    def save_drawing_dialog(self) -> None:
        if self.draw_tab.canvas.is_empty():
            self.show_status("Nothing to save: the canvas is empty")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save drawing", str(Path.home() / "digit.png"), "PNG image (*.png)")
        if path:
            self.save_drawing(path)

    def save_drawing(self, path: str) -> bool:
        """Save the full-size drawing and its 28×28 model input (``NAME_28x28.png``), atomically."""
        from mnist_gui.atomic import atomic_path

        p = Path(path)
        if p.suffix.lower() != ".png":
            p = p.with_suffix(".png")
        full = self.draw_tab.canvas.render_array()
        small = self.draw_tab.canvas.to_mnist()
        try:
            for target, arr in ((p, full), (p.with_name(p.stem + "_28x28.png"), small)):
                with atomic_path(target) as tmp:
                    _save_png(arr, tmp)
        except (OSError, ValueError) as exc:
            self.error("The drawing could not be saved", f"{p}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.show_status(f"Saved {p.name} and {p.stem}_28x28.png")
        return True

    def load_model_dialog(self) -> None:
        last = self.settings.last_model_dir
        path, _ = QFileDialog.getOpenFileName(self, "Load model", last, "Keras model (*.keras)")
        if path:
            self.load_model(path)

    def load_model(self, path: str) -> None:
        """Load a .keras file (safe mode) off the GUI thread; it becomes the active model."""
        if self.state.closing:
            return
        self.show_status(f"Loading {Path(path).name}…")
        self.settings.last_model_dir = str(Path(path).parent)
        run_in_thread(_load_model_file, path, name="load-model", on_done=self._on_model_loaded, on_failed=self._on_model_failed, receiver=self)

    def _on_model_loaded(self, result: object) -> None:
        path, predictor, meta = result  # type: ignore[misc]
        self.state.set_model(ActiveModel(predictor, "file", Path(path), meta.get("test_accuracy")))
        self.train_tab.show_loaded_history(meta)
        self.show_status(f"Loaded {Path(path).name}")

    def _on_model_failed(self, message: str, exc: object) -> None:
        self.show_status("The model was not loaded")
        self.error("This model cannot be loaded", message)

    # --- My digits ------------------------------------------------------------------------------------
    def import_my_digits_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import digits", str(Path.home()), "Keras MNIST layout (*.npz)")
        if path:
            self.import_my_digits(path)

    def import_my_digits(self, path: str) -> bool:
        try:
            n = self.state.my_digits.import_npz(path)
        except UserError as exc:
            self.error("These digits cannot be imported", str(exc))
            return False
        except OSError as exc:
            self.error("My digits could not be saved", f"{exc.strerror or exc}. Nothing was imported.")
            return False
        self.state.myDigitsChanged.emit()
        self.show_status(f"Imported {n} digits from {Path(path).name} — My digits: {len(self.state.my_digits)}")
        return True

    def export_my_digits_dialog(self) -> None:
        if not len(self.state.my_digits):
            self.show_status("My digits is empty: draw a digit and press its number key to add it")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export digits", str(Path.home() / "my_digits.npz"), "Keras MNIST layout (*.npz)")
        if path:
            self.export_my_digits(path)

    def export_my_digits(self, path: str) -> bool:
        try:
            self.state.my_digits.export_npz(path)
        except OSError as exc:
            self.error("My digits could not be exported", f"{path}: {exc.strerror or exc}")
            return False
        self.show_status(f"Exported {len(self.state.my_digits)} digits to {Path(path).name}")
        return True

    # --- drag and drop ------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def changeEvent(self, event: QEvent) -> None:
        """When the window comes to the front, pick up digits another window or command added meanwhile."""
        super().changeEvent(event)
        if event.type() == QEvent.ActivationChange and self.isActiveWindow() and not self.state.closing:
            if self.state.my_digits.refresh():
                self.state.myDigitsChanged.emit()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            if urls[0].endswith(".keras"):
                self.load_model(urls[0])
            else:
                self.open_image(urls[0])
            event.acceptProposedAction()

    # --- misc ---------------------------------------------------------------------------------------
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
        """An error dialog (non-blocking, so a test or a worker callback never hangs on it)."""
        log.warning("%s: %s", title, message)
        box = QMessageBox(QMessageBox.Warning, title, title, QMessageBox.Ok, self)
        box.setInformativeText(message)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModal)
        box.show()
        self.last_error = message

    last_error = ""

    def about(self) -> None:
        import sys

        from PySide6 import __version__ as pyside_version

        versions = [f"mnist-gui {__version__}", f"Python {platform.python_version()}", f"PySide6 {pyside_version}",
                    f"NumPy {np.__version__}"]
        if "tensorflow" in sys.modules:
            versions.append(f"TensorFlow {sys.modules['tensorflow'].__version__}")
        QMessageBox.about(self, "About mnist-gui",
                          "<h3>mnist-gui</h3><p>Draw digits, browse MNIST and watch a Keras network learn.</p>"
                          f"<p>{'<br>'.join(versions)}</p>"
                          "<p>MNIST database © Yann LeCun, Corinna Cortes and Christopher J.C. Burges, "
                          "used under the <a href='https://creativecommons.org/licenses/by-sa/3.0/'>CC BY-SA 3.0</a> license.</p>")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.state.closing = True
        self.train_tab.shutdown()
        # Each value is checked on the way out too: the store never holds what the next start would reject.
        self.settings.geometry = self.saveGeometry()
        self.settings.theme = self.theme
        self.settings.brush = self.draw_tab.brush.value()
        self.settings.sync()
        wait_all()
        super().closeEvent(event)
        # Results that arrive from threads that finished while closing must not start new work.
        self.state.blockSignals(True)


def _save_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image

    g = (255 - np.clip(arr, 0, 1) * 255).astype(np.uint8)  # dark ink on white, like paper
    with open(path, "wb") as f:
        Image.fromarray(g).save(f, format="PNG")


def _read_image(request: int, path: str) -> tuple[int, str, np.ndarray]:
    """Worker thread: decode, and shrink to what the canvas can show, so the GUI thread only gets ≤ 1024²."""
    from mnist_gui.ml.images import load_image, shrink_for_display

    return request, path, shrink_for_display(load_image(path))


def _load_data(path: str | None) -> object:
    from mnist_gui.ml.data import load_mnist

    return load_mnist(path)


def _import_tensorflow() -> str:
    from mnist_gui.ml import set_tensorflow_environment

    set_tensorflow_environment()
    import keras  # noqa: F401
    import tensorflow as tf

    from mnist_gui.ml.training import configure_threads

    configure_threads()
    return tf.__version__


def _import_plotting() -> None:
    import matplotlib.figure
    import matplotlib.font_manager

    matplotlib.font_manager.findfont("DejaVu Sans")


def _load_model_file(path: str) -> tuple[str, object, dict]:
    _import_tensorflow()
    from mnist_gui.ml.model_io import load_keras_model, read_metadata

    _, predictor = load_keras_model(path)
    return path, predictor, read_metadata(path)
