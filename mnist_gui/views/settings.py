"""Remembered settings, read and written through one typed layer over QSettings.

Every setting the app keeps is declared once below (``ALL_SETTINGS``) with its key, type, default and
valid range or choices. The store is a text file a person can edit, an older or newer version can write,
and a crash can truncate, so nothing read from it is trusted: a missing value reads as its default, and a
damaged or out-of-range one (``brush=abc``, ``theme=neon``, ``[finetune] epochs=1e9``) reads as its
default, is logged and is removed from the store, so it is never written back. Writes are checked the
same way. A store Qt cannot parse at all is moved aside (``NAME.unreadable-TIMESTAMP.ini``), as an
unreadable My digits file is, and its readable keys are carried over.

``MNIST_GUI_SETTINGS`` points to an ini file instead of the platform store (tests use it).
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from mnist_gui.ml.finetune import FinetuneConfig
from mnist_gui.paths import APP_NAME, ORG_NAME
from mnist_gui.views.theme import DEFAULT_THEME, THEMES

log = logging.getLogger(__name__)

T = TypeVar("T")


class InvalidSettingError(ValueError):
    """A stored or given value that is not valid for its setting (always caught inside this module)."""


def _number(raw: object) -> float:
    """A finite number from an ini value (a string) or a Python number; anything else is invalid."""
    if isinstance(raw, bool):  # bool is an int subclass, but True is not a brush size
        raise InvalidSettingError("not a number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise InvalidSettingError("not a number") from None
    else:
        raise InvalidSettingError(f"not a number but {type(raw).__name__}")
    if not math.isfinite(value):
        raise InvalidSettingError("not a finite number")
    return value


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One remembered value: its key in the store and the value used when the stored one is missing or bad."""

    key: str
    default: T

    def check(self, raw: object) -> T:
        """The typed value for ``raw``; raises :class:`InvalidSettingError` when it is not valid."""
        raise NotImplementedError

    def describe(self) -> str:
        """What a valid value is, for the log."""
        raise NotImplementedError


@dataclass(frozen=True)
class IntSetting(Setting[int]):
    lo: int
    hi: int

    def check(self, raw: object) -> int:
        value = _number(raw)
        if value != int(value):  # "6.0" is fine when edited by hand, 6.5 is not
            raise InvalidSettingError("not a whole number")
        if not self.lo <= value <= self.hi:
            raise InvalidSettingError("out of range")
        return int(value)

    def describe(self) -> str:
        return f"a whole number from {self.lo} to {self.hi}"


@dataclass(frozen=True)
class FloatSetting(Setting[float]):
    lo: float
    hi: float

    def check(self, raw: object) -> float:
        value = _number(raw)
        if not self.lo <= value <= self.hi:
            raise InvalidSettingError("out of range")
        return value

    def describe(self) -> str:
        return f"a number from {self.lo:g} to {self.hi:g}"


@dataclass(frozen=True)
class ChoiceSetting(Setting[str]):
    choices: tuple[str, ...]

    def check(self, raw: object) -> str:
        if not isinstance(raw, str) or raw.strip().lower() not in self.choices:
            raise InvalidSettingError("not one of the choices")
        return raw.strip().lower()

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices)


@dataclass(frozen=True)
class BytesSetting(Setting["QByteArray | None"]):
    """Opaque bytes Qt produced (window geometry); whether Qt accepts them is for the caller to find out."""

    def check(self, raw: object) -> QByteArray:
        if isinstance(raw, bytes):
            raw = QByteArray(raw)
        if not isinstance(raw, QByteArray) or raw.isEmpty():
            raise InvalidSettingError("empty or not bytes")
        return raw

    def describe(self) -> str:
        return "bytes saved by Qt"


