"""Start-up work after the first paint, and TensorFlow imported only when something asks for it.

After the window has painted: the default model (numpy, no TensorFlow), the model that was active when the
app last closed, My digits, then MNIST in a worker thread. TensorFlow (≈ 600 MB, seconds of CPU) is *not*
imported at start: a person who only draws never pays for it. ``AppState.request_tensorflow`` (the Train
tab shown, a ``.keras`` loaded, Evaluate, fine-tuning) emits ``tfRequested``; this imports it in a worker
and calls ``state.mark_tf_ready()``. ``after_tensorflow`` runs work once it is there.

It also keeps ``state.compare_model`` on the shipped model of the *other* architecture (issue 12).

Qt and numpy only: no TensorFlow, no matplotlib at import.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from mnist_gui.errors import UserError
from mnist_gui.ml.cnn import DAMAGED
from mnist_gui.views.settings import AppSettings
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.threads import run_in_thread

log = logging.getLogger(__name__)

# What reading a damaged model file can raise beyond the project's errors (a check the readers missed: JSON nested
# thousands deep, absurd sizes, a missing key): the weights readers' own list. Each ends in "could not be restored",
# never in a stopped start-up.
_DAMAGED_FILE_ERRORS = (UserError, *DAMAGED)


def predictor_arch(predictor: object) -> str:
    """``"cnn"`` or ``"mlp"``: an ``arch`` attribute if the predictor has one, else by its class."""
    arch = getattr(predictor, "arch", None)
    if isinstance(arch, str):
        return arch
    from mnist_gui.ml.cnn import NumpyCnnPredictor

    return "cnn" if isinstance(predictor, NumpyCnnPredictor) else "mlp"


def other_arch(arch: str) -> str:
    return "mlp" if arch == "cnn" else "cnn"


class StartupLoader(QObject):
    """Owns the start-up sequence and the lazy TensorFlow import of one window.

    ``load_model(path, kind, restoring=True)`` is the window's ``.keras`` loader, used when a restored model's
    numpy weights are gone or damaged (derived again via Keras, so TensorFlow is requested).
    Errors and status lines go through the state's contract (``report_error``, ``show_status``).
    """

    def __init__(self, state: AppState, settings: AppSettings, load_model: Callable[..., None],
                 data_path: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.settings = settings
        self._load_model = load_model
        self.data_path = data_path
        self._after_tf: list[Callable[[], None]] = []
        self._pretrained: dict[str, ActiveModel | None] = {}  # shipped models by arch, loaded once (None: missing)
        state.tfRequested.connect(self._import_tensorflow)
        state.modelChanged.connect(self._update_compare_model)

    # --- start-up -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Called once the window has shown: default model, the last active model, My digits, MNIST."""
        if self.state.closing:
            return
        self._load_default_model()
        self._load_my_digits()
        self.state.show_status("Loading MNIST…")
        run_in_thread(_load_data, self.data_path, name="load-data", on_done=self._on_data,
                      on_failed=self._on_data_failed, receiver=self)

    def _load_default_model(self) -> None:
        from mnist_gui.ml.inference import load_default_predictor
        from mnist_gui.ml.model_io import read_metadata
        from mnist_gui.paths import default_model_path

        saved = self.settings.active_model()  # read before the default model replaces it in the store
        try:
            predictor = load_default_predictor()
        except _DAMAGED_FILE_ERRORS as exc:
            self.state.report_error("The pretrained model could not be loaded", str(exc))
        else:
            acc = read_metadata(default_model_path()).get("test_accuracy")
            self.state.set_model(ActiveModel(predictor, "default", default_model_path(), acc))
        if saved is not None:
            self._restore_active_model(*saved)

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
                # Its numpy weights are gone or damaged: derive them again via Keras, off this thread.
                check_model_file(path)
                self._load_model(path, kind, restoring=True)
                return
        except _DAMAGED_FILE_ERRORS as exc:  # a stale or damaged file must not stop the start-up
            self.settings.clear_active_model()
            self.state.report_error("Your last model could not be restored", f"{exc}\n\nThe pretrained model is used instead.")
            return
        acc = read_metadata(path).get("test_accuracy")  # never raises: a damaged details file is ignored
        self.state.set_model(ActiveModel(predictor, kind, Path(path), acc))  # kind: checked by the settings layer

    def _load_my_digits(self) -> None:
        from mnist_gui.ml.my_digits import MyDigits, default_path

        coll, warning = MyDigits.open(default_path())  # a few hundred KB of numpy: fast enough here
        self.state.set_my_digits(coll)
        if warning:
            self.state.report_error("Your saved digits could not be read", warning)

    def _on_data(self, data: object) -> None:
        if self.state.closing:
            return
        self.state.set_data(data)  # type: ignore[arg-type]
        gc.collect()  # ~30 ms once, at start-up: what is garbage now is not frozen below
        freeze_heap()
        self.state.show_status(f"MNIST loaded: {len(data.x_train):,} train, {len(data.x_test):,} test images")  # type: ignore[attr-defined]

    def _on_data_failed(self, message: str, exc: object) -> None:
        self.state.report_error("MNIST could not be loaded", message)

    # --- TensorFlow, on request ---------------------------------------------------------------------
    def after_tensorflow(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the GUI thread once TensorFlow is imported (now, if it is); asks for it if needed.

        If the import fails, ``fn`` is dropped: the error dialog has said why.
        """
        if self.state.tf_ready:
            fn()
            return
        self._after_tf.append(fn)
        self.state.request_tensorflow()

    def _import_tensorflow(self) -> None:
        if self.state.closing or self.state.tf_ready:
            return
        log.info("importing TensorFlow (requested)")
        self.state.show_status("Loading TensorFlow…")
        run_in_thread(import_tensorflow, name="import-tensorflow", on_done=self._on_tf_ready,
                      on_failed=self._on_tf_failed, receiver=self)

    def _on_tf_ready(self, version: object) -> None:
        if self.state.closing:
            return
        freeze_heap()  # no collection first: with TensorFlow imported it would itself block ~150 ms
        self.state.mark_tf_ready()
        self.state.show_status(f"TensorFlow {version} ready")
        pending, self._after_tf = self._after_tf, []
        for fn in pending:
            fn()

    def _on_tf_failed(self, message: str, exc: object) -> None:
        self._after_tf.clear()
        # A later request tries again (and shows its own error) rather than waiting forever on this one.
        self.state.mark_tf_failed(message)
        if self.state.closing:
            return
        self.state.show_status("TensorFlow could not be loaded: training is unavailable")
        self.state.report_error("TensorFlow could not be loaded",
                                f"{message}\n\nDrawing and prediction still work; training does not.")

    # --- the compare model (issue 12) -------------------------------------------------------------------
    def _update_compare_model(self) -> None:
        """Keep ``state.compare_model`` on the shipped model of the architecture the active one is not."""
        model = self.state.model
        if model is None or self.state.closing:
            return
        want = other_arch(predictor_arch(model.predictor))
        current = self.state.compare_model
        if current is not None and predictor_arch(current.predictor) == want:
            return
        compare = self._pretrained_model(want)
        if compare is not current:
            self.state.set_compare_model(compare)

    def _pretrained_model(self, arch: str) -> ActiveModel | None:
        """A shipped model as an ``ActiveModel`` (numpy sidecar, no TensorFlow), or None if it is not shipped."""
        if arch not in self._pretrained:
            from mnist_gui.ml.inference import load_pretrained_predictor
            from mnist_gui.ml.model_io import read_metadata
            from mnist_gui.paths import pretrained_model_path

            try:
                predictor = load_pretrained_predictor(arch)
            except _DAMAGED_FILE_ERRORS as exc:
                # A build without the CNN is a smaller app, not an error for the user.
                log.info("no shipped %s model to compare with: %s", arch, exc)
                self._pretrained[arch] = None
            else:
                path = pretrained_model_path(arch)
                acc = read_metadata(path).get("test_accuracy")
                self._pretrained[arch] = ActiveModel(predictor, "default", path, acc)
        return self._pretrained[arch]


def freeze_heap() -> None:
    """Move every object alive now (modules, TensorFlow's graph of ~300,000 objects) out of the collector's
    reach: they live as long as the app. A full collection with TensorFlow imported took 151 ms here, and
    whichever thread triggers it holds the GIL, so the window froze as long; after this, ~0 ms."""
    gc.freeze()
    log.debug("heap frozen: %d objects", gc.get_freeze_count())


def _load_data(path: str | None) -> object:
    from mnist_gui.ml.data import load_mnist

    return load_mnist(path)


def import_tensorflow() -> str:
    """Worker thread: import TensorFlow and Keras with the app's environment and thread settings."""
    from mnist_gui.ml import set_tensorflow_environment

    set_tensorflow_environment()
    import keras  # noqa: F401
    import tensorflow as tf

    from mnist_gui.ml.training import configure_threads

    configure_threads()
    return tf.__version__
