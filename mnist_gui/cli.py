"""The ``mnist-gui`` entry point: the GUI with no subcommand; ``train``, ``finetune``, ``evaluate``, ``predict`` headless.

User mistakes print ``error: …`` and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mnist_gui.errors import UserError

log = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1 (got {v})")
    return v


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, exclusive (got {v})")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (got {v})")
    return v


def build_parser() -> argparse.ArgumentParser:
    from mnist_gui import __version__

    parser = argparse.ArgumentParser(prog="mnist-gui", description="Draw digits, browse MNIST and train a Keras MLP.")
    parser.add_argument("--version", action="version", version=f"mnist-gui {__version__}")
    parser.add_argument("--smoke-test", action="store_true", help="start offscreen, predict, train one step, exit")
    parser.add_argument("--data", metavar="PATH", help="MNIST npz or folder of IDX files (default: bundled)")
    sub = parser.add_subparsers(dest="command")

    t = sub.add_parser("train", help="train the MLP headless, as the notebook does")
    t.add_argument("--preset", choices=("notebook", "default"), default="default")
    t.add_argument("--epochs", type=_positive_int)
    t.add_argument("--batch-size", type=_positive_int)
    t.add_argument("--validation-split", type=_fraction)
    t.add_argument("--learning-rate", type=_positive_float)
    t.add_argument("--optimizer", choices=("rmsprop", "adam", "sgd"))
    t.add_argument("--seed", type=int)
    t.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random affine + stroke-width augmentation of training images (default: as the preset says)")
    t.add_argument("--data", metavar="PATH", dest="sub_data", help="MNIST npz or folder of IDX files")
    t.add_argument("--out", metavar="DIR", help="folder for best.keras and its sidecars")
    t.add_argument("--limit", type=_positive_int, metavar="N", help="use only the first N train and test images")

    e = sub.add_parser("evaluate", help="print a model's test accuracy")
    e.add_argument("model", metavar="MODEL.keras")
    e.add_argument("--data", metavar="PATH", dest="sub_data")
    e.add_argument("--limit", type=_positive_int, metavar="N")

    f = sub.add_parser("finetune", help="fine-tune a model on your own digits mixed with MNIST")
    f.add_argument("digits", metavar="DIGITS.npz",
                   help="Keras MNIST layout: x_train/y_train to learn from, x_test/y_test held out (as File → Export My digits writes)")
    f.add_argument("--model", metavar="MODEL.keras", help="model to start from (default: the bundled pretrained model)")
    f.add_argument("--epochs", type=_positive_int)
    f.add_argument("--share", type=_fraction, help="share of each batch from your digits (default 0.125)")
    f.add_argument("--learning-rate", type=_positive_float)
    f.add_argument("--seed", type=int)
    f.add_argument("--data", metavar="PATH", dest="sub_data", help="MNIST npz or folder of IDX files")
    f.add_argument("--out", metavar="MODEL.keras", help="where to write the fine-tuned model")

    p = sub.add_parser("predict", help="read digits from image files")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", metavar="MODEL.keras", help="default: the bundled pretrained model")
    return parser


class PrintReporter:
    """Prints the training log as Keras would (the CLI's reporter)."""

    def message(self, text: str) -> None:
        print(text, flush=True)

    def batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        pass

    def epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        pass

    def checkpoint(self, epoch: int, val_loss: float, path: Path) -> None:
        pass


def _interruptible(job: Callable[[threading.Event], Any]) -> Any:
    """Run ``job(stop_event)``; Ctrl+C sets the event and returns None after saying so."""
    stop = threading.Event()
    try:
        return job(stop)
    except KeyboardInterrupt:
        stop.set()
        print("error: interrupted", file=sys.stderr)
        return None


def cmd_train(args: argparse.Namespace) -> int:
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.training import TrainingConfig, run_training
    from mnist_gui.paths import user_data_dir

    cfg = TrainingConfig.preset_config(args.preset)
    changes = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                                 ("validation_split", args.validation_split), ("seed", args.seed)) if v is not None}
    model_changes = {k: v for k, v in (("learning_rate", args.learning_rate), ("optimizer", args.optimizer)) if v is not None}
    if model_changes:
        from dataclasses import replace

        changes["model"] = replace(cfg.model, **model_changes)
    if args.augment is not None:
        changes["augment"] = args.augment
    cfg = cfg.with_(**changes)
    data = load_mnist(args.sub_data or args.data).limited(args.limit)
    cfg.validate(len(data.x_train))
    out = Path(args.out) if args.out else user_data_dir() / "models" / _dt.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    result = _interruptible(lambda stop: run_training(cfg, data, out, PrintReporter(), stop))
    if result is None:
        return 130
    print(f"Best model: {result.model_path}")
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.finetune import FinetuneConfig, run_finetune
    from mnist_gui.ml.my_digits import read_keras_layout
    from mnist_gui.paths import default_model_path, user_data_dir

    (tx, ty), (hx, hy) = read_keras_layout(args.digits)
    changes = {k: v for k, v in (("epochs", args.epochs), ("mine_fraction", args.share),
                                 ("learning_rate", args.learning_rate), ("seed", args.seed)) if v is not None}
    cfg = FinetuneConfig(**changes)
    cfg.validate(len(tx))
    data = load_mnist(args.sub_data or args.data)
    out = Path(args.out) if args.out else user_data_dir() / "models" / _dt.datetime.now().strftime("finetune-%Y%m%d-%H%M%S") / "finetuned.keras"
    if out.suffix != ".keras":
        raise UserError(f"{out}: the output must end in .keras")
    base = args.model or default_model_path()
    r = _interruptible(lambda stop: run_finetune(base, data, tx, ty, hx, hy, out, cfg, PrintReporter(), stop))
    if r is None:
        return 130
    print(f"Fine-tuned model: {r.model_path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from mnist_gui.ml.data import load_mnist

    data = load_mnist(args.sub_data or args.data).limited(args.limit)
    from mnist_gui.ml.model_io import load_keras_model
    from mnist_gui.ml.training import evaluate, prepare

    model, _ = load_keras_model(args.model)
    if model.optimizer is None or not getattr(model, "compiled", True):
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    p = prepare(data)
    try:
        loss, acc = evaluate(model, p.x_test, p.y_test)
    except Exception as exc:  # a model that loaded but cannot run on this data
        raise UserError(f"{args.model}: evaluation failed: {exc}") from exc
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {acc:.2%}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from mnist_gui.ml.images import load_image
    from mnist_gui.ml.inference import load_default_predictor
    from mnist_gui.ml.model_io import load_predictor_checked
    from mnist_gui.ml.preprocess import is_blank, normalize_digit

    predictor = load_predictor_checked(args.model) if args.model else load_default_predictor()
    failures = 0
    for path in args.images:
        try:
            img = load_image(path)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        if is_blank(img):
            print(f"{path}: blank (no ink found)")
            continue
        probs = predictor.predict(normalize_digit(img)[None])[0]
        digit = int(probs.argmax())
        print(f"{path}: {digit} ({probs[digit]:.1%})")
    return 2 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("MNIST_GUI_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    from mnist_gui.ml import set_tensorflow_environment

    set_tensorflow_environment()
    if args.command is None:
        from mnist_gui.app import run_gui

        return run_gui(data_path=args.data, smoke_test=args.smoke_test)
    commands = {"train": cmd_train, "finetune": cmd_finetune, "evaluate": cmd_evaluate, "predict": cmd_predict}
    try:
        return commands[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory", file=sys.stderr)
        return 2
