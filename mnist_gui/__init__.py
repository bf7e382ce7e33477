"""mnist-gui: draw digits, browse MNIST and train a Keras MLP, in a desktop app."""

__version__ = "0.1.0"
