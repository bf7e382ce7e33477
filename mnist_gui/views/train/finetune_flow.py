"""Fine-tuning on My digits as the Train tab runs it: start the job on the tab's one worker, show the result,
and keep or discard the fine-tuned model (the user's decision; unkept files are deleted). Mixed into ``TrainTab``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from mnist_gui.errors import ConfigError
from mnist_gui.ml.finetune import FinetuneConfig
from mnist_gui.views.state import ActiveModel
from mnist_gui.paths import new_run_dir
from mnist_gui.views.train.outcome import delete_finetuned

log = logging.getLogger(__name__)


class FinetuneFlow:
    """Uses the tab's ``state``, ``jobs``, ``monitor``, ``strip``, ``finetune`` panel and ``result_label``."""

    state: Any
    jobs: Any
    monitor: Any
    strip: Any
    finetune: Any
    result_label: Any
    left_scroll: Any
    finetuneFinished: Any
    pending_finetune: Any = None
    stopped_result: Any = None
    _finetune_out: Path | None = None  # the running fine-tune's output: deleted unless the user keeps it

    def _start_finetune_now(self, cfg: FinetuneConfig) -> None:
        model, data, coll = self.state.model, self.state.data, self.state.my_digits
        if self.jobs.busy() or data is None or model is None or model.path is None or self.state.closing:
            return
        held = coll.holdout_mask()
        try:
            cfg.validate(int((~held).sum()))
        except ConfigError as exc:
            self.state.report_error("Fine-tuning cannot start", str(exc))
            return
        from mnist_gui.ml.finetune import run_finetune

        if self.pending_finetune is not None:
            self.discard_finetuned()
        # Boolean indexing copies: the user may keep adding or editing digits while this runs.
        tune_x, tune_y, held_x, held_y = coll.x[~held], coll.y[~held], coll.x[held], coll.y[held]
        base, out = model.path, new_run_dir("finetune") / "finetuned.keras"
        self._finetune_out = out
        per_epoch = cfg.batch_layout(len(data.x_train))[2] * cfg.batch_size
        self.strip.clear_answers()
        self.jobs.start(lambda reporter, stop: run_finetune(base, data, tune_x, tune_y, held_x, held_y, out, cfg, reporter, stop),
                        cfg.epochs, per_epoch, self._on_finetuned, "Fine-tuning",
                        "measuring the result on MNIST and your held-out digits…")
        self.stopped_result = None

    def _on_finetuned(self, result: Any) -> None:
        if self.state.closing:
            self._delete_finetuned(result.model_path)  # nobody can keep it any more
            return
        self._finetune_out = None  # pending now: kept or discarded by the user
        self.monitor.finish("stopped" if result.stopped else "done")
        self.monitor.show_history(result.history)
        self.strip.update_predictor(-1, result.predictor)  # the fine-tuned model's answers, before keep/discard
        self.pending_finetune = result
        self.finetune.show_pending(result)
        QTimer.singleShot(0, lambda: self.left_scroll.ensureWidgetVisible(self.finetune.discard_btn))  # after relayout
        # with its count: 100 % of 1 held-out digit is not 100 % of 40
        mine = (f"your {result.n_held} held-out digit{'s' if result.n_held != 1 else ''} {result.mine_before:.1%} → "
                f"{result.mine_after:.1%}, " if result.mine_before is not None else "")
        self.result_label.setText(f"Fine-tuned: {mine}MNIST {result.mnist_before:.2%} → {result.mnist_after:.2%}")
        self.state.show_status("Fine-tuning done: keep the result or discard it (Train tab)")
        self.finetuneFinished.emit(result)

    def _take_pending(self) -> Any:
        r, self.pending_finetune = self.pending_finetune, None
        self.finetune.show_pending(None)
        return r

    def keep_finetuned(self) -> None:
        r = self._take_pending()
        if r is None:
            return
        self.state.set_model(ActiveModel(r.predictor, "finetuned", r.model_path, r.mnist_after))
        # The folder goes to the log, not the status bar: a full path pushed the sentence out of sight.
        log.info("kept the fine-tuned model %s", r.model_path)
        self.state.show_status(f"Kept the fine-tuned model ({r.model_path.parent.name}); Draw, Dataset and Inside use it now")

    def discard_finetuned(self) -> None:
        r = self._take_pending()
        if r is None:
            return
        self._delete_finetuned(r.model_path)
        self.result_label.setText("Fine-tuned model discarded; the active model is unchanged")
        self.state.show_status("Discarded the fine-tuned model")

    @staticmethod
    def _delete_finetuned(model_path: Path) -> None:
        delete_finetuned(model_path)

