"""The Train tab's parts: form, monitor, job control, live test strip, Runs panel, exports (see ../train_tab.py)."""
