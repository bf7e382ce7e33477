"""The ``mnist-gui`` entry point: the GUI with no subcommand; ``train``, ``finetune``, ``evaluate``, ``predict``,
``export`` headless.

User mistakes print ``error: …`` and exit with status 2, never a traceback. Every argument is checked
before anything is created. Ctrl-C during ``train``/``finetune`` stops at the next batch and keeps the best
model so far (exit status 130); a second Ctrl-C aborts at once.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mnist_gui.errors import UserError
from mnist_gui.ml.progress import TrainingReporter

log = logging.getLogger(__name__)


def _parse(text: str, conv: type, what: str) -> Any:
    """``conv(text)``, or argparse's error saying what was expected."""
    try:
        return conv(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def _positive_int(text: str) -> int:
    v = _parse(text, int, "a whole number")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1 (got {v})")
    return v


def _fraction(text: str) -> float:
    v = _parse(text, float, "a number")
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, exclusive (got {v})")
    return v


def _positive_float(text: str) -> float:
    v = _parse(text, float, "a number")
    if not v > 0 or not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0 (got {text})")
    return v


def _seed(text: str) -> int:
    """A seed numpy, TensorFlow and Keras all accept (they fail deep inside on -1 or 2**32)."""
    from mnist_gui.ml.training import MAX_SEED

    v = _parse(text, int, "a whole number")
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED} (got {v})")
    return v


def build_parser() -> argparse.ArgumentParser:
    from mnist_gui import __version__

    parser = argparse.ArgumentParser(prog="mnist-gui", description="Draw digits, browse MNIST and train a Keras MLP or CNN.")
    parser.add_argument("--version", action="version", version=f"mnist-gui {__version__}")
    parser.add_argument("--smoke-test", action="store_true", help="start offscreen, predict, train one step, exit")
    parser.add_argument("--data", metavar="PATH", help="MNIST npz or folder of IDX files (default: bundled)")
    sub = parser.add_subparsers(dest="command")
    from mnist_gui.ml.finetune import FinetuneConfig
    from mnist_gui.ml.training import TrainingConfig

    presets = {name: TrainingConfig.preset_config(name) for name in ("notebook", "default", "cnn")}

    def by_preset(field: str) -> str:
        """"default: the preset's (notebook 10, default 10, cnn 10)": what each preset sets ``field`` to."""
        values = {name: getattr(cfg, field) for name, cfg in presets.items()}
        if len(set(values.values())) == 1:
            return f"default: {next(iter(values.values()))}"
        return "default: the preset's (" + ", ".join(f"{n} {v}" for n, v in values.items()) + ")"

    data_help = "MNIST npz or folder of IDX files (default: the bundled copy)"
    ft = FinetuneConfig()

    t = sub.add_parser("train", help="train the MLP (as the notebook does) or the CNN headless")
    t.add_argument("--arch", choices=("mlp", "cnn"), help="network: mlp (presets notebook, default) or cnn (preset cnn); "
                   "default: the preset's, else mlp")
    t.add_argument("--preset", choices=("notebook", "default", "cnn"), help="default: 'default' for mlp, 'cnn' for cnn")
    t.add_argument("--epochs", type=_positive_int, help=f"passes over the training images; {by_preset('epochs')}")
    t.add_argument("--batch-size", type=_positive_int, help=f"images per step; {by_preset('batch_size')}")
    t.add_argument("--validation-split", type=_fraction,
                   help=f"share of the training images held out to pick the best epoch (between 0 and 1); {by_preset('validation_split')}")
    t.add_argument("--learning-rate", type=_positive_float, help=by_preset("learning_rate"))
    t.add_argument("--optimizer", choices=("rmsprop", "adam", "sgd"), help=by_preset("optimizer"))
    t.add_argument("--seed", type=_seed, help=f"seed of the weights, the shuffling and the augmentation; {by_preset('seed')}")
    t.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random affine + stroke-width augmentation of training images (default: as the preset says)")
    t.add_argument("--data", metavar="PATH", dest="sub_data", help=data_help)
    t.add_argument("--out", metavar="DIR", help="folder for best.keras and its sidecars (default: a new run folder)")
    t.add_argument("--name", help="a name for the run in the Runs list")
    t.add_argument("--limit", type=_positive_int, metavar="N",
                   help="train on the first N training images only (tested on all test images, as in the app)")

    e = sub.add_parser("evaluate", help="print a model's test accuracy")
    e.add_argument("model", metavar="MODEL.keras", help="a model saved by the app or by `mnist-gui train`")
    e.add_argument("--data", metavar="PATH", dest="sub_data", help=data_help + "; its test images are used")
    e.add_argument("--limit", type=_positive_int, metavar="N", help="test on the first N test images only (default: all)")

    f = sub.add_parser("finetune", help="fine-tune a model on your own digits mixed with MNIST")
    f.add_argument("digits", metavar="DIGITS.npz",
                   help="Keras MNIST layout: x_train/y_train to learn from, x_test/y_test held out (as File → Export My digits writes)")
    f.add_argument("--model", metavar="MODEL.keras", help="model to start from (default: the bundled pretrained model)")
    f.add_argument("--epochs", type=_positive_int, help=f"default: {ft.epochs}")
    f.add_argument("--share", type=_fraction, help=f"share of each batch from your digits (default {ft.mine_fraction})")
    f.add_argument("--learning-rate", type=_positive_float, help=f"default: {ft.learning_rate:g} (a nudge, not a retraining)")
    f.add_argument("--seed", type=_seed, help=f"default: {ft.seed}")
    f.add_argument("--data", metavar="PATH", dest="sub_data", help=data_help + "; mixed into every batch")
    f.add_argument("--out", metavar="MODEL.keras", help="where to write the fine-tuned model")

    p = sub.add_parser("predict", help="read digits from image files")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, … of a digit or a whole number (either polarity)")
    p.add_argument("--model", metavar="MODEL.keras", help="default: the bundled pretrained model")

    from mnist_gui.ml.export import FORMATS

    x = sub.add_parser("export", help="export a model as .keras, SavedModel or TFLite, checked against the original")
    x.add_argument("model", metavar="MODEL.keras")
    x.add_argument("--format", required=True, type=_export_format, metavar="|".join(FORMATS), help="keras, saved_model or tflite")
    x.add_argument("--out", metavar="PATH", help="file (a folder for saved_model); default: beside MODEL, named after it")
    x.add_argument("--data", metavar="PATH", dest="sub_data", help=data_help + "; its test digits check the export")
    return parser


