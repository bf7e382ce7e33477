"""The Dataset tab's parts, one job each: the thumbnail browser, the details pane, the confusion table,
My digits edits, the (Qt-free) filter logic and the prediction cache shared through ``AppState``."""
