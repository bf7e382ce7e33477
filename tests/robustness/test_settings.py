"""Damaged settings, a small screen and a bad --data: the app starts as a person expects.

A hand-edited or damaged ``mnist-gui.ini`` must not stop the start-up (defect 2 of issue 14): every value
reads as its default, is logged, and is never written back. The window must fit a 1024×600 screen, and
the Dataset tab must not claim MNIST counts of data that did not load (defect 9).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings, QSize
from PySide6.QtWidgets import QMessageBox

from mnist_gui.app import create_window
from mnist_gui.ml.finetune import FinetuneConfig
from mnist_gui.views import settings as app_settings
from mnist_gui.views.settings import ALL_SETTINGS, AppSettings
from tests.gui_helpers import open_window

BY_KEY = {s.key: s for s in ALL_SETTINGS}


@pytest.fixture
def ini() -> Path:
    """The settings file the app uses in this test (conftest points MNIST_GUI_SETTINGS to a temp folder)."""
    return Path(os.environ["MNIST_GUI_SETTINGS"])


def stored_keys(path: Path) -> dict[str, object]:
    """What is on disk, read by a fresh QSettings (after the app synced)."""
    store = QSettings(str(path), QSettings.IniFormat)
    return {k: store.value(k) for k in store.allKeys()}


def assert_store_valid(path: Path) -> None:
    for key, raw in stored_keys(path).items():
        assert key in BY_KEY, f"unknown key {key} written"
        BY_KEY[key].check(raw)  # raises InvalidSettingError if the app wrote back something it would reject


def wait_until_idle(qtbot, w) -> None:
    """Start-up has finished all its work, background threads included (TensorFlow is not part of it: it is
    imported only when something asks for it, so nothing here waits for it)."""
    from mnist_gui.views.threads import running_threads

    qtbot.waitUntil(lambda: not running_threads(), timeout=120000)


# --- the typed layer, without a window ----------------------------------------------------------------

def test_missing_store_gives_every_default(ini):
    s = AppSettings()
    assert (s.theme, s.geometry, s.brush) == ("system", None, 6)
    cfg = FinetuneConfig()  # the fine-tuning defaults are the library's
    assert (s.finetune_epochs, s.finetune_share, s.finetune_lr) == (cfg.epochs, cfg.mine_fraction * 100, cfg.learning_rate)
    assert s.active_model() is None and s.last_model_dir == str(Path.home())


BAD_VALUES = [
    ("brush", "abc"), ("brush", "-5"), ("brush", "1e9"), ("brush", "6.5"), ("brush", "nan"), ("brush", "inf"),
    ("brush", ""), ("brush", "@Invalid()"), ("brush", "6, 7"), ("brush", "99999999999999999999"),
    ("theme", "neon"), ("theme", ""), ("theme", "42"),
    ("geometry", "garbage"), ("geometry", "@ByteArray()"),
    ("finetune/epochs", "1e9"), ("finetune/epochs", "abc"), ("finetune/epochs", "0"), ("finetune/epochs", "2.5"),
    ("finetune/share", "nan"), ("finetune/share", "0"), ("finetune/share", "95"), ("finetune/share", "a lot"),
    ("finetune/lr", "fast"), ("finetune/lr", "1"), ("finetune/lr", "-1e-4"), ("finetune/lr", "0.001 please"),
    ("active_model/kind", "default"), ("active_model/kind", "neon"),
    ("last_model_dir", "/no/such/folder"), ("last_model_dir", ""),
]


def _ini_line(key: str, raw: str) -> str:
    group, _, name = key.rpartition("/")
    return f"[{group or 'General'}]\n{name}={raw}\n"


@pytest.mark.parametrize(("key", "raw"), BAD_VALUES)
def test_bad_stored_value_reads_as_default_is_logged_and_dropped(ini, caplog, key, raw):
    ini.write_text(_ini_line(key, raw))
    setting = BY_KEY[key]
    with caplog.at_level(logging.WARNING, logger=app_settings.__name__):
        assert AppSettings().get(setting) == setting.default
    assert key in caplog.text, "the fallback is logged"
    s = AppSettings()
    s.sync()
    assert key not in stored_keys(ini), "a bad value is not written back"


@pytest.mark.parametrize(("key", "raw", "value"), [
    ("brush", " 7 ", 7), ("brush", "6.0", 6), ("brush", "15", 15), ("theme", "Dark", "dark"),
    ("finetune/epochs", "10", 10), ("finetune/share", "25", 25.0), ("finetune/lr", "5e-4", 5e-4),
    ("active_model/kind", "finetuned", "finetuned"),
])
def test_good_stored_values_are_read_typed(ini, key, raw, value):
    ini.write_text(_ini_line(key, raw))
    assert AppSettings().get(BY_KEY[key]) == value


def test_invalid_values_are_never_written(ini, caplog):
    s = AppSettings()
    s.brush = 7
    with caplog.at_level(logging.WARNING, logger=app_settings.__name__):
        s.theme = "neon"
        s.brush = 99  # replaces the valid 7: the default applies, not a stale value
        s.finetune_lr = float("nan")
        s.geometry = QByteArray()
    s.sync()
    assert stored_keys(ini) == {}
    assert caplog.text.count("not saved") == 4


def test_valid_values_round_trip(ini, tmp_path):
    s = AppSettings()
    s.theme, s.brush, s.geometry = "dark", 9, QByteArray(b"\x01\x02geometry")
    s.finetune_epochs, s.finetune_share, s.finetune_lr = 12, 30.5, 0.002
    s.last_model_dir = str(tmp_path)
    s.set_active_model(tmp_path / "m.keras", "trained")
    s.sync()
    t = AppSettings()
    assert (t.theme, t.brush, bytes(t.geometry)) == ("dark", 9, b"\x01\x02geometry")
    assert (t.finetune_epochs, t.finetune_share, t.finetune_lr) == (12, 30.5, 0.002)
    assert t.last_model_dir == str(tmp_path) and t.active_model() == (str(tmp_path / "m.keras"), "trained")
    t.clear_active_model()
    t.sync()
    assert AppSettings().active_model() is None
    assert_store_valid(ini)


@pytest.mark.parametrize("damage", [b"[General\nbrush=7\n", b"[General]\nbrush=7\n\x00\x01\x02garbage\xff\n[[[\n"])
def test_unparsable_store_is_set_aside_and_readable_settings_kept(ini, damage):
    ini.write_bytes(damage)
    s = AppSettings()
    aside = [p for p in ini.parent.iterdir() if "unreadable" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == damage, "the damaged file is kept for the user"
    assert s.brush == 7
    s.theme = "dark"
    s.sync()
    assert stored_keys(ini) == {"brush": "7", "theme": "dark"}


def test_obsolete_last_model_key_is_removed(ini):
    ini.write_text("[General]\nlast_model=/somewhere/model.keras\nbrush=8\n")
    s = AppSettings()
    s.sync()
    assert stored_keys(ini) == {"brush": "8"}


# --- the real window ----------------------------------------------------------------------------------

DAMAGED_STORES = {
    "brush=abc": "[General]\nbrush=abc\n",
    "brush=-5": "[General]\nbrush=-5\n",
    "brush=1e9": "[General]\nbrush=1e9\n",
    "geometry=garbage": "[General]\ngeometry=garbage\n",
    "geometry=bad-bytes": "[General]\ngeometry=@ByteArray(garbage)\n",
    "theme=neon": "[General]\ntheme=neon\n",
    "epochs=1e9": "[finetune]\nepochs=1e9\n",
    "epochs=abc": "[finetune]\nepochs=abc\n",
    "share=nan": "[finetune]\nshare=nan\n",
    "lr=text": "[finetune]\nlr=the usual\n",
    "active_model=junk": "[active_model]\nkind=neon\npath=@Invalid()\n",
    "last_model_dir=missing": "[General]\nlast_model_dir=/no/such/folder\n",
    "everything": "[General]\nbrush=abc\ngeometry=garbage\ntheme=neon\nlast_model=x\n"
                  "[finetune]\nepochs=1e9\nshare=nan\nlr=fast\n",
    "not an ini": "\x00\x01 this is not [an ini file\n[[[",
}


@pytest.mark.parametrize("text", DAMAGED_STORES.values(), ids=DAMAGED_STORES.keys())
def test_window_starts_normally_with_damaged_settings(qtbot, ini, text):
    ini.write_text(text)
    w = open_window(qtbot)  # the default model and MNIST load: start-up was not cut short
    wait_until_idle(qtbot, w)  # ... up to its last step
    assert w.status_msg.text() != "Starting…"
    assert "loading" not in w.model_label.text()
    assert w.last_error == "" and not [b for b in w.findChildren(QMessageBox) if b.isVisible()], w.last_error
    assert w.theme == "system"
    if "brush" in text:
        assert w.draw_tab.brush.value() == 6
    if "[finetune]" in text:
        panel = w.train_tab.finetune
        assert (panel.epochs.value(), panel.share.value(), panel.lr.value()) == tuple(
            round(s.default, 5) for s in (app_settings.FINETUNE_EPOCHS, app_settings.FINETUNE_SHARE, app_settings.FINETUNE_LR))
    w.close()
    assert_store_valid(ini)  # every key on disk is one the next start accepts
    stored = stored_keys(ini)
    assert stored["theme"] == "system" and "last_model" not in stored
    assert not {"finetune/epochs", "finetune/share", "finetune/lr", "last_model_dir", "active_model/kind"} & stored.keys()


def test_setting_ranges_are_the_widgets_ranges(qtbot):
    w = create_window()
    qtbot.addWidget(w)
    panel = w.train_tab.finetune
    assert (w.draw_tab.brush.minimum(), w.draw_tab.brush.maximum()) == (app_settings.BRUSH.lo, app_settings.BRUSH.hi)
    assert (panel.epochs.minimum(), panel.epochs.maximum()) == (app_settings.FINETUNE_EPOCHS.lo, app_settings.FINETUNE_EPOCHS.hi)
    assert (panel.share.minimum(), panel.share.maximum()) == (app_settings.FINETUNE_SHARE.lo, app_settings.FINETUNE_SHARE.hi)
    assert (panel.lr.minimum(), panel.lr.maximum()) == (app_settings.FINETUNE_LR.lo, app_settings.FINETUNE_LR.hi)
    assert tuple(w.theme_actions) == app_settings.THEME.choices
    w.close()


def test_window_fits_a_1024x600_screen(qtbot):
    w = open_window(qtbot, need_tf=True)  # showing the Train tab below asks for TensorFlow anyway
    for i in range(w.tabs.count()):
        w.tabs.setCurrentIndex(i)  # parts built on a tab's first show (figures, plots) count too
        hint = w.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 600, f"{w.tabs.tabText(i)}: minimum {hint.width()}×{hint.height()}"
    w.resize(1024, 600)
    qtbot.waitUntil(lambda: w.size() == QSize(1024, 600), timeout=5000)
    w.close()


def test_dataset_tab_claims_no_counts_of_data_that_did_not_load(qtbot, tmp_path):
    w = create_window(data_path=str(tmp_path / "missing.npz"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.last_error != "" and w.state.model is not None, timeout=20000)
    wait_until_idle(qtbot, w)
    assert w.state.data is None
    tab = w.dataset_tab
    texts = [tab.split_box.itemText(i) for i in range(tab.split_box.count())] + [tab.confusion_label.text()]
    assert not [t for t in texts if "60,000" in t or "10,000" in t], texts
    assert texts[:2] == ["train", "test"]
    w.close()


def test_dataset_tab_counts_what_loaded(qtbot):
    w = open_window(qtbot)
    wait_until_idle(qtbot, w)
    tab = w.dataset_tab
    assert [tab.split_box.itemText(i) for i in range(2)] == ["train (60,000)", "test (10,000)"]
    assert "10,000 test images" in tab.confusion_label.text()
    w.close()
