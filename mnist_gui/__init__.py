"""mnist-gui: draw digits, browse MNIST and train a Keras MLP, in a desktop app."""

import os

# The draw path runs many tiny matrix products (resampling, the numpy predictor): on 2 cores OpenBLAS'
# thread hand-off makes their p95 ten times the median. Set before numpy loads; a user's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
