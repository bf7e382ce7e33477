"""mnist-gui: draw digits, browse MNIST and train a Keras MLP, in a desktop app."""

import os

# The draw path runs many tiny matrix products (resampling, the numpy predictor): on 2 cores OpenBLAS'
# thread hand-off makes their p95 ten times the median. Set before numpy loads; a user's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Qt's raster engine hands every fill of 96+ spans (an antialiased plot line, a grid line) to a thread pool and
# waits for it. While TensorFlow trains on both cores those pool threads must win a core first: ~450 wake-ups a
# second during training, each one a TensorFlow thread switched out. Painting on the GUI thread alone is cheaper.
# Qt only asks whether the variable is set (any value, even 0, turns the pool off).
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

__version__ = "0.1.0"
