"""User-facing error types: anything raised as one of these is shown as a message, never a traceback."""


class UserError(Exception):
    """A problem with the user's input (a file, a value) that the user can fix."""


class DataError(UserError):
    """The dataset could not be found, read or validated."""


class ModelError(UserError):
    """A model file could not be loaded, validated or saved."""


class ConfigError(UserError):
    """A hyperparameter or option is out of range."""


class ImageError(UserError):
    """An image file could not be read as a digit."""
