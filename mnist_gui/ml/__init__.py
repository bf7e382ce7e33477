"""Qt-free machine-learning core: data, preprocessing, model, training, inference.

Nothing under this package imports Qt; TensorFlow is imported lazily, inside the functions that need it.
"""