@dataclass(frozen=True)
class PathSetting(Setting[str]):
    """A file-system path as text; ``must_be_dir`` also wants an existing folder (a deleted one is forgotten)."""

    must_be_dir: bool = False

    def check(self, raw: object) -> str:
        if not isinstance(raw, str) or not raw.strip() or "\0" in raw:
            raise InvalidSettingError("not a path")
        if self.must_be_dir and not Path(raw).is_dir():
            raise InvalidSettingError("no such folder")
        return raw

    def describe(self) -> str:
        return "an existing folder" if self.must_be_dir else "a path"


_FINETUNE = FinetuneConfig()

# Every setting the app keeps. The ranges are those of the widgets that show them (a test checks they agree).
THEME = ChoiceSetting("theme", DEFAULT_THEME, THEMES)
GEOMETRY = BytesSetting("geometry", None)
BRUSH = IntSetting("brush", 6, 2, 15)
DRAW_WHY = ChoiceSetting("draw/why", "off", ("off", "on"))  # the drawing coloured by saliency
FINETUNE_EPOCHS = IntSetting("finetune/epochs", _FINETUNE.epochs, 1, 100)
FINETUNE_SHARE = FloatSetting("finetune/share", _FINETUNE.mine_fraction * 100, 1.0, 90.0)  # percent of each batch
FINETUNE_LR = FloatSetting("finetune/lr", _FINETUNE.learning_rate, 0.00001, 0.01)
ACTIVE_MODEL_PATH = PathSetting("active_model/path", "")  # "" = the default model; whether it still exists is checked on use
ACTIVE_MODEL_KIND = ChoiceSetting("active_model/kind", "file", ("trained", "finetuned", "file"))
LAST_MODEL_DIR = PathSetting("last_model_dir", "", must_be_dir=True)  # "" = the home folder

ALL_SETTINGS: tuple[Setting, ...] = (THEME, GEOMETRY, BRUSH, DRAW_WHY, FINETUNE_EPOCHS, FINETUNE_SHARE, FINETUNE_LR,
                                     ACTIVE_MODEL_PATH, ACTIVE_MODEL_KIND, LAST_MODEL_DIR)
_BY_KEY = {s.key: s for s in ALL_SETTINGS}
# Written by earlier versions and never read: removed so the store holds only what is used.
OBSOLETE_KEYS = ("last_model",)


def _open_store(path: str | None) -> QSettings:
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORG_NAME, APP_NAME)


