"""Allow ``python -m mnist_gui``."""

from mnist_gui.cli import main

raise SystemExit(main())