def _export_format(text: str) -> str:
    from mnist_gui.ml.export import FORMATS, UNSUPPORTED

    if text in FORMATS:
        return text
    raise argparse.ArgumentTypeError(UNSUPPORTED.get(text, f"unknown format {text!r} (choose from {', '.join(FORMATS)})"))


class PrintReporter(TrainingReporter):
    """Prints the training log as Keras would (the CLI's reporter)."""

    def message(self, text: str) -> None:
        print(text, flush=True)


def _run_stoppable(job: Callable[[threading.Event], Any]) -> tuple[Any, bool, str]:
    """Run ``job(stop_event)``; the first Ctrl-C sets the event (the job stops at its next check and keeps
    what it has), a second one aborts at once.

    Returns (result or None, whether Ctrl-C was pressed, the error that ended an interrupted job or "").
    """
    stop = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("interrupted: stopping at the next batch and keeping the best model so far (Ctrl-C again to abort now)",
              file=sys.stderr, flush=True)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: Ctrl-C stays a plain KeyboardInterrupt
        previous = None
    try:
        return job(stop), stop.is_set(), ""
    except KeyboardInterrupt:
        return None, True, ""
    except UserError as exc:
        if not stop.is_set():
            raise
        return None, True, str(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _fresh_run_dir(out: Path) -> Path:
    """``out``, or ``out/run-N`` when ``out`` already holds a model from an earlier run (never replace it silently)."""
    if not os.path.lexists(out / "best.keras"):
        return out
    n = 2
    while os.path.lexists(out / f"run-{n}" / "best.keras"):
        n += 1
    print(f"{out} already holds best.keras from an earlier run, which is kept; this run is saved in {out / f'run-{n}'}", flush=True)
    return out / f"run-{n}"


def _unused_model_path(out: Path) -> Path:
    """``out``, or ``NAME-N.keras`` beside it when ``out`` exists (an earlier model is never replaced silently)."""
    if not os.path.lexists(out):
        return out
    n = 2
    while os.path.lexists(out.with_name(f"{out.stem}-{n}{out.suffix}")):
        n += 1
    new = out.with_name(f"{out.stem}-{n}{out.suffix}")
    print(f"{out} already exists and is kept; the fine-tuned model is saved as {new}", flush=True)
    return new


def _report_interrupted_training(ckpt: Path, cfg: Any, error: str) -> None:
    """After an abort: say whether a checkpoint was kept, and make sure its ``.json`` exists."""
    from mnist_gui.ml.model_io import metadata_path_for, write_metadata

    if not ckpt.is_file():
        print("interrupted: no checkpoint had been saved yet; nothing was kept", file=sys.stderr)
        return
    if error:  # something failed after the stop (e.g. the final evaluation); the checkpoint itself is fine
        print(f"error: {error}", file=sys.stderr)
    meta = metadata_path_for(ckpt)
    if not meta.is_file():  # aborted between saving the model and its record
        try:
            write_metadata(ckpt, {"config": cfg.to_dict(), "complete": False, "stopped": True, "stop_reason": "interrupted"})
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
    print(f"interrupted: the best checkpoint so far was kept: {ckpt} (details in {meta.name})", file=sys.stderr)


def resolve_preset(arch: str | None, preset: str | None) -> str:
    """The preset ``train`` uses: ``--arch cnn`` alone means preset ``cnn``; a preset of the other architecture is an error."""
    from mnist_gui.ml.config import PRESET_ARCH

    if preset is None:
        return "cnn" if arch == "cnn" else "default"
    if arch is not None and PRESET_ARCH[preset] != arch:
        fitting = ", ".join(p for p, a in PRESET_ARCH.items() if a == arch)
        raise UserError(f"--preset {preset} is for the {PRESET_ARCH[preset]} architecture, not --arch {arch} (its presets: {fitting})")
    return preset


def cmd_train(args: argparse.Namespace) -> int:
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.training import TrainingConfig, run_training
    from mnist_gui.paths import new_run_dir

    cfg = TrainingConfig.preset_config(resolve_preset(args.arch, args.preset))
    changes = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size), ("validation_split", args.validation_split),
                                 ("seed", args.seed), ("learning_rate", args.learning_rate), ("optimizer", args.optimizer),
                                 ("augment", args.augment)) if v is not None}
    cfg = cfg.with_(**changes)
    cfg.validate()  # before loading anything
    if args.name:
        from mnist_gui.ml.runs import clean_name as check_run_name  # the Runs list's rule for names

        check_run_name(args.name)
    data = load_mnist(args.sub_data or args.data).limited(args.limit, test=False)  # one test set for every run
    cfg.validate(len(data.x_train))
    out = _fresh_run_dir(Path(args.out)) if args.out else new_run_dir("run")
    result, interrupted, error = _run_stoppable(lambda stop: run_training(cfg, data, out, PrintReporter(), stop, name=args.name or ""))
    if result is None:
        _report_interrupted_training(out / "best.keras", cfg, error)
        return 130
    print(f"Best model: {result.model_path}")
    if interrupted:
        print(f"interrupted: the best checkpoint so far (epoch {result.best_epoch}) was kept: {result.model_path} "
              f"(details in {result.model_path.with_suffix('.json').name})", file=sys.stderr)
        return 130
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.finetune import FinetuneConfig, run_finetune
    from mnist_gui.ml.my_digits import read_keras_layout
    from mnist_gui.paths import default_model_path, new_run_dir

    changes = {k: v for k, v in (("epochs", args.epochs), ("mine_fraction", args.share),
                                 ("learning_rate", args.learning_rate), ("seed", args.seed)) if v is not None}
    cfg = FinetuneConfig(**changes)
    if args.out and Path(args.out).suffix != ".keras":
        raise UserError(f"{args.out}: the output must end in .keras")
    (tx, ty), (hx, hy) = read_keras_layout(args.digits)
    cfg.validate(len(tx))
    base = args.model or default_model_path()
    if args.model:
        from mnist_gui.ml.model_io import check_model_file

        check_model_file(base)  # a wrong path is reported before MNIST and TensorFlow load
    data = load_mnist(args.sub_data or args.data)
    out = _unused_model_path(Path(args.out)) if args.out else new_run_dir("finetune") / "finetuned.keras"
    r, interrupted, error = _run_stoppable(lambda stop: run_finetune(base, data, tx, ty, hx, hy, out, cfg, PrintReporter(), stop))
    if r is None:
        print(f"interrupted: {error or 'fine-tuning aborted'}; nothing was saved", file=sys.stderr)
        return 130
    print(f"Fine-tuned model: {r.model_path}")
    if interrupted:
        print(f"interrupted: fine-tuning stopped after {len(r.history['loss'])} epoch(s); that model was measured and saved: "
              f"{r.model_path}", file=sys.stderr)
        return 130
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from mnist_gui.ml.model_io import check_model_file

    check_model_file(args.model)  # a wrong path is reported before MNIST and TensorFlow load
    from mnist_gui.ml.data import load_mnist

    data = load_mnist(args.sub_data or args.data).limited(args.limit)
    from mnist_gui.ml.model import model_input
    from mnist_gui.ml.model_io import load_keras_model
    from mnist_gui.ml.training import evaluate, prepare

    model, _ = load_keras_model(args.model)
    # Compiled for evaluation whatever it was saved with: a model saved without compile() is a fine model,
    # and the loss reported is then plain cross-entropy for every model.
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    p = prepare(data)
    try:
        loss, acc = evaluate(model, model_input(model, p.x_test), p.y_test)
    except Exception as exc:  # a model that loaded but cannot run on this data
        raise UserError(f"{args.model}: evaluation failed: {exc}") from exc
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {acc:.2%}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from mnist_gui.ml.images import load_image
    from mnist_gui.ml.inference import load_default_predictor
    from mnist_gui.ml.model_io import load_predictor_for
    from mnist_gui.ml.preprocess import is_blank
    from mnist_gui.ml.segment import digits_from_ink

    # Any .keras works: its numpy weights come from a matching sidecar, the cache or Keras (never written beside it).
    predictor = load_predictor_for(args.model) if args.model else load_default_predictor()
    failures = 0
    for path in args.images:
        try:
            img = load_image(path)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        # A photo of "1984" is split into its digits as the Draw tab splits an opened image (specks dropped).
        xs = [] if is_blank(img) else digits_from_ink(img)
        if not xs:
            print(f"{path}: blank (no ink found)")
            continue
        probs = predictor.predict(np.stack(xs))
        answers = [(int(p.argmax()), float(p.max())) for p in probs]
        if len(answers) == 1:  # one digit: the line it always was
            print(f"{path}: {answers[0][0]} ({answers[0][1]:.1%})")
        else:
            number = "".join(str(d) for d, _ in answers)
            print(f"{path}: {number} (" + ", ".join(f"{d} {c:.1%}" for d, c in answers) + ")")
    return 2 if failures else 0


def cmd_export(args: argparse.Namespace) -> int:
    from mnist_gui.ml.export import default_export_path, export_model
    from mnist_gui.ml.model_io import check_model_file

    src = check_model_file(args.model)  # a wrong path is reported before MNIST and TensorFlow load
    out = Path(args.out) if args.out else default_export_path(src, args.format)
    r = export_model(src, args.format, out, data_path=args.sub_data or args.data)
    print(f"Exported {src} as {args.format}: {r.path}")
    print(f"Checked on {r.n_checked:,} test digits: max |probability difference| {r.max_abs_diff:.2e} (limit {r.tolerance:.0e})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("MNIST_GUI_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    from mnist_gui.ml import set_tensorflow_environment

    set_tensorflow_environment()
    if args.command is None:
        from mnist_gui.app import run_gui

        return run_gui(data_path=args.data, smoke_test=args.smoke_test)
    commands = {"train": cmd_train, "finetune": cmd_finetune, "evaluate": cmd_evaluate, "predict": cmd_predict, "export": cmd_export}
    try:
        return commands[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while loading, before a job could stop cleanly
        print("interrupted", file=sys.stderr)
        return 130