class AppSettings:
    """Typed access to the remembered settings; reading or writing never raises.

    Several instances may be open at once (the window, the fine-tune panel): Qt shares one cache per file.
    """

    def __init__(self, path: str | None = None) -> None:
        self._store = _open_store(path if path is not None else os.environ.get("MNIST_GUI_SETTINGS"))
        self._store.allKeys()  # Qt parses the file lazily; this makes status() report a damaged one
        if self._store.status() == QSettings.FormatError:
            self._set_aside()
        elif self._store.status() == QSettings.AccessError:
            log.warning("settings file %s cannot be read; defaults are used", self._store.fileName())
        for key in OBSOLETE_KEYS:
            self._store.remove(key)
        # Check every setting once now, so a damaged one that is read late or never in this session
        # (the Load-model folder) is logged and dropped at start, not written back at close.
        for setting in ALL_SETTINGS:
            self.get(setting)

    def _set_aside(self) -> None:
        """Move an unparsable store aside (kept for the user) and start a new one with what was readable."""
        damaged = Path(self._store.fileName())
        kept = {k: self._store.value(k) for k in self._store.allKeys() if k in _BY_KEY}
        aside = damaged.with_name(f"{damaged.stem}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}{damaged.suffix}")
        del self._store  # Qt must let go of the file before it is renamed
        try:
            damaged.replace(aside)
        except OSError as exc:
            log.warning("damaged settings file %s could not be moved aside (%s); defaults are used", damaged, exc)
            self._store = QSettings(str(damaged), QSettings.IniFormat)
            return
        log.warning("damaged settings file moved to %s; its readable settings were kept", aside)
        self._store = QSettings(str(damaged), QSettings.IniFormat)
        for key, raw in kept.items():
            self._store.setValue(key, raw)  # still checked on every read, like any stored value

    # --- generic access -------------------------------------------------------------------------------
    def get(self, setting: Setting[T]) -> T:
        """The stored value if valid, else the default; a bad stored value is logged and removed."""
        if not self._store.contains(setting.key):
            return setting.default
        raw = self._store.value(setting.key)
        try:
            return setting.check(raw)
        except InvalidSettingError as exc:
            log.warning("setting %s=%r is not valid (%s; want %s): using %r", setting.key, raw, exc, setting.describe(),
                        setting.default)
            self._store.remove(setting.key)  # so that it is not written back and read again next time
            return setting.default

    def set(self, setting: Setting[T], value: object) -> None:
        """Store ``value`` if it is valid for ``setting``; an invalid one is logged and the default applies."""
        try:
            checked = setting.check(value)
        except InvalidSettingError as exc:
            log.warning("setting %s=%r not saved (%s; want %s)", setting.key, value, exc, setting.describe())
            self._store.remove(setting.key)
            return
        self._store.setValue(setting.key, checked)

    def reset(self, setting: Setting) -> None:
        """Forget the stored value: the default applies from now on."""
        self._store.remove(setting.key)

    def value(self, key: str) -> object:
        """QSettings-style read by key, checked like :meth:`get` (``KeyError`` for a key that is no setting)."""
        return self.get(_BY_KEY[key])

    def sync(self) -> None:
        self._store.sync()
        if self._store.status() == QSettings.AccessError:
            log.warning("settings could not be saved to %s", self._store.fileName())

    def file_name(self) -> str:
        return self._store.fileName()

    # --- the settings, typed --------------------------------------------------------------------------
    @property
    def theme(self) -> str:
        return self.get(THEME)

    @theme.setter
    def theme(self, value: str) -> None:
        self.set(THEME, value)

    @property
    def geometry(self) -> QByteArray | None:
        return self.get(GEOMETRY)

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.set(GEOMETRY, value)

    @property
    def brush(self) -> int:
        return self.get(BRUSH)

    @brush.setter
    def brush(self, value: int) -> None:
        self.set(BRUSH, value)

    @property
    def finetune_epochs(self) -> int:
        return self.get(FINETUNE_EPOCHS)

    @finetune_epochs.setter
    def finetune_epochs(self, value: int) -> None:
        self.set(FINETUNE_EPOCHS, value)

    @property
    def finetune_share(self) -> float:
        """Percent of every fine-tuning batch taken from My digits."""
        return self.get(FINETUNE_SHARE)

    @finetune_share.setter
    def finetune_share(self, value: float) -> None:
        self.set(FINETUNE_SHARE, value)

    @property
    def finetune_lr(self) -> float:
        return self.get(FINETUNE_LR)

    @finetune_lr.setter
    def finetune_lr(self, value: float) -> None:
        self.set(FINETUNE_LR, value)

    @property
    def last_model_dir(self) -> str:
        """Where Load model… opens: the folder of the last model loaded, else the home folder."""
        return self.get(LAST_MODEL_DIR) or str(Path.home())

    @last_model_dir.setter
    def last_model_dir(self, value: str) -> None:
        self.set(LAST_MODEL_DIR, value)

    def active_model(self) -> tuple[str, str] | None:
        """``(path, kind)`` of the model that was active at the last close, or ``None`` for the default model."""
        path = self.get(ACTIVE_MODEL_PATH)
        return (path, self.get(ACTIVE_MODEL_KIND)) if path else None

    def set_active_model(self, path: str | os.PathLike[str], kind: str) -> None:
        self.set(ACTIVE_MODEL_PATH, os.fspath(path))
        self.set(ACTIVE_MODEL_KIND, kind)

    def clear_active_model(self) -> None:
        for setting in (ACTIVE_MODEL_PATH, ACTIVE_MODEL_KIND):
            self.reset(setting)
